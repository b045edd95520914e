"""Every fitted post is within its limit by its platform's counter and keeps link and credit."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.social.channel import RENDERED
from channels.social.compose import STYLES, Composer, credit_line
from channels.social.counters import measure
from channels.social.escape import telegram_visible
from channels.social.fit import Copy, fit
from channels.social.thread import split_thread
from publisher.content import Article, Author, Image, Paragraph, Quote, Text
from tests.channels.social.conftest import issue_of
from tests.strategies import article as any_article

_WORDS = st.sampled_from([
    "grain", "ferry", "the", "price", "Tokayev", "Kassym-Jomart Tokayev", "日本語", "😷",
    "https://example.org/very/long/path/of/the/story?id=12345", "#trade", "@desk",
    "“a quoted phrase, kept whole”", "Saudi Arabia", "Ünïcödé", "e.g.", "Dr. Smith", "x" * 30])
_sentence = st.lists(_WORDS, min_size=1, max_size=12).map(lambda ws: " ".join(ws) + ".")
_long_text = st.lists(_sentence, min_size=1, max_size=10).map(" ".join)
_names = st.sampled_from(["Erlan Kassymov", "Aigerim Nurlanova", "J. R. R. Tolkien", "李明",
                          "Zarina Yusupova-Abenova"])


@st.composite
def long_articles(draw: st.DrawFn) -> Article:
    authors = tuple(Author(name=n) for n in draw(st.lists(_names, max_size=3, unique=True)))
    body = (Quote(text=draw(_sentence), attribution=draw(_names)),
            Paragraph(inlines=(Text(text=draw(_long_text)),)))
    return Article(id="a1", headline=draw(_sentence)[:-1], dek=draw(_long_text),
                   authors=authors, tags=("trade", "central asia", "2026", "water"),
                   canonical_url=draw(st.sampled_from([
                       "https://news.example.org/articles/a1",
                       "https://news.example.org/" + "long-path/" * 20 + "a1"])),
                   lead_image=Image(src="https://img.example/a.jpg", alt="A ferry"),
                   body=body)


def _seen(platform: str, text: str) -> str:
    """The post as its reader sees it (Telegram's HTML parsed)."""
    return telegram_visible(text) if platform == "telegram" else text


def _check(composer: Composer, article: Article) -> None:
    issue = issue_of(article)
    link = article.canonical_url or f"https://news.example.org/articles/{article.id}"
    for platform in RENDERED:
        if not STYLES[platform].threaded:
            continue
        post = composer.posts(issue, platform)[-1]
        assert post.length == measure(platform, post.text)
        assert post.fits, (platform, post.length, post.limit, post.text)
        seen, style = _seen(platform, post.text), STYLES[platform]
        assert style.escape_link(link) in seen
        assert style.escape(credit_line(article)) in seen


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_articles())
def test_long_copy_is_fitted_to_every_platform(composer: Composer, article: Article) -> None:
    _check(composer, article)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_article)
def test_any_article_is_fitted_to_every_platform(composer: Composer, article: Article) -> None:
    _check(composer, article)


def _render(copy: Copy) -> str:
    parts = [copy.headline, copy.text, copy.quote, copy.credit, copy.link, " ".join(
        "#" + t for t in copy.hashtags)]
    return "\n\n".join(p for p in parts if p)


def test_shortening_gives_up_hashtags_then_quote_then_cuts_at_a_sentence() -> None:
    copy = Copy(headline="Ferries", text="First sentence here. Second one is longer than that.",
                quote="“Never cut me”", credit="By Erlan Kassymov", link="https://e.org/a",
                hashtags=("trade", "water"))
    got = fit(copy, _render, len, 70)
    assert got.fits and got.copy.hashtags == () and got.copy.quote == ""
    assert "First sentence here. …" in got.text and "By Erlan Kassymov" in got.text


def test_a_word_cut_never_splits_a_name_or_quotation() -> None:
    text = "Officials said Kassym-Jomart Tokayev will visit “the new port at Aktau” soon"
    for limit in range(40, 110):
        got = fit(Copy(headline="H", text=text, link="https://e.org"), _render, len, limit)
        kept = got.copy.text.rstrip("…")
        assert kept.count("“") == kept.count("”")
        assert not kept.endswith(("Kassym-Jomart", "Officials said Kassym-Jomart"))


def test_link_and_credit_survive_even_without_headline() -> None:
    copy = Copy(headline="A very long headline " * 5, credit="By A", link="https://e.org/x")
    got = fit(copy, _render, len, 30)
    assert got.fits and "https://e.org/x" in got.text and "By A" in got.text


@settings(max_examples=30, deadline=None)
@given(_long_text, st.sampled_from(["x", "mastodon", "bluesky", "threads"]))
def test_thread_mode_numbers_posts_each_within_the_limit(text: str, platform: str) -> None:
    limit = {"x": 280, "mastodon": 500, "bluesky": 300, "threads": 500}[platform]
    posts = split_thread(text, lambda t: measure(platform, t), limit)
    assert all(0 < measure(platform, p) <= limit for p in posts)
    if len(posts) > 1:
        assert [p.rsplit("\n", 1)[-1] for p in posts] == [
            f"{i}/{len(posts)}" for i in range(1, len(posts) + 1)]
    joined = " ".join(p.rsplit("\n\n", 1)[0] if len(posts) > 1 else p for p in posts)
    assert joined.split() == text.split()
