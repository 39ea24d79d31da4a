"""Two check-in desks at the door: a scanner types a code, a name is found without diacritics,
and the other desk sees both check-ins without reloading."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dialogue.attendance.models import Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.wards.models import ResidentialGroup
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser


def _watch_console(page) -> list[str]:
    """Collect script errors and Content-Security-Policy refusals (not failed requests)."""
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.fixture
def door(ward, make_conference):
    groups = [ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (1, 2)]
    db.session.add_all(groups)
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS)
    a = Attendee(
        conference_id=conference.id,
        full_name="Nguyễn Văn A",
        residential_group=groups[0],
        is_invited=True,
    )
    duc = Attendee(
        conference_id=conference.id,
        full_name="Nguyễn Văn Đức",
        title="Tổ trưởng tổ dân phố số 2",
        residential_group=groups[1],
        is_invited=True,
    )
    dung = Attendee(
        conference_id=conference.id,
        full_name="Nguyễn Văn Dũng",
        residential_group=groups[1],
        is_invited=True,
    )
    db.session.add_all([a, duc, dung])
    db.session.commit()
    return conference, a.token


def test_two_desks_see_each_others_check_ins(browser, page, live_server, make_user, door):
    conference, token = door
    # Everything the test writes is written before the browsers start (SQLite snapshots).
    organiser, secretary = make_user(Role.ORGANISER), make_user(Role.SECRETARY)
    desk_url = f"{live_server}/conferences/{conference.id}/attendance/"
    problems = _watch_console(page)

    # The second desk opens first and waits.
    second_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    second = second_context.new_page()
    second.set_default_timeout(10_000)
    try:
        sign_in(second, live_server, secretary)
        second.goto(desk_url)
        expect(second.locator("#total-present")).to_have_text("0")
        # A mark on the page's window: a reload would lose it.
        second.evaluate("window.deskNotReloaded = true")

        sign_in(page, live_server, organiser)
        page.goto(desk_url)
        # The scanning box has the focus (autofocus, given as the page is drawn, which may come
        # after its load): a USB scanner types the code and Enter.
        expect(page.locator("#token")).to_be_focused()
        page.keyboard.type(token)
        page.keyboard.press("Enter")
        message = page.locator("#desk-message")
        expect(message).to_contain_text("Nguyễn Văn A")
        expect(message.locator("p")).to_have_class(re.compile("level-success"))
        expect(page.locator("#token")).to_have_value("")
        assert page.evaluate("document.activeElement.id") == "token"

        # A name typed without diacritics.
        page.locator("#q").press_sequentially("nguyen van duc", delay=20)
        result = page.locator("#search-results li.result", has_text="Nguyễn Văn Đức")
        expect(result).to_have_count(1)
        expect(page.locator("#search-results li.result")).to_have_count(1)
        result.locator('button[value="present"]').click()
        expect(message).to_contain_text("Nguyễn Văn Đức")
        expect(result.locator(".status")).to_have_class(re.compile("status-present"))

        # The second desk, without reloading, within a few seconds.
        latest = second.locator("#latest-list")
        expect(latest).to_contain_text("Nguyễn Văn A", timeout=8_000)
        expect(latest).to_contain_text("Nguyễn Văn Đức", timeout=8_000)
        expect(second.locator("#total-present")).to_have_text("2")
        expect(second.locator("#total-invited")).to_have_text("3")
        assert second.evaluate("window.deskNotReloaded === true")

        # The counts page follows too.
        second.goto(f"{desk_url}counts")
        expect(second.locator("#total-present")).to_have_text("2")
        page.locator("#token").fill(token)
        page.locator("#token").press("Enter")
        result.locator('button[value="excused"]').click()
        expect(second.locator("#total-excused")).to_have_text("1", timeout=8_000)
        expect(second.locator("#total-present")).to_have_text("1")
    finally:
        second_context.close()
    assert problems == []


def test_a_failed_check_in_keeps_the_code_and_a_repeat_is_harmless(
    page, live_server, make_user, door
):
    conference, token = door
    problems = _watch_console(page)
    sign_in(page, live_server, make_user(Role.ORGANISER))
    page.goto(f"{live_server}/conferences/{conference.id}/attendance/")
    message = page.locator("#desk-message")
    expect(page.locator("#token")).to_be_focused()

    # The connection drops: the code stays in the box, Enter sends it again.
    page.route("**/attendance/code", lambda route: route.abort())
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    expect(message.locator("p")).to_have_class(re.compile("level-error"))
    expect(page.locator("#token")).to_have_value(token)
    page.unroute("**/attendance/code")
    page.locator("#token").press("Enter")
    expect(message.locator("p")).to_have_class(re.compile("level-success"))

    # The same letter again: harmless, and it says since when.
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    expect(message.locator("p")).to_have_class(re.compile("level-info"))
    expect(message).to_contain_text(re.compile(r"Nguyễn Văn A.*\d\d:\d\d"))

    # A forged code: a clear message, and the box ready for the next scan.
    page.keyboard.type("ZZZZZZZZZZZZZZZZZZZZZZZZ")
    page.keyboard.press("Enter")
    expect(message.locator("p")).to_have_class(re.compile("level-error"))
    expect(page.locator("#token")).to_have_value("")
    assert page.evaluate("document.activeElement.id") == "token"
    assert problems == []


def test_the_desk_fits_a_phone(phone, live_server, make_user, door):
    conference, _token = door
    sign_in(phone, live_server, make_user(Role.SECRETARY))
    phone.goto(f"{live_server}/conferences/{conference.id}/attendance/")
    phone.locator("#q").press_sequentially("dung", delay=20)
    result = phone.locator("#search-results li.result", has_text="Nguyễn Văn Dũng")
    expect(result).to_have_count(1)
    # Nothing wider than the screen; targets a thumb can hit.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.locator("#token").bounding_box()["height"] >= 44
    assert result.locator('button[value="present"]').bounding_box()["height"] >= 44
    # Where the browser cannot read QR codes, the camera button says so; the box remains.
    camera = phone.locator("#camera-button")
    expect(camera).to_be_visible()
    if not phone.evaluate("'BarcodeDetector' in window"):
        expect(camera).to_be_disabled()
        unavailable = phone.locator("#desk").get_attribute("data-text-camera-none")
        expect(camera).to_have_text(unavailable)
        assert phone.locator("#token").is_enabled()
