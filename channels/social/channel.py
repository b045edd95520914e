"""``SocialChannel``: renders every platform's posts and names the social checks.

``render`` writes, per platform, the posts as JSON (text, count, limit,
media, link card, Bluesky facets) and as plain text for reading. Rendering
is pure: the counts use each platform's default limits; an instance's own
limits (Mastodon) are read only when posting.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import jinja2

from channels.social.compose import STYLES, Composer
from channels.social.counters import PLATFORMS
from channels.social.model import Post
from publisher.content import Issue
from publisher.preflight import Check, Finding
from publisher.settings import Settings
from publisher.templating import make_environment

__all__ = ["RENDERED", "SocialChannel", "preview_lines"]

# The platforms a render writes; the chat webhooks share one digest shape each.
RENDERED = tuple(p for p in PLATFORMS if p in STYLES)


class SocialChannel:
    """The social channel: posts per platform, fitted and counted."""

    name = "social"

    def __init__(self, settings: Settings, env: jinja2.Environment | None = None) -> None:
        self.settings = settings
        self._env = env

    @property
    def composer(self) -> Composer:
        if self._env is None:
            self._env = make_environment()
        return Composer(self._env)

    def plan(self, issue: Issue, platforms: Iterable[str] = RENDERED) -> dict[str, list[Post]]:
        """Every chosen platform's posts for *issue*."""
        composer = self.composer
        return {p: composer.posts(issue, p) for p in platforms}

    def render(self, issue: Issue, out_dir: Path, options: Mapping[str, str]) -> list[Path]:
        chosen = options.get("platform", "")
        platforms = [chosen] if chosen else list(RENDERED)
        written: list[Path] = []
        for platform, posts in self.plan(issue, platforms).items():
            data = {"platform": platform, "issue": issue.number,
                    "posts": [p.as_json() for p in posts]}
            path = out_dir / f"{platform}.json"
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")
            text = out_dir / f"{platform}.txt"
            text.write_text("\n".join(preview_lines(platform, posts)) + "\n", encoding="utf-8")
            written += [path, text]
        return written

    def checks(self) -> Sequence[Check]:
        return (self.posts_fit, self.images_have_alt_text)

    def posts_fit(self, issue: Issue, _settings: Settings) -> Iterable[Finding]:
        """A post over its limit would be refused (or cut by the platform)."""
        for platform, posts in self.plan(issue).items():
            for post in posts:
                if not post.fits:
                    yield Finding("error", "social", "post-length",
                                  f"{platform} post {post.index} is {post.length} long, "
                                  f"over its limit of {post.limit}", post.article_id or "")

    def images_have_alt_text(self, issue: Issue, _settings: Settings) -> Iterable[Finding]:
        """An image posted without a description is lost to screen-reader users."""
        for platform, posts in self.plan(issue).items():
            for post in posts:
                for media in post.media:
                    if not media.alt.strip():
                        yield Finding("error", "social", "post-alt",
                                      f"{platform} post {post.index} has image {media.src} "
                                      "without alt text", post.article_id or "")


def preview_lines(platform: str, posts: Sequence[Post]) -> list[str]:
    """Readable lines for *posts*: a header with the count, then the text."""
    lines: list[str] = []
    for post in posts:
        flag = "" if post.fits else "  OVER LIMIT"
        extra = "".join(f"\n  [image: {m.src} alt={m.alt!r}]" for m in post.media)
        lines.append(f"--- {platform} {post.index}/{len(posts)}: "
                     f"{post.length}/{post.limit}{flag}")
        lines.append(post.text + extra)
        lines.append("")
    return lines
