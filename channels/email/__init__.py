"""The email channel: an Issue rendered once, personalised fast, delivered exactly once.

Modules, in the order data flows through them:

* ``view``, ``render``, ``slots``: Jinja to MJML to HTML once per Issue and
  segment, with per-recipient slots (``templates/email/``);
* ``mime``, ``signing``: the MIME skeleton filled per recipient, DKIM;
* ``checks``: the pre-send checks; ``channel``: ``EmailChannel``;
* ``delivery``: the ``Mailer`` protocol and ``Result``; ``ratelimit``;
* transports, one per module: ``smtp_pool``, ``postmark``, ``sendgrid``,
  ``mailgun`` (over ``api``), ``maildir``, ``memory``, ``smtp``;
  ``transports.make_transport`` picks one from settings;
* ``message`` (and ``transport``, its old name): single messages with
  injection-proof headers.

Dispatch (audience, ledger, retries) is ``publisher.dispatch``.
"""

from __future__ import annotations

from channels.email.channel import EmailChannel
from channels.email.delivery import Mailer, MailTransport, Result
from channels.email.maildir import MaildirOutbox
from channels.email.memory import MemoryOutbox
from channels.email.message import build_message, check_headers, make_address, safe_header
from channels.email.mime import IssueMail, Personal
from channels.email.smtp import SmtpTransport
from channels.email.transports import make_transport

__all__ = [
    "EmailChannel",
    "IssueMail",
    "MailTransport",
    "MaildirOutbox",
    "Mailer",
    "MemoryOutbox",
    "Personal",
    "Result",
    "SmtpTransport",
    "build_message",
    "check_headers",
    "make_address",
    "make_transport",
    "safe_header",
]
