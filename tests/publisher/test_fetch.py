"""SafeFetcher against a real HTTP server on 127.0.0.1.

Nothing here connects to a non-loopback address: private and public
literals are only ever checked (check_url / is_public_address), and every
request that is meant to be refused is refused before a connection is made.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from publisher import fetch as fetch_module
from publisher.errors import ConfigError, FetchError
from publisher.fetch import FetchOptions, SafeFetcher, is_public_address


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float = 0.0  # seconds between body bytes; no Content-Length then


class LocalServer:
    """An http.server in a thread that answers from a route table and logs paths."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.requests: list[str] = []
        self.stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                reply = server.routes.get(self.path, Reply(status=404, body=b"nope"))
                # Event.wait, not sleep, so closing the server ends the wait.
                server.stop.wait(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if not reply.drip:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self._write(reply)

            def _write(self, reply: Reply) -> None:
                if not reply.drip:
                    self.wfile.write(reply.body)
                    return
                for byte in reply.body:
                    if server.stop.wait(reply.drip):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.close()


def fetcher(**options: object) -> SafeFetcher:
    return SafeFetcher(FetchOptions(**options))  # type: ignore[arg-type]


LOOPBACK_ONLY = {"trusted_networks": ("127.0.0.0/8",)}


# -- the address policy, with literals only ------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))
    url = f"http://[{address}]/x" if ":" in address else f"http://{address}/x"
    with pytest.raises(FetchError, match="refused") as info:
        fetcher().check_url(url)
    assert url in str(info.value)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"
    fetcher().check_url(url)  # resolves the literal; never connects


def test_a_name_is_judged_by_what_it_resolves_to() -> None:
    with pytest.raises(FetchError, match=r"localhost resolves to .*loopback"):
        fetcher().check_url("http://localhost:9/")


def test_allow_private_and_trusted_networks_open_the_policy() -> None:
    fetcher(allow_private=True).check_url("http://10.0.0.1/")
    fetcher(trusted_networks=("10.0.0.0/8",)).check_url("http://10.1.2.3/")
    with pytest.raises(FetchError):
        fetcher(trusted_networks=("10.0.0.0/8",)).check_url("http://192.168.0.1/")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/feed.xml", "file:///etc/passwd", "gopher://example.org/", "javascript:x"],
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="refused") as info:
        fetcher(allow_private=True).fetch(url)
    assert url in str(info.value)


def test_malformed_and_hostless_urls_are_refused() -> None:
    with pytest.raises(FetchError, match="not a valid URL"):
        fetcher().fetch("http://[::1/")
    with pytest.raises(FetchError, match="no host"):
        fetcher().fetch("http:///path")


def test_unresolvable_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(FetchError, match=r"cannot resolve news.example"):
        fetcher().fetch("http://news.example/feed")


def test_options_are_validated() -> None:
    with pytest.raises(ConfigError, match="trusted_networks"):
        FetchOptions(trusted_networks=("not-a-network",))
    with pytest.raises(ConfigError, match="timeout"):
        FetchOptions(timeout=0)
    with pytest.raises(ConfigError, match="max_bytes"):
        FetchOptions(max_bytes=0)


# -- against the local server -----------------------------------------------------


def test_loopback_is_refused_before_any_request(server: LocalServer) -> None:
    server.routes["/feed"] = Reply(body=b"secret")
    with pytest.raises(FetchError, match=r"refused .*/feed: 127.0.0.1 resolves to"):
        fetcher().fetch(server.url("/feed"))
    assert server.requests == []


def test_allow_private_fetches_loopback(server: LocalServer) -> None:
    server.routes["/feed"] = Reply(body=b"<rss/>", headers={"Content-Type": "application/rss+xml"})
    result = fetcher(allow_private=True).fetch(server.url("/feed"))
    assert result.content == b"<rss/>"
    assert result.content_type == "application/rss+xml"
    assert result.url == server.url("/feed")
    assert server.requests == ["/feed"]


def test_redirects_are_followed_and_the_final_url_reported(server: LocalServer) -> None:
    server.routes["/old"] = Reply(status=301, headers={"Location": "/mid"})
    server.routes["/mid"] = Reply(status=307, headers={"Location": server.url("/new")})
    server.routes["/new"] = Reply(body=b"here")
    result = fetcher(**LOOPBACK_ONLY).fetch(server.url("/old"))
    assert (result.url, result.content) == (server.url("/new"), b"here")
    assert server.requests == ["/old", "/mid", "/new"]


def test_a_redirect_into_private_space_is_refused(server: LocalServer) -> None:
    # 127.0.0.0/8 is trusted so the first hop is fetched; the metadata
    # address the server redirects to is not, and is never connected to.
    target = "http://169.254.169.254/latest/meta-data/"
    server.routes["/go"] = Reply(status=302, headers={"Location": target})
    with pytest.raises(FetchError, match="link-local") as info:
        fetcher(**LOOPBACK_ONLY).fetch(server.url("/go"))
    assert target in str(info.value)
    assert server.requests == ["/go"]


def test_a_redirect_to_file_is_refused(server: LocalServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    server.routes["/go"] = Reply(status=302, headers={"Location": secret.as_uri()})
    options = FetchOptions(allow_private=True, media_dirs=(tmp_path,))
    with pytest.raises(FetchError, match="not http"):
        SafeFetcher(options).fetch(server.url("/go"))


def test_redirect_limit(server: LocalServer) -> None:
    server.routes["/loop"] = Reply(status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="more than 2 redirects"):
        fetcher(max_redirects=2, **LOOPBACK_ONLY).fetch(server.url("/loop"))
    assert len(server.requests) == 3


def test_redirect_without_location(server: LocalServer) -> None:
    server.routes["/go"] = Reply(status=302)
    with pytest.raises(FetchError, match="without a Location"):
        fetcher(**LOOPBACK_ONLY).fetch(server.url("/go"))


def test_http_errors(server: LocalServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404") as info:
        fetcher(**LOOPBACK_ONLY).fetch(server.url("/missing"))
    assert server.url("/missing") in str(info.value)


def test_declared_size_over_the_cap(server: LocalServer) -> None:
    server.routes["/big"] = Reply(body=b"x" * 2000)
    with pytest.raises(FetchError, match="2000 bytes, over 1000"):
        fetcher(max_bytes=1000, **LOOPBACK_ONLY).fetch(server.url("/big"))
    assert fetcher(max_bytes=2000, **LOOPBACK_ONLY).fetch(server.url("/big")).content == b"x" * 2000


def test_streamed_size_over_the_cap(server: LocalServer) -> None:
    # No Content-Length: the cap must hold while streaming.
    server.routes["/big"] = Reply(body=b"y" * 50, drip=0.001)
    with pytest.raises(FetchError, match="over 10 bytes"):
        fetcher(max_bytes=10, **LOOPBACK_ONLY).fetch(server.url("/big"))


def test_a_slow_server_times_out(server: LocalServer) -> None:
    server.routes["/slow"] = Reply(body=b"late", delay=5)
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out") as info:
        fetcher(timeout=0.3, **LOOPBACK_ONLY).fetch(server.url("/slow"))
    assert time.monotonic() - started < 2
    assert server.url("/slow") in str(info.value)


def test_a_dripping_body_cannot_outlast_the_deadline(server: LocalServer) -> None:
    # Every byte arrives well inside a socket timeout, the whole body doesn't.
    server.routes["/drip"] = Reply(body=b"z" * 100, drip=0.05)
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetcher(timeout=0.5, **LOOPBACK_ONLY).fetch(server.url("/drip"))
    assert time.monotonic() - started < 2


def test_the_connected_address_is_checked_too(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the name check sees a public address, the connection
    # lands on loopback. The socket check refuses before any request is sent.
    monkeypatch.setattr(fetch_module, "_resolve", lambda url, host: ["93.184.216.34"])
    server.routes["/feed"] = Reply(body=b"secret")
    with pytest.raises(FetchError, match=r"connected to 127.0.0.1 is a loopback address"):
        fetcher().fetch(server.url("/feed"))
    assert server.requests == []


# -- file: URLs -----------------------------------------------------------------


def test_file_urls_inside_media_dirs(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "logo.png").write_bytes(b"\x89PNG")
    result = fetcher(media_dirs=(media,)).fetch((media / "logo.png").as_uri())
    assert result.content == b"\x89PNG"
    assert result.content_type == "image/png"


def test_file_urls_outside_media_dirs_are_refused(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("s3cret")
    (media / "link.txt").symlink_to(outside)
    f = fetcher(media_dirs=(media,))
    for url in [
        outside.as_uri(),
        (media / "link.txt").as_uri(),
        (media / ".." / "secret.txt").as_uri(),
    ]:
        with pytest.raises(FetchError, match="not inside a media directory"):
            f.fetch(url)
    with pytest.raises(FetchError, match="must not name a host"):
        f.fetch("file://fileserver/" + str(media / "x.png"))
    with pytest.raises(FetchError, match="no such file"):
        f.fetch((media / "missing.png").as_uri())


def test_file_size_cap(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"0" * 20)
    with pytest.raises(FetchError, match="over 10 bytes"):
        fetcher(media_dirs=(tmp_path,), max_bytes=10).fetch((tmp_path / "big.bin").as_uri())
