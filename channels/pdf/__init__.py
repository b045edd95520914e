"""The PDF digest channel: print-ready, screen, archival and accessible PDFs of an Issue.

Jinja templates (``templates/pdf/``) turn an Issue into HTML with print CSS;
WeasyPrint lays it out in a subprocess with time and memory limits; every
fetch it makes goes through the project's safe fetcher; the output is cached
by (Issue content hash, profile). ``docs/pdf.md`` describes the profiles,
the ``[pdf]`` settings and the commands.

Importing this package does not import WeasyPrint: only the render
subprocess (``channels.pdf.render``) does.
"""

from __future__ import annotations

from channels.pdf.channel import PdfChannel
from channels.pdf.jobs import RenderReport
from channels.pdf.profiles import PROFILE_NAMES, Profile, profile_for
from channels.pdf.runner import PdfRenderError

__all__ = ["PROFILE_NAMES", "PdfChannel", "PdfRenderError", "Profile", "RenderReport",
           "profile_for"]
