"""Loaded once by the render server, so that every render child starts warm.

``channels.pdf.runner`` forks each render from a ``forkserver`` that imports
this module first. Importing WeasyPrint takes about half a second, and the
first layout in a process pays as much again for fontconfig, the user-agent
stylesheet, hyphenation dictionaries and the compiled theme. Paying both
here, once per server, means a child forked from it starts with all of
that in memory: a 40-page render then costs what WeasyPrint's own layout
costs, not that plus a second of start-up.

It also imports the parent's main script, once. Every multiprocessing child
runs the main script's imports unless its server already did (that is why
such scripts need the ``if __name__ == "__main__":`` guard), and Python
3.11's forkserver never does, even when asked to preload ``"__main__"``: the
"main_path" it looks for is not in the data its parent sends. Left alone,
each render would re-import the ``publisher`` CLI, half a second. The
parent names the script in ``PUBLISHER_PDF_MAIN`` (``runner.MAIN_ENV``).

The warm-up renders a tiny Issue of our own, with no image and no URL, so
nothing is fetched.
"""

from __future__ import annotations

import contextlib
import io
import os
from datetime import date
from multiprocessing import spawn

from weasyprint import HTML

from channels.pdf.digest import digest_html
from channels.pdf.profiles import profile_for
from channels.pdf.render import weasyprint_messages
from channels.pdf.runner import MAIN_ENV
from publisher.content import Article, Issue, IssueSection, Paragraph, Publication, Text
from publisher.settings import PdfOptions

__all__ = ["adopt_main", "warm_up"]


def adopt_main() -> None:
    """Import the parent's main script as multiprocessing's children expect to find it."""
    path = os.environ.get(MAIN_ENV)
    if path and os.path.isfile(path):
        spawn.import_main_path(path)


def warm_up() -> None:
    """Lay out and write a one-article digest in this process."""
    text = Paragraph(inlines=(Text(text="Warming up the hyphenation of paragraphs."),))
    story = Article(id="warm-up", headline="Warm-up", section="News", body=(text,))
    issue = Issue(publication=Publication(name="Warm-up"), number=1, title="Warm-up",
                  date=date(2026, 1, 1),
                  sections=(IssueSection(name="News", articles=(story,)),))
    html = digest_html(issue, profile_for("screen", PdfOptions()), {})
    # WeasyPrint's log lines are kept (and dropped) rather than printed by the server.
    with weasyprint_messages([]):
        HTML(string=html).render().write_pdf(io.BytesIO())


# Both only save time. Should either fail, the server must still start: a
# render forked from it then fails, or re-imports the script, on its own terms.
with contextlib.suppress(Exception):
    adopt_main()
with contextlib.suppress(Exception):
    warm_up()
