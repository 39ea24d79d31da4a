"""The projector and a resident's phone follow the conference live, and keep following through
polling where streams are blocked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.live import operations as live_operations
from dialogue.live.models import TurnOutcome
from dialogue.live.operations import TurnData
from dialogue.wards.models import ResidentialGroup, Unit

pytestmark = pytest.mark.browser

SPEAKER = "Phạm Thị Riêng Tư"


@pytest.fixture
def app_config(app_config):
    # Streams notice a closed browser at their next heartbeat: keep it short here.
    return {**app_config, "DIALOGUE_STREAM_HEARTBEAT": 1, "BABEL_DEFAULT_LOCALE": "en"}


def _watch_console(page) -> list[str]:
    """Collect script errors and Content-Security-Policy refusals (not failed requests)."""
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.fixture
def hall(ward, make_conference, make_user):
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    unit = Unit(ward=ward, name="Phòng Kinh tế - Hạ tầng và Đô thị")
    db.session.add_all([group, unit])
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    conference = make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=start - timedelta(days=10),
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        title="Hội nghị đối thoại với Nhân dân về cải cách thủ tục hành chính",
    )
    secretary = make_user(Role.SECRETARY)
    conference.secretaries.append(secretary)
    db.session.commit()
    return conference, secretary, group, unit


def _log(conference, secretary, question, **values):
    turn = live_operations.log_turn(
        conference, TurnData(question=question, **values), by=secretary
    ).turn
    db.session.commit()
    return turn


def _url(base, conference, suffix):
    return f"{base}/p/{conference.ward.slug}/hoi-nghi/{conference.id}/{suffix}"


def test_the_projector_follows_each_turn_as_it_is_recorded(live_server, page, hall):
    conference, secretary, group, unit = hall
    _log(conference, secretary, "Thủ tục đăng ký khai sinh cần giấy tờ gì?")
    problems = _watch_console(page)
    page.set_viewport_size({"width": 1920, "height": 1080})

    page.goto(_url(live_server, conference, "man-hinh"))
    expect(page.locator("#feed-indicator")).to_have_attribute("data-state", "live")
    expect(page.locator("#feed-current")).to_contain_text("Thủ tục đăng ký khai sinh")
    expect(page.locator(".projector-qr[data-while-open] img")).to_be_visible()

    turn = _log(
        conference,
        secretary,
        "Bao giờ cấp giấy chứng nhận quyền sử dụng đất cho các hộ ở ngõ 12?",
        speaker_name=SPEAKER,
        speaker_group_id=group.id,
    )

    current = page.locator("#feed-current")
    expect(current).to_contain_text("Bao giờ cấp giấy chứng nhận")
    expect(current).to_contain_text("Turn 2")
    expect(current).to_contain_text("Công dân tổ dân phố số 9")
    expect(page.locator("#feed-turns .turn-line")).to_have_count(2)

    live_operations.update_turn(
        turn,
        TurnData(
            question=turn.question,
            speaker_name=SPEAKER,
            speaker_group_id=group.id,
            outcome=TurnOutcome.REFERRED,
            referral_unit_id=unit.id,
        ),
        by=secretary,
        expected_version=turn.version,
    )
    db.session.commit()

    expect(current).to_contain_text("Phòng Kinh tế - Hạ tầng và Đô thị")
    expect(current).to_contain_text("Referred for a written answer")
    assert SPEAKER not in page.content()
    assert problems == []


def test_a_phone_follows_the_turns_newest_first(live_server, phone, hall):
    conference, secretary, group, _unit = hall
    problems = _watch_console(phone)

    phone.goto(_url(live_server, conference, "truc-tiep"))
    expect(phone.locator("#feed-indicator")).to_have_attribute("data-state", "live")
    expect(phone.locator("#feed-empty")).to_be_visible()

    first = _log(conference, secretary, "Câu hỏi thứ nhất về hộ tịch")
    _log(conference, secretary, "Câu hỏi thứ hai về đất đai", speaker_group_id=group.id)

    cards = phone.locator("#feed-turns .turn")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("Câu hỏi thứ hai về đất đai")
    expect(cards.first).to_contain_text("Turn 2")
    expect(phone.locator("#feed-empty")).to_be_hidden()

    live_operations.withdraw_turn(first, reason="Ghi nhầm", by=secretary)
    db.session.commit()

    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Turn 1")
    # Nothing wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == []


def test_where_streams_are_blocked_the_phone_polls(live_server, phone, hall):
    conference, secretary, _group, _unit = hall
    # A proxy that refuses streams: every stream request fails.
    phone.route("**/truc-tiep/stream*", lambda route: route.fulfill(status=503, body="blocked"))

    phone.goto(_url(live_server, conference, "truc-tiep"))
    expect(phone.locator("#feed-indicator")).to_have_attribute(
        "data-state", "polling", timeout=15_000
    )

    _log(conference, secretary, "Hỏi khi mạng chặn luồng trực tiếp")

    expect(phone.locator("#feed-turns .turn")).to_contain_text(
        "Hỏi khi mạng chặn luồng trực tiếp", timeout=15_000
    )


def test_the_closing_brings_the_conclusion_to_the_projector(live_server, page, hall):
    conference, secretary, _group, _unit = hall
    _log(conference, secretary, "Câu hỏi cuối cùng")
    page.goto(_url(live_server, conference, "man-hinh"))
    expect(page.locator("#feed-indicator")).to_have_attribute("data-state", "live")

    from dialogue.live.closing import ConclusionData, close_conference

    close_conference(
        conference,
        ConclusionData(
            end_dt=datetime.now(UTC).replace(microsecond=0),
            conclusion="Giao Phòng Kinh tế kiểm tra ngõ 12 trong tháng 7.",
        ),
        confirm_pending=True,
    )
    db.session.commit()

    expect(page.locator("#feed-current")).to_contain_text("Giao Phòng Kinh tế kiểm tra ngõ 12")
    expect(page.locator(".projector-qr[data-while-open]")).to_be_hidden()
    expect(page.locator("#feed-indicator")).to_have_attribute("data-state", "ended")


def test_a_phone_resumes_where_it_was_when_its_stream_is_recycled(live_server, phone, hall, app):
    conference, secretary, _group, _unit = hall
    # Streams end every second or so (as workers recycle them every half hour): the page
    # reconnects with Last-Event-ID and gets only what it missed, once.
    app.config.update(DIALOGUE_STREAM_MAX_SECONDS=1, DIALOGUE_STREAM_RETRY_MS=300)
    phone.goto(_url(live_server, conference, "truc-tiep"))
    expect(phone.locator("#feed-indicator")).to_have_attribute("data-state", "live")
    streams = []
    phone.on(
        "request", lambda request: "truc-tiep/stream" in request.url and streams.append(request)
    )

    logged = 0
    while logged < 12 and (logged < 4 or len(streams) < 2):
        logged += 1
        _log(conference, secretary, f"Câu hỏi số {logged} trong lúc nối lại")
        phone.wait_for_timeout(500)

    cards = phone.locator("#feed-turns .turn")
    expect(cards).to_have_count(logged)
    expect(cards.first).to_contain_text(f"Câu hỏi số {logged} ")
    assert len(streams) >= 2, "the stream should have been recycled meanwhile"
    assert any(request.all_headers().get("last-event-id") for request in streams)


def test_a_gap_in_the_numbers_makes_the_page_take_a_snapshot(live_server, phone, hall):
    conference, secretary, _group, _unit = hall
    first = _log(conference, secretary, "Lượt đầu tiên")
    lost = _log(conference, secretary, "Lượt bị mất trên đường truyền")
    third = _log(conference, secretary, "Lượt thứ ba")
    public = live_operations.turn_payload

    def frame(kind, seq, data):
        return f"id: {seq}\nevent: {kind}\ndata: {json.dumps({'seq': seq, **data})}\n\n"

    # A proxy that loses event 2: the stream says 1, then 3.
    lossy = (
        "retry: 600000\n\n"
        + frame("snapshot", 1, {"turns": [public(first, public=True)], "conference": {}})
        + frame("turn.created", 3, {"kind": "turn.created", "turn": public(third, public=True)})
    )
    phone.route(
        "**/truc-tiep/stream*",
        lambda route: route.fulfill(
            status=200, headers={"Content-Type": "text/event-stream"}, body=lossy
        ),
    )

    # Nothing else asks for the JSON snapshot while the stream is up: the gap did.
    with phone.expect_response(lambda response: "truc-tiep.json" in response.url) as snapshot:
        phone.goto(_url(live_server, conference, "truc-tiep"))

    assert [turn["id"] for turn in snapshot.value.json()["turns"]] == [first.id, lost.id, third.id]
    cards = phone.locator("#feed-turns .turn")
    expect(cards).to_have_count(3)
    expect(cards.nth(1)).to_contain_text("Lượt bị mất trên đường truyền")
