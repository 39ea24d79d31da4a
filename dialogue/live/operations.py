"""Logging speaking turns and telling every screen about them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import User
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.database import insert_loaded
from dialogue.core.db import utcnow
from dialogue.core.search import search_condition
from dialogue.core.text import fold, normalize_text
from dialogue.errors import DialogueError, ValidationFailed
from dialogue.extensions import db
from dialogue.live import events
from dialogue.live.matching import match_speaker
from dialogue.live.models import REFERRAL_DAYS, SpeakerMatch, Turn, TurnOutcome
from dialogue.wards.models import ProcedureArea, ResidentialGroup, Unit

MAX_QUESTION_LENGTH = 10_000
MAX_REASON_LENGTH = 500
MIN_SEARCH_LENGTH = 2
MAX_ANSWERER_ROWS = 200


class SessionNotOpen(DialogueError):
    """Turns can be logged only while the conference is in progress."""


class TurnConflict(DialogueError):
    """The turn was saved by someone else since the version the secretary started from.

    ``turn`` is the turn as it now is, so the secretary can see both versions and choose.
    """

    def __init__(self, message: str, *, turn: Turn):
        super().__init__(message)
        self.turn = turn


class OrderChanged(DialogueError):
    """A new order was asked for a list of turns that is no longer the conference's list."""


class SpeakerSettled(DialogueError):
    """The speaker's name was confirmed (or changed) by someone else meanwhile."""


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
    # When the browser saved the turn (offline perhaps): its place in the speaking order.
    spoken_dt: datetime | None = None
    # The speaker's name was typed while the list of those present could not be consulted.
    speaker_unchecked: bool = False


def default_due_date(conference: Conference) -> date:
    """Ten days after the conference, the default deadline of a written answer."""
    return conference.held_start_local.date() + timedelta(days=REFERRAL_DAYS)


def ensure_session_open(conference: Conference) -> None:
    if conference.status is not ConferenceStatus.IN_PROGRESS:
        raise SessionNotOpen(
            _(
                "The conference is %(status)s: turns can be recorded only while it is in progress.",
                status=conference.status.title.lower(),
            )
        )


def _lock_open_session(conference: Conference) -> None:
    """Lock the conference's row, then check it is still in progress.

    Every change of a conference's turns takes this lock first (and only then a turn's), so
    concurrent saves, moves and the closing of the session take turns without deadlocking.
    The status is read again under the lock: a close committed meanwhile is seen here.
    """
    status = db.session.scalar(
        sa.select(Conference.status).where(Conference.id == conference.id).with_for_update()
    )
    if status is not None and status is not conference.status:
        sa.orm.attributes.set_committed_value(conference, "status", status)
    ensure_session_open(conference)


def _lock_and_number(conference: Conference) -> int:
    """Lock the conference's row and take its next event number, if it is still in progress.

    One statement where a save would otherwise take the lock, then the number: a save's time
    under the lock is what the others saving at the same instant wait for. A session closed
    meanwhile takes no number and is refused as :func:`_lock_open_session` refuses it.
    """
    sequence = events.next_sequence(conference, only_in_progress=True)
    if sequence is None:
        _lock_open_session(conference)
        sequence = events.next_sequence(conference)
    return sequence


def _locked(turn: Turn) -> Turn:
    """Re-read ``turn`` under a row lock, so its version is the one other writers left.

    On SQLite the request's write transaction already makes writers take turns, and the turn
    was read inside it: there is nothing to re-read.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return turn
    return db.session.scalars(
        sa.select(Turn)
        .where(Turn.id == turn.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


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


@functools.cache
def _by_client_key() -> sa.Select:
    # The statements a save runs are built once (on first use, when every model is mapped):
    # building one and its cache key cost more than running it.
    return sa.select(Turn).where(
        Turn.conference_id == sa.bindparam("conference"),
        Turn.client_key == sa.bindparam("key"),
    )


def find_by_client_key(conference: Conference, client_key: str | None) -> Turn | None:
    if not client_key:
        return None
    return db.session.scalar(_by_client_key(), {"conference": conference.id, "key": client_key})


@dataclass(frozen=True)
class Logged:
    """What :func:`log_turn` did: ``created`` is False for a repeated save of the same turn.

    ``order`` is the conference's new speaking order (every turn's id) when the turn took its
    place before others, having been spoken before they arrived.
    """

    turn: Turn
    created: bool
    order: list[int] | None = None
    # The turn as staff screens show it, made for its event: the answer to the save reuses it.
    payload: dict | None = None


def spoken_time(conference: Conference, claimed: datetime | None) -> datetime:
    """When a turn arriving now was spoken: the browser's word, within what is possible.

    A browser's clock may be wrong: the time it gives is kept between the start of the
    conference and now (the turn cannot have been spoken after it arrived).
    """
    now = utcnow()
    if claimed is None:
        return now
    earliest = min(conference.held_start_dt, now)
    return max(earliest, min(claimed, now))


@functools.cache
def _newest_statement() -> sa.Select:
    of_conference = Turn.conference_id == sa.bindparam("conference")
    last = (
        sa.select(Turn.position)
        .where(of_conference)
        .order_by(Turn.position.desc(), Turn.id.desc())
        .limit(1)
    )
    # No key: "= NULL" finds no twin.
    twin = sa.select(Turn.id).where(of_conference, Turn.client_key == sa.bindparam("key"))
    return sa.select(
        twin.scalar_subquery().label("twin"),
        last.scalar_subquery().label("position"),
        last.with_only_columns(Turn.spoken_dt).scalar_subquery().label("spoken_dt"),
    )


def _newest(conference: Conference, client_key: str | None) -> sa.Row:
    """In one statement, once the lock is held: a twin's turn and the order's last turn.

    ``twin`` is the id of the turn saved with ``client_key`` by a twin of this save that
    committed while this one waited for the lock (None: there was none); ``position`` and
    ``spoken_dt`` are those of the last turn in the present order (None: no turn yet).
    """
    return db.session.execute(
        _newest_statement(), {"conference": conference.id, "key": client_key or None}
    ).one()


def _place_in_order(
    conference: Conference, spoken: datetime, newest: sa.Row
) -> tuple[int, list[Turn]]:
    """The position of a turn spoken at ``spoken``, and the turns it goes before.

    It goes after the last turn, in the present order, that was spoken no later than it, so
    that a turn saved offline takes its place by when it was spoken, and the order the
    secretaries set by hand among the others is kept. ``newest`` is what :func:`_newest`
    read of the last turn: most turns arrive in the order they were spoken, and need no more.
    """
    if newest.position is None:
        return 1, []
    if newest.spoken_dt <= spoken:
        return newest.position + 1, []
    turns = db.session.scalars(
        sa.select(Turn).where(Turn.conference_id == conference.id).order_by(Turn.position, Turn.id)
    ).all()
    index = len(turns)
    while index > 0 and turns[index - 1].spoken_dt > spoken:
        index -= 1
    return turns[index].position, list(turns[index:])


def log_turn(
    conference: Conference, data: TurnData, *, by: User, client_key: str | None = None
) -> Logged:
    """Add a turn at the end of the speaking order; a repeat of ``client_key`` changes nothing."""
    existing = find_by_client_key(conference, client_key)
    if existing is not None:
        return Logged(existing, created=False)
    ensure_session_open(conference)
    values = checked_turn_data(conference, data)
    # Read only: done before the lock, which the other secretaries' saves wait for (the ward
    # too: its choice of showing speakers' names shapes the event for residents).
    values.update(matched_speaker(conference, values, data))
    _ = conference.ward
    # The event number's row lock orders concurrent saves: their positions, their numbers.
    sequence = _lock_and_number(conference)
    newest = _newest(conference, client_key)
    if newest.twin is not None:
        # A twin of this save (the same turn sent twice at once) committed while this one
        # waited for the lock; on PostgreSQL the lock ends that wait with a fresh view. The
        # number goes back (still under the lock): screens wait for every number.
        events.give_back_sequence(conference)
        return Logged(db.session.get(Turn, newest.twin), created=False)
    spoken = spoken_time(conference, data.spoken_dt)
    position, later = _place_in_order(conference, spoken, newest)
    for each in later:
        # Moved by what was said before them, not edited: their version stays.
        each.position += 1
    columns = {
        "conference": conference,
        "position": position,
        "spoken_dt": spoken,
        "client_key": client_key or None,
        "created_by": by,
        "updated_by": by,
        **values,
    }
    if values["outcome"] is TurnOutcome.REFERRED:
        # Its referral is made by the flush (``followup.models``), in the same transaction.
        turn = Turn(**columns)
        db.session.add(turn)
        db.session.flush()
    else:
        # The others waiting for the lock wait for this: one INSERT, no unit of work.
        turn = insert_loaded(Turn, {**columns, "referral": None})
    order = None
    if later:
        order = [each.id for each in list_turns(conference)]
    payload = announce_turn(turn, "turn.created", sequence=sequence, order=order)
    return Logged(turn, created=True, order=order, payload=payload)


# -- names typed offline ------------------------------------------------------------------------


def _as_speaker(attendee: Attendee, values: dict) -> dict:
    """The speaker's columns for ``attendee``, what was chosen besides the name kept."""
    group = values.get("speaker_group") or attendee.residential_group
    organisation = values.get("speaker_organisation") or (
        attendee.organisation if group is None else ""
    )
    return {
        "speaker_attendee": attendee,
        "speaker_name": attendee.full_name,
        "speaker_group": group,
        "speaker_organisation": organisation,
    }


def matched_speaker(conference: Conference, values: dict, data: TurnData) -> dict:
    """Match a speaker's name typed offline against those present; the columns to set.

    One clear match is linked (the name as typed is kept beside it); otherwise the turn is
    marked for a secretary to confirm, with the candidates. A speaker picked from the list,
    or typed while the list could be consulted, is left as it is.
    """
    cleared = {"speaker_match": None, "speaker_typed_name": "", "speaker_candidate_ids": None}
    typed = values["speaker_name"]
    if not data.speaker_unchecked or values["speaker_attendee"] is not None or not typed:
        return cleared
    group = values["speaker_group"]
    present = db.session.scalars(_present(conference).order_by(Attendee.id)).all()
    result = match_speaker(typed, group.id if group else None, present)
    if result.linked is not None:
        return {
            **_as_speaker(result.linked, values),
            "speaker_match": SpeakerMatch.LINKED,
            "speaker_typed_name": typed,
            "speaker_candidate_ids": None,
        }
    return {
        "speaker_match": SpeakerMatch.TO_CONFIRM,
        "speaker_typed_name": typed,
        "speaker_candidate_ids": [attendee.id for attendee in result.candidates],
    }


def confirm_speaker(turn: Turn, attendee_id: int | None, *, by: User) -> Turn:
    """Settle a name typed offline: the attendee it is (``attendee_id``), or None: as typed.

    Raises SpeakerSettled when it was settled otherwise meanwhile; the same choice made
    twice (two secretaries, a repeated click) changes nothing the second time.
    """
    conference = turn.conference
    attendee = _attendee(attendee_id, conference, "speaker")
    _lock_open_session(conference)
    turn = _locked(turn)
    if turn.speaker_match is not SpeakerMatch.TO_CONFIRM:
        if attendee is None and turn.speaker_match is SpeakerMatch.KEPT:
            return turn
        if attendee is not None and turn.speaker_attendee_id == attendee.id:
            return turn
        raise SpeakerSettled(
            _("Someone settled this name meanwhile: look at the turn again."), field="speaker"
        )
    sequence = events.next_sequence(conference)
    turn.speaker_candidate_ids = None
    if attendee is None:
        # The turn says what it said: no new version, so no one's edit becomes a conflict.
        turn.speaker_match = SpeakerMatch.KEPT
        turn.updated_by = by
        db.session.flush()
    else:
        values = {
            "speaker_group": turn.speaker_group,
            "speaker_organisation": turn.speaker_organisation,
        }
        for key, value in _as_speaker(attendee, values).items():
            setattr(turn, key, value)
        turn.speaker_match = SpeakerMatch.CONFIRMED
        _bump(turn, by)
    announce_turn(turn, "turn.updated", sequence=sequence)
    return turn


def speaker_candidates_of(turn: Turn) -> list[Attendee]:
    """The attendees a name to confirm may be, in the order they were found."""
    ids = turn.speaker_candidate_ids or []
    if not ids:
        return []
    found = {
        attendee.id: attendee
        for attendee in db.session.scalars(
            sa.select(Attendee)
            .where(Attendee.id.in_(ids))
            .options(joinedload(Attendee.residential_group))
        )
    }
    return [found[ident] for ident in ids if ident in found]


def _candidate_payload(attendee: Attendee) -> dict:
    group = attendee.residential_group
    return {
        "attendee_id": attendee.id,
        "name": attendee.full_name,
        "title": attendee.title,
        "group_id": group.id if group else None,
        "group": group.name if group else "",
        "organisation": attendee.organisation,
    }


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
            spoken_at=turn.spoken_dt.isoformat(timespec="seconds") if turn.spoken_dt else None,
            speaker_match=turn.speaker_match.value if turn.speaker_match else None,
            speaker_typed=turn.speaker_typed_name,
            speaker_candidates=[
                _candidate_payload(attendee) for attendee in speaker_candidates_of(turn)
            ]
            if turn.speaker_match is SpeakerMatch.TO_CONFIRM
            else [],
        )
    return payload


def announce_turn(
    turn: Turn, kind: str, *, sequence: int | None = None, order: list[int] | None = None
) -> dict:
    """Tell every screen about ``turn`` as it now is; residents never see a withdrawn one.

    ``order``, every turn's id in the new speaking order, goes with it when the turn moved
    others (one spoken earlier that arrived late): each screen renumbers in the same step.
    Returns the turn as staff screens were told it.
    """
    public = None if turn.is_withdrawn else turn_payload(turn, public=True)
    if public is None and kind != "turn.created":
        # Residents who saw it must see it go.
        public = {"id": turn.id, "withdrawn": True}
    staff_body = {"turn": turn_payload(turn)}
    public_body = {"turn": public} if public is not None else None
    if order is not None:
        staff_body["order"] = order
        public_body = public_body or {}
        withdrawn = set(
            db.session.scalars(
                sa.select(Turn.id).where(
                    Turn.conference_id == turn.conference_id, Turn.withdrawn_dt.is_not(None)
                )
            )
        )
        public_body["order"] = [ident for ident in order if ident not in withdrawn]
    events.emit(turn.conference, kind, staff_body, public_body, sequence=sequence)
    return staff_body["turn"]


# -- changing a turn ----------------------------------------------------------------------------


def _unchanged(turn: Turn, values: dict) -> bool:
    return all(getattr(turn, key) == value for key, value in values.items())


def update_turn(turn: Turn, data: TurnData, *, by: User, expected_version: int) -> Turn:
    """Replace what ``turn`` says with ``data``, if nobody saved it since ``expected_version``.

    Raises TurnConflict (carrying the turn as it now is) when the version moved on; saving
    exactly what the turn already says is no conflict, so a retried edit whose first answer
    was lost succeeds. A save that changes nothing leaves the version and the screens alone.
    """
    conference = turn.conference
    ensure_session_open(conference)
    values = checked_turn_data(conference, data)
    _lock_open_session(conference)
    turn = _locked(turn)
    if (
        values["speaker_name"] != turn.speaker_name
        or values["speaker_attendee"] is not turn.speaker_attendee
    ):
        # A new speaker: typed offline it is matched again; picked or typed online it is clear.
        values.update(matched_speaker(conference, values, data))
    if _unchanged(turn, values):
        return turn
    if turn.version != expected_version:
        raise TurnConflict(
            _(
                "%(name)s saved this turn while you were editing it. Compare both versions "
                "and choose.",
                name=turn.updated_by.display_name if turn.updated_by else _("Someone"),
            ),
            turn=turn,
        )
    if values["outcome"] is not TurnOutcome.REFERRED:
        _keep_started_referral(turn)
    sequence = events.next_sequence(conference)
    for key, value in values.items():
        setattr(turn, key, value)
    _bump(turn, by)
    announce_turn(turn, "turn.updated", sequence=sequence)
    return turn


def _keep_started_referral(turn: Turn) -> None:
    """Refuse to take back a referral its unit has started answering (or that was moved on)."""
    referral = getattr(turn, "referral", None)
    if referral is not None and referral.is_settled:
        raise ValidationFailed(
            _(
                "The unit has already started the written answer to this question: it stays "
                "referred. Ask the chair to settle it on the referral's page."
            ),
            field="outcome",
        )


def _bump(turn: Turn, by: User) -> None:
    turn.version += 1
    turn.updated_by = by
    db.session.flush()


def withdraw_turn(turn: Turn, reason: str, *, by: User) -> Turn:
    """Take ``turn`` out of the record (it keeps its place and its text); say why."""
    reason = normalize_text(reason)
    if not reason:
        raise ValidationFailed(_("Say why the turn is withdrawn."), field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            _("The reason is longer than %(limit)s characters.", limit=MAX_REASON_LENGTH),
            field="reason",
        )
    conference = turn.conference
    _lock_open_session(conference)
    turn = _locked(turn)
    if turn.is_withdrawn:
        return turn
    _keep_started_referral(turn)
    sequence = events.next_sequence(conference)
    turn.withdrawn_dt = utcnow()
    turn.withdrawn_reason = reason
    _bump(turn, by)
    announce_turn(turn, "turn.withdrawn", sequence=sequence)
    return turn


def restore_turn(turn: Turn, *, by: User) -> Turn:
    """Put a withdrawn turn back into the record, in its place."""
    conference = turn.conference
    _lock_open_session(conference)
    turn = _locked(turn)
    if not turn.is_withdrawn:
        return turn
    sequence = events.next_sequence(conference)
    turn.withdrawn_dt = None
    turn.withdrawn_reason = ""
    _bump(turn, by)
    announce_turn(turn, "turn.restored", sequence=sequence)
    return turn


# -- the speaking order -------------------------------------------------------------------------


def list_turns(conference: Conference) -> Sequence[Turn]:
    """Every turn of ``conference``, withdrawn ones included, in speaking order."""
    return db.session.scalars(
        sa.select(Turn)
        .where(Turn.conference_id == conference.id)
        .options(
            joinedload(Turn.speaker_group),
            joinedload(Turn.procedure_area),
            joinedload(Turn.referral_unit),
            joinedload(Turn.updated_by),
        )
        .order_by(Turn.position, Turn.id)
    ).all()


def _apply_order(
    conference: Conference, turns: Sequence[Turn], ids: list[int], *, by: User
) -> bool:
    by_id = {turn.id: turn for turn in turns}
    moved = False
    for position, ident in enumerate(ids, start=1):
        turn = by_id[ident]
        if turn.position != position:
            # The order is not what was said: a move is no conflict with an edit of the
            # text, so it does not raise the version (the audit log still records it).
            turn.position = position
            moved = True
    if not moved:
        return False
    db.session.flush()
    public_order = [ident for ident in ids if not by_id[ident].is_withdrawn]
    events.emit(
        conference,
        "turns.reordered",
        {"order": ids, "by": by.display_name},
        {"order": public_order},
    )
    return True


def reorder_turns(conference: Conference, ids: Sequence[int], *, by: User) -> list[Turn]:
    """Number the conference's turns 1..n in the order of ``ids`` (every turn, once each).

    Raises OrderChanged when ``ids`` is not exactly the conference's turns: someone added
    one meanwhile, and the new order was decided on an old list.
    """
    _lock_open_session(conference)
    turns = list_turns(conference)
    ids = [int(ident) for ident in ids]
    if len(set(ids)) != len(ids) or set(ids) != {turn.id for turn in turns}:
        raise OrderChanged(
            _("The list of turns changed meanwhile. Look at it again, then move the turn.")
        )
    _apply_order(conference, turns, ids, by=by)
    return sorted(turns, key=lambda turn: turn.position)


def move_turn(turn: Turn, offset: int, *, by: User) -> list[Turn]:
    """Move ``turn`` ``offset`` places later (negative: earlier) in the speaking order."""
    conference = turn.conference
    _lock_open_session(conference)
    turns = list(list_turns(conference))
    ids = [each.id for each in turns]
    index = ids.index(turn.id)
    target = max(0, min(len(ids) - 1, index + offset))
    if target != index:
        ids.insert(target, ids.pop(index))
        _apply_order(conference, turns, ids, by=by)
    return sorted(turns, key=lambda each: each.position)


# -- who spoke, who answered --------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """Someone the console offers as the speaker or the answerer of a turn."""

    name: str
    title: str = ""
    attendee_id: int | None = None
    group_id: int | None = None
    group_name: str = ""
    organisation: str = ""
    is_official: bool = False

    @property
    def label(self) -> str:
        """Name and title as the minutes name who answered: "Nguyễn Văn A - Chủ tịch UBND"."""
        return f"{self.name} - {self.title}" if self.title else self.name


def _candidate(attendee: Attendee, *, is_official: bool = False) -> Candidate:
    group = attendee.residential_group
    return Candidate(
        name=attendee.full_name,
        title=attendee.title,
        attendee_id=attendee.id,
        group_id=group.id if group else None,
        group_name=group.name if group else "",
        organisation=attendee.organisation,
        is_official=is_official,
    )


def _present(conference: Conference) -> sa.Select:
    return (
        sa.select(Attendee)
        .where(
            Attendee.conference_id == conference.id,
            Attendee.status == AttendanceStatus.PRESENT,
        )
        .options(joinedload(Attendee.residential_group))
    )


def _searchable(term: str) -> bool:
    return len(fold(term).replace(" ", "")) >= MIN_SEARCH_LENGTH


def speaker_candidates(conference: Conference, term: str, *, limit: int = 10) -> list[Candidate]:
    """Checked-in attendees whose name, title or organisation holds ``term``, diacritics aside."""
    if not _searchable(term):
        return []
    attendees = db.session.scalars(
        _present(conference)
        .where(search_condition(Attendee, term))
        .order_by(Attendee.search_text, Attendee.id)
        .limit(limit)
    ).all()
    return [_candidate(attendee) for attendee in attendees]


def answerer_candidates(
    conference: Conference, term: str = "", *, limit: int = 12
) -> list[Candidate]:
    """Who may have answered: the chair, co-chairs and reporter first, then people present.

    A leader not checked in at the door is still offered by name (the chair rarely queues at
    the desk); without ``term``, the leaders and the present attendees holding a title.
    """
    leaders = [
        person
        for person in [conference.chair, *conference.cochairs, conference.reporter]
        if person is not None
    ]
    leaders = list(dict.fromkeys(leaders))
    leader_ids = {person.id for person in leaders}
    folded = fold(term)
    stmt = _present(conference)
    if folded:
        if not _searchable(term):
            return []
        stmt = stmt.where(search_condition(Attendee, term))
    else:
        stmt = stmt.where(sa.or_(Attendee.title != "", Attendee.person_id.in_(leader_ids or [0])))
    attendees = db.session.scalars(
        stmt.order_by(Attendee.search_text, Attendee.id).limit(MAX_ANSWERER_ROWS)
    ).all()
    present_leaders = {a.person_id: a for a in attendees if a.person_id in leader_ids}
    words = folded.split()
    first: list[Candidate] = []
    for person in leaders:
        attendee = present_leaders.get(person.id)
        if attendee is not None:
            first.append(_candidate(attendee, is_official=True))
        elif all(word in fold(f"{person.full_name} {person.title}") for word in words):
            first.append(Candidate(name=person.full_name, title=person.title, is_official=True))
    others = [
        _candidate(attendee) for attendee in attendees if attendee.person_id not in leader_ids
    ]
    return (first + others)[:limit]
