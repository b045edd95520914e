"""CLI command groups; each module adds its sub-commands to the parser.

``cli.py`` owns the top-level parser, the global options and the mapping of
errors to exit codes; the modules here hold what each command does.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from publisher.app import App, build_app
from publisher.content import Issue
from publisher.settings import Settings, load_settings
from publisher.store import StoredIssue

__all__ = ["Context", "Handler"]


@dataclass(slots=True)
class Context:
    """What a command handler gets: its arguments, settings and app (both lazy), output."""

    args: argparse.Namespace
    out: TextIO
    err: TextIO
    _settings: Settings | None = field(default=None)
    _app: App | None = field(default=None)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            a = self.args
            self._settings = load_settings(a.config, db=a.db, data_dir=a.data_dir)
        return self._settings

    @property
    def app(self) -> App:
        """The wired app; opening it creates and migrates the database."""
        if self._app is None:
            self._app = build_app(self.settings)
        return self._app

    def load_issue(self, number: int, version: int | None = None
                   ) -> tuple[StoredIssue, Issue]:
        """A stored Issue version (the newest by default) and its value."""
        store = self.app.store
        with store.read() as conn:
            stored = store.issues.find(conn, number, version)
            return stored, store.issues.load(conn, stored.id)

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


Handler = Callable[[Context], int]
