"""Bounce and complaint parsing: DSN/ARF emails, Postmark, SendGrid and Mailgun webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from publisher.audience.bounces import (
    BounceEvent,
    parse_dsn,
    parse_mailgun,
    parse_postmark,
    parse_sendgrid,
    verify_mailgun,
    verify_sendgrid,
)
from publisher.errors import ConfigError, ContentError

SAMPLES = Path(__file__).parent / "dsn_samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# --- DSN and ARF emails ----------------------------------------------------


def test_postfix_hard_bounce_two_recipients() -> None:
    events = parse_dsn(sample("postfix_hard_two_recipients.eml"), source="hard.eml")
    assert [(e.email, e.kind, e.provider) for e in events] == [
        ("gone.reader@example.com", "hard", "dsn"),
        ("nobody@example.net", "hard", "dsn"),
    ]
    # Folded Diagnostic-Code is unfolded to one line.
    assert events[0].detail == (
        "5.1.1; 550 5.1.1 <Gone.Reader@example.com>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    )


def test_delayed_is_soft_and_delivered_gives_nothing() -> None:
    events = parse_dsn(sample("delayed_soft.eml"), source="delayed.eml")
    assert events == [
        BounceEvent(
            "full.box@example.com",
            "soft",
            "dsn",
            "4.2.2; 452 4.2.2 <full.box@example.com>: Mailbox full",
        )
    ]


def test_crlf_line_ends() -> None:
    data = sample("postfix_hard_two_recipients.eml").replace(b"\n", b"\r\n")
    assert len(parse_dsn(data, source="crlf.eml")) == 2


def dsn_with(recipient_fields: str, report_type: str = "message/delivery-status") -> bytes:
    return (
        "From: MAILER-DAEMON@mail.example.net\n"
        "To: bounces@news.example.org\n"
        "Subject: Undeliverable\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n'
        "\n"
        "--b\n"
        "Content-Type: text/plain\n"
        "\n"
        "Could not deliver.\n"
        "--b\n"
        f"Content-Type: {report_type}\n"
        "\n"
        "Reporting-MTA: dns; mail.example.net\n"
        "\n"
        f"{recipient_fields}\n"
        "--b--\n"
    ).encode()


def test_failed_with_4xx_status_is_soft() -> None:
    events = parse_dsn(
        dsn_with("Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 4.4.7"),
        source="x.eml",
    )
    assert [(e.email, e.kind, e.detail) for e in events] == [("a@example.com", "soft", "4.4.7")]


def test_original_recipient_is_preferred_over_a_forwarded_final_one() -> None:
    fields = (
        "Original-Recipient: rfc822;Reader@Example.com\n"
        "Final-Recipient: rfc822; reader.forwarded@elsewhere.example\n"
        "Action: failed\n"
        "Status: 5.2.1 (mailbox disabled)"
    )
    events = parse_dsn(dsn_with(fields), source="x.eml")
    assert [(e.email, e.kind) for e in events] == [("reader@example.com", "hard")]


def test_global_delivery_status_is_read_too() -> None:
    fields = (
        "Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n\n"
        "Final-Recipient: rfc822; b@example.com\nAction: delayed\nStatus: 4.2.2"
    )
    events = parse_dsn(dsn_with(fields, "message/global-delivery-status"), source="x.eml")
    assert [(e.email, e.kind) for e in events] == [
        ("a@example.com", "hard"),
        ("b@example.com", "soft"),
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ("Final-Recipient: rfc822; a@example.com\nStatus: 5.1.1", "Action"),
        ("Final-Recipient: rfc822; a@example.com\nAction: exploded\nStatus: 5.1.1", "Action"),
        ("Final-Recipient: rfc822; a@example.com\nAction: failed", "Status"),
        ("Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: bad", "Status"),
        ("Action: failed\nStatus: 5.1.1", "Final-Recipient"),
        ("Final-Recipient: x400; /C=US/\nAction: failed\nStatus: 5.1.1", "Final-Recipient"),
        (
            "Final-Recipient: rfc822; not an address\nAction: failed\nStatus: 5.1.1",
            "Final-Recipient",
        ),
    ],
)
def test_malformed_recipient_fields_name_the_field(fields: str, field: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_dsn(dsn_with(fields), source="bad.eml")
    assert (caught.value.source, caught.value.field) == ("bad.eml", field)


def test_dsn_without_recipients() -> None:
    with pytest.raises(ContentError, match="per-recipient"):
        parse_dsn(dsn_with(""), source="bad.eml")


def test_report_without_status_part() -> None:
    data = dsn_with("", "text/plain")
    with pytest.raises(ContentError, match="delivery-status") as caught:
        parse_dsn(data, source="bad.eml")
    assert caught.value.source == "bad.eml"


def test_arf_complaint() -> None:
    events = parse_dsn(sample("arf_complaint.eml"), source="arf.eml")
    assert events == [
        BounceEvent(
            "annoyed.reader@example.com", "complaint", "arf", "abuse report from ExampleFBL/1.0"
        )
    ]


def test_arf_without_rcpt_to_falls_back_to_the_original_to() -> None:
    data = sample("arf_complaint.eml").replace(
        b"Original-Rcpt-To: <Annoyed.Reader@example.com>\n", b""
    )
    assert b"Original-Rcpt-To" not in data
    events = parse_dsn(data, source="arf.eml")
    assert [(e.email, e.kind) for e in events] == [("annoyed.reader@example.com", "complaint")]


def test_arf_with_only_rfc822_headers() -> None:
    data = (
        sample("arf_complaint.eml")
        .replace(b"Original-Rcpt-To: <Annoyed.Reader@example.com>\n", b"")
        .replace(b"Content-Type: message/rfc822", b"Content-Type: text/rfc822-headers")
    )
    events = parse_dsn(data, source="arf.eml")
    assert [e.email for e in events] == ["annoyed.reader@example.com"]


def test_arf_not_spam_is_no_complaint() -> None:
    data = sample("arf_complaint.eml").replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam")
    assert parse_dsn(data, source="arf.eml") == []


def test_arf_without_any_recipient() -> None:
    data = (
        sample("arf_complaint.eml")
        .replace(b"Original-Rcpt-To: <Annoyed.Reader@example.com>\n", b"")
        .replace(b"To: Annoyed.Reader@example.com\n", b"")
    )
    with pytest.raises(ContentError, match="missing") as caught:
        parse_dsn(data, source="arf.eml")
    assert caught.value.field == "To"


def test_arf_without_feedback_type() -> None:
    data = sample("arf_complaint.eml").replace(b"Feedback-Type: abuse\n", b"")
    with pytest.raises(ContentError) as caught:
        parse_dsn(data, source="arf.eml")
    assert caught.value.field == "Feedback-Type"


@pytest.mark.parametrize(
    "data",
    [
        sample("plain_reply.eml"),
        b"",
        b"\x00\xff garbage",
        dsn_with("Final-Recipient: rfc822; a@example.com").replace(
            b"report-type=delivery-status", b"report-type=disposition-notification"
        ),
    ],
)
def test_non_reports_are_content_errors(data: bytes) -> None:
    with pytest.raises(ContentError, match="not a delivery status") as caught:
        parse_dsn(data, source="inbox/42.eml")
    assert caught.value.source == "inbox/42.eml"


# --- Postmark ----------------------------------------------------------------


def postmark(record: str, type_: str, address: object = "John@Example.com") -> dict[str, Any]:
    return {
        "RecordType": record,
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": type_,
        "TypeCode": 1,
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": address,
        "From": "news@news.example.org",
        "BouncedAt": "2026-11-27T16:33:54.9070259Z",
    }


@pytest.mark.parametrize(
    ("record", "type_", "kind"),
    [
        ("Bounce", "HardBounce", "hard"),
        ("Bounce", "SoftBounce", "soft"),
        ("Bounce", "Transient", "soft"),
        ("SpamComplaint", "SpamComplaint", "complaint"),
    ],
)
def test_postmark(record: str, type_: str, kind: str) -> None:
    (event,) = parse_postmark(postmark(record, type_))
    assert (event.email, event.kind, event.provider) == ("john@example.com", kind, "postmark")
    assert event.detail.startswith(f"{type_}; The server")


@pytest.mark.parametrize(
    ("record", "type_"), [("Bounce", "AutoResponder"), ("Delivery", ""), ("Open", "x")]
)
def test_postmark_other_records_give_nothing(record: str, type_: str) -> None:
    assert parse_postmark(postmark(record, type_)) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"Type": "HardBounce", "Email": "a@example.com"}, "RecordType"),
        ({"RecordType": "Bounce", "Email": "a@example.com"}, "Type"),
        (postmark("Bounce", "HardBounce", address=None), "Email"),
        (postmark("Bounce", "HardBounce", address="nobody"), "Email"),
        ([], "(payload)"),
    ],
)
def test_postmark_malformed(payload: Any, field: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_postmark(payload)
    assert caught.value.field == field


# --- SendGrid ----------------------------------------------------------------


@pytest.fixture(scope="module")
def sendgrid_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_b64(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def sign(key: ec.EllipticCurvePrivateKey, timestamp: str, body: bytes) -> str:
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


SENDGRID_EVENTS: list[dict[str, Any]] = [
    {
        "email": "Hard@Example.com",
        "timestamp": 1795770842,
        "event": "bounce",
        "type": "bounce",
        "status": "5.0.0",
        "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
        "sg_event_id": "ZGVsaXZlcmVk",
    },
    {"email": "blocked@example.com", "event": "bounce", "type": "blocked", "status": "4.0.0"},
    {"email": "dropped@example.com", "event": "dropped", "reason": "Bounced Address"},
    {"email": "unsub@example.com", "event": "dropped", "reason": "Unsubscribed Address"},
    {"email": "spam@example.com", "event": "spamreport"},
    {"email": "fine@example.com", "event": "delivered", "response": "250 OK"},
    {"email": "fine@example.com", "event": "open"},
]


def test_sendgrid_signature(sendgrid_key: ec.EllipticCurvePrivateKey) -> None:
    body = json.dumps(SENDGRID_EVENTS).encode()
    timestamp = "1795770842"
    signature = sign(sendgrid_key, timestamp, body)
    key = public_b64(sendgrid_key)
    assert verify_sendgrid(key, body, signature, timestamp)
    assert not verify_sendgrid(key, body + b" ", signature, timestamp)
    assert not verify_sendgrid(
        key, body.replace(b"spamreport", b"spamreporT"), signature, timestamp
    )
    assert not verify_sendgrid(key, body, signature, "1795770843")
    other = ec.generate_private_key(ec.SECP256R1())
    assert not verify_sendgrid(public_b64(other), body, signature, timestamp)


@pytest.mark.parametrize("signature", ["", "not base64!", base64.b64encode(b"\x30\x00").decode()])
def test_sendgrid_garbage_signature(
    sendgrid_key: ec.EllipticCurvePrivateKey, signature: str
) -> None:
    assert not verify_sendgrid(public_b64(sendgrid_key), b"[]", signature, "1")


def test_sendgrid_pem_key(sendgrid_key: ec.EllipticCurvePrivateKey) -> None:
    pem = sendgrid_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert verify_sendgrid(pem.decode(), b"[]", sign(sendgrid_key, "5", b"[]"), "5")


def test_sendgrid_bad_public_key() -> None:
    with pytest.raises(ConfigError):
        verify_sendgrid("bm90IGEga2V5", b"[]", "", "1")
    rsa_der = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ConfigError, match="elliptic"):
        verify_sendgrid(base64.b64encode(rsa_der).decode(), b"[]", "", "1")


def test_parse_sendgrid() -> None:
    events = parse_sendgrid(SENDGRID_EVENTS)
    assert [(e.email, e.kind) for e in events] == [
        ("hard@example.com", "hard"),
        ("blocked@example.com", "soft"),
        ("dropped@example.com", "hard"),
        ("spam@example.com", "complaint"),
    ]
    assert {e.provider for e in events} == {"sendgrid"}
    assert events[0].detail.startswith("bounce; 550 5.1.1")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"event": "bounce"}, "(payload)"),
        (["bounce"], "[0]"),
        ([{"email": "a@example.com", "event": "open"}, {"email": "a@example.com"}], "[1].event"),
        ([{"event": "spamreport"}], "[0].email"),
        ([{"event": "spamreport", "email": 7}], "[0].email"),
    ],
)
def test_sendgrid_malformed(payload: Any, field: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_sendgrid(payload)
    assert (caught.value.source, caught.value.field) == ("sendgrid", field)


# --- Mailgun -------------------------------------------------------------------

MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
NOW = 1_795_770_842.0


def mailgun_signature(timestamp: str, token: str, key: str = MAILGUN_KEY) -> str:
    return hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def test_mailgun_signature() -> None:
    timestamp, token = str(int(NOW)), "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = mailgun_signature(timestamp, token)
    assert verify_mailgun(MAILGUN_KEY, timestamp, token, signature, now=NOW)
    assert verify_mailgun(MAILGUN_KEY, timestamp, token, signature, now=NOW + 300)
    assert not verify_mailgun(MAILGUN_KEY, timestamp, token + "0", signature, now=NOW)
    flipped = signature[:-1] + ("1" if signature.endswith("0") else "0")
    assert not verify_mailgun(MAILGUN_KEY, timestamp, token, flipped, now=NOW)
    assert not verify_mailgun("key-other", timestamp, token, signature, now=NOW)
    assert not verify_mailgun(MAILGUN_KEY, timestamp, token, "é" * 64, now=NOW)


def test_mailgun_stale_or_future_timestamps_are_refused() -> None:
    timestamp, token = str(int(NOW)), "tok"
    signature = mailgun_signature(timestamp, token)
    assert not verify_mailgun(MAILGUN_KEY, timestamp, token, signature, now=NOW + 301)
    assert not verify_mailgun(MAILGUN_KEY, timestamp, token, signature, now=NOW - 301)
    assert verify_mailgun(MAILGUN_KEY, timestamp, token, signature, max_age=3600, now=NOW + 3000)


def test_mailgun_uses_the_clock_by_default() -> None:
    stale = "1000000000"
    assert not verify_mailgun(MAILGUN_KEY, stale, "tok", mailgun_signature(stale, "tok"))


def test_mailgun_bad_timestamp_and_key() -> None:
    assert not verify_mailgun(MAILGUN_KEY, "soon", "tok", mailgun_signature("soon", "tok"))
    with pytest.raises(ConfigError):
        verify_mailgun("", "1", "tok", "00")


def mailgun(event: str, **fields: object) -> dict[str, Any]:
    return {
        "signature": {"timestamp": "1795770842", "token": "tok", "signature": "00"},
        "event-data": {
            "event": event,
            "recipient": "Alice@Example.com",
            "timestamp": 1795770842.5,
            "delivery-status": {
                "attempt-no": 1,
                "code": 550,
                "message": "",
                "description": "No such mailbox",
            },
            **fields,
        },
    }


@pytest.mark.parametrize(
    ("event", "fields", "kind"),
    [
        ("failed", {"severity": "permanent", "reason": "bounce"}, "hard"),
        ("failed", {"severity": "temporary", "reason": "generic"}, "soft"),
        ("complained", {}, "complaint"),
    ],
)
def test_parse_mailgun(event: str, fields: dict[str, object], kind: str) -> None:
    (found,) = parse_mailgun(mailgun(event, **fields))
    assert (found.email, found.kind, found.provider) == ("alice@example.com", kind, "mailgun")
    assert found.detail.startswith("550; No such mailbox")


@pytest.mark.parametrize("event", ["delivered", "opened", "unsubscribed"])
def test_mailgun_other_events_give_nothing(event: str) -> None:
    assert parse_mailgun(mailgun(event)) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"signature": {}}, "event-data"),
        ({"event-data": "failed"}, "event-data"),
        (mailgun("failed"), "event-data.severity"),
        (mailgun("failed", severity="fatal"), "event-data.severity"),
        (mailgun("complained", recipient=""), "event-data.recipient"),
        ({"event-data": {"recipient": "a@example.com"}}, "event-data.event"),
    ],
)
def test_mailgun_malformed(payload: Any, field: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_mailgun(payload)
    assert (caught.value.source, caught.value.field) == ("mailgun", field)
