"""The secretaries' console through HTTP: the JSON API, the plain forms, access, CSRF."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from dialogue import create_app
from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.live import operations
from dialogue.live.models import Turn
from dialogue.live.operations import TurnData
from dialogue.wards.models import ResidentialGroup, Unit
from tests.conftest import PASSWORD


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def conference(make_conference):
    return make_conference(status=ConferenceStatus.IN_PROGRESS)


@pytest.fixture
def group(ward):
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    db.session.add(group)
    db.session.commit()
    return group


@pytest.fixture
def unit(ward):
    unit = Unit(ward=ward, name="Bộ phận Một cửa")
    db.session.add(unit)
    db.session.commit()
    return unit


@pytest.fixture
def secretary(make_user, conference):
    user = make_user(Role.SECRETARY)
    conference.secretaries.append(user)
    db.session.commit()
    return user


@pytest.fixture
def desk(client, login, secretary):
    login(secretary)
    return client


def _url(conference, tail=""):
    return f"/conferences/{conference.id}/live/{tail}"


def _turn(conference, by, question="Thủ tục tách thửa đất mất bao lâu?", **values):
    turn = operations.log_turn(conference, TurnData(question=question, **values), by=by).turn
    db.session.commit()
    return turn


def _area(ward, code):
    return next(area for area in ward.procedure_areas if area.code == code)


JSON = {"Accept": "application/json"}


# -- the page -----------------------------------------------------------------------------------


def test_the_console_shows_the_form_and_the_turns(desk, conference, secretary):
    _turn(conference, secretary, speaker_name="Nguyễn Văn A")
    page = desk.get(_url(conference)).get_data(as_text=True)
    assert 'id="turn-form"' in page
    assert 'id="turn-list"' in page
    assert "Nguyễn Văn A" in page
    assert 'id="console-data"' in page
    assert "Ctrl+Enter" in page


def test_the_conference_page_leads_to_the_console(desk, conference):
    page = desk.get(f"/conferences/{conference.id}").get_data(as_text=True)
    assert "Open the console" in page
    assert f'href="/conferences/{conference.id}/live/"' in page


def test_the_chair_reads_the_console_without_the_form(client, login, make_user, conference):
    login(make_user(Role.CHAIR))
    response = client.get(_url(conference))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="turn-form"' not in page
    assert "secretaries and organisers record them" in page
    assert client.post(_url(conference, "turns"), json={"question": "x"}).status_code == 403


def test_a_secretary_not_assigned_reads_but_may_not_write(client, login, make_user, conference):
    login(make_user(Role.SECRETARY))
    assert 'id="turn-form"' not in client.get(_url(conference)).get_data(as_text=True)
    response = client.post(_url(conference, "turns"), json={"question": "Hỏi"})
    assert response.status_code == 403
    assert response.json["ok"] is False
    assert "secretaries and organisers" in response.json["message"]
    assert db.session.scalar(sa.select(sa.func.count(Turn.id))) == 0


def test_an_organiser_of_the_ward_records_turns(client, login, make_user, conference):
    login(make_user(Role.ORGANISER))
    response = client.post(_url(conference, "turns"), json={"question": "Hỏi về hộ tịch"})
    assert response.status_code == 200
    assert response.json["ok"] is True


def test_another_wards_conference_and_a_responder_are_refused(
    client, login, make_user, make_conference, other_ward, conference
):
    foreign = make_conference(ward=other_ward, status=ConferenceStatus.IN_PROGRESS)
    login(make_user(Role.SECRETARY))
    assert client.get(_url(foreign)).status_code == 404
    assert client.post(_url(foreign, "turns"), json={"question": "x"}).status_code == 404
    client.post("/auth/logout")
    login(make_user(Role.RESPONDER))
    assert client.get(_url(conference)).status_code == 403


def test_a_turn_of_another_conference_is_not_found(desk, conference, make_conference, secretary):
    other = make_conference(status=ConferenceStatus.IN_PROGRESS)
    other.secretaries.append(secretary)
    db.session.commit()
    turn = _turn(other, secretary)
    assert desk.get(_url(conference, f"turns/{turn.id}"), headers=JSON).status_code == 404
    response = desk.post(_url(conference, f"turns/{turn.id}"), json={"question": "x", "version": 1})
    assert response.status_code == 404


def test_anonymous_is_sent_to_sign_in(client, conference):
    response = client.get(_url(conference))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


# -- the JSON API -------------------------------------------------------------------------------


def test_create_answers_the_turn_and_its_event_number(desk, conference, group, ward):
    response = desk.post(
        _url(conference, "turns"),
        json={
            "client_key": "8f0c2a4e-1111-4222-8333-944455556666",
            "speaker_name": "Nguyễn Văn A",
            "speaker_group_id": group.id,
            "procedure_area_id": _area(ward, "DD").id,
            "question": "Thủ tục cấp giấy chứng nhận quyền sử dụng đất?",
            "outcome": "pending",
            "speaker_attendee_id": None,
            "referral_due_date": "",
        },
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["ok"] is True and body["created"] is True
    assert body["seq"] == 1
    turn = body["turn"]
    assert turn["position"] == 1 and turn["version"] == 1
    assert turn["group"] == "Tổ dân phố số 9"
    assert turn["area"]["code"] == "DD"
    assert turn["client_key"] == "8f0c2a4e-1111-4222-8333-944455556666"


def test_a_repeated_create_is_answered_with_the_same_turn(desk, conference):
    body = {"client_key": "repeat-key-0001", "question": "Hỏi hai lần"}
    first = desk.post(_url(conference, "turns"), json=body)
    second = desk.post(_url(conference, "turns"), json=body)
    assert first.status_code == second.status_code == 200
    assert second.json["created"] is False
    assert first.json["turn"]["id"] == second.json["turn"]["id"]
    assert db.session.scalar(sa.select(sa.func.count(Turn.id))) == 1


def test_two_identical_creates_at_once_make_one_turn(app, conference, secretary):
    """The browser's retry and its first try arrive together: both get 200, one turn."""
    body = {"client_key": "race-key-000001", "question": "Gửi lại khi mạng chập chờn"}
    clients = []
    for _ in range(4):
        client = app.test_client()
        client.post("/auth/login", data={"username": secretary.username, "password": PASSWORD})
        clients.append(client)
    url = _url(conference, "turns")
    db.session.commit()  # no snapshot held open by the test while the requests write
    results, errors = [], []
    barrier = threading.Barrier(len(clients))

    def send(client):
        try:
            with app.app_context():
                barrier.wait()
                response = client.post(url, json=body)
                results.append((response.status_code, response.json["turn"]["id"]))
                db.session.remove()
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert {status for status, _ in results} == {200}
    assert len(results) == 4
    assert len({ident for _, ident in results}) == 1
    assert db.session.scalar(sa.select(sa.func.count(Turn.id))) == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"question": "   "}, "question", "Write the question before saving."),
        ({"question": "Hỏi", "procedure_area_id": 999999}, "procedure_area_id", "not in the"),
        ({"question": "Hỏi", "outcome": "answered"}, "answer", "Write the answer"),
        (
            {"question": "Hỏi", "outcome": "answered", "answer": "Đã rõ"},
            "answerer_name",
            "Say who answered.",
        ),
        ({"question": "Hỏi", "outcome": "referred"}, "referral_unit_id", "Choose the unit"),
        ({"question": "Hỏi", "outcome": "lost"}, "outcome", ""),
        ({"question": "Hỏi", "speaker_group_id": "abc"}, "speaker_group_id", ""),
    ],
)
def test_bad_input_answers_400_with_the_field(desk, conference, body, field, message):
    response = desk.post(_url(conference, "turns"), json=body)
    assert response.status_code == 400, response.json
    assert response.json["ok"] is False
    assert response.json["field"] == field
    assert message in response.json["message"]
    assert db.session.scalar(sa.select(sa.func.count(Turn.id))) == 0


def test_another_wards_area_is_refused(desk, conference, other_ward):
    response = desk.post(
        _url(conference, "turns"),
        json={"question": "Hỏi", "procedure_area_id": _area(other_ward, "DD").id},
    )
    assert response.status_code == 400
    assert response.json["field"] == "procedure_area_id"


def test_a_body_that_is_not_an_object_is_refused(desk, conference):
    response = desk.post(_url(conference, "turns"), json=["question"])
    assert response.status_code == 400
    assert response.json["ok"] is False


def test_a_closed_conference_answers_409_with_the_reason(desk, conference):
    conference.status = ConferenceStatus.CLOSED
    db.session.commit()
    response = desk.post(_url(conference, "turns"), json={"question": "Hỏi muộn"})
    assert response.status_code == 409
    assert response.json["closed"] is True
    assert "only while it is in progress" in response.json["message"]


def test_update_and_a_stale_update(desk, conference, secretary, make_user):
    turn = _turn(conference, secretary)
    response = desk.post(
        _url(conference, f"turns/{turn.id}"),
        json={"question": "Câu hỏi đã sửa", "version": 1, "outcome": "pending"},
    )
    assert response.status_code == 200, response.json
    assert response.json["turn"]["version"] == 2
    stale = {"question": "Bản của tôi", "version": 1, "outcome": "pending"}
    response = desk.post(_url(conference, f"turns/{turn.id}"), json=stale)
    assert response.status_code == 409
    body = response.json
    assert body["conflict"] is True and body["ok"] is False
    assert body["mine"]["question"] == "Bản của tôi"
    assert body["theirs"]["question"] == "Câu hỏi đã sửa"
    assert body["theirs"]["version"] == 2
    # Keep mine: sent again on top of their version.
    response = desk.post(_url(conference, f"turns/{turn.id}"), json={**stale, "version": 2})
    assert response.status_code == 200
    assert response.json["turn"]["question"] == "Bản của tôi"


def test_an_update_without_a_version_is_refused(desk, conference, secretary):
    turn = _turn(conference, secretary)
    response = desk.post(_url(conference, f"turns/{turn.id}"), json={"question": "Sửa"})
    assert response.status_code == 400
    assert response.json["field"] == "version"


def test_withdraw_and_restore_through_the_api(desk, conference, secretary):
    turn = _turn(conference, secretary)
    response = desk.post(_url(conference, f"turns/{turn.id}/withdraw"), json={"reason": ""})
    assert response.status_code == 400
    assert response.json["field"] == "reason"
    response = desk.post(
        _url(conference, f"turns/{turn.id}/withdraw"), json={"reason": "Trùng lượt 1"}
    )
    assert response.status_code == 200
    assert response.json["turn"]["withdrawn"] is True
    assert response.json["turn"]["withdrawn_reason"] == "Trùng lượt 1"
    response = desk.post(_url(conference, f"turns/{turn.id}/restore"), json={})
    assert response.status_code == 200
    assert response.json["turn"]["withdrawn"] is False
    assert db.session.get(Turn, turn.id) is not None


def test_reorder_through_the_api(desk, conference, secretary):
    a, b = _turn(conference, secretary, "A"), _turn(conference, secretary, "B")
    response = desk.post(_url(conference, "turns/order"), json={"order": [b.id, a.id]})
    assert response.status_code == 200
    assert response.json["order"] == [b.id, a.id]
    assert [t["position"] for t in response.json["turns"]] == [1, 2]
    response = desk.post(
        _url(conference, "turns/order"), json={"turn_id": b.id, "direction": "down"}
    )
    assert response.json["order"] == [a.id, b.id]
    response = desk.post(_url(conference, "turns/order"), json={"order": [a.id]})
    assert response.status_code == 409
    assert response.json["order"] == [a.id, b.id]
    response = desk.post(_url(conference, "turns/order"), json={"order": ["x"]})
    assert response.status_code == 400


def test_read_one_turn_and_the_list(desk, conference, secretary):
    turn = _turn(conference, secretary)
    one = desk.get(_url(conference, f"turns/{turn.id}"), headers=JSON)
    assert one.json["turn"]["id"] == turn.id
    listed = desk.get(_url(conference, "turns.json"))
    assert [t["id"] for t in listed.json["turns"]] == [turn.id]
    assert listed.json["seq"] == 1


def test_people_to_pick(desk, conference, group, make_person):
    chair = make_person(full_name="Lê Văn Chủ", title="Chủ tịch UBND phường")
    conference.chair = chair
    db.session.add_all(
        [
            Attendee(
                conference_id=conference.id,
                full_name="Nguyễn Văn Đức",
                residential_group=group,
                status=AttendanceStatus.PRESENT,
            ),
            Attendee(conference_id=conference.id, full_name="Nguyễn Văn Dũng"),
        ]
    )
    db.session.commit()
    found = desk.get(_url(conference, "attendees.json?q=nguyen van"))
    assert [p["name"] for p in found.json["people"]] == ["Nguyễn Văn Đức"]
    assert found.json["people"][0]["group_id"] == group.id
    officials = desk.get(_url(conference, "attendees.json?for=answerer"))
    assert officials.json["people"][0]["label"] == "Lê Văn Chủ - Chủ tịch UBND phường"


# -- the console without JavaScript -------------------------------------------------------------


def test_plain_form_create_redirects_with_a_message(desk, conference):
    response = desk.post(
        _url(conference, "turns"),
        data={"question": "Hỏi về cấp đổi giấy khai sinh", "outcome": "pending"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_url(conference))
    page = desk.get(_url(conference)).get_data(as_text=True)
    assert "The turn has been saved." in page
    assert "Hỏi về cấp đổi giấy khai sinh" in page


def test_plain_form_errors_keep_what_was_typed(desk, conference):
    response = desk.post(
        _url(conference, "turns"),
        data={
            "speaker_name": "Trần Thị Bình",
            "question": "Hỏi về trợ cấp",
            "outcome": "answered",
            "answer": "",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Trần Thị Bình"' in page
    assert "Hỏi về trợ cấp" in page
    assert "Write the answer, or choose another outcome." in page


def test_plain_form_to_a_closed_conference_keeps_the_text(desk, conference):
    conference.status = ConferenceStatus.CLOSED
    db.session.commit()
    response = desk.post(
        _url(conference, "turns"),
        data={"question": "Câu hỏi ghi muộn", "speaker_name": "Ông Hà", "outcome": "pending"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "only while it is in progress" in page
    assert "Câu hỏi ghi muộn" in page and 'value="Ông Hà"' in page


def test_plain_form_edit_and_its_conflict(desk, conference, secretary):
    turn = _turn(conference, secretary)
    page = desk.get(_url(conference, f"turns/{turn.id}")).get_data(as_text=True)
    assert f'action="/conferences/{conference.id}/live/turns/{turn.id}"' in page
    assert 'name="version" type="hidden" value="1"' in page
    operations.update_turn(
        turn, TurnData(question="Bản của thư ký kia"), by=secretary, expected_version=1
    )
    db.session.commit()
    response = desk.post(
        _url(conference, f"turns/{turn.id}"),
        data={"question": "Bản của tôi", "version": "1", "outcome": "pending"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Bản của tôi" in page and "Bản của thư ký kia" in page
    # Saving the form again keeps mine: it now carries their version.
    assert 'name="version" type="hidden" value="2"' in page
    response = desk.post(
        _url(conference, f"turns/{turn.id}"),
        data={"question": "Bản của tôi", "version": "2", "outcome": "pending"},
    )
    assert response.status_code == 302
    db.session.refresh(turn)
    assert turn.question == "Bản của tôi"


def test_plain_form_withdraw_restore_and_move(desk, conference, secretary):
    a, b = _turn(conference, secretary, "A"), _turn(conference, secretary, "B")
    assert (
        desk.post(_url(conference, f"turns/{a.id}/withdraw"), data={"reason": "Trùng"})
    ).status_code == 302
    assert desk.post(_url(conference, "turns/order"), data={"turn_id": b.id, "direction": "up"})
    db.session.refresh(a)
    db.session.refresh(b)
    assert a.is_withdrawn and (b.position, a.position) == (1, 2)
    page = desk.get(_url(conference)).get_data(as_text=True)
    assert "Withdrawn: Trùng" in page
    desk.post(_url(conference, f"turns/{a.id}/restore"))
    db.session.refresh(a)
    assert not a.is_withdrawn


def test_script_and_html_are_shown_as_text(desk, conference):
    evil = '<script>alert("x")</script><b>đậm</b>'
    desk.post(_url(conference, "turns"), json={"question": evil, "speaker_name": "<i>A</i>"})
    page = desk.get(_url(conference)).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<b>đậm</b>" not in page and "<i>A</i>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;đậm&lt;/b&gt;" in page
    # The embedded data cannot close its script element either.
    data = re.search(
        r'<script type="application/json" id="console-data">(.*?)</script>', page, re.S
    )
    assert "<" not in data.group(1)


# -- CSRF ---------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app_config, _schema):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_a_post_without_the_csrf_token_is_refused(csrf_app, app, conference, secretary):
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login",
        data={"username": secretary.username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    refused = client.post(_url(conference, "turns"), json={"question": "Không có mã"})
    assert refused.status_code == 400
    assert refused.json["ok"] is False and refused.json["expired"] is True
    console = client.get(_url(conference)).get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', console).group(1)
    accepted = client.post(
        _url(conference, "turns"), json={"question": "Có mã"}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    with csrf_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Turn.id))) == 1
