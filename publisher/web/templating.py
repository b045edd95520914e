"""Jinja2 pages for the web app, from the theme's ``web/`` folder.

The environment comes from ``publisher.templating`` (autoescape,
StrictUndefined, publication overrides first), so a typo in a template fails
a test instead of rendering an empty string.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse

from publisher.content import Publication
from publisher.templating import make_environment

__all__ = ["Pages"]


class Pages:
    """Renders ``web/*.html`` with the publication and its brand in scope."""

    def __init__(self, publication: Publication, override_dir: Path | None = None) -> None:
        self.env = make_environment(override_dir)
        self.env.globals.update(publication=publication, brand=publication.brand)

    def render(self, name: str, *, title: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(f"web/{name}").render(title=title, **context)
        return HTMLResponse(html, status_code=status)
