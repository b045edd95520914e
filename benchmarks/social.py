"""Social posts: fit and count one post per platform for 10,000 articles.

Two phases, measured in the same run on the same articles:

- baseline: render each article's full post through its platform's template
  and count it once with the platform's counter (what a tool that only
  reports lengths pays);
- fitted: the whole ``Composer.article_post`` path: render, count, and give
  up hashtags, quote, sentences and words until the post fits, then count
  the result (and, for Bluesky, detect its facets).

A third of the articles carry a dek far over every short limit, so the
fitter has real work. The figure that matters is fitted / baseline.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from channels.social.compose import Composer
from channels.social.counters import measure
from publisher.content import Article, Author, Image, Quote
from publisher.templating import make_environment
from tests.channels.social.conftest import issue_of

N_ARTICLES = 10_000
PLATFORMS = ("x", "mastodon", "bluesky", "threads", "linkedin", "telegram")
_SENTENCE = ("Kazakhstan shipped its first wheat cargoes to Algeria and Saudi Arabia this "
             "season, after a harvest of 26 million tonnes left exporters with a surplus. ")


def _article(i: int) -> Article:
    dek = _SENTENCE * (1 + (i % 3) * 4) + f"Number {i}."
    return Article(
        id=f"bench-{i}", headline=f"Wheat finds new buyers in the Gulf, report {i}",
        dek=dek, authors=(Author(name=f"Erlan Kassymov {i % 17}"),),
        tags=("agriculture", "trade", "central asia"),
        canonical_url=f"https://news.example.org/2026/12/wheat-{i}",
        published_at=datetime(2026, 12, 4, tzinfo=UTC),
        lead_image=Image(src=f"https://img.example/{i}.jpg", alt="A grain elevator"),
        body=(Quote(text="Every extra sailing is a week off the journey.",
                    attribution="Aigerim Nurlanova"),))


def main() -> None:
    composer = Composer(make_environment())
    articles = [_article(i) for i in range(N_ARTICLES)]
    issue = issue_of(articles[0])
    t0 = time.perf_counter()
    for article in articles:
        for platform in PLATFORMS:
            measure(platform, composer.unfitted(issue, article, platform))
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    over = 0
    for article in articles:
        for platform in PLATFORMS:
            over += not composer.article_post(issue, article, platform).fits
    fitted = time.perf_counter() - t0
    posts = N_ARTICLES * len(PLATFORMS)
    print(f"social: {N_ARTICLES:,} articles x {len(PLATFORMS)} platforms = {posts:,} posts")
    print(f"  baseline (render + count once): {posts / base:8.0f} posts/s")
    print(f"  fitted (fit + count):           {posts / fitted:8.0f} posts/s, "
          f"{over} over their limit")
    print(f"  ratio fitted/baseline: throughput {base / fitted:.2f}x")
