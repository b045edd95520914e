"""The email channel's pre-send checks, run on what would actually be sent.

Each check renders the Issue through the channel (cached per Issue, so the
whole list costs one render) and looks at the result for a sample
recipient:

* ``email-postal-address`` (error): no postal address, or the theme does not
  show it; bulk mail must carry one (CAN-SPAM, and most EU laws);
* ``email-unsubscribe`` (error): a part without the unsubscribe link;
* ``email-clipped`` (error): HTML over Gmail's 102 KB, past which Gmail hides
  the rest, footer and unsubscribe link included; ``email-size`` (warning)
  from 90 KB;
* ``email-broken-link`` (error): a ``#fragment`` link to no element;
* ``email-image-alt`` (error): an image without an ``alt`` attribute
  (``alt=""`` is fine: it marks a decorative image); ``email-image-src``
  (warning): an image a mail client cannot load (not http or https);
* ``email-preheader`` (warning): empty, or repeating the subject, which
  wastes the inbox preview line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from markupsafe import escape

from publisher.content import Issue
from publisher.preflight import Check, Finding
from publisher.settings import Settings

if TYPE_CHECKING:
    from channels.email.mime import IssueMail

__all__ = ["CLIP_BYTES", "WARN_BYTES", "email_checks"]

CLIP_BYTES = 102 * 1024
WARN_BYTES = 90 * 1024
_CHANNEL = "email"


class _Page(HTMLParser):
    """What the checks need from the HTML: ids, link targets, images."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for key in ("id", "name"):
            if found.get(key):
                self.ids.add(str(found[key]))
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        if tag == "img":
            self.images.append(found)


@dataclass(frozen=True, slots=True)
class _Sample:
    html: str | None
    text: str
    subject: str
    preheader: str
    slots_html: frozenset[str]
    slots_text: frozenset[str]


def _flat(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(".!?…")


class _EmailChecks:
    """The checks, over the channel's cached render of the html segment."""

    def __init__(self, prepare: Callable[[Issue], IssueMail]) -> None:
        self._prepare = prepare

    def sample(self, issue: Issue) -> _Sample:
        mail = self._prepare(issue)
        p = mail.personal(0, "reader@example.org", "Sample Reader", "")
        r = mail.rendered
        return _Sample(mail.html(p), mail.text(p), r.subject, r.preheader,
                       r.html.keys if r.html else frozenset(), r.text.keys)

    def postal(self, issue: Issue, _s: Settings) -> Iterable[Finding]:
        address = issue.publication.postal_address.strip()
        if not address:
            yield Finding("error", _CHANNEL, "email-postal-address",
                          "the publication has no postal address (publication.postal_address)")
            return
        s = self.sample(issue)
        shown = s.html is None or str(escape(address)) in s.html
        if not shown or address.split("\n")[0] not in s.text:
            yield Finding("error", _CHANNEL, "email-postal-address",
                          "the email theme does not print the postal address")

    def unsubscribe(self, issue: Issue, _s: Settings) -> Iterable[Finding]:
        s = self.sample(issue)
        for part, keys in (("HTML", s.slots_html), ("text", s.slots_text)):
            if (part == "text" or s.html is not None) and "unsubscribe_url" not in keys:
                yield Finding("error", _CHANNEL, "email-unsubscribe",
                              f"the {part} part has no unsubscribe link")

    def size(self, issue: Issue, _s: Settings) -> Iterable[Finding]:
        n = len((self.sample(issue).html or "").encode("utf-8"))
        if n > CLIP_BYTES:
            yield Finding("error", _CHANNEL, "email-clipped",
                          f"the HTML is {n / 1024:.0f} KB; Gmail clips mail over 102 KB and "
                          "hides the footer (try digest_mode = \"summary\")")
        elif n > WARN_BYTES:
            yield Finding("warning", _CHANNEL, "email-size",
                          f"the HTML is {n / 1024:.0f} KB, close to Gmail's 102 KB clipping")

    def links_and_images(self, issue: Issue, _s: Settings) -> Iterable[Finding]:
        html = self.sample(issue).html
        if html is None:
            return
        page = _Page()
        page.feed(html)
        for href in page.hrefs:
            if href.startswith("#") and href[1:] not in page.ids:
                yield Finding("error", _CHANNEL, "email-broken-link",
                              f"link to {href} points at nothing in the message")
        for image in page.images:
            yield from _image_findings(image)

    def preheader(self, issue: Issue, _s: Settings) -> Iterable[Finding]:
        s = self.sample(issue)
        pre = _flat(s.preheader)
        if not pre:
            yield Finding("warning", _CHANNEL, "email-preheader",
                          "no preheader: set one in the plan or write an editor's note")
        elif pre in (_flat(s.subject), _flat(issue.title)) or _flat(s.subject).endswith(pre):
            yield Finding("warning", _CHANNEL, "email-preheader",
                          "the preheader repeats the subject; the inbox shows both")


def _image_findings(image: dict[str, str | None]) -> Iterable[Finding]:
    src = str(image.get("src") or "")
    if image.get("alt") is None:
        yield Finding("error", _CHANNEL, "email-image-alt", f"image {src} has no alt attribute")
    if not src.startswith(("https://", "http://")):
        yield Finding("warning", _CHANNEL, "email-image-src",
                      f"image {src or '(empty)'} is not on the web; mail clients cannot show it")


def email_checks(prepare: Callable[[Issue], IssueMail]) -> Sequence[Check]:
    """The email checks over *prepare* (the channel's cached render of an Issue)."""
    c = _EmailChecks(prepare)
    return (c.postal, c.unsubscribe, c.size, c.links_and_images, c.preheader)
