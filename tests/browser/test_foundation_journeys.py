"""Staff sign in, find their way, and read the interface in Vietnamese or English, on a desk and a phone."""

import pytest
from playwright.sync_api import expect

from dialogue.auth.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, base, user):
    # From the public home, one link away: the staff sign-in, then the staff overview.
    page.goto(f"{base}/")
    page.get_by_role("link", name="Đăng nhập dành cho cán bộ").click()
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/overview")


def test_organiser_signs_in_and_finds_a_person_without_diacritics(
    page, live_server, make_user, make_person
):
    organiser = make_user(Role.ORGANISER)
    make_person(full_name="Nguyễn Văn Đức", title="Tổ trưởng tổ dân phố số 9")
    make_person(full_name="Trần Thị Bình")
    _sign_in(page, live_server, organiser)
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_role("link", name="Danh bạ").click()
    page.get_by_label("Tìm kiếm").fill("nguyen van duc")
    page.keyboard.press("Enter")
    page.wait_for_url("**/people/?q=nguyen+van+duc*")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "Nguyễn Văn Đức" in rows.first.inner_text()


def test_secretary_sees_no_administration(page, live_server, make_user):
    _sign_in(page, live_server, make_user(Role.SECRETARY))
    menu = page.get_by_role("navigation", name="Menu chính")
    assert menu.get_by_role("link", name="Hội nghị").is_visible()
    assert menu.get_by_role("link", name="Tài khoản cán bộ").count() == 0
    assert menu.get_by_role("link", name="Danh bạ").count() == 0


def test_language_switch_to_english_and_back(page, live_server, make_user):
    _sign_in(page, live_server, make_user(Role.ADMINISTRATOR))
    # A click starts the switch and its redirect; expect waits for the page they lead to.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Staff accounts")).to_be_visible()
    page.get_by_role("link", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("link", name="Tài khoản cán bộ")).to_be_visible()


def test_wrong_password_message_in_place_on_a_phone(phone, live_server, make_user):
    user = make_user(Role.CHAIR)
    phone.goto(f"{live_server}/auth/login")
    phone.get_by_label("Tên đăng nhập").fill(user.username)
    phone.get_by_label("Mật khẩu").fill("sai mật khẩu")
    phone.get_by_role("button", name="Đăng nhập").click()
    expect(phone.get_by_role("alert")).to_be_visible()
    phone.wait_for_load_state()
    assert phone.get_by_label("Tên đăng nhập").input_value() == user.username
    # Nothing wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_keyboard_reaches_the_sign_in_form_first(page, live_server):
    page.goto(f"{live_server}/auth/login")
    page.keyboard.press("Tab")
    assert (
        page.evaluate("document.activeElement.textContent").strip() == "Chuyển đến nội dung chính"
    )
