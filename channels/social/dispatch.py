"""Posting an Issue to one account, resumable from the ledger.

Each post is one ledger target, ``"{account}:{index}"`` on channel
``social``. Posts go out in order, one at a time, because a reply needs the
id of the post before it:

1. a target already ``sent`` is skipped, and its remote id (from the ledger)
   becomes the parent of the next reply;
2. otherwise it is claimed (``attempting``) in its own short transaction,
   published with no transaction open, and its outcome recorded in another.

A thread that failed at post 3 therefore resumes at post 3 on the next run,
replying to post 2, and never posts 1 and 2 again. A post that failed or
whose outcome is unknown stops the thread there: the posts after it would
reply to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from channels.social.model import Post
from channels.social.posters.base import (
    CredentialsError,
    Poster,
    PostError,
    PostKey,
    Ref,
    ThreadRefs,
)
from publisher.content import Issue
from publisher.errors import FetchError
from publisher.ledger import Outcome
from publisher.store import Store

__all__ = ["CHANNEL", "AccountResult", "post_account", "target"]

CHANNEL = "social"


@dataclass(slots=True)
class AccountResult:
    """What one run did for one account."""

    account: str
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    stopped: str = ""

    @property
    def ok(self) -> bool:
        return not self.stopped


def target(account: str, index: int) -> str:
    return f"{account}:{index}"


def post_account(store: Store, issue: Issue, poster: Poster, posts: list[Post]) -> AccountResult:
    """Publish what is left of *posts* to *poster*'s account, resuming from the ledger."""
    name = poster.account.name
    result = AccountResult(name)
    thread = ThreadRefs()
    digest = issue.content_hash
    for post in posts:
        tgt = target(name, post.index)
        with store.begin() as conn:
            row = store.ledger.get(conn, issue.number, CHANNEL, tgt)
            if row is not None and row.status == "sent":
                thread = thread.after(Ref.load(row.remote_id))
                result.skipped.append(post.index)
                continue
            owned = store.ledger.claim(conn, issue.number, CHANNEL, digest, [tgt])
        if not owned:
            status = row.status if row is not None else "taken"
            result.stopped = (f"post {post.index} is '{status}' in the ledger "
                              f"({row.detail if row else 'another worker has it'}); stopped")
            return result
        ref = _publish(store, issue, poster, post, thread, result)
        if ref is None:
            return result
        thread = thread.after(ref)
        result.sent.append(post.index)
    return result


def _publish(store: Store, issue: Issue, poster: Poster, post: Post, thread: ThreadRefs,
             result: AccountResult) -> Ref | None:
    """Publish one claimed post and record its outcome; None if it did not go out."""
    name = poster.account.name
    tgt = target(name, post.index)
    key = PostKey(issue.number, issue.date, name, post.index)
    try:
        ref = poster.publish(post, thread, key)
    except CredentialsError as exc:
        # Nothing went out: deferred, so the next run (with new credentials) retries.
        _record(store, issue, Outcome(tgt, "deferred", detail=str(exc)))
        raise
    except PostError as exc:
        _stop(store, issue, result, post, Outcome(tgt, exc.status, detail=str(exc)))
        return None
    except FetchError as exc:
        # An image could not be fetched: nothing was posted yet.
        _stop(store, issue, result, post, Outcome(tgt, "deferred", detail=str(exc)))
        return None
    except (KeyError, TypeError, ValueError) as exc:
        # A 2xx answer we cannot read: the post is probably up, so never repost blindly.
        detail = f"unreadable answer ({type(exc).__name__}); check the account"
        _stop(store, issue, result, post, Outcome(tgt, "unknown", detail=detail))
        return None
    _record(store, issue, Outcome(tgt, "sent", remote_id=ref.dump()))
    return ref


def _stop(store: Store, issue: Issue, result: AccountResult, post: Post,
          outcome: Outcome) -> None:
    _record(store, issue, outcome)
    result.stopped = f"post {post.index} {outcome.status}: {outcome.detail}"


def _record(store: Store, issue: Issue, outcome: Outcome) -> None:
    with store.begin() as conn:
        store.ledger.record(conn, issue.number, CHANNEL, [outcome])
