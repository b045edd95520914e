"""``publisher social``: count a text, preview an Issue's posts, post them.

* ``social count --platform P`` reads text on stdin and prints its length as
  that platform counts it, as JSON (Bluesky adds its facets);
* ``social preview ISSUE`` prints every platform's posts with their counts;
* ``social post ISSUE [--dry-run] [--account A]`` runs the social preflight,
  then posts to each configured account, resuming from the ledger.
"""

from __future__ import annotations

import argparse
import json
import sys

from channels.social.channel import RENDERED, SocialChannel, preview_lines
from channels.social.compose import Composer
from channels.social.counters import PLATFORMS, count
from channels.social.deliver import post_with
from channels.social.dispatch import AccountResult, target
from channels.social.facets import detect_facets
from channels.social.model import Post
from channels.social.posters import CredentialsError, render_platform
from publisher.commands import Context
from publisher.content import Issue
from publisher.errors import ContentError
from publisher.preflight import run_preflight
from publisher.settings import SocialAccount

__all__ = ["register"]


def _channel(ctx: Context) -> SocialChannel:
    channel = ctx.app.channel("social")
    assert isinstance(channel, SocialChannel)
    return channel


def cmd_count(ctx: Context) -> int:
    text = sys.stdin.read()
    # `echo text |` adds a newline nobody means to post.
    text = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
    got = count(ctx.args.platform, text, ctx.args.limit)
    out: dict[str, object] = {"platform": got.platform, "length": got.length,
                              "limit": got.limit, "valid": got.valid}
    if got.platform == "bluesky":
        out["facets"] = detect_facets(text)
    print(json.dumps(out, ensure_ascii=False), file=ctx.out)
    return 0


def cmd_preview(ctx: Context) -> int:
    _, issue = ctx.load_issue(ctx.args.issue, ctx.args.version)
    platforms = [ctx.args.platform] if ctx.args.platform else list(RENDERED)
    over = 0
    for platform, posts in _channel(ctx).plan(issue, platforms).items():
        print(f"=== {platform}: {len(posts)} post(s)", file=ctx.out)
        for line in preview_lines(platform, posts):
            print(line, file=ctx.out)
        over += sum(not p.fits for p in posts)
    return 1 if over else 0


def _accounts(ctx: Context) -> list[SocialAccount]:
    accounts = list(ctx.app.settings.social.accounts)
    wanted = ctx.args.account
    if wanted:
        accounts = [a for a in accounts if a.name == wanted]
        if not accounts:
            known = ", ".join(a.name for a in ctx.app.settings.social.accounts) or "none"
            raise ContentError(f"no social account '{wanted}' (known: {known})",
                               field="account")
    return accounts


def _dry_run(ctx: Context, issue: Issue, account: SocialAccount, posts: list[Post]) -> None:
    store = ctx.app.store
    with store.read() as conn:
        for post in posts:
            row = store.ledger.get(conn, issue.number, "social", target(account.name, post.index))
            state = row.status if row is not None else "to post"
            print(f"--- {account.name} {post.index}/{len(posts)}: {post.length}/{post.limit} "
                  f"[{state}]", file=ctx.out)
            print(post.text, file=ctx.out)


def _post_to(ctx: Context, issue: Issue, account: SocialAccount, composer: Composer
             ) -> AccountResult:
    app = ctx.app
    return post_with(app.store, app.settings, app.fetcher, issue, account, composer)


def cmd_post(ctx: Context) -> int:
    a = ctx.args
    stored, issue = ctx.load_issue(a.issue, a.version)
    report = run_preflight(issue, ctx.app.settings, ctx.app.checks("social"))
    for finding in report.errors:
        print(finding, file=ctx.err)
    if report.errors:
        print(f"Issue {stored.number}: preflight failed; nothing posted", file=ctx.err)
        return 1
    composer = _channel(ctx).composer
    failed = 0
    for account in _accounts(ctx):
        if a.dry_run:
            _dry_run(ctx, issue, account, composer.posts(issue, render_platform(account)))
            continue
        try:
            result = _post_to(ctx, issue, account, composer)
        except CredentialsError as exc:
            print(f"publisher: error: {exc}", file=ctx.err)
            failed += 1
            continue
        print(f"{account.name}: sent {len(result.sent)}, already sent {len(result.skipped)}"
              + (f"; {result.stopped}" if result.stopped else ""), file=ctx.out)
        failed += not result.ok
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("social", help="social posts: count, preview and post")
    social = p.add_subparsers(dest="social_command", required=True, metavar="COMMAND")

    c = social.add_parser("count", help="count stdin as a platform does; prints JSON")
    c.add_argument("--platform", required=True, choices=PLATFORMS)
    c.add_argument("--limit", type=int, help="a limit other than the platform's default "
                   "(a Mastodon instance's own)")
    c.set_defaults(handler=cmd_count)

    v = social.add_parser("preview", help="every platform's posts of an Issue, with counts")
    v.add_argument("issue", type=int, metavar="ISSUE")
    v.add_argument("--platform", choices=RENDERED)
    v.add_argument("--version", type=int, help="a stored version (default: newest)")
    v.set_defaults(handler=cmd_preview)

    s = social.add_parser("post", help="post an Issue to the configured accounts")
    s.add_argument("issue", type=int, metavar="ISSUE")
    s.add_argument("--dry-run", action="store_true", help="show what would be posted")
    s.add_argument("--account", help="only this account (a name under [social.accounts])")
    s.add_argument("--version", type=int, help="a stored version (default: newest)")
    s.set_defaults(handler=cmd_post)
