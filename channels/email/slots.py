"""Per-recipient slots: marked once in the rendered Issue, filled per recipient.

Jinja, MJML and the CSS inliner run once per Issue and segment. The values
that differ per recipient (name, address, unsubscribe and preference URLs)
are rendered as *markers*; ``SlotTemplate`` splits the result at them once,
and filling it for one recipient is a join of literal chunks and values, not
a render.

Markers carry a random nonce so that no article text can forge one (MJML
mangles private-use characters, which would otherwise be the obvious
choice); they are plain ASCII so MJML and the inliner pass them through in
text and in attribute values alike. A slot may carry a fallback for empty
values (``{{ recipient.name.or_("reader") }}``).

``QpTemplate`` is the same template with each literal chunk already
quoted-printable encoded, so a MIME body costs one join per recipient. Each
chunk and each value ends with a soft line break (``=`` CRLF), which
decodes to nothing: chunks can then be encoded independently and still
keep every line within the 76 characters RFC 2045 allows.
"""

from __future__ import annotations

import binascii
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from markupsafe import Markup, escape

__all__ = ["SLOT_KEYS", "QpTemplate", "Slot", "SlotRegistry", "SlotTemplate", "Slots", "qp_encode"]

# What a template may ask of the recipient.
SLOT_KEYS = ("email", "name", "preferences_url", "unsubscribe_url")
_SOFT_BREAK = b"=\r\n"
_S = TypeVar("_S", str, bytes)


def qp_encode(text: str) -> bytes:
    """*text* (LF line ends) as quoted-printable UTF-8 with CRLF line ends."""
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    fallback: str


class SlotRegistry:
    """The slots one render used, by index; the nonce makes markers unforgeable."""

    def __init__(self, nonce: str | None = None) -> None:
        self.nonce = nonce or f"slot{secrets.token_hex(8)}"
        self._entries: list[_Entry] = []
        self._index: dict[_Entry, int] = {}
        self.pattern = re.compile(f"{self.nonce}-([0-9]+)-{self.nonce}")

    def marker(self, key: str, fallback: str = "") -> str:
        entry = _Entry(key, fallback)
        index = self._index.get(entry)
        if index is None:
            index = self._index[entry] = len(self._entries)
            self._entries.append(entry)
        return f"{self.nonce}-{index}-{self.nonce}"

    def entry(self, index: int) -> tuple[str, str]:
        found = self._entries[index]
        return found.key, found.fallback


class Slot:
    """One per-recipient value as a template sees it: prints as its marker."""

    __slots__ = ("_registry", "fallback", "key")

    def __init__(self, registry: SlotRegistry, key: str, fallback: str = "") -> None:
        self._registry, self.key, self.fallback = registry, key, fallback

    def or_(self, fallback: str) -> Slot:
        """The same slot, printing *fallback* where the recipient's value is empty."""
        return Slot(self._registry, self.key, str(fallback))

    def __str__(self) -> str:
        return self._registry.marker(self.key, self.fallback)

    def __html__(self) -> Markup:
        # The marker is ASCII letters, digits and hyphens: nothing to escape.
        return Markup(str(self))


class Slots:
    """``recipient`` in templates: one attribute per key of ``SLOT_KEYS``."""

    def __init__(self, registry: SlotRegistry) -> None:
        self._registry = registry

    def __getattr__(self, key: str) -> Slot:
        if key not in SLOT_KEYS:
            raise AttributeError(key)  # StrictUndefined turns this into a clear error
        return Slot(self._registry, key)


class SlotTemplate:
    """A rendered part split at its markers: literal chunks with slots between them.

    *html* says how values are written: HTML-escaped (the HTML part) or as
    they are (the plain-text part).
    """

    def __init__(self, rendered: str, registry: SlotRegistry, *, html: bool) -> None:
        pieces = registry.pattern.split(rendered)
        self.chunks: tuple[str, ...] = tuple(pieces[0::2])
        self.slots: tuple[tuple[str, str], ...] = tuple(
            registry.entry(int(i)) for i in pieces[1::2])
        self.html = html
        self._escape: Callable[[str], str] = (lambda v: str(escape(v))) if html else str

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.slots)

    def values(self, values: Mapping[str, str]) -> list[str]:
        """The text each slot gets for one recipient, escaped for this part."""
        esc = self._escape
        return [esc(values.get(key) or fallback) for key, fallback in self.slots]

    def fill(self, values: Mapping[str, str]) -> str:
        """The part for one recipient."""
        return _interleave(self.chunks, self.values(values), "")

    def tagged(self, tag: Callable[[int], str]) -> str:
        """The part with ``tag(i)`` in slot *i*: for providers that substitute themselves."""
        return _interleave(self.chunks, [tag(i) for i in range(len(self.slots))], "")

    def quoted_printable(self, *, stuffed: bool = False) -> QpTemplate:
        return QpTemplate(self, stuffed=stuffed)


class QpTemplate:
    """A ``SlotTemplate`` with its chunks quoted-printable encoded once.

    With *stuffed*, every line that starts with a dot gets a second one: the
    SMTP transparency rule (RFC 5321 4.5.2), applied once here rather than
    by a regular expression over every 75 KB message on the wire. Every
    chunk and value starts a line (the piece before it ends with a line
    break), so the rule applies to each piece alone.
    """

    def __init__(self, template: SlotTemplate, *, stuffed: bool = False) -> None:
        self.template, self.stuffed = template, stuffed
        *middle, last = template.chunks
        self.chunks: tuple[bytes, ...] = tuple(
            self._finish(piece) for piece in
            (*(_soft_end(qp_encode(c)) for c in middle), qp_encode(last)))

    def _finish(self, piece: bytes) -> bytes:
        if not self.stuffed:
            return piece
        piece = piece.replace(b"\r\n.", b"\r\n..")
        return b"." + piece if piece.startswith(b".") else piece

    def fill(self, values: Mapping[str, str]) -> bytes:
        encoded = [self._finish(_soft_end(qp_encode(v))) for v in self.template.values(values)]
        return _interleave(self.chunks, encoded, b"")


def _soft_end(encoded: bytes) -> bytes:
    """End *encoded* with a line break; a soft one unless it ends with a hard one."""
    if not encoded or encoded.endswith(b"\r\n"):
        return encoded
    return encoded + _SOFT_BREAK


def _interleave(chunks: tuple[_S, ...], values: list[_S], empty: _S) -> _S:
    parts: list[_S] = [empty] * (len(chunks) + len(values))
    parts[0::2] = chunks
    parts[1::2] = values
    return empty.join(parts)
