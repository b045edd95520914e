"""Recurring Issues: a cron rule assembles the next Issue from a template plan.

The template is a plan file (see ``assemble.py``) whose ``number`` and
``date`` may be left out: the next number and today's date (publication
time zone) fill them, and ``{number}`` and ``{date}`` in the title are
replaced. Sections should use rules (``from_section`` with
``since = "last_issue"``) so each run takes the articles since the last Issue.
A run with no new articles skips, saying so. With ``auto_approve`` every
channel whose preflight passes is signed off as "auto" and scheduled
``send_after`` the run; otherwise the Issue waits for an editor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from publisher.assemble import assemble, plan_from_data, select_articles
from publisher.errors import ContentError
from publisher.lifecycle import Lifecycle
from publisher.preflight import run_preflight
from publisher.scheduler import parse_offset
from publisher.settings import RecurringOptions
from publisher.store.tables import issues
from publisher.tomlfile import load_toml

if TYPE_CHECKING:
    from publisher.app import App

__all__ = ["RecurringResult", "run_recurring_once"]

log = logging.getLogger("publisher.recurring")


@dataclass(frozen=True, slots=True)
class RecurringResult:
    """What one run of the recurring rule did."""

    number: int | None
    approved: tuple[str, ...] = ()
    skipped: str = ""


def _next_number(conn: sa.Connection) -> int:
    latest = conn.execute(sa.select(sa.func.max(issues.c.number))).scalar_one_or_none()
    return int(latest or 0) + 1


def run_recurring_once(app: App, options: RecurringOptions,
                       now: Callable[[], datetime] = lambda: datetime.now(UTC)
                       ) -> RecurringResult:
    """Assemble (and maybe approve and schedule) the next Issue; skip if nothing new."""
    assert options.plan is not None
    pub = app.settings.publication
    today = now().astimezone(ZoneInfo(pub.timezone)).date()
    with app.store.begin() as conn:
        number = _next_number(conn)
        data = load_toml(options.plan, ContentError)
        data.setdefault("number", number)
        data.setdefault("date", today)
        data["title"] = str(data.get("title", "Issue {number}")).format(
            number=number, date=today.isoformat())
        plan = plan_from_data(data, str(options.plan))
        try:
            issue = assemble(plan, pub, select_articles(plan, app.store, conn, pub))
        except ContentError as exc:
            if "no articles matched" not in exc.message:
                raise
            log.info("recurring Issue %s skipped: no new articles", number)
            return RecurringResult(None, skipped="no new articles since the last Issue")
        app.store.issues.save(conn, issue)
        app.planner.set_overrides(conn, plan.number, plan.dispatch)
    if not options.auto_approve:
        return RecurringResult(number)
    return RecurringResult(number, _approve_and_schedule(app, number, options, now()))


def _approve_and_schedule(app: App, number: int, options: RecurringOptions,
                          at: datetime) -> tuple[str, ...]:
    with app.store.read() as conn:
        issue = app.store.issues.load(conn, app.store.issues.find(conn, number).id)
    approved = []
    for channel in app.channels:
        report = run_preflight(issue, app.settings, app.checks(channel))
        if report.errors:
            log.warning("recurring Issue %s %s not approved: %s", number, channel,
                        report.errors[0])
            continue
        with app.store.begin() as conn:
            Lifecycle(app.store).approve(conn, number, channel, "auto", report)
        approved.append(channel)
    planned = [c for c in approved if c in app.planner.offsets]
    if planned:
        with app.store.begin() as conn:
            app.planner.schedule(conn, number, at + parse_offset(options.send_after), planned)
    return tuple(approved)
