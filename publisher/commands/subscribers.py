"""Commands on the audience: ``subscribers ...``, ``lists`` and ``bounces process``.

Addresses given on the command line are looked up in their stored form
(``csvio.normalise_email``), so ``Ann@Example.COM`` finds ``ann@example.com``.
Every change runs in one transaction (a whole import, one bounce report), so
an interruption leaves nothing half-done.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.errors import MessageError
from pathlib import Path
from typing import TypeAlias

import sqlalchemy as sa

from publisher.audience.bounces import BounceEvent, parse_dsn
from publisher.audience.csvio import (
    ImportResult,
    Reject,
    normalise_email,
    read_subscribers,
    write_subscribers,
)
from publisher.audience.store import (
    DEFAULT_LIST,
    AudienceRepo,
    ImportOutcome,
    Membership,
    Subscriber,
    SuppressReason,
)
from publisher.commands import Context
from publisher.errors import ContentError, NotFoundError

__all__ = ["EXPORT_COLUMNS", "register"]

EXPORT_COLUMNS = ("email", "name", "status", "list", "format", "sections", "language", "created_at")
STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
FORMATS = ("html", "text", "pdf")
# Above this size an import shows a progress bar even when stderr is not a terminal.
_PROGRESS_BYTES = 1_000_000
# The characters csvio refuses in names: C0/C1 controls and Unicode line breaks.
_CONTROL = frozenset({"Cc", "Zl", "Zp"})
_MAX_LIST_ID = 100  # lists.id is String(100)

# A string: _SubParsersAction is only generic for the type checker.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


# -- small helpers ------------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(unicodedata.category(char) in _CONTROL for char in text)


def _printable(text: str) -> str:
    """*text* safe to print: control characters escaped, so a hostile CSV cell
    cannot move the cursor or rewrite the operator's terminal."""
    return "".join(
        repr(char)[1:-1] if unicodedata.category(char) in _CONTROL else char for char in text
    )


def _address(raw: str) -> str:
    """The stored form of *raw*, or ContentError naming the field."""
    try:
        return normalise_email(raw)
    except ValueError as exc:
        raise ContentError(
            f"'{_printable(raw)}' is not a valid address: {exc}", field="email"
        ) from None


def _list_id(text: str) -> str:
    """argparse type for ``--list``: what the lists table can hold."""
    text = text.strip()
    if not text or len(text) > _MAX_LIST_ID or _has_control(text):
        raise argparse.ArgumentTypeError(f"must be 1 to {_MAX_LIST_ID} printable characters")
    return text


def _split_sections(text: str) -> list[str]:
    """``A,B`` or, since section names may hold commas, ``A, B|C`` (``|`` wins)."""
    separator = "|" if "|" in text else ","
    names = [part.strip() for part in text.split(separator)]
    found = list(dict.fromkeys(name for name in names if name))
    if any(_has_control(name) for name in found):
        raise ContentError("must not contain line breaks or control characters", field="sections")
    return found


def _status(sub: Subscriber, membership: Membership | None) -> str:
    """The status on one list: a global bounce, complaint or unsubscribe wins."""
    if membership is None or sub.status != "active":
        return sub.status
    return membership.status


def _sections_text(membership: Membership) -> str:
    return "|".join(membership.sections) if membership.sections else "all"


def _on_list(
    pairs: Iterable[tuple[Subscriber, Membership | None]], status: str | None
) -> Iterator[tuple[Subscriber, Membership]]:
    """The members that have a membership, filtered by their status on that list."""
    for sub, membership in pairs:
        if membership is not None and (status is None or _status(sub, membership) == status):
            yield sub, membership


# -- import -------------------------------------------------------------------


def _read_csv(ctx: Context, path: Path) -> ImportResult:
    source = str(path)
    try:
        progress = ctx.err.isatty() or path.stat().st_size > _PROGRESS_BYTES
        return read_subscribers(path, source=source, progress=progress)
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror or exc}", source=source) from None


def _report_rejects(ctx: Context, path: Path, rejects: list[Reject]) -> None:
    if rejects:
        print(f"{path}: {len(rejects)} row(s) rejected:", file=ctx.err)
    for reject in rejects:
        email = _printable(reject.email) or "(no email)"
        print(f"line {reject.line}: {email}: {_printable(reject.reason)}", file=ctx.err)


def _report_skipped(ctx: Context, outcome: ImportOutcome) -> None:
    for email in outcome.suppressed:
        print(f"{email}: suppressed (bounced, complained or erased), skipped", file=ctx.err)
    if outcome.kept_unsubscribed:
        print(
            f"{len(outcome.kept_unsubscribed)} address(es) had unsubscribed and stay so "
            "(re-subscribe one on request with 'subscribers add')",
            file=ctx.err,
        )


def cmd_import(ctx: Context) -> int:
    """Read the whole file first, then store every valid row in one transaction."""
    path, list_id = Path(ctx.args.file), ctx.args.list
    result = _read_csv(ctx, path)
    _report_rejects(ctx, path, result.rejects)
    if result.rejects and not result.rows:
        raise ContentError(f"every row was rejected ({len(result.rejects)})", source=str(path))
    store = ctx.app.store
    with store.begin() as conn:
        outcome = store.audience.import_rows(conn, result.rows, list_id=list_id, source=path.name)
    _report_skipped(ctx, outcome)
    print(
        f"imported {outcome.added + outcome.updated} subscriber(s) to list {list_id}: "
        f"{outcome.added} added, {outcome.updated} updated, "
        f"{result.duplicates_merged} duplicate(s) merged, {len(result.rejects)} rejected, "
        f"{len(outcome.suppressed)} suppressed skipped",
        file=ctx.out,
    )
    return 0


# -- export and listing ---------------------------------------------------------


def _export_rows(pairs: Iterable[tuple[Subscriber, Membership]]) -> Iterator[Mapping[str, object]]:
    for sub, membership in pairs:
        yield {
            "email": sub.email,
            "name": sub.name,
            "status": _status(sub, membership),
            "list": membership.list_id,
            "format": membership.format,
            "sections": membership.sections,
            "language": membership.language,
            "created_at": sub.created_at.isoformat(),
        }


def cmd_export(ctx: Context) -> int:
    """CSV on stdout, streamed from the database; it imports back unchanged."""
    store, list_id = ctx.app.store, ctx.args.list
    with store.read() as conn:
        store.audience.require_list(conn, list_id)
        pairs = _on_list(store.audience.members(conn, list_id), ctx.args.status)
        count = write_subscribers(_export_rows(pairs), ctx.out, EXPORT_COLUMNS)
    print(f"{count} subscriber(s) exported from list {list_id}", file=ctx.err)
    return 0


def cmd_list(ctx: Context) -> int:
    store, list_id = ctx.app.store, ctx.args.list
    count = 0
    with store.read() as conn:
        store.audience.require_list(conn, list_id)
        for sub, m in _on_list(store.audience.members(conn, list_id), ctx.args.status):
            name = _printable(sub.name) or "-"
            line = f"{sub.email}\t{name}\t{_status(sub, m)}\t{m.format}\t{_sections_text(m)}"
            print(line, file=ctx.out)
            count += 1
    print(f"{count} subscriber(s) on list {list_id}", file=ctx.err)
    return 0


def cmd_lists(ctx: Context) -> int:
    with ctx.app.store.read() as conn:
        counts = ctx.app.store.audience.list_counts(conn)
    for c in counts:
        named = "" if c.name == c.list_id else f"\t{_printable(c.name)}"
        print(f"{c.list_id}\t{c.members} member(s), {c.active} active{named}", file=ctx.out)
    print(f"{len(counts)} list(s)", file=ctx.err)
    return 0


# -- one subscriber ---------------------------------------------------------------


def _checked_name(name: str | None) -> str:
    # The name ends up in From/To headers: a line break there is header injection.
    if name is not None and _has_control(name):
        raise ContentError("must not contain line breaks or control characters", field="name")
    return (name or "").strip()


def _current(
    repo: AudienceRepo, conn: sa.Connection, email: str, list_id: str
) -> tuple[Subscriber | None, Membership | None]:
    """The stored subscriber and their membership of *list_id*, each None if absent."""
    try:
        sub = repo.find(conn, email)
    except NotFoundError:
        return None, None
    return sub, next((m for m in repo.memberships(conn, sub.id) if m.list_id == list_id), None)


def cmd_add(ctx: Context) -> int:
    """Add or update one subscriber; options not given keep their stored value."""
    a, store = ctx.args, ctx.app.store
    email, name = _address(a.email), _checked_name(a.name)
    sections = None if a.sections is None else _split_sections(a.sections)
    with store.begin() as conn:
        before, old = _current(store.audience, conn, email, a.list)
        sub = store.audience.add(
            conn,
            email,
            list_id=a.list,
            name=name,
            status="pending" if a.pending else "active",
            sections=sections if sections is not None else (old.sections if old else ()),
            format=a.format or (old.format if old else "html"),
            language=old.language if old else None,
            consent_source="cli",
        )
        membership = store.audience.membership(conn, sub.id, a.list)
    verb = "added" if before is None else "updated"
    print(
        f"{verb} {sub.email} on list {a.list}: {_status(sub, membership)}, "
        f"format {membership.format}, sections {_sections_text(membership)}",
        file=ctx.out,
    )
    return 0


def cmd_remove(ctx: Context) -> int:
    email = _address(ctx.args.email)
    list_id = None if ctx.args.all else (ctx.args.list or DEFAULT_LIST)
    with ctx.app.store.begin() as conn:
        ctx.app.store.audience.remove(conn, email, list_id)
    where = "every list (subscriber deleted)" if list_id is None else f"list {list_id}"
    print(f"removed {email} from {where}", file=ctx.out)
    return 0


def _show_lines(sub: Subscriber, memberships: list[Membership], suppressed: bool) -> list[str]:
    when = sub.consent_at.isoformat() if sub.consent_at else "not given yet"
    how = f" via {_printable(sub.consent_source)}" if sub.consent_source else ""
    ip = f" from {sub.consent_ip}" if sub.consent_ip else ""
    lines = [
        sub.email,
        f"  name: {_printable(sub.name) or '-'}",
        f"  status: {sub.status}{' (suppressed)' if suppressed else ''}",
        f"  consent: {when}{how}{ip}",
        f"  created: {sub.created_at.isoformat()}, updated: {sub.updated_at.isoformat()}",
        "  lists:" if memberships else "  lists: none",
    ]
    for m in memberships:
        language = f", language {m.language}" if m.language else ""
        lines.append(
            f"    {m.list_id}: {_status(sub, m)}, format {m.format}, "
            f"sections {_sections_text(m)}{language}"
        )
    return lines


def cmd_show(ctx: Context) -> int:
    repo = ctx.app.store.audience
    with ctx.app.store.read() as conn:
        sub = repo.find(conn, _address(ctx.args.email))
        lines = _show_lines(
            sub, repo.memberships(conn, sub.id), repo.is_suppressed(conn, sub.email)
        )
    print("\n".join(lines), file=ctx.out)
    return 0


def cmd_export_data(ctx: Context) -> int:
    """Everything held about one person, for a subject access request."""
    with ctx.app.store.read() as conn:
        data = ctx.app.store.audience.export_data(conn, _address(ctx.args.email))
    print(json.dumps(data, indent=2, ensure_ascii=False), file=ctx.out)
    return 0


def cmd_erase(ctx: Context) -> int:
    email = _address(ctx.args.email)
    with ctx.app.store.begin() as conn:
        ctx.app.store.audience.erase(conn, email)
    print(
        f"erased {email}: personal data deleted; only a hash of the address is kept, "
        "so it is never mailed or added again",
        file=ctx.out,
    )
    return 0


# -- bounces ----------------------------------------------------------------------


@dataclass(slots=True)
class _Tally:
    reports: int = 0
    failed: int = 0
    hard: int = 0
    complaints: int = 0
    soft: int = 0
    suppressed: int = 0


def _parse_report(ctx: Context, path: Path) -> list[BounceEvent] | None:
    """The events of one report file, or None (with a message) if it is unusable."""
    try:
        return parse_dsn(path.read_bytes(), source=str(path))
    except OSError as exc:
        problem = f"{path}: cannot read: {exc.strerror or exc}"
    # A malformed mail must not stop the rest of the folder: it goes to failed/.
    except (ValueError, MessageError) as exc:
        problem = str(exc)
    print(f"publisher: warning: {problem}; moved to failed/", file=ctx.err)
    return None


def _apply(repo: AudienceRepo, conn: sa.Connection, events: list[BounceEvent], t: _Tally) -> None:
    for event in events:
        if event.kind == "soft":
            # One soft bounce says nothing lasting; it is only counted.
            t.soft += 1
            continue
        reason: SuppressReason
        if event.kind == "hard":
            t.hard, reason = t.hard + 1, "hard_bounce"
        else:
            t.complaints, reason = t.complaints + 1, "complaint"
        if repo.suppress(conn, event.email, reason, event.detail):
            t.suppressed += 1


def _move(path: Path, folder: Path) -> None:
    """Move *path* into *folder*, never over a file already there."""
    folder.mkdir(exist_ok=True)
    target, n = folder / path.name, 1
    while target.exists():
        target, n = folder / f"{path.stem}.{n}{path.suffix}", n + 1
    path.replace(target)


def cmd_bounces_process(ctx: Context) -> int:
    """Apply every report in DIR, each in its own transaction, then move it away.

    The move comes after the commit: a crash in between leaves the report to be
    read again next time, which is harmless as suppressing twice is a no-op.
    """
    folder = Path(ctx.args.dir)
    if not folder.is_dir():
        raise ContentError("is not a directory", source=str(folder))
    reports = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    store, tally = ctx.app.store, _Tally()
    for path in reports:
        events = _parse_report(ctx, path)
        if events is None:
            _move(path, folder / "failed")
            tally.failed += 1
            continue
        with store.begin() as conn:
            _apply(store.audience, conn, events, tally)
        _move(path, folder / "processed")
        tally.reports += 1
    print(
        f"processed {tally.reports} report(s): {tally.hard} hard bounce(s), "
        f"{tally.complaints} complaint(s), {tally.suppressed} address(es) newly suppressed, "
        f"{tally.soft} soft bounce(s) counted; {tally.failed} file(s) failed",
        file=ctx.out,
    )
    return 0


# -- the parser ---------------------------------------------------------------------


def register(sub: Subparsers) -> None:
    """Add ``subscribers``, ``lists`` and ``bounces`` to the CLI."""
    subs = sub.add_parser("subscribers", help="add, import, export and erase subscribers")
    actions = subs.add_subparsers(dest="action", required=True)
    _register_bulk(actions)
    _register_one(actions)
    sub.add_parser("lists", help="the lists with their member counts").set_defaults(
        handler=cmd_lists
    )
    bounces = sub.add_parser("bounces", help="bounce and complaint reports").add_subparsers(
        dest="action", required=True
    )
    p = bounces.add_parser(
        "process", help="suppress hard bounces and complaints from the report files in DIR"
    )
    p.add_argument("dir", metavar="DIR", help="done files go to DIR/processed, bad to DIR/failed")
    p.set_defaults(handler=cmd_bounces_process)


def _list_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--list", type=_list_id, default=DEFAULT_LIST, help="default: %(default)s")


def _register_bulk(actions: Subparsers) -> None:
    p = actions.add_parser("import", help="add or update subscribers from a CSV file")
    p.add_argument("file", metavar="FILE.csv", help="columns: email, name, sections, format")
    _list_option(p)
    p.set_defaults(handler=cmd_import)
    for name, handler, text in (
        ("export", cmd_export, "write a list as CSV to stdout"),
        ("list", cmd_list, "one line per subscriber of a list"),
    ):
        p = actions.add_parser(name, help=text)
        _list_option(p)
        p.add_argument("--status", choices=STATUSES, help="only subscribers with this status")
        p.set_defaults(handler=handler)


def _register_one(actions: Subparsers) -> None:
    p = actions.add_parser("add", help="add or update one subscriber")
    p.add_argument("email")
    p.add_argument("--name")
    _list_option(p)
    p.add_argument("--sections", help="sections of interest, A,B or A|B (default: all)")
    p.add_argument("--format", choices=FORMATS, help="default: html, or the stored format")
    p.add_argument("--pending", action="store_true", help="wait for a double opt-in")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("remove", help="take a subscriber off a list, or delete them")
    p.add_argument("email")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--list", type=_list_id, help=f"default: {DEFAULT_LIST}")
    which.add_argument("--all", action="store_true", help="every list: delete the subscriber")
    p.set_defaults(handler=cmd_remove)

    for name, handler, text in (
        ("show", cmd_show, "status, consent and every list membership"),
        ("export-data", cmd_export_data, "everything held about a subscriber, as JSON"),
        ("erase", cmd_erase, "delete a subscriber's personal data; keep them suppressed"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument("email")
        p.set_defaults(handler=handler)
