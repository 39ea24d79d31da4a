"""Planning a conference: the plan, the people, the agenda, and what the state machine allows."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from dialogue.auth.models import Role
from dialogue.conferences import operations
from dialogue.conferences.models import AgendaItem, Conference, ConferenceStatus
from dialogue.conferences.operations import AgendaItemData, ConferencePlan, ward_datetime
from dialogue.core.dates import to_local
from dialogue.errors import InvalidTransition, ValidationFailed
from dialogue.extensions import db

# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    # Messages are checked in English, whatever the Vietnamese catalogue says.
    client.get("/locale", query_string={"locale": "en"})
    return user


def category(ward, code: str):
    return next(c for c in ward.delegate_categories if c.code == code)


def local_day(days: int, ward) -> date:
    """The ward's calendar date ``days`` from today."""
    return to_local(datetime.now(UTC), ward.timezone).date() + timedelta(days=days)


def plan(ward, days: int = 30, **overrides) -> ConferencePlan:
    values = {
        "title": "Hội nghị đối thoại 6 tháng đầu năm",
        "start_dt": ward_datetime(ward, local_day(days, ward), time(8, 0)),
        "planned_end_dt": ward_datetime(ward, local_day(days, ward), time(11, 0)),
        "venue": "Hội trường UBND phường",
    }
    values.update(overrides)
    return ConferencePlan(**values)


def valid_form(ward, days: int = 30, **overrides) -> dict:
    data = {
        "title": "Hội nghị đối thoại về cải cách thủ tục hành chính",
        "subject": "Đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp",
        "plan_number": "39/KH-UBND",
        "plan_date": "2020-02-07",
        "reporting_period": "6 tháng đầu năm 2020",
        "start_date": local_day(days, ward).isoformat(),
        "start_time": "08:00",
        "end_time": "11:00",
        "venue": "Hội trường UBND phường",
        "chair_id": "0",
        "reporter_id": "0",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


def input_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page
    )
    assert match, f"no value in {name}"
    return html.unescape(match.group(1))


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def agenda_titles(conference) -> list[str]:
    return db.session.scalars(
        sa.select(AgendaItem.title)
        .where(AgendaItem.conference_id == conference.id)
        .order_by(AgendaItem.position)
    ).all()


def agenda_positions(conference) -> list[int]:
    return db.session.scalars(
        sa.select(AgendaItem.position)
        .where(AgendaItem.conference_id == conference.id)
        .order_by(AgendaItem.position)
    ).all()


# -- operations: the plan -----------------------------------------------------------------------


def test_start_is_entered_on_the_ward_clock_and_stored_in_utc(app, ward):
    day = date(2031, 6, 30)
    conference = operations.create_conference(
        ward,
        plan(
            ward,
            start_dt=ward_datetime(ward, day, time(8, 0)),
            planned_end_dt=ward_datetime(ward, day, time(11, 30)),
        ),
    )
    db.session.commit()
    stored = reload(conference)
    assert stored.start_dt == datetime(2031, 6, 30, 1, 0, tzinfo=UTC)
    assert stored.planned_end_dt == datetime(2031, 6, 30, 4, 30, tzinfo=UTC)
    assert stored.status is ConferenceStatus.DRAFT


def test_a_new_conference_cannot_start_in_the_past(app, ward):
    with pytest.raises(ValidationFailed) as caught:
        operations.create_conference(ward, plan(ward, days=-1))
    assert caught.value.field == "start_date"


def test_the_end_must_come_after_the_start(app, ward):
    day = local_day(10, ward)
    with pytest.raises(ValidationFailed) as caught:
        operations.create_conference(
            ward,
            plan(
                ward,
                start_dt=ward_datetime(ward, day, time(14, 0)),
                planned_end_dt=ward_datetime(ward, day, time(9, 0)),
            ),
        )
    assert caught.value.field == "end_time"


def test_a_plan_number_serves_one_conference_of_the_ward(app, ward, other_ward):
    first = operations.create_conference(
        ward, plan(ward, title="Hội nghị A", plan_number="39/KH-UBND")
    )
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        operations.create_conference(
            ward, plan(ward, title="Hội nghị B", plan_number=" 39/kh-ubnd ")
        )
    assert caught.value.field == "plan_number"
    assert "Hội nghị A" in caught.value.message
    db.session.rollback()
    # Another ward has its own numbers; editing the conference itself keeps its number.
    operations.create_conference(other_ward, plan(other_ward, plan_number="39/KH-UBND"))
    operations.update_conference(first, plan(ward, title="Hội nghị A*", plan_number="39/KH-UBND"))
    # Once the first is cancelled, its number is free again.
    operations.change_status(first, ConferenceStatus.CANCELLED, reason="Bão")
    operations.create_conference(ward, plan(ward, title="Hội nghị C", plan_number="39/KH-UBND"))
    db.session.commit()


def test_people_and_secretaries_come_from_the_ward(app, ward, other_ward, make_person, make_user):
    stranger = make_person(ward=other_ward, full_name="Lê Văn Ngoài")
    with pytest.raises(ValidationFailed) as caught:
        operations.create_conference(ward, plan(ward, chair_id=stranger.id))
    assert caught.value.field == "chair_id"
    db.session.rollback()
    responder = make_user(Role.RESPONDER)
    with pytest.raises(ValidationFailed) as caught:
        operations.create_conference(ward, plan(ward, secretary_ids=(responder.id,)))
    assert caught.value.field == "secretary_ids"
    db.session.rollback()
    foreign_secretary = make_user(Role.SECRETARY, ward=other_ward)
    with pytest.raises(ValidationFailed):
        operations.create_conference(ward, plan(ward, secretary_ids=(foreign_secretary.id,)))


def test_people_are_kept_with_the_conference(app, ward, make_person, make_user):
    chair = make_person(full_name="Nguyễn Văn A", title="Chủ tịch UBND phường")
    front = make_person(full_name="Trần Thị B", title="Chủ tịch UBMTTQ phường")
    council = make_person(full_name="Lê Văn C", title="Phó Chủ tịch HĐND phường")
    reporter = make_person(full_name="Phạm Văn D", title="Phó Chủ tịch UBND phường")
    secretary = make_user(Role.SECRETARY)
    organiser = make_user(Role.ORGANISER)
    conference = operations.create_conference(
        ward,
        plan(
            ward,
            chair_id=chair.id,
            cochair_ids=(front.id, council.id, front.id),
            reporter_id=reporter.id,
            secretary_ids=(secretary.id, organiser.id),
        ),
    )
    db.session.commit()
    stored = reload(conference)
    assert stored.chair.full_name == "Nguyễn Văn A"
    assert sorted(p.full_name for p in stored.cochairs) == ["Lê Văn C", "Trần Thị B"]
    assert stored.reporter.full_name == "Phạm Văn D"
    assert {u.id for u in stored.secretaries} == {secretary.id, organiser.id}


def test_an_edit_reports_the_changes_a_notice_shows(app, ward):
    conference = operations.create_conference(ward, plan(ward))
    db.session.commit()
    assert operations.update_conference(conference, plan(ward, title="Tên mới")) == []
    changed = operations.update_conference(conference, plan(ward, venue="Nhà văn hóa tổ 5"))
    assert changed == ["venue"]
    changed = operations.update_conference(
        conference, plan(ward, days=31, venue="Nhà văn hóa tổ 5")
    )
    assert changed == ["start_dt", "planned_end_dt"]


@pytest.mark.parametrize(
    "path",
    [
        (ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS),
        (ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS, ConferenceStatus.CLOSED),
        (ConferenceStatus.CANCELLED,),
    ],
)
def test_only_drafts_and_announced_conferences_change_their_plan(app, ward, path):
    conference = operations.create_conference(ward, plan(ward))
    item = operations.add_agenda_item(conference, AgendaItemData(title="Khai mạc"))
    for status in path:
        operations.change_status(conference, status, reason="Bão")
    db.session.commit()
    with pytest.raises(InvalidTransition):
        operations.update_conference(conference, plan(ward, title="Đổi tên"))
    with pytest.raises(InvalidTransition):
        operations.add_agenda_item(conference, AgendaItemData(title="Thêm"))
    with pytest.raises(InvalidTransition):
        operations.move_agenda_item(item, 1)
    with pytest.raises(InvalidTransition):
        operations.remove_agenda_item(item)
    db.session.rollback()
    assert reload(conference).title == "Hội nghị đối thoại 6 tháng đầu năm"


# -- operations: the agenda ---------------------------------------------------------------------


def test_agenda_add_move_reorder_remove(app, ward):
    conference = operations.create_conference(ward, plan(ward))
    first = operations.add_agenda_item(conference, AgendaItemData(title="Khai mạc"))
    second = operations.add_agenda_item(
        conference, AgendaItemData(title="Báo cáo", presenter="Phó Chủ tịch", planned_minutes=20)
    )
    third = operations.add_agenda_item(conference, AgendaItemData(title="Đối thoại"))
    db.session.commit()
    assert agenda_titles(conference) == ["Khai mạc", "Báo cáo", "Đối thoại"]
    assert agenda_positions(conference) == [1, 2, 3]

    assert operations.move_agenda_item(third, -1) is True
    assert operations.move_agenda_item(first, -1) is False  # already first
    db.session.commit()
    assert agenda_titles(conference) == ["Khai mạc", "Đối thoại", "Báo cáo"]

    operations.reorder_agenda(conference, [second.id, first.id, third.id])
    db.session.commit()
    assert agenda_titles(conference) == ["Báo cáo", "Khai mạc", "Đối thoại"]

    operations.remove_agenda_item(first)
    db.session.commit()
    assert agenda_titles(conference) == ["Báo cáo", "Đối thoại"]
    assert agenda_positions(conference) == [1, 2]


def test_a_reorder_must_name_every_item_once(app, ward):
    conference = operations.create_conference(ward, plan(ward))
    a = operations.add_agenda_item(conference, AgendaItemData(title="A"))
    b = operations.add_agenda_item(conference, AgendaItemData(title="B"))
    db.session.commit()
    for wrong in ([a.id], [a.id, a.id], [a.id, b.id, 999_999]):
        with pytest.raises(ValidationFailed):
            operations.reorder_agenda(conference, wrong)
    assert agenda_titles(conference) == ["A", "B"]


def test_an_agenda_item_needs_a_title_and_positive_minutes(app, ward):
    conference = operations.create_conference(ward, plan(ward))
    with pytest.raises(ValidationFailed) as caught:
        operations.add_agenda_item(conference, AgendaItemData(title="   "))
    assert caught.value.field == "title"
    with pytest.raises(ValidationFailed) as caught:
        operations.add_agenda_item(conference, AgendaItemData(title="A", planned_minutes=0))
    assert caught.value.field == "planned_minutes"


# -- views: planning ----------------------------------------------------------------------------


def test_the_list_offers_a_new_conference_to_organisers_only(client, make_user, login, organiser):
    assert "New conference" in client.get("/conferences/").text
    other = client.application.test_client()
    secretary = make_user(Role.SECRETARY)
    other.post(
        "/auth/login", data={"username": secretary.username, "password": "correct horse battery"}
    )
    other.get("/locale", query_string={"locale": "en"})
    page = other.get("/conferences/").text
    assert "New conference" not in page
    assert other.get("/conferences/new").status_code == 403


def test_the_pickers_offer_the_leaders_not_the_whole_directory(
    client, organiser, ward, make_person
):
    make_person(
        full_name="Nguyễn Văn A", title="Chủ tịch UBND", delegate_category=category(ward, "UBND")
    )
    make_person(
        full_name="Trần Thị B", title="Chủ tịch UBMTTQ", delegate_category=category(ward, "MTTQ")
    )
    make_person(full_name="Hoàng Văn Dân", delegate_category=category(ward, "NHAN_DAN"))
    page = client.get("/conferences/new").text
    chair_select = re.search(r'<select[^>]*name="chair_id".*?</select>', page, re.S).group(0)
    assert "Nguyễn Văn A - Chủ tịch UBND" in chair_select
    assert "Trần Thị B - Chủ tịch UBMTTQ" in chair_select
    assert "Hoàng Văn Dân" not in chair_select
    # The search for anyone else is there, for the script to show.
    assert 'data-search-url="/conferences/people.json"' in page


def test_organiser_plans_a_conference_through_the_form(
    client, organiser, ward, make_person, make_user
):
    chair = make_person(
        full_name="Nguyễn Văn A",
        title="Chủ tịch UBND phường",
        delegate_category=category(ward, "UBND"),
    )
    front = make_person(
        full_name="Trần Thị B",
        title="Chủ tịch UBMTTQ phường",
        delegate_category=category(ward, "MTTQ"),
    )
    # Not a leader: found with the search, then posted like any other choice.
    reporter = make_person(full_name="Phạm Văn D", title="Công chức Một cửa")
    secretary = make_user(Role.SECRETARY)
    data = valid_form(
        ward,
        chair_id=str(chair.id),
        reporter_id=str(reporter.id),
        cochair_ids=[str(front.id)],
        secretary_ids=[str(secretary.id)],
    )
    response = client.post("/conferences/new", data=data)
    assert response.status_code == 302, response.text
    conference = db.session.scalars(sa.select(Conference)).one()
    assert response.headers["Location"].endswith(f"/conferences/{conference.id}")
    local_start = to_local(conference.start_dt, ward.timezone)
    assert (local_start.date(), local_start.time()) == (local_day(30, ward), time(8, 0))
    assert conference.start_dt.utcoffset() == timedelta(0)
    assert conference.planned_end_dt - conference.start_dt == timedelta(hours=3)
    assert conference.plan_number == "39/KH-UBND"
    assert conference.plan_date == date(2020, 2, 7)
    assert conference.reporting_period == "6 tháng đầu năm 2020"
    assert conference.chair_id == chair.id
    assert conference.reporter_id == reporter.id
    assert [p.id for p in conference.cochairs] == [front.id]
    assert [u.id for u in conference.secretaries] == [secretary.id]
    page = client.get(response.headers["Location"]).text
    assert "Nguyễn Văn A - Chủ tịch UBND phường" in page
    assert "30 days to go." in page


def test_end_before_start_is_shown_beside_the_end_and_keeps_the_input(client, organiser, ward):
    response = client.post(
        "/conferences/new", data=valid_form(ward, start_time="14:00", end_time="09:00")
    )
    assert response.status_code == 400
    page = response.text
    assert "later than the start" in error_beside(page, "end_time")
    assert input_value(page, "title") == "Hội nghị đối thoại về cải cách thủ tục hành chính"
    assert input_value(page, "start_time") == "14:00"
    assert input_value(page, "end_time") == "09:00"
    assert input_value(page, "plan_number") == "39/KH-UBND"
    assert db.session.scalar(sa.select(sa.func.count(Conference.id))) == 0


def test_a_past_start_is_refused_for_a_new_conference(client, organiser, ward):
    response = client.post("/conferences/new", data=valid_form(ward, days=-2))
    assert response.status_code == 400
    assert "in the past" in error_beside(response.text, "start_date")
    assert input_value(response.text, "start_date") == local_day(-2, ward).isoformat()
    assert input_value(response.text, "venue") == "Hội trường UBND phường"


def test_a_duplicate_plan_number_names_the_other_conference(
    client, organiser, ward, make_conference
):
    make_conference(title="Hội nghị đối thoại năm 2019", plan_number="39/KH-UBND")
    response = client.post("/conferences/new", data=valid_form(ward, title="Hội nghị mới"))
    assert response.status_code == 400
    message = error_beside(response.text, "plan_number")
    assert "Hội nghị đối thoại năm 2019" in message
    assert input_value(response.text, "title") == "Hội nghị mới"


def test_a_person_of_another_ward_is_refused_beside_the_field(
    client, organiser, ward, other_ward, make_person
):
    stranger = make_person(ward=other_ward, full_name="Lê Văn Ngoài")
    response = client.post("/conferences/new", data=valid_form(ward, chair_id=str(stranger.id)))
    assert response.status_code == 400
    assert "directory" in error_beside(response.text, "chair_id")
    assert "Lê Văn Ngoài" not in response.text


def test_missing_date_and_venue_are_asked_for(client, organiser, ward):
    response = client.post(
        "/conferences/new", data=valid_form(ward, start_date="", venue="", start_time="")
    )
    assert response.status_code == 400
    assert error_beside(response.text, "start_date")
    assert error_beside(response.text, "start_time")
    assert error_beside(response.text, "venue")


def test_the_edit_form_shows_the_ward_clock_and_saves(client, organiser, ward, make_conference):
    start = ward_datetime(ward, local_day(20, ward), time(7, 30))
    conference = make_conference(start_dt=start, planned_end_dt=start + timedelta(hours=2))
    page = client.get(f"/conferences/{conference.id}/edit").text
    assert input_value(page, "start_time") == "07:30"
    assert input_value(page, "end_time") == "09:30"
    assert input_value(page, "start_date") == local_day(20, ward).isoformat()
    response = client.post(
        f"/conferences/{conference.id}/edit",
        data=valid_form(ward, days=21, title="Tên đã sửa", start_time="08:15", end_time="10:00"),
    )
    assert response.status_code == 302, response.text
    stored = reload(conference)
    assert stored.title == "Tên đã sửa"
    assert to_local(stored.start_dt, ward.timezone).time() == time(8, 15)


def test_editing_an_announced_conference_warns_that_the_notice_changes(
    client, organiser, ward, make_conference
):
    # At 8:00 on the ward's clock: a start taken from the time the test runs would end past
    # midnight when it runs in the evening, and the form would refuse the end time.
    start = ward_datetime(ward, local_day(30, ward), time(8, 0))
    conference = make_conference(start_dt=start, planned_end_dt=start + timedelta(hours=3))
    operations.change_status(conference, ConferenceStatus.ANNOUNCED)
    db.session.commit()
    page = client.get(f"/conferences/{conference.id}/edit").text
    assert "changes the public notice" in page
    start = conference.start_dt
    day = to_local(start, ward.timezone).date()
    data = valid_form(
        ward,
        start_date=day.isoformat(),
        start_time=to_local(start, ward.timezone).strftime("%H:%M"),
        end_time=to_local(conference.planned_end_dt, ward.timezone).strftime("%H:%M"),
        venue="Nhà văn hóa tổ dân phố số 3",
        plan_number="",
    )
    response = client.post(f"/conferences/{conference.id}/edit", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "The public notice now shows the new date, time or venue" in response.text
    assert reload(conference).venue == "Nhà văn hóa tổ dân phố số 3"


def test_a_closed_conference_offers_no_form_and_keeps_what_was_typed(
    client, organiser, ward, make_conference
):
    conference = make_conference(title="Hội nghị đã họp")
    for status in (
        ConferenceStatus.ANNOUNCED,
        ConferenceStatus.IN_PROGRESS,
        ConferenceStatus.CLOSED,
    ):
        operations.change_status(conference, status)
    db.session.commit()
    page = client.get(f"/conferences/{conference.id}/edit").text
    assert "its plan can no longer be changed" in html.unescape(page)
    assert 'class="plan-form"' not in page
    assert "Edit the plan</a>" not in client.get(f"/conferences/{conference.id}").text

    response = client.post(
        f"/conferences/{conference.id}/edit", data=valid_form(ward, title="Tên gõ vào")
    )
    assert response.status_code == 409
    page = html.unescape(response.text)
    assert "its plan can no longer be changed" in page
    assert "Tên gõ vào" in page  # what was typed is shown, not lost
    assert 'class="plan-form"' not in page
    assert reload(conference).title == "Hội nghị đã họp"


# -- views: the agenda --------------------------------------------------------------------------


def test_agenda_through_the_pages(client, organiser, ward, make_conference):
    conference = make_conference()
    base = f"/conferences/{conference.id}/agenda"
    for title in ("Khai mạc", "Báo cáo kết quả", "Đối thoại"):
        response = client.post(base, data={"title": title, "presenter": "", "planned_minutes": ""})
        assert response.status_code == 302, response.text
    items = db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.conference_id == conference.id)
        .order_by(AgendaItem.position)
    ).all()
    first, second, third = items

    # Move without JavaScript: plain POSTs, back to the moved item.
    response = client.post(f"{base}/{third.id}/move", data={"direction": "up"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#item-{third.id}")
    client.post(f"{base}/{third.id}/move", data={"direction": "up"})
    assert agenda_titles(conference) == ["Đối thoại", "Khai mạc", "Báo cáo kết quả"]
    client.post(f"{base}/{third.id}/move", data={"direction": "down"})
    assert agenda_titles(conference) == ["Khai mạc", "Đối thoại", "Báo cáo kết quả"]

    # The drag-and-drop script sends the whole order.
    response = client.post(f"{base}/order", data={"order": f"{second.id},{first.id},{third.id}"})
    assert response.status_code == 200
    assert response.get_json()["order"] == [second.id, first.id, third.id]
    assert agenda_titles(conference) == ["Báo cáo kết quả", "Khai mạc", "Đối thoại"]
    response = client.post(f"{base}/order", data={"order": f"{second.id},{first.id}"})
    assert response.status_code == 409
    assert response.get_json()["ok"] is False
    assert client.post(f"{base}/order", data={"order": "a,b"}).status_code == 400

    # Edit and remove.
    response = client.post(
        f"{base}/{first.id}/edit",
        data={
            "title": "Khai mạc, giới thiệu đại biểu",
            "presenter": "Văn phòng",
            "planned_minutes": "10",
        },
    )
    assert response.status_code == 302
    stored = reload(first)
    assert (stored.title, stored.presenter, stored.planned_minutes) == (
        "Khai mạc, giới thiệu đại biểu",
        "Văn phòng",
        10,
    )
    client.post(f"{base}/{second.id}/delete")
    assert agenda_titles(conference) == ["Khai mạc, giới thiệu đại biểu", "Đối thoại"]
    assert agenda_positions(conference) == [1, 2]

    page = client.get(base).text
    agenda = re.search(r'<ol class="agenda-list".*?</ol>', page, re.S).group(0)
    assert agenda.index("Khai mạc, giới thiệu đại biểu") < agenda.index("Đối thoại")
    assert 'data-reorder-url="' in page
    assert "<script>" not in page  # no inline script: the CSP forbids it


def test_agenda_bad_input_keeps_what_was_typed(client, organiser, make_conference):
    conference = make_conference()
    response = client.post(
        f"/conferences/{conference.id}/agenda",
        data={"title": "", "presenter": "Phó Chủ tịch UBND", "planned_minutes": "0"},
    )
    assert response.status_code == 400
    assert error_beside(response.text, "title")
    assert error_beside(response.text, "planned_minutes")
    assert input_value(response.text, "presenter") == "Phó Chủ tịch UBND"


def test_an_item_of_another_conference_answers_404(client, organiser, make_conference):
    mine = make_conference()
    other = make_conference(title="Hội nghị khác")
    item = operations.add_agenda_item(other, AgendaItemData(title="Của hội nghị khác"))
    db.session.commit()
    assert client.get(f"/conferences/{mine.id}/agenda/{item.id}/edit").status_code == 404
    assert client.post(f"/conferences/{mine.id}/agenda/{item.id}/delete").status_code == 404
    assert agenda_titles(other) == ["Của hội nghị khác"]


def test_the_agenda_of_a_closed_conference_is_read_only(client, organiser, make_conference):
    conference = make_conference()
    operations.add_agenda_item(conference, AgendaItemData(title="Khai mạc"))
    for status in (
        ConferenceStatus.ANNOUNCED,
        ConferenceStatus.IN_PROGRESS,
        ConferenceStatus.CLOSED,
    ):
        operations.change_status(conference, status)
    db.session.commit()
    page = html.unescape(client.get(f"/conferences/{conference.id}/agenda").text)
    assert "can no longer be changed" in page
    assert "Khai mạc" in page
    assert "data-reorder-url" not in page
    response = client.post(f"/conferences/{conference.id}/agenda", data={"title": "Muộn"})
    assert response.status_code == 409
    assert "Muộn" in response.text
    assert agenda_titles(conference) == ["Khai mạc"]


# -- the people search --------------------------------------------------------------------------


def test_people_search_ignores_diacritics_puts_leaders_first_and_stays_in_the_ward(
    client, organiser, ward, other_ward, make_person
):
    make_person(full_name="Nguyễn Văn Đức", title="Tổ trưởng", phone="0912345678", has_consent=True)
    make_person(
        full_name="Nguyễn Văn Đức", title="Chủ tịch UBND", delegate_category=category(ward, "UBND")
    )
    make_person(ward=other_ward, full_name="Nguyễn Văn Đức", title="Ở phường khác")
    data = client.get("/conferences/people.json?q=nguyen van duc").get_json()
    labels = [row["label"] for row in data["results"]]
    assert labels == ["Nguyễn Văn Đức - Chủ tịch UBND", "Nguyễn Văn Đức - Tổ trưởng"]
    assert "0912345678" not in str(data)
    assert client.get("/conferences/people.json?q=").get_json() == {"results": []}


def test_agenda_changes_are_in_the_wards_audit_log(app, ward):
    from dialogue.audit.models import AuditAction, AuditEvent

    conference = operations.create_conference(ward, plan(ward))
    item = operations.add_agenda_item(conference, AgendaItemData(title="Khai mạc"))
    db.session.commit()
    operations.update_agenda_item(item, AgendaItemData(title="Khai mạc hội nghị"))
    db.session.commit()
    operations.remove_agenda_item(item)
    db.session.commit()
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "agenda_items")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        AuditAction.CREATE,
        AuditAction.UPDATE,
        AuditAction.DELETE,
    ]
    assert {e.ward_id for e in events} == {ward.id}
    assert events[1].changes["title"] == ["Khai mạc", "Khai mạc hội nghị"]
