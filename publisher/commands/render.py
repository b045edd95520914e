"""``publisher render`` and ``publisher check``: the preview half of the pipeline.

Both work on a stored Issue version and send nothing. ``render`` writes one
channel's output to a folder; ``check`` runs preflight for one channel or all
of them and exits 1 when an error would block sending.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from publisher.commands import Context
from publisher.errors import ContentError
from publisher.preflight import run_preflight

__all__ = ["register"]


def _options(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ContentError(f"wants KEY=VALUE, not '{pair}'", field="--option")
        out[key] = value
    return out


def cmd_render(ctx: Context) -> int:
    a = ctx.args
    channel = ctx.app.channel(a.channel)
    _, issue = ctx.load_issue(a.issue, a.version)
    out_dir = Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    options = _options(a.option)
    if a.profile:
        options["profile"] = a.profile
    for path in channel.render(issue, out_dir, options):
        print(path, file=ctx.out)
    return 0


def cmd_check(ctx: Context) -> int:
    a = ctx.args
    stored, issue = ctx.load_issue(a.issue, a.version)
    report = run_preflight(issue, ctx.app.settings, ctx.app.checks(a.channel))
    for finding in report.findings:
        print(finding, file=ctx.out)
    verdict = "blocked" if report.errors else "ready"
    print(f"Issue {stored.number} v{stored.version}: {len(report.errors)} error(s), "
          f"{len(report.warnings)} warning(s): {verdict}", file=ctx.out)
    return 1 if report.errors else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("render", help="render one channel of an Issue to files; sends nothing")
    p.add_argument("issue", type=int, metavar="ISSUE")
    p.add_argument("--channel", required=True)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--version", type=int, help="a stored version (default: newest)")
    p.add_argument("--profile", help="channel profile (e.g. the PDF's print, screen)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a channel option; may be repeated")
    p.set_defaults(handler=cmd_render)

    p = sub.add_parser("check", help="run the pre-send checks of an Issue")
    p.add_argument("issue", type=int, metavar="ISSUE")
    p.add_argument("--channel", help="only this channel's checks (default: every channel)")
    p.add_argument("--version", type=int, help="a stored version (default: newest)")
    p.set_defaults(handler=cmd_check)
