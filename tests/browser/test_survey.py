"""The satisfaction survey in a real browser: a resident answers on a 360 px phone through the
projector's QR code and changes the answer; a secretary types a stack of paper forms without
leaving the keyboard; the results page draws its chart."""

from __future__ import annotations

import base64
import io
import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.feedback.models import ResponseSource, SurveyResponse
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def _watch_console(page) -> list[str]:
    problems: list[str] = []

    def on_console(message):
        # A refused line is answered 422 on purpose; the browser logs any such status.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _responses(conference) -> list[SurveyResponse]:
    db.session.commit()  # a fresh snapshot: the server wrote in its own transactions
    return list(
        db.session.scalars(
            sa.select(SurveyResponse)
            .where(SurveyResponse.conference_id == conference.id)
            .order_by(SurveyResponse.id)
        )
    )


@pytest.fixture
def hall(make_conference, make_user):
    now = datetime.now(UTC).replace(microsecond=0)
    conference = make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=now - timedelta(days=10),
        start_dt=now - timedelta(minutes=40),
        started_dt=now - timedelta(minutes=40),
        planned_end_dt=now + timedelta(hours=2),
    )
    secretary = make_user(Role.SECRETARY, display_name="Vũ Đức Thư Ký")
    conference.secretaries.append(secretary)
    db.session.add_all(
        Attendee(conference=conference, full_name=f"Người dự {n}", status=AttendanceStatus.PRESENT)
        for n in range(3)
    )
    db.session.commit()
    return conference, secretary


def _qr_address(page) -> str:
    """Read the survey's QR code off the projector the way a phone camera would."""
    source = page.locator(".projector-survey-qr img").get_attribute("src")
    image = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
    [code] = zxingcpp.read_barcodes(image)
    return code.text


def test_a_resident_answers_on_a_phone_through_the_qr_code_and_changes_the_answer(
    browser, phone, live_server, hall
):
    conference, _secretary = hall
    base = f"{live_server}/p/{conference.ward.slug}/hoi-nghi/{conference.id}"
    projector = browser.new_page(viewport={"width": 1600, "height": 900})
    projector.goto(f"{base}/man-hinh")
    expect(projector.locator(".projector-survey-qr")).to_be_visible()
    _shot(projector, "survey-projector")
    address = _qr_address(projector)
    projector.close()
    assert address == f"{base}/khao-sat"

    problems = _watch_console(phone)
    phone.goto(address)
    expect(phone.locator("h1")).to_have_text("Phiếu khảo sát sự hài lòng")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    # Every question is a group with its legend; radios are reached by their labels.
    assert phone.locator("fieldset legend").count() == 6
    _shot(phone, "survey-phone-empty")

    phone.get_by_role("group", name="1. Tiếp cận dịch vụ").get_by_text("Rất hài lòng").click()
    phone.get_by_role("group", name="2. Thủ tục hành chính").get_by_text(
        "Hài lòng", exact=True
    ).click()
    phone.get_by_role("group", name="4. Kết quả giải quyết").get_by_text("Bình thường").click()
    phone.get_by_role("group", name="6. Số lần phải đi lại").get_by_text("1 lần").click()
    phone.fill("#comment", "Đề nghị niêm yết thêm hướng dẫn ở tầng 1.")
    _shot(phone, "survey-phone-filled")
    phone.get_by_role("button", name="Gửi phiếu trả lời").click()

    expect(phone.locator("#survey-thanks")).to_contain_text("Cảm ơn Ông/Bà")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(phone, "survey-phone-thanks")
    [answer] = _responses(conference)
    assert (answer.access, answer.procedures, answer.officials, answer.results) == (5, 4, None, 3)
    assert answer.visits == 1 and answer.source is ResponseSource.ONLINE

    # Later the same phone changes its mind: the form shows the answer, the row changes.
    phone.goto(address)
    expect(phone.locator("input[name=access][value='5']")).to_be_checked()
    expect(phone.locator(".survey-previous")).to_be_visible()
    phone.get_by_role("group", name="1. Tiếp cận dịch vụ").get_by_text(
        "Không hài lòng", exact=True
    ).click()
    phone.get_by_role("group", name="4. Kết quả giải quyết").get_by_text("Không trả lời").click()
    phone.get_by_role("button", name="Gửi lại phiếu đã sửa").click()
    expect(phone.locator("#survey-thanks")).to_contain_text("Đã cập nhật")
    _shot(phone, "survey-phone-changed")
    [changed] = _responses(conference)
    assert changed.id == answer.id
    assert (changed.access, changed.procedures, changed.results) == (2, 4, None)
    assert problems == []


def test_a_secretary_types_three_paper_forms_without_the_mouse(page, live_server, hall):
    conference, secretary = hall
    problems = _watch_console(page)
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}/survey/paper")
    expect(page.locator("#tally")).to_be_focused()

    page.keyboard.type("54453 1")
    page.keyboard.press("Enter")
    expect(page.locator("#paper-message")).to_have_text("Đã lưu phiếu số 1: 54453 1.")
    expect(page.locator("#tally")).to_be_focused()
    expect(page.locator("#tally")).to_have_value("")
    expect(page.locator("#paper_number")).to_have_value("2")

    page.keyboard.type("5 5 4 - 4 0")
    page.keyboard.press("Tab")
    page.keyboard.type("Cán bộ một cửa nhiệt tình")
    page.keyboard.press("Enter")
    expect(page.locator("#paper-message")).to_have_text("Đã lưu phiếu số 2: 554-4 0.")
    expect(page.locator("#tally")).to_be_focused()

    # A typo: said in place, the line kept, the cursor still in it.
    page.keyboard.type("54473 1")
    page.keyboard.press("Tab")
    page.keyboard.type("Giữ ý kiến này")
    page.keyboard.press("Enter")
    expect(page.locator("#paper-message")).to_contain_text("Ký tự thứ 4, “7”, không phải là điểm")
    expect(page.locator("#tally")).to_be_focused()
    expect(page.locator("#tally")).to_have_value("54473 1")
    expect(page.locator("#tally")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#comment")).to_have_value("Giữ ý kiến này")
    _shot(page, "survey-paper-typo")
    page.keyboard.press("Control+A")
    page.keyboard.type("54443 1")
    page.keyboard.press("Enter")
    expect(page.locator("#paper-message")).to_have_text("Đã lưu phiếu số 3: 54443 1.")
    expect(page.locator("#tally")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#paper-entries > li")).to_have_count(3)
    expect(page.locator("#paper-summary")).to_contain_text("3 phiếu giấy")
    _shot(page, "survey-paper-three")

    saved = _responses(conference)
    assert [(r.paper_number, r.access, r.results, r.visits) for r in saved] == [
        (1, 5, 5, 1),
        (2, 5, None, 0),
        (3, 5, 4, 1),
    ]
    assert saved[2].comment == "Giữ ý kiến này"
    assert all(r.source is ResponseSource.PAPER for r in saved)

    # One more than the people present: a warning, nothing refused.
    page.keyboard.type("33333")
    page.keyboard.press("Enter")
    expect(page.locator(".paper-warning")).to_contain_text("3 người có mặt")
    # Taken back from the list: the row and the count go.
    page.locator("#paper-entries > li").first.get_by_role("button").click()
    expect(page.locator("#paper-entries > li")).to_have_count(3)
    expect(page.locator(".paper-warning")).to_have_count(0)
    expect(page.locator("#tally")).to_be_focused()
    assert len(_responses(conference)) == 3
    assert problems == []

    page.goto(f"{live_server}/conferences/{conference.id}/survey/results")
    expect(page.locator("svg.survey-bar")).to_have_count(6)
    _shot(page, "survey-results-desktop")


def test_the_results_read_on_a_phone(phone, live_server, hall, make_user):
    conference, _secretary = hall
    rows = [(5, 4, 4, 5, 3, 1), (4, 4, 3, 4, 2, 0), (5, 5, 5, 4, 4, 0), (2, 1, 3, 4, 5, 2)]
    for row in rows:
        response = SurveyResponse(conference=conference, source=ResponseSource.PAPER)
        for name, value in zip(
            ("access", "procedures", "officials", "results", "feedback", "visits"),
            row,
            strict=True,
        ):
            setattr(response, name, value)
        db.session.add(response)
    conference.status = ConferenceStatus.CLOSED
    db.session.commit()
    conference.status = ConferenceStatus.PUBLISHED
    db.session.commit()
    phone.goto(f"{live_server}/p/{conference.ward.slug}/hoi-nghi/{conference.id}/ket-qua-khao-sat")
    expect(phone.locator("svg.survey-bar")).to_have_count(6)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(phone, "survey-public-results-phone")
