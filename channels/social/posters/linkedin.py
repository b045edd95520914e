"""LinkedIn: the Posts API (``POST /rest/posts``) as a person or an organisation.

The account's ``handle`` is the author URN (``urn:li:person:...`` or
``urn:li:organization:...``) and its variable holds an OAuth 2.0 access
token with the ``w_member_social`` (or organisation) scope. The commentary
arrives already escaped for the little text format (``compose``); the
Issue's link goes in as article content so LinkedIn shows a card. The new
post's URN comes back in the ``x-restli-id`` header. LinkedIn has no
threads, so every post stands alone.
"""

from __future__ import annotations

from typing import Any

from channels.social.compose import Rule
from channels.social.model import Post
from channels.social.posters.base import Http, PostKey, Ref, ThreadRefs, credentials
from publisher.settings import SocialAccount, SocialOptions

__all__ = ["API_VERSION", "LinkedInPoster"]

# LinkedIn versions its REST API by month and retires old months.
API_VERSION = "202506"


class LinkedInPoster:
    """Posts to one LinkedIn author."""

    def __init__(self, account: SocialAccount, options: SocialOptions, http: Http) -> None:
        self.account, self.http = account, http
        self.base = account.base_url
        self._headers = {"Authorization": f"Bearer {credentials(account)}",
                         "LinkedIn-Version": API_VERSION,
                         "X-Restli-Protocol-Version": "2.0.0"}

    def verify(self) -> Rule | None:
        # Reading the profile needs another scope than posting: the first
        # post's 401 is the check.
        return None

    def publish(self, post: Post, thread: ThreadRefs, key: PostKey) -> Ref:
        body: dict[str, Any] = {
            "author": self.account.handle, "commentary": post.text, "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
        if post.card is not None:
            body["content"] = {"article": {"source": post.card.uri, "title": post.card.title,
                                           "description": post.card.description}}
        response = self.http.request("POST", f"{self.base}/rest/posts", json=body,
                                     headers=self._headers, idempotent=False)
        return Ref(response.headers.get("x-restli-id", ""))

    def close(self) -> None:
        self.http.session.close()
