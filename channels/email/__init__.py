"""The email channel: building messages safely and handing them to a transport.

``transport`` holds the transports (a Maildir outbox, SMTP, and one in memory
for tests) and the header-safe message builder every sender uses.
"""

from __future__ import annotations

from channels.email.transport import (
    MaildirOutbox,
    MemoryOutbox,
    SmtpTransport,
    build_message,
    check_headers,
)

__all__ = [
    "MaildirOutbox",
    "MemoryOutbox",
    "SmtpTransport",
    "build_message",
    "check_headers",
]
