"""Published PDFs are served from the downloads folder, and nothing else is."""

from __future__ import annotations

import requests

from tests.publisher.web.conftest import Live


def test_a_published_pdf_is_served(live: Live) -> None:
    folder = live.app.settings.data_dir / "downloads" / "issue-3"
    folder.mkdir(parents=True)
    (folder / "issue-3-screen.pdf").write_bytes(b"%PDF-1.7 test")
    got = requests.get(f"{live.url}/downloads/issue-3/issue-3-screen.pdf", timeout=5)
    assert got.status_code == 200 and got.content == b"%PDF-1.7 test"
    assert got.headers["content-type"] == "application/pdf"


def test_other_paths_are_not_served(live: Live) -> None:
    (live.app.settings.data_dir / "secret.txt").write_text("x")
    for path in ("/downloads/issue-3/missing.pdf", "/downloads/..%2F/secret.txt",
                 "/downloads/issue-1/..%2F..%2Fsecret.key", "/downloads/x/issue-1-print.pdf"):
        assert requests.get(live.url + path, timeout=5).status_code == 404, path
