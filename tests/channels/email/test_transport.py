"""Transports against real things: a Maildir on disk and an aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import mailbox
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from channels.base import Transport, TransportError
from channels.email.transport import (
    MaildirOutbox,
    MemoryOutbox,
    SmtpTransport,
    build_message,
    check_headers,
    make_address,
)
from publisher.errors import ConfigError, ContentError


def _message(to: str = "reader@example.org", subject: str = "Hello") -> EmailMessage:
    return build_message(
        sender=make_address("The Dispatch", "news@dispatch.example", "From"),
        to=make_address("Ann Reader", to, "To"),
        subject=subject,
        text="Plain body, with ünïcode.\n",
        html="<p>HTML body</p>",
    )


# --- the message builder ----------------------------------------------------------


def test_a_built_message_has_the_usual_headers() -> None:
    msg = _message()
    assert msg["From"] == "The Dispatch <news@dispatch.example>"
    assert msg["Message-ID"].endswith("@dispatch.example>")
    assert msg["Date"]
    assert msg.get_body(("html",)) is not None


@pytest.mark.parametrize("bad", ["A\r\nBcc: x@example.org", "A\nB", "A\rB", "A\x00B"])
def test_cr_lf_and_nul_are_refused_everywhere(bad: str) -> None:
    with pytest.raises(ContentError):
        make_address(bad, "a@example.org", "To")
    with pytest.raises(ContentError):
        make_address("A", f"a@example.org{bad}", "To")
    sender = make_address("", "news@dispatch.example", "From")
    with pytest.raises(ContentError):
        build_message(sender=sender, to=sender, subject=bad, text="x")
    with pytest.raises(ContentError):
        build_message(sender=sender, to=sender, subject="s", text="x", headers={"X-Tag": bad})
    with pytest.raises(ContentError):
        build_message(sender=sender, to=sender, subject="s", text="x", headers={bad: "v"})


def test_a_hand_made_message_with_an_injected_header_is_not_sent(tmp_path: Path) -> None:
    # compat32 takes any string as a header value; the transports check again.
    msg = Message()
    msg["To"] = "a@example.org\r\nBcc: victim@example.org"
    msg.set_payload("x")
    with pytest.raises(ContentError):
        check_headers(msg)
    for transport in (MemoryOutbox(), MaildirOutbox(tmp_path / "box")):
        with pytest.raises(ContentError):
            transport.send(msg)  # type: ignore[arg-type]
    assert not (tmp_path / "box").exists()


def test_the_transports_are_transports(tmp_path: Path) -> None:
    for t in (MemoryOutbox(), MaildirOutbox(tmp_path), SmtpTransport("localhost", 25, "none")):
        assert isinstance(t, Transport)


# --- Maildir and memory -------------------------------------------------------------


def test_maildir_outbox_writes_readable_mail(tmp_path: Path) -> None:
    box_path = tmp_path / "data" / "outbox"
    outbox = MaildirOutbox(box_path)
    assert not box_path.exists()  # made on the first send, not before
    outbox.send(_message("one@example.org"))
    outbox.send(_message("two@example.org"))
    outbox.close()
    files = sorted((box_path / "new").iterdir())
    assert len(files) == 2
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
              for f in files]
    assert sorted(str(m["To"]) for m in parsed) == [
        "Ann Reader <one@example.org>", "Ann Reader <two@example.org>"]
    body = parsed[0].get_body(("plain",))
    assert body is not None and "ünïcode" in body.get_content()
    assert len(mailbox.Maildir(box_path)) == 2
    assert box_path.stat().st_mode & 0o077 == 0


def test_maildir_outbox_reports_disk_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(TransportError, match="outbox"):
        MaildirOutbox(blocker / "outbox").send(_message())


def test_memory_outbox_keeps_messages_until_closed() -> None:
    outbox = MemoryOutbox()
    outbox.send(_message())
    assert [m["To"] for m in outbox.outbox] == ["Ann Reader <reader@example.org>"]
    outbox.close()
    with pytest.raises(TransportError):
        outbox.send(_message())


# --- SMTP -------------------------------------------------------------------------------


@dataclass
class Sink:
    """An aiosmtpd handler that keeps what it receives."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, options: list[str]) -> str:
        if address.endswith("@refused.example"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.received.append((str(envelope.mail_from), list(envelope.rcpt_tos),
                              envelope.content))
        return "250 OK"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                     mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        ok = (auth_data.login, auth_data.password) == (b"user", b"s3cret")
        return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes]:
    """A self-signed certificate for 127.0.0.1: (cert file, key file, PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(pem)
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem", pem


def _server_context(certificate: tuple[Path, Path, bytes]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(certificate[0], certificate[1])
    return ctx


def _client_context(certificate: tuple[Path, Path, bytes]) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=certificate[2].decode())


@pytest.fixture
def smtp_server() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path, bytes]) -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port,
                            tls_context=_server_context(certificate), require_starttls=True,
                            authenticator=sink.authenticate, auth_require_tls=True)
    controller.start()
    yield sink, port
    controller.stop()


def test_smtp_without_tls_to_a_local_relay(smtp_server: tuple[Sink, int]) -> None:
    sink, port = smtp_server
    SmtpTransport("127.0.0.1", port, "none", timeout=5).send(_message())
    [(sender, rcpts, data)] = sink.received
    assert (sender, rcpts) == ("news@dispatch.example", ["reader@example.org"])
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == "Hello"


def test_smtp_starttls_with_login(starttls_server: tuple[Sink, int],
                                  certificate: tuple[Path, Path, bytes]) -> None:
    sink, port = starttls_server
    transport = SmtpTransport("127.0.0.1", port, "starttls", "user", "s3cret", 5,
                              ssl_context=_client_context(certificate))
    transport.send(_message())
    transport.close()
    assert sink.logins == [(b"user", b"s3cret")]
    assert len(sink.received) == 1
    assert "s3cret" not in repr(transport)


def test_smtp_bad_password_is_a_transport_error(starttls_server: tuple[Sink, int],
                                                certificate: tuple[Path, Path, bytes]) -> None:
    sink, port = starttls_server
    transport = SmtpTransport("127.0.0.1", port, "starttls", "user", "wrong", 5,
                              ssl_context=_client_context(certificate))
    with pytest.raises(TransportError) as info:
        transport.send(_message())
    assert "wrong" not in str(info.value)
    assert sink.received == []


def test_starttls_is_never_skipped(smtp_server: tuple[Sink, int]) -> None:
    # This server offers no STARTTLS: the transport must stop, not send in clear.
    sink, port = smtp_server
    with pytest.raises(TransportError, match="STARTTLS"):
        SmtpTransport("127.0.0.1", port, "starttls", timeout=5).send(_message())
    assert sink.received == []


def test_starttls_checks_the_certificate(starttls_server: tuple[Sink, int]) -> None:
    sink, port = starttls_server
    # The default context does not trust the self-signed certificate.
    with pytest.raises(TransportError):
        SmtpTransport("127.0.0.1", port, "starttls", timeout=5).send(_message())
    assert sink.received == []


def test_implicit_tls(certificate: tuple[Path, Path, bytes]) -> None:
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port,
                            ssl_context=_server_context(certificate))
    controller.start()
    try:
        SmtpTransport("127.0.0.1", port, "tls", timeout=5,
                      ssl_context=_client_context(certificate)).send(_message())
    finally:
        controller.stop()
    assert len(sink.received) == 1


def test_a_refused_recipient_is_a_transport_error(smtp_server: tuple[Sink, int]) -> None:
    _, port = smtp_server
    with pytest.raises(TransportError, match="refused"):
        SmtpTransport("127.0.0.1", port, "none", timeout=5).send(
            _message("nobody@refused.example"))


def test_an_unreachable_server_is_a_transport_error() -> None:
    with pytest.raises(TransportError, match=r"127\.0\.0\.1"):
        SmtpTransport("127.0.0.1", _free_port(), "none", timeout=2).send(_message())


def test_a_login_without_tls_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="smtp_user"):
        SmtpTransport("mail.example.org", 25, "none", "user", "pw")
    with pytest.raises(ConfigError, match="smtp_security"):
        SmtpTransport("mail.example.org", 25, "ssl")  # type: ignore[arg-type]
