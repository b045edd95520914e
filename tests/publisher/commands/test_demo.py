"""``publisher demo`` runs the whole path and, run again, sends nothing twice."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from publisher.cli import main


def test_the_demo_sends_every_channel_once(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "demo"]) == 0
    out = capsys.readouterr().out
    assert "Issue 1 v1 assembled" in out and "Issue 1 is sent." in out
    for section in ("World", "Education", "Business", "Culture", "Science"):
        assert f"     {section}: " in out
    assert "preflight: 0 error(s)" in out
    outbox = mailbox.Maildir(data / "outbox", create=False)
    subjects = sorted(str(m["Subject"]) for m in outbox)
    # 7 readers take the email, the eighth a short mail linking the PDF she chose,
    # and the print team one note.
    assert len(subjects) == 9
    assert sum("PDF ready for print" in s for s in subjects) == 1
    pdf_mail = [m for m in outbox if str(m["Subject"]).endswith("(PDF)")]
    assert len(pdf_mail) == 1 and "arman@readers.example" in str(pdf_mail[0]["To"])
    body = pdf_mail[0].get_payload(decode=True).decode()
    assert "/downloads/issue-1/issue-1-screen.pdf" in body and "/unsubscribe/" in body
    assert pdf_mail[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    downloads = sorted(p.name for p in (data / "downloads" / "issue-1").iterdir())
    assert downloads == ["issue-1-print.pdf", "issue-1-screen.pdf"]
    assert (data / "social-outbox" / "issue-1" / "mastodon.txt").is_file()
    assert "ledger email: sent 7" in out

    assert main(["--data-dir", str(data), "demo"]) == 0
    again = capsys.readouterr().out
    assert "(0 new)" in again and "already sent: nothing sent again" in again
    assert len(mailbox.Maildir(data / "outbox", create=False)) == 9
