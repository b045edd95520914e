"""AudienceRepo on a real SQLite file: memberships, suppression, the audience, erasure."""

from __future__ import annotations

import inspect
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from publisher.audience.csvio import SubscriberRow
from publisher.audience.store import DEFAULT_LIST, ListCount, Recipient, Subscriber, email_hash
from publisher.errors import ContentError, NotFoundError
from publisher.store import Store
from publisher.store.db import sqlite_url

NEWS, SPORT = DEFAULT_LIST, "sport"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(sqlite_url(tmp_path / "p.db"))
    yield s
    s.close()


def add(store: Store, email: str, list_id: str = NEWS, **kwargs: Any) -> Subscriber:
    kwargs.setdefault("consent_source", "test")
    with store.begin() as conn:
        return store.audience.add(conn, email, list_id=list_id, **kwargs)


def row(email: str, name: str = "", sections: Sequence[str] = (), line: int = 2) -> SubscriberRow:
    return SubscriberRow(email, name, tuple(sections), "html", line)


def audience(store: Store, sections: Sequence[str] = ("World",), **kwargs: Any) -> list[str]:
    list_id = kwargs.pop("list_id", NEWS)
    return [r.email for r in store.audience.audience(store.engine, list_id, sections, **kwargs)]


# -- one subscriber ----------------------------------------------------------------


def test_add_twice_merges_into_one_subscriber(store: Store) -> None:
    first = add(store, "ann@example.com", name="Ann", sections=["World"])
    second = add(store, "ann@example.com", format="text")
    assert first.id == second.id and second.name == "Ann"  # an empty name keeps the old one
    with store.read() as conn:
        (m,) = store.audience.memberships(conn, first.id)
    assert (m.list_id, m.format, m.sections) == (NEWS, "text", ())


def test_addresses_are_unique_whatever_their_case(store: Store) -> None:
    a = add(store, "Ann@Example.COM")
    b = add(store, " ann@example.com ")
    assert a.id == b.id and a.email == "ann@example.com"
    with store.read() as conn:
        assert store.audience.find(conn, "ANN@EXAMPLE.COM").id == a.id
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(
                sa.text(
                    "INSERT INTO subscribers (email, name, status, created_at, updated_at) "
                    "VALUES ('ann@example.com', '', 'active', '2026-01-01', '2026-01-01')"
                )
            )


def test_confirm_turns_pending_into_active(store: Store) -> None:
    sub = add(store, "p@example.com", status="pending")
    assert (sub.status, sub.consent_at) == ("pending", None)
    assert audience(store) == []
    with store.begin() as conn:
        confirmed = store.audience.confirm(conn, sub.id, NEWS, ip="203.0.113.9")
        assert store.audience.membership(conn, sub.id, NEWS).status == "active"
    assert confirmed.status == "active" and confirmed.consent_ip == "203.0.113.9"
    assert confirmed.consent_at is not None
    assert audience(store) == ["p@example.com"]


def test_unsubscribing_one_list_keeps_the_others(store: Store) -> None:
    sub = add(store, "two@example.com")
    add(store, "two@example.com", SPORT)
    with store.begin() as conn:
        store.audience.unsubscribe(conn, sub.id, NEWS)
        assert store.audience.get(conn, sub.id).status == "active"
        statuses = {m.list_id: m.status for m in store.audience.memberships(conn, sub.id)}
    assert statuses == {NEWS: "unsubscribed", SPORT: "active"}
    assert audience(store) == [] and audience(store, list_id=SPORT) == ["two@example.com"]
    with store.begin() as conn:
        store.audience.unsubscribe(conn, sub.id, SPORT)
        assert store.audience.get(conn, sub.id).status == "unsubscribed"


def test_preferences_change(store: Store) -> None:
    sub = add(store, "pref@example.com", sections=["World"], language="en")
    with store.begin() as conn:
        m = store.audience.set_preferences(
            conn, sub.id, NEWS, sections=["Sport", "Business"], format="pdf"
        )
    assert (m.format, m.sections, m.language) == ("pdf", ("Business", "Sport"), "en")
    assert audience(store, ["World"]) == [] and audience(store, ["Sport"]) == [sub.email]
    with store.begin() as conn, pytest.raises(ContentError, match="format"):
        store.audience.set_preferences(conn, sub.id, NEWS, sections=[], format="rtf")


def test_remove_from_one_list_or_entirely(store: Store) -> None:
    sub = add(store, "rm@example.com")
    add(store, "rm@example.com", SPORT)
    with store.begin() as conn:
        store.audience.remove(conn, "rm@example.com", SPORT)
        assert [m.list_id for m in store.audience.memberships(conn, sub.id)] == [NEWS]
        store.audience.remove(conn, "rm@example.com")
        with pytest.raises(NotFoundError):
            store.audience.find(conn, "rm@example.com")


# -- suppression -------------------------------------------------------------------


def test_a_hard_bounce_suppresses_on_every_list(store: Store) -> None:
    sub = add(store, "gone@example.com")
    add(store, "gone@example.com", SPORT)
    add(store, "stays@example.com")
    with store.begin() as conn:
        assert store.audience.suppress(conn, "Gone@Example.com", "hard_bounce", "5.1.1")
        assert not store.audience.suppress(conn, "gone@example.com", "hard_bounce")
        assert store.audience.get(conn, sub.id).status == "bounced"
    assert audience(store) == ["stays@example.com"]
    assert audience(store, list_id=SPORT) == []
    with pytest.raises(ContentError, match="suppressed"):
        add(store, "gone@example.com", "third")


def test_a_complaint_marks_the_subscriber_complained(store: Store) -> None:
    sub = add(store, "angry@example.com")
    with store.begin() as conn:
        store.audience.suppress(conn, "angry@example.com", "complaint")
        assert store.audience.get(conn, sub.id).status == "complained"
        with pytest.raises(ContentError):
            store.audience.confirm(conn, sub.id, NEWS)


# -- the audience of an Issue ----------------------------------------------------------


def test_audience_is_active_unsuppressed_and_interested(store: Store) -> None:
    add(store, "all@example.com")  # no preferences: every section
    add(store, "world@example.com", sections=["World"], format="text")
    add(store, "sport@example.com", sections=["Sport"])
    add(store, "pending@example.com", status="pending")
    add(store, "bounced@example.com")
    with store.begin() as conn:
        store.audience.suppress(conn, "bounced@example.com", "hard_bounce")
    add(store, "other@example.com", SPORT)
    assert audience(store, ["World", "Business"]) == ["all@example.com", "world@example.com"]
    assert audience(store, ["Sport"]) == ["all@example.com", "sport@example.com"]
    assert audience(store, ["World"], fmt="text") == ["world@example.com"]
    with store.read() as conn:
        counts = store.audience.audience_counts(conn, NEWS, ["World", "Sport"])
    assert counts == {"html": 2, "text": 1}


def test_audience_streams_in_batches_by_id(store: Store) -> None:
    ids = [add(store, f"r{n}@example.com").id for n in (5, 3, 9, 0, 1, 8, 2, 7, 6, 4)]
    stream = store.audience.audience(store.engine, NEWS, ["World"], batch_size=3)
    assert inspect.isgenerator(stream)
    got = list(stream)
    assert all(isinstance(r, Recipient) for r in got)
    assert [r.subscriber_id for r in got] == sorted(ids) and len(got) == 10
    # 3 does not divide 10, and 5 divides 10: both ends of the paging.
    assert len(list(store.audience.audience(store.engine, NEWS, [], batch_size=5))) == 10
    with pytest.raises(ValueError):
        next(store.audience.audience(store.engine, NEWS, [], batch_size=0))


def test_members_pages_and_keeps_the_chosen_list(store: Store) -> None:
    for n in range(7):
        add(store, f"m{n}@example.com", sections=["World"] if n % 2 else [])
    add(store, "m3@example.com", SPORT, format="pdf")
    with store.read() as conn:
        got = list(store.audience.members(conn, SPORT, batch_size=2))
        everyone = list(store.audience.members(conn, batch_size=2))
    assert [(s.email, m and m.format) for s, m in got] == [("m3@example.com", "pdf")]
    assert [s.email for s, _ in everyone] == [f"m{n}@example.com" for n in range(7)]
    assert everyone[1][1] is not None and everyone[1][1].sections == ("World",)


def test_list_counts(store: Store) -> None:
    add(store, "a@example.com")
    add(store, "b@example.com", status="pending")
    add(store, "a@example.com", SPORT)
    with store.begin() as conn:
        store.audience.ensure_list(conn, "empty", "An empty list")
        counts = store.audience.list_counts(conn)
    assert counts == [
        ListCount("empty", "An empty list", 0, 0),
        ListCount(NEWS, NEWS, 2, 1),
        ListCount(SPORT, SPORT, 1, 1),
    ]


# -- bulk import -----------------------------------------------------------------------


def test_import_adds_updates_and_skips_suppressed(store: Store) -> None:
    add(store, "old@example.com", name="Old", status="pending")
    with store.begin() as conn:
        store.audience.suppress(conn, "blocked@example.com", "complaint")
        outcome = store.audience.import_rows(
            conn,
            [
                row("new@example.com", "New", ["World"]),
                row("old@example.com", "Renamed"),
                row("blocked@example.com"),
            ],
            list_id=NEWS,
            source="t.csv",
        )
        old = store.audience.find(conn, "old@example.com")
        new = store.audience.find(conn, "new@example.com")
    assert (outcome.added, outcome.updated, outcome.suppressed) == (1, 1, ("blocked@example.com",))
    # The import is the operator's record of consent: pending becomes active.
    assert (old.name, old.status, old.consent_source) == ("Renamed", "active", "import:t.csv")
    assert new.consent_source == "import:t.csv" and new.consent_at is not None
    assert audience(store) == ["old@example.com", "new@example.com"]


def test_import_keeps_opt_outs_and_languages(store: Store) -> None:
    left = add(store, "left@example.com")
    add(store, "left@example.com", SPORT)
    gone = add(store, "gone@example.com")
    add(store, "lang@example.com", language="de", format="text")
    with store.begin() as conn:
        store.audience.unsubscribe(conn, left.id, NEWS)  # still active on sport
        store.audience.unsubscribe(conn, gone.id, NEWS)  # unsubscribed from everything
        outcome = store.audience.import_rows(
            conn,
            [row("left@example.com"), row("gone@example.com"), row("lang@example.com")],
            list_id=NEWS,
            source="old-export.csv",
        )
        lang = store.audience.membership(
            conn, store.audience.find(conn, "lang@example.com").id, NEWS
        )
        assert store.audience.get(conn, gone.id).status == "unsubscribed"
        assert store.audience.membership(conn, left.id, NEWS).status == "unsubscribed"
    assert set(outcome.kept_unsubscribed) == {"left@example.com", "gone@example.com"}
    assert (lang.language, lang.format) == ("de", "html")  # the CSV says html
    assert audience(store) == ["lang@example.com"]


def test_import_of_many_batches(store: Store) -> None:
    rows = [row(f"b{n}@example.com", f"B {n}") for n in range(1203)]
    with store.begin() as conn:
        first = store.audience.import_rows(conn, rows, list_id=NEWS, source="x")
        again = store.audience.import_rows(conn, rows, list_id=NEWS, source="x")
    assert (first.added, first.updated, again.added, again.updated) == (1203, 0, 0, 1203)
    assert len(audience(store)) == 1203


# -- erasure ---------------------------------------------------------------------------


def _text_values(db: Path) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text value in every table of the file."""
    found: list[tuple[str, str, str]] = []
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for values in cursor:
                found.extend(
                    (table, column, value)
                    for column, value in zip(columns, values, strict=True)
                    if isinstance(value, str)
                )
    conn.close()
    return found


def test_erase_leaves_only_the_hash(store: Store, tmp_path: Path) -> None:
    email, name, ip = "erase.me@example.com", "Erin Private", "198.51.100.23"
    sub = add(store, email, name=name, sections=["World"], language="fr", status="pending")
    add(store, email, SPORT, status="pending")
    with store.begin() as conn:
        store.audience.confirm(conn, sub.id, NEWS, ip=ip)
        # The bounce detail quotes the address, as real DSNs do.
        store.audience.suppress(conn, email, "hard_bounce", f"5.1.1 <{email}>: user unknown")
        store.audience.erase(conn, email.upper())
    store.close()
    values = _text_values(tmp_path / "p.db")
    leaks = [v for v in values if any(s in v[2].lower() for s in (email, name.lower(), ip))]
    assert leaks == []
    assert ("suppressions", "email_hash", email_hash(email)) in values
    with store.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM subscribers")).scalar() == 0
        assert conn.execute(sa.text("SELECT reason FROM suppressions")).scalar() == "hard_bounce"


def test_an_erased_address_cannot_come_back(store: Store) -> None:
    add(store, "back@example.com", name="Back")
    with store.begin() as conn:
        store.audience.erase(conn, "back@example.com")
        assert store.audience.is_suppressed(conn, "BACK@example.com")
        outcome = store.audience.import_rows(
            conn, [row("back@example.com", "Back")], list_id=NEWS, source="x"
        )
    assert (outcome.added, outcome.suppressed) == (0, ("back@example.com",))
    with pytest.raises(ContentError, match="suppressed"):
        add(store, "Back@Example.com")
    with store.read() as conn, pytest.raises(NotFoundError):
        store.audience.find(conn, "back@example.com")


def test_erase_works_after_remove_and_needs_something_to_erase(store: Store) -> None:
    add(store, "r@example.com")
    with store.begin() as conn:
        store.audience.suppress(conn, "r@example.com", "hard_bounce", "<r@example.com> unknown")
        store.audience.remove(conn, "r@example.com")
        store.audience.erase(conn, "r@example.com")
        detail = conn.execute(sa.text("SELECT detail FROM suppressions")).scalar()
        with pytest.raises(NotFoundError):
            store.audience.erase(conn, "never@example.com")
    assert detail == ""
