"""Provider webhooks: hard bounces and complaints suppress the address on every list.

Each webhook checks its provider's proof of origin before reading a byte of
the payload as data:

* Postmark does not sign; its URL is protected with HTTP basic auth
  (``PUBLISHER_POSTMARK_WEBHOOK_USER`` / ``PUBLISHER_POSTMARK_WEBHOOK_PASSWORD``);
* SendGrid signs with ECDSA (``PUBLISHER_SENDGRID_WEBHOOK_KEY``, the
  verification key from its settings page);
* Mailgun signs with HMAC (``PUBLISHER_MAILGUN_SIGNING_KEY``).

A webhook whose secret is not set answers 404: an unauthenticated endpoint
would let anyone suppress any subscriber. Soft bounces are acknowledged and
otherwise ignored here; counting them is the email channel's business.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from publisher.audience.bounces import (
    BounceEvent,
    parse_mailgun,
    parse_postmark,
    parse_sendgrid,
    verify_mailgun,
    verify_sendgrid,
)
from publisher.errors import ContentError
from publisher.store import Store
from publisher.web.forms import MAX_WEBHOOK_BYTES, read_body

__all__ = ["WebhookSecrets", "suppress_events", "webhook_router"]

_SENDGRID_SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
_SENDGRID_TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"
_NOT_CONFIGURED = "This webhook is not configured."


@dataclass(frozen=True, slots=True)
class WebhookSecrets:
    """Webhook credentials; all from the environment, never from a settings file."""

    postmark_user: str = ""
    postmark_password: str = field(default="", repr=False)
    sendgrid_key: str = field(default="", repr=False)
    mailgun_key: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSecrets:
        e = os.environ if env is None else env
        return cls(
            postmark_user=e.get("PUBLISHER_POSTMARK_WEBHOOK_USER", ""),
            postmark_password=e.get("PUBLISHER_POSTMARK_WEBHOOK_PASSWORD", ""),
            sendgrid_key=e.get("PUBLISHER_SENDGRID_WEBHOOK_KEY", ""),
            mailgun_key=e.get("PUBLISHER_MAILGUN_SIGNING_KEY", ""),
        )

    def check(self) -> None:
        """Fail at startup, not on the first webhook, if the SendGrid key is not a key."""
        if self.sendgrid_key:
            # An empty signature never verifies; a malformed key raises ConfigError.
            verify_sendgrid(self.sendgrid_key, b"", "", "0")


def suppress_events(store: Store, events: Sequence[BounceEvent]) -> int:
    """Suppress every hard bounce and complaint in *events*; how many were new."""
    wanted = [e for e in events if e.kind in ("hard", "complaint")]
    if not wanted:
        return 0
    count = 0
    with store.begin() as conn:
        for event in wanted:
            reason: Literal["complaint", "hard_bounce"] = (
                "complaint" if event.kind == "complaint" else "hard_bounce"
            )
            detail = f"{event.provider}: {event.detail}"
            count += store.audience.suppress(conn, event.email, reason, detail)
    return count


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "The body is not JSON.") from None


def _basic_auth_ok(request: Request, user: str, password: str) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given_user, _, given_password = base64.b64decode(encoded, validate=True).decode(
            "utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    # Both compared in full, whatever the first gives, so timing says nothing.
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return user_ok and password_ok


async def _handle(store: Store, events: list[BounceEvent]) -> JSONResponse:
    suppressed = await run_in_threadpool(suppress_events, store, events)
    return JSONResponse({"events": len(events), "suppressed": suppressed})


def webhook_router(store: Store, secrets: WebhookSecrets) -> APIRouter:
    """The three webhook routes, over *store*, checking *secrets*."""
    router = APIRouter(prefix="/webhooks")

    @router.post("/postmark")
    async def postmark(request: Request) -> JSONResponse:
        if not (secrets.postmark_user and secrets.postmark_password):
            raise HTTPException(404, _NOT_CONFIGURED)
        if not _basic_auth_ok(request, secrets.postmark_user, secrets.postmark_password):
            raise HTTPException(401, "Authentication required.",
                                headers={"WWW-Authenticate": 'Basic realm="webhooks"'})
        payload = _json(await read_body(request, MAX_WEBHOOK_BYTES))
        if not isinstance(payload, Mapping):
            raise HTTPException(400, "The body must be a JSON object.")
        return await _handle(store, _parsed(parse_postmark, payload))

    @router.post("/sendgrid")
    async def sendgrid(request: Request) -> JSONResponse:
        if not secrets.sendgrid_key:
            raise HTTPException(404, _NOT_CONFIGURED)
        body = await read_body(request, MAX_WEBHOOK_BYTES)
        signature = request.headers.get(_SENDGRID_SIGNATURE, "")
        timestamp = request.headers.get(_SENDGRID_TIMESTAMP, "")
        # No age check on the timestamp: suppressing is idempotent, so a
        # replayed batch changes nothing.
        if not verify_sendgrid(secrets.sendgrid_key, body, signature, timestamp):
            raise HTTPException(403, "Bad signature.")
        payload = _json(body)
        if not isinstance(payload, list):
            raise HTTPException(400, "The body must be a JSON array.")
        return await _handle(store, _parsed(parse_sendgrid, payload))

    @router.post("/mailgun")
    async def mailgun(request: Request) -> JSONResponse:
        if not secrets.mailgun_key:
            raise HTTPException(404, _NOT_CONFIGURED)
        payload = _json(await read_body(request, MAX_WEBHOOK_BYTES))
        signed = _mailgun_signed(secrets.mailgun_key, payload)
        if signed is None:
            raise HTTPException(403, "Bad signature.")
        return await _handle(store, _parsed(parse_mailgun, signed))

    return router


def _mailgun_signed(key: str, payload: object) -> Mapping[str, object] | None:
    """*payload* if Mailgun signed it (the signature travels inside the JSON)."""
    if not isinstance(payload, Mapping):
        return None
    sig = payload.get("signature")
    if not isinstance(sig, Mapping):
        return None
    parts = [sig.get(name) for name in ("timestamp", "token", "signature")]
    if not all(isinstance(p, str) for p in parts):
        return None
    timestamp, token, signature = (str(p) for p in parts)
    return payload if verify_mailgun(key, timestamp, token, signature) else None


def _parsed(parse: Callable[[Any], list[BounceEvent]], payload: object) -> list[BounceEvent]:
    """*parse*(*payload*), with a payload the provider would not send as 400."""
    try:
        return parse(payload)
    except ContentError as exc:
        raise HTTPException(400, str(exc)) from None
