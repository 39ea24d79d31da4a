"""The check-in desk: codes, names, walk-ins, undo, counts, the live endpoint, rules and access."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from dialogue.attendance import operations
from dialogue.attendance.models import AttendanceStatus, Attendee, CheckInMethod
from dialogue.audit.models import AuditEvent
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.wards.models import ResidentialGroup
from tests.conftest import PASSWORD


def _category(ward, code):
    return next(category for category in ward.delegate_categories if category.code == code)


def _groups(ward, count=3):
    groups = [
        ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}")
        for n in range(1, count + 1)
    ]
    db.session.add_all(groups)
    db.session.commit()
    return groups


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def groups(ward):
    return _groups(ward)


@pytest.fixture
def conference(make_conference, ward):
    return make_conference(
        status=ConferenceStatus.ANNOUNCED, subject="Đối thoại về cải cách thủ tục hành chính"
    )


@pytest.fixture
def make_attendee(conference):
    def factory(full_name, *, conference=conference, **values):
        values.setdefault("is_invited", True)
        attendee = Attendee(conference_id=conference.id, full_name=full_name, **values)
        db.session.add(attendee)
        db.session.commit()
        return attendee

    return factory


@pytest.fixture
def organiser(make_user):
    return make_user(Role.ORGANISER)


@pytest.fixture
def desk_client(client, login, organiser):
    """An organiser at the desk, reading the interface in English (msgids are stable)."""
    login(organiser)
    client.get("/locale", query_string={"locale": "en"})
    return client


def _url(conference, tail=""):
    return f"/conferences/{conference.id}/attendance/{tail}"


JSON = {"Accept": "application/json"}


# -- codes: what a scanner types -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scanned", "expected"),
    [
        ("AbCdEfGhIjKlMnOpQrStUv12", "AbCdEfGhIjKlMnOpQrStUv12"),
        ("  AbCdEfGhIjKlMnOpQrStUv12 \n", "AbCdEfGhIjKlMnOpQrStUv12"),
        (
            "https://dialogue-thach-ban.example.vn/c/5/checkin?token=AbCdEfGhIjKlMnOpQrStUv12",
            "AbCdEfGhIjKlMnOpQrStUv12",
        ),
        ("https://x.vn/checkin/AbCdEfGhIjKlMnOpQrStUv12", "AbCdEfGhIjKlMnOpQrStUv12"),
        ("Mã điểm danh: AbCdEfGhIjKlMnOpQrStUv12.", "AbCdEfGhIjKlMnOpQrStUv12"),
    ],
)
def test_token_candidates_find_the_token_first(scanned, expected):
    assert operations.token_candidates(scanned)[0] == expected


def test_token_candidates_of_nothing_token_like():
    assert operations.token_candidates("") == []
    assert operations.token_candidates("Nguyễn Văn A") == []
    assert operations.token_candidates("x" * 10) == []


# -- check-in by code ----------------------------------------------------------------------------


def test_code_checks_in_and_records_who_when_how(app, conference, make_attendee, organiser):
    attendee = make_attendee("Nguyễn Văn A")
    marked = operations.check_in_code(conference, attendee.token, by=organiser)
    db.session.commit()
    assert marked.changed
    db.session.refresh(attendee)
    assert attendee.status is AttendanceStatus.PRESENT
    assert attendee.check_in_method is CheckInMethod.QR
    assert attendee.checked_in_by_id == organiser.id
    assert attendee.checked_in_dt is not None
    assert (datetime.now(UTC) - attendee.checked_in_dt).total_seconds() < 60


def test_a_second_check_in_changes_nothing(app, conference, make_attendee, organiser, make_user):
    attendee = make_attendee("Nguyễn Văn A")
    operations.check_in_code(conference, attendee.token, by=organiser)
    db.session.commit()
    first_time = db.session.get(Attendee, attendee.id).checked_in_dt
    again = operations.check_in_code(conference, attendee.token, by=make_user(Role.SECRETARY))
    db.session.commit()
    assert not again.changed
    db.session.refresh(attendee)
    assert attendee.checked_in_dt == first_time
    assert attendee.checked_in_by_id == organiser.id


def test_code_inside_a_link_or_text(app, conference, make_attendee, organiser):
    attendee = make_attendee("Nguyễn Văn A")
    link = f"https://dialogue.example.vn/conferences/{conference.id}/checkin?token={attendee.token}"
    assert operations.check_in_code(conference, link, by=organiser).attendee.id == attendee.id


def test_caps_lock_on_the_desk_computer_is_forgiven(app, conference, make_attendee, organiser):
    attendee = make_attendee("Nguyễn Văn A", token="AbCdEfGhIjKlMnOpQrStUv12")
    marked = operations.check_in_code(conference, "aBcDeFgHiJkLmNoPqRsTuV12", by=organiser)
    assert marked.attendee.id == attendee.id


def test_code_of_another_conference_of_the_ward(
    app, conference, make_conference, make_attendee, organiser
):
    other = make_conference(status=ConferenceStatus.ANNOUNCED, title="Hội nghị tháng 12")
    stranger = make_attendee("Trần Thị B", conference=other)
    with pytest.raises(operations.ForeignCode) as caught:
        operations.check_in_code(conference, stranger.token, by=organiser)
    assert "Hội nghị tháng 12" in caught.value.message
    assert caught.value.field == "token"
    assert db.session.get(Attendee, stranger.id).status is AttendanceStatus.EXPECTED


def test_code_of_another_wards_conference_says_nothing_about_it(
    app, conference, make_conference, other_ward, make_attendee, organiser
):
    foreign = make_conference(ward=other_ward, status=ConferenceStatus.ANNOUNCED, title="Bí mật")
    stranger = make_attendee("Trần Thị B", conference=foreign)
    with pytest.raises(operations.ForeignCode) as caught:
        operations.check_in_code(conference, stranger.token, by=organiser)
    assert "Bí mật" not in caught.value.message


@pytest.mark.parametrize("forged", ["AAAAAAAAAAAAAAAAAAAAAAAA", "hello", "' OR 1=1 --", "x" * 600])
def test_forged_codes_are_unknown(app, conference, make_attendee, organiser, forged):
    make_attendee("Nguyễn Văn A")
    with pytest.raises(operations.UnknownCode):
        operations.check_in_code(conference, forged, by=organiser)


def test_code_typed_through_vietnamese_typing_gets_advice(app, conference, organiser):
    with pytest.raises(operations.UnknownCode) as caught:
        operations.check_in_code(conference, "AbCđEfGhÍjKlMnỎpQrStUv12", by=organiser)
    assert "Vietnamese typing" in caught.value.message


@pytest.mark.parametrize(
    "status", [ConferenceStatus.DRAFT, ConferenceStatus.CLOSED, ConferenceStatus.CANCELLED]
)
def test_no_check_in_outside_announced_and_in_progress(
    app, make_conference, make_attendee, organiser, status
):
    closed = make_conference(status=status)
    attendee = make_attendee("Nguyễn Văn A", conference=closed)
    with pytest.raises(operations.CheckInClosed):
        operations.check_in_code(closed, attendee.token, by=organiser)
    with pytest.raises(operations.CheckInClosed):
        operations.undo(closed, attendee, by=organiser)
    with pytest.raises(operations.CheckInClosed):
        operations.add_walk_in(
            closed, operations.WalkInData("Lê Văn C", organisation="X"), by=organiser
        )


def test_check_in_while_in_progress(app, make_conference, make_attendee, organiser):
    running = make_conference(status=ConferenceStatus.IN_PROGRESS)
    attendee = make_attendee("Nguyễn Văn A", conference=running)
    assert operations.check_in_code(running, attendee.token, by=organiser).changed


# -- marks and undo ------------------------------------------------------------------------------


def test_excused_then_present_after_all(app, conference, make_attendee, organiser):
    attendee = make_attendee("Nguyễn Văn A")
    marked = operations.mark(
        conference,
        attendee,
        by=organiser,
        method=CheckInMethod.NAME,
        status=AttendanceStatus.EXCUSED,
    )
    assert marked.changed and marked.attendee.status is AttendanceStatus.EXCUSED
    again = operations.mark(conference, attendee, by=organiser, method=CheckInMethod.NAME)
    assert again.changed and again.previous is AttendanceStatus.EXCUSED
    assert again.attendee.status is AttendanceStatus.PRESENT


def test_undo_sends_an_invited_person_back_to_expected(app, conference, make_attendee, organiser):
    attendee = make_attendee("Nguyễn Văn A")
    operations.check_in_code(conference, attendee.token, by=organiser)
    undone = operations.undo(conference, attendee, by=organiser)
    db.session.commit()
    assert undone.changed and not undone.removed
    db.session.refresh(attendee)
    assert attendee.status is AttendanceStatus.EXPECTED
    assert attendee.checked_in_dt is None and attendee.checked_in_by_id is None
    assert attendee.check_in_method is None
    assert not operations.undo(conference, attendee, by=organiser).changed


def test_undo_removes_a_walk_in_added_by_mistake(app, conference, groups, organiser):
    walk_in = operations.add_walk_in(
        conference,
        operations.WalkInData("Lê Văn C", residential_group_id=groups[0].id),
        by=organiser,
    )
    db.session.commit()
    undone = operations.undo(conference, walk_in, by=organiser)
    db.session.commit()
    assert undone.removed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendee)) == 0


def test_every_action_is_in_the_audit_log(app, client, login, conference, make_attendee, organiser):
    attendee = make_attendee("Nguyễn Văn A")
    login(organiser)
    client.post(_url(conference, "code"), data={"token": attendee.token})
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "attendees", AuditEvent.entity_id == attendee.id
        )
    ).all()
    update = [event for event in events if event.changes.get("status")]
    assert update and update[-1].user_id == organiser.id
    assert update[-1].changes["status"] == ["expected", "present"]


# -- the directory and walk-ins ------------------------------------------------------------------


def test_directory_person_not_invited_is_added_and_checked_in(
    app, conference, make_person, groups, organiser, ward
):
    person = make_person(
        full_name="Phạm Văn Đức",
        residential_group_id=groups[1].id,
        delegate_category_id=_category(ward, "NHAN_DAN").id,
    )
    marked = operations.check_in_person(conference, person, by=organiser)
    db.session.commit()
    assert marked.added and marked.changed
    attendee = db.session.get(Attendee, marked.attendee.id)
    assert not attendee.is_invited and attendee.person_id == person.id
    assert attendee.residential_group_id == groups[1].id
    assert attendee.status is AttendanceStatus.PRESENT
    again = operations.check_in_person(conference, person, by=organiser)
    assert not again.changed and again.attendee.id == attendee.id


def test_directory_person_of_another_ward_is_refused(
    app, conference, make_person, other_ward, organiser
):
    stranger = make_person(ward=other_ward, full_name="Trần Thị B")
    with pytest.raises(operations.ValidationFailed):
        operations.check_in_person(conference, stranger, by=organiser)


def test_walk_in_needs_a_group_or_an_organisation(app, conference, organiser):
    with pytest.raises(operations.ValidationFailed) as caught:
        operations.add_walk_in(conference, operations.WalkInData("Lê Văn C"), by=organiser)
    assert caught.value.field == "residential_group_id"
    with pytest.raises(operations.ValidationFailed) as caught:
        operations.add_walk_in(
            conference, operations.WalkInData("  ", organisation="Công ty A"), by=organiser
        )
    assert caught.value.field == "full_name"


def test_walk_in_is_present_and_not_invited(app, conference, ward, organiser):
    attendee = operations.add_walk_in(
        conference,
        operations.WalkInData(
            "  Lê   Văn  C ",
            organisation="Công ty TNHH Ánh Dương",
            delegate_category_id=_category(ward, "DOANH_NGHIEP").id,
        ),
        by=organiser,
    )
    db.session.commit()
    attendee = db.session.get(Attendee, attendee.id)
    assert attendee.full_name == "Lê Văn C"
    assert not attendee.is_invited and attendee.person_id is None
    assert attendee.status is AttendanceStatus.PRESENT
    assert attendee.check_in_method is CheckInMethod.WALK_IN
    assert attendee.checked_in_by_id == organiser.id


def test_walk_in_of_someone_on_the_list_asks_first(
    app, conference, groups, make_attendee, organiser
):
    make_attendee("Nguyễn Văn Đức", residential_group_id=groups[0].id)
    data = operations.WalkInData("nguyễn văn đức", residential_group_id=groups[0].id)
    with pytest.raises(operations.DuplicateWalkIn):
        operations.add_walk_in(conference, data, by=organiser)
    # Another group: another person.
    operations.add_walk_in(
        conference,
        operations.WalkInData("Nguyễn Văn Đức", residential_group_id=groups[1].id),
        by=organiser,
    )
    confirmed = operations.WalkInData(
        "Nguyễn Văn Đức", residential_group_id=groups[0].id, same_name_confirmed=True
    )
    assert operations.add_walk_in(conference, confirmed, by=organiser).id


def test_walk_in_with_another_wards_group_is_refused(app, conference, other_ward, organiser):
    foreign_group = _groups(other_ward, 1)[0]
    with pytest.raises(operations.ValidationFailed) as caught:
        operations.add_walk_in(
            conference,
            operations.WalkInData("Lê Văn C", residential_group_id=foreign_group.id),
            by=organiser,
        )
    assert caught.value.field == "residential_group_id"


# -- search and counts ---------------------------------------------------------------------------


def test_search_ignores_diacritics_and_d_stroke(
    app, conference, make_attendee, make_person, other_ward
):
    duc = make_attendee("Nguyễn Văn Đức")
    make_attendee("Nguyễn Văn Dũng")
    make_attendee("Trần Thị Bình", organisation="Hội Phụ nữ")
    assert [a.id for a in operations.search_list(conference, "nguyen van duc")] == [duc.id]
    assert [a.id for a in operations.search_list(conference, "ĐỨC")] == [duc.id]
    assert {a.full_name for a in operations.search_list(conference, "nguyen van")} == {
        "Nguyễn Văn Đức",
        "Nguyễn Văn Dũng",
    }
    assert [a.full_name for a in operations.search_list(conference, "phu nu")] == ["Trần Thị Bình"]
    assert operations.search_list(conference, "d") == []
    # The directory: people not on the list, of this ward only.
    make_person(full_name="Đỗ Đức Hùng")
    make_person(ward=other_ward, full_name="Đỗ Đức Hùng")
    found = operations.search_directory(conference, "do duc hung")
    assert [p.full_name for p in found] == ["Đỗ Đức Hùng"]
    assert found[0].ward_id == conference.ward_id


def test_directory_search_leaves_out_people_on_the_list(
    app, conference, make_person, make_attendee
):
    person = make_person(full_name="Nguyễn Văn Đức")
    make_attendee("Nguyễn Văn Đức", person_id=person.id)
    assert operations.search_directory(conference, "duc") == []


def test_counts_by_group_and_category(app, conference, ward, groups, make_attendee, organiser):
    heads = _category(ward, "TO_TRUONG")
    residents = _category(ward, "NHAN_DAN")
    a = make_attendee("A", residential_group_id=groups[0].id, delegate_category_id=heads.id)
    b = make_attendee("B", residential_group_id=groups[0].id, delegate_category_id=residents.id)
    c = make_attendee("C", residential_group_id=groups[1].id, delegate_category_id=residents.id)
    make_attendee("D", delegate_category_id=heads.id)
    for attendee in (a, b):
        operations.mark(conference, attendee, by=organiser, method=CheckInMethod.NAME)
    operations.mark(
        conference, c, by=organiser, method=CheckInMethod.NAME, status=AttendanceStatus.EXCUSED
    )
    operations.add_walk_in(
        conference,
        operations.WalkInData(
            "E", residential_group_id=groups[1].id, delegate_category_id=residents.id
        ),
        by=organiser,
    )
    counts = operations.count_attendance(conference)
    total = counts.total
    assert (total.invited, total.present, total.excused, total.uninvited) == (4, 3, 1, 1)
    by_group = {row.label: row for row in counts.by_group}
    # Every group of the ward has its row, even one nobody came from.
    assert list(by_group)[:3] == ["Tổ dân phố số 1", "Tổ dân phố số 2", "Tổ dân phố số 3"]
    assert (by_group["Tổ dân phố số 1"].invited, by_group["Tổ dân phố số 1"].present) == (2, 2)
    group_two = by_group["Tổ dân phố số 2"]
    assert (group_two.invited, group_two.present, group_two.excused, group_two.uninvited) == (
        1,
        1,
        1,
        1,
    )
    assert by_group["Tổ dân phố số 3"].invited == 0
    assert by_group["No residential group"].invited == 1
    by_category = {row.label: row for row in counts.by_category}
    assert list(by_category) == [heads.name_vi, residents.name_vi]
    assert (by_category[heads.name_vi].invited, by_category[heads.name_vi].present) == (2, 1)
    assert (by_category[residents.name_vi].invited, by_category[residents.name_vi].present) == (
        2,
        2,
    )
    assert sum(row.present for row in counts.by_group) == total.present
    assert sum(row.present for row in counts.by_category) == total.present


# -- the desk through the web --------------------------------------------------------------------


def test_desk_page_is_ready_for_a_scan(desk_client, conference, make_attendee):
    make_attendee("Nguyễn Văn A")
    response = desk_client.get(_url(conference))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="token"' in page and "autofocus" in page
    assert "js/checkin.js" in page and "<script>" not in page
    assert f'action="/conferences/{conference.id}/attendance/walk-ins"' in page


def test_code_without_script_redirects_with_a_message(desk_client, conference, make_attendee):
    attendee = make_attendee("Nguyễn Văn A")
    response = desk_client.post(_url(conference, "code"), data={"token": attendee.token})
    assert response.status_code == 302
    page = desk_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nguyễn Văn A is checked in." in page
    assert db.session.get(Attendee, attendee.id).status is AttendanceStatus.PRESENT


def test_repeat_check_in_says_when(desk_client, conference, make_attendee):
    attendee = make_attendee(
        "Nguyễn Văn A",
        status=AttendanceStatus.PRESENT,
        checked_in_dt=datetime(2020, 6, 30, 0, 52, tzinfo=UTC),
        check_in_method=CheckInMethod.QR,
    )
    response = desk_client.post(
        _url(conference, "code"), data={"token": attendee.token}, headers=JSON
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] and body["level"] == "info"
    assert body["message"] == "Nguyễn Văn A was already checked in at 07:52."


def test_repeat_check_in_in_vietnamese(client, login, organiser, conference, make_attendee):
    attendee = make_attendee(
        "Nguyễn Văn A",
        status=AttendanceStatus.PRESENT,
        checked_in_dt=datetime(2020, 6, 30, 0, 52, tzinfo=UTC),
    )
    login(organiser)
    body = client.post(
        _url(conference, "code"), data={"token": attendee.token}, headers=JSON
    ).get_json()
    assert "Nguyễn Văn A" in body["message"] and "07:52" in body["message"]


def test_forged_and_foreign_codes_get_clear_messages_never_500(
    desk_client, conference, make_conference, make_attendee
):
    other = make_conference(status=ConferenceStatus.ANNOUNCED, title="Hội nghị khác")
    foreign = make_attendee("Trần Thị B", conference=other)
    response = desk_client.post(
        _url(conference, "code"), data={"token": foreign.token}, headers=JSON
    )
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("This code belongs to another conference")
    response = desk_client.post(
        _url(conference, "code"), data={"token": "ZZZZZZZZZZZZZZZZZZZZZZZZ"}, headers=JSON
    )
    assert response.status_code == 400
    assert response.get_json()["message"] == "Unknown code."
    # Without script: the message beside the box, and the box empty for the next scan.
    response = desk_client.post(
        _url(conference, "code"), data={"token": "ZZZZZZZZZZZZZZZZZZZZZZZZ"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="token-error"' in page and "Unknown code." in page
    assert 'value="ZZZZZZZZZZZZZZZZZZZZZZZZ"' not in page
    response = desk_client.post(_url(conference, "code"), data={"token": ""})
    assert response.status_code == 400
    assert db.session.get(Attendee, foreign.id).status is AttendanceStatus.EXPECTED


def test_closed_conference_gets_a_clear_message(desk_client, make_conference, make_attendee):
    closed = make_conference(status=ConferenceStatus.CLOSED)
    attendee = make_attendee("Nguyễn Văn A", conference=closed)
    page = desk_client.get(_url(closed)).get_data(as_text=True)
    assert "check-in is closed" in page
    assert "Add and check in" not in page
    response = desk_client.post(_url(closed, "code"), data={"token": attendee.token}, headers=JSON)
    assert response.status_code == 409
    assert "check-in is closed" in response.get_json()["message"]
    draft = make_conference(status=ConferenceStatus.DRAFT)
    response = desk_client.post(
        _url(draft, "walk-ins"), data={"full_name": "Lê Văn C", "organisation": "X"}
    )
    assert response.status_code == 409
    assert "Check-in opens when the conference is announced." in response.get_data(as_text=True)
    assert 'value="Lê Văn C"' in response.get_data(as_text=True)


def test_search_json_finds_names_without_diacritics(
    desk_client, conference, make_attendee, make_person
):
    duc = make_attendee("Nguyễn Văn Đức", title="Tổ trưởng tổ dân phố số 9")
    make_attendee("Nguyễn Văn Dũng")
    make_person(full_name="Nguyễn Văn Đức Anh")
    response = desk_client.get(_url(conference, "search.json?q=nguyen+van+duc"))
    body = response.get_json()
    assert [item["name"] for item in body["attendees"]] == ["Nguyễn Văn Đức"]
    item = body["attendees"][0]
    assert item["id"] == duc.id and item["status"] == "expected"
    assert item["mark_url"].endswith(f"/attendees/{duc.id}/mark")
    assert "Tổ trưởng tổ dân phố số 9" in item["detail"]
    assert [person["name"] for person in body["people"]] == ["Nguyễn Văn Đức Anh"]


def test_search_without_script_lists_results_with_buttons(
    desk_client, conference, make_attendee, make_person
):
    duc = make_attendee("Nguyễn Văn Đức")
    person = make_person(full_name="Đoàn Văn Đức")
    page = desk_client.get(_url(conference) + "?q=duc").get_data(as_text=True)
    assert "Nguyễn Văn Đức" in page and "Đoàn Văn Đức" in page
    assert f"/attendees/{duc.id}/mark" in page
    assert f"/people/{person.id}/check-in" in page
    assert 'value="excused"' in page


def test_mark_excused_and_undo_through_the_web(desk_client, conference, make_attendee):
    attendee = make_attendee("Nguyễn Văn A")
    url = _url(conference, f"attendees/{attendee.id}/")
    response = desk_client.post(url + "mark", data={"status": "excused"})
    assert response.status_code == 302
    assert db.session.get(Attendee, attendee.id).status is AttendanceStatus.EXCUSED
    response = desk_client.post(url + "mark", data={"status": "present"}, headers=JSON)
    assert response.get_json()["attendee"]["status"] == "present"
    response = desk_client.post(url + "mark", data={"status": "expected"}, headers=JSON)
    assert response.status_code == 400
    response = desk_client.post(url + "undo", headers=JSON)
    assert response.get_json()["message"] == "Nguyễn Văn A is no longer checked in."
    attendee = db.session.get(Attendee, attendee.id)
    assert attendee.status is AttendanceStatus.EXPECTED


def test_check_in_from_the_directory_through_the_web(desk_client, conference, make_person):
    person = make_person(full_name="Đoàn Văn Đức")
    response = desk_client.post(_url(conference, f"people/{person.id}/check-in"), headers=JSON)
    body = response.get_json()
    assert body["ok"] and not body["attendee"]["invited"]
    assert body["message"] == "Đoàn Văn Đức was not on the list: added and checked in."


def test_walk_in_through_the_web(desk_client, conference, groups, ward):
    residents = _category(ward, "NHAN_DAN")
    page = desk_client.get(_url(conference)).get_data(as_text=True)
    # Residents are the usual walk-ins: preselected.
    assert f'<option selected value="{residents.id}">' in page
    response = desk_client.post(
        _url(conference, "walk-ins"),
        data={
            "full_name": "Lê Văn C",
            "residential_group_id": groups[2].id,
            "organisation": "",
            "delegate_category_id": residents.id,
        },
    )
    assert response.status_code == 302
    walk_in = db.session.scalar(sa.select(Attendee).where(Attendee.full_name == "Lê Văn C"))
    assert walk_in.residential_group_id == groups[2].id and not walk_in.is_invited
    walk_in_id = walk_in.id
    response = desk_client.post(_url(conference, f"attendees/{walk_in_id}/undo"))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Attendee.id).where(Attendee.id == walk_in_id)) is None


def test_walk_in_mistakes_keep_what_was_typed(desk_client, conference, groups, make_attendee):
    response = desk_client.post(
        _url(conference, "walk-ins"),
        data={"full_name": "Lê Văn C", "residential_group_id": 0, "organisation": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Lê Văn C"' in page
    assert "Choose a residential group or write an organisation." in page
    response = desk_client.post(
        _url(conference, "walk-ins"),
        data={"full_name": "", "organisation": "Công ty A"},
        headers=JSON,
    )
    assert response.status_code == 400
    assert response.get_json()["errors"]["full_name"] == ["Enter the full name."]
    make_attendee("Nguyễn Văn Đức", residential_group_id=groups[0].id)
    data = {"full_name": "Nguyễn Văn Đức", "residential_group_id": groups[0].id}
    response = desk_client.post(_url(conference, "walk-ins"), data=data, headers=JSON)
    assert response.status_code == 400 and response.get_json()["duplicate"]
    response = desk_client.post(_url(conference, "walk-ins"), data=data)
    page = response.get_data(as_text=True)
    assert "already on the list" in page and 'id="same-name" hidden' not in page
    response = desk_client.post(
        _url(conference, "walk-ins"), data={**data, "same_name_confirmed": "y"}, headers=JSON
    )
    assert response.status_code == 200 and response.get_json()["ok"]


def test_live_endpoint_answers_304_until_something_changes(
    app, desk_client, conference, make_attendee, make_user
):
    attendee = make_attendee("Nguyễn Văn A")
    first = desk_client.get(_url(conference, "live.json"))
    assert first.status_code == 200
    etag = first.headers["ETag"]
    body = first.get_json()
    assert body["counts"]["total"]["invited"] == 1 and body["latest"] == []
    same = desk_client.get(_url(conference, "live.json"), headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.get_data() == b""
    # The second desk checks someone in; the first sees it at its next poll.
    second_desk = app.test_client()
    secretary = make_user(Role.SECRETARY)
    second_desk.post("/auth/login", data={"username": secretary.username, "password": PASSWORD})
    second_desk.post(_url(conference, "code"), data={"token": attendee.token})
    changed = desk_client.get(_url(conference, "live.json"), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    body = changed.get_json()
    assert body["counts"]["total"]["present"] == 1
    assert body["latest"][0]["name"] == "Nguyễn Văn A"
    assert body["latest"][0]["by"] == secretary.display_name
    assert "no-store" in changed.headers["Cache-Control"]


def test_live_endpoint_sees_an_undo(desk_client, conference, make_attendee, organiser):
    attendee = make_attendee("Nguyễn Văn A")
    operations.check_in_code(conference, attendee.token, by=organiser)
    db.session.commit()
    etag = desk_client.get(_url(conference, "live.json")).headers["ETag"]
    desk_client.post(_url(conference, f"attendees/{attendee.id}/undo"))
    after = desk_client.get(_url(conference, "live.json"), headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.get_json()["latest"] == []


def test_counts_page(desk_client, conference, groups, make_attendee, organiser):
    attendee = make_attendee("Nguyễn Văn A", residential_group_id=groups[0].id)
    operations.check_in_code(conference, attendee.token, by=organiser)
    db.session.commit()
    page = desk_client.get(_url(conference, "counts")).get_data(as_text=True)
    assert '<span class="big-number" id="total-present">1</span>' in page
    assert "Tổ dân phố số 1" in page and "Tổ dân phố số 3" in page


def test_conference_panel(app, conference, make_attendee, organiser, make_user):
    from flask import render_template
    from flask_login import login_user

    make_attendee("Nguyễn Văn A", status=AttendanceStatus.PRESENT)
    make_attendee("Nguyễn Văn B")
    for user, sees_desk in ((organiser, True), (make_user(Role.CHAIR), False)):
        with app.test_request_context("/"):
            login_user(user)
            html = render_template("attendance/_conference_panel.html", conference=conference)
        assert "2" in html and "1" in html
        assert (f"/conferences/{conference.id}/attendance/" in html) is sees_desk


# -- who may, and which ward ---------------------------------------------------------------------


def _signed_in(app, user):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    client.get("/locale", query_string={"locale": "en"})
    return client


def test_roles(app, client, make_user, conference, make_attendee):
    attendee = make_attendee("Nguyễn Văn A")
    response = client.get(_url(conference))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    for role in (Role.CHAIR, Role.RESPONDER):
        other = _signed_in(app, make_user(role))
        assert other.get(_url(conference)).status_code == 403
        assert other.get(_url(conference, "live.json")).status_code == 403
        response = other.post(_url(conference, "code"), data={"token": attendee.token})
        assert response.status_code == 403
        assert other.get(_url(conference, "sign-in-sheet.pdf")).status_code == 403
    assert db.session.get(Attendee, attendee.id).status is AttendanceStatus.EXPECTED
    for role in (Role.SECRETARY, Role.ADMINISTRATOR):
        desk = _signed_in(app, make_user(role))
        assert desk.get(_url(conference)).status_code == 200
        response = desk.post(_url(conference, "code"), data={"token": attendee.token})
        assert response.status_code == 302


def test_another_wards_records_answer_404(
    desk_client, conference, make_conference, other_ward, make_attendee, make_person
):
    foreign = make_conference(ward=other_ward, status=ConferenceStatus.ANNOUNCED)
    stranger = make_attendee("Trần Thị B", conference=foreign)
    for tail in ("", "counts", "live.json", "search.json?q=tran", "sign-in-sheet.pdf"):
        assert desk_client.get(_url(foreign, tail)).status_code == 404, tail
    assert (
        desk_client.post(_url(foreign, "code"), data={"token": stranger.token}).status_code == 404
    )
    # Another conference's attendee through this conference's URL, another ward's person.
    assert desk_client.post(_url(conference, f"attendees/{stranger.id}/undo")).status_code == 404
    assert desk_client.post(_url(conference, f"attendees/{stranger.id}/mark")).status_code == 404
    person = make_person(ward=other_ward)
    assert desk_client.post(_url(conference, f"people/{person.id}/check-in")).status_code == 404
    assert db.session.get(Attendee, stranger.id).status is AttendanceStatus.EXPECTED


def test_administrator_checks_a_person_of_the_conference_ward_only(
    client, login, make_user, conference, other_ward, make_person
):
    login(make_user(Role.ADMINISTRATOR))
    person = make_person(ward=other_ward)
    assert client.post(_url(conference, f"people/{person.id}/check-in")).status_code == 404


def test_two_desks_add_the_same_person_at_once(app, conference, make_person, make_user):
    """Both desks press "check in" for someone not on the list: one row, no error."""
    import threading

    person = make_person(full_name="Đoàn Văn Đức")
    url = _url(conference, f"people/{person.id}/check-in")
    clients = [_signed_in(app, make_user(Role.ORGANISER)) for _ in range(2)]
    barrier = threading.Barrier(2)
    answers = []

    def press(client):
        with app.app_context():
            barrier.wait()
            answers.append(client.post(url, headers=JSON))

    threads = [threading.Thread(target=press, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answer.status_code for answer in answers) == [200, 200]
    messages = sorted(answer.get_json()["message"] for answer in answers)
    assert messages[0].startswith("Đoàn Văn Đức was already checked in at")
    assert messages[1] == "Đoàn Văn Đức was not on the list: added and checked in."
    rows = db.session.scalars(sa.select(Attendee).where(Attendee.person_id == person.id)).all()
    assert len(rows) == 1 and rows[0].status is AttendanceStatus.PRESENT
