"""Planning a conference and its life cycle: every change of plan or state goes through here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.audit.recording import record_event
from dialogue.auth.models import Role, User
from dialogue.conferences.models import (
    NOTICE_DAYS,
    AgendaItem,
    Conference,
    ConferenceStatus,
)
from dialogue.core.dates import to_local, vn_short_date
from dialogue.core.db import utcnow
from dialogue.core.text import normalize_text
from dialogue.errors import InvalidTransition, ValidationFailed
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards.models import Ward

# Staff who may be named secretaries of a conference.
SECRETARY_ROLES = frozenset({Role.SECRETARY, Role.ORGANISER})


def _cannot_become(conference: Conference, status: ConferenceStatus) -> InvalidTransition:
    return InvalidTransition(
        _(
            "A conference that is %(current)s cannot become %(target)s.",
            current=conference.status.title,
            target=status.title,
        )
    )


def check_transition(conference: Conference, status: ConferenceStatus) -> None:
    """Raise InvalidTransition, saying why, unless ``conference`` may move to ``status``."""
    if not conference.can_move_to(status):
        raise _cannot_become(conference, status)


def change_status(conference: Conference, status: ConferenceStatus, *, reason: str = "") -> None:
    """Move ``conference`` to ``status`` if its state machine allows it."""
    check_transition(conference, status)
    if status is ConferenceStatus.CANCELLED:
        reason = reason.strip()
        if not reason:
            raise ValidationFailed(_("Say why the conference is cancelled."), field="reason")
        conference.cancel_reason = reason
    previous = conference.status
    now = utcnow()
    conference.status = status
    conference.status_changed_dt = now
    if status is ConferenceStatus.CLOSED and conference.end_dt is None:
        conference.end_dt = now
    db.session.flush()
    record_event(
        db.session,
        ward_id=conference.ward_id,
        entity=conference,
        summary=f"status {previous.value} -> {status.value}",
        details={"from": previous, "to": status, "reason": reason},
    )


# -- the plan -----------------------------------------------------------------------------------


def ward_datetime(ward: Ward, day: date, clock: time) -> datetime:
    """Return the UTC moment of ``day`` at ``clock`` on the ward's wall clock."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(ward.timezone)).astimezone(UTC)


@dataclass(frozen=True)
class ConferencePlan:
    """What the organiser says about a conference (a form, the CLI, the demo)."""

    title: str
    start_dt: datetime
    planned_end_dt: datetime | None = None
    subject: str = ""
    plan_number: str = ""
    plan_date: date | None = None
    reporting_period: str = ""
    venue: str = ""
    chair_id: int | None = None
    cochair_ids: tuple[int, ...] = field(default_factory=tuple)
    reporter_id: int | None = None
    secretary_ids: tuple[int, ...] = field(default_factory=tuple)


def _plan_key(number: str) -> str:
    """Fold a plan number so "39/KH-UBND" and " 39 / kh-ubnd" are the same plan."""
    return "".join(normalize_text(number).split()).upper()


def _check_plan_number(ward: Ward, number: str, conference: Conference | None) -> None:
    if not number:
        return
    stmt = sa.select(Conference).where(
        Conference.ward_id == ward.id,
        Conference.status != ConferenceStatus.CANCELLED,
        Conference.plan_number != "",
    )
    if conference is not None and conference.id is not None:
        stmt = stmt.where(Conference.id != conference.id)
    key = _plan_key(number)
    for other in db.session.scalars(stmt.order_by(Conference.start_dt)):
        if _plan_key(other.plan_number) == key:
            raise ValidationFailed(
                _(
                    "Plan No. %(number)s is already the legal basis of “%(title)s” (%(date)s).",
                    number=other.plan_number,
                    title=other.title,
                    date=vn_short_date(other.start_dt, ward.timezone),
                ),
                field="plan_number",
            )


def _ward_person(ward: Ward, person_id: int | None, field_name: str) -> Person | None:
    if person_id is None:
        return None
    person = db.session.get(Person, person_id)
    if person is None or person.ward_id != ward.id:
        raise ValidationFailed(_("Choose a person of the ward's directory."), field=field_name)
    return person


def _ward_people(ward: Ward, ids: Sequence[int], field_name: str) -> list[Person]:
    return [_ward_person(ward, person_id, field_name) for person_id in dict.fromkeys(ids)]


def _ward_secretaries(ward: Ward, ids: Sequence[int]) -> list[User]:
    users = []
    for user_id in dict.fromkeys(ids):
        user = db.session.get(User, user_id)
        if (
            user is None
            or user.ward_id != ward.id
            or not user.is_active
            or user.role not in SECRETARY_ROLES
        ):
            raise ValidationFailed(
                _("Choose secretaries among the ward's secretaries and organisers."),
                field="secretary_ids",
            )
        users.append(user)
    return users


def _checked(
    ward: Ward,
    plan: ConferencePlan,
    conference: Conference | None,
    now: datetime,
    *,
    held: bool = False,
) -> ConferencePlan:
    """Return ``plan`` cleaned, or raise ValidationFailed naming the field at fault.

    A conference to come starts in the future; one ``held`` already (recorded afterwards)
    started and ended in the past.
    """
    title = normalize_text(plan.title)
    if not title:
        raise ValidationFailed(_("Enter the title of the conference."), field="title")
    if held:
        if plan.start_dt > now:
            raise ValidationFailed(
                _(
                    "A conference already held started in the past. To plan one to come, "
                    "create a new conference instead."
                ),
                field="start_date",
            )
        if plan.planned_end_dt is None:
            raise ValidationFailed(_("Enter the time the conference ended."), field="end_time")
        if plan.planned_end_dt > now:
            raise ValidationFailed(_("The end cannot be in the future."), field="end_time")
    else:
        start_moved = conference is None or conference.start_dt != plan.start_dt
        if start_moved and plan.start_dt <= now:
            raise ValidationFailed(
                _("This start is in the past. Choose a date and time to come."),
                field="start_date",
            )
    if plan.planned_end_dt is not None and plan.planned_end_dt <= plan.start_dt:
        raise ValidationFailed(_("The end must be later than the start."), field="end_time")
    number = normalize_text(plan.plan_number)
    _check_plan_number(ward, number, conference)
    return ConferencePlan(
        title=title,
        start_dt=plan.start_dt,
        planned_end_dt=plan.planned_end_dt,
        subject=(plan.subject or "").strip(),
        plan_number=number,
        plan_date=plan.plan_date,
        reporting_period=normalize_text(plan.reporting_period),
        venue=normalize_text(plan.venue),
        chair_id=plan.chair_id,
        cochair_ids=tuple(plan.cochair_ids),
        reporter_id=plan.reporter_id,
        secretary_ids=tuple(plan.secretary_ids),
    )


def _apply(conference: Conference, ward: Ward, plan: ConferencePlan) -> None:
    chair = _ward_person(ward, plan.chair_id, "chair_id")
    cochairs = _ward_people(ward, plan.cochair_ids, "cochair_ids")
    reporter = _ward_person(ward, plan.reporter_id, "reporter_id")
    secretaries = _ward_secretaries(ward, plan.secretary_ids)
    conference.title = plan.title
    conference.subject = plan.subject
    conference.plan_number = plan.plan_number
    conference.plan_date = plan.plan_date
    conference.reporting_period = plan.reporting_period
    conference.start_dt = plan.start_dt
    conference.planned_end_dt = plan.planned_end_dt
    conference.venue = plan.venue
    conference.chair = chair
    conference.cochairs = cochairs
    conference.reporter = reporter
    conference.secretaries = secretaries


def create_conference(
    ward: Ward, plan: ConferencePlan, *, now: datetime | None = None
) -> Conference:
    """Plan a new conference of ``ward``, as a draft."""
    checked = _checked(ward, plan, None, now or utcnow())
    conference = Conference(ward=ward, status=ConferenceStatus.DRAFT)
    _apply(conference, ward, checked)
    db.session.add(conference)
    db.session.flush()
    return conference


# -- a conference already held, typed in afterwards --------------------------------------------


@dataclass(frozen=True)
class HeldDates:
    """From the paper file of a conference held before it was entered here, when known."""

    notice_on: date | None = None
    results_posted_on: date | None = None


def _apply_held_dates(conference: Conference, dates: HeldDates, now: datetime) -> None:
    ward = conference.ward
    start_day = conference.start_local.date()
    today = to_local(now, ward.timezone).date()
    if dates.notice_on is not None and dates.notice_on > start_day:
        raise ValidationFailed(
            _("The notice was posted before the conference, not after it."), field="notice_date"
        )
    if dates.results_posted_on is not None and not (start_day <= dates.results_posted_on <= today):
        raise ValidationFailed(
            _("The results were made public after the conference and no later than today."),
            field="results_posted_on",
        )
    conference.announced_dt = (
        ward_datetime(ward, dates.notice_on, time(0)) if dates.notice_on else None
    )
    conference.results_posted_on = dates.results_posted_on


def record_held_conference(
    ward: Ward, plan: ConferencePlan, dates: HeldDates, *, now: datetime | None = None
) -> Conference:
    """Enter a conference held in the past: no announcement, no check-in; its turns come next.

    It is in progress at once, so that the console takes its turns at the clerk's pace, and
    closes, is composed and published like any other. Its documents and pages say it was
    recorded afterwards, and when.
    """
    now = now or utcnow()
    checked = _checked(ward, plan, None, now, held=True)
    conference = Conference(
        ward=ward, status=ConferenceStatus.IN_PROGRESS, status_changed_dt=now, recorded_dt=now
    )
    _apply(conference, ward, checked)
    conference.started_dt = checked.start_dt
    _apply_held_dates(conference, dates, now)
    db.session.add(conference)
    db.session.flush()
    record_event(
        db.session,
        ward_id=ward.id,
        entity=conference,
        summary="recorded afterwards",
        details={
            "held_on": conference.start_local.date().isoformat(),
            "notice_on": dates.notice_on.isoformat() if dates.notice_on else None,
            "results_posted_on": dates.results_posted_on.isoformat()
            if dates.results_posted_on
            else None,
        },
    )
    return conference


def update_held_dates(conference: Conference, dates: HeldDates, *, now: datetime | None = None):
    """Correct the paper file's dates of a conference recorded afterwards."""
    if not conference.is_recorded_afterwards:
        raise InvalidTransition(_("Only a conference recorded afterwards has these dates."))
    _apply_held_dates(conference, dates, now or utcnow())
    db.session.flush()


# What a notice tells residents: changing it after announcing changes the notice.
NOTICE_FIELDS = ("start_dt", "planned_end_dt", "venue")


def ensure_editable(conference: Conference) -> None:
    """Raise InvalidTransition unless the plan of ``conference`` may still change."""
    if not conference.is_editable:
        raise InvalidTransition(
            _(
                "This conference is “%(status)s”: its plan can no longer be changed.",
                status=conference.status.title,
            )
        )


def update_conference(
    conference: Conference, plan: ConferencePlan, *, now: datetime | None = None
) -> list[str]:
    """Change the plan of ``conference``; return the notice fields that changed."""
    ensure_editable(conference)
    held = conference.is_recorded_afterwards
    checked = _checked(conference.ward, plan, conference, now or utcnow(), held=held)
    before = {name: getattr(conference, name) for name in NOTICE_FIELDS}
    _apply(conference, conference.ward, checked)
    if held:
        conference.started_dt = checked.start_dt
    db.session.flush()
    return [name for name in NOTICE_FIELDS if getattr(conference, name) != before[name]]


# -- the agenda ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaItemData:
    title: str
    presenter: str = ""
    planned_minutes: int | None = None


def _checked_item(data: AgendaItemData) -> AgendaItemData:
    title = normalize_text(data.title)
    if not title:
        raise ValidationFailed(_("Enter the agenda item."), field="title")
    if data.planned_minutes is not None and data.planned_minutes <= 0:
        raise ValidationFailed(
            _("Give the minutes as a whole number above 0."), field="planned_minutes"
        )
    return AgendaItemData(
        title=title, presenter=normalize_text(data.presenter), planned_minutes=data.planned_minutes
    )


def add_agenda_item(conference: Conference, data: AgendaItemData) -> AgendaItem:
    """Add an item at the end of the agenda."""
    ensure_editable(conference)
    checked = _checked_item(data)
    item = AgendaItem(
        title=checked.title, presenter=checked.presenter, planned_minutes=checked.planned_minutes
    )
    conference.agenda_items.append(item)
    db.session.flush()
    return item


def update_agenda_item(item: AgendaItem, data: AgendaItemData) -> None:
    """Change what an agenda item says; its place stays."""
    ensure_editable(item.conference)
    checked = _checked_item(data)
    item.title = checked.title
    item.presenter = checked.presenter
    item.planned_minutes = checked.planned_minutes
    db.session.flush()


def remove_agenda_item(item: AgendaItem) -> None:
    """Take an item off the agenda; the ones after it move up."""
    conference = item.conference
    ensure_editable(conference)
    conference.agenda_items.remove(item)
    # Deleted by name, not only as an orphan, so the audit log records it.
    db.session.delete(item)
    db.session.flush()


def move_agenda_item(item: AgendaItem, step: int) -> bool:
    """Move an item ``step`` places (-1 up, +1 down); return False at either end."""
    conference = item.conference
    ensure_editable(conference)
    items = conference.agenda_items
    index = items.index(item)
    target = index + step
    if step == 0 or not 0 <= target < len(items):
        return False
    items.insert(target, items.pop(index))
    items.reorder()
    db.session.flush()
    return True


def reorder_agenda(conference: Conference, item_ids: Sequence[int]) -> None:
    """Put the agenda in the order of ``item_ids``, which must name every item once."""
    ensure_editable(conference)
    items = conference.agenda_items
    by_id = {item.id: item for item in items}
    if len(item_ids) != len(by_id) or set(item_ids) != set(by_id):
        raise ValidationFailed(
            _("The agenda has changed meanwhile. Reload the page and try again.")
        )
    items[:] = [by_id[item_id] for item_id in item_ids]
    items.reorder()
    db.session.flush()


# -- announcing ---------------------------------------------------------------------------------


def announce_conference(
    conference: Conference,
    *,
    confirm_short_notice: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """Announce ``conference``: less than the legal notice needs a confirmation and a reason."""
    now = now or utcnow()
    check_transition(conference, ConferenceStatus.ANNOUNCED)
    if conference.start_dt <= now:
        raise ValidationFailed(
            _("The start of this conference has passed. Change its date before announcing it.")
        )
    if not conference.venue:
        raise ValidationFailed(_("Give the venue before announcing the conference."))
    days = conference.days_to_go(now)
    reason = (reason or "").strip()
    is_short = days < NOTICE_DAYS
    if is_short:
        if not confirm_short_notice:
            raise ValidationFailed(
                _(
                    "The notice must come at least %(required)s days before the start; "
                    "%(days)s remain. To announce anyway, tick the confirmation and give the reason.",
                    required=NOTICE_DAYS,
                    days=days,
                ),
                field="confirm_short_notice",
            )
        if not reason:
            raise ValidationFailed(
                _("Give the reason for the short notice."), field="short_notice_reason"
            )
    conference.announced_dt = now
    conference.short_notice_reason = reason if is_short else ""
    change_status(conference, ConferenceStatus.ANNOUNCED)
    if is_short:
        record_event(
            db.session,
            ward_id=conference.ward_id,
            entity=conference,
            summary=f"announced {days} days before the start (short notice)",
            details={"days_before": days, "required_days": NOTICE_DAYS, "reason": reason},
        )
    db.session.flush()


# -- starting, and undoing a start made by mistake ---------------------------------------------


class EarlyStart(ValidationFailed):
    """Starting now would be well before the planned time: the organiser must confirm."""


def start_conference(
    conference: Conference, *, confirm_early: bool = False, now: datetime | None = None
) -> None:
    """Start ``conference`` now; more than a short while before the plan needs a confirmation.

    The moment recorded is the actual start: the minutes say when the conference really began.
    """
    now = now or utcnow()
    check_transition(conference, ConferenceStatus.IN_PROGRESS)
    if conference.starts_early(now) and not confirm_early:
        tz = conference.ward.timezone
        raise EarlyStart(
            _(
                "Tick the box if the conference is really beginning now (it is planned for "
                "%(time)s on %(date)s).",
                time=to_local(conference.start_dt, tz).strftime("%H:%M"),
                date=vn_short_date(conference.start_dt, tz),
            ),
            field="confirm_early",
        )
    conference.started_dt = now
    change_status(conference, ConferenceStatus.IN_PROGRESS)


def has_records(conference: Conference) -> bool:
    """Tell whether anything was recorded in the session: a turn (even withdrawn) or an end."""
    from dialogue.live.models import Turn

    turns = db.session.scalar(
        sa.select(sa.func.count()).select_from(Turn).where(Turn.conference_id == conference.id)
    )
    return bool(turns) or bool(conference.conclusion) or conference.end_dt is not None


def can_undo_start(conference: Conference) -> bool:
    return (
        conference.status is ConferenceStatus.IN_PROGRESS
        and not conference.is_recorded_afterwards
        and not has_records(conference)
    )


def undo_start(conference: Conference) -> None:
    """Put a conference started by mistake back to announced; refused once anything is recorded."""
    if conference.status is not ConferenceStatus.IN_PROGRESS:
        # A draft may become announced, but not by undoing a start it never had.
        raise _cannot_become(conference, ConferenceStatus.ANNOUNCED)
    if not can_undo_start(conference):
        raise InvalidTransition(
            _(
                "Turns or a conclusion have been recorded in this session: it can no longer "
                "go back to announced. Close it instead."
            )
        )
    conference.started_dt = None
    change_status(conference, ConferenceStatus.ANNOUNCED, reason="started by mistake")
