"""Escaping for the platforms whose post text is markup.

* LinkedIn's Posts API reads ``commentary`` as its "little text format", in
  which ``| { } @ [ ] ( ) < > # \\ * _ ~`` are reserved: a bare ``(`` or ``@``
  makes the API refuse the post or turn text into a broken mention, so each is
  escaped with a backslash. Hashtags are written as templates that the format
  defines (``{hashtag|\\#|tag}``).
* Telegram's Bot API is sent with ``parse_mode=HTML``: only ``<``, ``>`` and
  ``&`` must be escaped, and its length limits apply to the text after the
  markup is parsed.
* Slack reads ``&``, ``<`` and ``>`` as control characters in ``text``.
* Discord and Mattermost read Markdown: a headline with ``*`` or ``_`` in it
  would turn bold or italic, so Markdown's characters are escaped.
"""

from __future__ import annotations

import html
import re

__all__ = [
    "LINKEDIN_RESERVED",
    "linkedin_escape",
    "linkedin_hashtag",
    "markdown_escape",
    "slack_escape",
    "telegram_escape",
    "telegram_visible",
]

LINKEDIN_RESERVED = frozenset("|{}@[]()<>#\\*_~")
_LINKEDIN = re.compile(r"([|{}@\[\]()<>#\\*_~])")
_MARKDOWN = re.compile(r"([\\`*_~|>\[\]()#])")
_TAG = re.compile(r"<[^>]*>")


def linkedin_escape(text: str) -> str:
    """*text* with every LinkedIn reserved character escaped."""
    return _LINKEDIN.sub(r"\\\1", text)


def linkedin_hashtag(tag: str) -> str:
    """A hashtag in the little text format; the tag itself is escaped too."""
    return "{hashtag|\\#|" + linkedin_escape(tag) + "}"


def telegram_escape(text: str) -> str:
    """*text* safe for ``parse_mode=HTML`` (quotes too, for attribute values)."""
    return html.escape(text, quote=True)


def telegram_visible(markup: str) -> str:
    """What a Telegram reader sees of *markup*: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", markup))


def slack_escape(text: str) -> str:
    """*text* with Slack's three control characters escaped."""
    return html.escape(text, quote=False)


def markdown_escape(text: str) -> str:
    """*text* with Markdown's inline characters escaped."""
    return _MARKDOWN.sub(r"\\\1", text)
