"""Browser fixtures: Playwright driving Debian's chromium against `live_server`.

Never `playwright install`: the browser is the distribution's (/usr/bin/chromium,
or PIMS_CHROMIUM). Without it the browser tests are skipped — unless
PIMS_REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser is a failure.

Tests that use `browser_page` are marked `browser` automatically, so
`pytest -m "not browser"` leaves them out.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django would take
# every ORM call made by the test itself (building data, asserting) for one
# made from async code and raise SynchronousOnlyOperation. The calls really
# are synchronous, so the guard is switched off for the test process.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("PIMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(os.environ.get("PIMS_SCREENSHOT_DIR") or tempfile.gettempdir())


def _require_browser() -> bool:
    return os.environ.get("PIMS_REQUIRE_BROWSER") == "1"


def _chromium_path() -> str | None:
    path = CHROMIUM if os.path.isabs(CHROMIUM) else shutil.which(CHROMIUM)
    return path if path and os.access(path, os.X_OK) else None


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser_page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def chromium_browser():
    path = _chromium_path()
    if path is None:
        message = f"chromium not found at {CHROMIUM} (apt-get install chromium, or set PIMS_CHROMIUM)"
        if _require_browser():
            pytest.fail(message + " — PIMS_REQUIRE_BROWSER=1 makes this an error")
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is pinned
        if _require_browser():
            pytest.fail(f"playwright is not installed: {exc}")
        pytest.skip(f"playwright is not installed: {exc}")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser, live_server):
    """A fresh page (own cookies) whose relative URLs go to the live server.
    The database is transactional: build the test's data inside the test.

    Every journey also checks the Content-Security-Policy: anything the
    browser refused under it (an inline script, handler or style, a
    resource from elsewhere) fails the test."""
    context = chromium_browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        yield page
    finally:
        context.close()
    assert refused == [], "the page broke its Content-Security-Policy"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot (for a human to look at) and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"pims-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
