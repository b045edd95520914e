"""A reader's path through the pages in a real browser (Debian's Chromium).

Playwright drives /usr/bin/chromium (never a downloaded browser). The test
skips, saying why, where Chromium is not installed; CI installs it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
import requests

from tests.publisher.web.conftest import Live

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

# The machine's network is closed: no background fetches, no first-run work.
_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_sign_up_confirm_change_preferences_and_leave(page: Page, live: Live) -> None:
    page.goto(live.url + "/subscribe")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    assert "inbox" in page.content().lower()
    assert live.subscriber("reader@example.org").status == "pending"

    page.goto(live.confirm_link())
    assert live.subscriber("reader@example.org").status == "active"

    prefs = page.locator("a[href*='/preferences/']").first.get_attribute("href")
    unsubscribe = page.locator("a[href*='/unsubscribe/']").first.get_attribute("href")
    assert prefs and unsubscribe
    page.goto(prefs if prefs.startswith("http") else live.url + prefs)
    page.get_by_label("Business").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert live.membership("reader@example.org").sections == ("Business",)

    page.goto(unsubscribe if unsubscribe.startswith("http") else live.url + unsubscribe)
    assert live.membership("reader@example.org").status == "active"  # the GET did nothing
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    assert live.membership("reader@example.org").status == "unsubscribed"
    assert requests.get(live.url + "/subscribe", timeout=5).status_code == 200
