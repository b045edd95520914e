"""Assembly: an Issue plan plus articles make an Issue.

A plan is a TOML file an editor writes::

    number = 1
    title = "The week in Central Asia"
    date = 2026-12-01
    preheader = "Kazakhstan and the US, a new grain deal, ..."   # optional
    editor_note = '''Markdown, **like this**.'''                # optional

    [[sections]]
    name = "Education"
    articles = ["kazakhstan-to-deepen-ties-...", "another-id"]   # explicit order

    [[sections]]
    name = "World"
    from_section = "World"    # a rule: the stored articles of that section...
    since = "last_issue"      # ...newer than the previous Issue (or a date)
    limit = 10                # optional cap, newest first

``read_plan`` checks the file (unknown keys and bad values name the field);
``select_articles`` resolves the rules against the store; ``assemble`` is pure
and builds the validated, content-hashed Issue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from publisher.content import Article, Block, Issue, IssueSection, Publication
from publisher.errors import ConfigError, ContentError, NotFoundError
from publisher.scheduler import parse_offset
from publisher.sources.markdown import markdown_blocks
from publisher.store import Store
from publisher.tomlfile import load_toml

__all__ = [
    "Plan",
    "PlanSection",
    "assemble",
    "plan_from_data",
    "read_plan",
    "select_articles",
]

_SECTION_KEYS = {"name", "articles", "from_section", "since", "limit"}
_PLAN_KEYS = {"number", "title", "date", "preheader", "editor_note", "sections", "dispatch"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanSection:
    """One section of a plan: explicit article ids, or a rule."""

    name: str
    article_ids: tuple[str, ...] = ()
    from_section: str | None = None
    since: date | datetime | str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """A checked plan file."""

    number: int
    title: str
    date: date
    preheader: str | None
    editor_note: str
    sections: tuple[PlanSection, ...]
    source: str
    # Per-channel send offsets ("-2h", "+15m") overriding [schedule.steps].
    dispatch: tuple[tuple[str, str], ...] = ()


def _fail(source: str, field: str, message: str) -> ContentError:
    return ContentError(message, source=source, field=field)


def _typed(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], source: str,
           where: str, *, required: bool = False) -> Any:
    name = f"{where}.{key}" if where else key
    if key not in data:
        if required:
            raise _fail(source, name, "is required")
        return None
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _fail(source, name, f"has the wrong type ({type(value).__name__})")
    return value


def _unknown(data: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        name = f"{where}.{extra[0]}" if where else extra[0]
        raise _fail(source, name, "unknown key")


def _plan_section(data: object, source: str, where: str) -> PlanSection:
    if not isinstance(data, dict):
        raise _fail(source, where, "must be a table")
    _unknown(data, _SECTION_KEYS, source, where)
    ids = _typed(data, "articles", list, source, where) or []
    if not all(isinstance(i, str) for i in ids):
        raise _fail(source, f"{where}.articles", "must be a list of article ids")
    rule = _typed(data, "from_section", str, source, where)
    if bool(ids) == bool(rule):
        raise _fail(source, where, "give either 'articles' or 'from_section'")
    since = _typed(data, "since", (str, date), source, where)
    if isinstance(since, str) and since != "last_issue":
        raise _fail(source, f"{where}.since", "must be a date or \"last_issue\"")
    limit = _typed(data, "limit", int, source, where)
    if limit is not None and limit < 1:
        raise _fail(source, f"{where}.limit", "must be 1 or more")
    return PlanSection(name=_typed(data, "name", str, source, where, required=True),
                       article_ids=tuple(ids), from_section=rule,
                       since=since if rule else None, limit=limit)


def read_plan(path: Path) -> Plan:
    """Read and check a plan file; every problem names the file and field."""
    return plan_from_data(load_toml(path, ContentError), str(path))


def plan_from_data(data: dict[str, Any], source: str) -> Plan:
    """Check a plan already parsed from TOML (recurring Issues fill in some keys)."""
    _unknown(data, _PLAN_KEYS, source, "")
    number = _typed(data, "number", int, source, "", required=True)
    when = _typed(data, "date", date, source, "", required=True)
    if isinstance(when, datetime):
        raise _fail(source, "date", "must be a date without a time")
    sections = _typed(data, "sections", list, source, "", required=True)
    if not sections:
        raise _fail(source, "sections", "an Issue needs at least one section")
    return Plan(
        number=number, title=_typed(data, "title", str, source, "", required=True), date=when,
        preheader=_typed(data, "preheader", str, source, ""),
        editor_note=_typed(data, "editor_note", str, source, "") or "",
        sections=tuple(_plan_section(s, source, f"sections[{i}]")
                       for i, s in enumerate(sections)),
        source=source, dispatch=_dispatch(data, source))


def _dispatch(data: dict[str, Any], source: str) -> tuple[tuple[str, str], ...]:
    table = _typed(data, "dispatch", dict, source, "") or {}
    for channel, offset in table.items():
        if not isinstance(offset, str):
            raise _fail(source, f"dispatch.{channel}", "must be an offset like \"-2h\"")
        try:
            parse_offset(offset)
        except ConfigError as exc:
            raise _fail(source, f"dispatch.{channel}", exc.message) from None
    return tuple(table.items())


# -- resolving rules against the store ---------------------------------------


def _since(section: PlanSection, conn: sa.Connection, store: Store, number: int,
           tz: ZoneInfo) -> datetime | None:
    if section.since is None or section.since == "last_issue":
        previous = store.issues.previous(conn, number)
        return previous.created_at if previous else None
    if isinstance(section.since, datetime):
        return section.since if section.since.tzinfo else section.since.replace(tzinfo=tz)
    assert isinstance(section.since, date)
    return datetime.combine(section.since, time(), tz)


def select_articles(plan: Plan, store: Store, conn: sa.Connection,
                    publication: Publication) -> list[list[Article]]:
    """The articles of each plan section, in order, read from the store."""
    tz = ZoneInfo(publication.timezone)
    chosen: list[list[Article]] = []
    for i, section in enumerate(plan.sections):
        ids = list(section.article_ids)
        if section.from_section is not None:
            since = _since(section, conn, store, plan.number, tz)
            rows = store.articles.list(conn, section=section.from_section, since=since)
            ids = [row.id for row in rows][: section.limit]
        chosen.append([_load(store, conn, plan, i, j, aid) for j, aid in enumerate(ids)])
    return chosen


def _load(store: Store, conn: sa.Connection, plan: Plan, i: int, j: int, aid: str) -> Article:
    try:
        return store.articles.get(conn, aid)
    except NotFoundError:
        raise _fail(plan.source, f"sections[{i}].articles[{j}]",
                    f"no stored article with id '{aid}'") from None


# -- the pure step -------------------------------------------------------------


def assemble(plan: Plan, publication: Publication, chosen: Sequence[Sequence[Article]],
             note: Callable[[str], tuple[Block, ...]] = markdown_blocks) -> Issue:
    """Build the Issue of *plan* from the articles chosen for each section."""
    sections = tuple(
        IssueSection(name=s.name, articles=tuple(arts))
        for s, arts in zip(plan.sections, chosen, strict=True) if arts)
    if not sections:
        raise ContentError("no articles matched any section", source=plan.source,
                           field="sections")
    try:
        return Issue(publication=publication, number=plan.number, title=plan.title,
                     date=plan.date, editor_note=note(plan.editor_note) if plan.editor_note
                     else (), preheader=plan.preheader, sections=sections)
    except ContentError as exc:
        raise ContentError(exc.message, source=plan.source, field=exc.field) from None
