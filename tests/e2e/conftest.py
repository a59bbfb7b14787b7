"""Browser end-to-end tests: Playwright driving Debian's Chromium against pytest-django's
live server.

Never run ``playwright install`` here: it downloads a browser and fails on these machines.
The browser is the Debian ``chromium`` package at /usr/bin/chromium. Without it the tests
skip with a visible reason, except in CI (the ``CI`` environment variable), where a missing
browser fails the run instead of passing silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test thread; without this, every
# ORM call the test makes (fixtures, assertions on the database) raises
# SynchronousOnlyOperation. The live server answers from its own thread and is unaffected.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
# Generous for a loaded CI machine, short enough that a hang fails within the test timeout.
DEFAULT_TIMEOUT_MS = 15_000


def _missing_browser(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _e2e_needs_transactional_db(transactional_db: None) -> None:
    """The live server answers from another thread and its own connection, so the data the
    test writes must be committed: every e2e test runs on the transactional database,
    requested before the shared ``tree`` and ``people`` fixtures (which ask for ``db``)."""


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _missing_browser(f"Debian chromium not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        _missing_browser(f"the playwright package is not installed ({exc})")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Exception:
        playwright.stop()
        raise
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


def _new_context(browser, live_server, **options):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.fixture
def new_context(browser, live_server) -> Iterator[object]:
    """A factory for extra browser contexts (a phone, JavaScript off, ...); all are closed
    at the end of the test."""
    contexts = []

    def make(**options):
        context = _new_context(browser, live_server, **options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context) -> object:
    return new_context(viewport=DESKTOP_VIEWPORT)


@pytest.fixture
def page(context) -> Iterator[object]:
    page = context.new_page()
    yield page
    page.close()
