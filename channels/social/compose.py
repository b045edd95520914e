"""From an Issue to each platform's posts: templates, then the fitter and thread mode.

Each platform has a template per article and one per Issue under
``templates/social/`` (``x_article.txt``, ``telegram_issue.html``, ...). They
get the copy already escaped for the platform (LinkedIn's reserved
characters; Telegram's HTML is escaped by Jinja's autoescape instead), so a
template only arranges it.

Threaded platforms (X, Mastodon, Bluesky, Threads, Telegram) get a thread:
the Issue's own post (its note split into as many posts as it needs) and
then one fitted post per article, all numbered ``i/N`` when there is more
than one. LinkedIn and the chat webhooks get one digest post listing the
articles, split only if it is longer than the limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import jinja2
import regex

from channels.social.counters import (
    LIMITS,
    TELEGRAM_CAPTION,
    mastodon_length,
    measurer,
)
from channels.social.escape import (
    linkedin_escape,
    linkedin_hashtag,
    markdown_escape,
    slack_escape,
)
from channels.social.facets import detect_facets
from channels.social.fit import Copy, fit
from channels.social.model import LinkCard, Media, Post
from channels.social.thread import number, split_thread
from publisher.content import Article, Image, Issue, Quote, plain_text

__all__ = ["STYLES", "Composer", "Rule", "Style", "article_copy", "credit_line", "hashtag"]

Measure = Callable[[str], int]


@dataclass(frozen=True, slots=True)
class Style:
    """How a platform's copy is written: markup, hashtags, attachments, threading."""

    platform: str
    ext: str = "txt"
    escape: Callable[[str], str] = str
    # Links are escaped only where the markup needs it inside a URL too.
    escape_link: Callable[[str], str] = str
    hashtag: Callable[[str], str] = lambda tag: "#" + tag
    max_hashtags: int = 3
    threaded: bool = True
    media: bool = False
    card: bool = False


STYLES: dict[str, Style] = {s.platform: s for s in (
    Style("x", max_hashtags=2),
    Style("mastodon", media=True),
    Style("bluesky", card=True),
    # Threads allows one hashtag (a "topic") per post.
    Style("threads", max_hashtags=1, media=True),
    Style("telegram", ext="html", media=True),
    Style("linkedin", escape=linkedin_escape, escape_link=linkedin_escape,
          hashtag=linkedin_hashtag, threaded=False, card=True),
    Style("slack", escape=slack_escape, escape_link=slack_escape, max_hashtags=0,
          threaded=False),
    Style("discord", escape=markdown_escape, max_hashtags=0, threaded=False),
    Style("mattermost", escape=markdown_escape, max_hashtags=0, threaded=False),
)}


@dataclass(frozen=True, slots=True)
class Rule:
    """How long a post may be on one account: a limit and the counter that applies it."""

    limit: int
    measure: Measure

    @classmethod
    def default(cls, platform: str) -> Rule:
        return cls(LIMITS[platform], measurer(platform))

    @classmethod
    def mastodon(cls, max_characters: int, url_length: int) -> Rule:
        """An instance's own limits, as ``/api/v2/instance`` reports them."""
        return cls(max_characters, partial(mastodon_length, url_length=url_length))


_WORDS = regex.compile(r"[\p{L}\p{N}]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def hashtag(tag: str) -> str:
    """A tag as hashtag text, words run together: "central asia" -> "CentralAsia"."""
    words: list[str] = _WORDS.findall(tag)
    if len(words) == 1:
        return words[0]
    return "".join(w[:1].upper() + w[1:] for w in words)


def credit_line(article: Article) -> str:
    """Who the story is by, as every channel prints it: the byline, else the copyright."""
    if article.authors:
        return f"By {article.byline}"
    if article.copyright:
        return f"© {article.copyright}"
    return article.source or ""


def _quote(article: Article) -> tuple[str, str]:
    """The article's first quotation, formatted, and its speaker."""
    for block in article.body:
        if isinstance(block, Quote):
            who = (block.attribution or "").strip()
            text = f"“{block.text.strip()}”" + (f" — {who}" if who else "")
            return text, who
    return "", ""


def _image(article: Article) -> Image | None:
    if article.lead_image is not None:
        return article.lead_image
    return next((b for b in article.body if isinstance(b, Image)), None)


def article_link(article: Article, issue: Issue) -> str:
    base = issue.publication.base_url.rstrip("/")
    return article.canonical_url or f"{base}/articles/{article.id}"


def issue_link(issue: Issue) -> str:
    return f"{issue.publication.base_url.rstrip('/')}/issues/{issue.number}"


def article_copy(article: Article, issue: Issue, max_hashtags: int = 3) -> Copy:
    """The parts of an article's post, before any platform's escaping."""
    quote, speaker = _quote(article)
    tags = tuple(t for t in (hashtag(t) for t in article.tags) if t and not t.isdigit())
    return Copy(headline=article.headline, text=(article.dek or article.summary or "").strip(),
                quote=quote, credit=credit_line(article), link=article_link(article, issue),
                hashtags=tags[:max_hashtags],
                names=tuple(a.name for a in article.authors) + ((speaker,) if speaker else ()))


class Composer:
    """Renders every platform's posts for an Issue through the theme's templates."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env

    def posts(self, issue: Issue, platform: str, rule: Rule | None = None) -> list[Post]:
        """The posts *platform* gets for *issue*, in order, each counted against its limit."""
        style = STYLES[platform]
        rule = rule or Rule.default(platform)
        if style.threaded:
            return self._thread(issue, style, rule)
        return self._digest(issue, style, rule)

    def article_post(self, issue: Issue, article: Article, platform: str,
                     rule: Rule | None = None) -> Post:
        """One article's post on its own (no thread numbering): previews and benchmarks."""
        return self._article_post(issue, article, STYLES[platform],
                                  rule or Rule.default(platform), 1, 1)

    def unfitted(self, issue: Issue, article: Article, platform: str) -> str:
        """The article's post with nothing given up: what the fitter starts from."""
        style = STYLES[platform]
        return self._article_render(style, issue)(article_copy(article, issue,
                                                               style.max_hashtags))

    # -- rendering ----------------------------------------------------------

    def _render(self, name: str, **context: object) -> str:
        text: str = self.env.get_template(f"social/{name}").render(**context)
        lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
        return _BLANK_LINES.sub("\n\n", lines)

    def _article_render(self, style: Style, issue: Issue) -> Callable[[Copy], str]:
        esc = style.escape

        def render(copy: Copy) -> str:
            return self._render(
                f"{style.platform}_article.{style.ext}", headline=esc(copy.headline),
                text=esc(copy.text), quote=esc(copy.quote), credit=esc(copy.credit),
                link=style.escape_link(copy.link),
                hashtags=[style.hashtag(t) for t in copy.hashtags],
                publication=esc(issue.publication.name), issue_number=issue.number)
        return render

    def _issue_text(self, issue: Issue, style: Style) -> str:
        esc = style.escape
        articles = [{"headline": esc(a.headline),
                     "link": style.escape_link(article_link(a, issue)),
                     "credit": esc(credit_line(a))} for a in issue.articles]
        return self._render(
            f"{style.platform}_issue.{style.ext}", title=esc(issue.title),
            number=issue.number, date=issue.date.isoformat(),
            publication=esc(issue.publication.name),
            note=esc(plain_text(issue.editor_note)), link=style.escape_link(issue_link(issue)),
            articles=articles)

    # -- assembling ----------------------------------------------------------

    def _thread(self, issue: Issue, style: Style, rule: Rule) -> list[Post]:
        articles = issue.articles
        intro = split_thread(self._issue_text(issue, style), rule.measure, rule.limit,
                             reserve=len(articles))
        total = len(intro) + len(articles)
        posts = [self._post(style, rule, i, text, issue_link(issue))
                 for i, text in enumerate(intro, 1)]
        for i, article in enumerate(articles, len(intro) + 1):
            posts.append(self._article_post(issue, article, style, rule, i, total))
        return posts

    def _digest(self, issue: Issue, style: Style, rule: Rule) -> list[Post]:
        parts = split_thread(self._issue_text(issue, style), rule.measure, rule.limit)
        card = LinkCard(uri=issue_link(issue), title=issue.title,
                        description=plain_text(issue.editor_note)[:300]) if style.card else None
        return [replace(self._post(style, rule, i, text, issue_link(issue)), card=card)
                for i, text in enumerate(parts, 1)]

    def _article_post(self, issue: Issue, article: Article, style: Style, rule: Rule,
                      index: int, total: int) -> Post:
        image = _image(article)
        media = (Media(src=image.src, alt=image.alt),) if image and style.media else ()
        # A Telegram post with a photo is a caption, and captions are shorter.
        limit = min(rule.limit, TELEGRAM_CAPTION) if media and style.platform == "telegram" \
            else rule.limit
        suffix = number(index, total) if total > 1 else ""
        fitted = fit(article_copy(article, issue, style.max_hashtags),
                     self._article_render(style, issue),
                     lambda text: rule.measure(text + suffix), limit)
        card = None
        if style.card:
            card = LinkCard(uri=fitted.copy.link, title=article.headline,
                            description=(article.dek or article.summary or "")[:300],
                            thumb=image.src if image else None)
        post = self._post(style, replace(rule, limit=limit), index, fitted.text + suffix,
                          fitted.copy.link)
        return replace(post, article_id=article.id, media=media, card=card)

    @staticmethod
    def _post(style: Style, rule: Rule, index: int, text: str, link: str) -> Post:
        facets = tuple(detect_facets(text)) if style.platform == "bluesky" else ()
        return Post(platform=style.platform, index=index, text=text,
                    length=rule.measure(text), limit=rule.limit, link=link, facets=facets)
