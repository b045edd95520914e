"""``publisher demo``: the main job on the embedded default, end to end.

It uses the demo publication shipped in ``publisher/demo`` (settings, the
sample wire copy, Markdown articles in several sections, pictures, readers
and an Issue plan) and a local data directory, so it needs nothing installed
or configured and nothing leaves the machine:

1. import the articles and the readers, assemble Issue 1;
2. render every channel to ``preview/`` and run the pre-send checks;
3. sign every channel off and schedule the Issue a few seconds ahead;
4. run the worker in this process: the email goes to the Maildir outbox, the
   PDFs to ``downloads/``, the social posts (no accounts: a dry run) to
   ``social-outbox/``;
5. print where everything is.

Running it again sends nothing twice: imports and assembly are idempotent
and an Issue already sent is only summarised.
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from publisher.app import App
from publisher.assemble import assemble, read_plan, select_articles
from publisher.audience.csvio import read_subscribers
from publisher.audience.store import DEFAULT_LIST
from publisher.commands import Context
from publisher.lifecycle import Lifecycle
from publisher.preflight import run_preflight
from publisher.settings import load_settings
from publisher.sources import expand_paths, read_source
from publisher.store import ImportReport, StoredIssue

__all__ = ["DEMO_DIR", "register"]

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
_LEAD = timedelta(seconds=3)
_FINAL = {"done", "partial", "failed", "missed", "cancelled"}


def cmd_demo(ctx: Context) -> int:
    a = ctx.args
    # Your own settings keep their data directory; the demo's own use ./demo-data.
    chosen = a.data_dir or (None if a.config else "demo-data")
    ctx._settings = load_settings(a.config or DEMO_DIR / "publication.toml", db=a.db,
                                  data_dir=Path(chosen).resolve() if chosen else None)
    app, out = ctx.app, ctx.out
    data_dir = app.settings.data_dir
    print(f"== {app.settings.publication.name}: demo in {data_dir}", file=out)
    print(f"   database: {app.store.url}", file=out)
    stored = _build(ctx, app)
    if a.no_send:
        return 0
    _preview(ctx, app, stored, data_dir / "preview")
    if stored.status in ("sent", "partially_sent", "failed", "cancelled"):
        print(f"5. Issue {stored.number} is already {stored.status}: nothing sent again",
              file=out)
    else:
        _approve_and_send(ctx, app, stored)
    _summary(ctx, app, stored, data_dir)
    return 0


def _build(ctx: Context, app: App) -> StoredIssue:
    out, pub = ctx.out, app.settings.publication
    targets = list(expand_paths([str(DEMO_DIR / "articles")]))
    found = [(t, read_source(t, app.fetcher)) for t in targets]
    readers = read_subscribers(DEMO_DIR / "subscribers.csv", source="subscribers.csv")
    plan = read_plan(DEMO_DIR / "plan.toml")
    report = ImportReport()
    with app.store.begin() as conn:
        for origin, articles in found:
            report = report + app.store.articles.save(conn, articles, origin)
        app.store.audience.import_rows(conn, readers.rows, list_id=DEFAULT_LIST,
                                       source="subscribers.csv")
        issue = assemble(plan, pub, select_articles(plan, app.store, conn, pub))
        stored, created = app.store.issues.save(conn, issue)
        app.planner.set_overrides(conn, plan.number, plan.dispatch)
    print(f"1. imported {len(targets)} article file(s) ({report.added} new) and "
          f"{len(readers.rows)} readers", file=out)
    state = "assembled" if created else "unchanged, already stored"
    print(f"2. Issue {stored.number} v{stored.version} {state}: \"{stored.title}\" "
          f"({stored.issue_date.isoformat()}), content hash {stored.content_hash[:12]}",
          file=out)
    for section in issue.sections:
        print(f"     {section.name}: {len(section.articles)} article(s)", file=out)
        for art in section.articles:
            print(f"       - {art.headline}", file=out)
    return stored


def _preview(ctx: Context, app: App, stored: StoredIssue, folder: Path) -> None:
    with app.store.read() as conn:
        issue = app.store.issues.load(conn, stored.id)
    written: list[Path] = []
    for name, channel in app.channels.items():
        target = folder / name
        target.mkdir(parents=True, exist_ok=True)
        written += channel.render(issue, target, {})
    report = run_preflight(issue, app.settings, app.checks())
    print(f"3. rendered {len(written)} preview file(s) to {folder}; preflight: "
          f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)", file=ctx.out)
    for finding in report.findings:
        print(f"     {finding}", file=ctx.out)


def _approve_and_send(ctx: Context, app: App, stored: StoredIssue) -> None:
    out = ctx.out
    with app.store.read() as conn:
        issue = app.store.issues.load(conn, stored.id)
    with app.store.begin() as conn:
        for name in app.channels:
            report = run_preflight(issue, app.settings, app.checks(name))
            Lifecycle(app.store).approve(conn, stored.number, name, "demo", report)
        steps = app.planner.schedule(conn, stored.number, datetime.now(UTC) + _LEAD)
    print(f"4. signed off {', '.join(app.channels)}; scheduled for "
          f"{steps[0].run_at.astimezone().strftime('%H:%M:%S')}", file=out)
    _run_worker(ctx, app, stored.number)


def _run_worker(ctx: Context, app: App, number: int) -> None:
    worker = app.make_worker()
    worker.start()
    print("5. worker started; waiting for every channel...", file=ctx.out)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            with app.store.read() as conn:
                states = {s.channel: s.state for s in app.planner.steps(conn, number)}
            if states and all(s in _FINAL for s in states.values()):
                break
            threading.Event().wait(0.2)
    finally:
        worker.stop()
    for channel, state in sorted(states.items()):
        print(f"     {channel}: {state}", file=ctx.out)


def _summary(ctx: Context, app: App, stored: StoredIssue, data_dir: Path) -> None:
    out = ctx.out
    with app.store.read() as conn:
        status = app.store.issues.find(conn, stored.number).status
        counts = {ch: app.store.ledger.counts(conn, stored.number, ch) for ch in app.channels}
        steps = {s.channel: s for s in app.planner.steps(conn, stored.number)}
    outbox = app.settings.email.outbox_dir
    mails = len(list((outbox / "new").glob("*"))) if (outbox / "new").is_dir() else 0
    print(f"6. Issue {stored.number} is {status}. Where things are:", file=out)
    print(f"     email:   {mails} message(s) in the Maildir {outbox}", file=out)
    for channel in ("pdf", "social"):
        step = steps.get(channel)
        print(f"     {channel + ':':8} {step.detail if step else 'not dispatched'}", file=out)
    for channel, tally in counts.items():
        text = ", ".join(f"{k} {v}" for k, v in sorted(tally.items())) or "nothing"
        print(f"     ledger {channel}: {text}", file=out)
    print(f"     previews: {data_dir / 'preview'}", file=out)
    print(f"   next: publisher --config {DEMO_DIR / 'publication.toml'} --data-dir "
          f"{data_dir} status {stored.number}", file=out)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="the whole path on the demo publication: import, "
                       "assemble, render, check, approve, schedule, send")
    p.add_argument("--no-send", action="store_true",
                   help="stop after importing and assembling Issue 1")
    p.set_defaults(handler=cmd_demo)
