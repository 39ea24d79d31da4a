"""Live streams, snapshots, polling and the public live screens (in-process bus)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.feed import operations as feed_operations
from dialogue.feed import stream as feed_stream
from dialogue.feed.operations import catch_up_frames
from dialogue.live import events
from dialogue.live import operations as live_operations
from dialogue.live.bus import SUBSCRIBER_BACKLOG, get_bus
from dialogue.live.models import TurnOutcome
from dialogue.live.operations import TurnData
from dialogue.questions.operations import QuestionData, receive_question
from dialogue.wards.models import ResidentialGroup, Unit

SECRET_SPEAKER = "Nguyễn Thị Kín Tên"
SECRET_ASKER = "Trần Văn Người Hỏi"
SECRET_CONTACT = "0912 345 678"


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "BABEL_DEFAULT_LOCALE": "en",
        # Short, so that a test waits fractions of a second, not a quarter of a minute.
        "DIALOGUE_STREAM_HEARTBEAT": 0.2,
        "DIALOGUE_STREAM_MAX_SECONDS": 3,
    }


@pytest.fixture
def group(ward):
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    db.session.add(group)
    db.session.commit()
    return group


@pytest.fixture
def unit(ward):
    unit = Unit(ward=ward, name="Phòng Kinh tế - Hạ tầng và Đô thị")
    db.session.add(unit)
    db.session.commit()
    return unit


@pytest.fixture
def conference(make_conference):
    return make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=datetime.now(UTC),
        title="Hội nghị đối thoại 6 tháng đầu năm",
    )


@pytest.fixture
def secretary(make_user, conference):
    user = make_user(Role.SECRETARY)
    conference.secretaries.append(user)
    db.session.commit()
    return user


def log(conference, by, question="Thủ tục cấp sổ đỏ mất bao lâu?", **values):
    logged = live_operations.log_turn(conference, TurnData(question=question, **values), by=by)
    db.session.commit()
    return logged.turn


def public_url(conference, suffix):
    return f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/{suffix}"


# -- reading a stream -------------------------------------------------------------------------


def parse_frames(text: str) -> list[dict]:
    """Split Server-Sent Events text into frames: {"id", "event", "data", "retry"}."""
    frames = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        frame = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            if name == "data":
                frame["data"] = json.loads(value)
            elif name:
                frame[name] = value
        frames.append(frame)
    return frames


class Stream:
    """A stream read chunk by chunk, as a browser would, from the test client's response."""

    def __init__(self, response):
        self.response = response
        self.chunks = iter(response.response)

    def next_frames(self) -> list[dict]:
        return parse_frames(next(self.chunks).decode())

    def frames_until(self, predicate, limit: int = 40) -> list[dict]:
        seen = []
        for _ in range(limit):
            seen.extend(self.next_frames())
            if any(predicate(frame) for frame in seen):
                return seen
        raise AssertionError(f"no matching frame in {seen}")

    def rest(self) -> list[dict]:
        return [frame for chunk in self.chunks for frame in parse_frames(chunk.decode())]

    def close(self):
        self.response.close()


@pytest.fixture
def open_stream(client):
    streams = []

    def opener(url, **kwargs):
        response = client.get(url, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)
        stream = Stream(response)
        streams.append(stream)
        return stream

    yield opener
    for stream in streams:
        stream.close()


def events_of(frames, kind=None):
    """The frames that carry a change (no snapshot, no ping), of ``kind`` if given."""
    changes = [f for f in frames if f.get("event") not in (None, "snapshot", "ping")]
    return [f for f in changes if kind is None or f["event"] == kind]


# -- the staff stream -------------------------------------------------------------------------


def test_staff_stream_starts_with_a_snapshot_of_every_turn(
    app, client, login, secretary, conference, open_stream
):
    kept = log(conference, secretary, question="Câu hỏi giữ lại")
    gone = log(conference, secretary, question="Câu hỏi rút lại")
    live_operations.withdraw_turn(gone, reason="Trùng", by=secretary)
    db.session.commit()
    login(secretary)

    stream = open_stream(f"/conferences/{conference.id}/live/stream")

    assert stream.response.mimetype == "text/event-stream"
    assert "no-cache" in stream.response.headers["Cache-Control"]
    assert stream.response.headers["X-Accel-Buffering"] == "no"
    first = stream.next_frames()
    # 3 s, and up to 12 s more drawn for each stream: screens cut together come back spread.
    assert first[0].keys() == {"retry"} and 3000 <= int(first[0]["retry"]) <= 15000
    snapshot = first[1]
    assert snapshot["event"] == "snapshot"
    assert snapshot["id"] == "3" == str(snapshot["data"]["seq"])
    turns = {turn["id"]: turn for turn in snapshot["data"]["turns"]}
    assert turns[kept.id]["withdrawn"] is False
    assert turns[gone.id]["withdrawn"] is True
    assert turns[gone.id]["withdrawn_reason"] == "Trùng"
    assert snapshot["data"]["questions"] == []
    assert snapshot["data"]["conference"]["status"] == "in_progress"
    assert snapshot["data"]["conference"]["title"] == "Hội nghị đối thoại 6 tháng đầu năm"


def test_a_turn_saved_while_connected_arrives_once_numbered(
    app, client, login, secretary, conference, open_stream
):
    login(secretary)
    stream = open_stream(f"/conferences/{conference.id}/live/stream")
    stream.next_frames()

    turn = log(conference, secretary, question="Khi nào làm xong đường ngõ 12?")

    frames = stream.frames_until(lambda frame: frame.get("event") == "turn.created")
    created = events_of(frames)
    assert len(created) == 1
    assert created[0]["id"] == "1"
    data = created[0]["data"]
    assert data["seq"] == 1 and data["kind"] == "turn.created"
    assert data["turn"]["id"] == turn.id
    assert data["turn"]["question"] == "Khi nào làm xong đường ngõ 12?"


def test_stream_holds_no_database_connection_while_it_waits(
    app, client, login, secretary, conference, open_stream
):
    login(secretary)
    stream = open_stream(f"/conferences/{conference.id}/live/stream")
    stream.next_frames()
    db.session.commit()

    assert db.engine.pool.checkedout() == 0
    assert stream.next_frames()[0]["event"] == "ping"


def test_heartbeats_keep_the_stream_alive_and_it_ends_after_its_longest_life(
    app, client, login, secretary, conference, open_stream
):
    app.config["DIALOGUE_STREAM_MAX_SECONDS"] = 0.7
    login(secretary)
    stream = open_stream(f"/conferences/{conference.id}/live/stream")
    stream.next_frames()

    rest = stream.rest()

    assert rest, "heartbeats were expected before the end"
    assert all(frame["event"] == "ping" and frame["data"] == {"seq": 0} for frame in rest)
    assert get_bus(app).subscriber_count(events.channel_for(conference.id)) == 0


def test_last_event_id_replays_only_what_was_missed(
    app, client, login, secretary, conference, open_stream
):
    first = log(conference, secretary, question="Một")
    second = log(conference, secretary, question="Hai")
    third = log(conference, secretary, question="Ba")
    login(secretary)

    stream = open_stream(
        f"/conferences/{conference.id}/live/stream", headers={"Last-Event-ID": "1"}
    )

    frames = stream.next_frames()
    assert [frame.get("event") for frame in frames] == [None, "turn.created", "turn.created"]
    assert [frame["data"]["turn"]["id"] for frame in frames[1:]] == [second.id, third.id]
    assert [frame["id"] for frame in frames[1:]] == ["2", "3"]
    assert first.id not in [frame["data"]["turn"]["id"] for frame in frames[1:]]


def test_resuming_up_to_date_sends_no_snapshot(
    app, client, login, secretary, conference, open_stream
):
    log(conference, secretary)
    login(secretary)

    stream = open_stream(f"/conferences/{conference.id}/live/stream?after=1")

    frames = stream.next_frames()
    assert [frame.get("event") for frame in frames] == [None, "ping"]
    assert frames[1]["data"] == {"seq": 1}


@pytest.mark.parametrize("resume", ["0", "99", "pas un nombre"])
def test_a_resume_point_too_old_or_unknown_gets_a_snapshot(
    app, client, login, secretary, conference, open_stream, monkeypatch, resume
):
    monkeypatch.setattr(feed_operations, "REPLAY_LIMIT", 2)
    for n in range(3):
        log(conference, secretary, question=f"Câu hỏi {n}")
    login(secretary)

    stream = open_stream(
        f"/conferences/{conference.id}/live/stream", headers={"Last-Event-ID": resume}
    )

    frames = stream.next_frames()
    assert frames[1]["event"] == "snapshot"
    assert frames[1]["data"]["seq"] == 3
    assert len(frames[1]["data"]["turns"]) == 3


def test_a_lost_publication_is_caught_up_from_the_database(
    app, client, login, secretary, conference, open_stream, monkeypatch
):
    login(secretary)
    stream = open_stream(f"/conferences/{conference.id}/live/stream")
    stream.next_frames()
    bus = get_bus(app)
    publish = bus.publish
    dropped = []
    monkeypatch.setattr(bus, "publish", lambda channel, message: dropped.append(message))
    lost = log(conference, secretary, question="Bị mất trên đường truyền")
    monkeypatch.setattr(bus, "publish", publish)

    after = log(conference, secretary, question="Đến bình thường")

    frames = stream.frames_until(lambda frame: frame.get("id") == "2")
    created = events_of(frames, "turn.created")
    assert len(dropped) == 1
    assert [frame["data"]["turn"]["id"] for frame in created] == [lost.id, after.id]
    assert [frame["id"] for frame in created] == ["1", "2"]


def test_turns_published_out_of_order_reach_the_screen_in_order_without_a_read(
    app, client, login, secretary, conference, open_stream, monkeypatch
):
    # Two saves commit in one order and, each published after its own commit from its own
    # process, may reach the bus in the other.
    login(secretary)
    stream = open_stream(f"/conferences/{conference.id}/live/stream")
    stream.next_frames()
    bus = get_bus(app)
    publish = bus.publish
    held = []
    monkeypatch.setattr(bus, "publish", lambda channel, message: held.append((channel, message)))
    first = log(conference, secretary, question="Lưu trước")
    second = log(conference, secretary, question="Lưu sau")
    monkeypatch.setattr(bus, "publish", publish)
    reads = []
    monkeypatch.setattr(
        feed_stream, "catch_up_frames", lambda *a, **k: reads.append(a) or catch_up_frames(*a, **k)
    )

    for channel, message in reversed(held):
        bus.publish(channel, message)

    frames = stream.frames_until(lambda frame: frame.get("id") == "2")
    created = events_of(frames, "turn.created")
    assert [frame["data"]["turn"]["id"] for frame in created] == [first.id, second.id]
    assert reads == []


def test_a_subscriber_that_fell_behind_catches_up_from_the_database(
    app, client, login, secretary, conference, open_stream
):
    login(secretary)
    stream = open_stream(f"/conferences/{conference.id}/live/stream")
    stream.next_frames()
    channel = events.channel_for(conference.id)
    # More than the subscriber's queue holds, while it is not reading: it overflows, and the
    # turn's own publication finds no room.
    old = json.dumps({"conference": conference.id, "seq": 0, "kind": "x", "staff": {}})
    for _ in range(SUBSCRIBER_BACKLOG + 5):
        get_bus(app).publish(channel, old)
    turn = log(conference, secretary)

    frames = stream.frames_until(lambda frame: frame.get("id") == "1")

    created = events_of(frames, "turn.created")
    assert [frame["data"]["turn"]["id"] for frame in created] == [turn.id]


def test_staff_snapshot_lists_the_moderation_queue(
    app, client, login, secretary, conference, open_stream
):
    receive_question(
        conference,
        QuestionData(question="Xin hỏi về hộ khẩu", asker_name=SECRET_ASKER),
    )
    db.session.commit()
    login(secretary)

    snapshot = client.get(f"/conferences/{conference.id}/live/snapshot.json").get_json()

    assert snapshot["type"] == "snapshot"
    assert [q["question"] for q in snapshot["questions"]] == ["Xin hỏi về hộ khẩu"]


def test_staff_stream_needs_an_account_of_the_ward(
    app, client, login, make_user, other_ward, conference
):
    assert client.get(f"/conferences/{conference.id}/live/stream").status_code == 302
    login(make_user(Role.ORGANISER, ward=other_ward))
    assert client.get(f"/conferences/{conference.id}/live/stream").status_code == 404
    assert client.get(f"/conferences/{conference.id}/live/snapshot.json").status_code == 404


@pytest.mark.parametrize("role", [Role.CHAIR, Role.RESPONDER, Role.ORGANISER, Role.SECRETARY])
def test_every_staff_role_of_the_ward_may_watch(
    app, client, login, make_user, conference, open_stream, role
):
    login(make_user(role))
    stream = open_stream(f"/conferences/{conference.id}/live/stream")
    assert stream.next_frames()[1]["event"] == "snapshot"


# -- the public stream ------------------------------------------------------------------------


def test_public_stream_shows_no_name_no_asker_and_no_withdrawn_turn(
    app, client, secretary, conference, group, unit, open_stream
):
    named = log(
        conference,
        secretary,
        question="Ngõ 12 bị ngập khi mưa",
        speaker_name=SECRET_SPEAKER,
        speaker_group_id=group.id,
    )
    withdrawn = log(conference, secretary, question="Bị rút lại")
    live_operations.withdraw_turn(withdrawn, reason="Trùng", by=secretary)
    db.session.commit()

    stream = open_stream(public_url(conference, "truc-tiep/stream"))
    snapshot = stream.next_frames()[1]
    receive_question(
        conference,
        QuestionData(
            question="Câu hỏi gửi từ điện thoại",
            asker_name=SECRET_ASKER,
            contact=SECRET_CONTACT,
            has_contact_consent=True,
        ),
    )
    db.session.commit()
    live_operations.update_turn(
        named,
        TurnData(
            question=named.question,
            speaker_name=SECRET_SPEAKER,
            speaker_group_id=group.id,
            outcome=TurnOutcome.REFERRED,
            referral_unit_id=unit.id,
        ),
        expected_version=named.version,
        by=secretary,
    )
    db.session.commit()
    frames = stream.frames_until(lambda frame: frame.get("event") == "turn.updated")

    assert [turn["id"] for turn in snapshot["data"]["turns"]] == [named.id]
    assert snapshot["data"]["turns"][0]["speaker"] == "Công dân tổ dân phố số 9"
    assert "questions" not in snapshot["data"]
    # The question residents sent is not told to residents: a ping keeps the numbers whole.
    received = next(frame for frame in frames if frame.get("id") == "4")
    assert received["event"] == "ping" and received["data"] == {"seq": 4}
    updated = next(frame for frame in frames if frame.get("event") == "turn.updated")
    assert updated["data"]["turn"]["referral"]["unit"] == unit.name
    everything = json.dumps([snapshot, *frames], ensure_ascii=False)
    for secret in (
        SECRET_SPEAKER,
        SECRET_ASKER,
        SECRET_CONTACT,
        "Câu hỏi gửi từ điện thoại",
        "withdrawn_reason",
        "client_key",
        secretary.display_name,
    ):
        assert secret not in everything


def test_public_stream_names_speakers_where_the_ward_shows_names(
    app, client, ward, secretary, conference, group, open_stream
):
    ward.shows_speaker_names = True
    db.session.commit()
    log(conference, secretary, speaker_name=SECRET_SPEAKER, speaker_group_id=group.id)

    stream = open_stream(public_url(conference, "truc-tiep/stream"))

    assert stream.next_frames()[1]["data"]["turns"][0]["speaker"] == SECRET_SPEAKER


def test_residents_see_a_withdrawn_turn_go(app, client, secretary, conference, open_stream):
    turn = log(conference, secretary)
    stream = open_stream(public_url(conference, "truc-tiep/stream"))
    stream.next_frames()

    live_operations.withdraw_turn(turn, reason="Nhầm người", by=secretary)
    db.session.commit()

    frames = stream.frames_until(lambda frame: frame.get("event") == "turn.withdrawn")
    withdrawn = events_of(frames, "turn.withdrawn")[0]
    assert withdrawn["data"]["turn"] == {"id": turn.id, "withdrawn": True}


def test_public_stream_of_a_closed_conference_sends_its_state_and_ends(
    app, client, make_conference, open_stream
):
    closed = make_conference(
        status=ConferenceStatus.CLOSED, announced_dt=datetime.now(UTC), conclusion="Kết luận."
    )

    frames = open_stream(public_url(closed, "truc-tiep/stream")).rest()

    assert [frame.get("event") for frame in frames] == [None, "snapshot"]
    assert frames[1]["data"]["conference"]["status"] == "closed"
    assert frames[1]["data"]["conference"]["conclusion"] == "Kết luận."


def test_public_stream_ends_when_the_conference_closes(
    app, client, secretary, conference, open_stream
):
    stream = open_stream(public_url(conference, "truc-tiep/stream"))
    stream.next_frames()
    conference.status = ConferenceStatus.CLOSED
    conference.conclusion = "Giao Phòng Kinh tế kiểm tra ngõ 12."
    events.emit(
        conference,
        "conference.closed",
        {"conference": {"status": "closed"}},
        {"conference": {"status": "closed", "conclusion": conference.conclusion}},
    )
    db.session.commit()

    frames = stream.rest()

    assert [frame["event"] for frame in frames if frame["event"] != "ping"] == ["conference.closed"]


@pytest.mark.parametrize("suffix", ["truc-tiep/stream", "truc-tiep.json", "truc-tiep", "man-hinh"])
def test_public_screens_of_a_draft_or_another_wards_conference_do_not_exist(
    app, client, make_conference, other_ward, conference, suffix
):
    draft = make_conference()
    assert client.get(public_url(draft, suffix)).status_code == 404
    wrong_ward = f"/p/{other_ward.slug}/hoi-nghi/{conference.id}/{suffix}"
    assert client.get(wrong_ward).status_code == 404


# -- polling ----------------------------------------------------------------------------------


def test_polling_answers_304_until_something_changes(app, client, secretary, conference):
    url = public_url(conference, "truc-tiep.json")
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.get_json()["type"] == "snapshot"
    assert first.headers["Cache-Control"] == "no-cache"

    unchanged = client.get(f"{url}?after=0", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.headers["ETag"] == etag

    turn = log(conference, secretary)
    changed = client.get(f"{url}?after=0", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    body = changed.get_json()
    assert body["type"] == "events" and body["seq"] == 1
    assert [(e["kind"], e["turn"]["id"]) for e in body["events"]] == [("turn.created", turn.id)]


def test_polling_leaves_out_what_residents_are_not_told(app, client, secretary, conference):
    log(conference, secretary)
    receive_question(conference, QuestionData(question="Hỏi riêng", asker_name=SECRET_ASKER))
    db.session.commit()

    body = client.get(public_url(conference, "truc-tiep.json?after=0")).get_json()

    assert body["seq"] == 2
    assert [event["kind"] for event in body["events"]] == ["turn.created"]
    assert SECRET_ASKER not in json.dumps(body, ensure_ascii=False)


def test_polling_from_too_far_behind_gets_a_snapshot(
    app, client, secretary, conference, monkeypatch
):
    monkeypatch.setattr(feed_operations, "REPLAY_LIMIT", 1)
    log(conference, secretary, question="Một")
    log(conference, secretary, question="Hai")

    body = client.get(public_url(conference, "truc-tiep.json?after=0")).get_json()

    assert body["type"] == "snapshot"
    assert [turn["question"] for turn in body["turns"]] == ["Một", "Hai"]


def test_a_change_of_state_alone_changes_the_etag(app, client, make_conference):
    conference = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    url = public_url(conference, "truc-tiep.json")
    etag = client.get(url).headers["ETag"]

    conference.status = ConferenceStatus.IN_PROGRESS
    db.session.commit()

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.get_json()["conference"]["status"] == "in_progress"


# -- the pages --------------------------------------------------------------------------------


def test_live_page_lists_the_turns_without_script(
    app, client, secretary, conference, group, unit, make_conference
):
    log(
        conference,
        secretary,
        question="Câu hỏi thứ nhất",
        speaker_name=SECRET_SPEAKER,
        speaker_group_id=group.id,
    )
    log(
        conference,
        secretary,
        question="Câu hỏi thứ hai",
        outcome=TurnOutcome.REFERRED,
        referral_unit_id=unit.id,
    )

    page = client.get(public_url(conference, "truc-tiep"))

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.index("Câu hỏi thứ hai") < html.index("Câu hỏi thứ nhất")  # newest first
    assert "Công dân tổ dân phố số 9" in html
    assert SECRET_SPEAKER not in html
    assert unit.name in html
    assert "js/livefeed.js" in html and "js/livepage.js" in html
    assert f'data-stream-url="{public_url(conference, "truc-tiep/stream")}"' in html
    assert "Send a question" in html


def test_projector_shows_the_current_turn_and_a_qr_code_to_the_question_form(
    app, client, secretary, conference, unit
):
    log(conference, secretary, question="Câu hỏi cũ")
    log(conference, secretary, question="Câu hỏi đang trả lời")

    page = client.get(public_url(conference, "man-hinh"))

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    current = html[html.index('id="feed-current"') : html.index("projector-side")]
    assert "Câu hỏi đang trả lời" in current and "Câu hỏi cũ" not in current
    assert 'src="data:image/png;base64,' in html
    assert f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/gui-cau-hoi" in html
    # A screen in a hall: no buttons, no forms.
    assert "<form" not in html and "<button" not in html


def test_projector_of_a_closed_conference_shows_the_conclusion_and_no_qr(
    app, client, make_conference
):
    closed = make_conference(
        status=ConferenceStatus.CLOSED,
        announced_dt=datetime.now(UTC),
        conclusion="Giao các đơn vị trả lời bằng văn bản trong 10 ngày.",
    )

    html = client.get(public_url(closed, "man-hinh")).get_data(as_text=True)

    assert "Giao các đơn vị trả lời bằng văn bản trong 10 ngày." in html
    assert "data:image/png" not in html


def test_the_notice_links_to_the_live_page_once_the_conference_is_under_way(
    app, client, conference, make_conference
):
    announced = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    live = public_url(conference, "truc-tiep")

    assert live in client.get(public_url(conference, "")[:-1]).get_data(as_text=True)
    assert public_url(announced, "truc-tiep") not in client.get(
        public_url(announced, "")[:-1]
    ).get_data(as_text=True)


def test_script_and_html_typed_into_a_turn_reach_pages_as_text(app, client, secretary, conference):
    log(conference, secretary, question='<script>alert("x")</script><b>đậm</b>')

    html = client.get(public_url(conference, "truc-tiep")).get_data(as_text=True)

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;đậm&lt;/b&gt;" in html


def test_the_administrator_chooses_to_show_speakers_names(
    app, client, login, make_user, ward, secretary, conference, group
):
    log(conference, secretary, speaker_name=SECRET_SPEAKER, speaker_group_id=group.id)
    login(make_user(Role.ADMINISTRATOR))
    form = {
        "name": ward.name,
        "kind": ward.kind.value,
        "slug": ward.slug,
        "place_name": ward.place_name,
        "issuer_code": ward.issuer_code,
        "timezone": ward.timezone,
        "is_active": "y",
    }
    edit = client.get(f"/admin/wards/{ward.id}/edit").get_data(as_text=True)
    assert 'name="shows_speaker_names"' in edit

    client.post(f"/admin/wards/{ward.id}/edit", data={**form, "shows_speaker_names": "y"})
    assert SECRET_SPEAKER in client.get(public_url(conference, "truc-tiep")).get_data(as_text=True)

    client.post(f"/admin/wards/{ward.id}/edit", data=form)
    page = client.get(public_url(conference, "truc-tiep")).get_data(as_text=True)
    assert SECRET_SPEAKER not in page
    assert "Công dân tổ dân phố số 9" in page
