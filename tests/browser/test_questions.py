"""A resident sends a question from a phone and follows it; a secretary moderates the queue."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.live.models import TurnOutcome
from dialogue.live.operations import TurnData, checked_turn_data
from dialogue.questions import operations
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.questions.operations import QuestionData
from dialogue.wards.models import ResidentialGroup
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "")
QUESTION = "Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ mất bao nhiêu ngày?"


@pytest.fixture
def app_config(app_config):
    # A person takes longer than this to type; the test's typing should not wait three seconds.
    return {**app_config, "QUESTION_FORM_MIN_SECONDS": 1}


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def _fresh() -> None:
    """End the test's read transaction: SQLite would show it the database as it was before."""
    db.session.commit()


def _watch_console(page) -> list[str]:
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.fixture
def hall(ward, make_conference, make_user):
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
    return conference, groups, secretary


def test_a_resident_sends_a_question_and_sees_it_taken_up(phone, live_server, hall):
    conference, groups, secretary = hall
    problems = _watch_console(phone)
    notice = f"{live_server}/p/{conference.ward.slug}/hoi-nghi/{conference.id}"
    phone.goto(notice)
    phone.locator("a.button[href$='/gui-cau-hoi']").click()
    phone.wait_for_selector("form.ask-form")
    phone.wait_for_load_state()
    # Nothing on the form is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.fill("#question", "")
    phone.locator("button.ask-send").click()
    expect(phone.locator("#question-error")).to_be_visible()

    phone.fill("#question", QUESTION)
    # As long as a person would take to type it: a form sent back at once is not taken.
    phone.wait_for_timeout(1100)
    phone.select_option("#residential_group_id", str(groups[1].id))
    phone.fill("#asker_name", "Lê Thị Hỏi")
    phone.fill("#contact", "0912 345 678")
    _shot(phone, "ask-filled")
    phone.locator("button.ask-send").click()
    # A contact without consent: asked in place, nothing lost.
    expect(phone.locator("#has_contact_consent-error")).to_be_visible()
    expect(phone.locator("#question")).to_have_value(QUESTION)
    expect(phone.locator("#contact")).to_have_value("0912 345 678")
    _shot(phone, "ask-consent")
    phone.check("#has_contact_consent")
    phone.wait_for_timeout(1100)
    phone.locator("button.ask-send").click()

    phone.wait_for_selector(".follow-sent")
    link = phone.input_value("#follow-url")
    assert "/cau-hoi/" in link and "sent" not in link
    expect(phone.locator("#follow-copy")).to_be_visible()
    expect(phone.locator(".follow-question")).to_have_text(QUESTION)
    expect(phone.locator(".follow-fate-waiting")).to_be_visible()
    assert "Lê Thị Hỏi" not in phone.content() and "0912 345 678" not in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(phone, "follow-sent")

    # The secretary takes it up, then records the answer given in the hall.
    _fresh()
    question = db.session.scalar(
        sa.select(ResidentQuestion).where(ResidentQuestion.conference_id == conference.id)
    )
    assert question.asker_name == "Lê Thị Hỏi" and question.has_contact_consent
    operations.accept_question(question, by=secretary)
    db.session.commit()
    phone.goto(link)
    expect(phone.locator(".follow-fate-accepted")).to_be_visible()
    expect(phone.locator(".follow-status")).to_contain_text("1")
    values = checked_turn_data(
        conference,
        TurnData(
            question=question.turn.question,
            speaker_group_id=groups[1].id,
            outcome=TurnOutcome.ANSWERED,
            answerer_name="Ông Nguyễn Văn A - Chủ tịch UBND phường",
            answer="Giải quyết trong 15 ngày kể từ ngày nhận đủ hồ sơ hợp lệ.",
        ),
    )
    for name, value in values.items():
        setattr(question.turn, name, value)
    db.session.commit()
    phone.reload()
    expect(phone.locator(".follow-answer")).to_have_text(
        "Giải quyết trong 15 ngày kể từ ngày nhận đủ hồ sơ hợp lệ."
    )
    _shot(phone, "follow-answered")
    assert problems == []


def test_a_secretary_moderates_the_queue_without_reloading(page, live_server, hall):
    conference, groups, secretary = hall
    first = operations.receive_question(
        conference,
        QuestionData(
            question="Hỏi về đăng ký khai sinh cho con <b>",
            asker_name="Trần Văn Gửi",
            residential_group_id=groups[0].id,
        ),
    ).question
    second = operations.receive_question(
        conference, QuestionData(question="Quảng cáo dịch vụ làm sổ đỏ nhanh")
    ).question
    db.session.commit()
    problems = _watch_console(page)
    page.goto(f"{live_server}/auth/login")
    page.fill("#username", secretary.username)
    page.fill("#password", PASSWORD)
    page.locator("form[action='/auth/login'] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/overview")

    page.goto(f"{live_server}/conferences/{conference.id}/questions/")
    items = page.locator(".mq-list .mq-item")
    expect(items).to_have_count(2)
    expect(items.first.locator(".mq-text")).to_have_text("Hỏi về đăng ký khai sinh cho con <b>")
    expect(items.first.locator(".mq-asker-name")).to_have_text("Trần Văn Gửi")
    _shot(page, "queue")

    # Turning down without a reason is refused in place; with one, the item goes.
    rejecting = page.locator(f'.mq-item[data-id="{second.id}"]')
    rejecting.locator("details.mq-more summary").nth(1).click()
    rejecting.locator("textarea.mq-reason").fill(" ")
    rejecting.locator("form.mq-reject button").click()
    expect(rejecting.locator(".mq-error")).to_be_visible()
    rejecting.locator("textarea.mq-reason").fill("Không phải câu hỏi về thủ tục hành chính.")
    # A question arriving while the reason is typed neither moves nor empties the box.
    _fresh()
    third = operations.receive_question(
        conference, QuestionData(question="Câu hỏi đến trong lúc đang gõ")
    ).question
    db.session.commit()
    page.evaluate("window.DialogueModeration.refresh()")
    expect(items).to_have_count(3)
    expect(rejecting.locator("textarea.mq-reason")).to_be_focused()
    expect(rejecting.locator("textarea.mq-reason")).to_have_value(
        "Không phải câu hỏi về thủ tục hành chính."
    )
    expect(page.locator(f'.mq-item[data-id="{first.id}"] select.mq-target option')).to_have_count(3)
    rejecting.locator("form.mq-reject button").click()
    expect(items).to_have_count(2)
    expect(page.locator(".mq-count")).to_have_text("2")

    # The newcomer is the same question as the first: merged into it, from the list.
    page.locator(f'.mq-item[data-id="{third.id}"] details.mq-more summary').first.click()
    page.select_option(f"#mq-target-{third.id}", f"question:{first.id}")
    page.locator(f'.mq-item[data-id="{third.id}"] form.mq-merge button').click()
    expect(items).to_have_count(1)

    page.locator(f'.mq-item[data-id="{first.id}"] form.mq-accept button').click()
    expect(page.locator(".mq-empty")).to_be_visible()
    expect(page.locator(".mq-message")).to_contain_text("1")
    _shot(page, "queue-done")

    # A question sent meanwhile appears on its own (the panel asks the queue when idle).
    _fresh()
    operations.receive_question(conference, QuestionData(question="Câu hỏi mới từ điện thoại"))
    db.session.commit()
    page.evaluate("window.DialogueModeration.refresh()")
    expect(page.locator(".mq-list .mq-item .mq-text")).to_have_text("Câu hỏi mới từ điện thoại")

    _fresh()
    assert db.session.get(ResidentQuestion, first.id).status is QuestionStatus.ACCEPTED
    assert db.session.get(ResidentQuestion, second.id).status is QuestionStatus.REJECTED
    assert db.session.get(ResidentQuestion, third.id).merged_into_id == first.id
    assert problems == []
