"""The SMTP pool against real servers on 127.0.0.1: aiosmtpd, and a pipelining one."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.base import TransportError
from channels.email.channel import EmailChannel
from channels.email.mime import IssueMail, Personal
from channels.email.smtp_pool import SmtpPool
from channels.email.transport import build_message, make_address
from publisher.content import Issue
from tests.channels.email.conftest import free_port
from tests.channels.email.test_transport import (  # noqa: F401  (fixtures)
    Sink,
    _client_context,
    certificate,
    starttls_server,
)

DATE = "Fri, 04 Dec 2026 06:00:00 GMT"


@dataclass
class Server:
    """Keeps what arrives; misbehaves for some addresses, as real servers do."""

    received: list[tuple[str, bytes]] = field(default_factory=list)
    sessions: int = 0
    closed_once: set[str] = field(default_factory=set)

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope,
                          hostname: str, responses: list[str]) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, options: list[str]) -> str:
        if address.startswith("soft"):
            return "451 4.2.0 mailbox busy, try later"
        if address.startswith("gone"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session,
                          envelope: Envelope) -> str:
        rcpt = envelope.rcpt_tos[0]
        if rcpt.startswith("reject"):
            return "554 5.7.1 content refused"
        if rcpt.startswith("bye") and rcpt not in self.closed_once:
            self.closed_once.add(rcpt)
            return "421 4.3.2 shutting down"
        if rcpt.startswith("slow"):
            await asyncio.sleep(3)
        assert isinstance(envelope.content, bytes)
        self.received.append((rcpt, envelope.content))
        return "250 2.0.0 queued as Q1"


@pytest.fixture
def server() -> Iterator[tuple[Server, int]]:
    handler = Server()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _people(mail: IssueMail, *addresses: str) -> list[Personal]:
    return [mail.personal(i + 1, a, f"Reader {i}", DATE) for i, a in enumerate(addresses)]


def test_a_batch_goes_over_few_persistent_connections(server: tuple[Server, int],
                                                      channel: EmailChannel,
                                                      issue: Issue) -> None:
    handler, port = server
    mail = channel.prepare(issue)
    pool = SmtpPool("127.0.0.1", port, "none", size=2, per_connection=100, timeout=5)
    people = _people(mail, *(f"r{i}@example.org" for i in range(20)))
    results = pool.deliver(mail, people)
    pool.close()
    assert [r.status for r in results] == ["sent"] * 20
    assert [r.target for r in results] == [p.target for p in people]
    assert results[0].remote_id == "2.0.0 queued as Q1"
    assert handler.sessions <= 2
    assert sorted(rcpt for rcpt, _ in handler.received) == sorted(p.address for p in people)
    for rcpt, data in handler.received:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert parsed["To"].addresses[0].addr_spec == rcpt
        assert parsed.get_body(("html",)) is not None


def test_messages_per_connection_are_capped(server: tuple[Server, int], channel: EmailChannel,
                                            issue: Issue) -> None:
    handler, port = server
    mail = channel.prepare(issue, "text")
    pool = SmtpPool("127.0.0.1", port, "none", size=1, per_connection=3, timeout=5)
    assert all(r.status == "sent" for r in pool.deliver(mail, _people(
        mail, *(f"r{i}@example.org" for i in range(7)))))
    pool.close()
    assert handler.sessions == 3


def test_outcomes_follow_the_reply_codes(server: tuple[Server, int], channel: EmailChannel,
                                         issue: Issue) -> None:
    handler, port = server
    mail = channel.prepare(issue, "text")
    pool = SmtpPool("127.0.0.1", port, "none", size=1, timeout=5)
    results = pool.deliver(mail, _people(
        mail, "ok@example.org", "soft@example.org", "gone@example.org", "reject@example.org",
        "bye@example.org", "after@example.org"))
    pool.close()
    got = {r.target.split("@")[0]: (r.status, r.hard_bounce) for r in results}
    assert got == {"ok": ("sent", False), "soft": ("deferred", False),
                   "gone": ("failed", True), "reject": ("failed", False),
                   "bye": ("sent", False), "after": ("sent", False)}
    assert "451" in results[1].detail and "550" in results[2].detail
    # 421 closed the connection; the message went again on a new one, once.
    assert [rcpt for rcpt, _ in handler.received].count("bye@example.org") == 1
    assert handler.sessions == 2


def test_no_reply_after_the_data_is_unknown(server: tuple[Server, int], channel: EmailChannel,
                                            issue: Issue) -> None:
    _, port = server
    mail = channel.prepare(issue, "text")
    pool = SmtpPool("127.0.0.1", port, "none", size=1, timeout=0.5)
    slow, after = pool.deliver(mail, _people(mail, "slow@example.org", "next@example.org"))
    pool.close()
    assert slow.status == "unknown" and "after the end of data" in slow.detail
    assert after.status == "sent"


def test_an_unreachable_server_defers(channel: EmailChannel, issue: Issue) -> None:
    mail = channel.prepare(issue, "text")
    pool = SmtpPool("127.0.0.1", free_port(), "none", size=1, timeout=2)
    (result,) = pool.deliver(mail, _people(mail, "a@example.org"))
    pool.close()
    assert result.status == "deferred" and "cannot connect" in result.detail


def test_starttls_login_and_single_messages(starttls_server: tuple[Sink, int],  # noqa: F811
                                            certificate: tuple[Path, Path, bytes],  # noqa: F811
                                            channel: EmailChannel, issue: Issue) -> None:
    sink, port = starttls_server
    pool = SmtpPool("127.0.0.1", port, "starttls", "user", "s3cret", 5, size=1,
                    ssl_context=_client_context(certificate))
    mail = channel.prepare(issue, "text")
    assert [r.status for r in pool.deliver(mail, _people(mail, "a@example.org",
                                                         "b@example.org"))] == ["sent"] * 2
    pool.send(build_message(sender=make_address("", "news@news.example.org", "From"),
                            to=make_address("", "c@example.org", "To"), subject="Proof",
                            text="x"))
    pool.close()
    assert sink.logins == [(b"user", b"s3cret")]  # one login: one connection
    assert [rcpts for _, rcpts, _ in sink.received] == [
        ["a@example.org"], ["b@example.org"], ["c@example.org"]]
    assert "s3cret" not in repr(pool)


def test_a_refused_single_message_raises(server: tuple[Server, int]) -> None:
    _, port = server
    pool = SmtpPool("127.0.0.1", port, "none", size=1, timeout=5)
    message: EmailMessage = build_message(
        sender=make_address("", "news@news.example.org", "From"),
        to=make_address("", "gone@example.org", "To"), subject="x", text="x")
    with pytest.raises(TransportError, match="550"):
        pool.send(message)
    pool.close()


# --- a server that offers PIPELINING (RFC 2920) ----------------------------------------


class _Pipelining(asyncio.Protocol):
    """Just enough SMTP; answers each command as it is read, batches included."""

    log: list[bytes]
    received: list[bytes]

    def connection_made(self, transport: Any) -> None:
        self.t, self.buf, self.in_data = transport, bytearray(), False
        transport.write(b"220 pipe ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.log.append(data)
        self.buf += data
        while True:
            if self.in_data:
                end = self.buf.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.received.append(bytes(self.buf[:end + 2]))
                del self.buf[:end + 5]
                self.in_data = False
                self.t.write(b"250 OK\r\n")
                continue
            nl = self.buf.find(b"\r\n")
            if nl < 0:
                return
            line = bytes(self.buf[:nl])
            del self.buf[:nl + 2]
            self._command(line)

    def _command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            self.t.write(b"250-pipe\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        elif verb == b"RCPT" and b"gone" in line:
            self.t.write(b"550 5.1.1 no such user\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self.buf[0:0] = b"\r\n"
            self.t.write(b"354 go ahead\r\n")  # even after a refused RCPT, as some do
        elif verb == b"QUIT":
            self.t.write(b"221 bye\r\n")
            self.t.close()
        else:
            self.t.write(b"250 OK\r\n")


@pytest.fixture
def pipelining() -> Iterator[tuple[list[bytes], list[bytes], int]]:
    log: list[bytes] = []
    received: list[bytes] = []
    loop = asyncio.new_event_loop()
    proto = type("P", (_Pipelining,), {"log": log, "received": received})
    server = loop.run_until_complete(loop.create_server(proto, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield log, received, port
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def test_pipelining_sends_the_envelope_in_one_write(
        pipelining: tuple[list[bytes], list[bytes], int], channel: EmailChannel,
        issue: Issue) -> None:
    log, received, port = pipelining
    mail = channel.prepare(issue, "text")
    pool = SmtpPool("127.0.0.1", port, "none", size=1, timeout=5)
    results = pool.deliver(mail, _people(mail, "a@example.org", "gone@example.org",
                                         "b@example.org"))
    pool.close()
    assert [(r.status, r.hard_bounce) for r in results] == [
        ("sent", False), ("failed", True), ("sent", False)]
    assert any(chunk.startswith(b"MAIL FROM:") and b"RCPT TO:" in chunk and b"DATA" in chunk
               for chunk in log)
    assert len([m for m in received if m.strip()]) == 2
