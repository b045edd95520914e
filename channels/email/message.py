"""Messages whose headers cannot carry an injection: the builder every sender uses.

Every header value is checked for CR, LF and NUL: one of those in a
subscriber's name would otherwise let them add headers (a ``Bcc:`` to
anyone) to mail sent in the publication's name. ``build_message`` makes a
complete single message (confirmations, proofs); newsletters are serialised
from a skeleton instead (``mime.py``) with the same checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import formatdate, make_msgid

from publisher.errors import ContentError

__all__ = ["build_message", "check_headers", "make_address", "safe_header"]

_FORBIDDEN = frozenset("\r\n\0")
# RFC 5322 field names: printable ASCII except the colon.
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")



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
