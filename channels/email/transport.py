"""Email transports and the header-safe message builder, under their old names.

Each transport lives in its own module; this one keeps the names other
parts import (``publisher.audience.signup``, the web app's tests):

* ``MaildirOutbox`` (``maildir.py``): each message a file in a Maildir; the
  default, so nothing leaves the machine until a real transport is set;
* ``SmtpTransport`` (``smtp.py``): one SMTP connection per message;
* ``MemoryOutbox`` (``memory.py``): keeps messages in ``.outbox``, for tests;
* ``build_message`` and friends (``message.py``): every header value is
  refused if it holds CR, LF or NUL.

The newsletter's transports (``smtp_pool``, ``postmark``, ``sendgrid``,
``mailgun``) are built by ``transports.make_transport``.
"""

from __future__ import annotations

from channels.email.maildir import MaildirOutbox
from channels.email.memory import MemoryOutbox
from channels.email.message import build_message, check_headers, make_address, safe_header
from channels.email.smtp import SmtpSecurity, SmtpTransport

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
