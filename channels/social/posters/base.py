"""What every poster shares: the ``Poster`` protocol, references, errors, and HTTP.

A poster publishes one post at a time and returns a ``Ref`` to it; the
dispatcher (``channels.social.dispatch``) keeps the ledger and hands each
post the references of the thread so far. ``Http`` is the one place that
talks to the network, so every platform gets the same rules:

* HTTP 429 and 5xx are transient: wait ``Retry-After`` (or a doubling
  backoff) and try again, at most ``max_retries`` times, and never wait
  longer than ``retry_after_cap`` in one run: a post told to wait longer is
  deferred to the next run instead;
* a connection that failed before the request went out is retried the same
  way; a timeout after it went out is retried only where the platform takes
  an idempotency key, and is otherwise ``unknown`` (it may have been posted);
* 401 means the credentials are expired or revoked: ``CredentialsError``
  names the account and the variable to fix, never the secret;
* any other 4xx is permanent.

Error messages never include a URL: Telegram's carries the bot token.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import requests

from channels.social.compose import Rule
from channels.social.model import Post
from publisher.errors import PublisherError
from publisher.ledger import DeliveryStatus
from publisher.settings import SocialAccount, SocialOptions

__all__ = [
    "CredentialsError",
    "Http",
    "PostError",
    "PostKey",
    "Poster",
    "Ref",
    "ThreadRefs",
    "credentials",
]

_DETAIL = 300


class PostError(PublisherError, RuntimeError):
    """One post did not go out; ``status`` is what the ledger records for it."""

    def __init__(self, message: str, status: DeliveryStatus) -> None:
        super().__init__(message)
        self.status: DeliveryStatus = status


class CredentialsError(PublisherError, PermissionError):
    """An account's credentials are missing, expired or revoked."""


@dataclass(frozen=True, slots=True)
class Ref:
    """A published post as the platform names it (Bluesky adds the record's CID)."""

    id: str
    cid: str = ""

    def dump(self) -> str:
        """The ledger's ``remote_id`` form."""
        return f"{self.id} {self.cid}" if self.cid else self.id

    @classmethod
    def load(cls, text: str | None) -> Ref:
        ident, _, cid = (text or "").partition(" ")
        return cls(ident, cid)


@dataclass(frozen=True, slots=True)
class ThreadRefs:
    """The first and the latest post of a thread so far (replies need both on Bluesky)."""

    root: Ref | None = None
    parent: Ref | None = None

    def after(self, ref: Ref) -> ThreadRefs:
        return ThreadRefs(self.root or ref, ref)


@dataclass(frozen=True, slots=True)
class PostKey:
    """What makes a post the same post on every attempt: Issue, account, index."""

    issue_number: int
    issue_date: date
    account: str
    index: int

    def token(self) -> str:
        """A stable idempotency key (Mastodon's Idempotency-Key)."""
        raw = f"publisher:{self.issue_number}:{self.issue_date}:{self.account}:{self.index}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


class Poster(Protocol):
    """Publishes posts to one account."""

    account: SocialAccount

    def verify(self) -> Rule | None:
        """Check the credentials before anything is claimed; the account's own limits if any."""

    def publish(self, post: Post, thread: ThreadRefs, key: PostKey) -> Ref:
        """Publish *post* (a reply in *thread* where the platform threads); *key* is stable."""

    def close(self) -> None:
        """Release the HTTP session."""


def credentials(account: SocialAccount) -> str:
    """The account's secret from its environment variable, or a clear error."""
    value = os.environ.get(account.credentials_env, "").strip()
    if not value:
        raise CredentialsError(
            f"account '{account.name}' ({account.platform}): {account.credentials_env} "
            "is not set; credentials come only from the environment")
    return value


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait: the Retry-After header (seconds or a date), or Telegram's field."""
    raw = response.headers.get("Retry-After", "").strip()
    if raw:
        try:
            return max(float(raw), 0.0)
        except ValueError:
            try:
                return max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
            except (TypeError, ValueError):
                return None
    try:
        body = response.json()
    except ValueError:
        return None
    params = body.get("parameters") if isinstance(body, dict) else None
    wait = params.get("retry_after") if isinstance(params, dict) else None
    return float(wait) if isinstance(wait, int | float) else None


def _detail(response: requests.Response) -> str:
    return " ".join(response.text.split())[:_DETAIL]


class Http:
    """One account's HTTP session with the retry, rate-limit and error rules above."""

    def __init__(self, account: SocialAccount, options: SocialOptions, *,
                 session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.account, self.options = account, options
        self.session = session or requests.Session()
        self.sleep = sleep

    def _who(self) -> str:
        return f"account '{self.account.name}' ({self.account.platform})"

    def request(self, method: str, url: str, *, idempotent: bool = True,
                **kwargs: Any) -> requests.Response:
        """Send one request under the rules; the response is a 2xx (or 3xx) one."""
        kwargs.setdefault("timeout", self.options.timeout)
        for attempt in range(self.options.max_retries + 1):
            last = attempt == self.options.max_retries
            response = self._send(method, url, idempotent=idempotent, last=last, **kwargs)
            if response is None:
                self.sleep(min(2.0 ** attempt, self.options.retry_after_cap))
                continue
            if response.status_code == 429 or response.status_code >= 500:
                self._wait_or_defer(response, attempt, last)
                continue
            self._raise_for(response)
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(self, method: str, url: str, *, idempotent: bool, last: bool,
              **kwargs: Any) -> requests.Response | None:
        """The response, or None when a connection failure may be retried."""
        try:
            return self.session.request(method, url, **kwargs)
        except requests.ConnectionError as exc:
            sent = not isinstance(exc, requests.ConnectTimeout) and _maybe_sent(exc)
            self._connection_failed(type(exc).__name__, sent, idempotent, last)
        except requests.Timeout as exc:
            self._connection_failed(type(exc).__name__, True, idempotent, last)
        except requests.RequestException as exc:
            # The message would carry the URL (and Telegram's token): name the kind only.
            raise PostError(f"{self._who()}: request failed ({type(exc).__name__})",
                            "deferred") from None
        return None

    def _connection_failed(self, kind: str, sent: bool, idempotent: bool,
                           last: bool) -> None:
        if sent and not idempotent:
            raise PostError(f"{self._who()}: {kind} after the request was sent; it may "
                            "have been posted: check the account, then resolve the ledger",
                            "unknown")
        if last:
            raise PostError(f"{self._who()}: {kind}; retried later", "deferred")

    def _wait_or_defer(self, response: requests.Response, attempt: int, last: bool) -> None:
        wait = _retry_after(response)
        code = response.status_code
        if wait is None:
            wait = min(2.0 ** attempt, self.options.retry_after_cap)
        if wait > self.options.retry_after_cap or last:
            raise PostError(f"{self._who()}: HTTP {code}, retry after {wait:.0f} s; "
                            "deferred to the next run", "deferred")
        self.sleep(wait)

    def _raise_for(self, response: requests.Response) -> None:
        code = response.status_code
        if code == 401 or _expired(response):
            raise CredentialsError(
                f"{self._who()}: the credentials in {self.account.credentials_env} were "
                f"refused (expired or revoked?): HTTP {code} {_detail(response)}")
        if code >= 400:
            raise PostError(f"{self._who()}: HTTP {code} {_detail(response)}", "failed")


def _maybe_sent(exc: requests.ConnectionError) -> bool:
    """Whether a connection error may have come after the request was written."""
    text = str(exc)
    return "Connection aborted" in text or "RemoteDisconnected" in text


def _expired(response: requests.Response) -> bool:
    """Bluesky answers an expired session with 400 ExpiredToken, not 401."""
    if response.status_code != 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error") in ("ExpiredToken", "InvalidToken")
