"""The whole loop after the meeting, in Chromium: referred, answered, sent back, approved, read.

The secretary refers a resident's question in the console; the unit answers with a signed
letter; the chair sends it back once, then approves; the resident's private link and the
ward's public page show the answer; the resident's mail arrives at a real SMTP server once.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.followup.models import Referral, ReferralStatus
from dialogue.questions import operations as questions
from dialogue.questions.operations import QuestionData
from dialogue.wards.models import ResidentialGroup, Unit
from tests.browser.support import sign_in
from tests.conftest import Mailbox
from tests.test_followup import pdf_bytes

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "")
QUESTION = "Đề nghị cho biết bao giờ tổ 7 được cấp giấy chứng nhận quyền sử dụng đất?"
RESIDENT = "cu.dan.to7@example.vn"


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"followup-{name}.png"), full_page=True)


@pytest.fixture
def hall(smtp, ward, make_conference, make_user):
    group = ResidentialGroup(ward=ward, number=7, name="Tổ dân phố số 7")
    land = Unit(ward=ward, name="Công chức Địa chính - Xây dựng")
    db.session.add_all([group, land])
    conference = make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=datetime.now(UTC) - timedelta(days=10),
        start_dt=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40),
    )
    secretary = make_user(Role.SECRETARY)
    conference.secretaries.append(secretary)
    responder = make_user(Role.RESPONDER, unit=land, display_name="Phạm Văn Đạt")
    responder.email = "dat.dcxd@thachban.example.vn"
    chair = make_user(Role.CHAIR, display_name="Nguyễn Văn Chủ")
    chair.email = "chutich@thachban.example.vn"
    asked = questions.receive_question(
        conference,
        QuestionData(
            question=QUESTION,
            asker_name="Trần Thị Hỏi",
            residential_group_id=group.id,
            contact=RESIDENT,
            has_contact_consent=True,
        ),
    ).question
    questions.accept_question(asked, by=secretary)
    db.session.commit()
    return conference, secretary, responder, chair, asked


def _sign_out(page, base):
    page.goto(f"{base}/overview")
    page.locator("form[action='/auth/logout'] button").click()
    page.wait_for_url(re.compile(r".*/auth/login.*|.*/$"))


def _mail_to(box: Mailbox, address: str) -> list:
    return [message for message in box.accepted if address in message["To"]]


def test_a_referred_question_is_followed_to_a_published_answer(
    smtp, page, live_server, hall, tmp_path
):
    mailbox = smtp
    conference, secretary, responder, chair, asked = hall

    # The secretary refers the resident's question, taken up as a turn, to the land unit.
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    page.locator("#turn-list .turn").first.get_by_role("button", name="Sửa", exact=True).click()
    expect(page.locator("#question")).to_have_value(QUESTION)
    page.locator("input[name=outcome][value=referred]").check()
    page.select_option("#referral_unit_id", label="Công chức Địa chính - Xây dựng")
    page.locator("#save-button").click()
    expect(page.locator("#turn-list")).to_contain_text("Công chức Địa chính - Xây dựng")
    # The console shows a save at once and sends it behind: sign out once it has arrived.
    expect(page.locator("#net-state")).to_have_attribute("data-waiting", "0")
    _sign_out(page, live_server)
    db.session.commit()
    referral = db.session.query(Referral).one()
    assert referral.status is ReferralStatus.REFERRED

    # The unit finds it on its queue, answers and attaches the signed letter.
    sign_in(page, live_server, responder)
    page.goto(f"{live_server}/referrals/")
    expect(page.locator(".referral-item")).to_have_count(1)
    _shot(page, "1-queue")
    page.locator(".referral-question a").click()
    page.fill("#body", "Ủy ban nhân dân phường đã giao bộ phận địa chính rà soát hồ sơ.")
    page.fill("#letter_number", "45/UBND-ĐCXD")
    letter = tmp_path / "cong-van-45.pdf"
    letter.write_bytes(pdf_bytes())
    page.set_input_files("#attachment", str(letter))
    page.locator("button[name=send]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".status-answer-submitted")).to_be_visible()
    _shot(page, "2-sent")
    _sign_out(page, live_server)

    # The chair sends it back once, with what to change.
    sign_in(page, live_server, chair)
    page.goto(f"{live_server}/referrals/?status=awaiting_approval")
    page.locator(".referral-question a").click()
    page.locator("button[name=review-send_back]").click()
    expect(page.locator("#review-reason-error")).to_be_visible()
    page.fill("#review-reason", "Ghi rõ thời hạn cấp giấy chứng nhận.")
    page.locator("button[name=review-send_back]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    _sign_out(page, live_server)

    # The unit sees why, completes the answer and sends it again.
    sign_in(page, live_server, responder)
    page.goto(f"{live_server}/referrals/{referral.id}")
    expect(page.locator(".callout-warning")).to_contain_text("Ghi rõ thời hạn")
    page.fill(
        "#body",
        "Ủy ban nhân dân phường đã giao bộ phận địa chính rà soát hồ sơ.\n"
        "Giấy chứng nhận của các hộ tổ 7 được cấp trước ngày 25/12/2026.",
    )
    page.locator("button[name=send]").click()
    expect(page.locator(".status-answer-submitted")).to_be_visible()
    _sign_out(page, live_server)

    # The chair approves: published.
    sign_in(page, live_server, chair)
    page.goto(f"{live_server}/referrals/{referral.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("button[name=review-approve]").click()
    expect(page.locator(".answer-published")).to_contain_text("trước ngày 25/12/2026")
    _shot(page, "3-published")
    _sign_out(page, live_server)

    # The resident's private link and the ward's public page say "đã trả lời", with the answer.
    page.goto(f"{live_server}/p/{conference.ward.slug}/cau-hoi/{asked.follow_token}")
    expect(page.locator("body")).to_contain_text("Đã trả lời")
    expect(page.locator("body")).to_contain_text("trước ngày 25/12/2026")
    page.goto(f"{live_server}/p/{conference.ward.slug}/kien-nghi/")
    expect(page.locator("body")).to_contain_text("Đã trả lời")
    expect(page.locator("body")).to_contain_text("trước ngày 25/12/2026")
    assert "Trần Thị Hỏi" not in page.content()
    _shot(page, "4-public")

    # The resident's mail arrived once, with the link; the chair was told twice (two sendings).
    deadline = time.monotonic() + 10
    while not _mail_to(mailbox, RESIDENT) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    resident_mail = _mail_to(mailbox, RESIDENT)
    assert len(resident_mail) == 1
    body = resident_mail[0].get_body(preferencelist=("plain",)).get_content()
    assert "trước ngày 25/12/2026" in body and f"/kien-nghi/{referral.id}" in body
    assert len(_mail_to(mailbox, chair.email)) == 2
