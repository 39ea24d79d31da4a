"""The wards of a province side by side over a period, and what is late across them.

The same figures as each ward's own page (``dialogue.stats.figures``), reduced to one line a
ward, counted with a fixed number of queries grouped by ward, however many wards the province
has (Hà Nội: 126): one for the conferences held, one per kind of record, one for the published
documents and one for the overdue referrals listed. The arithmetic is each feature's own: the dossier
sums and rates, the satisfaction formula, the 10-day publication deadline
(``publication_deadlines``); the referral judgement (``judged``) is counted in the database as
it decides, one row a ward instead of one a due date.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import reduce

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from dialogue.attendance.models import AttendanceStatus, AttendanceTally, Attendee
from dialogue.conferences.models import Conference
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.dossier.figures import percentage
from dialogue.dossier.models import DossierReport
from dialogue.extensions import db
from dialogue.feedback.models import LikertLevel, SurveyResponse
from dialogue.feedback.results import Satisfaction
from dialogue.feedback.survey import ELEMENTS, likert_satisfaction
from dialogue.followup.carryover import HELD_STATUSES, shorten
from dialogue.followup.models import Referral, Timeliness, judged
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes.operations import PublicationDeadline, publication_deadlines
from dialogue.stats.figures import (
    COUNT_NAMES,
    DossierPeriod,
    Period,
    ReferralFigures,
    sum_reports,
)
from dialogue.wards.models import Unit, Ward

# The overdue referrals and late publications listed at most (the oldest first); the
# headings count them all, the table counts each ward's referrals.
OVERDUE_LIMIT = 100
LATE_LIMIT = 100


@dataclass(frozen=True)
class Measure:
    key: str
    label: object
    is_rate: bool = False


# The measures a comparison can be ranked by, in the order of the table's columns.
MEASURES = (
    Measure("conferences", _l("Conferences held")),
    Measure("present", _l("Present")),
    Measure("turns", _l("Speaking turns")),
    Measure("answered_share", _l("Answered on the spot, share"), is_rate=True),
    Measure("referred", _l("Referred for a written answer")),
    Measure("on_time", _l("Answered on time")),
    Measure("late", _l("Answered late")),
    Measure("open", _l("Open, within the due date")),
    Measure("overdue", _l("Past the due date")),
    Measure("dossier_on_time", _l("Dossiers resolved on time"), is_rate=True),
    Measure("satisfaction", _l("Satisfaction"), is_rate=True),
)
MEASURE_KEYS = tuple(measure.key for measure in MEASURES)
DEFAULT_MEASURE = "answered_share"


@dataclass
class WardLine:
    """One ward's figures over the period: the comparison's row (or the province's total)."""

    ward: Ward | None
    conferences: int = 0
    present: int = 0
    answered: int = 0
    referred: int = 0
    pending: int = 0
    referrals: ReferralFigures | None = None
    dossiers: DossierPeriod | None = None
    survey: Satisfaction | None = None
    # The place in the ranking; none for a ward that held no conference (listed first).
    rank: int | None = None

    @property
    def held_none(self) -> bool:
        return self.conferences == 0

    @property
    def turns(self) -> int:
        return self.answered + self.referred + self.pending

    @property
    def answered_share(self) -> Decimal | None:
        return percentage(self.answered, self.turns)

    @property
    def on_time(self) -> int:
        return self.referrals.on_time

    @property
    def late(self) -> int:
        return self.referrals.late

    @property
    def open(self) -> int:
        return self.referrals.open

    @property
    def overdue(self) -> int:
        return self.referrals.overdue

    @property
    def dossier_on_time(self) -> Decimal | None:
        return self.dossiers.rates.on_time_resolved

    @property
    def satisfaction(self) -> Decimal | None:
        return self.survey.rate

    def value(self, key: str):
        return getattr(self, key)


@dataclass(frozen=True)
class OverdueReferral:
    ward: Ward
    conference_title: str
    held_on: date
    question: str
    unit: str
    due_date: date
    days_overdue: int


@dataclass(frozen=True)
class HeldConference:
    """A conference held in the period: what the comparison and ``publication_deadlines`` read
    of it, without loading a province's thousands of conferences whole."""

    id: int
    ward: Ward
    title: str
    held_start_local: datetime
    is_recorded_afterwards: bool
    results_posted_on: date | None


@dataclass(frozen=True)
class LatePublication:
    ward: Ward
    conference_id: int
    conference_title: str
    held_on: date
    deadline: PublicationDeadline


@dataclass
class Comparison:
    period: Period
    measure: Measure
    lines: list[WardLine]
    total: WardLine
    overdue: list[OverdueReferral] = field(default_factory=list)
    late_publications: list[LatePublication] = field(default_factory=list)
    late_count: int = 0
    as_of: date | None = None

    @property
    def overdue_count(self) -> int:
        return self.total.overdue

    @property
    def idle(self) -> list[WardLine]:
        return [line for line in self.lines if line.held_none]


def measure_of(key: str) -> Measure:
    return next(measure for measure in MEASURES if measure.key == key)


def _wards_today(wards: list[Ward], now: datetime) -> dict[int, date]:
    return {ward.id: to_local(now, ward.timezone).date() for ward in wards}


def _held_condition(wards: list[Ward], period: Period):
    """The conferences held in the period, each ward's days in its own time zone."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for ward in wards:
        by_zone[ward.timezone].append(ward.id)
    held = sa.func.coalesce(Conference.started_dt, Conference.start_dt)
    in_period = []
    for zone, ward_ids in by_zone.items():
        low, high = period.utc_bounds(zone)
        in_period.append(sa.and_(Conference.ward_id.in_(ward_ids), held >= low, held < high))
    return sa.and_(Conference.status.in_(HELD_STATUSES), sa.or_(*in_period))


def _present(held, lines: dict[int, WardLine]) -> None:
    """Those present: checked in on the lists, plus each conference's paper head count."""
    for ward_id, number in db.session.execute(
        sa.select(held.c.ward_id, sa.func.count())
        .select_from(Attendee)
        .join(held, held.c.id == Attendee.conference_id)
        .where(Attendee.status == AttendanceStatus.PRESENT)
        .group_by(held.c.ward_id)
    ):
        lines[ward_id].present += number
    # The head counts by group and by category are two views of the same people: the
    # larger sum of a conference counts (``add_tallies``).
    by_conference: dict[tuple[int, int], dict[bool, int]] = defaultdict(dict)
    is_group = AttendanceTally.residential_group_id.is_not(None)
    for ward_id, conference_id, grouped, number in db.session.execute(
        sa.select(
            held.c.ward_id,
            AttendanceTally.conference_id,
            is_group,
            sa.func.sum(AttendanceTally.present),
        )
        .select_from(AttendanceTally)
        .join(held, held.c.id == AttendanceTally.conference_id)
        .group_by(held.c.ward_id, AttendanceTally.conference_id, is_group)
    ):
        by_conference[(ward_id, conference_id)][bool(grouped)] = number or 0
    for (ward_id, _conference_id), sums in by_conference.items():
        lines[ward_id].present += max(sums.values())


def _turns(held, lines: dict[int, WardLine]) -> None:
    attribute = {
        TurnOutcome.ANSWERED: "answered",
        TurnOutcome.REFERRED: "referred",
        TurnOutcome.PENDING: "pending",
    }
    for ward_id, outcome, number in db.session.execute(
        sa.select(held.c.ward_id, Turn.outcome, sa.func.count())
        .select_from(Turn)
        .join(held, held.c.id == Turn.conference_id)
        .where(Turn.withdrawn_dt.is_(None))
        .group_by(held.c.ward_id, Turn.outcome)
    ):
        name = attribute[TurnOutcome(outcome)]
        setattr(lines[ward_id], name, getattr(lines[ward_id], name) + number)


def _today_of(ward_id_column, today: dict[int, date]):
    """Each ward's today as an SQL value: one date, unless the wards' time zones differ."""
    days: dict[date, list[int]] = defaultdict(list)
    for ward_id, day in today.items():
        days[day].append(ward_id)
    if len(days) == 1:
        return sa.literal(next(iter(days)), sa.Date)
    return sa.case(
        *((ward_id_column.in_(ids), sa.literal(day, sa.Date)) for day, ids in days.items())
    )


def _timeliness_counts(due, answered, today):
    """Counted in the database as ``judged`` decides one referral, so that a province's
    thousands of referrals come back as one row a ward."""
    is_answered = answered.is_not(None)

    def number(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    return (
        number(sa.and_(is_answered, answered <= due)),
        number(sa.and_(is_answered, answered > due)),
        number(sa.and_(answered.is_(None), today <= due)),
        number(sa.and_(answered.is_(None), today > due)),
    )


def _referrals(held, lines: dict[int, WardLine], today: dict[int, date]) -> None:
    found = {ward_id: dict.fromkeys(Timeliness, 0) for ward_id in lines}
    counts = _timeliness_counts(
        Referral.due_date, Referral.answered_on, _today_of(held.c.ward_id, today)
    )
    outcomes = (Timeliness.ON_TIME, Timeliness.LATE, Timeliness.OPEN, Timeliness.OVERDUE)
    for ward_id, *numbers in db.session.execute(
        sa.select(held.c.ward_id, *counts)
        .select_from(Referral)
        .join(held, held.c.id == Referral.conference_id)
        .group_by(held.c.ward_id)
    ):
        for outcome, number in zip(outcomes, numbers, strict=True):
            found[ward_id][outcome] += int(number or 0)
    for ward_id, line in lines.items():
        line.referrals = _referral_figures(found[ward_id], today[ward_id])


def _referral_figures(found: dict, as_of: date) -> ReferralFigures:
    return ReferralFigures(
        as_of=as_of,
        on_time=found[Timeliness.ON_TIME],
        late=found[Timeliness.LATE],
        open=found[Timeliness.OPEN],
        overdue=found[Timeliness.OVERDUE],
    )


def _dossiers(held, lines: dict[int, WardLine]) -> list:
    columns = [getattr(DossierReport, name) for name in COUNT_NAMES]
    reports = defaultdict(list)
    every = []
    for row in db.session.execute(
        sa.select(
            held.c.ward_id, *columns, DossierReport.early_count, DossierReport.early_base
        ).join(held, held.c.id == DossierReport.conference_id)
    ):
        reports[row.ward_id].append(row)
        every.append(row)
    for ward_id, line in lines.items():
        line.dossiers = sum_reports(reports[ward_id])
    return every


def _survey(held, lines: dict[int, WardLine]) -> dict:
    """Each ward's survey answers pooled over the five elements, as the ward's page pools them."""
    levels = tuple(LikertLevel)
    columns = [getattr(SurveyResponse, element.value) for element in ELEMENTS]
    # Per level, the answers at that level of all five elements: one sum of five cases.
    counts = [
        sa.func.sum(
            reduce(
                operator.add,
                (sa.case((column == int(level.value), 1), else_=0) for column in columns),
            )
        )
        for level in levels
    ]
    pooled: dict[int, dict] = {ward_id: defaultdict(int) for ward_id in lines}
    for ward_id, *numbers in db.session.execute(
        sa.select(held.c.ward_id, *counts)
        .select_from(SurveyResponse)
        .join(held, held.c.id == SurveyResponse.conference_id)
        .group_by(held.c.ward_id)
    ):
        for level, number in zip(levels, numbers, strict=True):
            pooled[ward_id][level] += int(number or 0)
    everyone = defaultdict(int)
    for ward_id, line in lines.items():
        line.survey = likert_satisfaction(pooled[ward_id])
        for level, number in pooled[ward_id].items():
            everyone[level] += number
    return everyone


def _overdue_referrals(held, wards: dict[int, Ward], today: dict[int, date]) -> list:
    """The period's referrals past their due date (those the table counts), oldest first: the
    first ``OVERDUE_LIMIT`` of them."""
    overdue = sa.and_(
        Referral.answered_on.is_(None),
        Referral.due_date < _today_of(held.c.ward_id, today),
    )
    # The first few are chosen on the referrals alone; only they are joined to their turns.
    first = (
        sa.select(Referral.id)
        .join(held, held.c.id == Referral.conference_id)
        .where(overdue)
        .order_by(Referral.due_date, Referral.ward_id, Referral.id)
        .limit(OVERDUE_LIMIT)
    )
    held_dt = sa.func.coalesce(Conference.started_dt, Conference.start_dt)
    rows = db.session.execute(
        sa.select(
            Referral.ward_id,
            Referral.due_date,
            Conference.title,
            held_dt,
            Turn.question,
            Unit.name,
        )
        .join(Conference, Conference.id == Referral.conference_id)
        .join(Turn, Turn.id == Referral.turn_id)
        .outerjoin(Unit, Unit.id == Referral.unit_id)
        .where(Referral.id.in_(first.scalar_subquery()))
        .order_by(Referral.due_date, Referral.ward_id, Referral.id)
    ).all()
    found = []
    for ward_id, due_date, title, held_at, question, unit in rows:
        ward = wards[ward_id]
        _outcome, days = judged(due_date, None, today[ward_id])
        found.append(
            OverdueReferral(
                ward=ward,
                conference_title=title,
                held_on=to_local(held_at, ward.timezone).date(),
                # The question's first words only: who asked stays with the ward.
                question=shorten(question),
                unit=unit or "",
                due_date=due_date,
                days_overdue=days,
            )
        )
    return found


def _late_publications(held, conferences: list[HeldConference]) -> list[LatePublication]:
    """Conferences whose results came out after the 10 days, or are not out and the days past."""
    deadlines = publication_deadlines(conferences, selected_by=sa.select(held.c.id))
    late = []
    for conference in conferences:
        deadline = deadlines[conference.id]
        if deadline.is_overdue or deadline.days_late:
            late.append(
                LatePublication(
                    ward=conference.ward,
                    conference_id=conference.id,
                    conference_title=conference.title,
                    held_on=conference.held_start_local.date(),
                    deadline=deadline,
                )
            )
    late.sort(key=lambda item: (item.deadline.deadline, item.ward.name))
    return late


def _ranked(lines: list[WardLine], measure: Measure) -> list[WardLine]:
    """Wards that held no conference first; then the highest value first, the missing last."""

    def key(line: WardLine):
        value = line.value(measure.key)
        return (not line.held_none, value is None, -(value or 0), line.ward.name)

    ranked = sorted(lines, key=key)
    place = 0
    for line in ranked:
        if not line.held_none:
            place += 1
            line.rank = place
    return ranked


def compare_wards(
    wards: list[Ward], period: Period, *, measure: str = DEFAULT_MEASURE, now=None
) -> Comparison:
    """The figures of ``wards`` (a province's) over ``period``, one line a ward, ranked."""
    now = now or utcnow()
    chosen = measure_of(measure)
    by_id = {ward.id: ward for ward in wards}
    lines = {ward.id: WardLine(ward=ward) for ward in wards}
    if not wards:
        nothing = _referral_figures(dict.fromkeys(Timeliness, 0), now.date())
        total = WardLine(ward=None, referrals=nothing, dossiers=sum_reports([]))
        total.survey = likert_satisfaction({})
        return Comparison(period=period, measure=chosen, lines=[], total=total)
    today = _wards_today(wards, now)
    condition = _held_condition(wards, period)
    held_dt = sa.func.coalesce(Conference.started_dt, Conference.start_dt)
    conferences = [
        HeldConference(
            id=conference_id,
            ward=by_id[ward_id],
            title=title,
            held_start_local=to_local(held_at, by_id[ward_id].timezone),
            is_recorded_afterwards=recorded_dt is not None,
            results_posted_on=results_posted_on,
        )
        for conference_id, ward_id, title, held_at, recorded_dt, results_posted_on in (
            db.session.execute(
                sa.select(
                    Conference.id,
                    Conference.ward_id,
                    Conference.title,
                    held_dt,
                    Conference.recorded_dt,
                    Conference.results_posted_on,
                )
                .where(condition)
                .order_by(held_dt, Conference.id)
            )
        )
    ]
    for conference in conferences:
        lines[conference.ward.id].conferences += 1
    held = sa.select(Conference.id, Conference.ward_id).where(condition).subquery("held")
    _present(held, lines)
    _turns(held, lines)
    _referrals(held, lines, today)
    reports = _dossiers(held, lines)
    everyone = _survey(held, lines)
    overdue = _overdue_referrals(held, by_id, today)
    late = _late_publications(held, conferences)
    total = WardLine(ward=None)
    for line in lines.values():
        for name in ("conferences", "present", "answered", "referred", "pending"):
            setattr(total, name, getattr(total, name) + getattr(line, name))
    total.referrals = ReferralFigures(
        as_of=max(today.values()),
        on_time=sum(line.on_time for line in lines.values()),
        late=sum(line.late for line in lines.values()),
        open=sum(line.open for line in lines.values()),
        overdue=sum(line.overdue for line in lines.values()),
    )
    total.dossiers = sum_reports(reports)
    total.survey = likert_satisfaction(everyone)
    return Comparison(
        period=period,
        measure=chosen,
        lines=_ranked(list(lines.values()), chosen),
        total=total,
        overdue=overdue,
        late_publications=late[:LATE_LIMIT],
        late_count=len(late),
        as_of=max(today.values()),
    )
