"""``SmtpPool``: the newsletter over persistent SMTP connections.

Throughput over SMTP is set by round trips, not bytes: a message costs four
(MAIL, RCPT, DATA, end of data) unless the server offers PIPELINING
(RFC 2920), when MAIL, RCPT and DATA go in one write and it costs two. So
the pool keeps *size* connections open, one per worker thread, sends up to
*per_connection* messages on each before a fresh one (servers limit that
too), and waits for every message's own replies, so each outcome is known.

Outcomes, per the design's rules:

* 250 after the end of data: ``sent`` (the reply text is the remote id);
* 421 at any point, or the connection dropping before the end of data: the
  message was not taken; reconnect and try again (a few times, then
  ``deferred``);
* other 4xx: ``deferred``; 5xx to RCPT: ``failed``, a hard bounce when the
  mailbox does not exist (550/551/553 or status 5.1.x); 5xx to DATA:
  ``failed``;
* no reply after the end of data (timeout, dropped connection): ``unknown``,
  never sent again by itself;
* a refused sender, login or TLS is our configuration, not the recipient:
  ``deferred``, so fixing it and running again sends them.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.policy import SMTP
from typing import TYPE_CHECKING

from channels.base import TransportError
from channels.email.delivery import Result
from channels.email.message import check_headers
from channels.email.ratelimit import RateLimit
from channels.email.smtp import SmtpSecurity, check_security, connect

if TYPE_CHECKING:
    from channels.email.mime import IssueMail, Personal

__all__ = ["SmtpPool"]

_DOT_LINE = re.compile(rb"(?m)^\.")
_HARD_STATUS = re.compile(rb"^\s*5\.1\.\d")
_ATTEMPTS = 3


class _Retry(Exception):
    """The connection is unusable but the message was not taken: reconnect, send again."""


def _stuffed(data: bytes) -> bytes:
    """*data* with SMTP dot-stuffing (RFC 5321 4.5.2): for messages not made by IssueMail."""
    if data.startswith(b".") or b"\n." in data:
        data = _DOT_LINE.sub(b"..", data)
    return data


def _end_of_data(data: bytes) -> bytes:
    return data + (b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n")


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:300]


class _Connection:
    """One SMTP session and how many messages it carried."""

    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp
        self.sent = 0
        self.broken = False
        self.pipelining = smtp.has_extn("pipelining")

    def transact(self, sender: str, rcpt: str, data: bytes, target: str) -> Result:
        """One dot-stuffed message; raises ``_Retry`` if it should go again on a new
        connection."""
        try:
            replies = self._envelope(sender, rcpt)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Retry(str(exc)) from None
        refused = self._refusal(replies, target)
        if refused is not None:
            return refused
        try:
            self.smtp.send(_end_of_data(data))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Retry(str(exc)) from None  # the end of data never reached the server
        try:
            code, reply = self.smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            return Result(target, "unknown", detail=f"no reply after the end of data: {exc}")
        self.sent += 1
        return self._after_data(code, reply, target)

    def _envelope(self, sender: str, rcpt: str) -> list[tuple[int, bytes]]:
        """Replies to MAIL, RCPT and DATA, in one round trip when the server pipelines."""
        commands = [f"MAIL FROM:<{sender}>", f"RCPT TO:<{rcpt}>", "DATA"]
        if self.pipelining:
            self.smtp.send("".join(c + "\r\n" for c in commands))
            return [self.smtp.getreply() for _ in commands]
        replies = []
        for command in commands:
            self.smtp.putcmd(command)
            replies.append(self.smtp.getreply())
            if replies[-1][0] >= 400:
                break
        return replies

    def _refusal(self, replies: list[tuple[int, bytes]], target: str) -> Result | None:
        """The outcome when MAIL, RCPT or DATA was refused; None when DATA said 354."""
        expected = (250, 250, 354)
        for step, (code, reply) in enumerate(replies):
            if code == expected[step] or (step == 1 and code == 251):
                continue
            self._abandon(replies)
            if code == 421:
                raise _Retry(_text(reply))
            detail = f"{code} {_text(reply)}"
            if step == 0 or code < 500:
                # A refused sender is our configuration; 4xx is transient.
                return Result(target, "deferred", detail=detail)
            hard = step == 1 and (code in (550, 551, 553) or bool(_HARD_STATUS.match(reply)))
            return Result(target, "failed", detail=detail, hard_bounce=hard)
        return None

    def _abandon(self, replies: list[tuple[int, bytes]]) -> None:
        """Leave the transaction cleanly so the connection can carry the next message."""
        try:
            if replies and replies[-1][0] == 354:
                # A pipelining server said 354 after refusing the recipient:
                # an empty message ends the data phase; then reset.
                self.smtp.send(b".\r\n")
                self.smtp.getreply()
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.broken = True  # the next message gets a new connection

    @staticmethod
    def _after_data(code: int, reply: bytes, target: str) -> Result:
        if code == 250:
            return Result(target, "sent", remote_id=_text(reply))
        if code == 421:
            raise _Retry(_text(reply))  # not taken: the server is closing
        detail = f"{code} {_text(reply)}"
        return Result(target, "deferred", detail=detail) if code < 500 else Result(
            target, "failed", detail=detail)

    def close(self) -> None:
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


class SmtpPool:
    """A pool of persistent SMTP connections; a ``Transport`` and a ``Mailer``."""

    max_batch = 500

    def __init__(self, host: str, port: int, security: SmtpSecurity = "starttls",
                 user: str = "", password: str = "", timeout: float = 30.0, *,
                 size: int = 4, per_connection: int = 100, limit: RateLimit | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        check_security(security, user)
        self.host, self.port, self.security, self.user = host, port, security, user
        self.timeout, self.size, self.per_connection = timeout, size, per_connection
        self._password = password
        self._context = ssl_context or ssl.create_default_context()
        self._limit = limit or RateLimit()
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="smtp")
        self._local = threading.local()
        self._open: set[_Connection] = set()
        self._lock = threading.Lock()
        # getfqdn() may wait on DNS: ask once, on the first connection.
        self._hostname: str | None = None

    def __repr__(self) -> str:  # without the password
        return (f"SmtpPool({self.host!r}, {self.port}, {self.security!r}, user={self.user!r}, "
                f"size={self.size})")

    def deliver(self, mail: IssueMail, batch: Sequence[Personal]) -> list[Result]:
        sender = mail.publication.sender_address
        return list(self._executor.map(
            lambda p: self._send(sender, p.address, lambda: mail.mime(p, stuffed=True),
                                 p.target), batch))

    def send(self, message: EmailMessage) -> None:
        """One finished message (a confirmation, a proof) over a pooled connection."""
        check_headers(message)
        to = message["To"].addresses[0].addr_spec
        sender = message["From"].addresses[0].addr_spec
        data = _stuffed(message.as_bytes(policy=SMTP))
        result = self._executor.submit(self._send, sender, to, lambda: data, to).result()
        if result.status != "sent":
            raise TransportError(f"SMTP {self.host}:{self.port}: {result.detail}")

    def _send(self, sender: str, rcpt: str, build: Callable[[], bytes], target: str) -> Result:
        self._limit.acquire()
        data = build()
        last = ""
        for _ in range(_ATTEMPTS):
            try:
                conn = self._connection()
            except (smtplib.SMTPException, OSError) as exc:
                return Result(target, "deferred", detail=f"cannot connect: {_text(str(exc))}")
            try:
                return conn.transact(sender, rcpt, data, target)
            except _Retry as exc:
                last = str(exc)
                self._drop(conn)
        return Result(target, "deferred", detail=f"connection kept closing: {last}")

    def _connection(self) -> _Connection:
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is not None and (conn.broken or conn.sent >= self.per_connection):
            self._drop(conn)
            conn = None
        if conn is None:
            self._hostname = self._hostname or socket.getfqdn()
            smtp = connect(self.host, self.port, self.security, self.timeout, self._context,
                           self._hostname)
            try:
                if self.user:
                    smtp.login(self.user, self._password)
            except BaseException:
                smtp.close()
                raise
            conn = self._local.conn = _Connection(smtp)
            with self._lock:
                self._open.add(conn)
        return conn

    def _drop(self, conn: _Connection) -> None:
        self._local.conn = None
        with self._lock:
            self._open.discard(conn)
        conn.close()

    def close(self) -> None:
        """Finish what is queued, then QUIT every connection."""
        self._executor.shutdown(wait=True)
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            conn.close()
