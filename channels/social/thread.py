"""Thread mode: a long text as numbered posts (``1/4``), each within the limit.

The text is cut at sentence ends where it can be, at word gaps where a
sentence is longer than a post, and never inside a URL, hashtag, mention,
quotation or name (``segment``). Each post is measured with the platform's
own counter *with* its number, so ``3/12`` costs what it costs there.

The number's width depends on how many posts there are, which depends on the
room the number leaves: the split is made with room for the widest number of
a given digit count and made again, wider, in the rare case that the count
grows a digit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from channels.social.segment import cuts

__all__ = ["ThreadError", "number", "split_thread"]

Measure = Callable[[str], int]


class ThreadError(ValueError):
    """Some word of the text is longer than a whole post."""


def number(index: int, total: int) -> str:
    """The suffix that numbers post *index* of *total*."""
    return f"\n\n{index}/{total}"


def split_thread(text: str, measure: Measure, limit: int, *, names: Sequence[str] = (),
                 reserve: int = 0) -> list[str]:
    """*text* as posts that each fit *limit* with their number appended.

    One post that fits needs no number and gets none. *reserve* posts are
    counted in the total (numbers run across them), for threads that carry
    other posts after this text.
    """
    text = text.strip()
    if reserve == 0 and 0 < measure(text) <= limit:
        return [text]
    digits = 1
    while True:
        widest = number(10**digits - 1, 10**digits - 1)
        parts = _split(text, partial(_with_suffix, measure, widest), limit, names)
        total = len(parts) + reserve
        if len(str(total)) <= digits:
            return [p + number(i, total) for i, p in enumerate(parts, 1)]
        digits += 1


def _with_suffix(measure: Measure, suffix: str, text: str) -> int:
    return measure(text + suffix)


def _split(text: str, measure: Measure, limit: int, names: Sequence[str]) -> list[str]:
    parts: list[str] = []
    rest = text
    while rest:
        if 0 < measure(rest) <= limit:
            parts.append(rest)
            break
        end = _furthest(rest, measure, limit, names)
        parts.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    return parts


def _furthest(text: str, measure: Measure, limit: int, names: Sequence[str]) -> int:
    """The furthest cut whose head fits: a sentence end if any fits, else a word gap."""
    found = cuts(text, names)
    for candidates in (found.sentences, found.words):
        best = _bisect(text, candidates, measure, limit)
        if best is not None:
            return best
    raise ThreadError(f"cannot split without cutting a word: {text[:60]!r}")


def _bisect(text: str, ends: Sequence[int], measure: Measure, limit: int) -> int | None:
    lo, hi, best = 0, len(ends) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        head = text[:ends[mid]].rstrip()
        if head and measure(head) <= limit:
            best, lo = ends[mid], mid + 1
        else:
            hi = mid - 1
    return best
