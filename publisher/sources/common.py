"""Helpers every reader shares: decoding input, stable ids, simple blocks."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from publisher.content import Paragraph, Text
from publisher.errors import ContentError

__all__ = ["article_id", "decode", "paragraph", "slugify"]

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def decode(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) to text with ``\\n`` line ends.

    Wire copy arrives with BOMs and CRLF; both are transport noise, not
    content, so they are removed here once for every reader.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError("is not valid UTF-8", source=source, line=line) from None
    return normalise_newlines(text)


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF; a leading BOM is dropped."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def slugify(text: str, max_len: int = 60) -> str:
    """ASCII slug of *text* ("Tokayev in New York" -> "tokayev-in-new-york")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-")


def article_id(headline: str, *discriminators: str) -> str:
    """A stable id: the headline's slug plus a short hash of what makes it unique.

    The same copy imported twice gets the same id, so imports are idempotent.
    """
    digest = hashlib.sha256("\x1f".join((headline, *discriminators)).encode()).hexdigest()[:10]
    slug = slugify(headline)
    return f"{slug}-{digest}" if slug else f"article-{digest}"


def paragraph(text: str) -> Paragraph:
    """A paragraph holding one plain text run."""
    return Paragraph(inlines=(Text(text=text),))
