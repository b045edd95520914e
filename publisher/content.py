"""The content model: every channel reads these frozen values and nothing else.

An Article is a headline, its metadata and a body made of a closed union of
blocks. An Issue is a numbered, dated selection of articles in ordered
sections; its content hash ties what was approved and sent to what it held.
The JSON form of these values lives in ``publisher.jsonform``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from publisher.errors import ContentError

__all__ = [
    "Article",
    "Author",
    "Block",
    "Brand",
    "Emphasis",
    "Heading",
    "Image",
    "Inline",
    "Issue",
    "IssueSection",
    "IssueStatus",
    "Link",
    "ListBlock",
    "Paragraph",
    "Publication",
    "Quote",
    "Rule",
    "Strong",
    "Text",
    "inline_text",
    "plain_text",
]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _require(cond: bool, message: str, field_name: str) -> None:
    if not cond:
        raise ContentError(message, field=field_name)


def _one_line(value: str, field_name: str, *, empty_ok: bool = False) -> None:
    """Single-line fields end up in headers, subjects and PDF outlines."""
    _require(empty_ok or bool(value.strip()), "must not be empty", field_name)
    _require("\n" not in value and "\r" not in value, "must be one line", field_name)
    _require(not _CONTROL.search(value), "contains a control character", field_name)


def _aware(value: datetime | None, field_name: str) -> None:
    if value is not None:
        _require(value.utcoffset() is not None, "must carry a time zone", field_name)


# -- inlines ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A run of plain text."""

    text: str

    def __post_init__(self) -> None:
        _require(not _CONTROL.search(self.text), "contains a control character", "text")


@dataclass(frozen=True, slots=True, kw_only=True)
class Emphasis:
    """Emphasised inlines (italic in most themes)."""

    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Strong:
    """Strongly emphasised inlines (bold in most themes)."""

    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """A hyperlink; only http(s), mailto and relative targets are kept."""

    href: str
    children: tuple[Inline, ...]

    def __post_init__(self) -> None:
        _one_line(self.href, "href")
        scheme = self.href.split(":", 1)[0].lower() if ":" in self.href else ""
        ok = scheme in ("", "http", "https", "mailto") or "/" in scheme
        _require(ok, f"link scheme '{scheme}' is not allowed", "href")


Inline = Text | Emphasis | Strong | Link


def inline_text(inlines: tuple[Inline, ...]) -> str:
    """The plain text of a run of inlines, markup dropped."""
    parts: list[str] = []
    for node in inlines:
        parts.append(node.text if isinstance(node, Text) else inline_text(node.children))
    return "".join(parts)


# -- blocks ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Paragraph:
    """A paragraph of inline text."""

    inlines: tuple[Inline, ...]

    def __post_init__(self) -> None:
        _require(bool(self.inlines), "a paragraph needs text", "inlines")

    @property
    def text(self) -> str:
        return inline_text(self.inlines)


@dataclass(frozen=True, slots=True, kw_only=True)
class Heading:
    """A subhead inside an article body (level 2 is the first level used)."""

    level: int
    text: str

    def __post_init__(self) -> None:
        _require(1 <= self.level <= 6, "heading level must be 1..6", "level")
        _one_line(self.text, "text")


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """A block quotation, optionally attributed."""

    text: str
    attribution: str | None = None

    def __post_init__(self) -> None:
        _require(bool(self.text.strip()), "a quote needs text", "text")


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """An image with the text that stands in for it and its credit."""

    src: str
    alt: str = ""
    caption: str | None = None
    credit: str | None = None

    def __post_init__(self) -> None:
        _one_line(self.src, "src")
        _one_line(self.alt, "alt", empty_ok=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListBlock:
    """A bulleted or numbered list; each item is a run of inlines."""

    items: tuple[tuple[Inline, ...], ...]
    ordered: bool = False

    def __post_init__(self) -> None:
        _require(bool(self.items), "a list needs items", "items")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A thematic break."""


Block = Paragraph | Heading | Quote | Image | ListBlock | Rule


def plain_text(blocks: tuple[Block, ...]) -> str:
    """The text of blocks, one block per paragraph, for search and summaries."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph | Heading | Quote):
            out.append(block.text)
        elif isinstance(block, ListBlock):
            out.extend(inline_text(item) for item in block.items)
        elif isinstance(block, Image) and block.caption:
            out.append(block.caption)
    return "\n\n".join(out)


# -- people, publication, article -------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Author:
    """A byline name, optionally with an address or a profile page."""

    name: str
    email: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        _one_line(self.name, "authors.name")


@dataclass(frozen=True, slots=True, kw_only=True)
class Brand:
    """Design tokens shared by the email, PDF and web themes."""

    primary_color: str = "#1a1a2e"
    accent_color: str = "#c0392b"
    background_color: str = "#ffffff"
    text_color: str = "#222222"
    heading_font: str = "Georgia, 'Times New Roman', serif"
    body_font: str = "Helvetica, Arial, sans-serif"
    logo: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Publication:
    """Who publishes: the masthead, sender and legal details of every channel."""

    name: str
    tagline: str = ""
    language: str = "en"
    timezone: str = "UTC"
    base_url: str = "http://localhost:8000"
    sender_name: str = ""
    sender_address: str = "newsletter@example.org"
    reply_to: str | None = None
    postal_address: str = ""
    brand: Brand = field(default_factory=Brand)
    sections: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _one_line(self.name, "name")
        _one_line(self.sender_address, "sender_address")
        _one_line(self.sender_name, "sender_name", empty_ok=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """One story, as imported: the unit editors put into Issues."""

    id: str
    headline: str
    section: str = ""
    dek: str | None = None
    authors: tuple[Author, ...] = ()
    dateline: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    source: str | None = None
    copyright: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    lead_image: Image | None = None
    summary: str | None = None
    body: tuple[Block, ...] = ()

    def __post_init__(self) -> None:
        _require(bool(_ID.match(self.id)), f"'{self.id}' is not a valid article id", "id")
        _one_line(self.headline, "headline")
        _one_line(self.section, "section", empty_ok=True)
        _aware(self.published_at, "published_at")
        _aware(self.updated_at, "updated_at")

    @property
    def byline(self) -> str:
        """Names joined as a newsroom writes them: "A, B and C"."""
        names = [a.name for a in self.authors]
        if len(names) < 2:
            return names[0] if names else ""
        return ", ".join(names[:-1]) + " and " + names[-1]


# -- issue -----------------------------------------------------------------

IssueStatus = Literal[
    "draft", "ready", "approved", "scheduled", "sending",
    "sent", "partially_sent", "failed", "cancelled",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueSection:
    """A named section of an Issue and its articles, in reading order."""

    name: str
    articles: tuple[Article, ...]

    def __post_init__(self) -> None:
        _one_line(self.name, "sections.name")


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """A numbered Issue of a publication: the value every channel renders."""

    publication: Publication
    number: int
    title: str
    date: date
    editor_note: tuple[Block, ...] = ()
    preheader: str | None = None
    sections: tuple[IssueSection, ...] = ()
    status: IssueStatus = "draft"

    def __post_init__(self) -> None:
        _require(self.number >= 1, "issue number must be 1 or more", "number")
        _one_line(self.title, "title")
        ids = [a.id for s in self.sections for a in s.articles]
        _require(len(ids) == len(set(ids)), "an article appears twice in the Issue", "sections")

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for s in self.sections for a in s.articles)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form, status excluded."""
        from publisher.jsonform import issue_hash

        return issue_hash(self)
