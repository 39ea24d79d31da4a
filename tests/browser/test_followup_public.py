"""A resident follows the referred questions of their ward on a 360 px phone: from the ward's
page to the follow-up page, filtered and searched without accents, to one answered referral and
its signed letter; then from the published minutes (where the QR code of the paper copy leads)
to their follow-up section."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from dialogue.extensions import db
from dialogue.followup.models import ReferralStatus
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.wards.models import ResidentialGroup, Unit
from tests.test_archive import pdf_of, publish_rendered
from tests.test_followup_public import (
    LAND_QUESTION,
    ROAD_QUESTION,
    SOCIAL_QUESTION,
    answer,
    area,
    at,
    held,
    refer,
)

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "/tmp/followup-shots")
LETTER = "Công văn số 125/UBND-ĐC trả lời kiến nghị"


def _shot(tab, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    tab.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _overflow(tab) -> int:
    return tab.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _watch_console(tab) -> list[str]:
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.fixture
def world(app, ward, make_conference, monkeypatch):
    """The 30/6/2020 conference, published, with three referrals (one asked from a phone);
    today is 20/7/2020."""
    land_unit = Unit(ward=ward, name="Công chức Địa chính - Xây dựng")
    social_unit = Unit(ward=ward, name="Công chức Văn hóa - Xã hội")
    group5 = ResidentialGroup(ward=ward, number=5, name="Tổ dân phố số 5")
    group9 = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    db.session.add_all([land_unit, social_unit, group5, group9])
    db.session.commit()
    conference = held(make_conference)
    due = date(2020, 7, 10)
    land = refer(
        conference,
        LAND_QUESTION,
        position=3,
        unit=land_unit,
        due=due,
        area=area(ward, "DD"),
        group=group9,
    )
    refer(
        conference,
        ROAD_QUESTION,
        position=5,
        unit=land_unit,
        due=due,
        area=area(ward, "XD"),
        group=group5,
    )
    social = refer(
        conference, SOCIAL_QUESTION, position=7, unit=social_unit, due=due, area=area(ward, "BTXH")
    )
    answer(
        land,
        on=date(2020, 7, 13),
        letter_number="125/UBND-ĐC",
        letter_date=date(2020, 7, 13),
        pdf=pdf_of(LETTER),
    )
    social.status = ReferralStatus.IN_PROGRESS
    db.session.commit()
    question = ResidentQuestion(
        conference=conference,
        asker_name="Lê Văn Người Gửi",
        question=LAND_QUESTION,
        status=QuestionStatus.ACCEPTED,
        turn=land.turn,
    )
    db.session.add(question)
    db.session.commit()
    with app.test_request_context():
        document = publish_rendered(conference)
    at(datetime(2020, 7, 20, 3, tzinfo=UTC), monkeypatch)
    return ward, document, land, question


def test_a_resident_follows_the_referred_questions_on_a_phone(live_server, phone, page, world):
    ward, document, land, question = world
    problems = _watch_console(phone)

    phone.goto(f"{live_server}/p/{ward.slug}/")
    phone.get_by_role("link", name="Theo dõi trả lời kiến nghị").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Theo dõi trả lời kiến nghị")
    referrals = phone.locator("article.referral")
    expect(referrals).to_have_count(3)
    counts = phone.get_by_role("navigation", name="Số kiến nghị theo trạng thái")
    expect(counts.get_by_role("link", name="Quá hạn 2")).to_be_visible()
    assert _overflow(phone) <= 0
    _shot(phone, "referrals-360.png")

    # Only the overdue ones, through the plain form.
    phone.get_by_label("Trạng thái", exact=True).select_option("overdue")
    phone.get_by_role("button", name="Xem", exact=True).click()
    expect(referrals).to_have_count(2)
    expect(phone.locator(".referral-when-overdue").first).to_have_text("Quá hạn 10 ngày")
    expect(counts.get_by_role("link", name="Quá hạn 2")).to_have_attribute("aria-current", "page")
    assert _overflow(phone) <= 0

    # Words typed without accents; the status chosen before is kept until cleared.
    phone.get_by_role("link", name="Xem tất cả").click()
    expect(referrals).to_have_count(3)
    phone.get_by_label("Từ ngữ trong kiến nghị, tên đơn vị hoặc nội dung trả lời").fill("dat dai")
    phone.get_by_role("button", name="Xem", exact=True).click()
    expect(referrals).to_have_count(1)
    expect(referrals.locator(".referral-question")).to_have_text(LAND_QUESTION)
    _shot(phone, "referrals-search-360.png")

    # The answered one, on its own page.
    referrals.get_by_role("link", name=re.compile("Lượt phát biểu số 1")).click()
    expect(phone).to_have_url(f"{live_server}/p/{ward.slug}/kien-nghi/{land.id}")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Lượt phát biểu số 1")
    expect(phone.locator(".referral-status")).to_have_text("Đã trả lời")
    expect(phone.locator(".referral-when")).to_have_text("Trả lời muộn 3 ngày")
    expect(phone.locator(".referral-letter")).to_have_text("Số: 125/UBND-ĐC, ngày 13/07/2020")
    assert "Phạm Thị Riêng Tư" not in phone.locator("main").inner_text()
    assert _overflow(phone) <= 0
    _shot(phone, "referral-360.png")
    with phone.expect_download() as download:
        phone.get_by_role("link", name=re.compile("Văn bản trả lời có chữ ký số")).click()
    assert download.value.suggested_filename == f"tra-loi-kien-nghi-{land.id}.pdf"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == pdf_of(LETTER)

    # Where the QR code of the posted minutes leads: the pointer at the top, then the section.
    phone.goto(f"{live_server}/d/{document.public_code}")
    pointer = phone.locator(".archive-followup-pointer")
    expect(pointer).to_contain_text("3 kiến nghị, 1 đã trả lời, 2 quá hạn")
    assert pointer.evaluate("e => e.getBoundingClientRect().top") < 740 * 1.5
    pointer.get_by_role("link", name="Theo dõi trả lời kiến nghị").click()
    expect(phone).to_have_url(re.compile("#theo-doi-kien-nghi$"))
    heading = phone.get_by_role("heading", name="Theo dõi trả lời kiến nghị", level=2)
    expect(heading).to_be_in_viewport()
    expect(phone.locator("#theo-doi-kien-nghi article.referral")).to_have_count(3)
    assert _overflow(phone) <= 0
    _shot(phone, "minutes-followup-360.png")
    # The sender's private link follows the same referral to its answer.
    phone.goto(f"{live_server}/p/{ward.slug}/cau-hoi/{question.follow_token}")
    expect(phone.locator(".follow-followup .referral-when")).to_have_text("Trả lời muộn 3 ngày")
    expect(phone.locator(".follow-followup .referral-file a")).to_be_visible()
    assert _overflow(phone) <= 0
    _shot(phone, "follow-360.png")
    assert problems == []

    # The same pages on a desktop screen.
    page.goto(f"{live_server}/p/{ward.slug}/kien-nghi/")
    expect(page.locator("article.referral")).to_have_count(3)
    assert _overflow(page) <= 0
    _shot(page, "referrals-1280.png")
    page.goto(f"{live_server}/p/{ward.slug}/kien-nghi/{land.id}")
    _shot(page, "referral-1280.png")
