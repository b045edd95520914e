"""Real processes against a real SMTP server on loopback.

``Newsroom`` is a data directory with settings that send email by SMTP to an
aiosmtpd server in this test process, the demo Issue 1 assembled, and any
number of readers; ``worker()`` starts ``publisher worker`` as a separate
process, which a test may SIGKILL.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from publisher.cli import main


class Recorder:
    """An SMTP handler that keeps every recipient it accepted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rcpts: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.rcpts.extend(str(r) for r in envelope.rcpt_tos)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.rcpts)

    def copies(self) -> Counter[str]:
        with self.lock:
            return Counter(self.rcpts)


CONFIG = """
[publication]
name = "The Fault Line"
timezone = "Asia/Almaty"
base_url = "http://127.0.0.1:8000"
sender_name = "The Fault Line"
sender_address = "news@faults.example"
postal_address = "1 Test Street, Almaty"
sections = ["World", "Education", "Business", "Culture", "Science"]

[email]
transport = "smtp"
smtp_host = "127.0.0.1"
smtp_port = {port}
smtp_security = "none"
batch_size = 200
pool_size = 4
stale_after = 1.0

[schedule]
poll_seconds = 0.2
lease_seconds = 2
misfire_grace_seconds = {grace}

[schedule.steps]
email = "0"
"""


@dataclass
class Newsroom:
    root: Path
    config: Path
    sink: Recorder
    db: str | None = None  # a PostgreSQL URL; None: SQLite in the data folder
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def cli(self, *argv: str) -> int:
        db = ["--db", self.db] if self.db else []
        return main(["--config", str(self.config), *db, *argv])

    def worker(self) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
        if self.db:
            env["PUBLISHER_DB"] = self.db
        proc = subprocess.Popen([sys.executable, "-m", "publisher", "--config",
                                 str(self.config), "worker"], cwd=self.root, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.procs.append(proc)
        return proc

    def readers(self, n: int) -> None:
        csv = self.root / "readers.csv"
        with csv.open("w", encoding="utf-8") as fh:
            fh.write("email\n")
            fh.writelines(f"reader{i}@faults.example\n" for i in range(n))
        assert self.cli("subscribers", "import", str(csv)) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float = 60, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


@pytest.fixture
def newsroom_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                     ) -> Iterator[Callable[..., Newsroom]]:
    monkeypatch.chdir(tmp_path)
    for name in ("PUBLISHER_DB", "PUBLISHER_CONFIG", "PUBLISHER_SECRET_KEYS"):
        monkeypatch.delenv(name, raising=False)
    rooms: list[Newsroom] = []
    controllers: list[Controller] = []

    def make(grace: int = 900, db: str | None = None) -> Newsroom:
        sink = Recorder()
        port = _free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        (tmp_path / "config").mkdir(exist_ok=True)
        config = tmp_path / "config" / "publication.toml"
        config.write_text(CONFIG.format(port=port, grace=grace), encoding="utf-8")
        room = Newsroom(tmp_path, config, sink, db)
        assert room.cli("demo", "--no-send") == 0
        assert room.cli("approve", "1", "--channel", "email", "--as", "tester") == 0
        rooms.append(room)
        return room

    yield make
    for room in rooms:
        for proc in room.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    for controller in controllers:
        controller.stop()
