"""Dispatch: send one Issue on one channel, exactly once per recipient.

``dispatch_standalone(issue_number, channel)`` is the module-level entry
point with plain arguments that a task queue (Celery, Dramatiq) calls; it
builds its own app. The scheduler's worker runs ``EmailDeliverer`` instead
(its job target is ``publisher.worker.run_dispatch``), and ``publisher send``
calls ``dispatch_issue`` with an app it already has. Email is the channel
dispatched here; other channels add their own function to ``_DISPATCHERS``.

The email dispatch, per the design's rules (the ledger is the truth):

1. preflight: an error finding blocks sending;
2. render once per segment (subscriber format ``html`` or ``text``);
3. stream the audience in batches (keyset pages: memory stays flat);
4. per batch: ``ledger.claim`` writes ``attempting`` rows and returns the
   recipients this worker owns (in its own short transaction), the
   transport sends them (no transaction open), ``ledger.record`` writes
   the outcomes and suppresses hard bounces (another short transaction);
5. deferred deliveries are retried in further rounds with exponential
   backoff, at least as long as any ``Retry-After`` asked for; what is still
   deferred after ``max_attempts`` rounds waits for the next run.

Running it again sends nobody twice: the claim hands out only recipients
with no row yet, deferred ones, and ``attempting`` ones older than
``stale_after`` (left by a worker that died). A crash therefore duplicates
at most the messages in flight: those of the ``IN_FLIGHT`` batches handed
to the transport and not yet recorded, and none where the provider drops
repeated Message-IDs. ``unknown`` outcomes (no answer after the message was
handed over) are never sent again by a dispatch.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from itertools import islice
from pathlib import Path
from typing import Any

from channels.email import EmailChannel, IssueMail, Mailer, Personal, Result
from channels.email.render import SEGMENTS, Segment
from publisher.app import App, build_app
from publisher.audience.store import Recipient
from publisher.content import Issue
from publisher.errors import ContentError, NotFoundError, PublisherError
from publisher.ledger import Ledger, Outcome
from publisher.preflight import Report, run_preflight
from publisher.settings import EmailOptions, load_settings
from publisher.store import Store, StoredIssue
from publisher.worker import Delivered

__all__ = [
    "DispatchBlocked",
    "DispatchReport",
    "EmailDeliverer",
    "EmailDispatch",
    "dispatch_issue",
    "dispatch_standalone",
    "send_proof",
]

CHANNEL = "email"
# Batches handed to the transport at once. Also the most a crash can leave
# claimed and handed over but not recorded: the "messages in flight".
IN_FLIGHT = 2
Progress = Callable[["DispatchReport"], None]


class DispatchBlocked(PublisherError, ValueError):
    """Preflight found errors: nothing was sent."""

    def __init__(self, report: Report) -> None:
        self.report = report
        lines = "\n".join(f"  {f}" for f in report.errors)
        super().__init__(f"preflight found {len(report.errors)} error(s); nothing sent:\n{lines}")


@dataclass(slots=True)
class DispatchReport:
    """Counts of one run (not of the whole ledger: see ``ledger``)."""

    issue_number: int
    channel: str
    audience: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    unknown: int = 0
    suppressed: int = 0
    #: Recipients this run did not own: sent before, or in another worker's hands.
    skipped: int = 0
    rounds: int = 0
    stopped: bool = False
    dry_run: bool = False
    started: float = field(default_factory=time.monotonic)
    #: The ledger's counts for this Issue and channel once the run ended.
    ledger: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.unknown + self.skipped

    def add(self, results: Iterable[Result]) -> None:
        for r in results:
            if r.status == "sent":
                self.sent += 1
            elif r.status == "failed":
                self.failed += 1
            elif r.status == "unknown":
                self.unknown += 1

    def summary(self) -> str:
        if self.dry_run:
            return (f"Issue {self.issue_number} {self.channel}: dry run, {self.audience} "
                    "recipient(s) would be considered; nothing sent")
        still = self.ledger.get("deferred", 0)
        tail = f"; {still} deferred: run again later to retry them" if still else ""
        return (f"Issue {self.issue_number} {self.channel}: {self.sent} sent, "
                f"{self.failed} failed ({self.suppressed} suppressed), {self.unknown} unknown, "
                f"{self.skipped} already handled, in {self.seconds:.1f} s{tail}"
                + (" (stopped)" if self.stopped else ""))


def _batches(items: Iterable[Recipient], size: int) -> Iterator[list[Recipient]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class EmailDispatch:
    """Streams, claims, sends and records one Issue's email delivery."""

    def __init__(self, store: Store, channel: EmailChannel, mailer: Mailer,
                 options: EmailOptions, *, ledger: Ledger | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.store, self.channel, self.mailer, self.options = store, channel, mailer, options
        self.ledger = ledger or Ledger(stale_after=timedelta(seconds=options.stale_after))
        self._sleep = sleep

    def run(self, issue: Issue, *, dry_run: bool = False, progress: Progress | None = None,
            should_stop: Callable[[], bool] | None = None) -> DispatchReport:
        report = DispatchReport(issue.number, CHANNEL, dry_run=dry_run)
        report.audience = self.audience_size(issue)
        if dry_run:
            return report
        mails = {segment: self.channel.prepare(issue, segment) for segment in SEGMENTS}
        for attempt in range(self.options.max_attempts):
            report.rounds = attempt + 1
            wait = self._round(issue, mails, report, progress, should_stop or (lambda: False))
            report.ledger = self.ledger_counts(issue.number)
            if report.stopped or not report.ledger.get("deferred"):
                break
            if attempt + 1 < self.options.max_attempts:
                self._sleep(max(self.options.retry_backoff * 2 ** attempt, wait))
        report.deferred = report.ledger.get("deferred", 0)
        return report

    def audience_size(self, issue: Issue) -> int:
        with self.store.read() as conn:
            counts = self.store.audience.audience_counts(
                conn, self.options.list_id, self._sections(issue))
        return sum(n for fmt, n in counts.items() if fmt in SEGMENTS)

    def ledger_counts(self, number: int) -> dict[str, int]:
        with self.store.read() as conn:
            return self.ledger.counts(conn, number, CHANNEL)

    @staticmethod
    def _sections(issue: Issue) -> list[str]:
        return [s.name for s in issue.sections if s.articles]

    def _round(self, issue: Issue, mails: dict[Segment, IssueMail], report: DispatchReport,
               progress: Progress | None, should_stop: Callable[[], bool]) -> float:
        """One pass over the audience; returns the longest Retry-After asked for.

        The claim of the next batch (main thread) overlaps the sending of the
        last ones (``IN_FLIGHT`` batch threads), so no connection idles while
        a batch's slowest messages finish.
        """
        waits = [0.0]
        with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="batch") as pool:
            pending: deque[_InFlight] = deque()
            try:
                for batch, mail in self._stream(issue, mails):
                    if should_stop():
                        report.stopped = True
                        break
                    people, refused = self.claim(issue, mail, batch, report)
                    pending.append(_InFlight([p.target for p in people], pool.submit(
                        self.send_claimed, issue.number, mail, people, refused)))
                    while len(pending) >= IN_FLIGHT:
                        waits.append(self._settle(pending.popleft(), report, progress))
                while pending:
                    waits.append(self._settle(pending.popleft(), report, progress))
            except BaseException:
                self._release(issue.number, pending)
                raise
        return max(waits)

    def _stream(self, issue: Issue, mails: dict[Segment, IssueMail]
                ) -> Iterator[tuple[list[Recipient], IssueMail]]:
        for segment, mail in mails.items():
            people = self.store.audience.audience(
                self.store.engine, self.options.list_id, self._sections(issue), fmt=segment,
                batch_size=self.options.batch_size)
            for batch in _batches(people, self.options.batch_size):
                yield batch, mail

    def _settle(self, flight: _InFlight, report: DispatchReport,
                progress: Progress | None) -> float:
        results, suppressed = flight.future.result()
        report.add(results)
        report.suppressed += suppressed
        if progress is not None:
            progress(report)
        return max((r.retry_after or 0.0 for r in results), default=0.0)

    def _release(self, number: int, pending: deque[_InFlight]) -> None:
        """After an error: batches that never started go back as deferred, not stuck."""
        unsent = [t for f in pending if f.future.cancel() for t in f.targets]
        if unsent:
            with self.store.begin() as conn:
                self.ledger.record(conn, number, CHANNEL, [
                    Outcome(t, "deferred", None, "not sent: the dispatch stopped")
                    for t in unsent])

    def claim(self, issue: Issue, mail: IssueMail, batch: Sequence[Recipient],
              report: DispatchReport) -> tuple[list[Personal], list[Result]]:
        """The recipients of *batch* this worker now owns, personalised.

        Someone whose name or address cannot go in a header safely comes back
        as a failed result instead.
        """
        with self.store.begin() as conn:
            owned = set(self.ledger.claim(conn, issue.number, CHANNEL, issue.content_hash,
                                          [r.email.lower() for r in batch]))
        report.skipped += len(batch) - len(owned)
        date = formatdate(usegmt=True)
        mine: list[Personal] = []
        refused: list[Result] = []
        for r in batch:
            if r.email.lower() in owned:
                try:
                    mine.append(mail.personal(r.subscriber_id, r.email, r.name, date))
                except ContentError as exc:
                    refused.append(Result(r.email.lower(), "failed", detail=str(exc)))
        return mine, refused

    def send_claimed(self, number: int, mail: IssueMail, people: list[Personal],
                     refused: list[Result]) -> tuple[list[Result], int]:
        """Send claimed recipients and record every outcome; (results, suppressed)."""
        size = max(1, self.mailer.max_batch)
        results = list(refused)
        for start in range(0, len(people), size):
            results.extend(self.mailer.deliver(mail, people[start:start + size]))
        return results, self._record(number, results)

    def _record(self, number: int, results: list[Result]) -> int:
        suppressed = 0
        with self.store.begin() as conn:
            self.ledger.record(conn, number, CHANNEL, [
                Outcome(r.target, r.status, r.remote_id, r.detail) for r in results])
            for r in results:
                if r.status == "failed" and r.hard_bounce and self.store.audience.suppress(
                        conn, r.target, "hard_bounce", r.detail):
                    suppressed += 1
        return suppressed


@dataclass(frozen=True, slots=True)
class _InFlight:
    targets: list[str]
    future: Future[tuple[list[Result], int]]


class _TransportMailer:
    """A plain ``Transport`` as a ``Mailer``: one parsed message at a time (slow, generic)."""

    max_batch = 100

    def __init__(self, transport: Any) -> None:
        self.transport = transport

    def deliver(self, mail: IssueMail, batch: Sequence[Personal]) -> list[Result]:
        import email
        import email.policy

        results = []
        for p in batch:
            message = email.message_from_bytes(mail.mime(p), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            try:
                self.transport.send(message)
            except OSError as exc:
                results.append(Result(p.target, "deferred", detail=str(exc)))
                continue
            results.append(Result(p.target, "sent", remote_id=p.message_id))
        return results

    def close(self) -> None:
        self.transport.close()


def mailer_of(app: App) -> Mailer:
    """The app's transport as a ``Mailer`` (every transport of channels.email is one)."""
    transport = app.transport
    return transport if isinstance(transport, Mailer) else _TransportMailer(transport)


def _email_channel(app: App) -> EmailChannel:
    channel = app.channel(CHANNEL)
    if not isinstance(channel, EmailChannel):
        raise ContentError("the email channel is not the email channel", field="channel")
    return channel


def dispatch_issue(app: App, number: int, channel: str = CHANNEL, *,
                   version: int | None = None, dry_run: bool = False,
                   progress: Progress | None = None,
                   should_stop: Callable[[], bool] | None = None,
                   stale_after: float | None = None) -> DispatchReport:
    """Dispatch Issue *number* (its newest version unless *version*) on *channel*."""
    if channel not in _DISPATCHERS:
        raise ContentError(f"no dispatch for channel '{channel}'", field="channel")
    with app.store.read() as conn:
        stored = app.store.issues.find(conn, number, version)
        issue = app.store.issues.load(conn, stored.id)
    return _DISPATCHERS[channel](app, issue, dry_run, progress, should_stop, stale_after)


def _dispatch_email(app: App, issue: Issue, dry_run: bool, progress: Progress | None,
                    should_stop: Callable[[], bool] | None,
                    stale_after: float | None) -> DispatchReport:
    report = run_preflight(issue, app.settings, app.checks(CHANNEL))
    if report.errors:
        raise DispatchBlocked(report)
    options = app.settings.email
    if stale_after is not None:
        options = replace(options, stale_after=stale_after)
    dispatch = EmailDispatch(app.store, _email_channel(app), mailer_of(app), options)
    return dispatch.run(issue, dry_run=dry_run, progress=progress, should_stop=should_stop)


_DISPATCHERS: dict[str, Callable[..., DispatchReport]] = {CHANNEL: _dispatch_email}


def send_proof(app: App, number: int, address: str, *, version: int | None = None) -> Result:
    """One proof of the Issue to *address*; no ledger row, no audience, fresh Message-ID.

    The links in it are real for *address* when it is a subscriber, else
    they name no subscription (the pages say so).
    """
    with app.store.read() as conn:
        stored = app.store.issues.find(conn, number, version)
        issue = app.store.issues.load(conn, stored.id)
        try:
            sub = app.store.audience.find(conn, address)
            sub_id, name = sub.id, sub.name
        except NotFoundError:
            sub_id, name = 0, ""
    mail = _email_channel(app).prepare(issue, "html")
    p = mail.personal(sub_id, address.strip(), name, formatdate(usegmt=True), proof=True)
    (result,) = mailer_of(app).deliver(mail, [p])
    return result


@dataclass(slots=True)
class EmailDeliverer:
    """The email channel's dispatch step for the worker (``publisher.worker``).

    Shareable: several workers may run it for one Issue at once; the ledger
    hands each recipient to one of them.
    """

    app: App
    shareable = True

    def deliver(self, issue: Issue, stored: StoredIssue,
                should_stop: Callable[[], bool]) -> Delivered:
        try:
            report = _dispatch_email(self.app, issue, False, None, should_stop, None)
            if not report.stopped and self._wait_for_helpers(issue.number, should_stop):
                # A helper died with recipients claimed: take them over now.
                report = _dispatch_email(self.app, issue, False, None, should_stop, 0.0)
        except DispatchBlocked as exc:
            return Delivered("failed", str(exc))
        if report.stopped:
            return Delivered("stopped", report.summary())
        # The ledger, not this run, says what the Issue's email did in all.
        ledger = report.ledger
        detail = "ledger: " + ", ".join(f"{k} {v}" for k, v in sorted(ledger.items()))
        if ledger.get("deferred") or (report.audience and not ledger.get("sent")):
            return Delivered("partial" if ledger.get("sent") else "failed", detail)
        return Delivered("done", detail)


    def _in_flight(self, number: int) -> int:
        with self.app.store.read() as conn:
            return self.app.store.ledger.counts(conn, number, CHANNEL).get("attempting", 0)

    def _wait_for_helpers(self, number: int, should_stop: Callable[[], bool]) -> bool:
        """Wait while other workers still send what they claimed; True if some never end.

        The owner's audience is exhausted, but a helper may still be sending its
        last batches: the step is done only when nothing is in flight.
        """
        deadline = time.monotonic() + self.app.settings.email.stale_after + 5
        while self._in_flight(number) and time.monotonic() < deadline and not should_stop():
            time.sleep(0.2)
        return bool(self._in_flight(number)) and not should_stop()


def dispatch_standalone(issue_number: int, channel: str = CHANNEL, *,
                        config: str | Path | None = None,
                 data_dir: str | Path | None = None, db: str | None = None,
                 dry_run: bool = False) -> DispatchReport:
    """The entry point for schedulers and task queues: plain arguments, own app."""
    app = build_app(load_settings(config, db=db, data_dir=data_dir))
    try:
        return dispatch_issue(app, issue_number, channel, dry_run=dry_run)
    finally:
        app.close()
