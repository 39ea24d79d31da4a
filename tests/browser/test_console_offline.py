"""The console under real conditions, in Chromium: turns saved offline take their place by when
they were spoken and their speakers' names are matched; the console reopens without a
connection; errors, the edit shortcut, the turn just saved, both versions of a turn; the hall's
screens linked from the staff pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_login import current_user
from playwright.sync_api import expect

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.live import operations
from dialogue.live.models import SpeakerMatch, Turn
from dialogue.live.operations import TurnData
from dialogue.live.views import create_turn
from dialogue.wards.models import ResidentialGroup
from tests.browser.support import sign_in, until
from tests.browser.test_console import _shot, _watch_console

pytestmark = pytest.mark.browser

PROBE = (
    "url => fetch(url, {method: 'HEAD', cache: 'no-store'}).then(() => 'online', () => 'offline')"
)
OUTBOX = "Object.keys(localStorage).filter(k => k.endsWith(':outbox')).map(k => localStorage[k])"
KEPT_PAGE_HAS = """async ([url, text]) => {
  const kept = await caches.match(url);
  return Boolean(kept) && (await kept.text()).includes(text);
}"""
CACHED = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) found.push(request.url);
  }
  return found;
}"""


@pytest.fixture
def hall(ward, make_conference, make_user):
    """A conference under way for an hour, people checked in, two assigned secretaries."""
    groups = {n: ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (5, 9)}
    db.session.add_all(groups.values())
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    conference = make_conference(
        status=ConferenceStatus.IN_PROGRESS, start_dt=start, started_dt=start
    )
    for name, group in (
        ("Vũ Đình Khôi", groups[5]),
        ("Vũ Đình Khởi", groups[9]),
        ("Đặng Thị Mai", groups[9]),
        ("Nguyễn Văn Đức", groups[9]),
    ):
        db.session.add(
            Attendee(
                conference_id=conference.id,
                full_name=name,
                residential_group=group,
                status=AttendanceStatus.PRESENT,
            )
        )
    first, second = make_user(Role.SECRETARY), make_user(Role.SECRETARY)
    conference.secretaries.extend([first, second])
    db.session.commit()
    return conference, first, second


def _cut_network(page, app, user):
    """Take the browser of ``user`` offline, and the server away from it.

    Chromium applies the emulated loss to a page that a service worker controls a moment
    late: a reloaded page's first request may still get out, past the emulation and the
    routes alike. The server refuses that user's saves meanwhile as an unreachable one would
    (no answer the console can read), so that the test sees what a hall without Wi-Fi sees.
    """

    def unreachable(**values):
        if current_user.id == user.id:
            return "", 502
        return create_turn(**values)

    app.view_functions["live.create_turn"] = unreachable
    page.context.set_offline(True)
    probe = page.url.split("#")[0] + "turns.json"
    if not until(page, lambda: page.evaluate(PROBE, probe) == "offline", seconds=5, every=0.1):
        raise AssertionError("the network is still there")


def _restore_network(page, app):
    app.view_functions["live.create_turn"] = create_turn
    page.context.set_offline(False)


def _turns(conference_id):
    db.session.commit()  # a fresh look at what the server committed
    return db.session.scalars(
        sa.select(Turn).where(Turn.conference_id == conference_id).order_by(Turn.position)
    ).all()


LEFT_AT_ONCE = """text => {
    const question = document.getElementById("question");
    question.value = text;
    question.dispatchEvent(new Event("input", {bubbles: true}));
    window.dispatchEvent(new PageTransitionEvent("pagehide"));
    return Object.keys(localStorage).some(
        key => key.endsWith("draft") && localStorage.getItem(key).includes(text)
    );
}"""


def _save(page, speaker, question):
    page.locator("#speaker_name").fill(speaker)
    page.locator("#question").fill(question)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#question")).to_have_value("")
    # Turns saved at distinct moments, as they are in a hall.
    page.wait_for_timeout(250)


def _numbered(page_or_list, item, question, number):
    line = page_or_list.locator(item, has_text=question)
    expect(line.locator(".turn-number")).to_have_text(number, timeout=15_000)


def test_offline_turns_take_their_place_and_their_names_are_matched(
    app, browser, page, live_server, hall
):
    conference, offline_secretary, online_secretary = hall
    url = f"{live_server}/conferences/{conference.id}/live/"
    public = f"{live_server}/p/{conference.ward.slug}/hoi-nghi/{conference.id}"
    problems = _watch_console(page)
    online_context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    screens_context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="vi-VN")
    online = online_context.new_page()
    online.set_default_timeout(10_000)
    projector = screens_context.new_page()
    phone = screens_context.new_page()
    try:
        sign_in(page, live_server, offline_secretary)
        sign_in(online, live_server, online_secretary)
        page.goto(url)
        online.goto(url)
        projector.goto(f"{public}/man-hinh")
        phone.goto(f"{public}/truc-tiep")
        expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))

        # The first secretary's Wi-Fi goes: the speaker list offers nothing, the name is kept.
        _cut_network(page, app, offline_secretary)
        page.locator("#speaker_name").press_sequentially("vu dinh khoi", delay=10)
        expect(page.locator("#speaker_name + .combo-list")).to_contain_text("Mất kết nối")
        _save(page, "vu dinh khoi", "Ngoại tuyến 1: hồ sơ cấp đổi sổ đỏ?")
        # The online secretary's form empties before its request goes: the turn is the server's
        # (and dated) once its number shows.
        _save(online, "Ông Trần Văn Bình", "Trực tuyến 2: trợ cấp người cao tuổi?")
        _numbered(online, "#turn-list .turn", "Trực tuyến 2", "1")
        _save(page, "dang thi mai", "Ngoại tuyến 3: đăng ký khai sinh?")
        _save(online, "Bà Lê Thị Hoa", "Trực tuyến 4: giấy phép xây dựng?")
        _numbered(online, "#turn-list .turn", "Trực tuyến 4", "2")
        expect(page.locator("#turn-list .turn.is-queued")).to_have_count(2)
        expect(page.locator("#turn-list .is-queued .turn-note").first).to_contain_text("lưu lúc")
        _shot(page, "offline-1-queued")
        assert [t.question[:12] for t in _turns(conference.id)] == ["Trực tuyến 2", "Trực tuyến 4"]

        # Back online: the two waiting turns go, each to its place, once.
        _restore_network(page, app)
        expect(page.locator("#turn-list .turn.is-queued")).to_have_count(0, timeout=20_000)
        questions = [
            "Ngoại tuyến 1",
            "Trực tuyến 2",
            "Ngoại tuyến 3",
            "Trực tuyến 4",
        ]
        for number, question in enumerate(questions, start=1):
            # Everyone's numbers settle, nobody pressing ↑ or ↓.
            _numbered(page, "#turn-list .turn", question, str(number))
            _numbered(online, "#turn-list .turn", question, str(number))
            _numbered(projector, "#feed-turns .turn-line", question, str(number))
            _numbered(phone, "#feed-turns .turn", question, f"Lượt {number}")
        expect(page.locator("#turn-list .turn-question")).to_have_text(
            [re.compile(question) for question in questions]
        )
        turns = _turns(conference.id)
        assert [t.question.split(":")[0] for t in turns] == questions
        assert [t.position for t in turns] == [1, 2, 3, 4]
        assert len({t.client_key for t in turns}) == 4
        # The projector still shows the turn spoken last.
        expect(projector.locator("#feed-current")).to_contain_text("Trực tuyến 4")

        # "dang thi mai": one person present has that name: linked, the typed name kept aside.
        mai = turns[2]
        assert (mai.speaker_name, mai.speaker_match) == ("Đặng Thị Mai", SpeakerMatch.LINKED)
        assert mai.speaker_group.name == "Tổ dân phố số 9"
        expect(page.locator(f"#turn-{mai.id} .turn-speaker")).to_have_text("Đặng Thị Mai")
        expect(page.locator(f"#turn-{mai.id} .speaker-linked")).to_contain_text("dang thi mai")
        # "vu dinh khoi": two present fold alike: the secretary is asked, both offered.
        khoi = turns[0]
        assert khoi.speaker_match is SpeakerMatch.TO_CONFIRM and khoi.speaker_attendee is None
        check = page.locator(f"#speaker-check-{khoi.id}")
        expect(check).to_contain_text("vu dinh khoi")
        expect(check.locator("button.candidate")).to_have_count(2)
        expect(page.locator("#names-to-confirm")).to_be_visible()
        expect(online.locator(f"#speaker-check-{khoi.id}")).to_be_visible()
        _shot(page, "offline-2-settled")
        check.locator("button.candidate", has_text="Tổ dân phố số 5").click()
        expect(page.locator(f"#turn-{khoi.id} .turn-speaker")).to_have_text("Vũ Đình Khôi")
        expect(page.locator(f"#speaker-check-{khoi.id}")).to_have_count(0)
        expect(page.locator("#names-to-confirm")).to_be_hidden()
        assert page.evaluate("document.activeElement.id") == f"turn-{khoi.id}"
        expect(online.locator(f"#turn-{khoi.id} .turn-speaker")).to_have_text("Vũ Đình Khôi")
        khoi = _turns(conference.id)[0]
        assert khoi.speaker_match is SpeakerMatch.CONFIRMED
        assert khoi.speaker_group.name == "Tổ dân phố số 5"

        # Moving by hand still works, and everyone follows.
        page.locator(f"#turn-{turns[3].id} .move-up").click()
        _numbered(online, "#turn-list .turn", "Trực tuyến 4", "3")
        _numbered(projector, "#feed-turns .turn-line", "Trực tuyến 4", "3")
        _shot(projector, "offline-3-projector")
    finally:
        online_context.close()
        screens_context.close()
    assert problems == []


def test_the_console_reopens_offline_with_its_waiting_turns_and_draft(app, page, live_server, hall):
    conference, secretary, _ = hall
    problems = _watch_console(page)
    sign_in(page, live_server, secretary)
    console_url = f"{live_server}/conferences/{conference.id}/live/"
    page.goto(console_url)
    # The console and what it loads are kept for a reload without a connection.
    expect(page.locator("#console")).to_have_attribute("data-offline-ready", "true")
    _save(page, "Ông Lê Văn Hùng", "Trực tuyến: hồ sơ hộ nghèo nộp ở đâu?")
    expect(page.locator("#turn-list .turn .turn-number")).to_have_text(["1"])
    # The kept copy of the page is renewed with the turn just saved.
    if not until(page, lambda: page.evaluate(KEPT_PAGE_HAS, [console_url, "hồ sơ hộ nghèo"])):
        raise AssertionError("the kept copy of the console was not renewed")
    kept = page.evaluate(CACHED)
    # The console page and static files only: no other page, no JSON answer, no stream.
    assert console_url in kept
    assert all(url == console_url or "/static/" in url for url in kept), kept

    # The hall's Wi-Fi goes; a turn is saved, another is being typed; the tab is reloaded.
    _cut_network(page, app, secretary)
    _save(page, "Bà Nguyễn Thị Lan", "Ngoại tuyến: trước khi tải lại trang")
    # Left within the draft's own delay, the page writes it as it goes. The typing and the leaving
    # happen in one task here, so that the delay's timer cannot run between them.
    assert page.evaluate(LEFT_AT_ONCE, "Câu đang gõ dở khi mất mạng")
    page.locator("#question").fill("Câu đang gõ dở khi mất mạng")
    page.reload()
    expect(page.locator("h1")).to_contain_text("Bàn thư ký")
    # The page came from the kept copy, not from the server.
    assert page.evaluate("performance.getEntriesByType('navigation')[0].deliveryType") == (
        "cache-storage"
    )
    expect(page.locator("#turn-list .turn.is-queued")).to_have_count(1)
    expect(page.locator("#turn-list .turn.is-queued")).to_contain_text("trước khi tải lại")
    expect(page.locator("#turn-list .turn", has_text="hồ sơ hộ nghèo")).to_have_count(1)
    expect(page.locator("#question")).to_have_value("Câu đang gõ dở khi mất mạng")
    expect(page.locator("#net-state")).to_have_class(re.compile("net-offline"))
    _shot(page, "offline-4-reopened")

    # Typed and saved in the reopened console, still without a connection.
    page.locator("#speaker_name").fill("Ông Phạm Văn Tâm")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#turn-list .turn.is-queued")).to_have_count(2)
    outbox = json.loads(page.evaluate(OUTBOX)[0])
    keys = [item["client_key"] for item in outbox]
    assert len(outbox) == 2 and all(item["saved_at"] for item in outbox)
    assert len(_turns(conference.id)) == 1

    # Back online: both go, exactly once each.
    _restore_network(page, app)
    expect(page.locator("#turn-list .turn.is-queued")).to_have_count(0, timeout=20_000)
    expect(page.locator("#turn-list .turn .turn-number")).to_have_text(["1", "2", "3"])
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))
    turns = _turns(conference.id)
    assert [t.question for t in turns] == [
        "Trực tuyến: hồ sơ hộ nghèo nộp ở đâu?",
        "Ngoại tuyến: trước khi tải lại trang",
        "Câu đang gõ dở khi mất mạng",
    ]
    assert [t.client_key for t in turns[1:]] == keys
    assert page.evaluate(OUTBOX) == []
    page.reload()
    expect(page.locator("#turn-list .turn")).to_have_count(3)
    assert len(_turns(conference.id)) == 3
    assert problems == []


def test_a_name_whose_lookup_a_reload_cut_short_is_looked_up_again(page, live_server, hall):
    conference, secretary, _ = hall
    problems = _watch_console(page)
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))
    unchecked = page.locator("[name=speaker_unchecked]")
    lookup = re.compile(r"/attendees\.json\?")
    question = "Cấp bản sao giấy khai sinh ở đâu?"

    # The lookup of the name typed fails, as when the reload itself cuts it short: the name is
    # marked as not looked up, and the draft keeps the mark.
    page.route(lookup, lambda route: route.abort())
    page.locator("#speaker_name").press_sequentially("Ông Hà Văn Quý", delay=10)
    expect(unchecked).to_have_value("y")
    page.locator("#question").fill(question)
    # Brought back while the list still cannot be asked: asked again, still marked.
    with page.expect_request(lookup):
        page.reload()
    expect(page.locator("#question")).to_have_value(question)
    expect(unchecked).to_have_value("y")

    # Brought back with the list reachable: asked again, the mark goes, and the name is saved
    # as typed, not as one typed offline for a secretary to confirm.
    page.unroute(lookup)
    with page.expect_response(lookup):
        page.reload()
    expect(unchecked).to_have_value("")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#turn-list .turn .turn-number")).to_have_text(["1"])
    expect(page.locator("#names-to-confirm")).to_be_hidden()
    (turn,) = _turns(conference.id)
    assert (turn.speaker_name, turn.question) == ("Ông Hà Văn Quý", question)
    assert turn.speaker_match is None and turn.speaker_typed_name == ""
    assert problems == []


def test_errors_the_edit_shortcut_the_turn_just_saved_and_both_versions(page, live_server, hall):
    conference, secretary, other = hall
    for n in range(1, 19):
        operations.log_turn(conference, TurnData(question=f"Câu hỏi số {n}"), by=other)
    db.session.commit()
    problems = _watch_console(page)
    sign_in(page, live_server, secretary)
    url = f"{live_server}/conferences/{conference.id}/live/"
    page.goto(url)
    expect(page.locator("#shortcut-hint")).to_contain_text("Alt+↑")

    # The turn just saved is shown in the running list, however long the list is.
    _save(page, "Ông Đỗ Văn Nam", "Câu hỏi vừa lưu, cuối danh sách")
    saved = page.locator("#turn-list .turn", has_text="Câu hỏi vừa lưu")
    expect(saved.locator(".turn-number")).to_have_text("19")
    expect(page.locator("#console-message")).to_contain_text("19")
    assert page.evaluate(
        """() => {
          const list = document.getElementById('turn-list').getBoundingClientRect();
          const turn = [...document.querySelectorAll('#turn-list .turn')].pop().getBoundingClientRect();
          return turn.top >= list.top - 1 && turn.bottom <= list.bottom + 1;
        }"""
    )

    # Every problem at once, in the order of the form; the status line claims no success.
    page.locator('input[name="outcome"][value="answered"]').check()
    page.keyboard.press("Control+Enter")
    errors = page.locator("#turn-form .error")
    expect(errors).to_have_count(3)
    assert page.evaluate("[...document.querySelectorAll('#turn-form .error')].map(e => e.id)") == [
        "question-error",
        "answerer_name-error",
        "answer-error",
    ]
    message = page.locator("#console-message")
    expect(message.locator(".flash-error")).to_contain_text("Câu hỏi")
    expect(message.locator(".flash-error")).to_contain_text("Nội dung trả lời")
    expect(message.locator(".flash-success")).to_have_count(0)
    assert page.evaluate("document.activeElement.id") == "question"
    assert page.get_attribute("#question", "aria-describedby") == "question-error"
    _shot(page, "details-1-errors")
    page.locator('input[name="outcome"][value="pending"]').check()

    # Alt+↑ opens the turns from the last one back; Alt+↓ returns to the turn being typed.
    page.locator("#question").fill("Câu đang gõ")
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#question")).to_have_value("Câu hỏi vừa lưu, cuối danh sách")
    expect(page.locator("#form-heading")).to_have_text("Sửa lượt phát biểu số 19")
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#question")).to_have_value("Câu hỏi số 18")
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#form-heading")).to_have_text("Sửa lượt phát biểu số 19")
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#form-heading")).to_have_text("Lượt phát biểu mới")
    expect(page.locator("#question")).to_have_value("Câu đang gõ")
    page.locator("#clear-button").click()

    # Both versions of a turn: only what really differs is marked.
    target = _turns(conference.id)[-1]
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#form-heading")).to_have_text("Sửa lượt phát biểu số 19")
    page.locator("#speaker_group_id").select_option(label="Tổ dân phố số 9")
    page.locator("#speaker_group_id").press("Tab")
    page.keyboard.press("Control+Enter")
    expect(page.locator(f"#turn-{target.id} .turn-group")).to_contain_text("Tổ dân phố số 9")
    expect(page.locator(f"#turn-{target.id}")).not_to_have_class(re.compile("has-waiting"))
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#form-heading")).to_have_text("Sửa lượt phát biểu số 19")
    # Someone else answers it meanwhile (version 2 → 3).
    theirs = {
        "version": 2,
        "speaker_name": "Ông Đỗ Văn Nam",
        "speaker_group_id": _turns(conference.id)[-1].speaker_group_id,
        "question": "Câu hỏi vừa lưu, cuối danh sách",
        "outcome": "answered",
        "answerer_name": "Ông Chủ tịch",
        "answer": "Trả lời của người kia",
    }
    page.evaluate(
        """([url, token, body]) => fetch(url, {method: 'POST', headers: {'Content-Type':
        'application/json', 'X-CSRFToken': token}, body: JSON.stringify(body)})""",
        [f"{url}turns/{target.id}", page.locator("#console").get_attribute("data-csrf"), theirs],
    )
    # Mine: the same question with other spaces, and an answer of my own.
    page.locator("#question").fill("  Câu hỏi vừa lưu,   cuối danh sách ")
    page.locator('input[name="outcome"][value="answered"]').check()
    page.locator("#answerer_name").fill("Ông Chủ tịch")
    page.locator("#answer").fill("Trả lời của tôi")
    page.locator("#answer").focus()
    page.keyboard.press("Control+Enter")
    conflict = page.locator("#conflict")
    expect(conflict).to_be_visible()
    for column in conflict.locator(".conflict-version").all():
        expect(column.locator("dt.differs")).to_have_text(["Nội dung trả lời"])
    _shot(page, "details-2-conflict")
    before = page.evaluate("document.activeElement.id")
    conflict.locator("button.keep-mine").click()
    assert page.evaluate("document.activeElement.id") == before == "speaker_name"
    expect(page.locator(f"#turn-{target.id} .turn-answer")).to_contain_text("Trả lời của tôi")
    expect(page.locator(f"#turn-{target.id}")).not_to_have_class(re.compile("has-waiting"))
    assert _turns(conference.id)[-1].answer == "Trả lời của tôi"
    assert problems == []


def test_the_hall_screens_are_one_click_from_the_staff_pages(page, live_server, hall):
    conference, secretary, _ = hall
    problems = _watch_console(page)
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}")
    with page.expect_popup() as opened:
        page.locator(".console-panel").get_by_role("link", name="Mã QR cho hội trường").click()
    qr = opened.value
    expect(qr.locator("#hall-qr-image")).to_be_visible()
    expect(qr.locator("#hall-url")).to_contain_text(f"/hoi-nghi/{conference.id}/truc-tiep")
    _shot(qr, "hall-qr")
    qr.close()
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    with page.expect_popup() as opened:
        page.locator("#projector-link").click()
    expect(opened.value.locator("#live-feed")).to_be_visible()
    with page.expect_popup() as opened:
        page.locator("#live-page-link").click()
    expect(opened.value.locator("#feed-turns")).to_be_attached()
    assert problems == []


def test_signing_out_forgets_the_kept_console(page, live_server, hall):
    conference, secretary, _ = hall
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    expect(page.locator("#console")).to_have_attribute("data-offline-ready", "true")
    names = "caches.keys().then(names => names.filter(n => n.startsWith('dialogue-console-')))"
    assert page.evaluate(names)
    # Signed out, the sign-in page the next person sees has forgotten the kept console.
    page.goto(f"{live_server}/overview")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/auth/login")
    until(page, lambda: not page.evaluate(names), seconds=5, every=0.1)
    assert page.evaluate(names) == []
