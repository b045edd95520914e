"""The recurring rule assembles the next Issue from what is new, or skips."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from publisher.app import App, build_app
from publisher.content import Article, Issue, Paragraph, Text
from publisher.preflight import Check
from publisher.recurring import run_recurring_once
from publisher.settings import load_settings
from publisher.worker import Recurring, Worker, WorkerOptions


class Quiet:
    """A channel with no checks: auto-approval always passes it."""

    name = "fake"

    def render(self, issue: Issue, out_dir: Path, options: object) -> list[Path]:
        return []

    def checks(self) -> Sequence[Check]:
        return []


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "weekly.toml").write_text(
        'title = "Weekly {number} ({date})"\n'
        '[[sections]]\nname = "World"\nfrom_section = "World"\nsince = "last_issue"\n',
        encoding="utf-8")
    cfg = tmp_path / "config" / "publication.toml"
    cfg.write_text('[publication]\nname = "P"\ntimezone = "Asia/Almaty"\n'
                   '[schedule.steps]\nfake = "0"\n'
                   '[schedule.recurring]\nday_of_week = "fri"\nhour = 16\nminute = 0\n'
                   'plan = "config/weekly.toml"\nsend_after = "+1h"\nauto_approve = true\n',
                   encoding="utf-8")
    built = build_app(load_settings(cfg))
    built.channels = {"fake": Quiet()}  # type: ignore[dict-item]
    yield built
    built.close()


def _save(app: App, aid: str, when: datetime) -> None:
    art = Article(id=aid, headline=aid, section="World", published_at=when,
                  body=(Paragraph(inlines=(Text(text=aid),)),))
    with app.store.begin() as conn:
        app.store.articles.save(conn, [art], "t")


def test_each_run_takes_what_is_new_and_skips_when_nothing_is(app: App) -> None:
    rule = app.settings.schedule.recurring
    assert rule is not None
    _save(app, "first", datetime.now(UTC) - timedelta(days=1))
    one = run_recurring_once(app, rule)
    assert one.number == 1 and one.approved == ("fake",)
    with app.store.read() as conn:
        stored = app.store.issues.find(conn, 1)
        issue = app.store.issues.load(conn, stored.id)
        (step,) = app.planner.steps(conn, 1)
    assert stored.title.startswith("Weekly 1 (") and stored.status == "scheduled"
    assert [a.id for a in issue.articles] == ["first"]
    assert step.channel == "fake" and step.run_at > datetime.now(UTC) + timedelta(minutes=55)

    assert run_recurring_once(app, rule).skipped == "no new articles since the last Issue"
    _save(app, "second", datetime.now(UTC) + timedelta(seconds=5))
    two = run_recurring_once(app, rule)
    with app.store.read() as conn:
        issue2 = app.store.issues.load(conn, app.store.issues.find(conn, 2).id)
    assert two.number == 2 and [a.id for a in issue2.articles] == ["second"]


def test_the_worker_fires_the_rule_on_fridays_at_16_local(app: App) -> None:
    rule = app.settings.schedule.recurring
    assert rule is not None
    fired: list[int] = []
    worker = Worker(app.store, app.planner, {}, WorkerOptions(poll=0.05),
                    recurring=Recurring(rule.day_of_week, rule.hour, rule.minute,
                                        "Asia/Almaty", lambda: fired.append(1)))
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not worker.is_scheduler:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        job = worker._scheduler.get_job("recurring")  # type: ignore[union-attr]
        nxt = job.next_run_time
        assert (nxt.weekday(), nxt.hour, nxt.minute) == (4, 16, 0)
        assert str(nxt.tzinfo) == "Asia/Almaty"
    finally:
        worker.stop()
