"""``SmtpTransport``: one SMTP connection per message, for the odd single mail.

Confirmation mails and proofs are rare; a connection each is simplest.
Newsletters go through ``smtp_pool.SmtpPool`` (persistent connections).
``connect`` is shared by both: STARTTLS that refuses to fall back to clear
text, implicit TLS, or (for a local relay) neither.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

from channels.base import TransportError
from channels.email.message import check_headers
from publisher.errors import ConfigError

__all__ = ["SmtpSecurity", "SmtpTransport", "check_security", "connect"]

SmtpSecurity = Literal["starttls", "tls", "none"]


def check_security(security: str, user: str) -> None:
    if security not in ("starttls", "tls", "none"):
        raise ConfigError(f"unknown security '{security}'", field="email.smtp_security")
    if user and security == "none":
        raise ConfigError("a login needs smtp_security starttls or tls",
                          field="email.smtp_user")


def connect(host: str, port: int, security: str, timeout: float, context: ssl.SSLContext,
            local_hostname: str | None = None) -> smtplib.SMTP:
    """An SMTP session after EHLO (and STARTTLS when asked), not yet logged in."""
    smtp = (smtplib.SMTP_SSL(host, port, local_hostname=local_hostname, timeout=timeout,
                             context=context) if security == "tls"
            else smtplib.SMTP(host, port, local_hostname=local_hostname, timeout=timeout))
    try:
        smtp.ehlo()
        if security == "starttls":
            # starttls() raises if the server does not offer it: never fall back to clear text.
            smtp.starttls(context=context)
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


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
        check_security(security, user)
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
        return connect(self.host, self.port, self.security, self.timeout, self._context)

    def close(self) -> None:
        """Nothing to release: no connection outlives a send."""
