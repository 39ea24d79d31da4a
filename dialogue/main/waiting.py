"""What waits for the signed-in user in their ward: the "To do" list at the top of the overview.

Each item is a sentence with a count and the address of the page where the work is done. The
list is read in a fixed number of statements, whatever the number of conferences, referrals
or units: counts come grouped from the database, never one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from dialogue.auth.models import Role, User
from dialogue.conferences.models import NOTICE_DAYS, Conference, ConferenceStatus
from dialogue.conferences.models import conference_secretaries as secretaries_table
from dialogue.core.dates import to_local, vn_short_date
from dialogue.core.db import utcnow
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.feedback import survey as surveys
from dialogue.feedback.models import Survey, SurveyResponse
from dialogue.followup.listing import OVERDUE, ReferralFilters, referrals_query
from dialogue.followup.models import Referral, ReferralRequest, ReferralStatus, RequestStatus
from dialogue.minutes.models import DraftStatus, MinutesDraft
from dialogue.minutes.operations import publication_deadlines
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.questions.operations import OPEN_FOR_MODERATION
from dialogue.wards.models import Unit, Ward

# A referral due within this many days (today included) is shown to its unit as due soon.
DUE_SOON_DAYS = 3
# Conferences to announce: at most this many, the nearest first (a ward plans a few a year).
ANNOUNCE_LIMIT = 20
# A survey cannot stay open longer than this after its conference (``survey.MAX_OPEN_DAYS``).
SURVEY_HORIZON = timedelta(days=surveys.MAX_OPEN_DAYS + 2)


@dataclass(frozen=True)
class Due:
    """A day by which something must be done, and where today stands against it."""

    days_left: int  # negative once past

    @property
    def text(self) -> str:
        if self.days_left > 0:
            return ngettext("%(num)s day left", "%(num)s days left", self.days_left)
        if self.days_left == 0:
            return _("Due today")
        return ngettext("Overdue by %(num)s day", "Overdue by %(num)s days", -self.days_left)

    @property
    def tone(self) -> str:
        """The ``deadline-…`` class of the minutes' deadlines: open, today or overdue."""
        if self.days_left > 0:
            return "open"
        return "today" if self.days_left == 0 else "overdue"


@dataclass(frozen=True)
class Item:
    """One thing waiting: a sentence with its count, where it is done, and how urgent."""

    kind: str
    text: str
    url: str
    count: int = 1
    due: Due | None = None
    # Said after the due date when the day itself does not say it all (short notice).
    note: str = ""


def waiting_items(user: User, ward: Ward | None, *, now: datetime | None = None) -> list[Item]:
    """Everything waiting for ``user`` in ``ward`` (the ward they work in), by kind of work."""
    if ward is None:
        return []
    now = now or utcnow()
    today = to_local(now, ward.timezone).date()
    items: list[Item] = []
    if user.has_role(Role.CHAIR):
        items += _drafts_to_approve(ward)
    if user.has_role(Role.ORGANISER, Role.SECRETARY):
        only_own = user.role is Role.SECRETARY
        items += _questions_to_moderate(ward, user if only_own else None)
        if user.has_role(Role.ORGANISER):
            items += _conferences_to_announce(ward, now)
        items += _minutes_to_publish(ward, user if only_own else None, now)
        items += _open_surveys(ward, now)
    if user.role is Role.RESPONDER:
        items += _referrals_items(ward, today, unit_ids=[unit.id for unit in user.units])
    elif user.has_role(Role.CHAIR, Role.ORGANISER):
        items += _referrals_items(ward, today, approves=user.can_approve_answers)
    if user.can_approve_answers:
        items += _requests_to_decide(ward)
    return items


def _label(title: str, start: datetime, ward: Ward) -> str:
    return _("%(title)s (%(date)s)", title=title, date=vn_short_date(start, ward.timezone))


# -- the chair -----------------------------------------------------------------------------


def _drafts_to_approve(ward: Ward) -> list[Item]:
    rows = db.session.execute(
        sa.select(
            MinutesDraft.doc_type,
            Conference.id,
            Conference.title,
            sa.func.coalesce(Conference.started_dt, Conference.start_dt),
        )
        .join(Conference, Conference.id == MinutesDraft.conference_id)
        .where(Conference.ward_id == ward.id, MinutesDraft.status == DraftStatus.SUBMITTED)
        .order_by(Conference.start_dt, MinutesDraft.doc_type)
    ).all()
    items = []
    for doc_type, conference_id, title, start in rows:
        label = _label(title, start, ward)
        text = (
            _("The minutes of %(conference)s await your approval", conference=label)
            if DocumentType(doc_type) is DocumentType.MINUTES
            else _("The conclusion notice of %(conference)s awaits your approval", conference=label)
        )
        url = url_for(
            "minutes.publish", conference_id=conference_id, doc_type=DocumentType(doc_type)
        )
        items.append(Item("draft", text, url))
    return items


def _requests_to_decide(ward: Ward) -> list[Item]:
    # Oldest first: the link leads to the one to decide first, then to the next.
    referral_ids = db.session.scalars(
        sa.select(ReferralRequest.referral_id)
        .join(Referral, Referral.id == ReferralRequest.referral_id)
        .where(Referral.ward_id == ward.id, ReferralRequest.status == RequestStatus.PENDING)
        .order_by(ReferralRequest.id)
    ).all()
    if not referral_ids:
        return []
    count = len(referral_ids)
    text = ngettext(
        "%(num)s request for a new due date or another unit waits for your decision",
        "%(num)s requests for a new due date or another unit wait for your decision",
        count,
    )
    url = url_for("followup.referral", referral_id=referral_ids[0], _anchor="requests")
    return [Item("request", text, url, count)]


# -- referrals: the units' answers -----------------------------------------------------------


def _referrals_items(
    ward: Ward, today: date, *, unit_ids: list[int] | None = None, approves: bool = False
) -> list[Item]:
    """Per unit: overdue; for a responder's units also due soon; for approvers, to approve."""
    base = (
        referrals_query(ward, ReferralFilters(), today=today, unit_ids=unit_ids)
        .order_by(None)
        .subquery()
    )
    is_open = base.c.answered_on.is_(None)
    overdue = sa.and_(is_open, base.c.due_date < today)
    soon = sa.and_(
        is_open,
        base.c.due_date >= today,
        base.c.due_date <= today + timedelta(days=DUE_SOON_DAYS),
    )
    awaiting = base.c.status == ReferralStatus.AWAITING_APPROVAL
    rows = db.session.execute(
        sa.select(
            base.c.unit_id,
            Unit.name,
            sa.func.sum(sa.case((overdue, 1), else_=0)),
            sa.func.min(sa.case((overdue, base.c.due_date), else_=None)),
            sa.func.sum(sa.case((soon, 1), else_=0)),
            sa.func.min(sa.case((soon, base.c.due_date), else_=None)),
            sa.func.sum(sa.case((awaiting, 1), else_=0)),
        )
        .outerjoin(Unit, Unit.id == base.c.unit_id)
        .group_by(base.c.unit_id, Unit.name)
        .order_by(Unit.name)
    ).all()
    is_responder = unit_ids is not None
    items: list[Item] = []
    to_approve = 0
    for unit_id, name, late, oldest, due, nearest, waiting in rows:
        unit = name or _("No unit given")
        filters = {"unit": unit_id} if unit_id else {}
        if late:
            text = ngettext(
                "%(unit)s: %(num)s referred question past its due date",
                "%(unit)s: %(num)s referred questions past their due date",
                late,
                unit=unit,
            )
            url = url_for("followup.queue", status=OVERDUE, **filters)
            items.append(Item("overdue", text, url, late, Due((_as_date(oldest) - today).days)))
        if is_responder and due:
            text = ngettext(
                "%(unit)s: %(num)s referred question due within %(days)s days",
                "%(unit)s: %(num)s referred questions due within %(days)s days",
                due,
                unit=unit,
                days=DUE_SOON_DAYS,
            )
            url = url_for("followup.queue", **filters)
            items.append(Item("due", text, url, due, Due((_as_date(nearest) - today).days)))
        to_approve += waiting or 0
    if approves and to_approve:
        text = ngettext(
            "%(num)s written answer awaits your approval",
            "%(num)s written answers await your approval",
            to_approve,
        )
        url = url_for("followup.queue", status=ReferralStatus.AWAITING_APPROVAL.value)
        items.append(Item("answer", text, url, to_approve))
    return items


def _as_date(value) -> date:
    # min() over a CASE keeps the column's type on PostgreSQL; SQLite may hand back the text.
    return value if isinstance(value, date) else date.fromisoformat(value)


# -- organisers and secretaries --------------------------------------------------------------


def _secretary_of(user: User):
    return Conference.id.in_(
        sa.select(secretaries_table.c.conference_id).where(secretaries_table.c.user_id == user.id)
    )


def _questions_to_moderate(ward: Ward, secretary: User | None) -> list[Item]:
    stmt = (
        sa.select(
            Conference.id,
            Conference.title,
            sa.func.coalesce(Conference.started_dt, Conference.start_dt),
            sa.func.count(ResidentQuestion.id),
        )
        .join(ResidentQuestion, ResidentQuestion.conference_id == Conference.id)
        .where(
            Conference.ward_id == ward.id,
            Conference.status.in_(OPEN_FOR_MODERATION),
            Conference.recorded_dt.is_(None),
            ResidentQuestion.status == QuestionStatus.WAITING,
        )
        .group_by(Conference.id, Conference.title, Conference.started_dt, Conference.start_dt)
        .order_by(Conference.start_dt)
    )
    if secretary is not None:
        stmt = stmt.where(_secretary_of(secretary))
    items = []
    for conference_id, title, start, count in db.session.execute(stmt):
        text = ngettext(
            "%(num)s resident's question to moderate for %(conference)s",
            "%(num)s residents' questions to moderate for %(conference)s",
            count,
            conference=_label(title, start, ward),
        )
        url = url_for("questions.queue", conference_id=conference_id)
        items.append(Item("questions", text, url, count))
    return items


def _conferences_to_announce(ward: Ward, now: datetime) -> list[Item]:
    drafts = db.session.scalars(
        sa.select(Conference)
        .where(
            Conference.ward_id == ward.id,
            Conference.status == ConferenceStatus.DRAFT,
            Conference.recorded_dt.is_(None),
            Conference.start_dt > now,
        )
        .order_by(Conference.start_dt)
        .limit(ANNOUNCE_LIMIT)
    ).all()
    items = []
    for conference in drafts:
        days_to_go = conference.days_to_go(now)
        note = ""
        if days_to_go < NOTICE_DAYS:
            note = ngettext(
                "only %(num)s day before the conference: less than the %(required)s days the "
                "law asks",
                "only %(num)s days before the conference: less than the %(required)s days the "
                "law asks",
                days_to_go,
                required=NOTICE_DAYS,
            )
        text = _(
            "Announce %(conference)s by %(date)s",
            conference=_label(conference.title, conference.start_dt, ward),
            date=vn_short_date(conference.notice_deadline),
        )
        url = url_for("conferences.announce", conference_id=conference.id)
        items.append(Item("announce", text, url, due=Due(days_to_go - NOTICE_DAYS), note=note))
    return items


def _minutes_to_publish(ward: Ward, secretary: User | None, now: datetime) -> list[Item]:
    stmt = (
        sa.select(Conference)
        .where(
            Conference.ward_id == ward.id,
            Conference.status == ConferenceStatus.CLOSED,
            Conference.recorded_dt.is_(None),
        )
        .order_by(Conference.start_dt)
    )
    if secretary is not None:
        stmt = stmt.where(_secretary_of(secretary))
    closed = db.session.scalars(stmt).all()
    deadlines = publication_deadlines(closed, now=now)
    items = []
    for conference in closed:
        deadline = deadlines[conference.id]
        if deadline.is_published:
            continue
        text = _(
            "Publish the minutes and the conclusion notice of %(conference)s by %(date)s",
            conference=_label(conference.title, conference.held_start_dt, ward),
            date=vn_short_date(deadline.deadline),
        )
        url = url_for("minutes.overview", conference_id=conference.id)
        items.append(Item("publish", text, url, due=Due(deadline.days_left)))
    return items


def _open_surveys(ward: Ward, now: datetime) -> list[Item]:
    answers = (
        sa.select(SurveyResponse.conference_id, sa.func.count().label("answers"))
        .group_by(SurveyResponse.conference_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Conference, Survey, sa.func.coalesce(answers.c.answers, 0))
        .outerjoin(Survey, Survey.conference_id == Conference.id)
        .outerjoin(answers, answers.c.conference_id == Conference.id)
        .where(
            Conference.ward_id == ward.id,
            Conference.status.in_(
                [ConferenceStatus.IN_PROGRESS, ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED]
            ),
            Conference.recorded_dt.is_(None),
            Conference.start_dt > now - SURVEY_HORIZON,
        )
        .order_by(Conference.start_dt)
    ).all()
    items = []
    for conference, survey, count in rows:
        # Not yet made: it would close on its default day (made unsaved, for reading only).
        survey = survey or Survey(
            conference_id=conference.id, closes_on=surveys.default_closes_on(conference)
        )
        window = surveys.survey_window(conference, survey, now=now)
        if not window.is_open:
            continue
        text = ngettext(
            "The survey of %(conference)s is open until %(date)s: %(num)s answer so far. "
            "Type in the paper forms",
            "The survey of %(conference)s is open until %(date)s: %(num)s answers so far. "
            "Type in the paper forms",
            count,
            conference=_label(conference.title, conference.held_start_dt, ward),
            date=vn_short_date(window.closes_on),
        )
        url = url_for("feedback.paper", conference_id=conference.id)
        items.append(Item("survey", text, url, count))
    return items
