"""Where a post's text may be cut: sentence ends and word gaps outside protected spans.

A cut never falls inside a URL, hashtag, mention or quotation, and never
between the words of a name: a run of capitalised words ("Kassym-Jomart
Tokayev", "J. R. R. Tolkien", "Saudi Arabia"), or any name the caller passes
(the authors, a quote's speaker). Cutting "Erlan Kassymov" after "Erlan"
turns a byline into a different person; cutting a quotation puts words in
someone's mouth. Sentence ends skip common abbreviations and initials.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

__all__ = ["Cuts", "cuts", "protected_spans"]

_URL = r"(?:https?://|www\.)\S+"
_TAG = r"[#＃$][\w-]+"
_MENTION = r"@\w[\w.]*(?:@[\w.-]+\w)?"
_QUOTE = r"\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»|„[^“”\n]*[“”]|(?<!\w)‘[^’\n]*’(?!\w)"
_TITLE = r"(?:Dr|Mr|Mrs|Ms|Prof|St|Gen|Gov|Sen|Rep|Lt|Col|Capt|Sgt)\."
_WORD = rf"(?:{_TITLE}|\p{{Lu}}(?:\.|[\p{{L}}\p{{M}}'’-]+))"
_PARTICLE = r"(?:de|da|del|der|di|du|van|von|bin|ibn|al|el|le|la)"
_NAME = rf"{_WORD}(?:[ \u00a0]+(?:{_PARTICLE}[ \u00a0]+)?{_WORD})+"
# Quotations before names: a quoted name is still one quotation.
_PROTECTED = regex.compile(f"{_URL}|{_QUOTE}|{_TAG}|{_MENTION}|{_NAME}")
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "gov", "sen", "rep", "lt",
    "col", "capt", "sgt", "inc", "ltd", "co", "corp", "vs", "etc", "eg", "ie", "no", "nos",
    "approx", "dept", "est", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "mt", "ft"})
_SENTENCE_END = regex.compile(r"[.!?…][\"'”’)\]»]*(?=\s)")


@dataclass(frozen=True, slots=True)
class Cuts:
    """Offsets where text may end: after whole sentences, and at word gaps."""

    sentences: tuple[int, ...]
    words: tuple[int, ...]


def protected_spans(text: str, names: Iterable[str] = ()) -> list[tuple[int, int]]:
    """(start, end) of every stretch of *text* that must stay whole."""
    spans = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    for name in names:
        name = name.strip()
        if not name:
            continue
        start = text.find(name)
        while start >= 0:
            spans.append((start, start + len(name)))
            start = text.find(name, start + 1)
    return spans


def _blocked(text: str, spans: Sequence[tuple[int, int]]) -> bytearray:
    blocked = bytearray(len(text) + 1)
    for start, end in spans:
        blocked[start + 1:end] = b"\x01" * max(end - start - 1, 0)
    return blocked


def _is_abbreviation(text: str, end: int) -> bool:
    """Whether the full stop just before *end* closes an abbreviation or initial."""
    if text[end - 1] != ".":
        return False
    start = end - 1
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:end - 1].replace(".", "").lower()
    return len(word) == 1 or word in _ABBREVIATIONS


def cuts(text: str, names: Iterable[str] = ()) -> Cuts:
    """Every place *text* may be cut, each an offset just past the kept part."""
    blocked = _blocked(text, protected_spans(text, names))
    words = tuple(i for i, ch in enumerate(text) if ch.isspace() and not blocked[i]
                  and i > 0 and not text[i - 1].isspace())
    sentences = []
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if not blocked[end] and not _is_abbreviation(text, m.start() + 1):
            sentences.append(end)
    return Cuts(tuple(sentences), words)
