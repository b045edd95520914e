"""Markdown articles: optional front matter, then a CommonMark body.

Front matter sits at the very top, YAML between ``---`` lines (closing
``---`` or ``...``) or TOML between ``+++`` lines. Known keys::

    id, headline (or title), dek, section, authors (or author), dateline,
    published_at (or date), updated_at, source, copyright, canonical_url,
    language, tags, lead_image, summary

``authors`` is a list of names or of ``{name, email, url}`` mappings (one
name or mapping is fine too); ``tags`` a list or a comma-separated string;
``lead_image`` a URL or ``{src, alt, caption, credit}``. Dates may be YAML or
TOML dates/datetimes or ISO 8601 strings: a date means midnight UTC and a
datetime without a zone is taken as UTC (copy desks file in UTC; a silent
local-time guess would move stories across days). Every datetime is
stored in UTC. An unknown key, a malformed block or a bad value is a
ContentError naming the file and its line.

The headline comes from the front matter, or else from a leading ``# H1``,
which is then not repeated in the body. The body is read from
markdown-it-py's token stream (CommonMark, no tables); raw HTML in it is
sanitised and converted by :mod:`publisher.sources.html`, never passed on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from publisher.content import (
    Article,
    Author,
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
from publisher.sources.common import article_id, decode, normalise_newlines
from publisher.sources.html import (
    Mark,
    Run,
    blocks_from_html,
    build_inlines,
    clean_text,
    safe_url,
    split_attribution,
)
from publisher.tomlfile import parse_toml

__all__ = ["FRONT_MATTER_KEYS", "markdown_blocks", "parse_markdown", "parse_markdown_bytes"]

FRONT_MATTER_KEYS = frozenset({
    "id", "headline", "dek", "section", "authors", "dateline", "published_at", "updated_at",
    "source", "copyright", "canonical_url", "language", "tags", "lead_image", "summary",
})  # fmt: skip
_ALIASES = {"title": "headline", "author": "authors", "date": "published_at"}
_AUTHOR_KEYS = frozenset({"name", "email", "url"})
_IMAGE_KEYS = frozenset({"src", "alt", "caption", "credit"})
_FIRST_LINE = 2  # front matter text starts on the line after the opening fence
_MAX_MARK_DEPTH = 16
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_MD = MarkdownIt("commonmark")
_RENDERER = RendererHTML()

Located = dict[str, tuple[object, int]]
"""Front matter: key -> (value, line in the file)."""


def parse_markdown_bytes(data: bytes, *, source: str) -> Article:
    """:func:`parse_markdown` of UTF-8 *data* (BOM and CRLF tolerated)."""
    return parse_markdown(decode(data, source), source=source)


def parse_markdown(text: str, *, source: str = "<markdown>") -> Article:
    """The Article in Markdown *text*; *source* names it in errors."""
    pairs, body = _front_matter(normalise_newlines(text), source)
    meta = _Meta(pairs, source)
    blocks = tuple(_blocks(_MD.parse(body)))
    headline = meta.text("headline")
    if headline is None and blocks and isinstance(blocks[0], Heading) and blocks[0].level == 1:
        headline, blocks = blocks[0].text, blocks[1:]
    if headline is None:
        raise ContentError(
            "needs a headline: 'headline' in the front matter or a leading '# Heading'",
            source=source,
            line=1,
        )
    return meta.article(headline, blocks)


def markdown_blocks(text: str) -> tuple[Block, ...]:
    """The blocks of a Markdown fragment (an editor's note): no front matter,
    no headline rule, and no error for any input."""
    return tuple(_blocks(_MD.parse(normalise_newlines(text))))


# -- front matter -------------------------------------------------------------


def _front_matter(text: str, source: str) -> tuple[Located, str]:
    """The located front matter pairs and the body after them."""
    lines = text.split("\n")
    opener = lines[0].rstrip()
    if opener not in ("---", "+++"):
        return {}, text
    closers = ("---", "...") if opener == "---" else ("+++",)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in closers:
            block, body = "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
            pairs = _yaml(block, source) if opener == "---" else _toml(block, source)
            return pairs, body
    raise ContentError(f"front matter opened by '{opener}' is never closed", source=source, line=1)


def _yaml(text: str, source: str) -> Located:
    try:
        return _yaml_document(text, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = _FIRST_LINE + mark.line if mark else _FIRST_LINE
        problem = exc.problem or exc.context or "syntax error"
        raise ContentError(
            f"front matter is not valid YAML: {problem}", source=source, line=line
        ) from None
    except yaml.YAMLError as exc:  # a ReaderError: characters YAML does not allow
        position = getattr(exc, "position", 0)
        line = _FIRST_LINE + text.count("\n", 0, position)
        raise ContentError(
            f"front matter is not valid YAML: {exc}", source=source, line=line
        ) from None
    except RecursionError:
        raise ContentError("front matter is nested too deeply", source=source) from None


# libyaml's loader is several times faster and keeps the same marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_document(text: str, source: str) -> Located:
    """Pairs with the line of each key: composing first keeps node positions."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        if not isinstance(node, yaml.MappingNode):
            line = _FIRST_LINE + node.start_mark.line
            raise ContentError("front matter must be 'key: value' lines", source=source, line=line)
        return _yaml_pairs(loader, node, source)
    finally:
        loader.dispose()


def _yaml_pairs(
    loader: yaml.SafeLoader | yaml.CSafeLoader, node: yaml.MappingNode, source: str
) -> Located:
    pairs: Located = {}
    for key_node, value_node in node.value:
        line = _FIRST_LINE + key_node.start_mark.line
        try:
            key = loader.construct_object(key_node, deep=True)
            value = loader.construct_object(value_node, deep=True)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. the "date" 2024-13-45
            raise ContentError(f"bad value: {exc}", source=source, line=line) from None
        if not isinstance(key, str):
            raise ContentError(f"front matter key {key!r} is not text", source=source, line=line)
        if key in pairs:
            raise ContentError(f"front matter key '{key}' appears twice", source=source, line=line)
        pairs[key] = (value, line)
    return pairs


def _toml(text: str, source: str) -> Located:
    try:
        data = parse_toml(text, source, ContentError, line_offset=_FIRST_LINE - 1)
    except ContentError as exc:
        raise ContentError(f"front matter is not valid TOML: {exc.message}", source=source,
                           line=exc.line) from None
    except RecursionError:
        raise ContentError("front matter is nested too deeply", source=source) from None
    return {key: (value, _toml_line(text, key)) for key, value in data.items()}


def _toml_line(text: str, key: str) -> int:
    """The line where top-level *key* is set (tomllib keeps no positions)."""
    name = re.escape(key)
    pattern = re.compile(rf"""^\s*(?:\[\[?\s*)?(?:{name}|"{name}"|'{name}')\s*[=.\]]""")
    for index, line in enumerate(text.split("\n")):
        if pattern.match(line):
            return _FIRST_LINE + index
    return _FIRST_LINE


class _Meta:
    """Front matter values by canonical key, each with the line it came from."""

    def __init__(self, pairs: Located, source: str) -> None:
        self._source = source
        self._values: dict[str, object] = {}
        self._lines: dict[str, int] = {}
        for key, (value, line) in pairs.items():
            canonical = _ALIASES.get(key, key)
            if canonical not in FRONT_MATTER_KEYS:
                known = ", ".join(sorted(FRONT_MATTER_KEYS | set(_ALIASES)))
                raise self._error(f"unknown front matter key '{key}' (known: {known})", line, key)
            if canonical in self._values:
                raise self._error(f"'{key}' repeats '{canonical}'", line, key)
            if value is not None:  # "dek:" with nothing after it means no dek
                self._values[canonical] = value
            self._lines[canonical] = line

    def _error(self, message: str, line: int | None, key: str) -> ContentError:
        return ContentError(message, source=self._source, line=line, field=key)

    def _bad(self, key: str, message: str) -> ContentError:
        return self._error(message, self._lines.get(key), key)

    def text(self, key: str) -> str | None:
        value = self._values.get(key)
        return None if value is None else self._scalar(key, value)

    def _scalar(self, key: str, value: object) -> str:
        # YAML reads "section: 2024" as a number; the writer meant text.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise self._bad(key, f"must be text, not {type(value).__name__}")
        return value.strip()

    def when(self, key: str) -> datetime | None:
        value = self._values.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                raise self._bad(key, f"'{value}' is not an ISO 8601 date or datetime") from None
        if isinstance(value, datetime):
            aware = value if value.utcoffset() is not None else value.replace(tzinfo=UTC)
            return aware.astimezone(UTC)
        if isinstance(value, date):
            return datetime.combine(value, time(), UTC)
        raise self._bad(key, "must be a date or a datetime")

    def _listed(self, key: str) -> list[object]:
        value = self._values.get(key)
        return [] if value is None else value if isinstance(value, list) else [value]

    def authors(self) -> tuple[Author, ...]:
        return tuple(self._author(item) for item in self._listed("authors"))

    def _author(self, item: object) -> Author:
        if not isinstance(item, dict):
            return Author(name=self._scalar("authors", item))
        fields = self._mapping("authors", item, _AUTHOR_KEYS)
        if "name" not in fields:
            raise self._bad("authors", "an author needs a 'name'")
        return Author(name=fields["name"], email=fields.get("email"), url=fields.get("url"))

    def _mapping(
        self, key: str, value: dict[object, object], known: frozenset[str]
    ) -> dict[str, str]:
        unknown = sorted(str(k) for k in value if k not in known)
        if unknown:
            raise self._bad(key, f"unknown key '{unknown[0]}' (known: {', '.join(sorted(known))})")
        return {str(k): self._scalar(key, v) for k, v in value.items() if v is not None}

    def tags(self) -> tuple[str, ...]:
        value = self._values.get("tags")
        items = value.split(",") if isinstance(value, str) else self._listed("tags")
        tags = (self._scalar("tags", item) for item in items)
        return tuple(dict.fromkeys(tag for tag in tags if tag))

    def lead_image(self) -> Image | None:
        value = self._values.get("lead_image")
        if value is None:
            return None
        fields = (
            self._mapping("lead_image", value, _IMAGE_KEYS)
            if isinstance(value, dict)
            else {"src": self._scalar("lead_image", value)}
        )
        src = safe_url(fields.get("src", ""), image=True)
        if not src:
            raise self._bad("lead_image", "needs a 'src': an http(s) URL or a relative path")
        return Image(
            src=src,
            alt=fields.get("alt", ""),
            caption=fields.get("caption"),
            credit=fields.get("credit"),
        )

    def article(self, headline: str, body: tuple[Block, ...]) -> Article:
        """The Article; a value the model refuses is reported at its line."""
        try:
            return Article(
                id=self.text("id") or article_id(headline, plain_text(body)),
                headline=headline,
                section=self.text("section") or "",
                dek=self.text("dek"),
                authors=self.authors(),
                dateline=self.text("dateline"),
                published_at=self.when("published_at"),
                updated_at=self.when("updated_at"),
                source=self.text("source"),
                copyright=self.text("copyright"),
                canonical_url=self.text("canonical_url"),
                language=self.text("language"),
                tags=self.tags(),
                lead_image=self.lead_image(),
                summary=self.text("summary"),
                body=body,
            )
        except ContentError as exc:
            if exc.source is not None:
                raise
            key = (exc.field or "").split(".")[0]
            key = {"src": "lead_image", "alt": "lead_image", "name": "authors"}.get(key, key)
            raise self._error(exc.message, self._lines.get(key), exc.field or key) from None


# -- body -----------------------------------------------------------------------


def _close_index(tokens: Sequence[Token], start: int) -> int:
    """Index of the token closing the one at *start* (itself if it opens nothing)."""
    opener = tokens[start]
    if opener.nesting != 1:
        return start
    for index in range(start + 1, len(tokens)):
        if tokens[index].nesting == -1 and tokens[index].level == opener.level:
            return index
    return len(tokens) - 1


def _groups(tokens: Sequence[Token]) -> list[Sequence[Token]]:
    """Top-level blocks of *tokens*, each from its open to its close token."""
    groups: list[Sequence[Token]] = []
    index = 0
    while index < len(tokens):
        end = _close_index(tokens, index)
        groups.append(tokens[index : end + 1])
        index = end + 1
    return groups


def _blocks(tokens: Sequence[Token]) -> list[Block]:
    blocks: list[Block] = []
    for group in _groups(tokens):
        blocks.extend(_block(group))
    return blocks


def _block(group: Sequence[Token]) -> list[Block]:
    first = group[0]
    kind = first.type
    if kind == "paragraph_open":
        return _paragraph(_children(group[1]))
    if kind == "heading_open":
        return _heading(int(first.tag[1]), _children(group[1]))
    if kind == "blockquote_open":
        return _quote(group[1:-1])
    if kind in ("bullet_list_open", "ordered_list_open"):
        return _list(group[1:-1], ordered=kind == "ordered_list_open")
    if kind == "hr":
        return [Rule()]
    if kind in ("fence", "code_block"):
        code = _CONTROL.sub("", first.content).rstrip()
        return [Paragraph(inlines=(Text(text=code),))] if code.strip() else []
    if kind == "html_block":
        return list(blocks_from_html(first.content))
    return []


def _children(token: Token) -> list[Token]:
    return list(token.children or [])


def _paragraph(children: list[Token]) -> list[Block]:
    visible = [
        c for c in children if c.type != "softbreak" and (c.type != "text" or c.content.strip())
    ]
    if len(visible) == 1 and visible[0].type == "image":
        image = _image(visible[0])
        return [image] if image else []
    runs, images = _runs(children)
    inlines = build_inlines(runs)
    return [*([Paragraph(inlines=inlines)] if inlines else []), *images]


def _heading(level: int, children: list[Token]) -> list[Block]:
    runs, images = _runs(children)
    text = clean_text(inline_text(build_inlines(runs)))
    return [*([Heading(level=level, text=text)] if text else []), *images]


def _quote(inner: Sequence[Token]) -> list[Block]:
    """A Quote of everything inside; a closing "— Name" line is the attribution."""
    blocks: list[Block] = []
    attribution = None
    if len(inner) >= 3 and inner[-1].type == "paragraph_close":
        head, attribution = _split_last_line(_children(inner[-2]))
        if attribution is not None and (head or len(inner) > 3):
            blocks = _blocks(inner[:-3]) + _paragraph(head)
        else:
            attribution = None
    if attribution is None:
        blocks = _blocks(inner)
    images = [b for b in blocks if isinstance(b, Image)]
    text = plain_text(tuple(b for b in blocks if not isinstance(b, Image))).strip()
    quote: list[Block] = [Quote(text=text, attribution=attribution)] if text else []
    return [*quote, *images]


def _split_last_line(children: list[Token]) -> tuple[list[Token], str | None]:
    breaks = [i for i, c in enumerate(children) if c.type in ("softbreak", "hardbreak")]
    start = breaks[-1] + 1 if breaks else 0
    runs, _images = _runs(children[start:])
    attribution = split_attribution(inline_text(build_inlines(runs)))
    if attribution is None:
        return children, None
    return (children[: breaks[-1]] if breaks else []), attribution


def _list(inner: Sequence[Token], *, ordered: bool) -> list[Block]:
    """A ListBlock; nested lists and extra paragraphs are flattened into the item."""
    items: list[tuple[Inline, ...]] = []
    images: list[Block] = []
    for group in _groups(inner):
        runs: list[Run] = []
        separator = " "
        for token in group[1:-1]:
            if token.type == "list_item_open":
                separator = "; "  # a nested item continues its parent's text
                continue
            piece, piece_images = _item_piece(token)
            images.extend(piece_images)
            if piece:
                runs.extend([(separator, ())] if runs else [])
                runs.extend(piece)
                separator = " "
        inlines = build_inlines(runs)
        if inlines:
            items.append(inlines)
    return [*([ListBlock(items=tuple(items), ordered=ordered)] if items else []), *images]


def _item_piece(token: Token) -> tuple[list[Run], list[Image]]:
    if token.type == "inline":
        return _runs(_children(token))
    if token.type in ("fence", "code_block"):
        return [(token.content, ())], []
    if token.type == "html_block":
        return _runs_of_blocks(blocks_from_html(token.content))
    return [], []


def _runs(children: Sequence[Token]) -> tuple[list[Run], list[Image]]:
    """Text runs under their marks, and the images met, from inline tokens."""
    if any(c.type == "html_inline" for c in children):
        # Tags split across tokens only make sense together: render the line
        # and let the sanitising HTML reader take it.
        html = _RENDERER.renderInline(list(children), _MD.options, {})
        return _runs_of_blocks(blocks_from_html(html))
    runs: list[Run] = []
    images: list[Image] = []
    stack: list[Mark | None] = []
    for child in children:
        marks = tuple(m for m in stack if m is not None)[:_MAX_MARK_DEPTH]
        kind = child.type
        if kind in ("text", "code_inline"):
            runs.append((child.content, marks))
        elif kind in ("softbreak", "hardbreak"):
            runs.append((" " if kind == "softbreak" else "\n", marks))
        elif kind in ("em_open", "strong_open", "link_open"):
            stack.append(_mark(child))
        elif kind.endswith("_close") and stack:
            stack.pop()
        elif kind == "image":
            image = _image(child)
            images.extend([image] if image else [])
    return runs, images


def _mark(token: Token) -> Mark | None:
    if token.type != "link_open":
        return (token.type.removesuffix("_open"), "")
    href = safe_url(str(token.attrs.get("href", "")))
    return ("a", href) if href else None


def _image(token: Token) -> Image | None:
    src = safe_url(str(token.attrs.get("src", "")), image=True)
    if not src:
        return None
    words = (c.content for c in _children(token) if c.type in ("text", "code_inline"))
    alt = clean_text("".join(words))
    title = clean_text(str(token.attrs.get("title", "")))
    return Image(src=src, alt=alt, caption=title or None)


def _runs_of_blocks(blocks: Sequence[Block]) -> tuple[list[Run], list[Image]]:
    """Blocks (from raw HTML) flattened back into runs where only inlines fit."""
    runs: list[Run] = []
    images: list[Image] = []
    for block in blocks:
        if isinstance(block, Image):
            images.append(block)
            continue
        pieces = (
            [_inline_runs(block.inlines, ())]
            if isinstance(block, Paragraph)
            else [_inline_runs(item, ()) for item in block.items]
            if isinstance(block, ListBlock)
            else [[(plain_text((block,)), ())]]
        )
        for piece in pieces:
            runs.extend([(" ", ())] if runs else [])
            runs.extend(piece)
    return runs, images


def _inline_runs(inlines: Sequence[Inline], marks: tuple[Mark, ...]) -> list[Run]:
    runs: list[Run] = []
    for node in inlines:
        if isinstance(node, Text):
            # Hard breaks are "\n" runs of their own; inside a run, "\n" is a space.
            runs.extend((part, marks) for part in re.split(r"(\n)", node.text) if part)
        elif isinstance(node, Emphasis):
            runs.extend(_inline_runs(node.children, (*marks, ("em", ""))))
        elif isinstance(node, Strong):
            runs.extend(_inline_runs(node.children, (*marks, ("strong", ""))))
        elif isinstance(node, Link):
            runs.extend(_inline_runs(node.children, (*marks, ("a", node.href))))
    return runs
