"""Exact length counters, one per platform, and the limits they are held to.

Each platform counts differently, and a post that one counter passes another
may refuse, so every counter here follows its platform's own rule:

=========  =====  ==========================================================
platform   limit  what is counted
=========  =====  ==========================================================
x          280    twitter-text v3 weighted length (``xtext``): URLs 23,
                  emoji 2, CJK 2, NFC first
mastodon   500    grapheme clusters, each URL as 23 and ``@user@domain`` as
                  ``@user`` (Mastodon's StatusLengthValidator); an instance
                  may set its own limit and URL length (``/api/v2/instance``)
bluesky    300    grapheme clusters (``\\X``), and at most 3,000 UTF-8 bytes
threads    500    code points, except that an emoji counts its UTF-8 bytes
linkedin   3000   UTF-16 code units of the commentary as sent, that is with
                  the reserved characters escaped
telegram   4096   UTF-16 code units of the text after HTML parsing (tags
                  dropped, entities decoded); 1,024 for a photo caption
slack      40000  characters of the ``text`` field
discord    2000   UTF-16 code units of ``content``
mattermost 16383  code points of ``text``
=========  =====  ==========================================================

``measure(platform, sent_text)`` counts a post in the form it is sent (HTML
for Telegram, escaped for LinkedIn); ``count(platform, plain_text)`` first
turns plain text into that form, which is what ``publisher social count``
reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex

# twitter-text's extractor is Mastodon's too (it is a Ruby port of it).
from twitter_text.extract_urls import (  # type: ignore[import-untyped]
    extract_urls_with_indices,
)

from channels.social import xtext
from channels.social.escape import (
    linkedin_escape,
    slack_escape,
    telegram_escape,
    telegram_visible,
)

__all__ = [
    "BLUESKY_MAX_BYTES",
    "LIMITS",
    "MASTODON_URL_LENGTH",
    "PLATFORMS",
    "TELEGRAM_CAPTION",
    "Count",
    "count",
    "graphemes",
    "measure",
    "measurer",
    "utf16_length",
]

LIMITS: dict[str, int] = {
    "x": xtext.MAX_WEIGHTED_LENGTH,
    "mastodon": 500,
    "bluesky": 300,
    "threads": 500,
    "linkedin": 3000,
    "telegram": 4096,
    "slack": 40000,
    "discord": 2000,
    "mattermost": 16383,
}
PLATFORMS = tuple(LIMITS)
TELEGRAM_CAPTION = 1024
BLUESKY_MAX_BYTES = 3000
MASTODON_URL_LENGTH = 23

_GRAPHEME = regex.compile(r"\X")
_EMOJI_CLUSTER = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3")
# Mastodon's mention pattern (app/models/account.rb MENTION_RE), remote part optional.
_MENTION = regex.compile(
    r"(?<=^|[^/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\w.-]+\w+)?",
    regex.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Count:
    """A text's length on one platform, against its limit."""

    platform: str
    length: int
    limit: int
    valid: bool


def graphemes(text: str) -> int:
    """Extended grapheme clusters: what a reader sees as characters."""
    return len(_GRAPHEME.findall(text))


def utf16_length(text: str) -> int:
    """UTF-16 code units: what Java and JavaScript call a string's length."""
    return len(text.encode("utf-16-le")) // 2


def mastodon_length(text: str, url_length: int = MASTODON_URL_LENGTH) -> int:
    """Mastodon's count: URLs as *url_length*, remote mentions by their local part."""
    parts: list[str] = []
    pos = 0
    for url in extract_urls_with_indices(text, extract_urls_without_protocol=False):
        start, end = url["indices"]
        parts.append(text[pos:start])
        parts.append("x" * url_length)
        pos = end
    parts.append(text[pos:])
    countable = _MENTION.sub(lambda m: "@" + m.group(1), "".join(parts))
    return graphemes(countable)


def threads_length(text: str) -> int:
    """Threads counts characters, but an emoji as its UTF-8 bytes."""
    total = 0
    for cluster in _GRAPHEME.findall(text):
        if _EMOJI_CLUSTER.search(cluster):
            total += len(cluster.encode("utf-8"))
        else:
            total += len(cluster)
    return total


def _telegram(text: str) -> int:
    return utf16_length(telegram_visible(text))


_MEASURES: dict[str, Callable[[str], int]] = {
    "x": xtext.weighted_length,
    "mastodon": mastodon_length,
    "bluesky": graphemes,
    "threads": threads_length,
    "linkedin": utf16_length,
    "telegram": _telegram,
    "slack": len,
    "discord": utf16_length,
    "mattermost": len,
}

# Plain text -> the form it is sent in.
_SENT_FORM: dict[str, Callable[[str], str]] = {
    "linkedin": linkedin_escape,
    "telegram": telegram_escape,
    "slack": slack_escape,
}


def measurer(platform: str) -> Callable[[str], int]:
    """The counter of *platform*, for text in the form it is sent."""
    try:
        return _MEASURES[platform]
    except KeyError:
        known = ", ".join(PLATFORMS)
        raise ValueError(f"unknown platform '{platform}' (known: {known})") from None


def measure(platform: str, sent_text: str) -> int:
    """The length of *sent_text* as *platform* counts it."""
    return measurer(platform)(sent_text)


def _within(platform: str, sent_text: str, length: int, limit: int) -> bool:
    if platform == "x":
        return xtext.parse(sent_text, limit).valid
    if platform == "bluesky" and len(sent_text.encode("utf-8")) > BLUESKY_MAX_BYTES:
        return False
    return 0 < length <= limit


def count(platform: str, text: str, limit: int | None = None) -> Count:
    """Length, limit and validity of plain *text* on *platform*."""
    sent = _SENT_FORM.get(platform, _identity)(text)
    length = measure(platform, sent)
    chosen = LIMITS[platform] if limit is None else limit
    return Count(platform, length, chosen, _within(platform, sent, length, chosen))


def _identity(text: str) -> str:
    return text

