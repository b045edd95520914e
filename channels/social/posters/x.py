"""X: API v2 ``POST /2/tweets`` with OAuth 1.0a user context (requests-oauthlib).

The credentials variable holds the four OAuth 1.0a values separated by
colons: ``API_KEY:API_SECRET:ACCESS_TOKEN:ACCESS_SECRET``. Threads are
replies (``reply.in_reply_to_tweet_id``). X takes no idempotency key, so a
timeout after the request went out is recorded ``unknown`` rather than
retried: posting again could publish the post twice.
"""

from __future__ import annotations

from typing import Any

from requests_oauthlib import OAuth1

from channels.social.compose import Rule
from channels.social.model import Post
from channels.social.posters.base import (
    CredentialsError,
    Http,
    PostKey,
    Ref,
    ThreadRefs,
    credentials,
)
from publisher.settings import SocialAccount, SocialOptions

__all__ = ["XPoster", "oauth1"]


def oauth1(account: SocialAccount) -> OAuth1:
    """OAuth 1.0a signing from the account's variable, or an error naming it."""
    parts = credentials(account).split(":")
    if len(parts) != 4 or not all(parts):
        raise CredentialsError(
            f"account '{account.name}' (x): {account.credentials_env} must hold "
            "API_KEY:API_SECRET:ACCESS_TOKEN:ACCESS_SECRET")
    return OAuth1(parts[0], client_secret=parts[1], resource_owner_key=parts[2],
                  resource_owner_secret=parts[3])


class XPoster:
    """Posts to one X account."""

    def __init__(self, account: SocialAccount, options: SocialOptions, http: Http) -> None:
        self.account, self.http = account, http
        self.base = account.base_url
        self._auth = oauth1(account)

    def verify(self) -> Rule | None:
        self.http.request("GET", f"{self.base}/2/users/me", auth=self._auth)
        return None

    def publish(self, post: Post, thread: ThreadRefs, key: PostKey) -> Ref:
        body: dict[str, Any] = {"text": post.text}
        if thread.parent is not None:
            body["reply"] = {"in_reply_to_tweet_id": thread.parent.id}
        answer = self.http.request("POST", f"{self.base}/2/tweets", json=body,
                                   auth=self._auth, idempotent=False).json()
        return Ref(str(answer["data"]["id"]))

    def close(self) -> None:
        self.http.session.close()
