"""The ward's figures over a period: conferences, attendance, turns, referrals, dossiers, feedback.

Everything is counted with a fixed number of grouped queries over the period's conferences,
however many there are; the arithmetic reuses each feature's own: the attendance rows and the
tallies' merging (``dialogue.attendance.operations``), the referral judgement
(``dialogue.followup.models.judged``), the dossier counts and rates (``dialogue.dossier.figures``)
and the satisfaction formula (``dialogue.feedback.results``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from dialogue.attendance.models import AttendanceStatus, AttendanceTally, Attendee
from dialogue.attendance.operations import CountRow, add_tallies
from dialogue.conferences.models import Conference
from dialogue.dossier.figures import Counts, Rates, percentage
from dialogue.dossier.models import DossierReport
from dialogue.extensions import db
from dialogue.feedback.models import (
    AnswerKind,
    AnswerRating,
    LikertLevel,
    RatingLevel,
    SurveyResponse,
)
from dialogue.feedback.ratings import answer_satisfaction
from dialogue.feedback.results import Satisfaction
from dialogue.feedback.survey import ELEMENTS, likert_satisfaction
from dialogue.followup.carryover import HELD_STATUSES
from dialogue.followup.models import Referral, Timeliness, judged
from dialogue.live.models import Turn, TurnOutcome
from dialogue.wards.models import DelegateCategory, ProcedureArea, ResidentialGroup

# -- the period -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included, in the ward's time zone."""

    start: date
    end: date
    kind: str = "custom"  # "year", "half" or "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == "year":
            return str(_l("Year %(year)d", year=self.start.year))
        if self.kind == "half":
            if self.start.month == 1:
                return str(_l("First half of %(year)d", year=self.start.year))
            return str(_l("Second half of %(year)d", year=self.start.year))
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"

    def previous(self) -> Period:
        """The period of the same length just before: the year, the half-year or the days."""
        if self.kind == "year":
            year = self.start.year - 1
            return Period(date(year, 1, 1), date(year, 12, 31), "year")
        if self.kind == "half":
            if self.start.month == 1:
                year = self.start.year - 1
                return Period(date(year, 7, 1), date(year, 12, 31), "half")
            return Period(date(self.start.year, 1, 1), date(self.start.year, 6, 30), "half")
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def utc_bounds(self, tz: str) -> tuple[datetime, datetime]:
        """From the first day's local midnight to the midnight after the last day, in UTC."""
        zone = ZoneInfo(tz)
        low = datetime.combine(self.start, time(), zone).astimezone(UTC)
        high = datetime.combine(self.end + timedelta(days=1), time(), zone).astimezone(UTC)
        return low, high


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), "year")


def half_period(year: int, half: int) -> Period:
    if half == 1:
        return Period(date(year, 1, 1), date(year, 6, 30), "half")
    return Period(date(year, 7, 1), date(year, 12, 31), "half")


def chosen_period(kind: str, *, year: int, half: int, start: date, end: date) -> Period:
    """The period a reader chose ("year", "half" or "custom"), from the page or the API."""
    if kind == "half":
        return half_period(year, half)
    if kind == "custom":
        return Period(start, end)
    return year_period(year)


# -- the blocks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldConference:
    id: int
    title: str
    held_on: date
    status: object
    is_recorded_afterwards: bool


@dataclass
class Attendance:
    total: CountRow
    by_group: list[CountRow]
    by_category: list[CountRow]


@dataclass
class AreaRow:
    key: str
    label: str
    answered: int = 0
    referred: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.referred + self.pending

    @property
    def answered_share(self) -> Decimal | None:
        return percentage(self.answered, self.total)


@dataclass
class Turns:
    areas: list[AreaRow]
    total: AreaRow


@dataclass(frozen=True)
class ReferralFigures:
    as_of: date
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def answered(self) -> int:
        return self.on_time + self.late

    @property
    def unanswered(self) -> int:
        return self.open + self.overdue

    @property
    def total(self) -> int:
        return self.answered + self.unanswered

    @property
    def on_time_share(self) -> Decimal | None:
        """Answered on time, of all referred."""
        return percentage(self.on_time, self.total)

    def rows(self) -> list[tuple[Timeliness, int, Decimal | None]]:
        """(outcome, count, share of all referred) in the order a report reads them."""
        counts = (
            (Timeliness.ON_TIME, self.on_time),
            (Timeliness.LATE, self.late),
            (Timeliness.OPEN, self.open),
            (Timeliness.OVERDUE, self.overdue),
        )
        return [(outcome, n, percentage(n, self.total)) for outcome, n in counts]


@dataclass(frozen=True)
class DossierPeriod:
    """The sums of the dossier reports of a period's conferences, and their rates."""

    reports: int
    counts: Counts
    rates: Rates
    early_count: int | None
    early_base: int | None


@dataclass(frozen=True)
class DossierReportRow:
    conference_id: int
    title: str
    held_on: date
    counts: Counts
    rates: Rates


@dataclass(frozen=True)
class Dossiers:
    current: DossierPeriod
    previous: DossierPeriod
    previous_period: Period
    by_conference: tuple[DossierReportRow, ...]


@dataclass(frozen=True)
class SurveyFigures:
    responses: int
    elements: tuple[tuple[object, Satisfaction], ...]
    overall: Satisfaction


@dataclass(frozen=True)
class RatingFigures:
    kinds: tuple[tuple[AnswerKind, Satisfaction], ...]
    overall: Satisfaction


@dataclass
class WardFigures:
    period: Period
    conferences: list[HeldConference]
    attendance: Attendance
    turns: Turns
    referrals: ReferralFigures
    dossiers: Dossiers
    survey: SurveyFigures
    ratings: RatingFigures

    @property
    def has_conferences(self) -> bool:
        return bool(self.conferences)


# -- the queries ----------------------------------------------------------------------------------


def _held_conferences(ward, low: datetime, high: datetime) -> list[Conference]:
    held = sa.func.coalesce(Conference.started_dt, Conference.start_dt)
    return list(
        db.session.scalars(
            sa.select(Conference)
            .where(
                Conference.ward_id == ward.id,
                Conference.status.in_(HELD_STATUSES),
                held >= low,
                held < high,
            )
            .order_by(held, Conference.id)
        )
    )


def _reference_rows(model, ward_id: int) -> list:
    return list(
        db.session.scalars(
            sa.select(model).where(model.ward_id == ward_id).order_by(model.position, model.id)
        )
    )


def count_attendance(ward, conference_ids: list[int], *, locale: str) -> Attendance:
    """Those present (and invited) by residential group and delegate category, tallies included."""
    total = CountRow("total", str(_l("Total")))
    groups = {
        group.id: CountRow(f"group-{group.id}", group.name)
        for group in db.session.scalars(
            sa.select(ResidentialGroup)
            .where(ResidentialGroup.ward_id == ward.id)
            .order_by(ResidentialGroup.number, ResidentialGroup.id)
        )
    }
    no_group = CountRow("group-none", str(_l("No residential group")))
    categories = {
        category.id: CountRow(f"category-{category.id}", category.name_for(locale))
        for category in _reference_rows(DelegateCategory, ward.id)
    }
    no_category = CountRow("category-none", str(_l("No category")))
    if conference_ids:
        rows = db.session.execute(
            sa.select(
                Attendee.residential_group_id,
                Attendee.delegate_category_id,
                Attendee.is_invited,
                Attendee.status,
                sa.func.count(),
            )
            .where(Attendee.conference_id.in_(conference_ids))
            .group_by(
                Attendee.residential_group_id,
                Attendee.delegate_category_id,
                Attendee.is_invited,
                Attendee.status,
            )
        )
        for group_id, category_id, is_invited, status, number in rows:
            status = AttendanceStatus(status)
            for row in (
                total,
                groups.get(group_id, no_group),
                categories.get(category_id, no_category),
            ):
                row.add(is_invited=is_invited, status=status, number=number)
        tallies = defaultdict(list)
        for tally in db.session.scalars(
            sa.select(AttendanceTally)
            .where(AttendanceTally.conference_id.in_(conference_ids))
            .order_by(AttendanceTally.id)
        ):
            tallies[tally.conference_id].append(tally)
        # The merging of the two views is per conference, as on each conference's page.
        for conference_tallies in tallies.values():
            add_tallies(conference_tallies, total, groups, no_group, categories, no_category)
    by_group = list(groups.values())
    if no_group.present or no_group.invited:
        by_group.append(no_group)
    by_category = [row for row in categories.values() if row.present or row.invited]
    if no_category.present or no_category.invited:
        by_category.append(no_category)
    return Attendance(total=total, by_group=by_group, by_category=by_category)


def count_turns(ward, conference_ids: list[int], *, locale: str) -> Turns:
    """The turns not withdrawn per procedure area: answered on the spot, referred, waiting."""
    areas = {
        area.id: AreaRow(f"area-{area.id}", area.name_for(locale))
        for area in _reference_rows(ProcedureArea, ward.id)
    }
    no_area = AreaRow("area-none", str(_l("No procedure area")))
    total = AreaRow("total", str(_l("Total")))
    if conference_ids:
        rows = db.session.execute(
            sa.select(Turn.procedure_area_id, Turn.outcome, sa.func.count())
            .where(Turn.conference_id.in_(conference_ids), Turn.withdrawn_dt.is_(None))
            .group_by(Turn.procedure_area_id, Turn.outcome)
        )
        attribute = {
            TurnOutcome.ANSWERED: "answered",
            TurnOutcome.REFERRED: "referred",
            TurnOutcome.PENDING: "pending",
        }
        for area_id, outcome, number in rows:
            name = attribute[TurnOutcome(outcome)]
            for row in (areas.get(area_id, no_area), total):
                setattr(row, name, getattr(row, name) + number)
    listed = [row for row in areas.values() if row.total]
    if no_area.total:
        listed.append(no_area)
    return Turns(areas=listed, total=total)


def count_referrals(conference_ids: list[int], *, today: date) -> ReferralFigures:
    """The period's referrals as they stand ``today``: answered on time or late, open, overdue."""
    found = dict.fromkeys(Timeliness, 0)
    if conference_ids:
        rows = db.session.execute(
            sa.select(Referral.due_date, Referral.answered_on, sa.func.count())
            .where(Referral.conference_id.in_(conference_ids))
            .group_by(Referral.due_date, Referral.answered_on)
        )
        for due_date, answered_on, number in rows:
            outcome, _days = judged(due_date, answered_on, today)
            found[outcome] += number
    return ReferralFigures(
        as_of=today,
        on_time=found[Timeliness.ON_TIME],
        late=found[Timeliness.LATE],
        open=found[Timeliness.OPEN],
        overdue=found[Timeliness.OVERDUE],
    )


COUNT_NAMES = tuple(f.name for f in fields(Counts))


def sum_reports(reports: list[DossierReport]) -> DossierPeriod:
    sums = {name: sum(getattr(report, name) or 0 for report in reports) for name in COUNT_NAMES}
    # S_early is known for the period only when every report gives it; otherwise the early
    # ones count with the on-time ones, as ``Counts`` reads a missing S_early. X is tracked
    # when any report tracks it (the others returned none), so that the balance still holds.
    if not reports or any(report.resolved_early is None for report in reports):
        sums["resolved_on_time"] += sums["resolved_early"]
        sums["resolved_early"] = None
    if all(report.returned is None for report in reports):
        sums["returned"] = None
    counts = Counts(**sums)
    early_known = reports and all(
        report.early_count is not None and report.early_base is not None for report in reports
    )
    early_count = sum(report.early_count for report in reports) if early_known else None
    early_base = sum(report.early_base for report in reports) if early_known else None
    return DossierPeriod(
        reports=len(reports),
        counts=counts,
        rates=Rates.of(counts, early_count, early_base),
        early_count=early_count,
        early_base=early_base,
    )


def count_dossiers(
    current: list[Conference], previous: list[Conference], previous_period: Period, tz: str
) -> Dossiers:
    """The dossier reports of this period's conferences and of the previous period's, summed."""
    by_id = {conference.id: conference for conference in [*current, *previous]}
    reports = (
        list(
            db.session.scalars(
                sa.select(DossierReport).where(DossierReport.conference_id.in_(list(by_id)))
            )
        )
        if by_id
        else []
    )
    current_ids = {conference.id for conference in current}
    mine = [report for report in reports if report.conference_id in current_ids]
    theirs = [report for report in reports if report.conference_id not in current_ids]
    order = {conference.id: n for n, conference in enumerate(current)}
    mine.sort(key=lambda report: order[report.conference_id])
    rows = []
    for report in mine:
        conference = by_id[report.conference_id]
        counts = Counts.of(report)
        rows.append(
            DossierReportRow(
                conference_id=conference.id,
                title=conference.title,
                held_on=_held_on(conference, tz),
                counts=counts,
                rates=Rates.of(counts, report.early_count, report.early_base),
            )
        )
    return Dossiers(
        current=sum_reports(mine),
        previous=sum_reports(theirs),
        previous_period=previous_period,
        by_conference=tuple(rows),
    )


def count_survey(conference_ids: list[int]) -> SurveyFigures:
    """The survey answers of the period's conferences pooled, per element and all five together."""
    by_element = {element: defaultdict(int) for element in ELEMENTS}
    pooled = defaultdict(int)
    responses = 0
    if conference_ids:
        columns = [getattr(SurveyResponse, element.value) for element in ELEMENTS]
        rows = db.session.execute(
            sa.select(*columns, sa.func.count())
            .where(SurveyResponse.conference_id.in_(conference_ids))
            .group_by(*columns)
        )
        for *scores, number in rows:
            responses += number
            for element, score in zip(ELEMENTS, scores, strict=True):
                if score is not None:
                    level = LikertLevel(str(score))
                    by_element[element][level] += number
                    pooled[level] += number
    return SurveyFigures(
        responses=responses,
        elements=tuple((element, likert_satisfaction(by_element[element])) for element in ELEMENTS),
        overall=likert_satisfaction(pooled),
    )


def count_ratings(conference_ids: list[int]) -> RatingFigures:
    """Residents' ratings of the answers (turns not withdrawn), per kind of answer and in all."""
    by_kind = {kind: defaultdict(int) for kind in AnswerKind}
    pooled = defaultdict(int)
    if conference_ids:
        rows = db.session.execute(
            sa.select(AnswerRating.kind, AnswerRating.level, sa.func.count())
            .join(Turn, Turn.id == AnswerRating.turn_id)
            .where(AnswerRating.conference_id.in_(conference_ids), Turn.withdrawn_dt.is_(None))
            .group_by(AnswerRating.kind, AnswerRating.level)
        )
        for kind, level, number in rows:
            level = RatingLevel(level)
            by_kind[AnswerKind(kind)][level] += number
            pooled[level] += number
    return RatingFigures(
        kinds=tuple((kind, answer_satisfaction(by_kind[kind])) for kind in AnswerKind),
        overall=answer_satisfaction(pooled),
    )


def _held_on(conference: Conference, tz: str) -> date:
    held = conference.started_dt or conference.start_dt
    return held.astimezone(ZoneInfo(tz)).date()


def ward_figures(ward, period: Period, *, today: date, locale: str = "vi") -> WardFigures:
    """Every figure of ``ward`` for ``period``; referrals as they stand ``today``."""
    previous_period = period.previous()
    low, high = period.utc_bounds(ward.timezone)
    previous_low, _previous_high = previous_period.utc_bounds(ward.timezone)
    # This period's conferences and the previous period's, in one query.
    both = _held_conferences(ward, previous_low, high)
    current = [c for c in both if (c.started_dt or c.start_dt) >= low]
    previous = [c for c in both if (c.started_dt or c.start_dt) < low]
    ids = [conference.id for conference in current]
    return WardFigures(
        period=period,
        conferences=[
            HeldConference(
                id=conference.id,
                title=conference.title,
                held_on=_held_on(conference, ward.timezone),
                status=conference.status,
                is_recorded_afterwards=conference.recorded_dt is not None,
            )
            for conference in current
        ],
        attendance=count_attendance(ward, ids, locale=locale),
        turns=count_turns(ward, ids, locale=locale),
        referrals=count_referrals(ids, today=today),
        dossiers=count_dossiers(current, previous, previous_period, ward.timezone),
        survey=count_survey(ids),
        ratings=count_ratings(ids),
    )
