"""Issue -> the HTML of the PDF digest (templates ``pdf/*.html`` of the theme).

Pure: the same Issue, profile and fetched images give the same HTML. The
templates get the model values themselves plus a few helpers named here; no
WeasyPrint is imported, so the benchmark can hand the very same HTML to bare
WeasyPrint and preflight can reason about the layout without rendering.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from channels.pdf.images import Fetched, image_url, issue_images
from channels.pdf.profiles import Profile
from publisher.content import Article, Image, Issue, IssueSection
from publisher.templating import make_environment, templates_dir

__all__ = [
    "TEMPLATE", "cover_story", "digest_html", "document_title", "template_files", "wanted_urls",
]

TEMPLATE = "pdf/digest.html"
# Headlines on the cover besides the lead story.
_TEASER = 5


def wanted_urls(issue: Issue, media_dirs: Sequence[Path]) -> list[str]:
    """Every URL the digest prints an image from: the logo, then article images."""
    logo = issue.publication.brand.logo
    urls = [image_url(logo, media_dirs)] if logo else []
    urls.extend(image_url(p.image.src, media_dirs) for p in issue_images(issue))
    return urls


def document_title(issue: Issue) -> str:
    return f"{issue.publication.name}, Issue {issue.number}: {issue.title}"


def _long_date(day: date) -> str:
    # Built by hand: %-d is not portable and %B follows the process locale.
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
    return f"{day.day} {months[day.month - 1]} {day.year}"


def _authors(issue: Issue) -> list[str]:
    return list(dict.fromkeys(a.name for art in issue.articles for a in art.authors))


def _keywords(issue: Issue) -> list[str]:
    words = [s.name for s in issue.sections if s.articles]
    words.extend(tag for art in issue.articles for tag in art.tags)
    return list(dict.fromkeys(words))


def _created(issue: Issue) -> str:
    """The Issue's date at midnight where it is published.

    Derived from the Issue rather than the clock so that rendering stays
    deterministic (the same Issue gives the same bytes, and the cache holds).
    """
    zone = ZoneInfo(issue.publication.timezone)
    return datetime.combine(issue.date, time(0, 0), tzinfo=zone).isoformat()


def cover_story(sections: Sequence[IssueSection]) -> tuple[Article | None, Image | None]:
    """The cover story: the first article; its lead image, else its first body image."""
    article = next((a for s in sections for a in s.articles), None)
    if article is None:
        return None, None
    image = article.lead_image or next((b for b in article.body if isinstance(b, Image)), None)
    return article, image


def _kind(node: object) -> str:
    """A block or inline's type name for the templates ("paragraph", "link")."""
    return type(node).__name__.lower()


def _anchor(article: Article) -> str:
    return f"article-{article.id}"


def _published(article: Article, zone: ZoneInfo) -> str:
    when = article.published_at
    return _long_date(when.astimezone(zone).date()) if when else ""


def _helpers(issue: Issue, images: Mapping[str, Fetched],
             media_dirs: Sequence[Path]) -> dict[str, Any]:
    zone = ZoneInfo(issue.publication.timezone)

    def img_url(src: str) -> str | None:
        """The URL to print *src* from, or None when the image must be a placeholder."""
        url = image_url(src, media_dirs)
        got = images.get(url)
        return url if got is not None and got.ok else None

    return {"img_url": img_url, "kind": _kind, "anchor": _anchor,
            "published": lambda a: _published(a, zone), "long_date": _long_date}


def _context(issue: Issue, profile: Profile, images: Mapping[str, Fetched],
             media_dirs: Sequence[Path]) -> dict[str, Any]:
    sections = [s for s in issue.sections if s.articles]
    lead, lead_image = cover_story(sections)
    teaser = [a for s in sections for a in s.articles if a is not lead][:_TEASER]
    pub = issue.publication
    return {
        "issue": issue, "pub": pub, "brand": pub.brand, "sections": sections,
        "lead": lead, "lead_image": lead_image, "teaser": teaser,
        "profile": profile, "page": profile.css(), "columns": profile.columns,
        "live_links": profile.live_links, "title": document_title(issue),
        "authors": _authors(issue), "keywords": _keywords(issue),
        "created": _created(issue), "issue_date": _long_date(issue.date),
        **_helpers(issue, images, media_dirs),
    }


@functools.lru_cache(maxsize=8)
def _environment(override_dir: Path | None) -> jinja2.Environment:
    """One environment per theme, so templates compile once per process.

    Jinja checks each template's modification time on use, so an edited theme
    file is still picked up.
    """
    return make_environment(override_dir)


def digest_html(issue: Issue, profile: Profile, images: Mapping[str, Fetched], *,
                media_dirs: Sequence[Path] = (), override_dir: Path | None = None) -> str:
    """The digest's HTML; *images* maps URLs (``wanted_urls``) to what fetching gave."""
    env = _environment(override_dir)
    context = _context(issue, profile, images, media_dirs)
    return env.get_template(TEMPLATE).render(context)


def template_files(override_dir: Path | None) -> Iterator[Path]:
    """The theme files a PDF depends on, for the cache key."""
    for root in (override_dir, templates_dir()):
        if root is not None and (root / "pdf").is_dir():
            yield from sorted(p for p in (root / "pdf").rglob("*") if p.is_file())
