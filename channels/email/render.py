"""Render an Issue once per segment: Jinja to MJML to HTML, and its own plain text.

The theme lives in ``templates/email/`` (``issue.mjml``, ``issue.txt``,
``subject.txt`` and the partials they include); a publication overrides any
file through ``email.templates_dir``. The pipeline per segment:

1. Jinja renders ``email/issue.mjml`` with the ``IssueView`` and a
   ``recipient`` whose attributes print as slot markers (``slots.py``);
2. mjml-python compiles it to HTML (about a millisecond);
3. css-inline copies the theme's rules into ``style`` attributes, because
   several mail clients drop ``<style>`` blocks; the blocks stay too, for
   the media queries (mobile and dark mode) that cannot be inlined;
4. the plain-text part is rendered from the same view by ``email/issue.txt``,
   never converted from the HTML.

A segment is a subscriber format: ``html`` gets both parts, ``text`` only the
plain text. The result is split at its markers once, ready to be filled per
recipient.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Literal

import css_inline
import jinja2
import mjml
from markupsafe import Markup, escape

from channels.email.slots import SlotRegistry, Slots, SlotTemplate
from channels.email.view import LinkPolicy, build_view
from publisher.content import (
    Emphasis,
    Heading,
    Image,
    Inline,
    Issue,
    Link,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Strong,
    Text,
)
from publisher.errors import ContentError
from publisher.settings import EmailOptions
from publisher.templating import make_environment

__all__ = ["SEGMENTS", "EmailRenderer", "RenderedIssue", "Segment"]

Segment = Literal["html", "text"]
SEGMENTS: tuple[Segment, ...] = ("html", "text")
_TEXT_WIDTH = 72
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")
_INLINER = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


@dataclass(frozen=True, slots=True)
class RenderedIssue:
    """One Issue rendered for one segment, split at its per-recipient slots."""

    segment: Segment
    subject: str
    preheader: str
    text: SlotTemplate
    html: SlotTemplate | None
    registry: SlotRegistry


class EmailRenderer:
    """Renders Issues with the theme (publication templates first)."""

    def __init__(self, options: EmailOptions) -> None:
        self.options = options
        self.env = make_environment(options.templates_dir)
        # Filters read the link policy from the context: one renderer serves
        # Issues of any publication, from any thread.
        self.env.filters.update(
            inlines=jinja2.pass_context(lambda c, nodes: _inlines_html(nodes, c["links"])),
            inline_text=jinja2.pass_context(lambda c, nodes: _inlines_text(nodes, c["links"])),
            href=jinja2.pass_context(lambda c, url: c["links"].href(str(url))),
            wrap=_wrap)
        self.env.tests.update(
            paragraph=lambda b: isinstance(b, Paragraph),
            heading=lambda b: isinstance(b, Heading), quote=lambda b: isinstance(b, Quote),
            image=lambda b: isinstance(b, Image), list=lambda b: isinstance(b, ListBlock),
            rule=lambda b: isinstance(b, Rule))

    def render(self, issue: Issue, segment: Segment = "html", *,
               nonce: str | None = None) -> RenderedIssue:
        """The parts of *issue* for *segment*; deterministic apart from the marker nonce."""
        if segment not in SEGMENTS:
            raise ContentError(f"unknown segment '{segment}'", field="segment")
        links = self.link_policy(issue)
        view = build_view(issue, self.options.digest_mode, links)
        registry = SlotRegistry(nonce)
        ctx = {"view": view, "issue": issue, "publication": issue.publication, "links": links,
               "brand": issue.publication.brand, "recipient": Slots(registry),
               "segment": segment}
        subject = " ".join(self._render("email/subject.txt", ctx).split())
        # One blank line between blocks, however the template's tags fall.
        text = _BLANK_LINES.sub("\n\n", _normalise(self._render("email/issue.txt", ctx)))
        html = _compile(self._render("email/issue.mjml", ctx)) if segment == "html" else None
        return RenderedIssue(
            segment=segment, subject=subject, preheader=view.preheader,
            text=SlotTemplate(text, registry, html=False),
            html=SlotTemplate(html, registry, html=True) if html is not None else None,
            registry=registry)

    def link_policy(self, issue: Issue) -> LinkPolicy:
        o = self.options
        utm: tuple[tuple[str, str], ...] = ()
        if o.utm_source:
            campaign = o.utm_campaign.replace("{number}", str(issue.number))
            utm = tuple((k, v) for k, v in (("utm_source", o.utm_source),
                                            ("utm_medium", o.utm_medium),
                                            ("utm_campaign", campaign)) if v)
        return LinkPolicy(issue.publication.base_url, utm)

    def _render(self, name: str, ctx: dict[str, object]) -> str:
        try:
            return self.env.get_template(name).render(ctx)
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or name
            raise ContentError(f"template error: {exc}", source=where,
                               line=getattr(exc, "lineno", None)) from None


def _compile(source: str) -> str:
    try:
        html = mjml.mjml2html(source)
    except Exception as exc:  # mjml-python raises plain exceptions for bad MJML
        raise ContentError(f"MJML does not compile: {exc}", field="template") from None
    return _normalise(_INLINER.inline(html))


def _normalise(text: str) -> str:
    """LF line ends and a final newline, as the MIME encoder expects."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def _wrap(text: object, width: int = _TEXT_WIDTH, indent: str = "",
          first: str | None = None) -> str:
    """Plain text wrapped for the text part; URLs and long words are never broken.

    *first* starts the first line instead of *indent* (a list item's bullet).
    """
    flat = " ".join(str(text).split())
    return textwrap.fill(flat, width=width, initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def _inlines_html(nodes: tuple[Inline, ...], links: LinkPolicy) -> Markup:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(str(escape(node.text)))
        elif isinstance(node, Emphasis):
            out.append(f"<em>{_inlines_html(node.children, links)}</em>")
        elif isinstance(node, Strong):
            out.append(f"<strong>{_inlines_html(node.children, links)}</strong>")
        else:
            out.append(f'<a href="{escape(links.href(node.href))}">'
                       f"{_inlines_html(node.children, links)}</a>")
    return Markup("".join(out))


def _inlines_text(nodes: tuple[Inline, ...], links: LinkPolicy) -> str:
    """Inline text with each link's address after it, as plain-text mail writes links."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Link):
            label, href = _inlines_text(node.children, links), links.href(node.href)
            out.append(href if label.strip() in ("", href) else f"{label} <{href}>")
        else:
            out.append(_inlines_text(node.children, links))
    return "".join(out)
