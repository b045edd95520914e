"""The one Jinja environment factory every channel and the web app use.

Templates are files of the theme, never editor input. A publication may
override any file of the default theme: its own folder is searched first
(Pelican-style ``ChoiceLoader``), then the default theme shipped with the
package. Autoescaping is on for HTML, XML and MJML and off for ``.txt``
templates (plain-text email parts, social posts), which are not markup;
undefined names are errors (``StrictUndefined``) so a typo fails a test
instead of printing nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from markupsafe import Markup

from publisher.errors import ConfigError

__all__ = ["css_value", "make_environment", "templates_dir"]

# Brand tokens go inside <style>, where HTML escaping means nothing: allow
# what colours and font stacks need and nothing that ends a declaration, a
# rule or the element (; { } < > \ / :).
_CSS_VALUE = re.compile(r"[\w\s#,.'\"()%+-]*")


def templates_dir() -> Path:
    """The default theme: the wheel's copy, else ``<repo>/templates`` in a checkout.

    The wheel build force-includes the top-level ``templates`` folder as
    ``publisher/_templates`` (see pyproject.toml).
    """
    package = Path(__file__).resolve().parent
    # The wheel's copy first: next to an installed package, "../templates"
    # would be some other distribution's folder in site-packages.
    for candidate in (package / "_templates", package.parent / "templates"):
        if (candidate / "web").is_dir():
            return candidate
    raise ConfigError(f"no templates folder next to {package}", field="templates")


def css_value(value: object) -> Markup:
    """*value* for a CSS declaration, or ``inherit`` if it could break out of one."""
    text = str(value)
    return Markup(text) if _CSS_VALUE.fullmatch(text) else Markup("inherit")


def make_environment(override_dir: Path | None = None) -> jinja2.Environment:
    """A Jinja environment over the publication's templates, then the default theme."""
    loaders: list[jinja2.BaseLoader] = []
    if override_dir is not None:
        loaders.append(jinja2.FileSystemLoader(override_dir))
    loaders.append(jinja2.FileSystemLoader(templates_dir()))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "mjml"),
            disabled_extensions=("txt",), default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["css"] = css_value
    return env
