"""One's sessions, in Chromium: a desk sees the phone signed in too and signs it out."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from dialogue.auth.models import Role
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "/tmp/sessions-shots")
DESK = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PHONE = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _page(browser, user_agent, **options):
    context = browser.new_context(locale="vi-VN", user_agent=user_agent, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_signing_out_everywhere_else_from_the_list(browser, live_server, make_user):
    user = make_user(Role.SECRETARY)
    phone = _page(browser, PHONE, viewport={"width": 360, "height": 740}, is_mobile=True)
    desk = _page(browser, DESK, viewport={"width": 1280, "height": 800})
    try:
        sign_in(phone, live_server, user)
        sign_in(desk, live_server, user)
        # From the menu of every staff page (the password page links it too).
        desk.locator(".site-nav").get_by_role("link", name="Phiên đăng nhập").click()
        expect(desk.get_by_role("heading", name="Phiên đăng nhập")).to_be_visible()
        rows = desk.locator("table.sessions tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("Chrome · Windows")
        expect(rows.first).to_contain_text("Thiết bị này")
        expect(rows.nth(1)).to_contain_text("Firefox · Android")
        os.makedirs(SHOTS, exist_ok=True)
        desk.screenshot(path=os.path.join(SHOTS, "sessions-desk.png"), full_page=True)

        # Declining the question changes nothing; agreeing signs the phone out.
        desk.once("dialog", lambda dialog: dialog.dismiss())
        desk.get_by_role("button", name="Đăng xuất trên mọi thiết bị khác").click()
        expect(rows).to_have_count(2)
        desk.once("dialog", lambda dialog: dialog.accept())
        desk.get_by_role("button", name="Đăng xuất trên mọi thiết bị khác").click()
        expect(desk.locator(".flash")).to_contain_text("Số thiết bị khác đã được đăng xuất: 1.")
        expect(rows).to_have_count(1)
        desk.screenshot(path=os.path.join(SHOTS, "sessions-after.png"), full_page=True)

        phone.reload()
        expect(phone).to_have_url(f"{live_server}/auth/login?next=%2Foverview")
        desk.reload()
        expect(desk.get_by_role("heading", name="Phiên đăng nhập")).to_be_visible()
    finally:
        phone.context.close()
        desk.context.close()
