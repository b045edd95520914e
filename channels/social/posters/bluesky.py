"""Bluesky: ``createSession``, then ``applyWrites`` with a record key made from the post.

The record key of each post is a TID derived from (Issue date and number,
post index, account), not drawn at random: writing the same post again
creates nothing (the repository refuses a second record under that key), so
a retry after a lost answer cannot make a duplicate, and finding the key
taken means the post is already there. Replies carry strong references
(URI and CID) to the thread's root and parent. Links and hashtags are
facets; an article's post carries a link card (``app.bsky.embed.external``)
whose thumbnail is uploaded as a blob.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from channels.social.compose import Rule
from channels.social.model import LinkCard, Post
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

__all__ = ["BlueskyPoster", "record_key"]

_COLLECTION = "app.bsky.feed.post"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def record_key(key: PostKey) -> str:
    """A TID (13 base32-sortable characters) fixed by the Issue, the post and the account.

    Its time part is the Issue's day plus the number and index in
    microseconds, so keys sort in thread order; its clock part comes from
    the account name.
    """
    day = datetime(key.issue_date.year, key.issue_date.month, key.issue_date.day, tzinfo=UTC)
    micros = int(day.timestamp()) * 1_000_000
    micros += (key.issue_number % 1_000_000) * 1000 + key.index % 1000
    value = (micros << 10) | (zlib.crc32(key.account.encode()) & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


class BlueskyPoster:
    """Posts to one Bluesky account through its PDS."""

    def __init__(self, account: SocialAccount, options: SocialOptions, http: Http,
                 fetch: Callable[[str], FetchResult]) -> None:
        self.account, self.http, self.fetch = account, http, fetch
        self.base = account.base_url
        self._password = credentials(account)
        self._session: dict[str, str] = {}

    def _xrpc(self, name: str) -> str:
        return f"{self.base}/xrpc/{name}"

    def verify(self) -> Rule | None:
        answer = self.http.request("POST", self._xrpc("com.atproto.server.createSession"),
                                   json={"identifier": self.account.handle,
                                         "password": self._password}).json()
        self._session = {"did": answer["did"], "jwt": answer["accessJwt"]}
        return None

    def _auth(self) -> dict[str, str]:
        if not self._session:
            self.verify()
        return {"Authorization": f"Bearer {self._session['jwt']}"}

    def publish(self, post: Post, thread: ThreadRefs, key: PostKey) -> Ref:
        rkey = record_key(key)
        write = {"$type": "com.atproto.repo.applyWrites#create", "collection": _COLLECTION,
                 "rkey": rkey, "value": self._record(post, thread)}
        body = {"repo": self._session.get("did") or self._did(), "validate": True,
                "writes": [write]}
        try:
            answer = self.http.request("POST", self._xrpc("com.atproto.repo.applyWrites"),
                                       json=body, headers=self._auth()).json()
        except PostError as exc:
            if "already exists" not in str(exc):
                raise
            return self._existing(rkey)
        result = answer["results"][0]
        return Ref(result["uri"], result["cid"])

    def _did(self) -> str:
        self._auth()
        return self._session["did"]

    def _record(self, post: Post, thread: ThreadRefs) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": _COLLECTION, "text": post.text,
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
        if post.facets:
            record["facets"] = list(post.facets)
        if thread.root is not None and thread.parent is not None:
            record["reply"] = {"root": _strong(thread.root), "parent": _strong(thread.parent)}
        if post.card is not None:
            record["embed"] = self._card(post.card)
        return record

    def _card(self, card: LinkCard) -> dict[str, Any]:
        external: dict[str, Any] = {"uri": card.uri, "title": card.title,
                                    "description": card.description}
        if card.thumb:
            image = self.fetch(card.thumb)
            blob = self.http.request(
                "POST", self._xrpc("com.atproto.repo.uploadBlob"), data=image.content,
                headers={**self._auth(), "Content-Type": image.content_type}).json()
            external["thumb"] = blob["blob"]
        return {"$type": "app.bsky.embed.external", "external": external}

    def _existing(self, key: str) -> Ref:
        """The record a previous attempt already wrote under *key*."""
        answer = self.http.request(
            "GET", self._xrpc("com.atproto.repo.getRecord"), headers=self._auth(),
            params={"repo": self._did(), "collection": _COLLECTION, "rkey": key}).json()
        return Ref(answer["uri"], answer["cid"])

    def close(self) -> None:
        self.http.session.close()


def _strong(ref: Ref) -> dict[str, str]:
    return {"uri": ref.id, "cid": ref.cid}
