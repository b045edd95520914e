"""What the email templates read: an Issue arranged for a newsletter.

Templates stay simple when the decisions are made here, once and tested:
which text stands for an article (summary or full body, by ``digest_mode``),
where links point (relative links made absolute against the publication's
``base_url``, UTM parameters on the publication's own links), which heading
level each subhead gets (so headings never skip a level: h1 masthead, h2
sections, h3 headlines, h4 and below inside articles), and which blocks
share one MJML text component (one per run of text; images stand alone).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from publisher.content import (
    Article,
    Block,
    Heading,
    Image,
    Issue,
    Paragraph,
    Publication,
    plain_text,
)
from publisher.settings import DigestMode

__all__ = [
    "ArticleView",
    "IssueView",
    "LinkPolicy",
    "Part",
    "SectionView",
    "build_view",
    "format_date",
    "shorten",
]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
# Inbox previews show roughly this many characters.
_PREHEADER_LENGTH = 140
_SUMMARY_LENGTH = 320
# Article bodies start under the h3 headline.
_FIRST_BODY_LEVEL = 4


def format_date(value: date) -> str:
    """``4 December 2026``: unambiguous in every English-speaking country."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def shorten(text: str, limit: int) -> str:
    """*text* on one line, cut at a word boundary to at most *limit* characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    """How links are written: absolute against *base_url*, with UTM on our own host."""

    base_url: str
    utm: tuple[tuple[str, str], ...] = ()

    def href(self, url: str) -> str:
        if url.startswith("#") or url.lower().startswith("mailto:"):
            return url
        absolute = urljoin(self.base_url.rstrip("/") + "/", url)
        parts = urlsplit(absolute)
        if not self.utm or parts.netloc != urlsplit(self.base_url).netloc:
            return absolute
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                 if not k.startswith("utm_")]
        return urlunsplit(parts._replace(query=urlencode([*query, *self.utm])))

    def src(self, url: str) -> str:
        """Image sources: absolute, never with tracking parameters."""
        return urljoin(self.base_url.rstrip("/") + "/", url)


@dataclass(frozen=True, slots=True)
class Part:
    """A run of text blocks (one MJML text component) or one image."""

    kind: Literal["text", "image"]
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class ArticleView:
    article: Article
    anchor: str
    url: str | None
    byline: str
    dateline: str | None
    dek: str | None
    summary: str | None
    lead_image: Image | None
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class SectionView:
    name: str
    anchor: str
    articles: tuple[ArticleView, ...]


@dataclass(frozen=True, slots=True)
class IssueView:
    issue: Issue
    publication: Publication
    date_text: str
    preheader: str
    note: tuple[Part, ...]
    sections: tuple[SectionView, ...]
    digest_mode: DigestMode
    logo: str | None


def parts(blocks: tuple[Block, ...], top: int = _FIRST_BODY_LEVEL) -> tuple[Part, ...]:
    """Blocks grouped into text runs and images, subheads renumbered from *top*."""
    out: list[Part] = []
    run: list[Block] = []
    for block in _renumber(blocks, top):
        if isinstance(block, Image):
            if run:
                out.append(Part("text", tuple(run)))
                run = []
            out.append(Part("image", (block,)))
        else:
            run.append(block)
    if run:
        out.append(Part("text", tuple(run)))
    return tuple(out)


def _renumber(blocks: tuple[Block, ...], top: int) -> list[Block]:
    """Subheads from *top* down (h6 at most), never more than one level below the last."""
    ranks = sorted({b.level for b in blocks if isinstance(b, Heading)})
    last = top - 1
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Heading):
            wanted = min(6, top + ranks.index(block.level))
            last = max(top, min(wanted, last + 1))
            block = replace(block, level=last)
        out.append(block)
    return out


def _summary(article: Article) -> str | None:
    if article.summary:
        return article.summary
    if article.dek:
        return None  # the dek is printed anyway
    first = next((b for b in article.body if isinstance(b, Paragraph)), None)
    return shorten(first.text, _SUMMARY_LENGTH) if first else None


def _article(article: Article, mode: DigestMode, links: LinkPolicy) -> ArticleView:
    lead = article.lead_image
    full = mode == "full"
    return ArticleView(
        article=article,
        anchor=f"article-{article.id}",
        url=links.href(article.canonical_url) if article.canonical_url else None,
        byline=article.byline,
        dateline=article.dateline,
        dek=article.dek,
        summary=None if full else _summary(article),
        lead_image=replace(lead, src=links.src(lead.src)) if lead else None,
        parts=parts(_absolute_images(article.body, links)) if full else (),
    )


def _absolute_images(blocks: tuple[Block, ...], links: LinkPolicy) -> tuple[Block, ...]:
    return tuple(replace(b, src=links.src(b.src)) if isinstance(b, Image) else b
                 for b in blocks)


def preheader(issue: Issue) -> str:
    """The plan's preheader, else the start of the editor's note."""
    if issue.preheader and issue.preheader.strip():
        return " ".join(issue.preheader.split())
    return shorten(plain_text(issue.editor_note), _PREHEADER_LENGTH)


def build_view(issue: Issue, mode: DigestMode, links: LinkPolicy) -> IssueView:
    """The Issue as the templates read it."""
    pub = issue.publication
    logo = pub.brand.logo
    sections = tuple(
        SectionView(s.name, f"section-{i + 1}",
                    tuple(_article(a, mode, links) for a in s.articles))
        for i, s in enumerate(issue.sections) if s.articles)
    return IssueView(
        issue=issue, publication=pub, date_text=format_date(issue.date),
        preheader=preheader(issue), note=parts(issue.editor_note, top=3),
        sections=sections, digest_mode=mode,
        # Mail clients can only show an image from a public URL.
        logo=links.src(logo) if logo and logo.startswith(("http://", "https://")) else None,
    )
