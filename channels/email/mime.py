"""Messages from a skeleton prepared once per Issue and segment.

``email.message.EmailMessage`` costs about 7 ms to build and serialise a
75 KB newsletter: 400 times a Jinja render, and far too slow for 100,000
recipients. ``IssueMail`` does that work once: headers that are the same
for everyone are folded and encoded once, and both bodies are quoted-
printable encoded once (``slots.QpTemplate``). Per recipient it computes the
few values that differ (tokens, To, Message-ID) and joins bytes.

The output is a standard message: ``multipart/alternative`` with the plain
text first and the HTML second (or a single ``text/plain`` part for readers
who chose text), UTF-8, quoted-printable, CRLF line ends, every line within
78 characters except the per-recipient header fields, which stay well under
RFC 5322's 998. A test parses it and compares it with what ``EmailMessage``
makes of the same content.

Header values that reach a recipient's message are checked for CR, LF and
NUL: a subscriber's name is the one value here that came from outside.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.header import Header
from email.policy import SMTP
from email.utils import formataddr

from channels.email.message import safe_header
from channels.email.render import RenderedIssue
from channels.email.signing import DkimSigner
from publisher.audience.tokens import LinkTokens
from publisher.content import Publication
from publisher.errors import ContentError

__all__ = ["IssueMail", "Personal", "domain_of"]

_CRLF = b"\r\n"
_DOT_LINE = re.compile(rb"(?m)^\.")
_MAX_NAME = 200
_LIST_ID_LABEL = re.compile(r"[^A-Za-z0-9-]+")
_PLAIN = b'Content-Type: text/plain; charset="utf-8"\r\n'
_HTML = b'Content-Type: text/html; charset="utf-8"\r\n'
_QP = b"Content-Transfer-Encoding: quoted-printable\r\n"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _fold(name: str, value: str) -> bytes:
    """One header field, encoded (RFC 2047 where needed) and folded at 78 columns."""
    safe_header(value, name)
    folded: str = SMTP.fold(name, value)
    return folded.encode("ascii")


def _to_field(name: str, address: str) -> str:
    """The To field body: a quoted ASCII name, or RFC 2047 encoded words, then the address.

    Encoded words are split at character boundaries and folded (``Header``);
    each stays within RFC 2047's 75 characters.
    """
    if not address.isascii() or "@" not in address:
        raise ContentError(f"'{address}' is not an ASCII address", field="To")
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))
    words = Header(name, "utf-8", header_name="To").encode(linesep="\r\n")
    return f"{words} <{address}>"


@dataclass(frozen=True, slots=True)
class Personal:
    """What differs per recipient: header values and the slot values."""

    target: str
    subscriber_id: int
    address: str
    name: str
    to: str
    message_id: str
    date: str
    values: Mapping[str, str]
    list_unsubscribe: str


class IssueMail:
    """One Issue for one segment, ready to be personalised and serialised."""

    def __init__(self, rendered: RenderedIssue, *, publication: Publication, issue_number: int,
                 content_hash: str, list_id: str, link_tokens: LinkTokens,
                 unsubscribe_mailto: str = "", dkim: DkimSigner | None = None) -> None:
        self.rendered, self.publication = rendered, publication
        self.issue_number, self.content_hash, self.list_id = issue_number, content_hash, list_id
        self.tokens, self.dkim = link_tokens, dkim
        self.domain = domain_of(publication.sender_address)
        self.base_url = publication.base_url.rstrip("/")
        self.mailto = unsubscribe_mailto or f"unsubscribe@{self.domain}"
        self.subject = rendered.subject
        self.sender = formataddr((publication.sender_name or publication.name,
                                  publication.sender_address))
        self.reply_to = publication.reply_to
        self.list_id_field = formataddr((publication.name, self._list_id_address()))
        self._build_skeleton()

    @property
    def segment(self) -> str:
        return self.rendered.segment

    def _list_id_address(self) -> str:
        label = _LIST_ID_LABEL.sub("-", self.list_id).strip("-") or "list"
        return f"{label}.{self.domain}"

    def _build_skeleton(self) -> None:
        reply = _fold("Reply-To", self.reply_to) if self.reply_to else b""
        self._head = _fold("From", self.sender) + reply + b"To: "
        self._subject = _CRLF + _fold("Subject", self.subject) + b"Date: "
        tail = (b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
                + _fold("List-Id", self.list_id_field) + b"MIME-Version: 1.0\r\n")
        text, html = self.rendered.text, self.rendered.html
        # Each body twice: as it is, and dot-stuffed for SMTP (see QpTemplate).
        self._bodies = {stuffed: (text.quoted_printable(stuffed=stuffed),
                                  html.quoted_printable(stuffed=stuffed) if html else None)
                        for stuffed in (False, True)}
        self._html = self._bodies[False][1]
        if self._html is None:
            self._tail = tail + _PLAIN + _QP + _CRLF
            self._middle = self._end = b""
            return
        boundary = f"=_issue-{self.issue_number}-{self.content_hash[:20]}".encode("ascii")
        # '=_' can never occur in quoted-printable text, so the boundary cannot either.
        self._tail = (tail + b'Content-Type: multipart/alternative;\r\n boundary="' + boundary
                      + b'"\r\n\r\n--' + boundary + _CRLF + _PLAIN + _QP + _CRLF)
        self._middle = _CRLF + b"--" + boundary + _CRLF + _HTML + _QP + _CRLF
        self._end = _CRLF + b"--" + boundary + b"--" + _CRLF

    # -- per recipient -----------------------------------------------------------

    def personal(self, subscriber_id: int, address: str, name: str, date: str, *,
                 proof: bool = False) -> Personal:
        """One recipient's values; ``ContentError`` if their name or address is unsafe.

        Runs of white space in the name become one space (a header has no
        use for more), and a name is cut at 200 characters.
        """
        safe_header(name, "To")
        safe_header(address, "To")
        name = " ".join(name.split())[:_MAX_NAME]
        to = _to_field(name, address)
        unsubscribe = self.tokens.make("unsubscribe", subscriber_id, self.list_id)
        values = {
            "name": name, "email": address,
            "unsubscribe_url": f"{self.base_url}/unsubscribe/{unsubscribe}",
            "preferences_url": f"{self.base_url}/preferences/"
                               f"{self.tokens.make('preferences', subscriber_id, self.list_id)}",
        }
        # The same Message-ID for the same Issue and recipient on every attempt:
        # a receiver or provider that drops repeats can tell a resend from new mail.
        local = (f"proof.{self.issue_number}.{secrets.token_hex(8)}" if proof else
                 f"issue.{self.issue_number}.{self.content_hash[:16]}.{subscriber_id}")
        return Personal(
            target=address.lower(), subscriber_id=subscriber_id, address=address, name=name,
            to=to, message_id=f"<{local}@{self.domain}>", date=date, values=values,
            list_unsubscribe=(f"<{values['unsubscribe_url']}>, "
                              f"<mailto:{self.mailto}?subject=unsubscribe%20{unsubscribe}>"))

    def mime(self, p: Personal, *, stuffed: bool = False) -> bytes:
        """The whole message for *p*, CRLF line ends, ready for a file or a provider.

        *stuffed* gives the form SMTP DATA carries: lines starting with a dot
        get a second one (the end-of-data line is the transport's to add).
        """
        if stuffed and self.dkim is not None:
            # The signature covers the message as it will be read, unstuffed.
            return _DOT_LINE.sub(b"..", self.mime(p))
        head = b"".join((
            self._head, p.to.encode("ascii"), self._subject, p.date.encode("ascii"),
            b"\r\nMessage-ID: ", p.message_id.encode("ascii"),
            b"\r\nList-Unsubscribe: ", p.list_unsubscribe.replace(", ", ",\r\n ", 1).encode(
                "ascii"), _CRLF, self._tail))
        text, html = self._bodies[stuffed]
        body = text.fill(p.values)
        if html is not None:
            body = b"".join((body, self._middle, html.fill(p.values), self._end))
        data = head + body
        return self.dkim.sign(data) if self.dkim is not None else data

    def text(self, p: Personal) -> str:
        return self.rendered.text.fill(p.values)

    def html(self, p: Personal) -> str | None:
        html = self.rendered.html
        return html.fill(p.values) if html is not None else None

    def list_headers(self, p: Personal) -> dict[str, str]:
        """The headers an HTTP provider is asked to add for *p*."""
        return {"Message-ID": p.message_id, "List-Unsubscribe": p.list_unsubscribe,
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": self.list_id_field}
