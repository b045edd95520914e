"""Chat webhooks: Slack, Discord and Mattermost incoming webhooks.

The webhook URL is itself the secret (anyone holding it can post), so it
lives in the account's variable, never in the settings file. The JSON
shapes differ a little: Slack and Mattermost take ``text``, Discord takes
``content``; Discord is also told to ping nobody (``allowed_mentions``),
since an article that quotes "@everyone" would otherwise notify a server.
"""

from __future__ import annotations

from typing import Any

from channels.social.compose import Rule
from channels.social.model import Post
from channels.social.posters.base import Http, PostKey, Ref, ThreadRefs, credentials
from publisher.settings import SocialAccount, SocialOptions

__all__ = ["WebhookPoster", "payload"]


def payload(shape: str, text: str, username: str) -> dict[str, Any]:
    """The JSON body each kind of webhook expects."""
    if shape == "discord":
        body: dict[str, Any] = {"content": text, "allowed_mentions": {"parse": []}}
        if username:
            body["username"] = username
        return body
    body = {"text": text}
    if username and shape == "mattermost":
        body["username"] = username
    return body


class WebhookPoster:
    """Posts to one incoming webhook."""

    def __init__(self, account: SocialAccount, options: SocialOptions, http: Http) -> None:
        self.account, self.http = account, http
        self._url = credentials(account)

    def verify(self) -> Rule | None:
        return None

    def publish(self, post: Post, thread: ThreadRefs, key: PostKey) -> Ref:
        body = payload(self.account.shape, post.text, self.account.handle)
        params = {"wait": "true"} if self.account.shape == "discord" else None
        response = self.http.request("POST", self._url, json=body, params=params,
                                     idempotent=False)
        ident = ""
        if self.account.shape == "discord":
            ident = str(response.json().get("id", ""))
        return Ref(ident)

    def close(self) -> None:
        self.http.session.close()
