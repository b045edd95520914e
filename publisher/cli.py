"""The ``publisher`` command line: ``main(argv=None) -> int``.

Exit codes: 0 success; 1 a stored thing was not found or the store failed;
2 bad input (a file, feed, plan, setting or argument), with one message that
names the file, line or field, and nothing stored.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from publisher import __version__
from publisher.commands import (
    Context,
    content,
    demo,
    pdf,
    render,
    schedule,
    send,
    social,
    subscribers,
    web,
)
from publisher.errors import (
    ConfigError,
    ContentError,
    FetchError,
    NotFoundError,
    PublisherError,
)

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options and every command group."""
    parser = argparse.ArgumentParser(
        prog="publisher",
        description="One Issue, every channel: newsletters, PDF digests and social posts.")
    parser.add_argument("--version", action="version", version=f"publisher {__version__}")
    parser.add_argument("--config", help="settings file (default: config/publication.toml, "
                        "or $PUBLISHER_CONFIG)")
    parser.add_argument("--db", help="database URL (default: $PUBLISHER_DB, else SQLite in "
                        "the data directory)")
    parser.add_argument("--data-dir", help="data directory (default: store.data_dir)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    content.register(sub)
    demo.register(sub)
    pdf.register(sub)
    render.register(sub)
    schedule.register(sub)
    send.register(sub)
    social.register(sub)
    subscribers.register(sub)
    web.register(sub)
    return parser


def _run(ctx: Context) -> int:
    try:
        return int(ctx.args.handler(ctx))
    except (ContentError, ConfigError, FetchError) as exc:
        print(f"publisher: error: {exc}", file=ctx.err)
        return EXIT_BAD_INPUT
    except NotFoundError as exc:
        print(f"publisher: error: {exc}", file=ctx.err)
        return EXIT_FAILED
    except PublisherError as exc:
        print(f"publisher: error: {exc}", file=ctx.err)
        return EXIT_FAILED
    finally:
        ctx.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with *argv* (default: ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(Context(args=args, out=sys.stdout, err=sys.stderr))
    except BrokenPipeError:
        # `publisher issue export 1 | head`: the reader left; say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
