"""Web pages are escaped and brand values cannot break out of the stylesheet."""

from __future__ import annotations

import jinja2
import pytest

from publisher.content import Brand, Publication
from publisher.web.templating import Pages


def test_pages_escape_and_refuse_undefined_names() -> None:
    evil = Publication(name="<script>alert(1)</script>",
                       brand=Brand(primary_color="red;}</style><script>x</script>"))
    pages = Pages(evil)
    html = bytes(pages.render("error.html", title="T", message="<b>m</b>").body).decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "--primary: inherit;" in html
    assert "&lt;b&gt;m&lt;/b&gt;" in html
    with pytest.raises(jinja2.UndefinedError):
        pages.render("error.html", title="T")
