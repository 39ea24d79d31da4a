"""An organiser plans a conference in Chromium, orders its agenda with the keyboard, announces it;
a resident then reads the notice on a phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.dates import to_local, vn_date
from dialogue.extensions import db
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser


def _agenda_order(page) -> list[str]:
    return page.locator("#agenda .agenda-title").all_inner_texts()


def test_organiser_plans_orders_and_announces_then_a_phone_reads_the_notice(
    page, phone, live_server, make_user, make_person, ward
):
    organiser = make_user(Role.ORGANISER)
    leaders = {c.code: c for c in ward.delegate_categories}
    make_person(
        full_name="Nguyễn Văn A",
        title="Chủ tịch UBND phường",
        delegate_category=leaders["UBND"],
        phone="0912 345 678",
        has_consent=True,
    )
    make_person(
        full_name="Trần Thị B", title="Chủ tịch UBMTTQ phường", delegate_category=leaders["MTTQ"]
    )
    make_person(full_name="Hoàng Văn Đức", title="Công chức Một cửa")
    day = to_local(datetime.now(UTC), ward.timezone).date() + timedelta(days=30)

    sign_in(page, live_server, organiser, english=True)
    page.goto(f"{live_server}/conferences/")
    page.get_by_role("link", name="New conference").click()

    page.get_by_label("Conference title", exact=True).fill(
        "Hội nghị đối thoại cải cách thủ tục hành chính"
    )
    page.get_by_label("Plan number").fill("39/KH-UBND")
    page.get_by_label("Reporting period").fill("6 tháng đầu năm 2020")
    page.locator("#start_date").fill(day.isoformat())
    page.locator("#start_time").fill("08:00")
    page.locator("#end_time").fill("11:00")
    page.get_by_label("Venue").fill("Hội trường UBND phường")
    page.get_by_label("Chair", exact=True).select_option(
        label="Nguyễn Văn A - Chủ tịch UBND phường"
    )
    page.get_by_label("Trần Thị B - Chủ tịch UBMTTQ phường").check()
    # The reporter is not a leader: found by searching without accents.
    page.locator("#reporter_id-search").fill("hoang van duc")
    page.get_by_role("button", name="Hoàng Văn Đức - Công chức Một cửa").click()
    assert (
        page.locator("#reporter_id option:checked").inner_text()
        == "Hoàng Văn Đức - Công chức Một cửa"
    )
    page.get_by_role("button", name="Save the draft").click()

    page.wait_for_url(re.compile(r"/conferences/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Hội nghị đối thoại cải cách thủ tục hành chính"
    )
    assert page.get_by_text("30 days to go.").is_visible()

    page.get_by_role("link", name="Edit the agenda").first.click()
    for title in ("Khai mạc", "Báo cáo kết quả giải quyết thủ tục hành chính", "Đối thoại"):
        page.get_by_label("Agenda item", exact=True).fill(title)
        page.get_by_role("button", name="Add to the agenda").click()
        page.wait_for_selector(f"#agenda .agenda-title:text-is('{title}')")
    assert _agenda_order(page) == [
        "Khai mạc",
        "Báo cáo kết quả giải quyết thủ tục hành chính",
        "Đối thoại",
    ]

    # Keyboard only: focus a move button, press Enter; the focus stays with the moved item.
    # The script is bound once the items are draggable; before, Enter would send the form.
    expect(page.locator("#agenda li[draggable=true]")).to_have_count(3)
    page.get_by_role("button", name="Move “Đối thoại” up").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#agenda-status")).to_have_text("The new order has been saved.")
    assert _agenda_order(page) == [
        "Khai mạc",
        "Đối thoại",
        "Báo cáo kết quả giải quyết thủ tục hành chính",
    ]
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Move “Đối thoại” up"
    page.keyboard.press("Enter")
    expect(page.locator("#agenda .agenda-title").first).to_have_text("Đối thoại")
    # The first item's "up" is disabled now: the focus moved to its "down" button.
    assert (
        page.evaluate("document.activeElement.getAttribute('aria-label')")
        == "Move “Đối thoại” down"
    )
    page.evaluate("document.querySelector('#agenda-status').textContent = ''")
    page.keyboard.press("Enter")
    expect(page.locator("#agenda .agenda-title").first).to_have_text("Khai mạc")
    expect(page.locator("#agenda-status")).to_have_text("The new order has been saved.")
    page.reload()  # saved on the server, not only moved on the screen
    assert _agenda_order(page) == [
        "Khai mạc",
        "Đối thoại",
        "Báo cáo kết quả giải quyết thủ tục hành chính",
    ]
    assert page.locator("#agenda [data-position]").all_inner_texts() == ["1.", "2.", "3."]

    page.get_by_role("link", name="Done: back to the conference").click()
    page.get_by_role("button", name="Announce", exact=True).click()
    expect(page.get_by_text("The conference has been announced")).to_be_visible()
    notice_path = page.get_by_role("link", name="The notice residents see").get_attribute("href")

    db.session.rollback()  # end the test's own snapshot: the server wrote since
    conference = db.session.scalars(db.select(Conference)).one()
    assert conference.status is ConferenceStatus.ANNOUNCED
    assert [item.title for item in conference.agenda_items] == [
        "Khai mạc",
        "Đối thoại",
        "Báo cáo kết quả giải quyết thủ tục hành chính",
    ]

    # A resident, no account, on a 360 px phone.
    phone.goto(f"{live_server}{notice_path}")
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "Hội nghị đối thoại cải cách thủ tục hành chính"
    )
    text = phone.locator("main").inner_text()
    assert vn_date(conference.start_dt, tz=ward.timezone) in text
    assert "8 giờ 00 phút" in text
    assert "Hội trường UBND phường" in text
    assert "0912 345 678" not in text
    items = phone.locator(".notice-agenda li").all_inner_texts()
    assert items == ["Khai mạc", "Đối thoại", "Báo cáo kết quả giải quyết thủ tục hành chính"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    body_size = phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body_size >= 18
    assert phone.locator("a[href$='/thong-bao.pdf']").is_visible()
    assert phone.locator("a[href$='/lich.ics']").is_visible()


def test_agenda_items_are_reordered_by_dragging(page, live_server, make_user, make_conference):
    from dialogue.conferences import operations
    from dialogue.conferences.operations import AgendaItemData

    conference = make_conference()
    for title in ("Khai mạc", "Báo cáo", "Đối thoại"):
        operations.add_agenda_item(conference, AgendaItemData(title=title))
    db.session.commit()
    sign_in(page, live_server, make_user(Role.ORGANISER), english=True)
    page.goto(f"{live_server}/conferences/{conference.id}/agenda")
    items = page.locator("#agenda li[data-item-id]")
    # The script makes the items draggable once it is bound; dragging before would do nothing.
    expect(page.locator("#agenda li[draggable=true]")).to_have_count(3)
    items.nth(2).drag_to(items.nth(0), target_position={"x": 20, "y": 5})
    # A loaded machine (two suites side by side) may take longer than the default to save.
    expect(page.locator("#agenda-status")).to_have_text(
        "The new order has been saved.", timeout=15_000
    )
    assert _agenda_order(page) == ["Đối thoại", "Khai mạc", "Báo cáo"]
    assert page.locator("#agenda [data-position]").all_inner_texts() == ["1.", "2.", "3."]
    page.reload()
    assert _agenda_order(page) == ["Đối thoại", "Khai mạc", "Báo cáo"]
