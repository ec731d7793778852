"""Browser tests: Playwright's Python package driving Debian's Chromium through its path.

No browser is ever downloaded (``playwright install`` cannot reach its servers on a closed network).
When /usr/bin/chromium is missing the tests are skipped with the reason, except under CI=true,
where a missing browser fails the run: CI must never skip browser tests.
"""
import os
from pathlib import Path

import pytest

# Django's live_server runs in a thread while Playwright's sync API runs an event loop in this
# one; Django refuses ORM calls from a thread with a running loop unless told it is safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Flags for this closed network: without the background-networking ones Chromium keeps trying
# to reach Google's hosts at start-up.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() starts Chromium on a new empty profile of its own (a temporary user-data-dir).
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh page (own cookies) on a Vietnamese browser, as the platform's users have."""
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """``screenshot("name")`` saves the page as test-artifacts/e2e/name.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# -- a phone (issue 5: inspectors fill the checklist on site) ---------------------------------------
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser, live_server):
    """``phone()`` opens a fresh page (own cookies) on a phone-sized Vietnamese browser; call it
    again for a second person's phone. All are closed after the test."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, locale="vi-VN", **PHONE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def phone_screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Saves ``page`` as test-artifacts/e2e/name.png: the whole page, or what the screen shows."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
