"""Logging speaking turns and telling every screen about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.attendance.models import Attendee
from dialogue.auth.models import User
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.text import normalize_text
from dialogue.errors import DialogueError, ValidationFailed
from dialogue.extensions import db
from dialogue.live import events
from dialogue.live.models import REFERRAL_DAYS, Turn, TurnOutcome
from dialogue.wards.models import ProcedureArea, ResidentialGroup, Unit

MAX_QUESTION_LENGTH = 10_000


class SessionNotOpen(DialogueError):
    """Turns can be logged only while the conference is in progress."""


@dataclass
class TurnData:
    """What a secretary typed for one turn; ids are checked against the conference's ward."""

    question: str
    speaker_name: str = ""
    speaker_attendee_id: int | None = None
    speaker_group_id: int | None = None
    speaker_organisation: str = ""
    procedure_area_id: int | None = None
    outcome: TurnOutcome = TurnOutcome.PENDING
    answerer_attendee_id: int | None = None
    answerer_name: str = ""
    answer: str = ""
    referral_unit_id: int | None = None
    referral_due_date: date | None = None
    referral_note: str = ""


def default_due_date(conference: Conference) -> date:
    """Ten days after the conference, the default deadline of a written answer."""
    return conference.start_local.date() + timedelta(days=REFERRAL_DAYS)


def ensure_session_open(conference: Conference) -> None:
    if conference.status is not ConferenceStatus.IN_PROGRESS:
        raise SessionNotOpen(
            _(
                "The conference is %(status)s: turns can be recorded only while it is in progress.",
                status=conference.status.title.lower(),
            )
        )


def _in_ward(model, ident: int | None, conference: Conference, field: str, message: str):
    if ident is None:
        return None
    record = db.session.get(model, ident)
    if record is None or record.ward_id != conference.ward_id:
        raise ValidationFailed(message, field=field)
    return record


def _attendee(ident: int | None, conference: Conference, field: str) -> Attendee | None:
    if ident is None:
        return None
    attendee = db.session.get(Attendee, ident)
    if attendee is None or attendee.conference_id != conference.id:
        raise ValidationFailed(_("This person is not on the conference's list."), field=field)
    return attendee


def checked_turn_data(conference: Conference, data: TurnData) -> dict:
    """Check ``data`` against the rules and the ward; return the turn's column values."""
    question = normalize_text(data.question)
    if not question:
        raise ValidationFailed(_("Write the question before saving."), field="question")
    if len(question) > MAX_QUESTION_LENGTH:
        raise ValidationFailed(
            _("The question is longer than %(limit)s characters.", limit=MAX_QUESTION_LENGTH),
            field="question",
        )
    speaker = _attendee(data.speaker_attendee_id, conference, "speaker")
    group = _in_ward(
        ResidentialGroup,
        data.speaker_group_id,
        conference,
        "speaker_group",
        _("This residential group is not one of the ward's."),
    )
    area = _in_ward(
        ProcedureArea,
        data.procedure_area_id,
        conference,
        "procedure_area",
        _("This procedure area is not in the ward's list."),
    )
    answerer = _attendee(data.answerer_attendee_id, conference, "answerer")
    unit = _in_ward(
        Unit,
        data.referral_unit_id,
        conference,
        "referral_unit",
        _("This unit is not one of the ward's."),
    )
    speaker_name = normalize_text(data.speaker_name) or (speaker.full_name if speaker else "")
    if speaker is not None and group is None and not data.speaker_organisation:
        group = speaker.residential_group
    organisation = normalize_text(data.speaker_organisation) or (
        speaker.organisation if speaker is not None and group is None else ""
    )
    answerer_name = normalize_text(data.answerer_name) or (
        (f"{answerer.full_name} - {answerer.title}" if answerer.title else answerer.full_name)
        if answerer
        else ""
    )
    answer = normalize_text(data.answer)
    values = {
        "speaker_attendee": speaker,
        "speaker_name": speaker_name,
        "speaker_group": group,
        "speaker_organisation": organisation,
        "procedure_area": area,
        "question": question,
        "outcome": data.outcome,
        "answerer_attendee": None,
        "answerer_name": "",
        "answer": "",
        "referral_unit": None,
        "referral_due_date": None,
        "referral_note": "",
    }
    if data.outcome is TurnOutcome.ANSWERED:
        if not answer:
            raise ValidationFailed(
                _("Write the answer, or choose another outcome."), field="answer"
            )
        if not answerer_name:
            raise ValidationFailed(_("Say who answered."), field="answerer")
        values.update(answerer_attendee=answerer, answerer_name=answerer_name, answer=answer)
    elif data.outcome is TurnOutcome.REFERRED:
        if unit is None:
            raise ValidationFailed(
                _("Choose the unit that will answer in writing."), field="referral_unit"
            )
        due = data.referral_due_date or default_due_date(conference)
        if due < conference.start_local.date():
            raise ValidationFailed(
                _("The due date cannot be before the conference."), field="referral_due_date"
            )
        values.update(
            referral_unit=unit,
            referral_due_date=due,
            referral_note=normalize_text(data.referral_note),
            # What was said in the hall before referring it is kept too.
            answerer_attendee=answerer,
            answerer_name=answerer_name,
            answer=answer,
        )
    return values


def find_by_client_key(conference: Conference, client_key: str | None) -> Turn | None:
    if not client_key:
        return None
    return db.session.scalar(
        sa.select(Turn).where(Turn.conference_id == conference.id, Turn.client_key == client_key)
    )


@dataclass(frozen=True)
class Logged:
    """What :func:`log_turn` did: ``created`` is False for a repeated save of the same turn."""

    turn: Turn
    created: bool


def log_turn(
    conference: Conference, data: TurnData, *, by: User, client_key: str | None = None
) -> Logged:
    """Add a turn at the end of the speaking order; a repeat of ``client_key`` changes nothing."""
    existing = find_by_client_key(conference, client_key)
    if existing is not None:
        return Logged(existing, created=False)
    ensure_session_open(conference)
    values = checked_turn_data(conference, data)
    # The event number's row lock also orders the positions of concurrent saves.
    sequence = events.next_sequence(conference)
    last = db.session.scalar(
        sa.select(sa.func.max(Turn.position)).where(Turn.conference_id == conference.id)
    )
    turn = Turn(
        conference=conference,
        position=(last or 0) + 1,
        client_key=client_key or None,
        created_by=by,
        updated_by=by,
        **values,
    )
    db.session.add(turn)
    db.session.flush()
    announce_turn(turn, "turn.created", sequence=sequence)
    return Logged(turn, created=True)


def turn_payload(turn: Turn, *, public: bool = False) -> dict:
    """The turn as screens show it; ``public`` hides what residents must not see."""
    area = turn.procedure_area
    payload = {
        "id": turn.id,
        "position": turn.position,
        "version": turn.version,
        "withdrawn": turn.is_withdrawn,
        "speaker": turn.public_speaker if public else turn.speaker_name,
        "group": turn.speaker_group.name if turn.speaker_group else "",
        "organisation": turn.speaker_organisation,
        "area": {"id": area.id, "code": area.code, "name": area.name_vi} if area else None,
        "question": turn.question,
        "outcome": turn.outcome.value,
        "answerer": turn.answerer_name,
        "answer": turn.answer,
        "referral": {
            "unit": turn.referral_unit.name if turn.referral_unit else "",
            "due": turn.referral_due_date.isoformat() if turn.referral_due_date else None,
        }
        if turn.outcome is TurnOutcome.REFERRED
        else None,
    }
    if not public:
        payload.update(
            client_key=turn.client_key,
            speaker_attendee_id=turn.speaker_attendee_id,
            group_id=turn.speaker_group_id,
            answerer_attendee_id=turn.answerer_attendee_id,
            referral_unit_id=turn.referral_unit_id,
            referral_note=turn.referral_note,
            withdrawn_reason=turn.withdrawn_reason,
            updated_by=turn.updated_by.display_name if turn.updated_by else "",
        )
    return payload


def announce_turn(turn: Turn, kind: str, *, sequence: int | None = None) -> None:
    """Tell every screen about ``turn`` as it now is; residents never see a withdrawn one."""
    public = None if turn.is_withdrawn else turn_payload(turn, public=True)
    if public is None and kind != "turn.created":
        # Residents who saw it must see it go.
        public = {"id": turn.id, "withdrawn": True}
    events.emit(
        turn.conference,
        kind,
        {"turn": turn_payload(turn)},
        {"turn": public} if public is not None else None,
        sequence=sequence,
    )
