"""Commands on content: ``parse``, ``import``, ``articles`` and ``issue``."""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from publisher.assemble import assemble, read_plan, select_articles
from publisher.commands import Context
from publisher.content import Article, Issue
from publisher.errors import ContentError
from publisher.fetch import SafeFetcher
from publisher.jsonform import article_to_dict, document_from_json, dumps, issue_to_dict
from publisher.sources import FORMATS, expand_paths, read_source
from publisher.store import ImportReport, StoredIssue

__all__ = ["register"]


def _articles_json(found: list[Article]) -> str:
    if len(found) == 1:
        return dumps("article", article_to_dict(found[0]))
    return dumps("articles", [article_to_dict(a) for a in found])


def cmd_parse(ctx: Context) -> int:
    """Print the articles of a file as the JSON form; store nothing."""
    # parse must not create a database just to read a file: no ctx.app here.
    found = read_source(ctx.args.path, SafeFetcher(ctx.settings.fetch), ctx.args.format)
    print(_articles_json(found), file=ctx.out)
    return 0


def cmd_import(ctx: Context) -> int:
    """Read every target first, then store all of it in one transaction."""
    app = ctx.app
    targets = list(expand_paths(ctx.args.targets))
    batches: list[tuple[str, list[Article]]] = []
    for target in tqdm(targets, desc="reading", unit="file", file=ctx.err,
                       disable=None if len(targets) > 20 else True):
        batches.append((target, read_source(target, app.fetcher, ctx.args.format)))
    report = ImportReport()
    with app.store.begin() as conn:
        for origin, found in batches:
            report = report + app.store.articles.save(conn, found, origin)
    print(f"imported {sum(len(b) for _, b in batches)} article(s) from {len(targets)} "
          f"source(s): {report.added} added, {report.updated} updated, "
          f"{report.unchanged} unchanged, {report.duplicates} duplicate(s) skipped",
          file=ctx.out)
    return 0


def cmd_articles_list(ctx: Context) -> int:
    with ctx.app.store.read() as conn:
        rows = list(ctx.app.store.articles.list(conn, section=ctx.args.section))
    for row in rows:
        when = (row.published_at or row.imported_at).strftime("%Y-%m-%d %H:%M")
        print(f"{row.id}\t{row.section or '-'}\t{when}\t{row.headline}", file=ctx.out)
    print(f"{len(rows)} article(s)", file=ctx.err)
    return 0


def cmd_articles_show(ctx: Context) -> int:
    with ctx.app.store.read() as conn:
        article = ctx.app.store.articles.get(conn, ctx.args.id)
    print(dumps("article", article_to_dict(article)), file=ctx.out)
    return 0


def _describe(stored: StoredIssue, created: bool | None = None) -> str:
    state = "" if created is None else (" (new version)" if created else " (unchanged)")
    return (f"Issue {stored.number} v{stored.version}{state}: {stored.title} "
            f"[{stored.issue_date.isoformat()}, {stored.status}, {stored.content_hash[:12]}]")


def cmd_issue_create(ctx: Context) -> int:
    """Assemble an Issue from a plan file and store it as a new version."""
    app = ctx.app
    plan = read_plan(Path(ctx.args.plan))
    pub = app.settings.publication
    with app.store.begin() as conn:
        issue = assemble(plan, pub, select_articles(plan, app.store, conn, pub))
        stored, created = app.store.issues.save(conn, issue)
        app.planner.set_overrides(conn, plan.number, plan.dispatch)
    print(_describe(stored, created), file=ctx.out)
    _print_contents(ctx, issue)
    return 0


def _print_contents(ctx: Context, issue: Issue) -> None:
    for section in issue.sections:
        print(f"  {section.name}", file=ctx.out)
        for article in section.articles:
            by = f" (by {article.byline})" if article.authors else ""
            print(f"    - {article.headline}{by}", file=ctx.out)


def cmd_issue_list(ctx: Context) -> int:
    with ctx.app.store.read() as conn:
        rows = list(ctx.app.store.issues.list(conn))
    for row in rows:
        print(_describe(row), file=ctx.out)
    print(f"{len(rows)} Issue(s)", file=ctx.err)
    return 0


def cmd_issue_show(ctx: Context) -> int:
    stored, issue = ctx.load_issue(ctx.args.number, ctx.args.version)
    print(_describe(stored), file=ctx.out)
    _print_contents(ctx, issue)
    return 0


def cmd_issue_export(ctx: Context) -> int:
    _, issue = ctx.load_issue(ctx.args.number, ctx.args.version)
    text = dumps("issue", issue_to_dict(issue))
    if ctx.args.output:
        _write_atomic(Path(ctx.args.output), text + "\n")
    else:
        print(text, file=ctx.out)
    return 0


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file so a failure leaves no half-written export."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def cmd_issue_import(ctx: Context) -> int:
    """Store an Issue exported as JSON (its articles too)."""
    source = ctx.args.file
    try:
        text = Path(source).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"cannot read: {exc}", source=source) from None
    doc = document_from_json(text, source)
    if not isinstance(doc, Issue):
        raise ContentError("holds articles, not an Issue (use 'import')", source=source)
    with ctx.app.store.begin() as conn:
        ctx.app.store.articles.save(conn, doc.articles, source)
        stored, created = ctx.app.store.issues.save(conn, doc)
    print(_describe(stored, created), file=ctx.out)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the content commands to the CLI."""
    p = sub.add_parser("parse", help="print the articles of a file as JSON; store nothing")
    p.add_argument("path", help="a file (wire copy, Markdown, RSS/Atom, JSON) or a feed URL")
    p.add_argument("--format", choices=FORMATS, default="auto")
    p.set_defaults(handler=cmd_parse)

    p = sub.add_parser("import", help="store articles from files, folders or feed URLs")
    p.add_argument("targets", nargs="+", metavar="PATH|URL")
    p.add_argument("--format", choices=FORMATS, default="auto")
    p.set_defaults(handler=cmd_import)

    _register_articles(sub)
    _register_issue(sub)


def _register_articles(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    arts = sub.add_parser("articles", help="stored articles").add_subparsers(
        dest="action", required=True)
    p = arts.add_parser("list", help="list stored articles, newest first")
    p.add_argument("--section")
    p.set_defaults(handler=cmd_articles_list)
    p = arts.add_parser("show", help="print one article as JSON")
    p.add_argument("id")
    p.set_defaults(handler=cmd_articles_show)


def _register_issue(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    iss = sub.add_parser("issue", help="assemble and inspect Issues").add_subparsers(
        dest="action", required=True)
    p = iss.add_parser("create", help="assemble an Issue from a plan file (TOML)")
    p.add_argument("plan")
    p.set_defaults(handler=cmd_issue_create)
    iss.add_parser("list", help="list Issues (newest version of each)").set_defaults(
        handler=cmd_issue_list)
    for name, handler, text in (("show", cmd_issue_show, "show an Issue's contents"),
                                ("export", cmd_issue_export, "print an Issue as JSON")):
        p = iss.add_parser(name, help=text)
        p.add_argument("number", type=int)
        p.add_argument("--version", type=int, help="a stored version (default: newest)")
        p.set_defaults(handler=handler)
        if name == "export":
            p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p = iss.add_parser("import", help="store an Issue from its JSON form")
    p.add_argument("file")
    p.set_defaults(handler=cmd_issue_import)
