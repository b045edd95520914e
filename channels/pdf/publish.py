"""Publishing the PDF digest: files in the downloads folder, the print team told once.

The dispatch step of the PDF channel (by default two hours before the email)
writes each configured profile (``[pdf] publish_profiles``, print and screen
by default) to ``<data_dir>/downloads/issue-<n>/`` and mails every address
of ``[pdf] print_team`` a short note with the files' names. Each file and
each note is one ledger target (``file:<profile>``, ``notify:<address>``),
so a rerun after a crash rewrites a file at most and never mails the print
team twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from channels.base import Transport
from channels.email.message import build_message, make_address
from channels.pdf.channel import PdfChannel
from publisher.content import Issue
from publisher.errors import PublisherError
from publisher.ledger import Outcome
from publisher.settings import Settings
from publisher.store import Store, StoredIssue
from publisher.worker import Delivered

__all__ = ["PdfPublisher", "downloads_dir"]

CHANNEL = "pdf"


def downloads_dir(settings: Settings, number: int) -> Path:
    return settings.data_dir / "downloads" / f"issue-{number}"


@dataclass(slots=True)
class PdfPublisher:
    """The PDF channel's deliverer (see ``publisher.worker.Deliverer``)."""

    store: Store
    settings: Settings
    channel: PdfChannel
    transport: Transport
    shareable = False

    def deliver(self, issue: Issue, stored: StoredIssue,
                should_stop: Callable[[], bool]) -> Delivered:
        folder = downloads_dir(self.settings, issue.number)
        folder.mkdir(parents=True, exist_ok=True)
        files: list[Path] = []
        for profile in self.settings.pdf.publish_profiles:
            if should_stop():
                return Delivered("stopped")
            target = folder / f"issue-{issue.number}-{profile}.pdf"
            self._once(stored, f"file:{profile}",
                       partial(self.channel.write_pdf, issue, profile, target))
            files.append(target)
        for address in self.settings.pdf.print_team:
            self._once(stored, f"notify:{address}", partial(self._notify, issue, address, files))
        return Delivered("done", f"{len(files)} file(s) in {folder}")

    def _once(self, stored: StoredIssue, target: str, action: Callable[[], object]) -> None:
        """Do *action* unless the ledger says it was done; record the outcome."""
        with self.store.begin() as conn:
            owned = self.store.ledger.claim(conn, stored.number, CHANNEL,
                                            stored.content_hash, [target])
        if not owned:
            return
        try:
            action()
            outcome = Outcome(target, "sent")
        except PublisherError as exc:
            outcome = Outcome(target, "failed", detail=str(exc))
        with self.store.begin() as conn:
            self.store.ledger.record(conn, stored.number, CHANNEL, [outcome])
        if outcome.status == "failed":
            raise PublisherError(f"{target}: {outcome.detail}")

    def _notify(self, issue: Issue, address: str, files: list[Path]) -> None:
        pub = issue.publication
        names = "\n".join(f"  {f}" for f in files)
        text = (f"Issue {issue.number} of {pub.name}, \"{issue.title}\", is approved and its "
                f"PDF digest is ready:\n\n{names}\n")
        message = build_message(
            sender=make_address(pub.sender_name, pub.sender_address, "sender"),
            to=make_address("", address, "print_team"),
            subject=f"{pub.name} {issue.number}: PDF ready for print", text=text)
        self.transport.send(message)
