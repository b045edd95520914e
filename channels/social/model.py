"""The values the social channel renders and posts: ``Post``, ``Media``, ``LinkCard``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["LinkCard", "Media", "Post"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Media:
    """An image to attach, with the alt text its Image block gave it."""

    src: str
    alt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkCard:
    """A link preview (Bluesky's external embed, LinkedIn's article content)."""

    uri: str
    title: str
    description: str
    thumb: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    """One post as it is sent: its text in the platform's form, counted there."""

    platform: str
    # 1-based position in the account's sequence: the ledger target is
    # "{account}:{index}", so a resumed thread knows which posts went out.
    index: int
    text: str
    length: int
    limit: int
    link: str | None = None
    article_id: str | None = None
    media: tuple[Media, ...] = ()
    card: LinkCard | None = None
    facets: tuple[dict[str, Any], ...] = field(default=())

    @property
    def fits(self) -> bool:
        return 0 < self.length <= self.limit

    def as_json(self) -> dict[str, Any]:
        """The post for previews and rendered files."""
        out: dict[str, Any] = {
            "index": self.index, "text": self.text, "length": self.length,
            "limit": self.limit, "fits": self.fits, "link": self.link,
            "article": self.article_id,
            "media": [{"src": m.src, "alt": m.alt} for m in self.media]}
        if self.card is not None:
            out["card"] = {"uri": self.card.uri, "title": self.card.title,
                           "description": self.card.description, "thumb": self.card.thumb}
        if self.facets:
            out["facets"] = list(self.facets)
        return out
