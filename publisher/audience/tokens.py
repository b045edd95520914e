"""Signed tokens for the links a subscriber clicks.

Two kinds, both with key rotation (the LAST key signs, every listed key
verifies, so a new key is appended, and an old one removed once the links it
signed no longer matter):

* ``ConfirmTokens``: double opt-in confirmation links. They expire, so they
  are itsdangerous timed tokens.
* ``LinkTokens``: unsubscribe and preference links. They sit in every sent
  email and must keep working for years, so they never expire; each one is
  bound to a purpose, a subscriber and a list, and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, get_args

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from publisher.errors import ConfigError, PublisherError

__all__ = ["ConfirmTokens", "LinkPurpose", "LinkTokens", "TokenError"]

LinkPurpose = Literal["unsubscribe", "preferences"]

_PURPOSES: frozenset[str] = frozenset(get_args(LinkPurpose))
# Keys shorter than this are guessable offline from one token.
_MIN_KEY_LENGTH = 16
# A link token is a few dozen characters; refuse to hash megabytes.
_MAX_TOKEN_LENGTH = 512
# 128 bits of HMAC-SHA256 is ample against forgery and keeps URLs short.
_MAC_BYTES = 16
# Domain separation: these keys may also sign other things.
_LINK_CONTEXT = b"publisher.link-token.v1\x00"


class TokenError(PublisherError, ValueError):
    """A token is tampered with, expired, malformed or meant for something else."""


def _check_keys(secret_keys: Sequence[str]) -> list[str]:
    # A bare string is a Sequence[str] too; taking it as keys of one
    # character each would silently sign with a one-letter key.
    if isinstance(secret_keys, str):
        raise ConfigError("must be a list of keys, not one string", field="secret_keys")
    keys = list(secret_keys)
    if not keys:
        raise ConfigError("at least one key is required", field="secret_keys")
    if any(len(key) < _MIN_KEY_LENGTH for key in keys):
        raise ConfigError(
            f"every key needs at least {_MIN_KEY_LENGTH} characters", field="secret_keys"
        )
    return keys


def _check_ids(subscriber_id: int, list_id: str) -> None:
    if isinstance(subscriber_id, bool) or not isinstance(subscriber_id, int):
        raise TypeError("subscriber_id must be an int")
    if not isinstance(list_id, str) or not list_id:
        raise ValueError("list_id must be a non-empty string")


class _ClockedSigner(TimestampSigner):
    """A TimestampSigner whose notion of "now" can be injected (tests, replays)."""

    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class ConfirmTokens:
    """Expiring tokens for double opt-in confirmation links."""

    def __init__(
        self,
        secret_keys: Sequence[str],
        max_age: int = 7 * 86400,
        salt: str = "publisher.confirm",
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(
            _check_keys(secret_keys),
            salt=salt,
            signer=_ClockedSigner,
            signer_kwargs={"clock": clock},
        )

    def dumps(self, subscriber_id: int, list_id: str) -> str:
        """A URL-safe token for confirming *subscriber_id* on *list_id*."""
        _check_ids(subscriber_id, list_id)
        return self._serializer.dumps([subscriber_id, list_id])

    def loads(self, token: str) -> tuple[int, str]:
        """The (subscriber id, list id) a valid, unexpired token was made for."""
        try:
            payload = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise TokenError("confirmation link has expired") from None
        except BadData:
            raise TokenError("confirmation link is invalid") from None
        return _ids_from(payload, "confirmation link is invalid")


def _ids_from(payload: object, message: str) -> tuple[int, str]:
    """Check the shape of a verified payload: [int, str]."""
    match payload:
        case [int() as subscriber_id, str() as list_id] if not isinstance(subscriber_id, bool):
            return subscriber_id, list_id
    raise TokenError(message)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkTokens:
    """Non-expiring HMAC-SHA256 tokens for unsubscribe and preference links.

    A token is ``base64url(payload) + "." + base64url(mac)``; the payload is
    the JSON ``[purpose, subscriber_id, list_id]`` and the MAC covers the
    payload's base64 text exactly, so no two strings verify as one token.
    """

    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._keys = [key.encode("utf-8") for key in _check_keys(secret_keys)]

    def make(self, purpose: LinkPurpose, subscriber_id: int, list_id: str) -> str:
        """A token that lets its holder do *purpose* for one subscriber on one list."""
        if purpose not in _PURPOSES:
            raise ValueError(f"unknown purpose {purpose!r}")
        _check_ids(subscriber_id, list_id)
        payload = json.dumps(
            [purpose, subscriber_id, list_id], separators=(",", ":"), ensure_ascii=False
        )
        body = _b64encode(payload.encode("utf-8"))
        token = f"{body}.{self._mac(self._keys[-1], body)}"
        if len(token) > _MAX_TOKEN_LENGTH:
            raise ValueError("list_id is too long for a link token")
        return token

    def verify(
        self, token: str, purpose: LinkPurpose, expected_list_id: str | None = None
    ) -> tuple[int, str]:
        """The (subscriber id, list id) of a genuine token made for *purpose*.

        With *expected_list_id*, a token for any other list is refused too.
        """
        if purpose not in _PURPOSES:
            raise ValueError(f"unknown purpose {purpose!r}")
        body = self._authentic_body(token)
        try:
            payload = json.loads(_b64decode(body))
        except (ValueError, binascii.Error):
            raise TokenError("link is invalid") from None
        if not isinstance(payload, list) or len(payload) != 3:
            raise TokenError("link is invalid")
        if payload[0] != purpose:
            raise TokenError(f"link is not for {purpose}")
        subscriber_id, list_id = _ids_from(payload[1:], "link is invalid")
        if expected_list_id is not None and list_id != expected_list_id:
            raise TokenError("link is for another list")
        return subscriber_id, list_id

    def _authentic_body(self, token: str) -> str:
        """The payload part of *token* once some listed key's MAC matches."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
            raise TokenError("link is invalid")
        body, dot, mac = token.partition(".")
        if not dot or not body or not mac:
            raise TokenError("link is invalid")
        given = mac.encode("ascii")
        # Every key is tried, so a token signed before a rotation still works.
        if not any(
            hmac.compare_digest(self._mac(key, body).encode("ascii"), given) for key in self._keys
        ):
            raise TokenError("link is invalid")
        return body

    @staticmethod
    def _mac(key: bytes, body: str) -> str:
        digest = hmac.new(key, _LINK_CONTEXT + body.encode("ascii"), hashlib.sha256).digest()
        return _b64encode(digest[:_MAC_BYTES])
