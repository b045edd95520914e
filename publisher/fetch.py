"""The one safe way publisher fetches a URL: feeds, article pages and images.

Every URL fetched here was chosen by someone outside: a feed author, a
contributor, an image tag in imported copy. Fetched naively, such a URL can
make the server read its own cloud metadata (``169.254.169.254``), an admin
port on localhost, a host on the office network or a file on disk, and hand
the answer back to the outsider. So :class:`SafeFetcher`:

* speaks only ``http`` and ``https``; ``file:`` only for paths that, after
  symlinks are resolved, lie inside one of ``FetchOptions.media_dirs``;
* resolves the host itself and refuses private, loopback, link-local,
  multicast, reserved and unspecified addresses (also when wrapped in an
  IPv4-mapped, 6to4 or NAT64 IPv6 address) unless ``allow_private``;
* checks the address it actually connected to as well, so a DNS answer that
  changes between the check and the connection (DNS rebinding) gains nothing;
* follows redirects itself, re-checking every hop, and never into ``file:``;
* bounds the whole fetch by ``timeout`` and the body by ``max_bytes``.

Every refusal or failure is a :class:`~publisher.errors.FetchError` whose
message names the URL.
"""

from __future__ import annotations

import ipaddress
import mimetypes
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit
from urllib.request import url2pathname

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.response import BaseHTTPResponse

from publisher.errors import ConfigError, FetchError

__all__ = ["FetchOptions", "FetchResult", "IPAddress", "SafeFetcher", "is_public_address"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_USER_AGENT = "publisher-fetcher/0.1"
# NAT64 gateways connect to the IPv4 address held in the last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchOptions:
    """What a :class:`SafeFetcher` may fetch, and how much and how long.

    ``timeout`` bounds the whole fetch (every redirect and the body), not a
    single socket read; a server that answers very slowly can overrun it by
    at most one more ``timeout``. ``trusted_networks`` lists CIDR blocks that
    are fetched even though they are private (an intranet CMS, a test server
    on 127.0.0.1) without opening every private address as ``allow_private``
    does.
    """

    allow_private: bool = False
    timeout: float = 10.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    media_dirs: tuple[Path, ...] = ()
    trusted_networks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ConfigError("must be more than 0 seconds", field="timeout")
        if self.max_bytes < 1:
            raise ConfigError("must be at least 1", field="max_bytes")
        if self.max_redirects < 0:
            raise ConfigError("must not be negative", field="max_redirects")
        for network in self.trusted_networks:
            try:
                ipaddress.ip_network(network)
            except ValueError as exc:
                raise ConfigError(str(exc), field="trusted_networks") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """A fetched body; ``url`` is the final URL after redirects."""

    url: str
    content: bytes
    content_type: str


def _unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address really reaches, if it embeds one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _non_public_kind(address: IPAddress) -> str | None:
    """Why *address* is not on the public internet, or None if it is."""
    address = _unwrap(address)
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        # is_global also rules out shared (carrier-grade NAT) space.
        ("non-global", not address.is_global),
    )
    return next((kind for kind, hit in checks if hit), None)


def is_public_address(address: IPAddress) -> bool:
    """True when *address* (or the IPv4 address it wraps) is publicly routable."""
    return _non_public_kind(address) is None


class _PeerRefused(Exception):
    """Raised inside urllib3; deliberately not an OSError, which urllib3 would
    swallow, retry and re-wrap as a plain connection error."""


def _vet_socket(sock: socket.socket, check: Callable[[str], None]) -> None:
    try:
        check(str(sock.getpeername()[0]))
    except _PeerRefused:
        sock.close()
        raise


def _checked_pool_classes(check: Callable[[str], None]) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes whose connections vet the address they reached."""

    class _HTTP(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            _vet_socket(sock, check)
            return sock

    class _HTTPS(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            _vet_socket(sock, check)
            return sock

    class _HTTPPool(HTTPConnectionPool):
        ConnectionCls = _HTTP

    class _HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = _HTTPS

    return {"http": _HTTPPool, "https": _HTTPSPool}


class _PeerCheckingAdapter(HTTPAdapter):
    """Direct connections only: through a proxy the peer is the proxy, and the
    pre-connection name check is what protects us."""

    def __init__(self, check: Callable[[str], None]) -> None:
        # Set before super().__init__, which calls init_poolmanager.
        self._pool_classes = _checked_pool_classes(check)
        super().__init__()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes


class SafeFetcher:
    """Fetches URLs under :class:`FetchOptions`; see the module docstring.

    A *session* passed in is used as it is (its adapters are not replaced,
    so tests can mock transports); the connected-address check is then
    skipped but every URL is still resolved and checked before it is
    requested.
    """

    def __init__(self, options: FetchOptions, session: requests.Session | None = None) -> None:
        self._options = options
        self._trusted = tuple(ipaddress.ip_network(n) for n in options.trusted_networks)
        self._media = tuple(d.resolve() for d in options.media_dirs)
        if session is None:
            session = requests.Session()
            adapter = _PeerCheckingAdapter(self._check_peer)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._session = session

    @property
    def options(self) -> FetchOptions:
        return self._options

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SafeFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the policy ---------------------------------------------------------

    def _refusal(self, address: str) -> str | None:
        """Why connecting to *address* is refused, or None when it is allowed."""
        if self._options.allow_private:
            return None
        ip = ipaddress.ip_address(address)
        if any(_unwrap(ip) in net or ip in net for net in self._trusted):
            return None
        kind = _non_public_kind(ip)
        return f"{address} is a {kind} address" if kind else None

    def _check_peer(self, address: str) -> None:
        reason = self._refusal(address)
        if reason:
            raise _PeerRefused(f"connected to {reason}")

    def check_url(self, url: str) -> SplitResult:
        """Refuse *url* unless it is http(s) and its host resolves only to
        addresses the options allow. Resolves names but never connects."""
        parts = _split(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise FetchError(f"refused {url}: only http and https URLs may be fetched")
        host = parts.hostname
        if not host:
            raise FetchError(f"refused {url}: the URL names no host")
        if self._options.allow_private:
            return parts
        for address in _resolve(url, host):
            reason = self._refusal(address)
            if reason:
                raise FetchError(f"refused {url}: {host} resolves to {reason}")
        return parts

    # -- fetching -----------------------------------------------------------

    def fetch(self, url: str) -> FetchResult:
        """Fetch *url*, following up to ``max_redirects`` checked redirects."""
        if _split(url).scheme.lower() == "file":
            return self._fetch_file(url)
        deadline = time.monotonic() + self._options.timeout
        current = url
        for _hop in range(self._options.max_redirects + 1):
            response = self._request(current, deadline)
            with response:
                target = _redirect_target(current, response)
                if target is None:
                    return self._read(current, response, deadline)
            current = target
        raise FetchError(f"refused {url}: more than {self._options.max_redirects} redirects")

    def _request(self, url: str, deadline: float) -> requests.Response:
        self.check_url(url)
        remaining = _remaining(url, deadline)
        try:
            return self._session.get(
                url,
                stream=True,
                allow_redirects=False,
                timeout=remaining,
                headers={"User-Agent": _USER_AGENT},
            )
        except _PeerRefused as exc:
            raise FetchError(f"refused {url}: {exc}") from None
        except requests.Timeout:
            raise FetchError(f"timed out fetching {url}") from None
        except requests.RequestException as exc:
            raise FetchError(f"could not fetch {url}: {exc}") from exc

    def _read(self, url: str, response: requests.Response, deadline: float) -> FetchResult:
        if not 200 <= response.status_code < 300:
            raise FetchError(f"could not fetch {url}: HTTP {response.status_code}")
        limit = self._options.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"refused {url}: body is {declared} bytes, over {limit}")
        body = bytearray()
        for chunk in _chunks(url, response):
            body += chunk
            if len(body) > limit:
                raise FetchError(f"refused {url}: body is over {limit} bytes")
            _remaining(url, deadline)
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        return FetchResult(url=url, content=bytes(body), content_type=content_type)

    def _fetch_file(self, url: str) -> FetchResult:
        path = self._media_path(url)
        limit = self._options.max_bytes
        try:
            with path.open("rb") as handle:
                content = handle.read(limit + 1)
        except OSError as exc:
            raise FetchError(f"could not read {url}: {exc.strerror}") from None
        if len(content) > limit:
            raise FetchError(f"refused {url}: file is over {limit} bytes")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FetchResult(url=path.as_uri(), content=content, content_type=content_type)

    def _media_path(self, url: str) -> Path:
        """The real path of a file: URL, refused unless inside a media dir."""
        parts = _split(url)
        if not self._media:
            raise FetchError(f"refused {url}: file: URLs are only allowed inside media_dirs")
        if parts.netloc not in ("", "localhost"):
            raise FetchError(f"refused {url}: file: URLs must not name a host")
        path = Path(url2pathname(parts.path))
        try:
            # resolve() follows symlinks, so a link pointing out is judged by its target.
            real = path.resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            raise FetchError(f"could not fetch {url}: no such file") from None
        if not path.is_absolute() or not any(real.is_relative_to(d) for d in self._media):
            raise FetchError(f"refused {url}: not inside a media directory")
        if not real.is_file():
            raise FetchError(f"refused {url}: not a regular file")
        return real


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - only to make urlsplit validate the port
    except ValueError as exc:
        raise FetchError(f"refused {url!r}: not a valid URL ({exc})") from None
    return parts


def _resolve(url: str, host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"could not fetch {url}: cannot resolve {host} ({exc})") from None
    return [str(info[4][0]) for info in infos]


def _remaining(url: str, deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(f"timed out fetching {url}")
    return remaining


def _redirect_target(url: str, response: requests.Response) -> str | None:
    """The next URL if *response* redirects; only http(s) targets are followed."""
    if response.status_code not in _REDIRECTS:
        return None
    location = response.headers.get("Location")
    if not location:
        raise FetchError(f"could not fetch {url}: redirect without a Location")
    target = urljoin(url, location.strip())
    if _split(target).scheme.lower() not in ("http", "https"):
        raise FetchError(f"refused {url}: redirect to {target} is not http(s)")
    return target


def _chunks(url: str, response: requests.Response) -> Iterator[bytes]:
    """Body chunks as they arrive.

    ``read1`` returns whatever the socket has instead of waiting for a full
    chunk, so a server dripping bytes cannot hold us past the deadline.
    Injected test sessions may have other raw objects; they get iter_content.
    """
    raw = response.raw
    try:
        if isinstance(raw, BaseHTTPResponse):
            while chunk := raw.read1(_CHUNK, decode_content=True):
                yield chunk
        else:
            yield from response.iter_content(_CHUNK)
    except (requests.RequestException, Urllib3Error, OSError) as exc:
        raise FetchError(f"could not read {url}: {exc}") from exc
