"""The small things, tried in Chromium: an administrator's working ward outlasts signing out, a
unit made in the wrong ward is moved or deleted, a password-guessing run is stopped while the
other desks sign in, and a resident who pastes a question and sends it at once is heard."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.questions.models import ResidentQuestion
from dialogue.wards import operations
from dialogue.wards.models import Unit
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "/tmp/small-things-shots")


@pytest.fixture
def app_config(app_config):
    # The limits and the question form's timing as deployed.
    return {**app_config, "RATELIMIT_ENABLED": True, "QUESTION_FORM_MIN_SECONDS": 3}


def _shot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _sign_out(page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/auth/login")


def test_the_working_ward_stays_and_a_unit_moves_to_it(
    page, live_server, ward, other_ward, make_user
):
    admin = make_user(Role.ADMINISTRATOR)
    wrong = operations.create_unit(ward, name="Công chức Văn hóa - Xã hội")
    spare = operations.create_unit(ward, name="Đơn vị thừa")
    db.session.commit()
    wrong_id, spare_id = wrong.id, spare.id

    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/admin/reference")
    page.get_by_label("Phường/xã đang làm việc").select_option(label="Phường Phúc Lợi")
    page.get_by_role("button", name="Chuyển").click()
    expect(page.locator(".brand-ward")).to_have_text("Phường Phúc Lợi")
    _sign_out(page)
    sign_in(page, live_server, admin)
    expect(page.locator(".brand-ward")).to_have_text("Phường Phúc Lợi")

    # The unit made in Thạch Bàn belongs in Phúc Lợi: moved there, it is listed there.
    page.goto(f"{live_server}/admin/reference/units/{wrong.id}/edit")
    page.get_by_label("Chuyển sang phường/xã").select_option(label="Phường Phúc Lợi")
    page.get_by_role("button", name="Chuyển", exact=True).click()
    page.wait_for_url("**/admin/reference/units")
    expect(page.locator(".flash")).to_contain_text("sang phường Phúc Lợi")
    expect(page.get_by_role("link", name="Công chức Văn hóa - Xã hội")).to_be_visible()
    _shot(page, "unit-moved.png")

    page.goto(f"{live_server}/admin/reference/units/{spare.id}/edit")
    # Deleting asks first (static/js/confirm.js); answered "no", nothing is deleted.
    asked = []
    page.once("dialog", lambda dialog: asked.append(dialog.message) or dialog.dismiss())
    page.get_by_role("button", name="Xóa").click()
    expect(page.get_by_role("button", name="Xóa")).to_be_visible()
    assert len(asked) == 1 and "Đơn vị thừa" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Xóa").click()
    page.wait_for_url("**/admin/reference/units")
    expect(page.locator(".flash")).to_contain_text("Đã xóa đơn vị “Đơn vị thừa”")
    db.session.commit()  # a new snapshot of the database, with what the browser changed
    assert db.session.get(Unit, wrong_id).ward_id == other_ward.id
    assert db.session.get(Unit, spare_id) is None


def test_a_password_guessing_run_is_stopped_and_the_other_desks_sign_in(
    browser, live_server, make_user
):
    target, desk = make_user(Role.CHAIR), make_user(Role.SECRETARY)
    guesser = browser.new_context(locale="vi-VN").new_page()
    guesser.goto(f"{live_server}/auth/login")
    for n in range(6):
        guesser.get_by_label("Tên đăng nhập").fill(target.username)
        guesser.get_by_label("Mật khẩu").fill(f"doan-mat-khau-{n}")
        guesser.get_by_role("button", name="Đăng nhập").click()
        guesser.wait_for_load_state()
    expect(guesser.get_by_role("alert")).to_contain_text(
        "Đã nhập sai mật khẩu quá nhiều lần với tên đăng nhập này"
    )
    _shot(guesser, "sign-in-stopped.png")
    # Another desk of the same hall (the same address) signs in at once.
    other = browser.new_context(locale="vi-VN").new_page()
    sign_in(other, live_server, desk)
    expect(other.get_by_role("heading", name="Tổng quan")).to_be_visible()
    guesser.context.close()
    other.context.close()


def test_a_resident_pastes_a_question_and_sends_it_at_once(
    phone, live_server, ward, make_conference
):
    conference = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    phone.goto(f"{live_server}/p/{ward.slug}/hoi-nghi/{conference.id}/gui-cau-hoi")
    # Pasted in one go, and sent within a second of the page opening.
    phone.get_by_label("Câu hỏi hoặc kiến nghị của bạn").fill(
        "Thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?"
    )
    phone.get_by_role("button", name="Gửi câu hỏi").click()
    phone.wait_for_url("**/cau-hoi/**")
    _shot(phone, "question-sent.png")
    db.session.commit()
    questions = db.session.scalars(sa.select(ResidentQuestion)).all()
    assert [q.question for q in questions] == [
        "Thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?"
    ]
