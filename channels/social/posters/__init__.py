"""One poster per platform; ``make_poster`` picks the one an account needs."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from channels.social.posters.base import (
    CredentialsError,
    Http,
    Poster,
    PostError,
    PostKey,
    Ref,
    ThreadRefs,
)
from channels.social.posters.bluesky import BlueskyPoster
from channels.social.posters.linkedin import LinkedInPoster
from channels.social.posters.mastodon import MastodonPoster
from channels.social.posters.telegram import TelegramPoster
from channels.social.posters.webhook import WebhookPoster
from channels.social.posters.x import XPoster
from publisher.fetch import FetchResult
from publisher.settings import SocialAccount, SocialOptions

__all__ = [
    "CredentialsError",
    "PostError",
    "PostKey",
    "Poster",
    "Ref",
    "ThreadRefs",
    "make_poster",
    "render_platform",
]


def render_platform(account: SocialAccount) -> str:
    """The platform whose posts an account gets (a webhook's depends on its shape)."""
    return account.shape if account.platform == "webhook" else account.platform


def make_poster(account: SocialAccount, options: SocialOptions,
                fetch: Callable[[str], FetchResult], *,
                session: requests.Session | None = None,
                sleep: Callable[[float], None] = time.sleep) -> Poster:
    """The poster for *account*; reads its credentials from the environment now."""
    http = Http(account, options, session=session, sleep=sleep)
    if account.platform == "mastodon":
        return MastodonPoster(account, options, http, fetch)
    if account.platform == "bluesky":
        return BlueskyPoster(account, options, http, fetch)
    if account.platform == "x":
        return XPoster(account, options, http)
    if account.platform == "linkedin":
        return LinkedInPoster(account, options, http)
    if account.platform == "telegram":
        return TelegramPoster(account, options, http)
    return WebhookPoster(account, options, http)
