"""Email transports, and the message builder that keeps headers injection-free.

Three transports, all ``channels.base.Transport``:

* ``MaildirOutbox``: writes each message into a Maildir (stdlib ``mailbox``);
  the default, so nothing leaves the machine until SMTP is configured. Any
  mail client can open the folder.
* ``SmtpTransport``: ``smtplib`` with STARTTLS, implicit TLS or (for a local
  relay) neither; one connection per message. Connection reuse and ESP APIs
  belong to the email channel proper.
* ``MemoryOutbox``: keeps messages in ``.outbox``, for tests.

Every transport refuses a message with CR, LF or NUL in a header value: one
of those in a subscriber's name would otherwise let them add headers (a
``Bcc:`` to anyone) to mail sent in the publication's name.
"""

from __future__ import annotations

import mailbox
import re
import smtplib
import ssl
import threading
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

from channels.base import TransportError
from publisher.errors import ConfigError, ContentError

__all__ = [
    "MaildirOutbox",
    "MemoryOutbox",
    "SmtpSecurity",
    "SmtpTransport",
    "build_message",
    "check_headers",
    "make_address",
    "safe_header",
]

SmtpSecurity = Literal["starttls", "tls", "none"]

_FORBIDDEN = frozenset("\r\n\0")
# RFC 5322 field names: printable ASCII except the colon.
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")


# --- messages ----------------------------------------------------------------


def safe_header(value: str, field: str) -> str:
    """*value* unchanged, or ``ContentError`` if it holds CR, LF or NUL."""
    if _FORBIDDEN.intersection(value):
        raise ContentError("must not contain line breaks or NUL characters", field=field)
    return value


def make_address(display_name: str, addr_spec: str, field: str) -> Address:
    """An ``Address`` whose parts were checked before the stdlib parses them."""
    safe_header(display_name, field)
    safe_header(addr_spec, field)
    try:
        return Address(display_name=display_name, addr_spec=addr_spec)
    except (ValueError, IndexError) as exc:
        # IndexError: the stdlib parser's answer to some malformed addr-specs.
        raise ContentError(f"is not a valid address: {exc}", field=field) from None


def build_message(
    *,
    sender: Address,
    to: Address,
    subject: str,
    text: str,
    html: str | None = None,
    reply_to: Address | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A complete message (Date and Message-ID included), every header checked."""
    msg = EmailMessage()  # policy "default": strict header objects, SMTP-ready
    msg["From"] = sender
    msg["To"] = to
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    msg["Subject"] = safe_header(subject, "Subject")
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.domain or None)
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.match(name):
            raise ContentError(f"'{name!r}' is not a header name", field="headers")
        msg[name] = safe_header(value, name)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    check_headers(msg)
    return msg


def check_headers(message: Message) -> None:
    """Refuse *message* if any header of any part holds CR, LF or NUL.

    Messages built by ``build_message`` pass by construction; this catches
    ones built elsewhere (a compat32 message takes any string as a header).
    """
    for part in message.walk():
        for name, value in part.items():
            safe_header(str(value), name)


# --- transports --------------------------------------------------------------


class MemoryOutbox:
    """Keeps sent messages in ``outbox``, in order; for tests and previews."""

    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._closed = False

    def send(self, message: EmailMessage) -> None:
        check_headers(message)
        with self._lock:
            if self._closed:
                raise TransportError("the outbox is closed")
            self.outbox.append(message)

    def close(self) -> None:
        self._closed = True


class MaildirOutbox:
    """Writes each message as a new file in the Maildir at *path* (made on first send)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._box: mailbox.Maildir | None = None
        # mailbox.Maildir names files with a per-process counter that is not
        # thread-safe; one lock keeps two sends from racing for a name.
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        check_headers(message)
        with self._lock:
            try:
                if self._box is None:
                    # Maildir makes its own folders owner-only (0700): the
                    # messages hold subscribers' addresses.
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._box = mailbox.Maildir(self.path, create=True)
                self._box.add(message)
            except OSError as exc:
                raise TransportError(f"cannot write to the outbox {self.path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            if self._box is not None:
                self._box.close()
                self._box = None


class SmtpTransport:
    """Sends through an SMTP server, one connection per message.

    *security* is ``starttls`` (refuses to go on if the server does not offer
    it, rather than fall back to clear text), ``tls`` (implicit TLS) or
    ``none`` (only without a login: a password never travels in clear).
    """

    def __init__(
        self,
        host: str,
        port: int,
        security: SmtpSecurity = "starttls",
        user: str = "",
        password: str = "",
        timeout: float = 30.0,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("starttls", "tls", "none"):
            raise ConfigError(f"unknown security '{security}'", field="email.smtp_security")
        if user and security == "none":
            raise ConfigError("a login needs smtp_security starttls or tls",
                              field="email.smtp_user")
        self.host, self.port, self.security = host, port, security
        self.user, self.timeout = user, timeout
        self._password = password
        # The default context checks the certificate and the host name.
        self._context = ssl_context or ssl.create_default_context()

    def __repr__(self) -> str:  # without the password
        return f"SmtpTransport({self.host!r}, {self.port}, {self.security!r}, user={self.user!r})"

    def send(self, message: EmailMessage) -> None:
        check_headers(message)
        try:
            with self._connect() as smtp:
                if self.user:
                    smtp.login(self.user, self._password)
                refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"SMTP {self.host}:{self.port}: {exc}") from None
        if refused:
            raise TransportError(f"SMTP {self.host}:{self.port} refused {sorted(refused)}")

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=self._context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        """Nothing to release: no connection outlives a send."""
