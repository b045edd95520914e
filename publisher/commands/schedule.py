"""Sign-off and scheduling commands, and the worker.

``approve`` records an editor's sign-off of one channel after its preflight
passes; ``schedule`` plans every channel's step around a send time (local
time of the publication unless ``--tz``); ``pause``, ``resume``, ``cancel``
and ``unschedule`` change the plan; ``status`` shows it with the ledger's
counts; ``worker`` runs the scheduler and the sends until interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import signal
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from publisher.commands import Context
from publisher.lifecycle import Lifecycle
from publisher.preflight import run_preflight
from publisher.scheduler import local_instant

__all__ = ["register", "run_worker"]


def _local(ctx: Context, when: datetime) -> str:
    zone = ZoneInfo(ctx.app.settings.publication.timezone)
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def cmd_approve(ctx: Context) -> int:
    a, app = ctx.args, ctx.app
    _, issue = ctx.load_issue(a.issue)
    report = run_preflight(issue, app.settings, app.checks(a.channel))
    for finding in report.findings:
        print(finding, file=ctx.out)
    with app.store.begin() as conn:
        signed = Lifecycle(app.store).approve(conn, a.issue, a.channel, a.as_name, report)
        status = app.store.issues.find(conn, a.issue).status
    print(f"Issue {a.issue} {a.channel}: approved by {signed.signed_by} at "
          f"{_local(ctx, signed.signed_at)}; Issue is {status}", file=ctx.out)
    return 0


def cmd_status(ctx: Context) -> int:
    a, app = ctx.args, ctx.app
    with app.store.read() as conn:
        stored = app.store.issues.find(conn, a.issue)
        signed = Lifecycle(app.store).signoffs(conn, a.issue)
        steps = {s.channel: s for s in app.planner.steps(conn, a.issue)}
        counts = {ch: app.store.ledger.counts(conn, a.issue, ch)
                  for ch in sorted(set(app.channels) | set(steps))}
    print(f"Issue {stored.number} v{stored.version}: {stored.title} [{stored.status}]",
          file=ctx.out)
    for channel, tally in counts.items():
        step = steps.get(channel)
        sign = signed.get(channel)
        when = _local(ctx, step.run_at) if step else "-"
        who = f"approved by {sign.signed_by}" if sign else "not approved"
        ledger = ", ".join(f"{k} {v}" for k, v in sorted(tally.items())) or "nothing sent"
        state = step.state if step else "unscheduled"
        print(f"  {channel:7} {state:11} {when:22} {who}; {ledger}", file=ctx.out)
        if step and step.detail:
            print(f"          {step.detail}", file=ctx.out)
    return 0


def cmd_schedule(ctx: Context) -> int:
    a, app = ctx.args, ctx.app
    tz = a.tz or app.settings.publication.timezone
    at = local_instant(a.at, tz) if a.at else datetime.now(UTC)
    with app.store.begin() as conn:
        steps = app.planner.schedule(conn, a.issue, at, a.channel or None)
    for step in steps:
        print(f"Issue {a.issue} {step.channel}: {step.state} for {_local(ctx, step.run_at)}",
              file=ctx.out)
    return 0


def _change(ctx: Context, verb: str) -> int:
    app, number = ctx.app, ctx.args.issue
    with app.store.begin() as conn:
        changed = getattr(app.planner, verb)(conn, number)
    names = ", ".join(changed) or "nothing"
    print(f"Issue {number}: {verb} {names}", file=ctx.out)
    return 0


def run_worker(ctx: Context, stop: threading.Event) -> None:
    """Run the worker until *stop* is set (signals set it)."""
    worker = ctx.app.make_worker()
    worker.start()
    print(f"worker {worker.holder[:8]} running on {ctx.app.store.url}; Ctrl-C stops it",
          file=ctx.err)
    try:
        stop.wait()
    finally:
        worker.stop()


def cmd_worker(ctx: Context) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    run_worker(ctx, stop)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("approve", help="sign off one channel of an Issue (after preflight)")
    p.add_argument("issue", type=int, metavar="ISSUE")
    p.add_argument("--channel", required=True)
    p.add_argument("--as", dest="as_name", default=getpass.getuser(), metavar="NAME",
                   help="who signs off (default: your login name)")
    p.set_defaults(handler=cmd_approve)

    p = sub.add_parser("status", help="per channel: state, time, sign-off, ledger counts")
    p.add_argument("issue", type=int, metavar="ISSUE")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("schedule", help="plan every channel of an Issue around a send time")
    p.add_argument("issue", type=int, metavar="ISSUE")
    p.add_argument("--at", help='local send time, e.g. "2026-12-01 07:00" (default: now)')
    p.add_argument("--tz", help="time zone of --at (default: the publication's)")
    p.add_argument("--channel", action="append", help="only this channel (repeatable)")
    p.set_defaults(handler=cmd_schedule)

    for verb, text in (("unschedule", "take back steps that have not started"),
                       ("pause", "hold every step; a running send stops after its batch"),
                       ("resume", "release paused steps; due ones run at once"),
                       ("cancel", "stop every channel of the Issue for good")):
        p = sub.add_parser(verb, help=text)
        p.add_argument("issue", type=int, metavar="ISSUE")
        p.set_defaults(handler=lambda ctx, v=verb: _change(ctx, v))

    p = sub.add_parser("worker", help="run the scheduler and the sends until stopped")
    p.set_defaults(handler=cmd_worker)
