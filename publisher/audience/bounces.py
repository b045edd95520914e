"""Bounces and complaints, from mail reports and provider webhooks, as one event type.

* ``parse_dsn`` reads a report email: an RFC 3464 delivery status
  notification (hard and soft bounces) or an RFC 5965 abuse report
  (complaints), using only the standard ``email`` package.
* ``parse_postmark``, ``parse_sendgrid`` and ``parse_mailgun`` read webhook
  payloads (already decoded from JSON); ``verify_sendgrid`` and
  ``verify_mailgun`` check the signatures those providers put on them.
  Postmark does not sign: protect its webhook URL with basic auth.

Events that say nothing about deliverability (delivered, opened, ...) give no
``BounceEvent``; a payload that is not what its provider sends raises
``ContentError`` naming the field.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import hashlib
import hmac
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from publisher.audience.csvio import normalise_email
from publisher.errors import ConfigError, ContentError

__all__ = [
    "BounceEvent",
    "BounceKind",
    "parse_dsn",
    "parse_mailgun",
    "parse_postmark",
    "parse_sendgrid",
    "verify_mailgun",
    "verify_sendgrid",
]

BounceKind = Literal["hard", "soft", "complaint"]

# Details end up in logs and admin pages: one line, bounded.
_MAX_DETAIL = 500
_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_POSTMARK_BOUNCES: Mapping[str, BounceKind] = {
    "HardBounce": "hard",
    "BadEmailAddress": "hard",
    "SoftBounce": "soft",
    "Transient": "soft",
    "DnsError": "soft",
    "SpamComplaint": "complaint",
}


@dataclass(frozen=True, slots=True)
class BounceEvent:
    """A subscriber address that bounced (hard or soft) or complained.

    *email* is in the stored form (``csvio.normalise_email``) so it matches
    the subscriber table; *provider* is ``dsn``, ``arf``, ``postmark``,
    ``sendgrid`` or ``mailgun``; *detail* is the reason as the report gave it.
    """

    email: str
    kind: BounceKind
    provider: str
    detail: str


def _detail(*parts: object) -> str:
    pieces = (" ".join(str(part).split()) for part in parts if part is not None)
    text = "; ".join(piece for piece in pieces if piece)
    return text[:_MAX_DETAIL]


def _address(value: str, *, source: str, field: str) -> str:
    try:
        return normalise_email(value.strip().strip("<>").strip())
    except ValueError as exc:
        raise ContentError(f"is not a valid address: {exc}", source=source, field=field) from None


# --- report emails ---------------------------------------------------------


def parse_dsn(data: bytes, *, source: str) -> list[BounceEvent]:
    """Events from a delivery status notification or an ARF abuse report."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    report_type = str(message.get_param("report-type", "")).lower()
    if message.get_content_type() == "multipart/report":
        if report_type == "delivery-status":
            return _dsn_events(message, source)
        if report_type == "feedback-report":
            return _arf_events(message, source)
    raise ContentError(
        "is not a delivery status notification or abuse report (multipart/report)",
        source=source,
    )


def _report_part(message: EmailMessage, types: frozenset[str], source: str) -> Message:
    for part in message.iter_parts():
        if part.get_content_type() in types:
            return part
    raise ContentError(f"has no {' or '.join(sorted(types))} part", source=source)


def _field_blocks(part: Message) -> list[Message]:
    """The blank-line separated field groups of a report part.

    The parser splits message/delivery-status into groups itself; any other
    message/* part (global DSNs, feedback reports) arrives as one message
    whose body holds the remaining groups, so those are parsed here.
    """
    blocks: list[Message] = []
    payload = part.get_payload()
    items = payload if isinstance(payload, list) else []
    for item in (item for item in items if isinstance(item, Message)):
        blocks.append(item)
        body = item.get_payload()
        if isinstance(body, str):
            parser = HeaderParser(policy=email.policy.default)
            chunks = _BLANK_LINE.split(body.replace("\r\n", "\n"))
            blocks.extend(parser.parsestr(chunk) for chunk in chunks if chunk.strip())
    # Stray blank lines make empty groups; they describe no one.
    return [block for block in blocks if block.keys()]


def _dsn_events(message: EmailMessage, source: str) -> list[BounceEvent]:
    # The first group is about the message; each later one is one recipient.
    recipients = _field_blocks(_report_part(message, _DSN_TYPES, source))[1:]
    if not recipients:
        raise ContentError("has no per-recipient fields", source=source, field="Final-Recipient")
    events = (_recipient_event(block, source) for block in recipients)
    return [event for event in events if event is not None]


def _recipient_event(block: Message, source: str) -> BounceEvent | None:
    action = str(block.get("Action", "")).strip().lower()
    if action in {"delivered", "relayed", "expanded"}:
        return None
    if action not in {"failed", "delayed"}:
        raise ContentError(f"unknown action {action!r}", source=source, field="Action")
    status = str(block.get("Status", ""))
    match = _STATUS.match(status)
    if match is None:
        raise ContentError(f"is not an X.Y.Z status: {status!r}", source=source, field="Status")
    kind: BounceKind = "hard" if action == "failed" and match[1] == "5" else "soft"
    diagnostic = str(block.get("Diagnostic-Code", "")).partition(";")[2]
    return BounceEvent(_recipient(block, source), kind, "dsn", _detail(status, diagnostic))


def _recipient(block: Message, source: str) -> str:
    """The address we sent to: Original-Recipient when given, as forwarding
    may have rewritten Final-Recipient to an address we do not know."""
    for name in ("Original-Recipient", "Final-Recipient"):
        kind, _, address = str(block.get(name, "")).partition(";")
        if kind.strip().lower() == "rfc822" and address.strip():
            return _address(address, source=source, field=name)
    raise ContentError(
        "is missing or not an rfc822 address", source=source, field="Final-Recipient"
    )


def _arf_events(message: EmailMessage, source: str) -> list[BounceEvent]:
    blocks = _field_blocks(_report_part(message, frozenset({"message/feedback-report"}), source))
    report = blocks[0] if blocks else Message()
    feedback_type = str(report.get("Feedback-Type", "")).strip().lower()
    if not feedback_type:
        raise ContentError("is missing", source=source, field="Feedback-Type")
    # Other types (not-spam, virus, ...) are not a reader asking us to stop.
    if feedback_type not in {"abuse", "fraud"}:
        return []
    reporter = report.get("User-Agent") or report.get("Reporting-MTA") or "unknown"
    detail = _detail(f"{feedback_type} report from {reporter}")
    return [
        BounceEvent(address, "complaint", "arf", detail)
        for address in _complainants(report, message, source)
    ]


def _complainants(report: Message, message: EmailMessage, source: str) -> list[str]:
    """Who complained: Original-Rcpt-To, else the reported message's To.

    Some feedback loops redact the recipient; then there is no one to name.
    """
    field = "Original-Rcpt-To"
    values = [str(value) for value in report.get_all(field, [])]
    if not values:
        field, values = "To", _original_to(message)
    addresses = [address for _, address in getaddresses(values) if address]
    if not addresses:
        raise ContentError("is missing, and so is the original To", source=source, field=field)
    return list(dict.fromkeys(_address(a, source=source, field=field) for a in addresses))


def _original_to(message: EmailMessage) -> list[str]:
    """The To of the reported message, from its full copy or its headers."""
    for part in message.iter_parts():
        headers = _original_headers(part)
        if headers is not None:
            return [str(value) for value in headers.get_all("To", [])]
    return []


def _original_headers(part: Message) -> Message | None:
    payload = part.get_payload()
    if part.get_content_type() == "message/rfc822" and isinstance(payload, list):
        return next((item for item in payload if isinstance(item, Message)), None)
    if part.get_content_type() == "text/rfc822-headers" and isinstance(payload, str):
        return HeaderParser(policy=email.policy.default).parsestr(payload)
    return None


# --- webhook payload helpers -----------------------------------------------


def _mapping(value: object, *, source: str, field: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ContentError("must be an object", source=source, field=field)
    return value


def _text(data: Mapping[str, object], key: str, *, source: str, field: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContentError("must be a non-empty string", source=source, field=field)
    return value


def _event(
    data: Mapping[str, object], key: str, kind: BounceKind, detail: str, *, source: str, field: str
) -> BounceEvent:
    address = _address(_text(data, key, source=source, field=field), source=source, field=field)
    return BounceEvent(address, kind, source, detail)


# --- Postmark ----------------------------------------------------------------


def parse_postmark(payload: Mapping[str, object]) -> list[BounceEvent]:
    """Events from one Postmark bounce or spam complaint webhook call."""
    src = "postmark"
    payload = _mapping(payload, source=src, field="(payload)")
    record = _text(payload, "RecordType", source=src, field="RecordType")
    kind: BounceKind | None = None
    if record == "SpamComplaint":
        kind = "complaint"
    elif record == "Bounce":
        kind = _POSTMARK_BOUNCES.get(_text(payload, "Type", source=src, field="Type"))
    if kind is None:
        return []
    detail = _detail(payload.get("Type"), payload.get("Description") or payload.get("Details"))
    return [_event(payload, "Email", kind, detail, source=src, field="Email")]


# --- SendGrid ----------------------------------------------------------------


def _sendgrid_key(public_key_b64: str) -> ec.EllipticCurvePublicKey:
    """The verification key from SendGrid's settings page (base64 DER, or PEM)."""
    try:
        if "-----BEGIN" in public_key_b64:
            key = serialization.load_pem_public_key(public_key_b64.encode("ascii"))
        else:
            key = serialization.load_der_public_key(base64.b64decode(public_key_b64))
    except (ValueError, TypeError, binascii.Error):
        raise ConfigError("is not a public key", field="sendgrid_public_key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigError("is not an elliptic curve key", field="sendgrid_public_key")
    return key


def verify_sendgrid(public_key_b64: str, body: bytes, signature_b64: str, timestamp: str) -> bool:
    """Whether SendGrid signed *timestamp* + *body* (ECDSA P-256, SHA-256).

    *body* must be the raw request bytes, before any JSON parsing. The
    timestamp is signed but its age is not checked here: compare it to the
    clock yourself if replays matter.
    """
    key = _sendgrid_key(public_key_b64)
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, timestamp.encode("utf-8") + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def parse_sendgrid(events: Sequence[object]) -> list[BounceEvent]:
    """Events from one SendGrid Event Webhook batch (a JSON array)."""
    if not isinstance(events, list | tuple):
        raise ContentError("must be an array of events", source="sendgrid", field="(payload)")
    found: list[BounceEvent] = []
    for index, item in enumerate(events):
        event = _mapping(item, source="sendgrid", field=f"[{index}]")
        kind = _sendgrid_kind(event, index)
        if kind is not None:
            detail = _detail(event.get("event"), event.get("reason") or event.get("status"))
            found.append(
                _event(event, "email", kind, detail, source="sendgrid", field=f"[{index}].email")
            )
    return found


def _sendgrid_kind(event: Mapping[str, object], index: int) -> BounceKind | None:
    name = _text(event, "event", source="sendgrid", field=f"[{index}].event")
    if name == "spamreport":
        return "complaint"
    if name == "bounce":
        # Only "bounce" (or an old payload without a type) is permanent; an
        # unknown future type counts as soft, which never suppresses at once.
        return "hard" if event.get("type") in {"bounce", None} else "soft"
    if name == "dropped" and "Bounced Address" in str(event.get("reason", "")):
        return "hard"
    return None


# --- Mailgun -----------------------------------------------------------------


def verify_mailgun(
    signing_key: str,
    timestamp: str,
    token: str,
    signature: str,
    *,
    max_age: int = 300,
    now: float | None = None,
) -> bool:
    """Whether Mailgun signed *timestamp* + *token* (HMAC-SHA256, hex) recently.

    A timestamp more than *max_age* seconds from *now* is refused, so an old
    captured request cannot be replayed; to refuse a replay within that
    window, remember the tokens seen.
    """
    if not signing_key:
        raise ConfigError("must not be empty", field="mailgun_signing_key")
    try:
        signed_at = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - signed_at) > max_age:
        return False
    expected = hmac.new(
        signing_key.encode("utf-8"), (timestamp + token).encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8"))


def parse_mailgun(payload: Mapping[str, object]) -> list[BounceEvent]:
    """Events from one Mailgun webhook call (the JSON with ``event-data``)."""
    src = "mailgun"
    body = _mapping(payload, source=src, field="(payload)")
    data = _mapping(body.get("event-data"), source=src, field="event-data")
    name = _text(data, "event", source=src, field="event-data.event")
    if name == "complained":
        kind: BounceKind = "complaint"
    elif name == "failed":
        kind = _mailgun_severity(data)
    else:
        return []
    status = data.get("delivery-status")
    status = status if isinstance(status, Mapping) else {}
    detail = _detail(
        status.get("code"), status.get("description") or status.get("message"), data.get("reason")
    )
    return [_event(data, "recipient", kind, detail, source=src, field="event-data.recipient")]


def _mailgun_severity(data: Mapping[str, object]) -> BounceKind:
    severity = _text(data, "severity", source="mailgun", field="event-data.severity")
    if severity == "permanent":
        return "hard"
    if severity == "temporary":
        return "soft"
    raise ContentError(
        f"must be permanent or temporary, not {severity!r}",
        source="mailgun",
        field="event-data.severity",
    )
