"""The conference life cycle: every change of state goes through here."""

from __future__ import annotations

from flask_babel import gettext as _

from dialogue.audit.recording import record_event
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.db import utcnow
from dialogue.errors import InvalidTransition, ValidationFailed
from dialogue.extensions import db


def change_status(conference: Conference, status: ConferenceStatus, *, reason: str = "") -> None:
    """Move ``conference`` to ``status`` if its state machine allows it."""
    if not conference.can_move_to(status):
        raise InvalidTransition(
            _(
                "A conference that is %(current)s cannot become %(target)s.",
                current=conference.status.title,
                target=status.title,
            )
        )
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
