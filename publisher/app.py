"""Composition root: ``build_app(settings)`` wires every concrete part, once."""

from __future__ import annotations

from dataclasses import dataclass

from publisher.fetch import SafeFetcher
from publisher.settings import Settings
from publisher.store import Store

__all__ = ["App", "build_app"]


@dataclass(slots=True)
class App:
    """The parts a command or the web app works with."""

    settings: Settings
    store: Store
    fetcher: SafeFetcher

    def close(self) -> None:
        self.store.close()


def build_app(settings: Settings) -> App:
    """Open the store (migrating it) and build the parts from *settings*."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return App(settings=settings, store=Store(settings.db_url),
               fetcher=SafeFetcher(settings.fetch))
