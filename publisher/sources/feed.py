"""RSS 2.0 and Atom feeds: every entry becomes an Article.

feedparser does the format work, but is only ever handed bytes in a
stream: given a string (or bytes, which it tries as a file name) it would
fetch URLs or open local files itself. Fetching is :func:`fetch_feed`'s job,
through the :class:`~publisher.fetch.SafeFetcher`.

Per entry: the headline is the title with markup removed (or, lacking one,
the first words of the summary; an entry with neither is skipped); the id
is :func:`entry_id` of the GUID, so the same entry imported again keeps its
id whatever its title becomes and the store de-duplicates on it; the body is
the first content (else the summary) through
:func:`~publisher.sources.html.blocks_from_html`, relative links resolved
against the entry's link; ``section`` is the first category, ``tags`` all
of them; ``source`` the feed title; the lead image comes from
``media:content``/``media:thumbnail`` or an image enclosure. Dates are aware
UTC datetimes.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser
from feedparser.exceptions import ThingsNobodyCaresAboutButMe

from publisher.content import Article, Author, Block, Image, Paragraph, Text, plain_text
from publisher.errors import ContentError
from publisher.fetch import SafeFetcher
from publisher.sources.html import blocks_from_html, clean_text, safe_url, text_from_html

__all__ = ["entry_id", "fetch_feed", "parse_feed"]

_HEADLINE_WORDS = 12
_Entry = Mapping[str, Any]  # feedparser's FeedParserDict, untyped


def entry_id(guid: str, feed_key: str = "") -> str:
    """The Article id of the entry with *guid* (``feed-`` + a SHA-256 prefix).

    A GUID that is a URI is taken as globally unique; a bare one ("42") is
    only unique inside its feed, so *feed_key* (the feed's link or id) is
    mixed in to keep two feeds' entry 42 apart.
    """
    key = guid if ":" in guid else f"{feed_key}\x1f{guid}"
    return "feed-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def parse_feed(
    data: bytes, *, source: str, base_url: str | None = None, content_type: str | None = None
) -> list[Article]:
    """The Articles of the RSS or Atom feed in *data*; *source* names it in errors.

    *base_url* (where the bytes came from) resolves relative links and
    *content_type* (the HTTP header) helps decode it.
    """
    headers = {"content-location": base_url or "", "content-type": content_type or ""}
    parsed = feedparser.parse(
        io.BytesIO(data), response_headers={k: v for k, v in headers.items() if v}
    )
    feed = parsed.get("feed") or {}
    built = (_article(entry, feed, source) for entry in parsed.get("entries") or [])
    articles = [article for article in built if article is not None]
    # A broken feed the loose parser salvaged entries from is still worth
    # reading; one it salvaged nothing from, or a document that is no feed
    # at all, is an error. A valid feed with no items is just empty.
    if not articles and (_broken(parsed) or not parsed.get("version")):
        raise _malformed(parsed, source)
    return articles


def fetch_feed(url: str, fetcher: SafeFetcher) -> list[Article]:
    """Fetch *url* through *fetcher* and parse it; FetchError if refused."""
    result = fetcher.fetch(url)
    return parse_feed(
        result.content, source=url, base_url=result.url, content_type=result.content_type
    )


def _broken(parsed: _Entry) -> bool:
    problem = parsed.get("bozo_exception")
    # feedparser's own name for warnings such as a wrong declared charset.
    return bool(parsed.get("bozo")) and not isinstance(problem, ThingsNobodyCaresAboutButMe)


def _malformed(parsed: _Entry, source: str) -> ContentError:
    problem = parsed.get("bozo_exception")
    line_of = getattr(problem, "getLineNumber", None)
    line = line_of() if callable(line_of) else None
    detail = f": {problem}" if problem else ""
    return ContentError(
        f"is not an RSS or Atom feed{detail}",
        source=source,
        line=line if isinstance(line, int) else None,
    )


def _article(entry: _Entry, feed: _Entry, source: str) -> Article | None:
    link = safe_url(str(entry.get("link") or ""))
    absolute_link = link if link and "//" in link else None
    body = _body(entry, absolute_link)
    summary = _summary(entry)
    headline = _headline(entry, summary or plain_text(body))
    if not headline:
        return None  # nothing to call it by: a blank entry, not an error
    try:
        return Article(
            id=entry_id(_guid(entry, headline), str(feed.get("link") or feed.get("id") or "")),
            headline=headline,
            section=next(iter(_tags(entry)), ""),
            authors=_authors(entry),
            published_at=_when(entry.get("published_parsed")),
            updated_at=_when(_own(entry, "updated_parsed")),
            source=clean_text(str(feed.get("title") or "")) or None,
            copyright=clean_text(str(entry.get("rights") or feed.get("rights") or "")) or None,
            canonical_url=absolute_link,
            language=clean_text(str(feed.get("language") or "")) or None,
            tags=_tags(entry),
            lead_image=_lead_image(entry, absolute_link),
            summary=summary,
            body=body,
        )
    except ContentError as exc:
        raise exc.located(source) from None


def _guid(entry: _Entry, headline: str) -> str:
    """The entry's GUID, else its link, else what it says and when."""
    guid = str(entry.get("id") or entry.get("link") or "").strip()
    when = entry.get("published") or _own(entry, "updated") or ""
    return guid or f"{headline}\x1f{when}"


def _headline(entry: _Entry, fallback_text: str) -> str:
    detail = entry.get("title_detail") or {}
    title = str(entry.get("title") or "")
    # A text/plain title may say "AT&T <rocks>": only markup titles lose tags.
    if "html" in str(detail.get("type") or ""):
        title = text_from_html(title)
    headline = clean_text(title)
    if headline:
        return headline
    words = clean_text(fallback_text).split(" ")
    if words == [""]:
        return ""
    return " ".join(words[:_HEADLINE_WORDS]) + ("…" if len(words) > _HEADLINE_WORDS else "")


def _summary(entry: _Entry) -> str | None:
    summary = entry.get("summary")
    if not summary:
        return None
    detail = entry.get("summary_detail") or {}
    text = text_from_html(summary) if "html" in str(detail.get("type") or "html") else summary
    return clean_text(text) or None


def _body(entry: _Entry, link: str | None) -> tuple[Block, ...]:
    contents = entry.get("content") or []
    chosen = contents[0] if contents else entry.get("summary_detail")
    if not chosen or not chosen.get("value"):
        return ()
    value = str(chosen["value"])
    if "html" in str(chosen.get("type") or "html"):
        return blocks_from_html(value, base_url=link)
    paragraphs = (clean_text(p) for p in value.split("\n\n"))
    return tuple(Paragraph(inlines=(Text(text=p),)) for p in paragraphs if p)


def _authors(entry: _Entry) -> tuple[Author, ...]:
    found: dict[str, Author] = {}
    previous: _Entry = {}
    for person in entry.get("authors") or []:
        name = clean_text(str(person.get("name") or person.get("email") or ""))
        # feedparser 6 copies one Atom author's email/uri into the next
        # author lacking them; a value equal to the previous one is that copy.
        email, href = (
            str(person.get(key) or "").strip() if person.get(key) != previous.get(key) else ""
            for key in ("email", "href")
        )
        previous = person
        if name and name not in found:
            found[name] = Author(name=name, email=email or None, url=safe_url(href) or None)
    if not found and entry.get("author"):
        name = clean_text(str(entry["author"]))
        found = {name: Author(name=name)} if name else {}
    return tuple(found.values())


def _tags(entry: _Entry) -> tuple[str, ...]:
    tags = entry.get("tags") or []
    terms = (clean_text(str(t.get("label") or t.get("term") or "")) for t in tags)
    return tuple(dict.fromkeys(term for term in terms if term))


def _own(entry: _Entry, key: str) -> object:
    """*entry*[key] without feedparser's deprecated fallback from updated to
    published (which warns, and would invent an update time)."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _when(parsed: object) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime."""
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (ValueError, OverflowError, OSError):  # a year datetime cannot hold
        return None


def _lead_image(entry: _Entry, link: str | None) -> Image | None:
    candidates = [
        *(m for m in entry.get("media_content") or [] if _is_image(m, "medium")),
        *(entry.get("media_thumbnail") or []),
        *(e for e in entry.get("enclosures") or [] if _is_image(e, "")),
    ]
    for candidate in candidates:
        src = safe_url(str(candidate.get("url") or candidate.get("href") or ""), link, image=True)
        if src:
            return Image(src=src)
    return None


def _is_image(item: _Entry, medium_key: str) -> bool:
    kind = str(item.get("type") or "")
    return kind.startswith("image/") or (bool(medium_key) and item.get(medium_key) == "image")
