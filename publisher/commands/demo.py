"""``publisher demo``: the main job on the embedded default, end to end.

It uses the demo publication shipped in ``publisher/demo`` (settings, the
sample wire copy, a handful of Markdown articles in several sections and an
Issue plan) and a local data directory, so it needs nothing installed or
configured. Running it again changes nothing: imports and assembly are
idempotent.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from publisher.assemble import assemble, read_plan, select_articles
from publisher.commands import Context
from publisher.settings import load_settings
from publisher.sources import expand_paths, read_source
from publisher.store import ImportReport

__all__ = ["DEMO_DIR", "register"]

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


def cmd_demo(ctx: Context) -> int:
    a = ctx.args
    data_dir = Path(a.data_dir or "demo-data").resolve()
    ctx._settings = load_settings(a.config or DEMO_DIR / "publication.toml", db=a.db,
                                  data_dir=data_dir)
    app, out = ctx.app, ctx.out
    pub = app.settings.publication
    print(f"== {pub.name}: demo in {data_dir}", file=out)
    print(f"   database: {app.store.url}", file=out)
    targets = list(expand_paths([str(DEMO_DIR / "articles")]))
    found = [(t, read_source(t, app.fetcher)) for t in targets]
    plan = read_plan(DEMO_DIR / "plan.toml")
    report = ImportReport()
    with app.store.begin() as conn:
        for origin, articles in found:
            report = report + app.store.articles.save(conn, articles, origin)
        issue = assemble(plan, pub, select_articles(plan, app.store, conn, pub))
        stored, created = app.store.issues.save(conn, issue)
        app.planner.set_overrides(conn, plan.number, plan.dispatch)
    print(f"1. imported {len(targets)} file(s): {report.added} added, {report.updated} "
          f"updated, {report.unchanged} unchanged", file=out)
    state = "assembled" if created else "unchanged, already stored"
    print(f"2. Issue {stored.number} v{stored.version} {state}: \"{stored.title}\" "
          f"({stored.issue_date.isoformat()}), content hash {stored.content_hash[:12]}",
          file=out)
    for section in issue.sections:
        print(f"     {section.name}: {len(section.articles)} article(s)", file=out)
        for art in section.articles:
            print(f"       - {art.headline}", file=out)
    print(f"3. next: publisher --data-dir {data_dir} issue export 1", file=out)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="build the demo publication and assemble Issue 1")
    p.set_defaults(handler=cmd_demo)
