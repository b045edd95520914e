"""The same store on PostgreSQL: migrations, idempotent saves, audience, ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from publisher.audience.csvio import SubscriberRow
from publisher.cli import main
from publisher.commands.demo import DEMO_DIR
from publisher.content import Article, Issue, IssueSection, Paragraph, Publication, Text
from publisher.ledger import Outcome
from publisher.store import Store
from publisher.store.tables import metadata


def _article(aid: str) -> Article:
    return Article(id=aid, headline=aid, section="World",
                   published_at=datetime(2026, 11, 1, tzinfo=UTC),
                   body=(Paragraph(inlines=(Text(text=f"body {aid}"),)),))


def test_migrations_build_the_described_schema(pg_url: str) -> None:
    store = Store(pg_url)
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_articles_and_issue_versions(pg_url: str) -> None:
    store = Store(pg_url)
    with store.begin() as conn:
        assert store.articles.save(conn, [_article("a"), _article("b")], "t").added == 2
        assert store.articles.save(conn, [_article("a")], "t").unchanged == 1
        issue = Issue(publication=Publication(name="P"), number=1, title="T",
                      date=date(2026, 12, 1),
                      sections=(IssueSection(name="World", articles=(_article("a"),)),))
        assert store.issues.save(conn, issue)[1] is True
        assert store.issues.save(conn, issue)[1] is False
    with store.read() as conn:
        assert store.issues.load(conn, store.issues.find(conn, 1).id) == issue
        published = next(iter(store.articles.list(conn))).published_at
        assert published == datetime(2026, 11, 1, tzinfo=UTC)


def test_audience_streams_and_ledger_claims_once(pg_url: str) -> None:
    store = Store(pg_url)
    rows = [SubscriberRow(f"r{i}@example.org", f"R{i}", ("World",) if i % 2 else (), "html",
                          i + 2) for i in range(25)]
    with store.begin() as conn:
        store.audience.import_rows(conn, rows, list_id="newsletter", source="t.csv")
    got = list(store.audience.audience(store.engine, "newsletter", ["Science"], batch_size=4))
    assert [r.email for r in got] == [f"r{i}@example.org" for i in range(0, 25, 2)]
    with store.begin() as conn:
        first = store.ledger.claim(conn, 1, "email", "h", [r.email for r in got])
        assert store.ledger.claim(conn, 1, "email", "h", [r.email for r in got]) == []
        store.ledger.record(conn, 1, "email", [Outcome(t, "sent") for t in first])
        assert store.ledger.counts(conn, 1) == {"sent": len(got)}


def test_the_cli_runs_the_demo_on_postgres(pg_url: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", pg_url, "--data-dir", str(tmp_path), "demo"]) == 0
    assert "Issue 1 v1 assembled" in capsys.readouterr().out
    assert main(["--db", pg_url, "--data-dir", str(tmp_path), "import",
                 str(DEMO_DIR / "articles")]) == 0
    assert "6 unchanged" in capsys.readouterr().out


def test_concurrent_claims_split_the_targets(pg_url: str) -> None:
    """Two workers claiming the same audience at once: each target goes to one."""
    import threading

    store = Store(pg_url)
    targets = [f"t{i}" for i in range(2000)]
    owned: list[list[str]] = [[], []]
    start = threading.Barrier(2)

    def work(k: int) -> None:
        start.wait()
        for i in range(0, len(targets), 100):
            with store.begin() as conn:
                owned[k].extend(store.ledger.claim(conn, 9, "email", "h", targets[i:i + 100]))

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(owned[0] + owned[1]) == sorted(targets)
    assert not set(owned[0]) & set(owned[1])
