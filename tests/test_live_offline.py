"""Turns saved offline: their place by when they were spoken, speakers' names matched on arrival,
the console's service worker, and the hall's screens linked from the staff pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.live import operations
from dialogue.live.forms import spoken_moment
from dialogue.live.matching import match_speaker, name_words
from dialogue.live.models import LiveEvent, SpeakerMatch, Turn
from dialogue.live.operations import SpeakerSettled, TurnData

NOW = datetime.now(UTC)


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def conference(make_conference):
    """Under way for two hours."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    return make_conference(status=ConferenceStatus.IN_PROGRESS, start_dt=start, started_dt=start)


@pytest.fixture
def secretary(make_user, conference):
    user = make_user(Role.SECRETARY)
    conference.secretaries.append(user)
    db.session.commit()
    return user


@pytest.fixture
def groups(ward):
    from dialogue.wards.models import ResidentialGroup

    groups = {n: ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (5, 9)}
    db.session.add_all(groups.values())
    db.session.commit()
    return groups


def _attendee(conference, name, group=None, status=AttendanceStatus.PRESENT, **values):
    attendee = Attendee(
        conference=conference, full_name=name, residential_group=group, status=status, **values
    )
    db.session.add(attendee)
    db.session.commit()
    return attendee


def _log(conference, by, question, *, minutes_ago=None, client_key=None, **values):
    spoken = None if minutes_ago is None else datetime.now(UTC) - timedelta(minutes=minutes_ago)
    logged = operations.log_turn(
        conference,
        TurnData(question=question, spoken_dt=spoken, **values),
        by=by,
        client_key=client_key,
    )
    db.session.commit()
    return logged


def _order(conference) -> list[str]:
    return [turn.question for turn in operations.list_turns(conference)]


def _last_event(conference) -> LiveEvent:
    return db.session.scalars(
        sa.select(LiveEvent)
        .where(LiveEvent.conference_id == conference.id)
        .order_by(LiveEvent.sequence.desc())
        .limit(1)
    ).one()


# -- the speaking order -------------------------------------------------------------------------


def test_a_turn_saved_offline_takes_its_place_by_when_it_was_spoken(conference, secretary):
    _log(conference, secretary, "B", minutes_ago=20)
    _log(conference, secretary, "C", minutes_ago=10)
    late = _log(conference, secretary, "A", minutes_ago=30)
    assert _order(conference) == ["A", "B", "C"]
    assert [turn.position for turn in operations.list_turns(conference)] == [1, 2, 3]
    assert late.turn.position == 1 and late.created
    ids = [turn.id for turn in operations.list_turns(conference)]
    assert late.order == ids
    # Every screen renumbers in the same step as it learns of the turn.
    event = _last_event(conference)
    assert event.kind == "turn.created"
    assert event.staff_payload["order"] == ids
    assert event.public_payload["order"] == ids
    assert event.staff_payload["turn"]["position"] == 1
    # Moved by what was said before them, not edited: nobody's edit of them becomes a conflict.
    assert {turn.version for turn in operations.list_turns(conference)} == {1}


def test_two_secretaries_turns_interleave_in_speaking_order(conference, secretary, make_user):
    offline = make_user(Role.SECRETARY)
    conference.secretaries.append(offline)
    db.session.commit()
    # One secretary online at 10:02 and 10:04; the other offline at 10:01 and 10:03, sent later.
    _log(conference, secretary, "online 2", minutes_ago=58)
    _log(conference, secretary, "online 4", minutes_ago=56)
    first = _log(conference, offline, "offline 1", minutes_ago=59)
    second = _log(conference, offline, "offline 3", minutes_ago=57)
    assert _order(conference) == ["offline 1", "online 2", "offline 3", "online 4"]
    assert (first.turn.position, second.turn.position) == (1, 3)
    # The turn saved now goes last, as ever, and moves no one.
    now = _log(conference, secretary, "now")
    assert now.turn.position == 5 and now.order is None
    assert _last_event(conference).staff_payload.get("order") is None


def test_a_wrong_clock_is_kept_between_the_start_and_the_arrival(conference, secretary):
    _log(conference, secretary, "first")
    way_back = _log(conference, secretary, "clock in 2001", minutes_ago=60 * 24 * 365 * 25)
    assert way_back.turn.spoken_dt == conference.started_dt
    assert _order(conference) == ["clock in 2001", "first"]
    ahead = _log(conference, secretary, "clock a day ahead", minutes_ago=-60 * 24)
    assert ahead.turn.spoken_dt <= datetime.now(UTC)
    assert _order(conference)[-1] == "clock a day ahead"


def test_the_order_set_by_hand_is_kept_when_a_late_turn_arrives(conference, secretary):
    a = _log(conference, secretary, "A", minutes_ago=30).turn
    b = _log(conference, secretary, "B", minutes_ago=20).turn
    c = _log(conference, secretary, "C", minutes_ago=10).turn
    operations.reorder_turns(conference, [c.id, a.id, b.id], by=secretary)
    db.session.commit()
    _log(conference, secretary, "D", minutes_ago=25)
    assert _order(conference) == ["C", "A", "D", "B"]
    # Moving by hand still works afterwards.
    operations.move_turn(b, -3, by=secretary)
    db.session.commit()
    assert _order(conference) == ["B", "C", "A", "D"]


def test_residents_are_given_the_order_without_the_withdrawn_turns(conference, secretary):
    a = _log(conference, secretary, "A", minutes_ago=30).turn
    b = _log(conference, secretary, "B", minutes_ago=20).turn
    operations.withdraw_turn(a, "Trùng", by=secretary)
    db.session.commit()
    late = _log(conference, secretary, "late", minutes_ago=25).turn
    event = _last_event(conference)
    assert event.staff_payload["order"] == [a.id, late.id, b.id]
    assert event.public_payload["order"] == [late.id, b.id]


def test_the_moment_a_turn_was_spoken_is_now_less_its_wait():
    saved = "2020-06-30T02:00:00.000Z"
    # The browser's clock is years off; only the wait of 90 s between saving and sending counts.
    moment = spoken_moment(saved, "2020-06-30T02:01:30.000Z")
    assert abs((datetime.now(UTC) - moment) - timedelta(seconds=90)) < timedelta(seconds=5)
    assert spoken_moment(saved, "2020-06-30T01:00:00Z") is None  # sent before it was saved
    assert spoken_moment("yesterday", saved) is None
    assert spoken_moment("2020-06-30T02:00:00", saved) is None  # no offset: no moment
    assert spoken_moment(None, None) is None
    assert spoken_moment("9" * 100, saved) is None


def test_a_late_turn_through_the_api_answers_the_new_order(client, login, conference, secretary):
    login(secretary)
    url = f"/conferences/{conference.id}/live/turns"
    first = client.post(url, json={"question": "Nói sau", "client_key": "k-later-0001"})
    assert first.status_code == 200 and "order" not in first.json
    now = datetime.now(UTC)
    late = client.post(
        url,
        json={
            "question": "Nói trước, gửi sau",
            "client_key": "k-earlier-001",
            # Saved ten minutes before it was sent, by a clock that is two hours slow.
            "saved_at": (now - timedelta(hours=2, minutes=10)).isoformat(),
            "sent_at": (now - timedelta(hours=2)).isoformat(),
        },
    )
    assert late.status_code == 200
    assert late.json["turn"]["position"] == 1
    assert late.json["order"] == [late.json["turn"]["id"], first.json["turn"]["id"]]
    spoken = datetime.fromisoformat(late.json["turn"]["spoken_at"])
    assert timedelta(minutes=9) < now - spoken < timedelta(minutes=11)


# -- names typed offline ------------------------------------------------------------------------


def test_name_words_fold_and_leave_out_honorifics():
    assert name_words("Ông  Vũ Đình Khôi") == ["vu", "dinh", "khoi"]
    assert name_words("bà Đặng Thị Mai") == ["dang", "thi", "mai"]
    assert name_words("Ông") == ["ong"]


def test_match_speaker_decides_only_what_is_clear(conference, groups):
    khoi = _attendee(conference, "Vũ Đình Khôi", groups[5])
    khoi_9 = _attendee(conference, "Vũ Đình Khởi", groups[9])
    mai = _attendee(conference, "Đặng Thị Mai", groups[9])
    present = [khoi, khoi_9, mai]
    # Two people fold alike: no guess, both offered.
    both = match_speaker("vu dinh khoi", None, present)
    assert both.linked is None and set(both.candidates) == {khoi, khoi_9}
    # The group chosen tells them apart.
    assert match_speaker("vu dinh khoi", groups[9].id, present).linked is khoi_9
    assert match_speaker("dang thi mai", None, present).linked is mai
    assert match_speaker("Bà đặng thị mai", groups[9].id, present).linked is mai
    # The right name in another group is a doubt, not a link.
    other_group = match_speaker("dang thi mai", groups[5].id, present)
    assert other_group.linked is None and list(other_group.candidates) == [mai]
    # Near names are offered, never linked.
    assert list(match_speaker("dang thi maii", None, present).candidates) == [mai]
    assert match_speaker("mai", None, present).candidates[0] is mai
    assert list(match_speaker("tran van an", None, present).candidates) == []


def test_a_name_typed_offline_with_one_clear_match_is_linked(conference, secretary, groups):
    khoi = _attendee(conference, "Vũ Đình Khôi", groups[5], organisation="")
    turn = _log(
        conference, secretary, "Hỏi", speaker_name="vu dinh khoi", speaker_unchecked=True
    ).turn
    assert turn.speaker_attendee == khoi
    assert (turn.speaker_name, turn.speaker_group) == ("Vũ Đình Khôi", groups[5])
    assert turn.speaker_match is SpeakerMatch.LINKED
    assert turn.speaker_typed_name == "vu dinh khoi"
    payload = _last_event(conference).staff_payload["turn"]
    assert payload["speaker_match"] == "linked" and payload["speaker_typed"] == "vu dinh khoi"
    # Residents see the group the person is in, as for a speaker picked from the list.
    assert _last_event(conference).public_payload["turn"]["speaker"] == "Công dân tổ dân phố số 5"


def test_a_doubtful_name_is_left_to_confirm_with_its_candidates(conference, secretary, groups):
    khoi = _attendee(conference, "Vũ Đình Khôi", groups[5])
    khoi_9 = _attendee(conference, "Vũ Đình Khởi", groups[9])
    # Not checked in: not a candidate.
    _attendee(conference, "Vũ Đình Khoi", status=AttendanceStatus.EXPECTED)
    turn = _log(
        conference, secretary, "Hỏi", speaker_name="vu dinh khoi", speaker_unchecked=True
    ).turn
    assert turn.speaker_match is SpeakerMatch.TO_CONFIRM
    assert turn.speaker_attendee is None and turn.speaker_name == "vu dinh khoi"
    assert set(turn.speaker_candidate_ids) == {khoi.id, khoi_9.id}
    candidates = _last_event(conference).staff_payload["turn"]["speaker_candidates"]
    assert {(c["name"], c["group"]) for c in candidates} == {
        ("Vũ Đình Khôi", "Tổ dân phố số 5"),
        ("Vũ Đình Khởi", "Tổ dân phố số 9"),
    }
    # Residents never see the candidates.
    assert "speaker_candidates" not in _last_event(conference).public_payload["turn"]


def test_a_name_nobody_present_has_is_flagged_too(conference, secretary, groups):
    turn = _log(conference, secretary, "Hỏi", speaker_name="ai do", speaker_unchecked=True).turn
    assert turn.speaker_match is SpeakerMatch.TO_CONFIRM
    assert turn.speaker_candidate_ids == []


def test_a_name_picked_or_typed_online_is_not_matched(conference, secretary, groups):
    khoi = _attendee(conference, "Vũ Đình Khôi", groups[5])
    typed = _log(conference, secretary, "Hỏi", speaker_name="vu dinh khoi").turn
    assert typed.speaker_match is None and typed.speaker_attendee is None
    picked = _log(
        conference,
        secretary,
        "Hỏi",
        speaker_attendee_id=khoi.id,
        speaker_unchecked=True,
    ).turn
    assert picked.speaker_match is None and picked.speaker_attendee == khoi


def test_confirm_a_candidate_or_keep_the_name_as_typed(conference, secretary, groups, make_user):
    khoi = _attendee(conference, "Vũ Đình Khôi", groups[5])
    _attendee(conference, "Vũ Đình Khởi", groups[9])

    def flagged():
        return _log(
            conference, secretary, "Hỏi", speaker_name="vu dinh khoi", speaker_unchecked=True
        ).turn

    turn = flagged()
    operations.confirm_speaker(turn, khoi.id, by=secretary)
    db.session.commit()
    assert turn.speaker_match is SpeakerMatch.CONFIRMED
    assert (turn.speaker_attendee, turn.speaker_name, turn.speaker_group) == (
        khoi,
        "Vũ Đình Khôi",
        groups[5],
    )
    assert turn.version == 2 and turn.speaker_typed_name == "vu dinh khoi"
    assert _last_event(conference).kind == "turn.updated"
    # The same choice again (the other secretary, a second click): nothing changes.
    operations.confirm_speaker(turn, khoi.id, by=secretary)
    assert turn.version == 2
    # Another choice once settled is refused: look again.
    with pytest.raises(SpeakerSettled):
        operations.confirm_speaker(turn, None, by=secretary)
    db.session.rollback()

    kept = flagged()
    operations.confirm_speaker(kept, None, by=secretary)
    db.session.commit()
    assert kept.speaker_match is SpeakerMatch.KEPT
    assert (kept.speaker_name, kept.speaker_attendee, kept.version) == ("vu dinh khoi", None, 1)
    assert _last_event(conference).staff_payload["turn"]["speaker_match"] == "kept"


def test_an_edit_that_picks_the_speaker_settles_the_name(conference, secretary, groups):
    khoi = _attendee(conference, "Vũ Đình Khôi", groups[5])
    _attendee(conference, "Vũ Đình Khởi", groups[9])
    turn = _log(
        conference, secretary, "Hỏi", speaker_name="vu dinh khoi", speaker_unchecked=True
    ).turn
    # An edit of the answer alone leaves the name to confirm.
    operations.update_turn(
        turn,
        TurnData(question="Hỏi lại", speaker_name="vu dinh khoi"),
        by=secretary,
        expected_version=1,
    )
    db.session.commit()
    assert turn.speaker_match is SpeakerMatch.TO_CONFIRM
    operations.update_turn(
        turn,
        TurnData(question="Hỏi lại", speaker_attendee_id=khoi.id),
        by=secretary,
        expected_version=2,
    )
    db.session.commit()
    assert turn.speaker_match is None and turn.speaker_candidate_ids is None
    assert turn.speaker_name == "Vũ Đình Khôi"


def test_confirm_through_the_api_and_the_plain_form(client, login, conference, secretary, groups):
    khoi = _attendee(conference, "Vũ Đình Khôi", groups[5])
    _attendee(conference, "Vũ Đình Khởi", groups[9])
    login(secretary)
    created = client.post(
        f"/conferences/{conference.id}/live/turns",
        json={"question": "Hỏi", "speaker_name": "vu dinh khoi", "speaker_unchecked": True},
    )
    turn = created.json["turn"]
    assert turn["speaker_match"] == "to_confirm" and len(turn["speaker_candidates"]) == 2
    # The console without the script shows the choices as buttons.
    page = client.get(f"/conferences/{conference.id}/live/").get_data(as_text=True)
    assert f'id="speaker-check-{turn["id"]}"' in page
    assert f'name="attendee_id" value="{khoi.id}"' in page
    assert "1 names typed offline to confirm." in page
    url = f"/conferences/{conference.id}/live/turns/{turn['id']}/speaker"
    assert client.post(url, json={}).status_code == 400
    chosen = client.post(url, json={"attendee_id": khoi.id})
    assert chosen.status_code == 200
    assert chosen.json["turn"]["speaker"] == "Vũ Đình Khôi"
    assert chosen.json["turn"]["speaker_match"] == "confirmed"
    refused = client.post(url, json={"keep": True})
    assert refused.status_code == 409 and refused.json["field"] == "speaker"
    # Without the script: a form post, then the console.
    other = client.post(
        f"/conferences/{conference.id}/live/turns",
        json={"question": "Hỏi nữa", "speaker_name": "ai do", "speaker_unchecked": "y"},
    ).json["turn"]
    answer = client.post(
        f"/conferences/{conference.id}/live/turns/{other['id']}/speaker", data={"keep": "y"}
    )
    assert answer.status_code == 302
    assert db.session.get(Turn, other["id"]).speaker_match is SpeakerMatch.KEPT


def test_an_attendee_of_another_conference_is_refused(
    client, login, conference, secretary, make_conference
):
    stranger = _attendee(make_conference(), "Vũ Đình Khôi")
    login(secretary)
    turn = client.post(
        f"/conferences/{conference.id}/live/turns",
        json={"question": "Hỏi", "speaker_name": "vu dinh khoi", "speaker_unchecked": True},
    ).json["turn"]
    refused = client.post(
        f"/conferences/{conference.id}/live/turns/{turn['id']}/speaker",
        json={"attendee_id": stranger.id},
    )
    assert refused.status_code == 400 and refused.json["field"] == "speaker"


def test_the_form_lists_every_error_in_field_order(client, login, conference, secretary):
    login(secretary)
    answer = client.post(
        f"/conferences/{conference.id}/live/turns",
        json={"question": "", "outcome": "nonsense", "speaker_name": "x" * 200},
    )
    assert answer.status_code == 400
    assert answer.json["fields"] == ["speaker_name", "question", "outcome"]
    assert set(answer.json["errors"]) == {"speaker_name", "question", "outcome"}
    assert answer.json["field"] == "speaker_name"


# -- the service worker and the hall's screens --------------------------------------------------


def test_the_service_worker_is_served_from_the_consoles_path(client, login, conference, secretary):
    url = f"/conferences/{conference.id}/live/service-worker.js"
    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    login(secretary)
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == f"/conferences/{conference.id}/live/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    body = response.get_data(as_text=True)
    assert "caches.open" in body
    page = client.get(f"/conferences/{conference.id}/live/").get_data(as_text=True)
    assert f'data-service-worker-url="{url}?static=/static/"' in page


def test_the_staff_pages_link_the_hall_screens_and_the_qr_code(
    app, client, login, conference, secretary
):
    login(secretary)
    live_page = f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/truc-tiep"
    projector = f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/man-hinh"
    screens = f"/conferences/{conference.id}/live/screens"
    for page in (
        client.get(f"/conferences/{conference.id}/live/"),
        client.get(f"/conferences/{conference.id}"),
    ):
        html = page.get_data(as_text=True)
        assert f'href="{live_page}"' in html
        assert f'href="{projector}"' in html
        assert f'href="{screens}"' in html
    app.config["DIALOGUE_PUBLIC_URL"] = "https://doithoai.example.vn"
    qr = client.get(screens)
    assert qr.status_code == 200
    html = qr.get_data(as_text=True)
    assert 'src="data:image/png;base64,' in html
    assert f"doithoai.example.vn{live_page}" in html


def test_no_hall_screens_for_a_draft(client, login, make_conference, make_user):
    draft = make_conference(status=ConferenceStatus.DRAFT)
    login(make_user(Role.ORGANISER))
    assert client.get(f"/conferences/{draft.id}/live/screens").status_code == 404
    assert "/live/screens" not in client.get(f"/conferences/{draft.id}").get_data(as_text=True)
