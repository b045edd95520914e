"""The social channel's dispatch step: every configured account, or a dry run.

With accounts in ``[social]`` each one is posted to (``post_with``), resuming
from the ledger. With none configured (the embedded default and the demo),
the posts every platform would get are written to
``<data_dir>/social-outbox/issue-<n>/`` instead, and nothing leaves the
machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from channels.social.channel import SocialChannel
from channels.social.compose import Composer
from channels.social.dispatch import AccountResult, post_account
from channels.social.posters import CredentialsError, make_poster, render_platform
from publisher.content import Issue
from publisher.fetch import SafeFetcher
from publisher.settings import Settings, SocialAccount
from publisher.store import Store, StoredIssue
from publisher.worker import Delivered

__all__ = ["SocialDeliverer", "post_with"]


def post_with(store: Store, settings: Settings, fetcher: SafeFetcher, issue: Issue,
              account: SocialAccount, composer: Composer) -> AccountResult:
    """Post *issue* to *account*: check the credentials, fit the posts, send them."""
    poster = make_poster(account, settings.social, fetcher.fetch)
    try:
        rule = poster.verify()
        posts = composer.posts(issue, render_platform(account), rule)
        return post_account(store, issue, poster, posts)
    finally:
        poster.close()


@dataclass(slots=True)
class SocialDeliverer:
    """Posts an Issue to every account (see ``publisher.worker.Deliverer``)."""

    store: Store
    settings: Settings
    fetcher: SafeFetcher
    channel: SocialChannel
    shareable = False

    def deliver(self, issue: Issue, stored: StoredIssue,
                should_stop: Callable[[], bool]) -> Delivered:
        accounts = self.settings.social.accounts
        if not accounts:
            folder = self.settings.data_dir / "social-outbox" / f"issue-{issue.number}"
            folder.mkdir(parents=True, exist_ok=True)
            written = self.channel.render(issue, folder, {})
            return Delivered("done", f"dry run (no accounts configured): {len(written)} "
                             f"file(s) in {folder}")
        return self._post_all(issue, accounts, should_stop)

    def _post_all(self, issue: Issue, accounts: tuple[SocialAccount, ...],
                  should_stop: Callable[[], bool]) -> Delivered:
        problems: list[str] = []
        sent = 0
        for account in accounts:
            if should_stop():
                return Delivered("stopped")
            try:
                result = post_with(self.store, self.settings, self.fetcher, issue, account,
                                   self.channel.composer)
            except CredentialsError as exc:
                problems.append(str(exc))
                continue
            sent += len(result.sent) + len(result.skipped)
            if not result.ok:
                problems.append(f"{account.name}: {result.stopped}")
        if not problems:
            return Delivered("done", f"{sent} post(s) on {len(accounts)} account(s)")
        return Delivered("partial" if sent else "failed", "; ".join(problems))
