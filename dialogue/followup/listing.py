"""Referrals listed and counted: the unit's queue, the chair's review, the public follow-up page."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.database import read_first
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.core.search import search_condition
from dialogue.extensions import db
from dialogue.followup.models import Referral, ReferralStatus, WrittenAnswer
from dialogue.live.models import Turn
from dialogue.wards.models import Ward

# The status filter also offers "overdue", which is computed, not stored.
OVERDUE = "overdue"
STATUS_FILTERS = (*(status.value for status in ReferralStatus), OVERDUE)


def ward_today(ward: Ward, now: datetime | None = None) -> date:
    """Today's date where the ward is: due dates are days of the ward's calendar."""
    return to_local(now or utcnow(), ward.timezone).date()


@dataclass(frozen=True)
class ReferralFilters:
    """What a list of referrals is narrowed to; every field optional."""

    conference_id: int | None = None
    unit_id: int | None = None
    area_id: int | None = None
    status: str = ""
    text: str = ""

    @property
    def is_empty(self) -> bool:
        return not (
            self.conference_id or self.unit_id or self.area_id or self.status or self.text.strip()
        )


def _overdue(today: date):
    return sa.and_(Referral.answered_on.is_(None), Referral.due_date < today)


def referrals_query(
    ward: Ward,
    filters: ReferralFilters,
    *,
    today: date,
    unit_ids: list[int] | None = None,
    public: bool = False,
) -> sa.Select:
    """The referrals of ``ward`` kept by ``filters``, the most urgent first.

    ``unit_ids`` narrows to the units of a responder; ``public`` keeps only referrals of
    conferences residents may see.
    """
    stmt = sa.select(Referral).where(Referral.ward_id == ward.id)
    if public:
        stmt = stmt.where(Referral.conference_id.in_(public_conference_ids(ward)))
    if unit_ids is not None:
        stmt = stmt.where(Referral.unit_id.in_(unit_ids or [-1]))
    if filters.conference_id:
        stmt = stmt.where(Referral.conference_id == filters.conference_id)
    if filters.unit_id:
        stmt = stmt.where(Referral.unit_id == filters.unit_id)
    if filters.area_id:
        stmt = stmt.where(
            Referral.turn_id.in_(
                sa.select(Turn.id).where(Turn.procedure_area_id == filters.area_id)
            )
        )
    if filters.status == OVERDUE:
        stmt = stmt.where(_overdue(today))
    elif filters.status in STATUS_FILTERS:
        stmt = stmt.where(Referral.status == ReferralStatus(filters.status))
    if filters.text.strip():
        stmt = stmt.where(search_condition(Referral, filters.text))
    # Open ones first, by due date; answered ones after, the newest answer first.
    return stmt.order_by(
        Referral.answered_on.is_not(None),
        sa.case((Referral.answered_on.is_(None), Referral.due_date), else_=None),
        Referral.answered_on.desc(),
        Referral.id,
    )


def public_conference_ids(ward: Ward) -> sa.Select:
    """The conferences of ``ward`` whose referrals residents may follow (``Conference.is_public``).

    A conference recorded afterwards is followed once its documents are published.
    """
    return sa.select(Conference.id).where(
        Conference.ward_id == ward.id,
        Conference.status.not_in([ConferenceStatus.DRAFT, ConferenceStatus.CANCELLED]),
        sa.or_(
            Conference.recorded_dt.is_(None),
            Conference.status == ConferenceStatus.PUBLISHED,
        ),
    )


def with_details(stmt: sa.Select) -> sa.Select:
    """Load what a list shows of each referral in a few queries, not one per row."""
    return stmt.options(
        joinedload(Referral.unit),
        joinedload(Referral.conference),
        joinedload(Referral.turn).joinedload(Turn.speaker_group),
        joinedload(Referral.turn).joinedload(Turn.procedure_area),
        selectinload(Referral.answers).defer(WrittenAnswer.attachment_pdf),
        selectinload(Referral.requests),
    )


def status_counts(
    ward: Ward,
    filters: ReferralFilters | None = None,
    *,
    today: date,
    unit_ids: list[int] | None = None,
    public: bool = False,
) -> dict[str, int]:
    """How many referrals each status filter would show (the other filters kept), and overdue."""
    unfiltered = dataclasses.replace(filters or ReferralFilters(), status="")
    base = referrals_query(ward, unfiltered, today=today, unit_ids=unit_ids, public=public)
    base = base.order_by(None).subquery()
    overdue = sa.and_(base.c.answered_on.is_(None), base.c.due_date < today)
    rows = db.session.execute(
        sa.select(
            base.c.status, sa.func.count(), sa.func.sum(sa.case((overdue, 1), else_=0))
        ).group_by(base.c.status)
    ).all()
    counts = dict.fromkeys(STATUS_FILTERS, 0)
    for status, count, late in rows:
        counts[ReferralStatus(status).value] = count
        counts[OVERDUE] += late or 0
    counts["all"] = sum(counts[status.value] for status in ReferralStatus)
    return counts


# Written out once: a statement built anew each time would cost more to prepare than to run.
# A referral removed (its turn no longer referred) marks its conference changed, so the newest
# change of the ward's referrals and conferences covers additions, changes and removals.
_STAMP = """
    SELECT wards.id, wards.timezone, wards.updated_dt,
        (SELECT max(updated_dt) FROM referrals WHERE ward_id = wards.id),
        (SELECT max(updated_dt) FROM conferences WHERE ward_id = wards.id),
        (SELECT max(updated_dt) FROM units WHERE ward_id = wards.id),
        (SELECT max(updated_dt) FROM procedure_areas WHERE ward_id = wards.id),
        (SELECT max(updated_dt) FROM residential_groups WHERE ward_id = wards.id)
    FROM wards WHERE wards.is_active AND {match}
"""
_STAMP_BY_ID = sa.text(_STAMP.format(match="wards.id = :ward"))
_STAMP_BY_SLUG = sa.text(_STAMP.format(match="wards.slug = :ward"))


def followup_stamp(
    *, ward_id: int | None = None, slug: str | None = None, now: datetime | None = None
) -> tuple | None:
    """What the lists of a ward's referrals show that can change, read in one statement.

    The referrals (their ``updated_dt`` moves with their answers, requests and questions too),
    the names of the units, areas and groups, the conferences (title, date, whether public),
    the ward itself — and the ward's today, which moves the days left and overdue on. A list
    rendered for one stamp is the same list as long as the stamp is the same. None when there
    is no such active ward.
    """
    statement, ward = (_STAMP_BY_ID, ward_id) if ward_id is not None else (_STAMP_BY_SLUG, slug)
    row = read_first(statement, {"ward": ward})
    if row is None:
        return None
    return (*row, to_local(now or utcnow(), row.timezone).date())
