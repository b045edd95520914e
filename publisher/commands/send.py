"""``publisher send``: deliver an Issue on a channel, or one proof of it.

    publisher send ISSUE --channel email               # the real send
    publisher send ISSUE --channel email --dry-run     # checks and counts only
    publisher send ISSUE --channel email --test-to ADDRESS   # one proof

The real send runs preflight first (errors block), streams the audience,
shows a progress bar on a terminal (sent, failed, remaining, rate) and ends
with a summary. Running it again sends nobody twice: the ledger says who
already has it. Exit codes: 0 done (nothing deferred or unknown), 1 some
deliveries failed, are deferred or unknown, 2 blocked by preflight or bad
input.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from tqdm import tqdm

from publisher.commands import Context
from publisher.dispatch import DispatchReport, dispatch_issue, send_proof
from publisher.lifecycle import Lifecycle

__all__ = ["register"]


class _Bar:
    """A tqdm bar fed from dispatch progress reports; silent when not a terminal."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.bar = tqdm(total=total, file=out, unit="msg", dynamic_ncols=True,
                        disable=not out.isatty(), desc="sending")

    def __call__(self, report: DispatchReport) -> None:
        # tqdm shows the rate itself (messages per second).
        self.bar.set_postfix(sent=report.sent, failed=report.failed,
                             remaining=max(0, report.audience - report.handled), refresh=False)
        done = min(report.handled, self.bar.total or report.handled)
        self.bar.update(done - self.bar.n)  # redraws, postfix included

    def close(self) -> None:
        self.bar.close()


def cmd_send(ctx: Context) -> int:
    a = ctx.args
    app = ctx.app
    if a.test_to:
        result = send_proof(app, a.issue, a.test_to, version=a.version)
        print(f"proof of Issue {a.issue} to {a.test_to}: {result.status}"
              + (f" ({result.detail})" if result.detail else ""), file=ctx.out)
        return 0 if result.status == "sent" else 1
    if not a.dry_run:
        # A real send needs the editor's sign-off of this channel and version,
        # as a scheduled one does; proofs and dry runs need none.
        with app.store.read() as conn:
            Lifecycle(app.store).require_signoff(conn, a.issue, [a.channel])
    bar: _Bar | None = None

    def progress(report: DispatchReport) -> None:
        nonlocal bar
        if bar is None:
            bar = _Bar(report.audience, ctx.err)
        bar(report)

    try:
        report = dispatch_issue(app, a.issue, a.channel, version=a.version, dry_run=a.dry_run,
                                progress=progress, stale_after=a.stale_after)
    finally:
        if bar is not None:
            bar.close()
    print(report.summary(), file=ctx.out)
    return 0 if report.dry_run or not (report.failed or report.deferred or report.unknown) else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("send", help="send an Issue on a channel (or one proof); "
                       "never sends anyone the same Issue twice")
    p.add_argument("issue", type=int, metavar="ISSUE")
    p.add_argument("--channel", required=True, help="the channel to send on (email)")
    p.add_argument("--version", type=int, help="a stored version (default: newest)")
    p.add_argument("--dry-run", action="store_true",
                   help="run the checks and count the audience; send nothing")
    p.add_argument("--test-to", metavar="ADDRESS",
                   help="send one proof to ADDRESS instead; nothing is recorded")
    p.add_argument("--stale-after", type=float, metavar="SECONDS",
                   help="take over deliveries left 'attempting' for longer than this by a "
                        "worker that stopped (default: email.stale_after)")
    p.set_defaults(handler=cmd_send)
