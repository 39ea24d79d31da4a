"""The secretaries' console in Chromium: Ctrl+Enter, the offline queue, two secretaries at once."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.live.models import Turn, TurnOutcome
from dialogue.wards.models import ResidentialGroup, Unit
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

SHOTS = "/tmp/console-shots"


def _watch_console(page) -> list[str]:
    """Collect script errors and Content-Security-Policy refusals (not failed requests)."""
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _shot(page, name):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def hall(ward, make_conference, make_person, make_user):
    """A conference in progress with people checked in, and two assigned secretaries."""
    groups = [ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (5, 9)]
    unit = Unit(ward=ward, name="Văn phòng HĐND - UBND")
    db.session.add_all([*groups, unit])
    chair = make_person(full_name="Nguyễn Văn Chủ", title="Chủ tịch UBND phường")
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS, chair=chair)
    db.session.add_all(
        [
            Attendee(
                conference_id=conference.id,
                full_name="Nguyễn Văn Đức",
                residential_group=groups[1],
                status=AttendanceStatus.PRESENT,
            ),
            Attendee(
                conference_id=conference.id,
                person_id=chair.id,
                full_name=chair.full_name,
                title=chair.title,
                status=AttendanceStatus.PRESENT,
            ),
        ]
    )
    first, second = make_user(Role.SECRETARY), make_user(Role.SECRETARY)
    conference.secretaries.extend([first, second])
    db.session.commit()
    return conference, first, second


def _turns(conference_id):
    db.session.commit()  # a fresh look at what the server committed
    return db.session.scalars(
        sa.select(Turn).where(Turn.conference_id == conference_id).order_by(Turn.position)
    ).all()


def test_ctrl_enter_saves_and_starts_the_next_turn(page, live_server, hall):
    conference, secretary, _ = hall
    problems = _watch_console(page)
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))
    assert page.evaluate("document.activeElement.id") == "speaker_name"

    # Nothing is saved without a question; the message stands beside the field.
    page.keyboard.press("Control+Enter")
    expect(page.locator("#question-error")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "question"

    # The speaker typed without diacritics and picked from those present.
    page.locator("#speaker_name").focus()
    page.keyboard.type("nguyen van duc", delay=15)
    option = page.locator("#speaker_name + .combo-list .combo-option", has_text="Nguyễn Văn Đức")
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#speaker_name")).to_have_value("Nguyễn Văn Đức")
    expect(page.locator("#speaker_group_id option:checked")).to_have_text("Tổ dân phố số 9")
    # The area by its name without diacritics; Enter takes the first match.
    page.locator("#area-search").fill("")
    page.locator("#area-search").press_sequentially("dat dai", delay=15)
    expect(page.locator("#area-search + .combo-list .combo-option").first).to_contain_text(
        "Đất đai"
    )
    page.keyboard.press("Enter")
    expect(page.locator("#area-search")).to_have_value(re.compile("^DD · Đất đai"))
    page.locator("#question").fill("Thủ tục cấp giấy chứng nhận quyền sử dụng đất mất bao lâu?")
    _shot(page, "1-typing")
    page.keyboard.press("Control+Enter")

    first = page.locator("#turn-list .turn").first
    expect(first.locator(".turn-number")).to_have_text("1")
    expect(first).to_contain_text("Nguyễn Văn Đức")
    expect(first.locator(".turn-area")).to_have_text("DD")
    expect(page.locator("#question")).to_have_value("")
    expect(page.locator("#speaker_name")).to_have_value("")
    assert page.evaluate("document.activeElement.id") == "speaker_name"

    # The next turn at once: a free name (with markup, shown as text), answered by the chair.
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message) or dialog.dismiss())
    page.keyboard.type("Bà Trần Thị Mai <img src=x onerror=alert(1)>")
    page.locator("#question").fill("Làm lại giấy khai sinh cần những gì?")
    page.locator('input[name="outcome"][value="answered"]').check()
    page.locator("#answerer_name").focus()
    expect(page.locator(".combo-option.is-official")).to_contain_text("Nguyễn Văn Chủ")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.locator("#answer").fill("Mang theo bản sao giấy tờ tùy thân.")
    page.keyboard.press("Control+Enter")
    second = page.locator("#turn-list .turn").nth(1)
    expect(second.locator(".turn-number")).to_have_text("2")
    expect(second.locator(".turn-answer")).to_contain_text("Nguyễn Văn Chủ - Chủ tịch UBND phường")
    expect(page.locator("#part-answered")).to_be_hidden()
    expect(second.locator(".turn-speaker")).to_have_text(
        "Bà Trần Thị Mai <img src=x onerror=alert(1)>"
    )
    assert page.locator("#turn-list img").count() == 0
    _shot(page, "2-two-turns")

    turns = _turns(conference.id)
    assert [t.question for t in turns] == [
        "Thủ tục cấp giấy chứng nhận quyền sử dụng đất mất bao lâu?",
        "Làm lại giấy khai sinh cần những gì?",
    ]
    assert turns[0].speaker_attendee is not None
    assert turns[0].speaker_group.name == "Tổ dân phố số 9"
    assert turns[0].procedure_area.code == "DD"
    assert turns[1].outcome is TurnOutcome.ANSWERED
    assert turns[1].answerer_attendee is not None
    assert all(t.client_key for t in turns)

    # Edit from the list with the keyboard, then withdraw with a reason.
    first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#question")).to_have_value(turns[0].question)
    page.locator("#question").fill("Cấp giấy chứng nhận lần đầu mất bao lâu?")
    page.keyboard.press("Control+Enter")
    expect(first.locator(".turn-question")).to_have_text("Cấp giấy chứng nhận lần đầu mất bao lâu?")
    second.get_by_role("button", name=re.compile("Withdraw|Rút")).click()
    page.locator(f"#reason-{turns[1].id}").fill("Trùng với lượt trước")
    page.keyboard.press("Enter")
    expect(page.locator(f"#turn-{turns[1].id}")).to_have_class(re.compile("is-withdrawn"))
    expect(page.locator(f"#turn-{turns[1].id} .turn-number")).to_have_text("—")
    _shot(page, "3-edited-withdrawn")
    assert dialogs == []
    assert problems == []


def test_a_turn_saved_offline_waits_survives_a_reload_and_is_sent_once(page, live_server, hall):
    conference, secretary, _ = hall
    problems = _watch_console(page)
    sign_in(page, live_server, secretary)
    console_url = f"{live_server}/conferences/{conference.id}/live/"
    page.goto(console_url)
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))

    page.context.set_offline(True)
    page.locator("#speaker_name").fill("Ông Lê Văn Hùng")
    page.locator("#question").fill("Hỏi khi mạng mất: hồ sơ hộ nghèo nộp ở đâu?")
    page.keyboard.press("Control+Enter")
    queued = page.locator("#turn-list .turn.is-queued")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text("Hỏi khi mạng mất")
    expect(page.locator("#net-state")).to_have_class(re.compile("net-offline"))
    expect(page.locator("#net-state")).to_have_attribute("data-waiting", "1")
    stored = page.evaluate(
        "Object.keys(localStorage).filter(k => k.endsWith(':outbox')).map(k => localStorage[k])"
    )
    assert len(stored) == 1
    outbox = json.loads(stored[0])
    assert len(outbox) == 1 and outbox[0]["kind"] == "create"
    client_key = outbox[0]["client_key"]
    assert re.fullmatch(r"[0-9a-f-]{36}", client_key)
    # A turn being typed, not yet saved, is kept too.
    page.locator("#question").fill("Câu đang gõ dở")
    page.wait_for_timeout(400)
    _shot(page, "4-offline-queued")

    # The network is back but the server still does not answer: the page reloads meanwhile.
    page.route("**/live/turns", lambda route: route.abort())
    page.context.set_offline(False)
    page.reload()
    queued = page.locator("#turn-list .turn.is-queued")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text("Hỏi khi mạng mất")
    expect(page.locator("#question")).to_have_value("Câu đang gõ dở")
    expect(page.locator("#net-state")).to_have_attribute("data-waiting", "1")
    assert _turns(conference.id) == []

    # The server answers again: the waiting turn goes by itself, once.
    page.unroute("**/live/turns")
    expect(page.locator("#turn-list .turn.is-queued")).to_have_count(0, timeout=20_000)
    sent = page.locator("#turn-list .turn", has_text="Hỏi khi mạng mất")
    expect(sent.locator(".turn-number")).to_have_text("1")
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))
    turns = _turns(conference.id)
    assert [(t.client_key, t.question) for t in turns] == [
        (client_key, "Hỏi khi mạng mất: hồ sơ hộ nghèo nộp ở đâu?")
    ]
    # Sending the same save again (another tab, a retry) changes nothing.
    page.evaluate(
        """([url, key, token]) => fetch(url, {method: 'POST', headers: {'Content-Type':
        'application/json', 'X-CSRFToken': token}, body: JSON.stringify({client_key: key,
        question: 'x'})})""",
        [
            f"{live_server}/conferences/{conference.id}/live/turns",
            client_key,
            page.locator("#console").get_attribute("data-csrf"),
        ],
    )
    assert len(_turns(conference.id)) == 1
    assert page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':outbox')).length") == 0
    _shot(page, "5-sent")

    # An edit made offline waits with the version it was based on, and follows when back.
    sent = page.locator(f"#turn-{turns[0].id}")
    page.context.set_offline(True)
    sent.focus()
    page.keyboard.press("Enter")
    page.locator("#question").fill("Hồ sơ hộ nghèo nộp ở bộ phận một cửa?")
    page.keyboard.press("Control+Enter")
    expect(sent).to_have_class(re.compile("has-waiting"))
    expect(sent.locator(".turn-question")).to_have_text("Hồ sơ hộ nghèo nộp ở bộ phận một cửa?")
    outbox = json.loads(
        page.evaluate(
            "Object.keys(localStorage).filter(k => k.endsWith(':outbox')).map(k => localStorage[k])[0]"
        )
    )
    assert [(i["kind"], i["base_version"]) for i in outbox] == [("update", 1)]
    assert _turns(conference.id)[0].version == 1
    page.context.set_offline(False)
    expect(sent).not_to_have_class(re.compile("has-waiting"), timeout=15_000)
    turn = _turns(conference.id)[0]
    assert (turn.version, turn.question) == (2, "Hồ sơ hộ nghèo nộp ở bộ phận một cửa?")
    assert problems == []


def test_two_secretaries_see_each_other_and_settle_a_conflict(browser, page, live_server, hall):
    conference, first_secretary, second_secretary = hall
    url = f"{live_server}/conferences/{conference.id}/live/"
    problems = _watch_console(page)
    other_context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    other = other_context.new_page()
    other.set_default_timeout(10_000)
    other_problems = _watch_console(other)
    try:
        sign_in(page, live_server, first_secretary)
        sign_in(other, live_server, second_secretary)
        page.goto(url)
        other.goto(url)

        # One types the question…
        page.locator("#speaker_name").fill("Bà Phạm Thị Lan")
        page.locator("#question").fill("Trợ cấp cho người cao tuổi nhận ở đâu?")
        page.keyboard.press("Control+Enter")
        seen = other.locator("#turn-list .turn", has_text="Trợ cấp cho người cao tuổi")
        expect(seen).to_have_count(1, timeout=5_000)
        turn_id = int(seen.get_attribute("data-turn-id"))

        # …both open it; the other saves the answer first.
        page.locator(f"#turn-{turn_id}").get_by_role("button", name=re.compile("Edit|Sửa")).click()
        other.locator(f"#turn-{turn_id}").get_by_role("button", name=re.compile("Edit|Sửa")).click()
        other.locator('input[name="outcome"][value="answered"]').check()
        other.locator("#answerer_name").fill("Ông Nguyễn Văn Chủ - Chủ tịch UBND phường")
        other.locator("#answer").fill("Nhận tại bộ phận một cửa của phường.")
        other.keyboard.press("Control+Enter")
        expect(page.locator(f"#turn-{turn_id} .turn-answer")).to_contain_text(
            "Nhận tại bộ phận một cửa", timeout=5_000
        )

        # The first, still on the old version, changes the question: both versions shown.
        page.locator("#question").fill("Trợ cấp cho người cao tuổi nhận ở đâu, khi nào?")
        page.keyboard.press("Control+Enter")
        conflict = page.locator("#conflict")
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("khi nào?")
        expect(conflict).to_contain_text("Nhận tại bộ phận một cửa")
        _shot(page, "6-conflict")

        # Merge: their answer is kept beside the form, mine is in it; add theirs and save.
        conflict.locator("button.merge").click()
        expect(page.locator("#question")).to_have_value(
            "Trợ cấp cho người cao tuổi nhận ở đâu, khi nào?"
        )
        expect(page.locator("#merging")).to_contain_text("Nhận tại bộ phận một cửa")
        page.locator('input[name="outcome"][value="answered"]').check()
        page.locator("#answerer_name").fill("Ông Nguyễn Văn Chủ - Chủ tịch UBND phường")
        page.locator("#answer").fill("Nhận tại bộ phận một cửa của phường, từ ngày 10.")
        page.keyboard.press("Control+Enter")
        expect(other.locator(f"#turn-{turn_id} .turn-question")).to_have_text(
            "Trợ cấp cho người cao tuổi nhận ở đâu, khi nào?", timeout=5_000
        )
        expect(other.locator(f"#turn-{turn_id} .turn-answer")).to_contain_text("từ ngày 10")
        expect(page.locator("#merging")).to_have_count(0)

        # Keep mine: the other secretary's edit is over a version that moved on.
        other.locator(f"#turn-{turn_id}").get_by_role("button", name=re.compile("Edit|Sửa")).click()
        turn = _turns(conference.id)[0]
        assert turn.version == 3
        # Changed behind their back by the first secretary (through the API, version 3).
        page.evaluate(
            """([url, token]) => fetch(url, {method: 'POST', headers: {'Content-Type':
            'application/json', 'X-CSRFToken': token}, body: JSON.stringify({version: 3,
            question: 'Câu hỏi do thư ký một sửa', outcome: 'pending'})})""",
            [f"{url}turns/{turn_id}", page.locator("#console").get_attribute("data-csrf")],
        )
        expect(other.locator("#console-message")).not_to_be_empty(timeout=5_000)
        other.locator("#question").fill("Câu hỏi do thư ký hai sửa")
        other.keyboard.press("Control+Enter")
        other.locator("#conflict button.keep-mine").click()
        expect(page.locator(f"#turn-{turn_id} .turn-question")).to_have_text(
            "Câu hỏi do thư ký hai sửa", timeout=5_000
        )
        assert _turns(conference.id)[0].question == "Câu hỏi do thư ký hai sửa"
        _shot(other, "7-kept-mine")
    finally:
        other_context.close()
    assert problems == [] and other_problems == []


def test_the_console_works_without_javascript(browser, live_server, hall):
    conference, secretary, _ = hall
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, live_server, secretary)
        page.goto(f"{live_server}/conferences/{conference.id}/live/")
        page.locator("#speaker_name").fill("Ông Đỗ Văn Nam")
        page.locator("#question").fill("Hỏi khi không có JavaScript")
        page.locator("#save-button").click()
        expect(page.locator(".flash-success")).to_be_visible()
        expect(page.locator("#turn-list")).to_contain_text("Hỏi khi không có JavaScript")
        page.locator("#turn-list").get_by_role("link", name=re.compile("Edit|Sửa")).click()
        expect(page.locator("#question")).to_have_value("Hỏi khi không có JavaScript")
        page.locator("#question").fill("Đã sửa khi không có JavaScript")
        page.locator("#save-button").click()
        expect(page.locator("#turn-list")).to_contain_text("Đã sửa khi không có JavaScript")
        _shot(page, "8-no-javascript")
    finally:
        context.close()
    assert _turns(conference.id)[0].version == 2
