"""A live web app per test: uvicorn in a thread on 127.0.0.1, real SQLite in tmp_path.

``live()`` builds settings from a real TOML file whose ``base_url`` is the
server's own address, so the links in the mails can be followed as they are.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests
import uvicorn

from channels.email.transport import MemoryOutbox
from publisher.app import App, build_app
from publisher.audience.store import DEFAULT_LIST, Membership, Subscriber
from publisher.settings import load_settings
from publisher.web import create_app
from publisher.web.webhooks import WebhookSecrets

SECTIONS = ["World", "Business", "Culture"]
CONFIRM_LINK = re.compile(r"http://127\.0\.0\.1:\d+/confirm/[A-Za-z0-9_.-]+")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Live:
    """One running app: its URL, the wired parts, the mail it sent."""

    url: str
    app: App
    outbox: MemoryOutbox
    server: uvicorn.Server
    thread: threading.Thread
    http: requests.Session = field(default_factory=requests.Session)

    def csrf(self, path: str = "/subscribe") -> str:
        """Open a form page in the session (sets the cookie) and return its token."""
        page = self.http.get(self.url + path)
        assert page.status_code == 200, page.text
        found = CSRF_FIELD.search(page.text)
        assert found is not None
        return found.group(1)

    def signup_form(self, email: str, **extra: object) -> requests.Response:
        data = {"email": email, "csrf_token": self.csrf(), **extra}
        return self.http.post(self.url + "/subscribe", data=data)

    def mails(self) -> list[EmailMessage]:
        return list(self.outbox.outbox)

    def confirm_link(self, index: int = -1) -> str:
        body = self.mails()[index].get_body(("plain",))
        assert body is not None
        found = CONFIRM_LINK.search(body.get_content())
        assert found is not None
        return found.group(0)

    def subscriber(self, email: str) -> Subscriber:
        with self.app.store.read() as conn:
            return self.app.store.audience.find(conn, email)

    def membership(self, email: str, list_id: str = DEFAULT_LIST) -> Membership:
        sub = self.subscriber(email)
        with self.app.store.read() as conn:
            return self.app.store.audience.membership(conn, sub.id, list_id)

    def count(self) -> int:
        with self.app.store.read() as conn:
            return sum(1 for _ in self.app.store.audience.members(conn))

    def subscribe_active(self, email: str) -> Subscriber:
        """Sign up and confirm, the way a reader does."""
        assert self.signup_form(email).status_code == 200
        assert requests.get(self.confirm_link()).status_code == 200
        return self.subscriber(email)


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _config(tmp_path: Path, port: int, web: str) -> Path:
    cfg = tmp_path / "config"
    cfg.mkdir(exist_ok=True)
    path = cfg / "publication.toml"
    path.write_text(
        f"""
[publication]
name = "The Test Dispatch"
base_url = "http://127.0.0.1:{port}"
sender_name = "The Test Dispatch"
sender_address = "news@dispatch.example"
postal_address = "1 Test Street"
sections = {SECTIONS!r}

[publication.brand]
primary_color = "#0b3d5c"
accent_color = "#d98c1f"

[web]
{web}
""",
        encoding="utf-8",
    )
    return path


def _start(asgi: object, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(asgi, log_level="warning", lifespan="off")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    return server, thread


LiveFactory = Callable[..., Live]


@pytest.fixture
def make_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveFactory]:
    """Start an app; ``web`` is extra ``[web]`` TOML, ``secrets`` the webhook credentials."""
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    monkeypatch.delenv("PUBLISHER_SECRET_KEYS", raising=False)
    started: list[Live] = []

    def make(web: str = "", secrets: WebhookSecrets | None = None) -> Live:
        sock = _listening_socket()
        port = sock.getsockname()[1]
        settings = load_settings(_config(tmp_path, port, web))
        outbox = MemoryOutbox()
        app = build_app(settings, transport=outbox)
        asgi = create_app(app, webhook_secrets=secrets or WebhookSecrets())
        server, thread = _start(asgi, sock)
        live = Live(f"http://127.0.0.1:{port}", app, outbox, server, thread)
        started.append(live)
        return live

    yield make
    for live in started:
        live.server.should_exit = True
        live.thread.join(10)
        live.http.close()
        live.app.close()


@pytest.fixture
def live(make_live: LiveFactory) -> Live:
    return make_live()
