"""The documented JSON form of articles and Issues (export, import, ``parse``).

Shape (schema version 1)::

    {"schema": 1, "kind": "article", "article": {...}}
    {"schema": 1, "kind": "issue", "issue": {...}}

Every block is an object with a ``type`` (``paragraph``, ``heading``,
``quote``, ``image``, ``list``, ``rule``); paragraph, heading and quote blocks
carry a plain ``text`` beside any inline structure. Inlines are ``text``,
``emphasis``, ``strong`` and ``link`` objects. Datetimes are ISO 8601 with
offset; dates are ISO dates. Reading is strict: unknown keys and wrong types
are ``ContentError`` naming the field, so a round trip is exact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from publisher.content import (
    Article,
    Author,
    Block,
    Brand,
    Emphasis,
    Heading,
    Image,
    Inline,
    Issue,
    IssueSection,
    Link,
    ListBlock,
    Paragraph,
    Publication,
    Quote,
    Rule,
    Strong,
    Text,
)
from publisher.errors import ContentError

__all__ = [
    "SCHEMA_VERSION",
    "article_from_dict",
    "article_to_dict",
    "document_from_json",
    "dumps",
    "issue_from_dict",
    "issue_hash",
    "issue_to_dict",
]

SCHEMA_VERSION = 1
_T = TypeVar("_T")
Json = dict[str, Any]


# -- writing ---------------------------------------------------------------


def _inline_to(node: Inline) -> Json:
    if isinstance(node, Text):
        return {"type": "text", "text": node.text}
    kids = [_inline_to(c) for c in node.children]
    if isinstance(node, Link):
        return {"type": "link", "href": node.href, "children": kids}
    return {"type": "emphasis" if isinstance(node, Emphasis) else "strong", "children": kids}


def _block_to(block: Block) -> Json:
    match block:
        case Paragraph():
            return {"type": "paragraph", "text": block.text,
                    "inlines": [_inline_to(i) for i in block.inlines]}
        case Heading():
            return {"type": "heading", "level": block.level, "text": block.text}
        case Quote():
            return {"type": "quote", "text": block.text, "attribution": block.attribution}
        case Image():
            return _image_to(block)
        case ListBlock():
            items = [[_inline_to(i) for i in item] for item in block.items]
            return {"type": "list", "ordered": block.ordered, "items": items}
        case Rule():
            return {"type": "rule"}
    raise TypeError(f"not a block: {block!r}")  # pragma: no cover - closed union


def _image_to(img: Image) -> Json:
    return {"type": "image", "src": img.src, "alt": img.alt,
            "caption": img.caption, "credit": img.credit}


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def article_to_dict(article: Article) -> Json:
    """The JSON-ready dict of one article."""
    return {
        "id": article.id,
        "headline": article.headline,
        "section": article.section,
        "dek": article.dek,
        "authors": [{"name": a.name, "email": a.email, "url": a.url} for a in article.authors],
        "dateline": article.dateline,
        "published_at": _dt(article.published_at),
        "updated_at": _dt(article.updated_at),
        "source": article.source,
        "copyright": article.copyright,
        "canonical_url": article.canonical_url,
        "language": article.language,
        "tags": list(article.tags),
        "lead_image": _image_to(article.lead_image) if article.lead_image else None,
        "summary": article.summary,
        "body": [_block_to(b) for b in article.body],
    }


def _publication_to(pub: Publication) -> Json:
    brand = pub.brand
    return {
        "name": pub.name, "tagline": pub.tagline, "language": pub.language,
        "timezone": pub.timezone, "base_url": pub.base_url,
        "sender_name": pub.sender_name, "sender_address": pub.sender_address,
        "reply_to": pub.reply_to, "postal_address": pub.postal_address,
        "brand": {f: getattr(brand, f) for f in Brand.__dataclass_fields__},
        "sections": list(pub.sections),
    }


def issue_to_dict(issue: Issue) -> Json:
    """The JSON-ready dict of an Issue, articles in full."""
    return {
        "publication": _publication_to(issue.publication),
        "number": issue.number,
        "title": issue.title,
        "date": issue.date.isoformat(),
        "editor_note": [_block_to(b) for b in issue.editor_note],
        "preheader": issue.preheader,
        "sections": [
            {"name": s.name, "articles": [article_to_dict(a) for a in s.articles]}
            for s in issue.sections
        ],
        "status": issue.status,
    }


def dumps(kind: str, payload: Json | list[Json]) -> str:
    """Wrap *payload* in the versioned envelope and serialise it."""
    doc = {"schema": SCHEMA_VERSION, "kind": kind, kind: payload}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def issue_hash(issue: Issue) -> str:
    """SHA-256 over the canonical JSON of the Issue without its status."""
    data = issue_to_dict(issue)
    del data["status"]
    canon = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


# -- reading ---------------------------------------------------------------


class _Reader:
    """Strict accessor over one JSON object, naming the field path in errors."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            raise ContentError("expected an object", field=path or "(root)")
        self.data: dict[str, Any] = data
        self.path = path
        self.seen: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
        self.seen.add(key)
        if key not in self.data or (optional and self.data[key] is None):
            if optional:
                return None
            raise ContentError("is required", field=self._name(key))
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise ContentError(f"has the wrong type ({type(value).__name__})",
                               field=self._name(key))
        return value

    def sub(self, key: str, *, optional: bool = False) -> _Reader | None:
        value = self.get(key, dict, optional=optional)
        return None if value is None else _Reader(value, self._name(key))

    def items(self, key: str) -> list[tuple[str, Any]]:
        values = self.get(key, list)
        return [(f"{self._name(key)}[{i}]", v) for i, v in enumerate(values)]

    def done(self) -> None:
        extra = sorted(set(self.data) - self.seen)
        if extra:
            raise ContentError("unknown key", field=self._name(extra[0]))


def _guard(path: str, build: Callable[[], _T]) -> _T:
    """Call a constructor; its own validation errors get the field path."""
    try:
        return build()
    except ContentError as exc:
        if exc.field and not exc.field.startswith(path):
            raise ContentError(exc.message, field=f"{path}.{exc.field}" if path else exc.field
                               ) from None
        raise


def _inline_from(data: object, path: str) -> Inline:
    r = _Reader(data, path)
    kind = r.get("type", str)
    node: Inline
    if kind == "text":
        node = _guard(path, lambda: Text(text=r.get("text", str)))
    elif kind in ("emphasis", "strong", "link"):
        kids = tuple(_inline_from(v, p) for p, v in r.items("children"))
        if kind == "link":
            node = _guard(path, lambda: Link(href=r.get("href", str), children=kids))
        else:
            node = Emphasis(children=kids) if kind == "emphasis" else Strong(children=kids)
    else:
        raise ContentError(f"unknown inline type '{kind}'", field=f"{path}.type")
    r.done()
    return node


def _inlines(r: _Reader, key: str) -> tuple[Inline, ...]:
    return tuple(_inline_from(v, p) for p, v in r.items(key))


def _image_from(r: _Reader) -> Image:
    return _guard(r.path, lambda: Image(
        src=r.get("src", str), alt=r.get("alt", str),
        caption=r.get("caption", str, optional=True),
        credit=r.get("credit", str, optional=True)))


def _block_from(data: object, path: str) -> Block:
    r = _Reader(data, path)
    kind = r.get("type", str)
    block: Block
    if kind == "paragraph":
        r.get("text", str)  # derived from the inlines; read so it is not "unknown"
        block = _guard(path, lambda: Paragraph(inlines=_inlines(r, "inlines")))
    elif kind == "heading":
        block = _guard(path, lambda: Heading(level=r.get("level", int), text=r.get("text", str)))
    elif kind == "quote":
        block = _guard(path, lambda: Quote(
            text=r.get("text", str), attribution=r.get("attribution", str, optional=True)))
    elif kind == "image":
        block = _image_from(r)
    elif kind == "list":
        items = tuple(tuple(_inline_from(v2, f"{p}[{j}]") for j, v2 in enumerate(_as_list(v, p)))
                      for p, v in r.items("items"))
        block = _guard(path, lambda: ListBlock(items=items, ordered=r.get("ordered", bool)))
    elif kind == "rule":
        block = Rule()
    else:
        raise ContentError(f"unknown block type '{kind}'", field=f"{path}.type")
    r.done()
    return block


def _as_list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ContentError("expected a list", field=path)
    return value


def _datetime(r: _Reader, key: str) -> datetime | None:
    raw = r.get(key, str, optional=True)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise ContentError(f"'{raw}' is not an ISO 8601 datetime", field=r._name(key)) from None


def _strings(r: _Reader, key: str) -> tuple[str, ...]:
    out = []
    for p, v in r.items(key):
        if not isinstance(v, str):
            raise ContentError("expected a string", field=p)
        out.append(v)
    return tuple(out)


def _author_from(data: object, path: str) -> Author:
    r = _Reader(data, path)
    author = _guard(path, lambda: Author(
        name=r.get("name", str), email=r.get("email", str, optional=True),
        url=r.get("url", str, optional=True)))
    r.done()
    return author


def article_from_dict(data: object, path: str = "article") -> Article:
    """Read one article from its JSON form (strict)."""
    r = _Reader(data, path)
    lead = r.sub("lead_image", optional=True)
    article = _guard(path, lambda: Article(
        id=r.get("id", str), headline=r.get("headline", str), section=r.get("section", str),
        dek=r.get("dek", str, optional=True),
        authors=tuple(_author_from(v, p) for p, v in r.items("authors")),
        dateline=r.get("dateline", str, optional=True),
        published_at=_datetime(r, "published_at"), updated_at=_datetime(r, "updated_at"),
        source=r.get("source", str, optional=True),
        copyright=r.get("copyright", str, optional=True),
        canonical_url=r.get("canonical_url", str, optional=True),
        language=r.get("language", str, optional=True), tags=_strings(r, "tags"),
        lead_image=_lead_image(lead), summary=r.get("summary", str, optional=True),
        body=tuple(_block_from(v, p) for p, v in r.items("body"))))
    r.done()
    return article


def _lead_image(r: _Reader | None) -> Image | None:
    if r is None:
        return None
    r.get("type", str)
    image = _image_from(r)
    r.done()
    return image


def _publication_from(r: _Reader) -> Publication:
    b = r.sub("brand")
    assert b is not None
    brand_kw = {f: b.get(f, str, optional=(f == "logo")) for f in Brand.__dataclass_fields__}
    b.done()
    pub = _guard(r.path, lambda: Publication(
        name=r.get("name", str), tagline=r.get("tagline", str),
        language=r.get("language", str), timezone=r.get("timezone", str),
        base_url=r.get("base_url", str), sender_name=r.get("sender_name", str),
        sender_address=r.get("sender_address", str),
        reply_to=r.get("reply_to", str, optional=True),
        postal_address=r.get("postal_address", str), brand=Brand(**brand_kw),
        sections=_strings(r, "sections")))
    r.done()
    return pub


def _section_from(data: object, path: str) -> IssueSection:
    r = _Reader(data, path)
    section = _guard(path, lambda: IssueSection(
        name=r.get("name", str),
        articles=tuple(article_from_dict(v, p) for p, v in r.items("articles"))))
    r.done()
    return section


def issue_from_dict(data: object, path: str = "issue") -> Issue:
    """Read one Issue from its JSON form (strict)."""
    r = _Reader(data, path)
    pub = r.sub("publication")
    assert pub is not None
    raw_date = r.get("date", str)
    try:
        day = date.fromisoformat(raw_date)
    except ValueError:
        raise ContentError(f"'{raw_date}' is not an ISO date", field=f"{path}.date") from None
    issue = _guard(path, lambda: Issue(
        publication=_publication_from(pub), number=r.get("number", int),
        title=r.get("title", str), date=day,
        editor_note=tuple(_block_from(v, p) for p, v in r.items("editor_note")),
        preheader=r.get("preheader", str, optional=True),
        sections=tuple(_section_from(v, p) for p, v in r.items("sections")),
        status=_status(r)))
    r.done()
    return issue


def _status(r: _Reader) -> Any:
    from typing import get_args

    from publisher.content import IssueStatus

    value = r.get("status", str)
    if value not in get_args(IssueStatus):
        raise ContentError(f"unknown status '{value}'", field=r._name("status"))
    return value


def document_from_json(text: str, source: str = "<json>") -> list[Article] | Issue:
    """Read a JSON document: an article, a list of articles, or an Issue."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentError(exc.msg, source=source, line=exc.lineno) from None
    try:
        r = _Reader(doc, "")
        version = r.get("schema", int)
        if version != SCHEMA_VERSION:
            raise ContentError(f"unsupported schema version {version}", field="schema")
        kind = r.get("kind", str)
        result = _read_kind(r, kind)
        r.done()
        return result
    except ContentError as exc:
        raise exc.located(source) from None


def _read_kind(r: _Reader, kind: str) -> list[Article] | Issue:
    if kind == "article":
        return [article_from_dict(r.get("article", dict))]
    if kind == "articles":
        return [article_from_dict(v, p) for p, v in r.items("articles")]
    if kind == "issue":
        return issue_from_dict(r.get("issue", dict))
    raise ContentError(f"unknown kind '{kind}'", field="kind")
