"""Closing a session: its end, the chair's conclusion and the tasks the conclusion gives.

The conclusion and its tasks stay open to correction while the conference is closed; once
its minutes are published they are part of a signed record and no longer change here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from dialogue.conferences.models import ConclusionTask, Conference, ConferenceStatus
from dialogue.conferences.operations import change_status
from dialogue.core.dates import to_local, vn_short_date, vn_time
from dialogue.core.db import utcnow
from dialogue.core.text import normalize_text
from dialogue.errors import InvalidTransition, ValidationFailed
from dialogue.extensions import db
from dialogue.live import events
from dialogue.live.models import Turn, TurnOutcome
from dialogue.wards.models import Unit

# An end typed from a watch a little ahead of the server's clock is still believed.
END_LEEWAY = timedelta(minutes=5)
MAX_CONCLUSION_LENGTH = 20_000
MAX_TASK_LENGTH = 2_000
MAX_TASKS = 30

CLOSED_EVENT = "conference.closed"


class PendingTurns(ValidationFailed):
    """Turns without a recorded answer remain; closing needs an explicit confirmation."""

    def __init__(self, message: str, turns: Sequence[Turn]):
        super().__init__(message, field="confirm_pending")
        self.turns = list(turns)


@dataclass(frozen=True)
class TaskData:
    """One task as typed; ``task_id`` names the task it changes, None for a new one."""

    content: str
    unit_id: int | None = None
    deadline: date | None = None
    task_id: int | None = None


@dataclass(frozen=True)
class ConclusionData:
    """What closing records: when the session ended, what the chair concluded, the tasks."""

    end_dt: datetime
    conclusion: str
    tasks: tuple[TaskData, ...] = ()


def normalize_paragraphs(value: str | None) -> str:
    """Return ``value`` as paragraphs, one a line: each line normalised, blank lines dropped."""
    if not value:
        return ""
    lines = (normalize_text(line) for line in value.splitlines())
    return "\n".join(line for line in lines if line)


def pending_turns(conference: Conference) -> list[Turn]:
    """The turns still in the speaking order whose answer or referral is not recorded."""
    return list(
        db.session.scalars(
            sa.select(Turn)
            .where(
                Turn.conference_id == conference.id,
                Turn.outcome == TurnOutcome.PENDING,
                Turn.withdrawn_dt.is_(None),
            )
            .order_by(Turn.position, Turn.id)
        )
    )


def _lock(conference: Conference) -> None:
    """Lock the conference's row and read its status again.

    Saving a turn takes the same lock first, so a turn saved while the session closes is
    either counted among the pending ones or refused as saved to a closed conference.
    """
    status = db.session.scalar(
        sa.select(Conference.status).where(Conference.id == conference.id).with_for_update()
    )
    if status is not None and status is not conference.status:
        set_committed_value(conference, "status", status)


def _check_end(conference: Conference, end_dt: datetime, now: datetime) -> None:
    tz = conference.ward.timezone
    # After the actual start: a conference started early may close before its planned time.
    started = conference.held_start_dt
    if end_dt <= started:
        start = f"{vn_time(started, tz)}, {vn_short_date(started, tz)}"
        raise ValidationFailed(
            _("The end must be later than the start (%(start)s).", start=start),
            field="end_time",
        )
    if end_dt > now + END_LEEWAY:
        raise ValidationFailed(
            _(
                "The end cannot be in the future: it is now %(now)s.",
                now=to_local(now, tz).strftime("%H:%M %d/%m/%Y"),
            ),
            field="end_time",
        )


def _check_conclusion(text: str) -> str:
    conclusion = normalize_paragraphs(text)
    if not conclusion:
        raise ValidationFailed(_("Write the chair's conclusion."), field="conclusion")
    if len(conclusion) > MAX_CONCLUSION_LENGTH:
        raise ValidationFailed(
            _("The conclusion is longer than %(limit)s characters.", limit=MAX_CONCLUSION_LENGTH),
            field="conclusion",
        )
    return conclusion


@dataclass(frozen=True)
class _CheckedTask:
    task: ConclusionTask | None
    content: str
    unit: Unit
    deadline: date | None


def _check_tasks(conference: Conference, tasks: Sequence[TaskData]) -> list[_CheckedTask]:
    """Check every task against the rules and the ward; errors name the row at fault."""
    if len(tasks) > MAX_TASKS:
        raise ValidationFailed(
            _("A conclusion can give at most %(limit)s tasks.", limit=MAX_TASKS), field="tasks"
        )
    existing = {task.id: task for task in conference.conclusion_tasks}
    first_day = conference.start_local.date()
    checked = []
    for index, data in enumerate(tasks):
        row = f"tasks-{index}-"
        # A task named twice, or one of another conference: the page was out of date.
        if data.task_id is not None and data.task_id not in existing:
            raise ValidationFailed(
                _("The tasks have changed meanwhile. Reload the page and try again.")
            )
        content = normalize_text(data.content)
        if not content:
            raise ValidationFailed(_("Write what the task is."), field=row + "content")
        if len(content) > MAX_TASK_LENGTH:
            raise ValidationFailed(
                _("The task is longer than %(limit)s characters.", limit=MAX_TASK_LENGTH),
                field=row + "content",
            )
        if data.unit_id is None:
            raise ValidationFailed(
                _("Choose the unit responsible for the task."), field=row + "unit_id"
            )
        unit = db.session.get(Unit, data.unit_id)
        if unit is None or unit.ward_id != conference.ward_id:
            raise ValidationFailed(_("This unit is not one of the ward's."), field=row + "unit_id")
        if data.deadline is not None and data.deadline < first_day:
            raise ValidationFailed(
                _("The deadline cannot be before the conference."), field=row + "deadline"
            )
        task = existing.pop(data.task_id) if data.task_id is not None else None
        checked.append(_CheckedTask(task, content, unit, data.deadline))
    return checked


def _apply(conference: Conference, end_dt: datetime, conclusion: str, tasks) -> None:
    conference.end_dt = end_dt
    conference.conclusion = conclusion
    kept = []
    for item in tasks:
        task = item.task or ConclusionTask()
        task.content = item.content
        task.unit = item.unit
        task.deadline = item.deadline
        kept.append(task)
    dropped = [task for task in conference.conclusion_tasks if task not in kept]
    # A new list, not a slice assignment (which needs equal lengths); the tasks already
    # numbered keep their old numbers when appended, so number them all again.
    conference.conclusion_tasks = kept
    conference.conclusion_tasks.reorder()
    for task in dropped:
        # Deleted by name, not only as an orphan, so the audit log records it.
        db.session.delete(task)
    db.session.flush()


def conclusion_payload(conference: Conference) -> dict:
    """The end, the conclusion and the tasks as screens show them; nothing personal in it."""
    end = conference.end_dt
    tz = conference.ward.timezone
    return {
        "id": conference.id,
        "status": conference.status.value,
        "end": end.isoformat() if end else None,
        "end_label": vn_time(end, tz) if end else "",
        "conclusion": conference.conclusion,
        "tasks": [
            {
                "position": task.position,
                "content": task.content,
                "unit": task.unit.name if task.unit else "",
                "deadline": task.deadline.isoformat() if task.deadline else None,
            }
            for task in conference.conclusion_tasks
        ],
    }


def _announce(conference: Conference) -> None:
    payload = {"conference": conclusion_payload(conference)}
    # The conclusion is read out in the hall: the projector and residents' phones show it too.
    events.emit(conference, CLOSED_EVENT, payload, payload)


def close_conference(
    conference: Conference,
    data: ConclusionData,
    *,
    confirm_pending: bool = False,
    now: datetime | None = None,
) -> None:
    """Close ``conference`` with its end time, the chair's conclusion and its tasks.

    Turns still waiting for an answer are refused unless ``confirm_pending``: the secretary
    should first record the answer or refer them, but the chair may end the session anyway.
    """
    now = now or utcnow()
    _lock(conference)
    if conference.status is not ConferenceStatus.IN_PROGRESS:
        raise InvalidTransition(
            _(
                "Only a conference in progress can be closed. This one is “%(status)s”.",
                status=conference.status.title,
            )
        )
    _check_end(conference, data.end_dt, now)
    conclusion = _check_conclusion(data.conclusion)
    tasks = _check_tasks(conference, data.tasks)
    waiting = pending_turns(conference)
    if waiting and not confirm_pending:
        raise PendingTurns(
            _(
                "%(count)s turns have no answer recorded yet. Record the answer or refer them "
                "for a written answer, or tick the confirmation to close anyway.",
                count=len(waiting),
            ),
            waiting,
        )
    _apply(conference, data.end_dt, conclusion, tasks)
    change_status(conference, ConferenceStatus.CLOSED)
    _announce(conference)
    # The units learn of the questions referred to them once the meeting has decided them all.
    from dialogue.followup.notifications import tell_units_of_referrals  # noqa: PLC0415

    tell_units_of_referrals(conference)


def update_conclusion(
    conference: Conference, data: ConclusionData, *, now: datetime | None = None
) -> None:
    """Correct the end time, the conclusion or the tasks of a closed conference."""
    now = now or utcnow()
    _lock(conference)
    if not conference.has_editable_conclusion:
        raise InvalidTransition(
            _(
                "The conclusion can be changed only while the conference is closed and its "
                "minutes are not published. This conference is “%(status)s”.",
                status=conference.status.title,
            )
        )
    _check_end(conference, data.end_dt, now)
    conclusion = _check_conclusion(data.conclusion)
    tasks = _check_tasks(conference, data.tasks)
    _apply(conference, data.end_dt, conclusion, tasks)
    # Screens still showing the conclusion take the corrected one.
    _announce(conference)
