"""Bluesky rich-text facets: links and hashtags, with UTF-8 byte offsets.

A Bluesky post is plain text; what makes a link clickable or a hashtag
searchable is a facet beside it, addressed by UTF-8 byte offsets into the
text (``index.byteStart`` inclusive, ``index.byteEnd`` exclusive). The
detection follows the reference client's ``RichText.detectFacets``: a link
starts after the start, a space or ``(``, and loses one trailing ``.,;:!?``
and any unbalanced ``)``; a hashtag starts after the start or a space, is not
all digits, loses trailing punctuation and holds at most 64 characters.
Bare domains (``example.org``) are left alone: telling them from
abbreviations needs the TLD list, and every link we post carries its scheme.
"""

from __future__ import annotations

from typing import Any

import regex

__all__ = ["LINK", "TAG", "detect_facets"]

LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"
_MAX_TAG = 64

_URL = regex.compile(r"(?:^|(?<=[\s(]))https?://\S+", regex.IGNORECASE)
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_HASHTAG = regex.compile(
    rf"(?:^|(?<=\s))[#＃]((?!\ufe0f)[^\s{_INVISIBLE}]*[^\d\s\p{{P}}{_INVISIBLE}]+"
    rf"[^\s{_INVISIBLE}]*)")
_TRAILING_PUNCT = regex.compile(r"\p{P}+$")


def _byte_index(text: str, start: int, end: int) -> dict[str, int]:
    byte_start = len(text[:start].encode("utf-8"))
    return {"byteStart": byte_start,
            "byteEnd": byte_start + len(text[start:end].encode("utf-8"))}


def _links(text: str) -> list[tuple[int, int, dict[str, Any]]]:
    found = []
    for m in _URL.finditer(text):
        uri, end = m.group(0), m.end()
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        # The reference drops a ")" only when the URL has no "("; balancing
        # also frees "(see https://e.org/a_(b))." from its closing bracket.
        while uri.endswith(")") and uri.count(")") > uri.count("("):
            uri, end = uri[:-1], end - 1
        found.append((m.start(), end, {"$type": LINK, "uri": uri}))
    return found


def _tags(text: str) -> list[tuple[int, int, dict[str, Any]]]:
    found = []
    for m in _HASHTAG.finditer(text):
        tag = _TRAILING_PUNCT.sub("", m.group(1).strip())
        if 0 < len(tag) <= _MAX_TAG:
            found.append((m.start(), m.start() + 1 + len(tag), {"$type": TAG, "tag": tag}))
    return found


def detect_facets(text: str) -> list[dict[str, Any]]:
    """The link and hashtag facets of *text*, in text order, as the lexicon shapes them."""
    spans = sorted(_links(text) + _tags(text), key=lambda s: s[0])
    return [{"index": _byte_index(text, start, end), "features": [feature]}
            for start, end, feature in spans]
