"""Publishing the PDF digest: files, the print team, the readers who chose PDF.

The dispatch step of the PDF channel (by default two hours before the email)
writes each configured profile (``[pdf] publish_profiles``, print and screen
by default) to ``<data_dir>/downloads/issue-<n>/`` (served by the web app at
``/downloads/issue-<n>/``), mails every address of ``[pdf] print_team`` a
short note with the files, and mails each reader whose format is ``pdf`` a
short message linking the digest, with the usual unsubscribe links. Each
file, note and message is one ledger target (``file:<profile>``,
``notify:<address>``, ``reader:<address>``), so a rerun after a crash
rewrites a file at most and never mails anyone twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from channels.base import Transport
from channels.email.message import build_message, make_address
from channels.pdf.channel import PdfChannel
from publisher.audience.store import Recipient
from publisher.audience.tokens import LinkTokens
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
    links: LinkTokens
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
        readers = 0
        for reader in self._readers(issue):
            if should_stop():
                return Delivered("stopped")
            readers += self._once(stored, f"reader:{reader.email}",
                                  partial(self._mail_reader, issue, reader, files))
        return Delivered("done", f"{len(files)} file(s) in {folder}; {readers} reader(s) "
                         "who chose the PDF told")

    def _readers(self, issue: Issue) -> Iterator[Recipient]:
        sections = [s.name for s in issue.sections]
        return self.store.audience.audience(self.store.engine, self.settings.email.list_id,
                                            sections, fmt="pdf")

    def _url(self, issue: Issue, files: list[Path]) -> str:
        screen = [f for f in files if f.name.endswith("-screen.pdf")] or files
        base = issue.publication.base_url.rstrip("/")
        return f"{base}/downloads/issue-{issue.number}/{screen[0].name}" if screen else base

    def _mail_reader(self, issue: Issue, reader: Recipient, files: list[Path]) -> None:
        pub, list_id = issue.publication, self.settings.email.list_id
        base = pub.base_url.rstrip("/")
        token = partial(self.links.make, subscriber_id=reader.subscriber_id, list_id=list_id)
        leave = f"{base}/unsubscribe/{token('unsubscribe')}"
        prefs = f"{base}/preferences/{token('preferences')}"
        text = (f"Hello {reader.name or 'reader'},\n\n"
                f"Issue {issue.number} of {pub.name}, \"{issue.title}\", is out. "
                f"Your PDF digest:\n\n  {self._url(issue, files)}\n\n"
                f"You get the PDF because you chose it: {prefs}\nTo stop: {leave}\n\n"
                f"{pub.name}, {pub.postal_address}\n")
        message = build_message(
            sender=make_address(pub.sender_name, pub.sender_address, "sender"),
            to=make_address(reader.name, reader.email, "to"),
            subject=f"{pub.name} {issue.number}: {issue.title} (PDF)", text=text,
            headers={"List-Unsubscribe": f"<{leave}>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                     "List-Id": f"<{list_id}.{pub.sender_address.split('@')[-1]}>"})
        self.transport.send(message)

    def _once(self, stored: StoredIssue, target: str, action: Callable[[], object]) -> int:
        """Do *action* unless the ledger says it was done; record the outcome."""
        with self.store.begin() as conn:
            owned = self.store.ledger.claim(conn, stored.number, CHANNEL,
                                            stored.content_hash, [target])
        if not owned:
            return 0
        try:
            action()
            outcome = Outcome(target, "sent")
        except PublisherError as exc:
            outcome = Outcome(target, "failed", detail=str(exc))
        with self.store.begin() as conn:
            self.store.ledger.record(conn, stored.number, CHANNEL, [outcome])
        if outcome.status == "failed":
            raise PublisherError(f"{target}: {outcome.detail}")
        return 1

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
