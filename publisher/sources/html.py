"""HTML to content blocks: the one door through which outside markup enters.

Feed bodies, raw HTML inside Markdown and pasted copy all come through
:func:`blocks_from_html`. nh3 sanitises first, keeping only the tags mapped
here and deleting script, style, iframe and similar elements together with
their content; the stdlib ``HTMLParser`` then walks the clean markup into
blocks. No input HTML survives as HTML, so channels never re-sanitise.

The mapping: ``p`` and other block containers -> Paragraph; ``em``/``i``/
``cite`` -> Emphasis; ``strong``/``b`` -> Strong; ``a href`` -> Link (made
absolute against *base_url*; other schemes than http(s)/mailto dropped);
``br`` -> a line break; ``h1``-``h6`` -> Heading; ``blockquote`` -> Quote
(a ``footer`` or a last paragraph opening with a dash is the attribution);
``img`` -> Image; ``figure``/``figcaption`` -> Image with caption; ``ul``/
``ol``/``li`` -> ListBlock (nested lists flattened into the item); ``hr`` ->
Rule. Images met where a block cannot go (inside a heading, list or quote)
follow that block. Whitespace collapses as a browser would.

:func:`build_inlines` (text runs under marks -> normalised inline tree) and
:func:`safe_url` are shared with the Markdown reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import nh3

from publisher.content import (
    Block,
    Emphasis,
    Heading,
    Image,
    Inline,
    Link,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Strong,
    Text,
    inline_text,
    plain_text,
)
from publisher.errors import ContentError

__all__ = [
    "Mark",
    "Run",
    "blocks_from_html",
    "build_inlines",
    "clean_text",
    "safe_url",
    "split_attribution",
    "text_from_html",
]

Mark = tuple[str, str]
"""An inline mark: ("em", ""), ("strong", "") or ("a", href)."""

Run = tuple[str, tuple[Mark, ...]]
"""Text under the marks open around it, outermost first; "\\n" is a hard break."""

_MARKS: dict[str, str] = {"em": "em", "i": "em", "cite": "em", "strong": "strong", "b": "strong"}
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CONTAINERS = frozenset({
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "address",
    "pre", "table", "thead", "tbody", "tfoot", "tr", "caption", "dl", "dt", "dd",
    "details", "summary",
})  # fmt: skip
_STRUCTURE = frozenset({"blockquote", "ul", "ol", "li", "figure", "figcaption", "td", "th"})
_VOID = frozenset({"br", "hr", "img"})
_ALLOWED_TAGS = _CONTAINERS | _STRUCTURE | _HEADINGS | _VOID | set(_MARKS) | {"a"}
# Deleted with everything inside: code, or text no reader should see.
_DROPPED = {
    "script", "style", "iframe", "noscript", "template", "svg", "math", "object", "embed",
    "title", "head", "select", "textarea", "button", "canvas", "audio", "video",
    "frameset", "frame", "noembed", "noframes", "xmp", "plaintext",
}  # fmt: skip
_MAX_MARK_DEPTH = 16  # deeper nesting is noise and would only risk recursion limits

_SPACE = re.compile(r"[ \t\n\r\f\v\x1c-\x1f\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_URL_EDGE = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_URL_INNER = re.compile(r"[\x00-\x1f\x7f]")
_ATTRIBUTION = re.compile(r"^\s*(?:—|―|–|--)\s*(\S.*)$", re.DOTALL)


# -- text and URLs ------------------------------------------------------------


def clean_text(text: str) -> str:
    """One line of text: whitespace runs become one space, control characters go."""
    return _CONTROL.sub("", _SPACE.sub(" ", text)).strip()


def safe_url(url: str, base_url: str | None = None, *, image: bool = False) -> str | None:
    """*url* made absolute against *base_url*, or None when it must not be kept.

    Links keep http, https and mailto; images only http and https (a data:
    or file: image would bypass the safe fetcher). Relative URLs stay
    relative when there is no base.
    """
    # As browsers do: trim C0 controls and spaces, drop them inside.
    url = _URL_INNER.sub("", _URL_EDGE.sub("", _SURROGATE.sub("", url)))
    if not url:
        return None
    try:
        url = urljoin(base_url, url) if base_url else url
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme:
        allowed = ("http", "https") if image else ("http", "https", "mailto")
        return url if scheme in allowed else None
    # "page?at=10:30" is relative, but reads as scheme "page?at=10" to the
    # model's check; "./" says relative to both.
    if ":" in url and "/" not in url.split(":", 1)[0]:
        url = "./" + url
    return url


def split_attribution(text: str) -> str | None:
    """The name in a "— Name" attribution line, or None if *text* is not one."""
    match = _ATTRIBUTION.match(text)
    return clean_text(match.group(1)) or None if match else None


# -- runs -> inline tree ----------------------------------------------------------


def build_inlines(runs: Iterable[Run]) -> tuple[Inline, ...]:
    """The inline tree of *runs*, whitespace collapsed and trimmed as in a browser."""
    return _tree(_merge(_normalise(runs)), 0)


@dataclass
class _Piece:
    """A run being normalised; mutable so a later break can trim its end."""

    text: str
    marks: tuple[Mark, ...]


def _normalise(runs: Iterable[Run]) -> list[_Piece]:
    out: list[_Piece] = []
    for text, marks in runs:
        if text == "\n":
            _trim_end(out, " ")
            if out and not out[-1].text.endswith("\n"):
                out.append(_Piece("\n", marks))
            continue
        text = _CONTROL.sub("", _SPACE.sub(" ", text))
        if text.startswith(" ") and (not out or out[-1].text[-1] in " \n"):
            text = text[1:]
        if text:
            out.append(_Piece(text, marks))
    _trim_end(out, " \n")
    return out


def _trim_end(out: list[_Piece], chars: str) -> None:
    while out:
        out[-1].text = out[-1].text.rstrip(chars)
        if out[-1].text:
            return
        out.pop()


def _merge(pieces: list[_Piece]) -> list[Run]:
    runs: list[Run] = []
    for piece in pieces:
        if runs and runs[-1][1] == piece.marks:
            runs[-1] = (runs[-1][0] + piece.text, piece.marks)
        else:
            runs.append((piece.text, piece.marks))
    return runs


def _tree(runs: Sequence[Run], depth: int) -> tuple[Inline, ...]:
    """Group runs sharing the mark at *depth* under one node, recursively."""
    out: list[Inline] = []
    i = 0
    while i < len(runs):
        text, marks = runs[i]
        if len(marks) <= depth:
            out.append(Text(text=text))
            i += 1
            continue
        j = i + 1
        while j < len(runs) and len(runs[j][1]) > depth and runs[j][1][depth] == marks[depth]:
            j += 1
        out.extend(_wrap(marks[depth], _tree(runs[i:j], depth + 1)))
        i = j
    return tuple(out)


def _wrap(mark: Mark, children: tuple[Inline, ...]) -> tuple[Inline, ...]:
    kind, href = mark
    if kind == "em":
        return (Emphasis(children=children),)
    if kind == "strong":
        return (Strong(children=children),)
    try:
        return (Link(href=href, children=children),)
    except ContentError:
        return children  # a target the model refuses: keep the words, lose the link


# -- the parser -----------------------------------------------------------------


@dataclass
class _Open:
    """An open element and what it means here (its role decides the end action)."""

    tag: str
    role: str
    mark: Mark | None = None


@dataclass
class _ListState:
    ordered: bool
    items: list[tuple[Inline, ...]] = field(default_factory=list)


@dataclass
class _FigureState:
    image: Image | None = None
    captions: list[str] = field(default_factory=list)


class _BlockParser(HTMLParser):
    """Walks nh3's well-formed output; see the module docstring for the mapping."""

    def __init__(self, base_url: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._base = base_url
        self._stack: list[_Open] = []
        self._runs: list[Run] = []
        self._heading: int | None = None
        self._list: _ListState | None = None
        self._quote: list[str] | None = None
        self._attribution: str | None = None
        self._figure: _FigureState | None = None
        self._in_caption = False
        self._in_footer = False
        self._deferred: list[Image] = []

    @property
    def _text_only(self) -> bool:
        """Inside a heading, list, caption or attribution only text can go."""
        return (
            self._heading is not None
            or self._list is not None
            or self._in_caption
            or self._in_footer
        )

    # -- parser events --

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag in _VOID:
            self._void(tag, attr)
        elif tag in _MARKS or tag == "a":
            self._stack.append(_Open(tag, "mark", self._mark(tag, attr)))
        else:
            self._stack.append(_Open(tag, self._start(tag)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if all(o.tag != tag for o in self._stack):
            return  # a stray end tag closes nothing
        while self._stack:
            opened = self._stack.pop()
            self._end(opened.role)
            if opened.tag == tag:
                return

    def handle_data(self, data: str) -> None:
        # Source newlines are spaces; only <br> makes a "\n" run.
        self._runs.append((_SPACE.sub(" ", data), self._marks()))

    def finish(self) -> list[Block]:
        self.close()
        while self._stack:
            self._end(self._stack.pop().role)
        self._flush()
        self._release()
        return self.blocks

    # -- starts --

    def _mark(self, tag: str, attr: dict[str, str]) -> Mark | None:
        if tag != "a":
            return (_MARKS[tag], "")
        href = safe_url(attr.get("href", ""), self._base)
        return ("a", href) if href else None

    def _marks(self) -> tuple[Mark, ...]:
        return tuple(o.mark for o in self._stack if o.mark is not None)[:_MAX_MARK_DEPTH]

    def _start(self, tag: str) -> str:
        if tag in ("td", "th"):
            return self._space()
        if tag in ("ul", "ol", "li"):
            return self._start_list_part(tag)
        if self._text_only:
            return self._space()
        self._flush()
        if tag in _HEADINGS:
            self._heading = int(tag[1])
            return "heading"
        return self._start_container(tag)

    def _start_container(self, tag: str) -> str:
        if tag == "blockquote":
            if self._quote is not None:
                return "para"  # a quote in a quote reads as more of the outer one
            self._quote, self._attribution = [], None
            return "quote"
        if tag == "footer" and self._quote is not None:
            self._in_footer = True
            return "footer"
        if tag == "figure" and self._figure is None:
            self._figure = _FigureState()
            return "figure"
        if tag == "figcaption" and self._figure is not None:
            self._in_caption = True
            return "caption"
        return "para"

    def _start_list_part(self, tag: str) -> str:
        if self._list is None:
            if self._text_only:
                return self._space()
            self._flush()
            if tag == "li":
                return "para"  # a stray item outside any list: just a paragraph
            self._list = _ListState(ordered=tag == "ol")
            return "list"
        if tag != "li":
            return "sublist"
        if any(o.role == "sublist" for o in self._stack):
            if inline_text(build_inlines(self._runs)):
                self._runs.append(("; ", ()))  # nested items continue the outer item
            return "sublist-item"
        self._finish_item()
        return "item"

    def _space(self) -> str:
        self._runs.append((" ", ()))
        return "space"

    def _void(self, tag: str, attr: dict[str, str]) -> None:
        if tag == "br":
            self._runs.append(("\n", self._marks()))
        elif tag == "hr" and not self._text_only:
            self._flush()
            self._emit(Rule())
        elif tag == "img":
            self._image(attr)

    def _image(self, attr: dict[str, str]) -> None:
        src = safe_url(attr.get("src", ""), self._base, image=True)
        if not src:
            return
        image = Image(src=src, alt=clean_text(attr.get("alt", "")))
        if self._text_only:
            self._deferred.append(image)
        elif self._figure is not None and self._figure.image is None:
            self._figure.image = image
        else:
            self._flush()
            self._emit(image)

    # -- ends --

    def _end(self, role: str) -> None:
        if role == "space":
            self._runs.append((" ", ()))
        elif role in ("para", "heading", "quote", "figure"):
            self._end_block(role)
        elif role in ("list", "item"):
            self._end_list_part(role)
        elif role in ("caption", "footer"):
            self._end_text_part(role)
        # "mark", "sublist" and "sublist-item" need nothing: popping them was enough.

    def _end_block(self, role: str) -> None:
        if role == "heading":
            level, self._heading = self._heading or 1, None
            text = clean_text(inline_text(self._take()))
            if text:
                self._emit(Heading(level=level, text=text))
            self._release()
            return
        self._flush()
        if role == "quote":
            self._end_quote()
        elif role == "figure":
            self._end_figure()

    def _end_list_part(self, role: str) -> None:
        self._finish_item()
        if role == "list" and self._list is not None:
            done, self._list = self._list, None
            if done.items:
                self._emit(ListBlock(items=tuple(done.items), ordered=done.ordered))
            self._release()

    def _end_text_part(self, role: str) -> None:
        text = clean_text(inline_text(self._take()))
        if role == "caption":
            self._in_caption = False
            if self._figure is not None and text:
                self._figure.captions.append(text)
        else:
            self._in_footer = False
            self._attribution = split_attribution(text) or text or self._attribution
        self._release()

    def _end_quote(self) -> None:
        parts, attribution = self._quote or [], self._attribution
        self._quote = self._attribution = None
        if attribution is None and len(parts) > 1:
            attribution = split_attribution(parts[-1])
            if attribution:
                parts = parts[:-1]
        text = "\n\n".join(parts).strip()
        if text:
            self._emit(Quote(text=text, attribution=attribution))
        elif attribution:
            self._emit(Paragraph(inlines=(Text(text=attribution),)))
        self._release()

    def _end_figure(self) -> None:
        figure, self._figure = self._figure, None
        if figure is None:
            return
        caption = " ".join(figure.captions) or None
        if figure.image is not None:
            image = figure.image
            self._emit(Image(src=image.src, alt=image.alt, caption=caption))
        elif caption:
            self._emit(Paragraph(inlines=(Text(text=caption),)))

    # -- output --

    def _take(self) -> tuple[Inline, ...]:
        inlines = build_inlines(self._runs)
        self._runs = []
        return inlines

    def _flush(self) -> None:
        """End the paragraph being gathered, if it has any text."""
        inlines = self._take()
        if inlines:
            self._emit(Paragraph(inlines=inlines))

    def _finish_item(self) -> None:
        inlines = self._take()
        if inlines and self._list is not None:
            self._list.items.append(inlines)

    def _emit(self, block: Block) -> None:
        if self._quote is None:
            self.blocks.append(block)
        elif isinstance(block, Image):
            self._deferred.append(block)  # shown after the quote
        else:
            text = plain_text((block,))
            if text:
                self._quote.append(text)

    def _release(self) -> None:
        """Place images held back by a heading, list, caption or quote."""
        if self._text_only or self._quote is not None:
            return
        held, self._deferred = self._deferred, []
        for image in held:
            self._emit(image)


def blocks_from_html(html: str, *, base_url: str | None = None) -> tuple[Block, ...]:
    """Content blocks from untrusted *html*; never raises on any input string."""
    clean = nh3.clean(
        _SURROGATE.sub("\ufffd", html),  # nh3 (Rust) cannot take lone surrogates
        tags=_ALLOWED_TAGS,
        clean_content_tags=_DROPPED,
        attributes={"a": {"href"}, "img": {"src", "alt"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )
    parser = _BlockParser(base_url)
    parser.feed(clean)
    return tuple(parser.finish())


def text_from_html(html: str) -> str:
    """The plain text of *html*, one paragraph per block, markup dropped."""
    return plain_text(blocks_from_html(html))
