"""Fixtures for the email channel: the golden Issue, settings, fake servers."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from channels.email.channel import EmailChannel
from publisher.audience.tokens import LinkTokens
from publisher.content import Issue
from publisher.jsonform import document_from_json
from publisher.settings import EmailOptions, Settings
from publisher.store.db import sqlite_url

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "email"
KEY = "golden-key-" + "k" * 21
SAMPLE = {"name": "Ann Reader", "email": "ann@example.org",
          "unsubscribe_url": "https://news.example.org/unsubscribe/TOKEN-U",
          "preferences_url": "https://news.example.org/preferences/TOKEN-P"}


def golden_issue() -> Issue:
    issue = document_from_json((GOLDEN / "issue.json").read_text(encoding="utf-8"))
    assert isinstance(issue, Issue)
    return issue


@pytest.fixture
def issue() -> Issue:
    return golden_issue()


@pytest.fixture
def tokens() -> LinkTokens:
    return LinkTokens([KEY])


def make_settings(tmp_path: Path, issue: Issue | None = None, **email: Any) -> Settings:
    pub = (issue or golden_issue()).publication
    return Settings(publication=pub, data_dir=tmp_path,
                    db_url=sqlite_url(tmp_path / "publisher.db"),
                    email=dataclasses.replace(EmailOptions(outbox_dir=tmp_path / "outbox"),
                                              **email))


def make_channel(tmp_path: Path, **email: Any) -> EmailChannel:
    return EmailChannel(make_settings(tmp_path, **email), LinkTokens([KEY]))


@pytest.fixture
def channel(tmp_path: Path) -> EmailChannel:
    return make_channel(tmp_path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- a local HTTP server playing a provider's API ---------------------------------------


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Reply = tuple[int, dict[str, str], bytes]


@dataclass
class FakeApi:
    """Records every request; *respond* decides each answer (200 and {} by default)."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    respond: Callable[[Call], Reply] = lambda call: (200, {}, b"{}")


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the providers do

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            call = Call(self.path, dict(self.headers.items()), self.rfile.read(length))
            api.calls.append(call)
            status, headers, body = api.respond(call)
            self.send_response(status)
            for k, v in {"Content-Type": "application/json", **headers}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield api
    server.shutdown()
    server.server_close()
    thread.join(5)
