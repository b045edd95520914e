"""Dispatch: exactly once per recipient, through crashes, retries and bounces."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email import IssueMail, MemoryOutbox, Personal, Result
from publisher.app import App, build_app
from publisher.cli import main
from publisher.content import Issue
from publisher.dispatch import (
    IN_FLIGHT,
    DispatchBlocked,
    EmailDispatch,
    _email_channel,
    dispatch_issue,
    dispatch_standalone,
    send_proof,
)
from publisher.lifecycle import Lifecycle
from publisher.preflight import Report
from tests.channels.email.conftest import FakeApi, fake_api, free_port, golden_issue  # noqa: F401
from tests.channels.email.conftest import make_settings as _settings

LIST = "newsletter"


def _app(tmp_path: Path, transport: Any = None, **email: Any) -> App:
    settings = _settings(tmp_path, **{"retry_backoff": 0.0, **email})
    return build_app(settings, transport=transport if transport is not None else MemoryOutbox())


def _populate(app: App, n: int, *, text_every: int = 0, issue: Issue | None = None) -> Issue:
    issue = issue or golden_issue()
    with app.store.begin() as conn:
        app.store.issues.save(conn, issue)
        Lifecycle(app.store).approve(conn, issue.number, "email", "editor", Report(()))
        for i in range(n):
            fmt = "text" if text_every and i % text_every == 0 else "html"
            app.store.audience.add(conn, f"reader{i}@example.org", list_id=LIST,
                                   name=f"Reader {i}", format=fmt, consent_source="test")
    return issue


def _recipients(outbox: MemoryOutbox) -> collections.Counter[str]:
    return collections.Counter(m["To"].addresses[0].addr_spec for m in outbox.outbox)


def test_dispatch_twice_sends_once(tmp_path: Path) -> None:
    outbox = MemoryOutbox()
    app = _app(tmp_path, outbox, batch_size=7)
    _populate(app, 30, text_every=3)
    first = dispatch_issue(app, 7)
    assert (first.sent, first.failed, first.skipped, first.audience) == (30, 0, 0, 30)
    second = dispatch_issue(app, 7)
    assert (second.sent, second.skipped) == (0, 30)
    assert _recipients(outbox) == {f"reader{i}@example.org": 1 for i in range(30)}
    with app.store.read() as conn:
        assert app.store.ledger.counts(conn, 7, "email") == {"sent": 30}
    kinds = {m["To"].addresses[0].addr_spec: m.get_content_type() for m in outbox.outbox}
    assert kinds["reader0@example.org"] == "text/plain"  # chose plain text
    assert kinds["reader1@example.org"] == "multipart/alternative"
    app.close()


def test_a_dry_run_sends_and_records_nothing(tmp_path: Path) -> None:
    outbox = MemoryOutbox()
    app = _app(tmp_path, outbox)
    _populate(app, 5)
    report = dispatch_issue(app, 7, dry_run=True)
    assert report.audience == 5 and report.sent == 0 and not outbox.outbox
    assert "dry run" in report.summary()
    with app.store.read() as conn:
        assert app.store.ledger.counts(conn, 7, "email") == {}
    app.close()


def test_preflight_errors_block_sending(tmp_path: Path) -> None:
    outbox = MemoryOutbox()
    app = _app(tmp_path, outbox)
    issue = golden_issue()
    _populate(app, 3, issue=replace(
        issue, publication=replace(issue.publication, postal_address="")))
    with pytest.raises(DispatchBlocked, match="email-postal-address"):
        dispatch_issue(app, 7)
    assert not outbox.outbox
    app.close()


class Crashing(MemoryOutbox):
    """Dies (as a power cut would) once *after* messages have gone in total."""

    def __init__(self, after: int, *, idempotent: bool = False) -> None:
        super().__init__()
        self.after, self.idempotent = after, idempotent
        self.seen: set[str] = set()
        # One batch at a time, so "after N messages" means the same on every run.
        self.one_at_a_time = threading.Lock()

    def deliver(self, mail: IssueMail, batch: Sequence[Personal]) -> list[Result]:
        with self.one_at_a_time:
            return self._deliver(mail, batch)

    def _deliver(self, mail: IssueMail, batch: Sequence[Personal]) -> list[Result]:
        results: list[Result] = []
        for p in batch:
            if self.after is not None and len(self.raw) >= self.after:
                self.after = None  # type: ignore[assignment]
                raise RuntimeError("power cut")
            if self.idempotent and p.message_id in self.seen:  # a provider that dedupes
                results.append(Result(p.target, "sent", remote_id=p.message_id))
                continue
            self.seen.add(p.message_id)
            results.extend(super().deliver(mail, [p]))
        return results


@pytest.mark.parametrize(("after", "idempotent", "most_dups"), [
    (10, False, 0),   # at a batch boundary: nothing was in flight
    (13, False, 3),   # mid-batch: the 3 handed over but not recorded go again
    (13, True, 0),    # ... unless the provider drops repeats (same Message-ID)
])
def test_a_crash_then_resume_sends_the_rest(tmp_path: Path, after: int, idempotent: bool,
                                            most_dups: int) -> None:
    outbox = Crashing(after, idempotent=idempotent)
    app = _app(tmp_path, outbox, batch_size=5)
    _populate(app, 23)
    with pytest.raises(RuntimeError, match="power cut"):
        dispatch_issue(app, 7)
    # Another run soon after leaves the crashed batch's claims alone (its worker
    # may still be alive); a batch that never started was handed back at once.
    dispatch_issue(app, 7)
    with app.store.read() as conn:
        counts = app.store.ledger.counts(conn, 7, "email")
    assert counts == {"sent": 18, "attempting": 5}
    # Once stale, they are taken over.
    dispatch_issue(app, 7, stale_after=0)
    got = _recipients(outbox)
    assert set(got) == {f"reader{i}@example.org" for i in range(23)}
    assert sum(got.values()) - 23 == most_dups
    with app.store.read() as conn:
        assert app.store.ledger.counts(conn, 7, "email") == {"sent": 23}
    app.close()


class Flaky(MemoryOutbox):
    """Defers some addresses the first time (4xx), bounces one, sends the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.deferred_once: set[str] = set()

    def deliver(self, mail: IssueMail, batch: Sequence[Personal]) -> list[Result]:
        out: list[Result] = []
        for p in batch:
            if p.address.startswith("reader1") and p.target not in self.deferred_once:
                self.deferred_once.add(p.target)
                out.append(Result(p.target, "deferred", detail="451 busy", retry_after=2.5))
            elif p.address == "reader2@example.org":
                out.append(Result(p.target, "failed", detail="550 5.1.1", hard_bounce=True))
            else:
                out.extend(super().deliver(mail, [p]))
        return out


def test_deferred_are_retried_and_hard_bounces_suppressed(tmp_path: Path) -> None:
    outbox = Flaky()
    app = _app(tmp_path, outbox, retry_backoff=1.0)
    issue = _populate(app, 12)
    sleeps: list[float] = []
    dispatch = EmailDispatch(app.store, _email_channel(app), outbox, app.settings.email,
                             sleep=sleeps.append)
    report = dispatch.run(issue)
    assert report.rounds == 2 and sleeps == [2.5]  # the longer of backoff and Retry-After
    assert (report.sent, report.failed, report.suppressed, report.deferred) == (11, 1, 1, 0)
    with app.store.read() as conn:
        assert app.store.audience.is_suppressed(conn, "reader2@example.org")
        assert app.store.audience.find(conn, "reader2@example.org").status == "bounced"
        row = app.store.ledger.get(conn, 7, "email", "reader10@example.org")
        assert row is not None and row.attempts == 2
    app.close()


def test_a_name_that_would_inject_a_header_is_refused(tmp_path: Path) -> None:
    outbox = MemoryOutbox()
    app = _app(tmp_path, outbox)
    _populate(app, 2)
    with app.store.begin() as conn:
        app.store.audience.add(conn, "evil@example.org", list_id=LIST,
                               name="Eve\r\nBcc: victim@example.org", consent_source="test")
    report = dispatch_issue(app, 7)
    assert (report.sent, report.failed) == (2, 1)
    assert "evil@example.org" not in _recipients(outbox)
    with app.store.read() as conn:
        row = app.store.ledger.get(conn, 7, "email", "evil@example.org")
        assert row is not None and row.status == "failed"
    app.close()


def test_a_proof_goes_to_one_address_and_is_not_recorded(tmp_path: Path) -> None:
    outbox = MemoryOutbox()
    app = _app(tmp_path, outbox)
    _populate(app, 3)
    result = send_proof(app, 7, "editor@example.org")
    assert result.status == "sent" and list(_recipients(outbox)) == ["editor@example.org"]
    with app.store.read() as conn:
        assert app.store.ledger.counts(conn, 7, "email") == {}
    app.close()


def _config(tmp_path: Path, email: str) -> Path:
    pub = golden_issue().publication
    path = tmp_path / "config" / "publication.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"""
[publication]
name = "{pub.name}"
base_url = "{pub.base_url}"
sender_address = "{pub.sender_address}"
postal_address = "{pub.postal_address}"
sections = ["World", "Culture"]

[email]
retry_backoff = 0
{email}
""", encoding="utf-8")
    return path


def test_dispatch_standalone_and_the_send_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    monkeypatch.delenv("PUBLISHER_SECRET_KEYS", raising=False)
    config, data = _config(tmp_path, ""), tmp_path / "data"
    from publisher.settings import load_settings

    app = build_app(load_settings(config, data_dir=data))
    _populate(app, 4)
    app.close()
    report = dispatch_standalone(7, "email", config=config, data_dir=data)
    assert report.sent == 4
    assert len(list((data / "outbox" / "new").iterdir())) == 4
    argv = ["--config", str(config), "--data-dir", str(data), "send", "7", "--channel", "email"]
    assert main(argv) == 0
    assert "0 sent" in capsys.readouterr().out
    assert main([*argv, "--test-to", "editor@example.org"]) == 0
    assert "proof of Issue 7 to editor@example.org: sent" in capsys.readouterr().out
    assert main([*argv[:-2], "--channel", "fax"]) == 2
    assert len(list((data / "outbox" / "new").iterdir())) == 5
    app = build_app(load_settings(config, data_dir=data))
    with app.store.begin() as conn:  # a corrected Issue has no sign-off: no real send
        app.store.issues.save(conn, replace(golden_issue(), title="Corrected"))
    app.close()
    capsys.readouterr()
    assert main(argv) == 2
    assert "no sign-off for email (publisher approve 7 --channel email)" in (
        capsys.readouterr().err)
    assert main([*argv, "--test-to", "editor@example.org"]) == 0  # proofs need none


# --- a real process, killed mid-send ---------------------------------------------------


@dataclass
class Counting:
    """An SMTP server that counts copies per recipient and takes its time."""

    copies: collections.Counter[str] = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session,
                          envelope: Envelope) -> str:
        await asyncio.sleep(0.01)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.copies[rcpt] += 1
        return "250 OK"


@pytest.fixture
def counting_server() -> Iterator[tuple[Counting, int]]:
    handler = Counting()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _kill_when(proc: subprocess.Popen[bytes], done: Any, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the send never got going"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def _spawn(config: Path, data: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-m", "publisher", "--config", str(config), "--data-dir", str(data),
         "send", "7", "--channel", "email"],
        cwd=root, env={**os.environ, **env, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


N_KILL, BATCH = 120, 10


def _prepare_store(config: Path, data: Path) -> None:
    from publisher.settings import load_settings

    app = build_app(load_settings(config, data_dir=data))
    _populate(app, N_KILL)
    app.close()


def test_sigkill_mid_send_then_send_again(tmp_path: Path, counting_server: tuple[Counting, int],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    monkeypatch.delenv("PUBLISHER_SECRET_KEYS", raising=False)
    server, port = counting_server
    config = _config(tmp_path, f'transport = "smtp"\nsmtp_host = "127.0.0.1"\n'
                     f'smtp_port = {port}\nsmtp_security = "none"\npool_size = 2\n'
                     f"batch_size = {BATCH}\n")
    data = tmp_path / "data"
    _prepare_store(config, data)
    proc = _spawn(config, data, {})
    _kill_when(proc, lambda: sum(server.copies.values()) >= 35)
    assert main(["--config", str(config), "--data-dir", str(data), "send", "7", "--channel",
                 "email", "--stale-after", "0"]) == 0
    copies = server.copies
    assert set(copies) == {f"reader{i}@example.org" for i in range(N_KILL)}
    # At most the batches the dead process had handed over but not recorded go twice.
    assert sum(copies.values()) - N_KILL <= IN_FLIGHT * BATCH


def test_sigkill_with_an_idempotent_provider_duplicates_nobody(
        tmp_path: Path, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    monkeypatch.delenv("PUBLISHER_SECRET_KEYS", raising=False)
    monkeypatch.setenv("PUBLISHER_POSTMARK_TOKEN", "pm-token")
    delivered: collections.Counter[str] = collections.Counter()
    seen: set[str] = set()

    def postmark(call: Any) -> tuple[int, dict[str, str], bytes]:
        time.sleep(0.05)  # slow enough to be killed mid-run
        for message in call.json():
            ids = {h["Name"]: h["Value"] for h in message["Headers"]}
            if ids["Message-ID"] not in seen:  # what an idempotent provider does
                seen.add(ids["Message-ID"])
                delivered[message["To"].split("<")[-1].rstrip(">")] += 1
        return 200, {}, json.dumps([{"ErrorCode": 0, "MessageID": "x"}
                                    for _ in call.json()]).encode()

    fake_api.respond = postmark
    config = _config(tmp_path, f'transport = "postmark"\napi_url = "{fake_api.url}"\n'
                     f"batch_size = {BATCH}\n")
    data = tmp_path / "data"
    _prepare_store(config, data)
    proc = _spawn(config, data, {"PUBLISHER_POSTMARK_TOKEN": "pm-token"})
    _kill_when(proc, lambda: len(fake_api.calls) >= 4)
    assert main(["--config", str(config), "--data-dir", str(data), "send", "7", "--channel",
                 "email", "--stale-after", "0"]) == 0
    assert delivered == {f"reader{i}@example.org": 1 for i in range(N_KILL)}
    assert sum(len(c.json()) for c in fake_api.calls) >= N_KILL  # some went twice on the wire


def test_every_message_is_a_well_formed_email(tmp_path: Path) -> None:
    outbox = MemoryOutbox()
    app = _app(tmp_path, outbox)
    _populate(app, 3)
    dispatch_issue(app, 7)
    for message in outbox.outbox:
        assert isinstance(message, EmailMessage) and not message.defects
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    app.close()
