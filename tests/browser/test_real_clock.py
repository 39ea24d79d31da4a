"""The real clock in Chromium: an early start asked for and taken back; a 2020 conference typed
in afterwards, its attendance counted, a turn logged, closed, published and read by a resident."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.live.models import Turn
from dialogue.minutes import operations as minutes
from dialogue.wards.models import ResidentialGroup
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("DIALOGUE_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"clock-{name}.png"), full_page=True)


def _conference() -> Conference:
    db.session.rollback()  # the server has written since: read afresh
    return db.session.scalar(sa.select(Conference).order_by(Conference.id.desc()))


def test_an_early_start_is_asked_for_and_can_be_taken_back(
    page, live_server, make_user, make_conference
):
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=12)
    conference = make_conference(
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        status=ConferenceStatus.ANNOUNCED,
        announced_dt=datetime.now(UTC) - timedelta(days=2),
    )
    sign_in(page, live_server, make_user(Role.ORGANISER), english=True)
    page.goto(f"{live_server}/conferences/{conference.id}")
    page.get_by_role("link", name="Start the conference").click()
    page.wait_for_url(f"**/conferences/{conference.id}/start")
    expect(page.get_by_text("It is not yet time")).to_be_visible()
    _shot(page, "1-asks")

    # Without the tick nothing starts, and the page says why, in place.
    page.get_by_role("button", name="Start the conference").click()
    expect(page.locator("#confirm_early-error")).to_be_visible()
    assert _conference().status is ConferenceStatus.ANNOUNCED
    page.get_by_label("Yes, start it now, before the planned time").check()
    page.get_by_role("button", name="Start the conference").click()
    page.wait_for_url(f"**/conferences/{conference.id}")
    expect(page.get_by_text("The conference has started.")).to_be_visible()
    expect(page.locator("#actual-start")).to_contain_text("Started at")
    _shot(page, "2-started")

    page.get_by_role("button", name="Started by mistake: back to announced").click()
    expect(page.get_by_text("The conference is announced again")).to_be_visible()
    stored = _conference()
    assert stored.status is ConferenceStatus.ANNOUNCED and stored.started_dt is None


def test_a_conference_held_in_2020_is_typed_in_published_and_read(
    page, browser, live_server, ward, make_user, make_person
):
    db.session.add(ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9"))
    db.session.commit()
    organiser = make_user(Role.ORGANISER)
    sign_in(page, live_server, organiser, english=True)
    page.goto(f"{live_server}/conferences/")
    page.get_by_role("link", name="Record a conference already held").click()
    page.get_by_label("Title").fill("Hội nghị đối thoại 6 tháng cuối năm 2020")
    page.get_by_label("Date", exact=True).fill("2020-12-22")
    page.get_by_label("Start time").fill("08:00")
    page.get_by_label("End time").fill("10:30")
    page.get_by_label("Venue").fill("Hội trường UBND phường")
    page.get_by_label("Day the notice was posted").fill("2020-12-10")
    page.get_by_label("Day the results were made public").fill("2020-12-28")
    _shot(page, "3-record-form")
    page.get_by_role("button", name="Record the conference").click()
    expect(page.locator("#recorded-afterwards")).to_contain_text("held on 22/12/2020")
    expect(page.get_by_text("the 7-day rule was met")).to_be_visible()
    conference = _conference()
    assert conference.is_recorded_afterwards and conference.status is ConferenceStatus.IN_PROGRESS
    _shot(page, "4-recorded")

    # Attendance as counts from the paper sheets.
    page.get_by_role("link", name="Enter the attendance").click()
    page.get_by_label("Tổ dân phố số 9: present").fill("23")
    page.get_by_role("button", name="Save the counts").click()
    expect(page.get_by_text("The attendance counts have been saved.")).to_be_visible()

    # A turn, typed at the clerk's pace in the console.
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    page.locator("#speaker_name").fill("Ông Lê Văn Tám")
    page.locator("#question").fill("Thủ tục chuyển mục đích sử dụng đất mất bao lâu?")
    page.locator('input[name="outcome"][value="answered"]').check()
    page.locator("#answerer_name").fill("Chủ tịch UBND phường")
    page.locator("#answer").fill("Không quá 15 ngày làm việc.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#turn-list .turn").first.locator(".turn-number")).to_have_text("1")

    # Closed with the end it had in 2020, already filled in.
    page.goto(f"{live_server}/conferences/{conference.id}/close")
    expect(page.locator("#end_date")).to_have_value("2020-12-22")
    expect(page.locator("#end_time")).to_have_value("10:30")
    page.get_by_label("The chair's conclusion").fill("Chủ tịch UBND phường tiếp thu các ý kiến.")
    page.get_by_role("button", name="Close the conference").click()
    page.wait_for_url(f"**/conferences/{conference.id}")
    conference = _conference()
    assert conference.status is ConferenceStatus.CLOSED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Turn)) == 1

    # The minutes go through the usual workflow; the chair publishes.
    conference.secretaries = [organiser]
    conference.chair = make_person(full_name="Nguyễn Văn Chủ", title="Chủ tịch UBND phường")
    for doc_type in (DocumentType.MINUTES, DocumentType.NOTICE):
        draft = minutes.get_or_create_draft(conference, doc_type, organiser)
        minutes.submit_draft(draft, organiser)
        minutes.publish(draft, make_user(Role.CHAIR))
    db.session.commit()

    # A resident reads the published minutes: it says it was typed in afterwards.
    resident = browser.new_page()
    resident.goto(f"{live_server}/p/{ward.slug}/hoi-nghi/{conference.id}")
    expect(resident.locator("#recorded-afterwards")).to_be_visible()
    resident.locator(".notice-links a").first.click()
    article = resident.locator("article.vn-document")
    expect(article).to_contain_text("Thủ tục chuyển mục đích sử dụng đất mất bao lâu?")
    expect(article).not_to_contain_text("Lê Văn Tám")  # the ward names no speaker
    expect(resident.locator(".doc-recorded-note")).to_contain_text(
        "Hội nghị được nhập vào hệ thống sau khi diễn ra"
    )
    expect(resident.locator("article.vn-document")).to_contain_text(
        "8 giờ 00 phút, ngày 22 tháng 12 năm 2020"
    )
    if SHOTS:
        resident.screenshot(path=os.path.join(SHOTS, "clock-5-public.png"), full_page=True)
    resident.close()
