"""``publisher pdf ISSUE --profile P -o FILE``: one PDF of a stored Issue.

The same render as ``publisher render ISSUE --channel pdf``, aimed at one
file rather than a folder, and it says what it did: pages, whether the cache
answered, and each image that prints as a placeholder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from channels.pdf import PROFILE_NAMES, PdfChannel
from publisher.commands import Context

__all__ = ["register"]


def cmd_pdf(ctx: Context) -> int:
    a = ctx.args
    channel = ctx.app.channel("pdf")
    assert isinstance(channel, PdfChannel), "the pdf channel is wired in app.py"
    stored, issue = ctx.load_issue(a.issue, a.version)
    target = Path(a.output)
    report = channel.write_pdf(issue, a.profile, target)
    source = "from the cache" if report.cached else f"rendered in {report.seconds:.1f} s"
    print(f"{target}: Issue {stored.number} v{stored.version}, {a.profile} profile, "
          f"{report.pages} page(s), {source}", file=ctx.out)
    for url, reason in report.refused:
        print(f"warning: placeholder for {url}: {reason}", file=ctx.err)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("pdf", help="render the PDF digest of an Issue to one file")
    p.add_argument("issue", type=int, metavar="ISSUE")
    p.add_argument("--profile", default="screen", choices=PROFILE_NAMES,
                   help="screen (default), print, letter, archive or accessible")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the PDF to write")
    p.add_argument("--version", type=int, help="a stored version (default: newest)")
    p.set_defaults(handler=cmd_pdf)
