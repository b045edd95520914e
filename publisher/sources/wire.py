"""Wire copy: the plain text news sites and agencies hand over.

The accepted format is line based; blank lines are ignored and every other
line is one unit::

    Education                            section (optional)
    Kazakhstan to Deepen Ties with US    headline
    By Ayana Birbayeva,Fatima Kemelova   byline (optional)
    Copyright astanatimes                copyright holder (optional)
    Kazakhstan to Deepen Ties with US    headline repeated (optional, dropped)
    ALMATY – President Tokayev, ...      first paragraph, dateline optional
    Energy: cornerstone of cooperation   subhead
    Tokayev identified the energy ...    paragraph

After the headline the byline, copyright line and repeated headline may come
in any order. The section line is recognised only when it is short (one to
three words, no punctuation) and the line after the headline is one of those
header lines; a first line followed directly by ``By ...`` is the headline.

In the body, a dateline (an uppercase place, optionally with a date, then an
en dash, em dash or hyphen) is taken off the first paragraph. A line is a
subhead only when it is short, starts uppercase, has no terminal punctuation
and sits alone between two paragraphs; anything in doubt stays a paragraph,
because a paragraph mislabelled as a subhead corrupts the story while the
reverse only loses some styling. Text is kept verbatim apart from stripping
control characters, which the content model rejects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from publisher.content import Article, Author, Block, Heading
from publisher.errors import ContentError
from publisher.sources.common import article_id, decode, normalise_newlines, paragraph

__all__ = ["looks_like_wire", "parse_wire", "parse_wire_bytes"]

# The same set the content model rejects in Text, minus the newline we split on.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Lone surrogates cannot be encoded, and the article id hashes UTF-8 bytes.
_SURROGATE = re.compile(r"[\ud800-\udfff]")

_BYLINE = re.compile(r"by:?\s+(?P<names>\S.*)", re.IGNORECASE)
_NAME_SEPARATOR = re.compile(r"\s*(?:,|&|\band\b)\s*", re.IGNORECASE)
_COPYRIGHT = re.compile(r"(?:copyright\b|©|\(c\))\s*(?:©|\(c\))?\s*(?P<rest>\S.*)", re.IGNORECASE)
_YEARS = re.compile(r"^(?:\d{4}(?:\s*[-–]\s*\d{4})?[,.]?\s+)+")
_RESERVED = re.compile(r"[.,]?\s*all rights reserved\.?$", re.IGNORECASE)
_SECTION_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*|&")

_DATELINE_DASH = re.compile(r"\s+(?:[–—]|--?)\s+(?=\S)")
_PLACE = re.compile(r"[^\W\d_]+(?:(?:[-'’.]|\.?,? )[^\W\d_]+)*\.?")
_DATE = re.compile(r",\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}$")

_MAX_HEADLINE = 300
_MAX_NAME_WORDS = 6
_MAX_NAME_CHARS = 60
_MAX_PLACE_CHARS = 60
# Place plus a date such as ", Sept. 22" fit in this much of the first line.
_DATELINE_SCAN = _MAX_PLACE_CHARS + 30
_MAX_SUBHEAD_WORDS = 12
_MAX_SUBHEAD_CHARS = 100
# A line ending in any of these reads as a sentence (or a quote), not a subhead.
_TERMINAL = frozenset(".?!:;,…\"'“”‘’«»")


class _Line(NamedTuple):
    number: int
    text: str


@dataclass(slots=True)
class _Header:
    headline: str
    section: str = ""
    authors: tuple[Author, ...] = ()
    holder: str | None = None
    repeat_seen: bool = False


# -- public API --------------------------------------------------------------


def parse_wire(text: str, *, source: str = "<wire>") -> Article:
    """Read one story of wire copy; malformed copy raises ContentError."""
    lines = _lines(text)
    if not lines:
        raise ContentError("is empty", source=source)
    header, end = _read_header(lines, source)
    body = lines[end:]
    if not body:
        raise ContentError("has no body text after the headline", source=source,
                           line=lines[-1].number)
    return _article(header, body)


def parse_wire_bytes(data: bytes, *, source: str) -> Article:
    """Decode UTF-8 bytes (BOM and CRLF tolerated) and read them as wire copy."""
    return parse_wire(decode(data, source), source=source)


def looks_like_wire(text: str) -> bool:
    """Whether a .txt file reads as wire copy rather than plain prose.

    It does when a headline is followed by a byline or copyright line, or when
    the first body paragraph opens with a dateline: plain notes have neither.
    """
    try:
        lines = _lines(text)
        if not lines:
            return False
        header, end = _read_header(lines, "<probe>")
    except ContentError:
        return False
    if header.authors or header.holder is not None:
        return True
    return end < len(lines) and _split_dateline(lines[end].text)[0] is not None


# -- lines and header --------------------------------------------------------


def _lines(text: str) -> list[_Line]:
    """The non-blank lines, cleaned, with their 1-based numbers for errors."""
    cleaned = _SURROGATE.sub("\ufffd", _CONTROL.sub("", normalise_newlines(text)))
    numbered = (_Line(n, raw.strip()) for n, raw in enumerate(cleaned.split("\n"), 1))
    return [line for line in numbered if line.text]


def _read_header(lines: list[_Line], source: str) -> tuple[_Header, int]:
    """The header fields and the index of the first body line."""
    start = 1 if _has_section(lines) else 0
    first = lines[start]
    after = lines[start + 1].text if start + 1 < len(lines) else ""
    # "By Land and Sea" over "By Jane Doe" is a headline; a lone byline is not.
    is_byline = _byline(first.text) is not None and _byline(after) is None
    if is_byline or _copyright(first.text) is not None:
        raise ContentError("no headline before the byline or copyright line", source=source,
                           line=first.number)
    if len(first.text) > _MAX_HEADLINE:
        # So long a first line is a paragraph: the copy has no headline.
        raise ContentError("no headline: the first line is a paragraph", source=source,
                           line=first.number)
    header = _Header(headline=first.text, section=lines[0].text if start else "")
    end = start + 1
    while end < len(lines) and _take_header_line(header, lines[end].text):
        end += 1
    return header, end


def _has_section(lines: list[_Line]) -> bool:
    """A short first line is a section only if a headline and header line follow."""
    if len(lines) < 3 or not _is_section(lines[0].text):
        return False
    headline, after = lines[1].text, lines[2].text
    if _byline(headline) is not None or _copyright(headline) is not None:
        return False
    return _byline(after) is not None or _copyright(after) is not None or _same(after, headline)


def _is_section(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 3 and all(_SECTION_WORD.fullmatch(w) for w in words)


def _take_header_line(header: _Header, text: str) -> bool:
    """Fill *header* from one line if it is a header line; each kind counts once."""
    names = _byline(text) if not header.authors else None
    if names is not None:
        header.authors = tuple(Author(name=n) for n in names)
        return True
    copyright_text = _copyright(text) if header.holder is None else None
    if copyright_text is not None:
        header.holder = _holder(copyright_text)
        return True
    if not header.repeat_seen and _same(text, header.headline):
        header.repeat_seen = True
        return True
    return False


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _byline(text: str) -> list[str] | None:
    """The names of a ``By A, B and C`` line (``By A,B`` too), or None.

    Every name must be short and capitalised, so a sentence such as
    "By the end of the year, ..." is not taken for a byline.
    """
    match = _BYLINE.fullmatch(text) if len(text) <= _MAX_HEADLINE else None
    if match is None:
        return None
    names = [n for n in _NAME_SEPARATOR.split(match["names"]) if n]
    return names if names and all(_is_name(n) for n in names) else None


def _is_name(name: str) -> bool:
    short = len(name) <= _MAX_NAME_CHARS and len(name.split()) <= _MAX_NAME_WORDS
    return short and name[0].isupper() and name[-1] not in "?!:;"


def _copyright(text: str) -> str | None:
    """What follows the Copyright / © mark, e.g. ``2024 Reuters``."""
    match = _COPYRIGHT.fullmatch(text)
    return match["rest"].strip() if match and len(text) <= _MAX_HEADLINE else None


def _holder(copyright_text: str) -> str:
    """The rights holder alone: years and "All rights reserved" dropped."""
    holder = _RESERVED.sub("", _YEARS.sub("", copyright_text, count=1)).strip()
    return holder or copyright_text


# -- body --------------------------------------------------------------------


def _article(header: _Header, body: list[_Line]) -> Article:
    lead = body[0].text
    dateline, lead_text = _split_dateline(lead)
    texts = [lead_text, *(line.text for line in body[1:])]
    return Article(
        id=article_id(header.headline, header.holder or "", lead),
        headline=header.headline,
        section=header.section,
        authors=header.authors,
        dateline=dateline,
        # The holder is who supplied the copy, so it is the source as well.
        source=header.holder,
        copyright=header.holder,
        body=_blocks(texts),
    )


def _blocks(texts: list[str]) -> tuple[Block, ...]:
    # The first line is always a paragraph: a body does not open with a subhead.
    blocks: list[Block] = [paragraph(texts[0])]
    for i in range(1, len(texts)):
        is_subhead = _is_subhead(texts, i)
        blocks.append(Heading(level=2, text=texts[i]) if is_subhead else paragraph(texts[i]))
    return tuple(blocks)


def _is_subhead(texts: list[str], i: int) -> bool:
    """A subhead stands alone between paragraphs; runs of short lines are lists."""
    if i + 1 >= len(texts) or not _subhead_shaped(texts[i]):
        return False
    return not _subhead_shaped(texts[i - 1]) and not _subhead_shaped(texts[i + 1])


def _subhead_shaped(text: str) -> bool:
    # isupper() on the first character also rules out lines opening with a quote mark.
    short = len(text) <= _MAX_SUBHEAD_CHARS and len(text.split()) <= _MAX_SUBHEAD_WORDS
    return short and text[0].isupper() and text[-1] not in _TERMINAL


def _split_dateline(text: str) -> tuple[str | None, str]:
    """``ALMATY – President ...`` -> (``ALMATY``, ``President ...``)."""
    dash = _DATELINE_DASH.search(text, 0, _DATELINE_SCAN)
    if dash is None:
        return None, text
    dateline = text[: dash.start()]
    date = _DATE.search(dateline)
    place = dateline[: date.start()] if date else dateline
    if len(place) > _MAX_PLACE_CHARS or not _is_place(place):
        return None, text
    return dateline, text[dash.end():]


def _is_place(place: str) -> bool:
    """Letters in words, mostly uppercase: ``NEW YORK``, ``WASHINGTON, D.C.``."""
    if _PLACE.fullmatch(place) is None:
        return False
    letters = [c for c in place if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    # Three letters at least, so "US – China talks" does not lose "US".
    return len(letters) >= 3 and upper >= 0.8 * len(letters) and place.split()[0].isupper()
