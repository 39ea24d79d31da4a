"""The API's reference page in Chromium: one main landmark before, while and after Swagger UI
draws the reference, and the reference drawn from the application's own document."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LANDMARKS = """() => ({
    mains: document.querySelectorAll('main').length,
    nested: document.querySelectorAll('main main').length,
    skipTarget: !!document.getElementById('main'),
})"""


def test_the_reference_page_always_has_exactly_one_main_landmark(live_server, browser):
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # The OpenAPI document is held back until the page has been looked at without it: the
    # moment a reader on a slow line sees (and the moment a checker may run).
    release = threading.Event()

    def hold(route):
        release.wait(timeout=30)
        route.continue_()

    page.route("**/api/v1/openapi.json", hold)
    try:
        page.goto(f"{live_server}/api/v1/docs", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate(LANDMARKS) == {"mains": 1, "nested": 0, "skipTarget": True}
        expect(page.get_by_role("main")).to_have_count(1)
    finally:
        release.set()

    # Drawn: Swagger UI's list of routes is the main landmark now, the page's box a plain one.
    expect(page.locator("#api-reference #operations")).to_be_attached(timeout=20_000)
    expect(page.locator("#api-reference .opblock").first).to_be_visible()
    assert page.evaluate(LANDMARKS) == {"mains": 1, "nested": 0, "skipTarget": True}
    assert page.evaluate("() => document.getElementById('main').tagName") == "DIV"
    assert page.evaluate("() => !!document.querySelector('#main #api-reference')")
    # The skip link still leads to the page's content.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    assert not problems, problems
    context.close()
