"""A moderator shows residents' questions, a phone supports one, the console puts it first."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.feedback.models import QuestionSupport
from dialogue.questions import operations
from dialogue.questions import views as question_views
from dialogue.questions.models import ResidentQuestion
from dialogue.questions.operations import QuestionData
from dialogue.wards.models import ResidentialGroup
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "/tmp/supports-shots")
FIRST = "Xin hỏi thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?"
SECOND = "Đề nghị phường cho biết thời gian giải quyết hồ sơ cấp phép xây dựng nhà ở riêng lẻ."
ASKER = "Lê Thị Riêng Tư"
CONTACT = "0912 345 678"


def _shot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _watch_console(page) -> list[str]:
    """Script errors and Content-Security-Policy refusals (not failed requests)."""
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.fixture
def hall(ward, make_conference, make_user, monkeypatch):
    # The console asks for the counts every second here, not every fifteen.
    monkeypatch.setattr(question_views, "SUPPORT_REFRESH_SECONDS", 1)
    groups = [ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (5, 9)]
    db.session.add_all(groups)
    conference = make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=datetime.now(UTC) - timedelta(days=10),
        start_dt=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20),
    )
    secretary = make_user(Role.SECRETARY)
    conference.secretaries.append(secretary)
    db.session.commit()
    area = next(a for a in ward.procedure_areas if a.is_active)
    first = operations.receive_question(
        conference,
        QuestionData(
            question=FIRST,
            asker_name=ASKER,
            contact=CONTACT,
            has_contact_consent=True,
            residential_group_id=groups[0].id,
            procedure_area_id=area.id,
        ),
    ).question
    second = operations.receive_question(
        conference, QuestionData(question=SECOND, residential_group_id=groups[1].id)
    ).question
    # The first came earlier: without supports it stays first.
    first.created_dt = datetime.now(UTC) - timedelta(minutes=5)
    db.session.commit()
    return conference, secretary, first, second


def test_a_phone_supports_a_question_and_the_console_takes_it_first(page, phone, live_server, hall):
    conference, secretary, first, second = hall
    staff_problems = _watch_console(page)
    phone_problems = _watch_console(phone)

    # The secretary shows both questions from the console's panel.
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    items = page.locator("#moderation .mq-list .mq-item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-id", str(first.id))
    for question in (first, second):
        item = page.locator(f'#moderation .mq-item[data-id="{question.id}"]')
        item.get_by_role("button", name="Cho hiển thị công khai").click()
        expect(item.locator(".mq-shown")).to_be_visible()
        expect(item.get_by_role("button", name="Thôi hiển thị")).to_be_visible()
    expect(page.locator("#moderation .mq-message")).to_contain_text("hiển thị công khai")

    # A phone reads the list from the notice and supports the second question.
    list_url = f"{live_server}/p/{conference.ward.slug}/hoi-nghi/{conference.id}/cau-hoi"
    phone.goto(f"{live_server}/p/{conference.ward.slug}/hoi-nghi/{conference.id}")
    phone.locator(f"a[href$='/hoi-nghi/{conference.id}/cau-hoi']").click()
    phone.wait_for_url(list_url)
    cards = phone.locator(".sp-list .sp-item")
    expect(cards).to_have_count(2)
    expect(cards.nth(0).locator(".sp-text")).to_have_text(FIRST)
    content = phone.content()
    assert ASKER not in content and CONTACT not in content
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    card = phone.locator(f"#cau-hoi-{second.id}")
    button = card.get_by_role("button", name="Tôi cũng quan tâm")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(card.locator(".sp-count")).to_have_text("1 người quan tâm")
    expect(phone.locator(".sp-message")).to_have_text("Đã ghi nhận sự quan tâm của bạn.")
    expect(card.locator(".sp-pressed")).to_be_visible()
    _shot(phone, "phone-list-supported")

    # On the next visit the list (the same page for everyone) still marks this phone's choice.
    phone.reload()
    expect(button).to_have_attribute("aria-pressed", "true")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # The console puts the supported question first, with its count, without a reload.
    expect(items.nth(0)).to_have_attribute("data-id", str(second.id), timeout=15_000)
    expect(items.nth(0).locator(".mq-supports")).to_have_text("1 người quan tâm")
    expect(items.nth(1).locator(".mq-supports")).to_have_text("0 người quan tâm")
    _shot(page, "console-sorted")

    # Withdrawn from the phone: back to the order of arrival.
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(card.locator(".sp-count")).to_have_text("0 người quan tâm")
    expect(items.nth(0)).to_have_attribute("data-id", str(first.id), timeout=15_000)

    db.session.commit()  # a fresh look at what the server committed
    assert db.session.get(ResidentQuestion, second.id).support_count == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionSupport)) == 0
    assert staff_problems == [] and phone_problems == []


def test_without_a_script_the_phone_still_supports_and_withdraws(browser, live_server, hall):
    conference, secretary, first, second = hall
    for question in (first, second):
        operations.show_question(question, by=secretary)
    db.session.commit()
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, java_script_enabled=False
    )
    try:
        phone = context.new_page()
        list_url = f"{live_server}/p/{conference.ward.slug}/hoi-nghi/{conference.id}/cau-hoi"
        phone.goto(list_url)
        card = phone.locator(f"#cau-hoi-{first.id}")
        card.get_by_role("button", name="Tôi cũng quan tâm").click()
        expect(phone.locator(".flash")).to_have_text("Đã ghi nhận sự quan tâm của bạn.")
        expect(card.locator(".sp-count")).to_have_text("1 người quan tâm")
        card.get_by_role("button", name="Tôi cũng quan tâm").click()
        expect(phone.locator(".flash")).to_have_text("Bạn đã quan tâm câu hỏi này.")
        expect(card.locator(".sp-count")).to_have_text("1 người quan tâm")
        _shot(phone, "phone-list-no-script")
        card.get_by_role("button", name="Bỏ quan tâm").click()
        expect(card.locator(".sp-count")).to_have_text("0 người quan tâm")
    finally:
        context.close()
