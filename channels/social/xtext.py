"""X (Twitter) weighted length, by the twitter-text v3 rules.

The rules (twitter-text's ``parseTweet`` with the v3 configuration):

* the text is NFC-normalised first and line endings become ``\\n``;
* every URL the twitter-text extractor finds (with or without a protocol)
  weighs 23, whatever its length;
* every emoji sequence the twemoji list knows (``👨‍👩‍👧‍👦``, ``🙋🏽``, ``1⃣``)
  weighs 2, however many code points it holds;
* any other code point weighs 1 in the ranges U+0000-U+10FF, U+2000-U+200D,
  U+2010-U+201F and U+2032-U+2037, and 2 elsewhere (CJK, most symbols);
* a text is valid when it is not empty, holds no invalid character
  (U+FFFE, U+FEFF, U+FFFF) and weighs at most 280.

URL and emoji extraction come from ``twitter-text-parser`` (the Python port of
the twitter-text extractor, its TLD lists and the twemoji list); the loop is
ours because the library runs its 3,800-way emoji regex on every text, which
costs about 0.6 ms a call, while a text with no character that can start an
emoji (nothing at or above U+2000, no © or ®) cannot hold one. The conformance
tests check this module against the published twitter-text data, and a
property test checks it against the library's own ``parse_tweet``.

Offsets in the result are UTF-16 code units, as twitter-text's are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The library ships no type information.
from twitter_text.extract_urls import (  # type: ignore[import-untyped]
    extract_urls_with_indices,
)
from twitter_text.regexp.emoji import emoji as _EMOJI  # type: ignore[import-untyped]

__all__ = ["MAX_WEIGHTED_LENGTH", "URL_LENGTH", "XLength", "parse", "weighted_length"]

MAX_WEIGHTED_LENGTH = 280
URL_LENGTH = 23
_SCALE = 100
_DEFAULT_WEIGHT = 200
_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
# Every twemoji sequence holds a code point at or above U+2000, or © or ®
# (a test checks this against the library's list), so a text without one
# needs no emoji scan.
_MAY_HOLD_EMOJI = re.compile("[\u00a9\u00ae\u2000-\U0010ffff]")
_INVALID = re.compile("[\ufffe\ufeff\uffff]")
_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class XLength:
    """twitter-text's ``parseTweet`` result, field for field."""

    weightedLength: int  # the published field names
    valid: bool
    permillage: int
    displayRangeStart: int
    displayRangeEnd: int
    validRangeStart: int
    validRangeEnd: int


def _weight(char: str) -> int:
    code = ord(char)
    for start, end in _RANGES:
        if start <= code <= end:
            return _SCALE
    return _DEFAULT_WEIGHT


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entities(text: str) -> tuple[dict[int, int], dict[int, int]]:
    """Start -> end (code point offsets) of every URL, and of every emoji."""
    urls = {u["indices"][0]: u["indices"][1] for u in extract_urls_with_indices(text)}
    emoji: dict[int, int] = {}
    if _MAY_HOLD_EMOJI.search(text):
        emoji = {m.start(): m.end() for m in _EMOJI.finditer(text)}
    return urls, emoji


def _walk(text: str, limit: int) -> tuple[int, bool, int]:
    """(scaled weight, no invalid character, index of the last char within *limit*)."""
    urls, emoji = _entities(text)
    weight, valid, last_ok, i = 0, True, 0, 0
    while i < len(text):
        if i in urls:
            weight += URL_LENGTH * _SCALE
            i = urls[i] - 1
        elif i in emoji:
            weight += _DEFAULT_WEIGHT
            i = emoji[i] - 1
        else:
            weight += _weight(text[i])
        # Like twitter-text, an entity is judged by its last character.
        valid = valid and not _INVALID.match(text, i)
        if valid and weight <= limit * _SCALE:
            last_ok = i
        i += 1
    return weight, valid, last_ok


def parse(text: str, limit: int = MAX_WEIGHTED_LENGTH) -> XLength:
    """The weighted length, validity and ranges of *text* under the v3 rules."""
    normal = _LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))
    scaled, clean, last_ok = _walk(normal, limit)
    weighted = scaled // _SCALE
    # Ranges are reported on the text as given: normalisation may have
    # shortened it, and the difference is added back as twitter-text does.
    valid_end = _utf16(normal[:last_ok + 1]) - 1 + _utf16(text) - _utf16(normal)
    return XLength(
        weightedLength=weighted,
        valid=clean and 0 < weighted <= limit,
        permillage=weighted * 1000 // limit,
        displayRangeStart=0,
        displayRangeEnd=max(_utf16(text) - 1, 0),
        validRangeStart=0,
        validRangeEnd=valid_end,
    )


def weighted_length(text: str) -> int:
    """Just the weighted length: what a fitter compares with the limit."""
    return parse(text).weightedLength
