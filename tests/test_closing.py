"""Closing a session: end time, the chair's conclusion and its tasks, the closing event, the pages."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role
from dialogue.conferences.models import ConclusionTask, Conference, ConferenceStatus
from dialogue.core.dates import to_local
from dialogue.errors import InvalidTransition, ValidationFailed
from dialogue.extensions import db
from dialogue.live import closing, events
from dialogue.live.bus import get_bus
from dialogue.live.closing import ConclusionData, PendingTurns, TaskData
from dialogue.live.models import LiveEvent, TurnOutcome
from dialogue.live.operations import SessionNotOpen, TurnData, log_turn
from dialogue.wards.models import Unit


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def units(app, ward, other_ward):
    own = {
        "one_stop": Unit(ward=ward, name="Bộ phận Một cửa"),
        "land": Unit(ward=ward, name="Công chức Địa chính - Xây dựng"),
    }
    foreign = Unit(ward=other_ward, name="Công chức Tư pháp - Hộ tịch phường Phúc Lợi")
    db.session.add_all([*own.values(), foreign])
    db.session.commit()
    return {**own, "foreign": foreign}


@pytest.fixture
def session_in_progress(make_conference, make_user):
    """A conference that started two hours ago and is still going on."""

    def factory(**overrides):
        start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
        values = {
            "start_dt": start,
            "planned_end_dt": start + timedelta(hours=3),
            "status": ConferenceStatus.IN_PROGRESS,
        }
        values.update(overrides)
        return make_conference(**values)

    return factory


def ending(conference, minutes: int = 90) -> datetime:
    return conference.start_dt + timedelta(minutes=minutes)


def conclusion_data(conference, units, **overrides) -> ConclusionData:
    values = {
        "end_dt": ending(conference),
        "conclusion": "Chủ tịch UBND phường tiếp thu ý kiến của đại biểu.",
        "tasks": (
            TaskData(
                "Rà soát hồ sơ cấp giấy chứng nhận còn tồn đọng.",
                unit_id=units["land"].id,
                deadline=date(2099, 8, 31),
            ),
        ),
    }
    values.update(overrides)
    return ConclusionData(**values)


def reload(conference) -> Conference:
    db.session.expire_all()
    return db.session.get(Conference, conference.id)


def pending_turn(conference, user, question="Hỏi về thủ tục đăng ký khai sinh."):
    return log_turn(conference, TurnData(question=question), by=user).turn


# -- the operation ------------------------------------------------------------------------------


def test_closing_records_the_end_the_conclusion_and_the_tasks(
    app, ward, units, session_in_progress
):
    conference = session_in_progress()
    text = "  Đoạn  một  của kết luận.\r\n\r\n   \nĐoạn hai:\ttiếp tục cải cách.  \n"
    closing.close_conference(
        conference,
        conclusion_data(
            conference,
            units,
            conclusion=text,
            tasks=(
                TaskData(" Bồi dưỡng  kỹ năng giao tiếp. ", unit_id=units["one_stop"].id),
                TaskData("Rà soát hồ sơ đất đai.", units["land"].id, date(2099, 8, 31)),
            ),
        ),
    )
    db.session.commit()
    stored = reload(conference)
    assert stored.status is ConferenceStatus.CLOSED
    assert stored.end_dt == ending(conference)
    # Paragraphs are kept, one a line; spaces inside each are tidied.
    assert stored.conclusion == "Đoạn một của kết luận.\nĐoạn hai: tiếp tục cải cách."
    tasks = [(t.position, t.content, t.unit.name, t.deadline) for t in stored.conclusion_tasks]
    assert tasks == [
        (1, "Bồi dưỡng kỹ năng giao tiếp.", "Bộ phận Một cửa", None),
        (2, "Rà soát hồ sơ đất đai.", "Công chức Địa chính - Xây dựng", date(2099, 8, 31)),
    ]
    audited = db.session.execute(
        sa.select(AuditEvent.entity_type, AuditEvent.action, AuditEvent.summary).where(
            AuditEvent.entity_type.in_(["conferences", "conclusion_tasks"])
        )
    ).all()
    assert ("conferences", AuditAction.EVENT, "status in_progress -> closed") in audited
    assert sum(1 for row in audited if row[:2] == ("conclusion_tasks", AuditAction.CREATE)) == 2


def test_closing_tells_every_screen_after_the_commit(app, ward, units, session_in_progress):
    conference = session_in_progress()
    subscription = get_bus(app).subscribe(events.channel_for(conference.id))
    try:
        closing.close_conference(conference, conclusion_data(conference, units))
        assert subscription.get(timeout=0.2) is None  # nothing before the commit
        db.session.commit()
        message = json.loads(subscription.get(timeout=2))
    finally:
        subscription.close()
    assert message["kind"] == "conference.closed"
    assert message["seq"] == reload(conference).live_sequence
    public = message["public"]["conference"]
    assert public["status"] == "closed"
    assert public["conclusion"] == "Chủ tịch UBND phường tiếp thu ý kiến của đại biểu."
    assert public["tasks"] == [
        {
            "position": 1,
            "content": "Rà soát hồ sơ cấp giấy chứng nhận còn tồn đọng.",
            "unit": "Công chức Địa chính - Xây dựng",
            "deadline": "2099-08-31",
        }
    ]
    local_end = to_local(ending(conference), ward.timezone)
    assert public["end_label"] == f"{local_end.hour} giờ {local_end.minute:02d} phút"
    stored = db.session.scalars(
        sa.select(LiveEvent).where(LiveEvent.conference_id == conference.id)
    ).all()
    assert [(e.kind, e.public_payload) for e in stored] == [
        ("conference.closed", message["public"])
    ]


def test_a_refused_close_publishes_nothing(app, units, session_in_progress):
    conference = session_in_progress()
    subscription = get_bus(app).subscribe(events.channel_for(conference.id))
    try:
        with pytest.raises(ValidationFailed):
            closing.close_conference(conference, conclusion_data(conference, units, conclusion=""))
        db.session.rollback()
        db.session.commit()
        assert subscription.get(timeout=0.2) is None
    finally:
        subscription.close()
    assert reload(conference).status is ConferenceStatus.IN_PROGRESS


def test_the_end_comes_after_the_start_and_not_in_the_future(app, units, session_in_progress):
    conference = session_in_progress()
    for end in (conference.start_dt, conference.start_dt - timedelta(minutes=1)):
        with pytest.raises(ValidationFailed, match="later than the start") as caught:
            closing.close_conference(conference, conclusion_data(conference, units, end_dt=end))
        assert caught.value.field == "end_time"
    now = datetime.now(UTC)
    with pytest.raises(ValidationFailed, match="cannot be in the future") as caught:
        closing.close_conference(
            conference,
            conclusion_data(conference, units, end_dt=now + timedelta(minutes=30)),
            now=now,
        )
    assert caught.value.field == "end_time"
    # A watch a couple of minutes ahead of the server is believed.
    closing.close_conference(
        conference, conclusion_data(conference, units, end_dt=now + timedelta(minutes=2)), now=now
    )
    assert conference.status is ConferenceStatus.CLOSED


def test_the_conclusion_is_required(app, units, session_in_progress):
    conference = session_in_progress()
    with pytest.raises(ValidationFailed, match="conclusion") as caught:
        closing.close_conference(conference, conclusion_data(conference, units, conclusion=" \n "))
    assert caught.value.field == "conclusion"


@pytest.mark.parametrize(
    ("task", "field", "message"),
    [
        (lambda u: TaskData("  ", unit_id=u["land"].id), "content", "Write what the task is"),
        (lambda u: TaskData("Rà soát hồ sơ."), "unit_id", "Choose the unit"),
        (
            lambda u: TaskData("Rà soát hồ sơ.", unit_id=u["foreign"].id),
            "unit_id",
            "not one of the ward's",
        ),
        (lambda u: TaskData("Rà soát hồ sơ.", unit_id=987654), "unit_id", "not one of the ward's"),
        (
            lambda u: TaskData("Rà soát hồ sơ.", u["land"].id, date(2000, 1, 1)),
            "deadline",
            "cannot be before the conference",
        ),
    ],
)
def test_a_bad_task_is_refused_naming_its_row(
    app, units, session_in_progress, task, field, message
):
    conference = session_in_progress()
    good = TaskData("Bồi dưỡng kỹ năng giao tiếp.", unit_id=units["one_stop"].id)
    with pytest.raises(ValidationFailed, match=message) as caught:
        closing.close_conference(
            conference, conclusion_data(conference, units, tasks=(good, task(units)))
        )
    assert caught.value.field == f"tasks-1-{field}"
    db.session.rollback()
    stored = reload(conference)
    assert stored.status is ConferenceStatus.IN_PROGRESS and stored.conclusion_tasks == []


def test_the_deadline_may_be_the_day_of_the_conference(app, ward, units, session_in_progress):
    conference = session_in_progress()
    day = conference.start_local.date()
    closing.close_conference(
        conference,
        conclusion_data(conference, units, tasks=(TaskData("Niêm yết.", units["land"].id, day),)),
    )
    assert conference.conclusion_tasks[0].deadline == day


def test_turns_waiting_for_an_answer_need_a_confirmation(
    app, units, session_in_progress, make_user
):
    secretary = make_user(Role.SECRETARY)
    conference = session_in_progress()
    waiting = pending_turn(conference, secretary)
    withdrawn = pending_turn(conference, secretary, "Câu hỏi đã rút.")
    withdrawn.withdrawn_dt = datetime.now(UTC)
    log_turn(
        conference,
        TurnData(
            question="Hỏi về chứng thực bản sao.",
            outcome=TurnOutcome.ANSWERED,
            answerer_name="Ông Phạm Văn P - Công chức Tư pháp - Hộ tịch",
            answer="Được chứng thực ngay trong ngày.",
        ),
        by=secretary,
    )
    db.session.commit()
    with pytest.raises(PendingTurns, match="1 turns have no answer") as caught:
        closing.close_conference(conference, conclusion_data(conference, units))
    assert caught.value.field == "confirm_pending"
    assert caught.value.turns == [waiting]
    db.session.rollback()
    assert reload(conference).status is ConferenceStatus.IN_PROGRESS

    closing.close_conference(conference, conclusion_data(conference, units), confirm_pending=True)
    db.session.commit()
    assert reload(conference).status is ConferenceStatus.CLOSED


def test_only_a_session_in_progress_closes(app, units, make_conference, session_in_progress):
    announced = make_conference(status=ConferenceStatus.ANNOUNCED)
    with pytest.raises(InvalidTransition, match="Only a conference in progress"):
        closing.close_conference(announced, conclusion_data(announced, units))
    conference = session_in_progress()
    closing.close_conference(conference, conclusion_data(conference, units))
    with pytest.raises(InvalidTransition):
        closing.close_conference(conference, conclusion_data(conference, units))


def test_a_closed_conference_refuses_turns(app, units, session_in_progress, make_user):
    conference = session_in_progress()
    closing.close_conference(conference, conclusion_data(conference, units))
    db.session.commit()
    with pytest.raises(SessionNotOpen):
        pending_turn(conference, make_user(Role.SECRETARY))


def test_the_conclusion_is_corrected_after_closing_and_every_change_audited(
    app, units, session_in_progress
):
    conference = session_in_progress()
    closing.close_conference(
        conference,
        conclusion_data(
            conference,
            units,
            tasks=(
                TaskData("Nhiệm vụ một.", units["one_stop"].id),
                TaskData("Nhiệm vụ hai.", units["land"].id),
            ),
        ),
    )
    db.session.commit()
    first, second = conference.conclusion_tasks
    first_id, second_id = first.id, second.id
    closing.update_conclusion(
        conference,
        ConclusionData(
            end_dt=ending(conference, 100),
            conclusion="Kết luận đã sửa.",
            tasks=(
                TaskData("Nhiệm vụ mới.", units["land"].id, date(2099, 9, 30)),
                TaskData("Nhiệm vụ một, đã sửa.", units["land"].id, task_id=first_id),
            ),
        ),
    )
    db.session.commit()
    stored = reload(conference)
    assert stored.end_dt == ending(conference, 100)
    assert stored.conclusion == "Kết luận đã sửa."
    assert [(t.position, t.content) for t in stored.conclusion_tasks] == [
        (1, "Nhiệm vụ mới."),
        (2, "Nhiệm vụ một, đã sửa."),
    ]
    assert stored.conclusion_tasks[1].id == first_id  # changed in place, not replaced
    assert db.session.get(ConclusionTask, second_id) is None
    actions = {
        (e.entity_id, e.action)
        for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_type == "conclusion_tasks")
        )
    }
    assert (first_id, AuditAction.UPDATE) in actions
    assert (second_id, AuditAction.DELETE) in actions
    conference_changes = db.session.scalars(
        sa.select(AuditEvent.changes).where(
            AuditEvent.entity_type == "conferences",
            AuditEvent.entity_id == conference.id,
            AuditEvent.action == AuditAction.UPDATE,
        )
    ).all()
    assert any("conclusion" in changes for changes in conference_changes)
    kinds = db.session.scalars(
        sa.select(LiveEvent.kind)
        .where(LiveEvent.conference_id == conference.id)
        .order_by(LiveEvent.sequence)
    ).all()
    assert kinds == ["conference.closed", "conference.closed"]


def test_a_task_of_another_conference_cannot_be_edited(app, units, session_in_progress):
    elsewhere = session_in_progress()
    closing.close_conference(elsewhere, conclusion_data(elsewhere, units))
    conference = session_in_progress()
    closing.close_conference(conference, conclusion_data(conference, units))
    db.session.commit()
    foreign_task = elsewhere.conclusion_tasks[0]
    with pytest.raises(ValidationFailed, match="changed meanwhile"):
        closing.update_conclusion(
            conference,
            conclusion_data(
                conference,
                units,
                tasks=(TaskData("Chiếm nhiệm vụ.", units["land"].id, task_id=foreign_task.id),),
            ),
        )


def test_a_task_named_twice_is_refused(app, units, session_in_progress):
    conference = session_in_progress()
    closing.close_conference(conference, conclusion_data(conference, units))
    task_id = conference.conclusion_tasks[0].id
    twice = tuple(TaskData("Một nhiệm vụ.", units["land"].id, task_id=task_id) for _ in range(2))
    with pytest.raises(ValidationFailed, match="changed meanwhile"):
        closing.update_conclusion(conference, conclusion_data(conference, units, tasks=twice))


def test_the_conclusion_is_frozen_once_the_minutes_are_published(app, units, session_in_progress):
    conference = session_in_progress()
    closing.close_conference(conference, conclusion_data(conference, units))
    conference.status = ConferenceStatus.PUBLISHED
    db.session.commit()
    with pytest.raises(InvalidTransition, match="minutes are not published"):
        closing.update_conclusion(conference, conclusion_data(conference, units))
    in_progress = session_in_progress()
    with pytest.raises(InvalidTransition):
        closing.update_conclusion(in_progress, conclusion_data(in_progress, units))


# -- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    return user


def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


def close_form(conference, units, **overrides) -> dict:
    end = to_local(ending(conference), conference.ward.timezone)
    values = {
        "end_date": end.date().isoformat(),
        "end_time": end.strftime("%H:%M"),
        "conclusion": "Chủ tịch UBND phường tiếp thu ý kiến.\nĐề nghị các tổ dân phố giám sát.",
        "tasks-0-content": "Bồi dưỡng kỹ năng giao tiếp cho công chức.",
        "tasks-0-unit_id": str(units["one_stop"].id),
        "tasks-0-deadline": "2099-12-31",
        "tasks-1-content": "",
        "tasks-1-unit_id": "0",
        "tasks-1-deadline": "",
        "tasks-2-content": "Rà soát hồ sơ đất đai tồn đọng.",
        "tasks-2-unit_id": str(units["land"].id),
        "tasks-2-deadline": "",
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("role", "foreign", "expected"),
    [
        (Role.ORGANISER, False, 200),
        (Role.CHAIR, False, 200),
        (Role.ADMINISTRATOR, False, 200),
        (Role.SECRETARY, False, 403),
        (Role.RESPONDER, False, 403),
        (Role.ORGANISER, True, 404),
        (Role.CHAIR, True, 404),
    ],
)
def test_who_may_close(
    client, login, make_user, other_ward, session_in_progress, role, foreign, expected
):
    login(make_user(role))
    conference = session_in_progress(ward=other_ward) if foreign else session_in_progress()
    assert client.get(f"/conferences/{conference.id}/close").status_code == expected
    closing.close_conference(
        conference, ConclusionData(end_dt=ending(conference), conclusion="Kết luận.")
    )
    db.session.commit()
    assert client.get(f"/conferences/{conference.id}/conclusion").status_code == expected


def test_signed_out_visitors_are_sent_to_sign_in(client, session_in_progress):
    conference = session_in_progress()
    for path in ("close", "conclusion"):
        response = client.get(f"/conferences/{conference.id}/{path}")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")


def test_the_close_page_offers_now_on_the_ward_clock_and_three_empty_rows(
    client, organiser, ward, units, session_in_progress
):
    conference = session_in_progress()
    page = client.get(f"/conferences/{conference.id}/close").text
    now = to_local(datetime.now(UTC), ward.timezone)
    assert f'value="{now.date().isoformat()}"' in page
    assert re.search(r'id="end_time"[^>]*value="\d\d:\d\d"', page)
    assert [f"tasks-{n}-content" in page for n in range(4)] == [True, True, True, False]
    assert "Công chức Địa chính - Xây dựng" in page
    assert "Phúc Lợi" not in page  # another ward's unit is not offered


def test_closing_through_the_page(client, organiser, units, session_in_progress):
    conference = session_in_progress()
    response = client.post(
        f"/conferences/{conference.id}/close", data=close_form(conference, units)
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/conferences/{conference.id}")
    stored = reload(conference)
    assert stored.status is ConferenceStatus.CLOSED
    assert stored.end_dt == ending(conference)
    assert [t.content for t in stored.conclusion_tasks] == [
        "Bồi dưỡng kỹ năng giao tiếp cho công chức.",
        "Rà soát hồ sơ đất đai tồn đọng.",
    ]
    page = html.unescape(client.get(f"/conferences/{conference.id}").text)
    assert "The screens in the hall show the conclusion" in page
    assert "<p>Chủ tịch UBND phường tiếp thu ý kiến.</p>" in page
    assert "<p>Đề nghị các tổ dân phố giám sát.</p>" in page
    assert "31/12/2099" in page and "Standing task" in page
    local_end = to_local(ending(conference), stored.ward.timezone)
    assert f"{local_end.hour} giờ {local_end.minute:02d} phút" in page
    assert "Edit the conclusion and tasks" in page
    # Closed: the close page leads to the corrections page.
    response = client.get(f"/conferences/{conference.id}/close")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/conferences/{conference.id}/conclusion")


def test_the_conference_page_links_to_the_close_page(
    client, login, make_user, units, session_in_progress
):
    conference = session_in_progress()
    login(make_user(Role.ORGANISER))
    page = client.get(f"/conferences/{conference.id}").text
    assert f'href="/conferences/{conference.id}/close"' in page
    assert f'action="/conferences/{conference.id}/close"' not in page
    client.get("/auth/logout")
    login(make_user(Role.CHAIR))
    page = client.get(f"/conferences/{conference.id}").text
    assert f'href="/conferences/{conference.id}/close"' in page
    client.post("/auth/logout")
    login(make_user(Role.SECRETARY))
    assert (
        f"/conferences/{conference.id}/close"
        not in client.get(f"/conferences/{conference.id}").text
    )


def test_a_bad_end_keeps_everything_typed(client, organiser, units, session_in_progress):
    conference = session_in_progress()
    start = to_local(conference.start_dt, conference.ward.timezone)
    early = start - timedelta(minutes=30)
    response = client.post(
        f"/conferences/{conference.id}/close",
        data=close_form(
            conference,
            units,
            end_date=early.date().isoformat(),
            end_time=early.strftime("%H:%M"),
        ),
    )
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "later than the start" in error_beside(response.text, "end_time")
    assert "Chủ tịch UBND phường tiếp thu ý kiến.\nĐề nghị các tổ dân phố giám sát." in page
    assert "Bồi dưỡng kỹ năng giao tiếp cho công chức." in page
    assert "Rà soát hồ sơ đất đai tồn đọng." in page
    assert f'value="{early.strftime("%H:%M")}"' in page
    assert reload(conference).status is ConferenceStatus.IN_PROGRESS


def test_a_task_without_content_is_shown_in_its_row(client, organiser, units, session_in_progress):
    conference = session_in_progress()
    response = client.post(
        f"/conferences/{conference.id}/close",
        data=close_form(conference, units, **{"tasks-2-content": " "}),
    )
    assert response.status_code == 400
    assert error_beside(response.text, "tasks-2-content") == "Write what the task is."
    assert "Bồi dưỡng kỹ năng giao tiếp cho công chức." in html.unescape(response.text)
    assert reload(conference).status is ConferenceStatus.IN_PROGRESS


def test_a_unit_of_another_ward_is_refused_in_its_row(
    client, organiser, units, session_in_progress
):
    conference = session_in_progress()
    response = client.post(
        f"/conferences/{conference.id}/close",
        data=close_form(conference, units, **{"tasks-0-unit_id": str(units["foreign"].id)}),
    )
    assert response.status_code == 400
    assert error_beside(response.text, "tasks-0-unit_id") == "Choose one of the ward's units."
    assert reload(conference).status is ConferenceStatus.IN_PROGRESS


def test_rows_are_added_and_removed_without_saving(client, organiser, units, session_in_progress):
    conference = session_in_progress()
    url = f"/conferences/{conference.id}/close"
    response = client.post(url, data={**close_form(conference, units), "add_task": "1"})
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert 'id="tasks-3-content"' in page and 'id="tasks-4-content"' not in page
    assert "Rà soát hồ sơ đất đai tồn đọng." in page
    assert reload(conference).status is ConferenceStatus.IN_PROGRESS

    # Removing the first row: the others move up and keep what was typed.
    response = client.post(url, data={**close_form(conference, units), "remove_task": "0"})
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert "Bồi dưỡng kỹ năng giao tiếp cho công chức." not in page
    assert re.search(r'id="tasks-1-content"[^>]*>\s*Rà soát hồ sơ đất đai tồn đọng.', page)
    assert 'id="tasks-2-content"' not in page
    assert reload(conference).conclusion_tasks == []


def test_waiting_turns_are_listed_and_closing_needs_the_confirmation(
    client, organiser, units, session_in_progress, make_user
):
    conference = session_in_progress()
    pending_turn(conference, make_user(Role.SECRETARY), "Hỏi về cấp phép xây dựng nhà ở.")
    db.session.commit()
    url = f"/conferences/{conference.id}/close"
    page = html.unescape(client.get(url).text)
    assert "Turns without an answer" in page and "Hỏi về cấp phép xây dựng nhà ở." in page
    response = client.post(url, data=close_form(conference, units))
    assert response.status_code == 400
    assert "1 turns have no answer" in error_beside(response.text, "confirm_pending")
    assert reload(conference).status is ConferenceStatus.IN_PROGRESS
    response = client.post(url, data={**close_form(conference, units), "confirm_pending": "y"})
    assert response.status_code == 302
    assert reload(conference).status is ConferenceStatus.CLOSED


def test_script_in_the_conclusion_is_shown_as_text(client, organiser, units, session_in_progress):
    conference = session_in_progress()
    attack = '<script>alert("x")</script><b>đậm</b>'
    response = client.post(
        f"/conferences/{conference.id}/close",
        data=close_form(conference, units, conclusion=attack, **{"tasks-0-content": attack}),
    )
    assert response.status_code == 302
    page = client.get(f"/conferences/{conference.id}").text
    assert "<script>alert" not in page and "<b>đậm</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;đậm&lt;/b&gt;" in page
    edit = client.get(f"/conferences/{conference.id}/conclusion").text
    assert "<script>alert" not in edit and "&lt;script&gt;" in edit


def test_a_second_close_is_refused_and_keeps_what_was_typed(
    client, organiser, units, session_in_progress
):
    conference = session_in_progress()
    closing.close_conference(conference, conclusion_data(conference, units))
    db.session.commit()
    response = client.post(
        f"/conferences/{conference.id}/close",
        data=close_form(conference, units, conclusion="Kết luận gõ lần hai."),
    )
    assert response.status_code == 409
    page = html.unescape(response.text)
    assert "Only a conference in progress can be closed" in page
    assert "Kết luận gõ lần hai." in page
    assert reload(conference).conclusion == "Chủ tịch UBND phường tiếp thu ý kiến của đại biểu."


def test_an_announced_conference_has_nothing_to_close(client, organiser, make_conference):
    conference = make_conference(status=ConferenceStatus.ANNOUNCED)
    response = client.get(f"/conferences/{conference.id}/close")
    assert response.status_code == 200
    assert "Only a conference in progress can be closed" in html.unescape(response.text)
    assert 'name="conclusion"' not in response.text
    response = client.get(f"/conferences/{conference.id}/conclusion")
    assert response.status_code == 200
    assert 'name="conclusion"' not in response.text


def test_correcting_the_conclusion_through_its_page(client, organiser, units, session_in_progress):
    conference = session_in_progress()
    closing.close_conference(
        conference,
        conclusion_data(
            conference,
            units,
            tasks=(
                TaskData("Nhiệm vụ một.", units["one_stop"].id),
                TaskData("Nhiệm vụ hai.", units["land"].id),
            ),
        ),
    )
    db.session.commit()
    first, second = (task.id for task in conference.conclusion_tasks)
    url = f"/conferences/{conference.id}/conclusion"
    page = client.get(url).text
    assert f'name="tasks-0-task_id" type="hidden" value="{first}"' in page
    assert 'id="tasks-2-content"' in page and 'id="tasks-3-content"' not in page

    end = to_local(ending(conference, 100), conference.ward.timezone)
    response = client.post(
        url,
        data={
            "end_date": end.date().isoformat(),
            "end_time": end.strftime("%H:%M"),
            "conclusion": "Kết luận đã chỉnh sửa.",
            "tasks-0-task_id": str(first),
            "tasks-0-content": "Nhiệm vụ một, đã chỉnh.",
            "tasks-0-unit_id": str(units["one_stop"].id),
            "tasks-0-deadline": "",
            # The second task's row was removed; a new one is typed in the empty row.
            "tasks-1-task_id": "",
            "tasks-1-content": "Nhiệm vụ ba.",
            "tasks-1-unit_id": str(units["land"].id),
            "tasks-1-deadline": "2099-10-15",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/conferences/{conference.id}#conclusion")
    stored = reload(conference)
    assert stored.end_dt == ending(conference, 100)
    assert stored.conclusion == "Kết luận đã chỉnh sửa."
    assert [(t.id == first, t.content) for t in stored.conclusion_tasks] == [
        (True, "Nhiệm vụ một, đã chỉnh."),
        (False, "Nhiệm vụ ba."),
    ]
    assert db.session.get(ConclusionTask, second) is None


def test_the_corrections_page_refuses_after_publication_keeping_the_text(
    client, organiser, units, session_in_progress
):
    conference = session_in_progress()
    closing.close_conference(conference, conclusion_data(conference, units))
    conference.status = ConferenceStatus.PUBLISHED
    db.session.commit()
    url = f"/conferences/{conference.id}/conclusion"
    page = html.unescape(client.get(url).text)
    assert "minutes are not published" in page and 'name="conclusion"' not in page
    assert "Edit the conclusion and tasks" not in client.get(f"/conferences/{conference.id}").text
    response = client.post(url, data=close_form(conference, units, conclusion="Sửa muộn."))
    assert response.status_code == 409
    assert "Sửa muộn." in html.unescape(response.text)
    assert reload(conference).conclusion == "Chủ tịch UBND phường tiếp thu ý kiến của đại biểu."


def test_the_conclusion_page_of_a_session_in_progress_leads_to_closing(
    client, organiser, session_in_progress
):
    conference = session_in_progress()
    response = client.get(f"/conferences/{conference.id}/conclusion")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/conferences/{conference.id}/close")
