"""The ward's figures over a period: a known data set against figures counted by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from dialogue.attendance.models import (
    AttendanceStatus,
    AttendanceTally,
    Attendee,
)
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.dossier import operations as dossier_operations
from dialogue.dossier.figures import Counts
from dialogue.extensions import db
from dialogue.feedback.models import (
    AnswerKind,
    AnswerRating,
    RatingLevel,
    ResponseSource,
    SurveyElement,
    SurveyResponse,
)
from dialogue.live.models import Turn, TurnOutcome
from dialogue.stats.figures import Period, half_period, ward_figures, year_period
from dialogue.stats.forms import PeriodForm
from dialogue.wards.models import DelegateCategory, ProcedureArea, ResidentialGroup, Unit

TODAY = date(2024, 12, 31)


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def data(ward, other_ward, make_conference):
    return build_data(ward, other_ward, make_conference)


def build_data(ward, other_ward, make_conference) -> dict:
    """Two conferences of 2024 (the second begins 1/7 local, 30/6 in UTC), one of 2023.

    Shared with the exports' tests (tests/test_stats_export.py), which check the same figures.
    """
    group_a = ResidentialGroup(ward=ward, number=901, name="Tổ dân phố số 901")
    group_b = ResidentialGroup(ward=ward, number=902, name="Tổ dân phố số 902")
    category = DelegateCategory(ward=ward, code="T-X", name_vi="Đại biểu thử", position=900)
    area = ProcedureArea(ward=ward, code="T-P", name_vi="Lĩnh vực thử", position=900)
    unit = Unit(ward=ward, name="Bộ phận thử")
    db.session.add_all([group_a, group_b, category, area, unit])
    first = make_conference(
        ward=ward, status=ConferenceStatus.CLOSED, start_dt=_utc(2024, 1, 21, 2), title="Một"
    )
    # 00:30 on 1 July in Hà Nội: the second half-year, though 30 June in UTC.
    second = make_conference(
        ward=ward,
        status=ConferenceStatus.CLOSED,
        start_dt=_utc(2024, 6, 30, 17, 30),
        title="Hai",
    )
    earlier = make_conference(
        ward=ward, status=ConferenceStatus.CLOSED, start_dt=_utc(2023, 6, 15, 2), title="Cũ"
    )
    draft = make_conference(ward=ward, status=ConferenceStatus.DRAFT, start_dt=_utc(2024, 3, 1))
    foreign = make_conference(
        ward=other_ward, status=ConferenceStatus.CLOSED, start_dt=_utc(2024, 3, 1)
    )

    def attendee(conference, status, group=None, cat=None):
        return Attendee(
            conference=conference,
            full_name="Người dự",
            status=status,
            residential_group=group,
            delegate_category=cat,
            is_invited=True,
        )

    present, excused = AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED
    db.session.add_all(
        [attendee(first, present, group_a, category) for _ in range(3)]
        + [attendee(first, excused, group_a, category), attendee(first, present, group_b)]
        + [attendee(foreign, present), attendee(draft, present, group_a)]
    )
    # The second was recorded from its paper sheets: 5 of group A, 4 of the category.
    db.session.add_all(
        [
            AttendanceTally(conference=second, residential_group_id=group_a.id, present=5),
            AttendanceTally(conference=second, delegate_category_id=category.id, present=4),
        ]
    )

    def turn(conference, outcome, area_id=None, due=None, withdrawn=False):
        item = Turn(
            conference=conference,
            question="Hỏi",
            outcome=outcome,
            procedure_area_id=area_id,
            referral_unit=unit if outcome is TurnOutcome.REFERRED else None,
            referral_due_date=due,
            withdrawn_dt=_utc(2024, 7, 1) if withdrawn else None,
        )
        db.session.add(item)
        return item

    answered, referred = TurnOutcome.ANSWERED, TurnOutcome.REFERRED
    spoken = [turn(first, answered, area.id), turn(first, answered, area.id)]
    on_time = turn(first, referred, area.id, date(2024, 1, 31))
    late = turn(first, referred, area.id, date(2024, 1, 31))
    turn(second, answered, area.id)
    withdrawn = turn(second, answered, area.id, withdrawn=True)
    overdue = turn(second, referred, None, date(2024, 7, 11))
    still_open = turn(second, referred, None, date(2024, 12, 31))
    turn(foreign, referred, None, date(2024, 3, 11))
    turn(draft, answered, area.id)
    db.session.flush()
    # Due on the last day of January: answered that day is on time, the next day late.
    on_time.referral.answered_on = date(2024, 1, 31)
    late.referral.answered_on = date(2024, 2, 1)
    assert overdue.referral is not None and still_open.referral is not None

    def report(conference, **counts):
        dossier_operations.save_report(
            conference, dossier_operations.ReportData(counts=Counts(**counts))
        )

    report(first, received_online=100, received_desk=300, resolved_on_time=380, pending_within=20)
    report(
        second,
        carried_over=20,
        received_online=50,
        received_desk=150,
        resolved_on_time=200,
        resolved_late=10,
        pending_overdue=10,
    )
    report(earlier, received_online=1, received_desk=2, resolved_on_time=3)
    # Published once its figures are in: a published conference counts as held too.
    second.status = ConferenceStatus.PUBLISHED

    def form(conference, *scores):
        values = dict(zip([e.value for e in SurveyElement], scores, strict=True))
        return SurveyResponse(conference=conference, source=ResponseSource.PAPER, **values)

    db.session.add_all(
        [
            form(first, 5, 5, 4, 3, 2),
            form(first, 4, None, 1, 5, 5),
            form(second, 5, 4, 4, 4, 4),
            form(foreign, 1, 1, 1, 1, 1),
        ]
    )

    def rating(item, level, n):
        return AnswerRating(
            conference_id=item.conference_id,
            turn_id=item.id,
            kind=AnswerKind.SPOKEN,
            device_key=f"device-{n}",
            level=level,
        )

    db.session.add_all(
        [
            rating(spoken[0], RatingLevel.VERY_SATISFIED, 1),
            rating(spoken[0], RatingLevel.SATISFIED, 2),
            rating(spoken[1], RatingLevel.DISSATISFIED, 3),
            rating(withdrawn, RatingLevel.DISSATISFIED, 4),
        ]
    )
    db.session.commit()
    return {"ward": ward, "groups": (group_a, group_b), "category": category, "area": area}


def _row(rows, label):
    return next(row for row in rows if row.label == label)


def test_figures_of_a_year_equal_the_hand_count(data):
    figures = ward_figures(data["ward"], year_period(2024), today=TODAY)
    assert [c.title for c in figures.conferences] == ["Một", "Hai"]

    attendance = figures.attendance
    assert attendance.total.present == 9  # 4 named + the larger tally view, 5
    assert _row(attendance.by_group, "Tổ dân phố số 901").present == 8
    assert _row(attendance.by_group, "Tổ dân phố số 902").present == 1
    assert _row(attendance.by_category, "Đại biểu thử").present == 7
    # The named one without a category, and the one the category tally left unplaced.
    assert attendance.by_category[-1].key == "category-none"
    assert attendance.by_category[-1].present == 2

    turns = figures.turns
    area = _row(turns.areas, "Lĩnh vực thử")
    assert (area.answered, area.referred, area.pending) == (3, 2, 0)
    assert turns.areas[-1].key == "area-none" and turns.areas[-1].referred == 2
    assert (turns.total.answered, turns.total.referred, turns.total.total) == (3, 4, 7)
    assert turns.total.answered_share == Decimal("42.9")

    referrals = figures.referrals
    assert (referrals.on_time, referrals.late, referrals.open, referrals.overdue) == (1, 1, 1, 1)
    assert referrals.on_time_share == Decimal("25.0")

    dossiers = figures.dossiers
    assert dossiers.current.reports == 2 and dossiers.previous.reports == 1
    counts = dossiers.current.counts
    assert (counts.received, counts.total, counts.resolved) == (600, 620, 590)
    rates = dossiers.current.rates
    assert rates.online_share == Decimal("25.0")
    assert rates.on_time_resolved == Decimal("98.3")  # 580 / 590
    assert rates.on_time_load == Decimal("96.8")  # 600 / 620
    assert rates.overdue == Decimal("3.2")  # 20 / 620
    assert dossiers.previous.rates.online_share == Decimal("33.3")
    assert dossiers.previous_period == year_period(2023)
    assert [row.title for row in dossiers.by_conference] == ["Một", "Hai"]

    survey = figures.survey
    assert survey.responses == 3
    by_element = {element: result for element, result in survey.elements}
    assert by_element[SurveyElement.ACCESS].rate == Decimal("100.0")
    assert by_element[SurveyElement.PROCEDURES].responses == 2
    assert by_element[SurveyElement.OFFICIALS].rate == Decimal("66.7")
    assert (survey.overall.satisfied, survey.overall.responses) == (11, 14)
    assert survey.overall.rate == Decimal("78.6")

    ratings = dict(figures.ratings.kinds)
    assert ratings[AnswerKind.SPOKEN].responses == 3
    assert ratings[AnswerKind.SPOKEN].rate == Decimal("66.7")
    assert figures.ratings.overall.responses == 3


def test_half_years_split_by_the_local_day(data):
    first = ward_figures(data["ward"], half_period(2024, 1), today=TODAY)
    second = ward_figures(data["ward"], half_period(2024, 2), today=TODAY)
    assert [c.title for c in first.conferences] == ["Một"]
    assert [c.title for c in second.conferences] == ["Hai"]
    assert second.conferences[0].held_on == date(2024, 7, 1)
    assert second.dossiers.previous.reports == 1  # the first half's report
    assert second.referrals.open == 1 and second.referrals.overdue == 1


def test_referrals_as_they_stand_on_the_due_date_and_the_day_after(data):
    on_due = ward_figures(data["ward"], half_period(2024, 2), today=date(2024, 7, 11))
    assert (on_due.referrals.open, on_due.referrals.overdue) == (2, 0)
    after = ward_figures(data["ward"], half_period(2024, 2), today=date(2024, 7, 12))
    assert (after.referrals.open, after.referrals.overdue) == (1, 1)


def test_an_empty_period_has_zeroes_and_dashes(data):
    figures = ward_figures(data["ward"], year_period(2019), today=TODAY)
    assert figures.conferences == [] and figures.attendance.total.present == 0
    assert figures.referrals.total == 0 and figures.referrals.on_time_share is None
    assert figures.dossiers.current.reports == 0
    assert figures.dossiers.current.rates.online_share is None
    assert figures.survey.overall.rate is None


def test_previous_periods_have_the_same_length():
    assert year_period(2024).previous() == year_period(2023)
    assert half_period(2024, 1).previous() == half_period(2023, 2)
    assert half_period(2024, 2).previous() == half_period(2024, 1)
    custom = Period(date(2024, 3, 1), date(2024, 3, 31))
    assert custom.previous() == Period(date(2024, 1, 30), date(2024, 2, 29))
    assert custom.previous().days == custom.days == 31


def test_a_bounded_number_of_queries(data, make_conference):
    ward = data["ward"]

    def count_statements() -> int:
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            db.session.expire_all()
            ward_figures(ward, year_period(2024), today=TODAY)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    before = count_statements()
    for day in range(1, 11):
        conference = make_conference(
            ward=ward, status=ConferenceStatus.CLOSED, start_dt=_utc(2024, 9, day, 2)
        )
        db.session.add(Turn(conference=conference, question="Hỏi", outcome=TurnOutcome.ANSWERED))
        db.session.add(
            Attendee(conference=conference, full_name="A", status=AttendanceStatus.PRESENT)
        )
    db.session.commit()
    assert count_statements() == before
    assert before <= 15


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"kind": "custom", "start": "2024-12-01", "end": "2024-01-01"},
            "Ngày kết thúc đứng trước ngày bắt đầu",
        ),
        ({"kind": "custom", "start": "2024-01-01", "end": ""}, "Nhập ngày kết thúc của kỳ"),
        (
            {"kind": "custom", "start": "1900-01-01", "end": "2024-01-01"},
            "Chọn ngày trong khoảng từ năm 2000",
        ),
        ({"kind": "custom", "start": "2000-01-01", "end": "2024-01-01"}, "không quá mười năm"),
        ({"kind": "year", "year": "99999"}, "Chọn năm từ 2000 đến 2025"),
        ({"kind": "year", "year": ""}, "Nhập năm, ví dụ 2024"),
        ({"kind": "half", "year": "2024", "half": "3"}, "Lựa chọn không hợp lệ"),
    ],
)
def test_bad_periods_are_refused(app, query, message):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        form = PeriodForm(formdata=MultiDict(query), today=TODAY)
        assert not form.validate()
        assert message in " ".join(str(e) for errors in form.errors.values() for e in errors)


def test_good_periods(app):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        form = PeriodForm(
            formdata=MultiDict({"kind": "custom", "start": "2024-03-01", "end": "2024-03-31"}),
            today=TODAY,
        )
        assert form.validate()
        assert form.period() == Period(date(2024, 3, 1), date(2024, 3, 31))
        form = PeriodForm(
            formdata=MultiDict({"kind": "half", "year": "2024", "half": "2"}), today=TODAY
        )
        assert form.validate() and form.period() == half_period(2024, 2)
        form = PeriodForm(formdata=None, today=TODAY)
        assert form.period() == year_period(2024)


def test_the_page_shows_the_wards_own_figures(client, login, make_user, data):
    login(make_user(Role.SECRETARY))
    response = client.get("/stats/?kind=year&year=2024")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Một" in page and "Hai" in page
    assert 'id="stats-areas-table"' in page and "Lĩnh vực thử" in page
    assert page.count('src="data:image/svg+xml;base64,') >= 5
    assert "78,6%" in page  # the pooled satisfaction, written the Vietnamese way
    assert "96,8%" in page


def test_bad_input_is_answered_in_place(client, login, make_user, data):
    login(make_user(Role.ORGANISER))
    response = client.get("/stats/?kind=custom&start=2024-12-01&end=2024-01-01")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="2024-12-01"' in page and 'class="error"' in page


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ORGANISER, 200),
        (Role.CHAIR, 200),
        (Role.SECRETARY, 200),
        (Role.ADMINISTRATOR, 200),
        (Role.RESPONDER, 403),
    ],
)
def test_who_may_read_the_figures(client, login, make_user, role, status):
    login(make_user(role))
    assert client.get("/stats/").status_code == status


def test_the_menu_offers_the_figures(client, login, make_user):
    login(make_user(Role.CHAIR))
    assert "/stats/" in client.get("/").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/stats/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
