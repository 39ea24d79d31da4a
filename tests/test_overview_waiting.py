"""The overview's "To do": what waits for each role in its ward, counted cheaply, with its links."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.feedback.models import ResponseSource, SurveyResponse
from dialogue.followup.models import ReferralRequest, ReferralStatus, RequestKind
from dialogue.live.models import Turn, TurnOutcome
from dialogue.main.waiting import waiting_items
from dialogue.minutes.models import DraftStatus, MinutesDraft
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.wards.models import Unit

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(HCM).date()


def _refer(conference, unit, due: date, position: int) -> Turn:
    turn = Turn(
        conference=conference,
        position=position,
        speaker_name=f"Người dân {position}",
        question=f"Câu hỏi số {position} về thủ tục đất đai.",
        outcome=TurnOutcome.REFERRED,
        referral_unit=unit,
        referral_due_date=due,
    )
    db.session.add(turn)
    return turn


def _fill(ward, make_conference, *, now: datetime, prefix: str = "") -> dict:
    """One of everything that can wait, in ``ward``."""
    land = Unit(ward=ward, name=f"{prefix}Công chức Địa chính - Xây dựng")
    justice = Unit(ward=ward, name=f"{prefix}Công chức Tư pháp - Hộ tịch")
    db.session.add_all([land, justice])
    db.session.commit()
    today = _local_today(now)
    start = now.replace(microsecond=0) - timedelta(days=5)
    held = make_conference(
        ward=ward,
        title=f"{prefix}Hội nghị đối thoại quý I",
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        end_dt=start + timedelta(hours=3),
        status=ConferenceStatus.CLOSED,
    )
    late = _refer(held, land, today - timedelta(days=2), 1)
    soon = _refer(held, land, today + timedelta(days=2), 2)
    _refer(held, justice, today + timedelta(days=10), 3)
    db.session.commit()
    soon.referral.status = ReferralStatus.AWAITING_APPROVAL
    db.session.add(
        ReferralRequest(
            referral=late.referral,
            kind=RequestKind.EXTENSION,
            reason="Cần thêm thời gian xác minh hồ sơ.",
            from_unit_id=land.id,
            previous_due_date=late.referral.due_date,
            new_due_date=today + timedelta(days=15),
        )
    )
    db.session.add(
        MinutesDraft(conference=held, doc_type=DocumentType.MINUTES, status=DraftStatus.SUBMITTED)
    )
    db.session.add(MinutesDraft(conference=held, doc_type=DocumentType.NOTICE))
    db.session.add_all(
        [
            SurveyResponse(conference=held, source=ResponseSource.PAPER, paper_number=1, access=5),
            SurveyResponse(
                conference=held, source=ResponseSource.ONLINE, device_key=f"{prefix}d1", access=4
            ),
        ]
    )
    announced = make_conference(
        ward=ward,
        title=f"{prefix}Hội nghị đối thoại quý II",
        start_dt=now.replace(microsecond=0) + timedelta(days=20),
        status=ConferenceStatus.ANNOUNCED,
        announced_dt=now,
    )
    db.session.add_all(
        [
            ResidentQuestion(conference=announced, question="Đường ngõ 12 khi nào sửa?"),
            ResidentQuestion(conference=announced, question="Giờ tiếp dân thứ Bảy?"),
            ResidentQuestion(
                conference=announced, question="Đã nhận.", status=QuestionStatus.ACCEPTED
            ),
        ]
    )
    draft = make_conference(
        ward=ward,
        title=f"{prefix}Hội nghị đối thoại quý III",
        start_dt=now.replace(microsecond=0) + timedelta(days=10),
    )
    db.session.commit()
    return {
        "land": land,
        "justice": justice,
        "held": held,
        "announced": announced,
        "draft": draft,
        "late": late.referral,
    }


@pytest.fixture
def now():
    return datetime.now(UTC)


@pytest.fixture
def filled(ward, other_ward, make_conference, now):
    # The other ward has all the same work: none of it may reach this ward's staff.
    _fill(other_ward, make_conference, now=now, prefix="Khác ")
    return _fill(ward, make_conference, now=now)


def _items(app, user, ward, now=None):
    with app.test_request_context():
        return waiting_items(user, ward, now=now)


def _by_kind(items) -> dict[str, list]:
    found: dict[str, list] = {}
    for item in items:
        found.setdefault(item.kind, []).append(item)
    return found


def test_the_chair_sees_drafts_answers_requests_and_overdue_per_unit(app, ward, filled, make_user):
    chair = make_user(Role.CHAIR)
    found = _by_kind(_items(app, chair, ward))
    assert set(found) == {"draft", "overdue", "answer", "request"}
    (draft,) = found["draft"]
    assert draft.url == f"/conferences/{filled['held'].id}/minutes/bb/publish"
    assert "Hội nghị đối thoại quý I" in draft.text and "Khác" not in draft.text
    (overdue,) = found["overdue"]
    land = filled["land"]
    assert (overdue.count, overdue.url) == (1, f"/referrals/?status=overdue&unit={land.id}")
    assert land.name in overdue.text
    assert overdue.due.days_left == -2 and overdue.due.tone == "overdue"
    (answer,) = found["answer"]
    assert (answer.count, answer.url) == (1, "/referrals/?status=awaiting_approval")
    (request,) = found["request"]
    assert (request.count, request.url) == (1, f"/referrals/{filled['late'].id}#requests")


def test_the_organiser_sees_questions_announcements_publication_and_surveys(
    app, ward, filled, make_user
):
    organiser = make_user(Role.ORGANISER)
    found = _by_kind(_items(app, organiser, ward))
    assert set(found) == {"questions", "announce", "publish", "survey", "overdue"}
    (questions,) = found["questions"]
    announced = filled["announced"]
    assert (questions.count, questions.url) == (2, f"/conferences/{announced.id}/questions/")
    (announce,) = found["announce"]
    draft = filled["draft"]
    assert announce.url == f"/conferences/{draft.id}/announce"
    # Ten days to go, seven of them the notice: three days left to announce.
    assert announce.due.days_left == 3 and not announce.note
    (publish,) = found["publish"]
    held = filled["held"]
    assert publish.url == f"/conferences/{held.id}/minutes/"
    assert publish.due.days_left == 5
    (survey,) = found["survey"]
    assert (survey.count, survey.url) == (2, f"/conferences/{held.id}/survey/paper")
    # An organiser the chair named as approver also approves answers and decides requests.
    organiser.approves_answers = True
    db.session.commit()
    assert {"answer", "request"} <= set(_by_kind(_items(app, organiser, ward)))


def test_a_secretary_sees_the_questions_and_minutes_of_their_own_conferences(
    app, ward, filled, make_user
):
    secretary = make_user(Role.SECRETARY)
    assert set(_by_kind(_items(app, secretary, ward))) == {"survey"}
    filled["announced"].secretaries.append(secretary)
    filled["held"].secretaries.append(secretary)
    db.session.commit()
    found = _by_kind(_items(app, secretary, ward))
    # Only organisers announce; secretaries never see referrals to chase.
    assert set(found) == {"questions", "publish", "survey"}


def test_a_responder_sees_their_units_referrals_due_soon_and_overdue(app, ward, filled, make_user):
    responder = make_user(Role.RESPONDER, unit=filled["land"])
    found = _by_kind(_items(app, responder, ward))
    assert set(found) == {"overdue", "due"}
    (due,) = found["due"]
    land = filled["land"]
    assert (due.count, due.url) == (1, f"/referrals/?unit={land.id}")
    assert due.due.days_left == 2 and due.due.tone == "open"
    # The justice unit's referral is due in ten days: nothing waits yet.
    other = make_user(Role.RESPONDER, unit=filled["justice"])
    assert _items(app, other, ward) == []


def test_the_overview_shows_the_items_as_links(app, client, login, ward, filled, make_user):
    login(make_user(Role.ORGANISER))
    html = client.get("/overview").get_data(as_text=True)
    section = html.split('id="waiting"')[1].split("</section>")[0]
    assert f'href="/conferences/{filled["draft"].id}/announce"' in section
    assert f'href="/conferences/{filled["announced"].id}/questions/"' in section
    assert "Việc cần làm" in section
    assert "Còn 5 ngày" in section and "Quá hạn 2 ngày" in section
    assert "Khác" not in section


@pytest.mark.parametrize("role", [Role.CHAIR, Role.ORGANISER, Role.RESPONDER])
def test_every_link_leads_to_a_page_the_user_may_open(
    app, client, login, ward, filled, make_user, role
):
    user = make_user(role, unit=filled["land"]) if role is Role.RESPONDER else make_user(role)
    login(user)
    html = client.get("/overview").get_data(as_text=True)
    section = html.split('id="waiting"')[1].split("</section>")[0]
    links = re.findall(r'href="([^"]+)"', section)
    assert links
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link


def test_an_empty_ward_shows_no_to_do(app, client, login, ward, other_ward, make_conference, now):
    from dialogue.auth.operations import create_user
    from tests.conftest import PASSWORD

    _fill(other_ward, make_conference, now=now, prefix="Khác ")
    for role in (Role.CHAIR, Role.ORGANISER, Role.RESPONDER):
        user = create_user(
            ward=ward,
            username=f"empty-{role.value}",
            display_name="Nguyễn Thị Trống",
            password=PASSWORD,
            role=role,
        )
        db.session.commit()
        login(user)
        html = client.get("/overview").get_data(as_text=True)
        assert 'id="waiting"' not in html
        client.post("/auth/logout")


def test_an_administrator_sees_the_ward_they_work_in(app, ward, other_ward, filled, make_user):
    admin = make_user(Role.ADMINISTRATOR)
    kinds = set(_by_kind(_items(app, admin, ward)))
    assert {"draft", "questions", "announce", "publish", "survey", "overdue"} <= kinds
    elsewhere = _items(app, admin, other_ward)
    named = [item for item in elsewhere if item.kind not in {"answer", "request"}]
    assert named and all("Khác" in item.text for item in named)


def test_days_are_counted_in_the_wards_calendar_across_a_month_end(
    app, ward, make_conference, make_user
):
    # 17:30 UTC on 31 January is already 00:30 on 1 February in Hà Nội.
    now = datetime(2026, 1, 31, 17, 30, tzinfo=UTC)
    land = Unit(ward=ward, name="Công chức Địa chính - Xây dựng")
    db.session.add(land)
    db.session.commit()
    # Held at 8:00 on 22 January (ward time): published by 1 February, which is today.
    start = datetime(2026, 1, 22, 1, 0, tzinfo=UTC)
    held = make_conference(
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        end_dt=start + timedelta(hours=3),
        status=ConferenceStatus.CLOSED,
    )
    _refer(held, land, date(2026, 1, 31), 1)
    _refer(held, land, date(2026, 2, 3), 2)
    # Starts at 8:00 on 10 February: the notice is due by 3 February, two days from today.
    make_conference(
        start_dt=datetime(2026, 2, 10, 1, 0, tzinfo=UTC),
        planned_end_dt=datetime(2026, 2, 10, 4, 0, tzinfo=UTC),
    )
    # Starts on 5 February: four days before it, less than the notice the law asks.
    make_conference(
        start_dt=datetime(2026, 2, 5, 1, 0, tzinfo=UTC),
        planned_end_dt=datetime(2026, 2, 5, 4, 0, tzinfo=UTC),
    )
    db.session.commit()
    organiser = make_user(Role.ORGANISER)
    found = _by_kind(_items(app, organiser, ward, now=now))
    (publish,) = found["publish"]
    assert publish.due.days_left == 0 and publish.due.tone == "today"
    assert "01/02/2026" in publish.text
    (overdue,) = found["overdue"]
    assert overdue.due.days_left == -1
    short, in_time = found["announce"]
    assert (short.due.days_left, in_time.due.days_left) == (-3, 2)
    assert "03/02/2026" in in_time.text and short.note and not in_time.note
    responder = make_user(Role.RESPONDER, unit=land)
    found = _by_kind(_items(app, responder, ward, now=now))
    # 3 February is two days after 1 February: within the three days.
    assert found["due"][0].due.days_left == 2
    assert [item.due.text for item in found["overdue"]] == ["Quá hạn 1 ngày"]


def _statements(app, user, ward, now) -> int:
    executed = []

    def count(conn, cursor, statement, *args):
        executed.append(statement)

    db.session.expire_all()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        _items(app, user, ward, now)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    # Reads only: the driver may or may not say BEGIN first.
    return len([each for each in executed if each.lstrip().upper().startswith("SELECT")])


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.RESPONDER])
def test_the_number_of_statements_does_not_grow_with_the_ward(
    app, ward, make_conference, make_user, now, role
):
    first = _fill(ward, make_conference, now=now)
    user = make_user(role, unit=first["land"]) if role is Role.RESPONDER else make_user(role)
    user.working_ward_id = ward.id
    db.session.commit()
    before = _statements(app, user, ward, now)
    for n in range(4):
        extra = _fill(ward, make_conference, now=now, prefix=f"Thêm {n} ")
        if role is Role.RESPONDER:
            user.extra_units.append(extra["land"])
    db.session.commit()
    items = _items(app, user, ward, now)
    assert len(items) > 5
    assert _statements(app, user, ward, now) == before
    assert before <= 12
