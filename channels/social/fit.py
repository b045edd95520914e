"""The fitter: the richest version of a post that its platform's counter accepts.

A post is made from a ``Copy`` (headline, text, quote, credit, link,
hashtags) by a render function (the platform's template). When the whole
copy is too long, the fitter gives things up in this order, measuring every
candidate with the platform's own counter:

1. hashtags, last first;
2. the quote, whole (a quotation is never cut);
3. the text: whole sentences, then words, with an ellipsis;
4. the text altogether;
5. the headline: words, with an ellipsis; then the headline altogether.

The link and the credit are never given up. Cuts come from ``segment``, so
none falls inside a URL, hashtag, mention, quotation or name. Candidates of
one step are prefixes of one another, so the longest that fits is found by
bisection: a handful of counts per post, not one per word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from channels.social.segment import cuts

__all__ = ["ELLIPSIS", "Copy", "Fitted", "fit", "shorten_candidates"]

ELLIPSIS = "…"
_TRIM = " \t\n,;:–—-"


@dataclass(frozen=True, slots=True, kw_only=True)
class Copy:
    """What a post says, in parts the fitter can give up one by one."""

    headline: str
    text: str = ""
    quote: str = ""
    credit: str = ""
    link: str = ""
    hashtags: tuple[str, ...] = ()
    # Names never to cut, beyond the capitalised runs found in the text.
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Fitted:
    """A rendered post, its length by the platform's counter, and its limit."""

    text: str
    length: int
    limit: int
    copy: Copy

    @property
    def fits(self) -> bool:
        return 0 < self.length <= self.limit


Render = Callable[[Copy], str]
Measure = Callable[[str], int]


def shorten_candidates(text: str, names: Sequence[str] = ()) -> list[str]:
    """Shorter versions of *text*, shortest first: word cuts, then sentence cuts."""
    found = cuts(text, names)
    by_sentence = [_with_ellipsis(text[:end]) for end in found.sentences if end < len(text)]
    by_word = [_with_ellipsis(text[:end]) for end in found.words]
    shortest_sentence = min((len(s) for s in by_sentence), default=len(text))
    # Word cuts only help where no sentence cut is as short.
    words = [w for w in by_word if len(w) < shortest_sentence]
    return sorted(set(words + by_sentence), key=len)


def _with_ellipsis(kept: str) -> str:
    kept = kept.rstrip(_TRIM)
    if kept.endswith((".", "!", "?", "…")):
        return f"{kept} {ELLIPSIS}" if kept[-1] != "…" else kept
    return kept + ELLIPSIS


def _fields(copy: Copy) -> Iterator[Copy]:
    """Whole-part candidates, richest first: hashtags, then the quote given up."""
    for keep in range(len(copy.hashtags), -1, -1):
        yield replace(copy, hashtags=copy.hashtags[:keep])
    if copy.quote:
        yield replace(copy, hashtags=(), quote="")


def _longest(candidates: Sequence[Copy], attempt: Callable[[Copy], Fitted | None]
             ) -> Fitted | None:
    """The longest fitting candidate of a list ordered shortest first (bisection)."""
    lo, hi, best = 0, len(candidates) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        got = attempt(candidates[mid])
        if got is None:
            hi = mid - 1
        else:
            best, lo = got, mid + 1
    return best


def fit(copy: Copy, render: Render, measure: Measure, limit: int) -> Fitted:
    """The richest rendering of *copy* within *limit*, or the barest one if none fits."""
    def attempt(candidate: Copy) -> Fitted | None:
        text = render(candidate)
        length = measure(text)
        return Fitted(text, length, limit, candidate) if 0 < length <= limit else None

    for candidate in _fields(copy):
        if (got := attempt(candidate)) is not None:
            return got
    bare = replace(copy, hashtags=(), quote="")
    for step in _shrinking(bare):
        if (got := _longest(step, attempt)) is not None:
            return got
    last = replace(bare, text="", headline="")
    text = render(last)
    return Fitted(text, measure(text), limit, last)


def _shrinking(bare: Copy) -> Iterator[list[Copy]]:
    """Lists of ever barer candidates, each list shortest first."""
    if bare.text:
        texts = shorten_candidates(bare.text, bare.names)
        yield [replace(bare, text=t) for t in texts]
        yield [replace(bare, text="")]
    headless = replace(bare, text="")
    heads = shorten_candidates(bare.headline, bare.names)
    yield [replace(headless, headline=h) for h in heads]
    yield [replace(headless, headline="")]
