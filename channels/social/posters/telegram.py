"""Telegram: the Bot API's ``sendMessage`` and ``sendPhoto``, in HTML parse mode.

The account's ``handle`` is the chat (``@channelname`` or a numeric id) and
its variable holds the bot token. The token is part of every URL, so no
error message here or in ``Http`` ever includes one. A post with an image
goes as a photo with the post as its caption (1,024 characters, which
``compose`` fitted it to); Telegram fetches the photo from its URL itself.
"""

from __future__ import annotations

from typing import Any

from channels.social.compose import Rule
from channels.social.model import Post
from channels.social.posters.base import Http, PostKey, Ref, ThreadRefs, credentials
from publisher.settings import SocialAccount, SocialOptions

__all__ = ["TelegramPoster"]


class TelegramPoster:
    """Posts messages to one Telegram chat or channel."""

    def __init__(self, account: SocialAccount, options: SocialOptions, http: Http) -> None:
        self.account, self.http = account, http
        self._bot = f"{account.base_url}/bot{credentials(account)}"

    def verify(self) -> Rule | None:
        self.http.request("GET", f"{self._bot}/getMe")
        return None

    def publish(self, post: Post, thread: ThreadRefs, key: PostKey) -> Ref:
        body: dict[str, Any] = {"chat_id": self.account.handle, "parse_mode": "HTML"}
        if post.media:
            method = "sendPhoto"
            body.update(photo=post.media[0].src, caption=post.text)
        else:
            method = "sendMessage"
            body["text"] = post.text
        answer = self.http.request("POST", f"{self._bot}/{method}", json=body,
                                   idempotent=False).json()
        return Ref(str(answer["result"]["message_id"]))

    def close(self) -> None:
        self.http.session.close()
