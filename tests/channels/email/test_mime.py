"""The MIME skeleton: what it parses into, header safety, encodings, DKIM."""

from __future__ import annotations

import base64
import email
import email.policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import dkim  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.email.channel import EmailChannel
from channels.email.mime import IssueMail, Personal
from channels.email.signing import DkimSigner
from publisher.content import Issue
from publisher.errors import ConfigError, ContentError
from tests.channels.email.conftest import golden_issue, make_channel

DATE = "Fri, 04 Dec 2026 06:00:00 GMT"
# Hypothesis tests run many examples per test: one channel and Issue for all.
_ISSUE = golden_issue()
_CHANNEL = make_channel(Path("/nonexistent"))
_TOP = ("From", "Reply-To", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
        "List-Unsubscribe-Post", "List-Id", "MIME-Version")


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _reference(mail: IssueMail, p: Personal) -> EmailMessage:
    """What the stdlib makes of the same content and headers."""
    msg = EmailMessage()
    msg["From"] = mail.sender
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg["To"] = p.to
    msg["Subject"] = mail.subject
    msg["Date"] = p.date
    msg["Message-ID"] = p.message_id
    for name, value in mail.list_headers(p).items():
        if name != "Message-ID":
            msg[name] = value
    msg.set_content(mail.text(p), cte="quoted-printable")
    html = mail.html(p)
    if html is not None:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return _parse(msg.as_bytes(policy=email.policy.SMTP))


def _structure(message: Message) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for part in message.walk():
        assert isinstance(part, EmailMessage)
        body = None if part.is_multipart() else part.get_content()
        out.append((part.get_content_type(), part.get_content_charset(),
                    part.get("Content-Transfer-Encoding"), part.is_multipart(), body))
    return out


def _headers(message: Message) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in message.items() if k in _TOP]


@pytest.mark.parametrize("segment", ["html", "text"])
def test_the_skeleton_parses_like_email_message(channel: EmailChannel, issue: Issue,
                                                segment: str) -> None:
    mail = channel.prepare(issue, segment)  # type: ignore[arg-type]
    p = mail.personal(42, "ann@example.org", "Ann Reader", DATE)
    ours, reference = _parse(mail.mime(p)), _reference(mail, p)
    assert _structure(ours) == _structure(reference)
    assert _headers(ours) == _headers(reference)
    assert not ours.defects and not any(part.defects for part in ours.walk())
    expected = "multipart/alternative" if segment == "html" else "text/plain"
    assert ours.get_content_type() == expected
    if segment == "html":
        assert [part.get_content_type() for part in ours.iter_parts()] == [
            "text/plain", "text/html"]


def test_lines_stay_short_and_bodies_decode_exactly(channel: EmailChannel,
                                                   issue: Issue) -> None:
    mail = channel.prepare(issue)
    p = mail.personal(42, "ann@example.org", "Ann Reader", DATE)
    data = mail.mime(p)
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
    body_start = lines.index(b"")
    assert max(len(line) for line in lines[body_start:]) <= 76
    assert max(len(line) for line in lines[:body_start]) < 998
    parsed = _parse(data)
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == mail.text(p)
    assert html.get_content().replace("\r\n", "\n") == mail.html(p)


def test_headers_for_one_click_unsubscribe(channel: EmailChannel, issue: Issue) -> None:
    mail = channel.prepare(issue)
    p = mail.personal(42, "ann@example.org", "Ann Reader", DATE)
    parsed = _parse(mail.mime(p))
    https, mailto = (part.strip() for part in str(parsed["List-Unsubscribe"]).split(","))
    assert https == f"<{p.values['unsubscribe_url']}>"
    assert https.startswith("<https://news.example.org/unsubscribe/")
    assert mailto.startswith("<mailto:unsubscribe@news.example.org?subject=unsubscribe%20")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == "The Steppe Dispatch <newsletter.news.example.org>"
    assert parsed["Message-ID"] == p.message_id
    assert p.message_id == mail.personal(42, "ann@example.org", "", DATE).message_id
    proof = mail.personal(42, "ann@example.org", "", DATE, proof=True)
    assert proof.message_id != p.message_id


def test_the_unsubscribe_token_is_the_subscribers(channel: EmailChannel, issue: Issue) -> None:
    mail = channel.prepare(issue)
    p = mail.personal(42, "ann@example.org", "", DATE)
    token = p.values["unsubscribe_url"].rsplit("/", 1)[1]
    assert channel.link_tokens.verify(token, "unsubscribe") == (42, "newsletter")
    token = p.values["preferences_url"].rsplit("/", 1)[1]
    assert channel.link_tokens.verify(token, "preferences") == (42, "newsletter")


def _display_name(data: bytes) -> str:
    """The To display name as RFC 2047 decodes it.

    Not through the modern parser's address objects: those insert a space
    between adjacent encoded words of a phrase, which RFC 2047 6.2 says to drop.
    """
    raw = str(email.message_from_bytes(data, policy=email.policy.compat32)["To"])
    display, _, addr = raw.rpartition(" <")
    assert addr == "ann@example.org>"
    if display.startswith("=?"):
        return str(make_header(decode_header(display)))
    name, addr = parseaddr(raw)
    assert addr == "ann@example.org"
    return name


@pytest.mark.parametrize("name", ["Ānn Çelik", "Reader, Jr.", 'Ann "the reader" \\ O.',
                                  "x" * 150, "Нұрсұлтан " * 20])
def test_names_round_trip_through_the_to_header(channel: EmailChannel, issue: Issue,
                                                name: str) -> None:
    mail = channel.prepare(issue, "text")
    data = mail.mime(mail.personal(1, "ann@example.org", name, DATE))
    (address,) = _parse(data)["To"].addresses
    assert address.addr_spec == "ann@example.org"
    assert _display_name(data) == name.strip()


_names = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=150, deadline=None)
@given(before=_names, after=_names, bad=st.sampled_from(["\r", "\n", "\0", "\r\n"]))
def test_header_injection_is_refused(before: str, after: str, bad: str) -> None:
    mail = _CHANNEL.prepare(_ISSUE, "text")
    with pytest.raises(ContentError):
        mail.personal(1, "ann@example.org", before + bad + after, DATE)
    with pytest.raises(ContentError):
        mail.personal(1, f"ann{bad}bcc@example.org", "Ann", DATE)


_printable = st.text(st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]),
                     min_size=1, max_size=60).map(lambda s: " ".join(s.split())).filter(bool)


@settings(max_examples=150, deadline=None)
@given(name=_printable)
def test_any_safe_name_round_trips_and_adds_no_header(name: str) -> None:
    mail = _CHANNEL.prepare(_ISSUE, "text")
    data = mail.mime(mail.personal(1, "ann@example.org", name, DATE))
    parsed = _parse(data)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["ann@example.org"]
    assert _display_name(data) == name
    assert sorted(parsed.keys()) == sorted([*_TOP, "Content-Type", "Content-Transfer-Encoding"])


def test_dkim_signature_verifies(tmp_path: Path, issue: Issue) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    channel = make_channel(tmp_path, dkim_selector="s1", dkim_domain="news.example.org",
                           dkim_private_key=pem)
    mail = channel.prepare(issue)
    data = mail.mime(mail.personal(1, "ann@example.org", "Ann", DATE))
    assert data.startswith(b"DKIM-Signature: ")
    signature = _parse(data)["DKIM-Signature"]
    assert "list-unsubscribe:list-unsubscribe-post" in str(signature).replace(" ", "").lower()

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"s1._domainkey.news.example.org."
        return f"v=DKIM1; k=rsa; p={public}".encode()

    assert dkim.verify(data, dnsfunc=dns)
    assert "PRIVATE" not in repr(channel.dkim)


def test_a_bad_dkim_key_fails_at_start_not_at_send() -> None:
    with pytest.raises(ConfigError) as info:
        DkimSigner("s1", "news.example.org", "-----BEGIN PRIVATE KEY-----\nnope\n")
    assert "nope" not in str(info.value)



def test_the_smtp_form_is_the_message_dot_stuffed(channel: EmailChannel, issue: Issue) -> None:
    import re

    mail = channel.prepare(issue)
    p = mail.personal(1, "ann@example.org", ". leading dot", DATE)
    plain = mail.mime(p)
    assert mail.mime(p, stuffed=True) == re.sub(rb"(?m)^\.", b"..", plain)
