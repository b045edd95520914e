"""The shared Jinja environment: theme lookup, overrides, escaping, CSS values."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from publisher.templating import css_value, make_environment, templates_dir

EVERY_PAGE = ["base.html", "subscribe.html", "check_inbox.html", "confirmed.html",
              "unsubscribe.html", "unsubscribed.html", "preferences.html", "error.html"]


def test_the_checkout_templates_are_found() -> None:
    root = templates_dir()
    assert root == Path(__file__).resolve().parents[2] / "templates"
    for name in EVERY_PAGE:
        assert (root / "web" / name).is_file()


def test_a_publication_overrides_one_file_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "error.html").write_text("mine: {{ message }}", encoding="utf-8")
    env = make_environment(tmp_path)
    assert env.get_template("web/error.html").render(message="<x>") == "mine: &lt;x&gt;"
    assert env.get_template("web/base.html").filename == str(templates_dir() / "web/base.html")


def test_text_templates_are_not_escaped_and_undefined_names_fail(tmp_path: Path) -> None:
    (tmp_path / "post.txt").write_text("{{ headline }}", encoding="utf-8")
    env = make_environment(tmp_path)
    assert env.get_template("post.txt").render(headline="Tom & Jerry") == "Tom & Jerry"
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("post.txt").render()


@pytest.mark.parametrize("value", ["#0b3d5c", "rgb(1, 2, 3)", "Georgia, 'Times New Roman', serif",
                                   '"Helvetica Neue", Arial, sans-serif'])
def test_css_values_pass(value: str) -> None:
    assert str(css_value(value)) == value


@pytest.mark.parametrize("value", ["red;} body{display:none", "</style><script>x</script>",
                                   "url(javascript:alert(1))", "red\\;"])
def test_css_breakouts_become_inherit(value: str) -> None:
    assert str(css_value(value)) == "inherit"
