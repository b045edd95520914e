"""What the HTTP providers share: a keep-alive session, retries, and outcome rules.

``ApiMailer`` is the base of ``PostmarkMailer``, ``SendGridMailer`` and
``MailgunMailer``; each says how a batch becomes one request and how the
answer becomes results. The base does the rest, the same for all three:

* one ``requests.Session`` per mailer: connections are kept alive and reused;
* HTTP 429 and 5xx are transient: the call is retried in place after the
  ``Retry-After`` the provider sent (else exponential backoff), a few times,
  then every message of the batch is ``deferred``;
* other 4xx are permanent for the batch (``failed``), except 401 and 403:
  refused credentials are our configuration, so the batch is ``deferred``
  and no further call is made until the mailer is rebuilt;
* a connection that was never made is transient; a request that may have
  reached the provider without an answer (timeout, dropped connection) is
  ``unknown`` for every message in it, never retried silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from channels.base import TransportError
from channels.email.delivery import Result, ResultStatus, all_with, retry_after_seconds
from channels.email.message import check_headers
from channels.email.ratelimit import RateLimit

if TYPE_CHECKING:
    from channels.email.mime import IssueMail, Personal

__all__ = ["ApiMailer", "ApiRequest", "Fields", "fields_of"]

# Headers a provider sets itself from its own fields.
_OWN_HEADERS = frozenset({"from", "to", "subject", "reply-to", "date", "mime-version",
                          "content-type", "content-transfer-encoding"})


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One POST: a path under the base URL and what ``requests`` sends."""

    path: str
    json: Any = None
    data: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fields:
    """A single finished message, as provider APIs take it."""

    sender: str
    to: str
    to_address: str
    reply_to: str | None
    subject: str
    text: str
    html: str | None
    headers: dict[str, str]


def fields_of(message: EmailMessage) -> Fields:
    """The fields of a message made by ``build_message`` (a confirmation, a proof)."""
    check_headers(message)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return Fields(
        sender=str(message["From"]), to=str(message["To"]),
        to_address=message["To"].addresses[0].addr_spec,
        reply_to=str(message["Reply-To"]) if message["Reply-To"] else None,
        subject=str(message["Subject"]),
        text=text.get_content() if isinstance(text, EmailMessage) else "",
        html=html.get_content() if isinstance(html, EmailMessage) else None,
        headers={k: str(v) for k, v in message.items() if k.lower() not in _OWN_HEADERS})


def _session(pool: int) -> requests.Session:
    session = requests.Session()
    # No automatic retries: the rules above decide what may be sent again.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the provider."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(
        reason, urllib3.exceptions.NewConnectionError)


_Failure = tuple[ResultStatus, str, float | None]


class ApiMailer:
    """Base of the HTTP provider mailers; a ``Transport`` and a ``Mailer``."""

    name = "api"
    default_url = ""
    max_batch = 500

    def __init__(self, api_key: str, base_url: str = "", *, timeout: float = 30.0,
                 limit: RateLimit | None = None, attempts: int = 3, backoff: float = 1.0,
                 max_wait: float = 120.0, sleep: Callable[[float], None] = time.sleep,
                 pool: int = 4) -> None:
        self._key = api_key
        self.base_url = (base_url or self.default_url).rstrip("/")
        self.timeout, self.attempts, self.backoff, self.max_wait = (
            timeout, attempts, backoff, max_wait)
        self._limit = limit or RateLimit()
        self._sleep = sleep
        self.session = _session(pool)
        self._refused: str | None = None

    def __repr__(self) -> str:  # without the key
        return f"{type(self).__name__}({self.base_url!r})"

    # -- what each provider says ------------------------------------------------------

    def batch_request(self, mail: IssueMail, chunk: Sequence[Personal]) -> ApiRequest:
        raise NotImplementedError

    def batch_results(self, response: requests.Response,
                      chunk: Sequence[Personal]) -> list[Result]:
        raise NotImplementedError

    def single_request(self, fields: Fields) -> ApiRequest:
        raise NotImplementedError

    def credentials(self, request: ApiRequest) -> dict[str, Any]:
        """``requests`` keyword arguments for *request*'s headers and authentication."""
        return {"headers": request.headers}

    # -- the common part --------------------------------------------------------------

    def deliver(self, mail: IssueMail, batch: Sequence[Personal]) -> list[Result]:
        results: list[Result] = []
        for start in range(0, len(batch), self.max_batch):
            chunk = batch[start:start + self.max_batch]
            results.extend(self._deliver_chunk(mail, chunk))
        return results

    def _deliver_chunk(self, mail: IssueMail, chunk: Sequence[Personal]) -> list[Result]:
        if self._refused is not None:
            return all_with(chunk, "deferred", self._refused)
        self._limit.acquire(len(chunk))
        outcome = self._post(self.batch_request(mail, chunk))
        if isinstance(outcome, requests.Response):
            try:
                return self.batch_results(outcome, chunk)
            except (ValueError, KeyError, TypeError) as exc:
                # Taken, but we cannot tell which messages: never send them again blindly.
                return all_with(chunk, "unknown", f"unreadable answer from {self.name}: {exc}")
        return all_with(chunk, *outcome)

    def send(self, message: EmailMessage) -> None:
        """One finished message (a confirmation, a proof)."""
        if self._refused is not None:
            raise TransportError(self._refused)
        self._limit.acquire()
        outcome = self._post(self.single_request(fields_of(message)))
        if not isinstance(outcome, requests.Response):
            raise TransportError(f"{self.name}: {outcome[1]}")

    def _post(self, request: ApiRequest) -> requests.Response | _Failure:
        failure: _Failure = ("deferred", "no attempt made", None)
        for attempt in range(self.attempts):
            try:
                response = self.session.post(
                    self.base_url + request.path, json=request.json, data=request.data,
                    timeout=self.timeout, **self.credentials(request))
            except requests.RequestException as exc:
                if not _never_connected(exc):
                    return "unknown", f"{self.name}: no answer ({type(exc).__name__})", None
                failure = ("deferred", f"{self.name}: cannot connect", None)
                if not self._pause(None, attempt):
                    return failure
                continue
            if response.status_code < 300:
                return response
            failure = self._refusal(response)
            if failure[0] != "deferred" or self._refused or not self._pause(failure[2], attempt):
                return failure
        return failure

    def _refusal(self, response: requests.Response) -> _Failure:
        code = response.status_code
        detail = f"{self.name}: HTTP {code}: {' '.join(response.text.split())[:300]}"
        if code == 429 or code >= 500:
            return "deferred", detail, retry_after_seconds(response.headers.get("Retry-After"))
        if code in (401, 403):
            self._refused = detail
            return "deferred", detail, None
        return "failed", detail, None

    def _pause(self, retry_after: float | None, attempt: int) -> bool:
        """Sleep before the next attempt; False when none is left or the wait is too long."""
        wait = retry_after if retry_after is not None else self.backoff * 2 ** attempt
        if attempt + 1 >= self.attempts or wait > self.max_wait:
            return False
        self._sleep(wait)
        return True

    def close(self) -> None:
        self.session.close()
