"""Browser tests: the application served on loopback, driven through Playwright in Debian's Chromium."""

from __future__ import annotations

import gc
import os
import shutil
import threading
import time
import warnings

import pytest
from werkzeug.serving import make_server

from dialogue.extensions import db
from tests.conftest import require_service

# How long a test's end waits for requests still running (a page the browser was loading).
REQUESTS_DRAIN_SECONDS = 10

CHROMIUM = os.environ.get("DIALOGUE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def live_server(app):
    """Serve ``app`` on a free loopback port in a thread; yield its base URL."""
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        # Each request runs in a thread of its own, which may outlive the test by a moment. Its
        # database connection must be back in the pool before the app disposes of the engine:
        # one handed back to a disposed pool is left for the garbage collector to close, and the
        # driver warns (an error here) when that happens during some later test. The test's own
        # session goes first;
        # a collection then finalises what the test's requests left behind (a stream the browser
        # dropped) while the pool can still take their connections back.
        db.session.remove()
        with warnings.catch_warnings():
            # A static file the development server was sending when the browser dropped the
            # request (a page left for the next one) is closed by the collector, not by
            # werkzeug: that is the test server's way, not the application's.
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        deadline = time.monotonic() + REQUESTS_DRAIN_SECONDS
        while db.engine.pool.checkedout() and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture(scope="session")
def browser():
    require_service(
        os.path.exists(CHROMIUM),
        f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
