"""Nothing the Issue names is fetched unless the safe fetcher allows it.

A canary HTTP server on 127.0.0.1 records every request; an article points
its images at it and at ``file:///etc/passwd``. The PDF must still come out,
with placeholders, and the canary must have heard nothing, neither from the
render subprocess nor from preflight in this process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader

from channels.pdf import PdfChannel
from publisher.content import Image, IssueSection
from publisher.fetch import FetchOptions
from publisher.preflight import run_preflight
from tests.channels.pdf.conftest import article, paragraph, png, settings_for, small_issue


class Canary(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Canary

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        body = png(10, 10)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


@pytest.fixture
def canary() -> Iterator[Canary]:
    server = Canary()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_local_files_and_loopback_are_never_fetched(canary: Canary, tmp_path: Path) -> None:
    port = canary.server_address[1]
    passwd = "file:///etc/passwd"
    loopback = f"http://127.0.0.1:{port}/canary.png"
    hostile = article("hostile", "An article with hostile images", "News",
                      paragraph("Look at these."), Image(src=loopback, alt="Loopback"),
                      lead=Image(src=passwd, alt="Password file"))
    issue = small_issue(IssueSection(name="News", articles=(hostile,)))
    settings = settings_for(tmp_path / "data")
    channel = PdfChannel(settings)
    target = tmp_path / "hostile.pdf"

    report = channel.write_pdf(issue, "screen", target)
    findings = run_preflight(issue, settings, channel.checks())

    assert canary.requests == []
    refused = dict(report.refused)
    assert refused[passwd].startswith("refused") and refused[loopback].startswith("refused")
    text = " ".join(p.extract_text() for p in PdfReader(target).pages)
    assert "image unavailable" in text.lower() and "root:" not in text
    missing = [f for f in findings.warnings if f.code == "pdf-image-missing"]
    assert {f.message.split()[1] for f in missing} == {passwd, loopback}


def test_a_trusted_network_is_fetched_and_printed(canary: Canary, tmp_path: Path) -> None:
    """The control: the same server is reached once the operator trusts it."""
    url = f"http://127.0.0.1:{canary.server_address[1]}/photo.png"
    story = article("photo", "An article with a photo", "News", Image(src=url, alt="A photo"))
    issue = small_issue(IssueSection(name="News", articles=(story,)))
    settings = settings_for(tmp_path / "data")
    settings = replace(settings, fetch=FetchOptions(trusted_networks=("127.0.0.1/32",)))

    report = PdfChannel(settings).write_pdf(issue, "screen", tmp_path / "photo.pdf")

    assert canary.requests == ["/photo.png"]
    assert report.refused == ()


def test_media_files_print_and_low_resolution_is_flagged(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "small.png").write_bytes(png(300, 200))
    (media / "large.png").write_bytes(png(1200, 800))
    story = article("media", "An article with local photos", "News",
                    Image(src="small.png", alt="Small"), Image(src="large.png", alt="Large"))
    issue = small_issue(IssueSection(name="News", articles=(story,)))
    settings = settings_for(tmp_path / "data")
    settings = replace(settings, fetch=FetchOptions(media_dirs=(media,)))
    channel = PdfChannel(settings)

    report = channel.write_pdf(issue, "print", tmp_path / "media.pdf")
    findings = run_preflight(issue, settings, channel.checks())

    assert report.refused == ()
    images = [name for page in PdfReader(tmp_path / "media.pdf").pages for name in page.images]
    assert len(images) >= 2
    dpi = [f.message for f in findings.warnings if f.code == "pdf-image-dpi"]
    # 300 px across the 174 mm text width is 44 dpi; 1200 px is 175 dpi.
    assert len(dpi) == 1 and "small.png is 300 px wide: 44 dpi" in dpi[0]
