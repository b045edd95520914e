"""Mastodon: ``POST /api/v1/statuses`` with an Idempotency-Key, media with descriptions.

The Idempotency-Key is derived from (Issue, account, post index), so a retry
of a post whose answer was lost returns the status already made instead of a
second one (Mastodon remembers keys for an hour). Threads are replies by
``in_reply_to_id``. Before posting, ``verify`` checks the token and reads
the instance's own limits from ``/api/v2/instance``: an instance may allow
more (or fewer) than 500 characters and count URLs differently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.social.compose import Rule
from channels.social.model import Media, Post
from channels.social.posters.base import (
    Http,
    PostError,
    PostKey,
    Ref,
    ThreadRefs,
    credentials,
)
from publisher.fetch import FetchResult
from publisher.settings import SocialAccount, SocialOptions

__all__ = ["MastodonPoster"]

_MEDIA_POLLS = 10


class MastodonPoster:
    """Posts statuses to one Mastodon account."""

    def __init__(self, account: SocialAccount, options: SocialOptions, http: Http,
                 fetch: Callable[[str], FetchResult]) -> None:
        self.account, self.http, self.fetch = account, http, fetch
        self.base = account.base_url
        self._auth = {"Authorization": f"Bearer {credentials(account)}"}

    def verify(self) -> Rule | None:
        self.http.request("GET", f"{self.base}/api/v1/accounts/verify_credentials",
                          headers=self._auth)
        return self._instance_rule()

    def _instance_rule(self) -> Rule | None:
        try:
            info = self.http.request("GET", f"{self.base}/api/v2/instance").json()
            statuses = info["configuration"]["statuses"]
            return Rule.mastodon(int(statuses["max_characters"]),
                                 int(statuses["characters_reserved_per_url"]))
        except (PostError, KeyError, TypeError, ValueError):
            # An instance that does not say keeps Mastodon's defaults.
            return None

    def publish(self, post: Post, thread: ThreadRefs, key: PostKey) -> Ref:
        body: dict[str, Any] = {"status": post.text, "visibility": "public"}
        media = [self._upload(m) for m in post.media]
        if media:
            body["media_ids"] = media
        if thread.parent is not None:
            body["in_reply_to_id"] = thread.parent.id
        headers = {**self._auth, "Idempotency-Key": key.token()}
        answer = self.http.request("POST", f"{self.base}/api/v1/statuses", json=body,
                                   headers=headers).json()
        return Ref(str(answer["id"]))

    def _upload(self, media: Media) -> str:
        image = self.fetch(media.src)
        files = {"file": (media.src.rsplit("/", 1)[-1] or "image", image.content,
                          image.content_type)}
        answer = self.http.request("POST", f"{self.base}/api/v2/media", headers=self._auth,
                                   files=files, data={"description": media.alt}).json()
        media_id = str(answer["id"])
        # 202 means still processing: a status that names it too soon is refused.
        for _ in range(_MEDIA_POLLS):
            if answer.get("url"):
                return media_id
            self.http.sleep(0.5)
            answer = self.http.request("GET", f"{self.base}/api/v1/media/{media_id}",
                                       headers=self._auth).json()
        raise PostError(f"account '{self.account.name}': media {media.src} is still "
                        "processing; retried later", "deferred")

    def close(self) -> None:
        self.http.session.close()
