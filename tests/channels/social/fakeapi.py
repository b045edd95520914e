"""A local HTTP server on 127.0.0.1 that plays a platform's API in tests.

Each test gives it a ``respond(request) -> (status, headers, body)``
function; every request is kept in ``requests`` (method, path, query,
headers, body) so a test can check the shape of what was sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeApi", "Request", "fake_api"]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Reply = tuple[int, dict[str, str], Any]


@dataclass
class FakeApi:
    respond: Callable[[Request], Reply]
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def calls(self, path: str, method: str = "POST") -> list[Request]:
        return [r for r in self.requests if r.path == path and r.method == method]


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            req = Request(self.command, parts.path, parse_qs(parts.query),
                          {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length))
            api.requests.append(req)
            status, headers, body = api.respond(req)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def fake_api(respond: Callable[[Request], Reply]) -> Iterator[FakeApi]:
    api = FakeApi(respond)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
