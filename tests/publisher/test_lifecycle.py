"""Transitions are checked; sign-offs belong to one content hash."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from publisher.content import Article, Issue, IssueSection, Publication
from publisher.errors import ContentError
from publisher.lifecycle import Lifecycle
from publisher.preflight import Finding, Report
from publisher.store import Store
from publisher.store.db import sqlite_url

OK = Report(())
ISSUE = Issue(publication=Publication(name="P"), number=1, title="T", date=date(2026, 12, 1),
              sections=(IssueSection(name="W", articles=(Article(id="a", headline="A"),)),))


@pytest.fixture
def life(tmp_path: Path) -> Lifecycle:
    store = Store(sqlite_url(tmp_path / "p.db"))
    with store.begin() as conn:
        store.issues.save(conn, ISSUE)
    return Lifecycle(store)


def test_approving_a_draft_makes_it_approved(life: Lifecycle) -> None:
    with life.store.begin() as conn:
        signed = life.approve(conn, 1, "email", "ed", OK)
        assert (signed.channel, signed.signed_by) == ("email", "ed")
        assert life.store.issues.find(conn, 1).status == "approved"
        assert set(life.signoffs(conn, 1)) == {"email"}


def test_preflight_errors_block_approval(life: Lifecycle) -> None:
    bad = Report((Finding("error", "email", "size", "too big"),))
    with life.store.begin() as conn, pytest.raises(ContentError, match="1 preflight error"):
        life.approve(conn, 1, "email", "ed", bad)


def test_transitions_are_checked(life: Lifecycle) -> None:
    with life.store.begin() as conn:
        with pytest.raises(ContentError, match="draft; it cannot become sent"):
            life.move(conn, 1, "sent")
        life.move(conn, 1, "cancelled")
        with pytest.raises(ContentError, match="cancelled; it cannot become draft"):
            life.move(conn, 1, "draft")


def test_a_changed_issue_is_a_draft_without_signoffs(life: Lifecycle) -> None:
    with life.store.begin() as conn:
        life.approve(conn, 1, "email", "ed", OK)
        life.store.issues.save(conn, dataclasses.replace(ISSUE, title="Changed"))
        assert life.store.issues.find(conn, 1).status == "draft"
        assert life.signoffs(conn, 1) == {}
        with pytest.raises(ContentError, match="no sign-off for email"):
            life.require_signoff(conn, 1, ["email"])
