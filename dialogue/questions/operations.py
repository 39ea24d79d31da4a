"""Receiving residents' questions, and moderating them into the conference's speaking turns.

A question comes from a public form, so every rule is checked here again: the ward's own
groups and areas only, no link farms, no flood of the same text. The sender's name and
contact stay on the staff side: :func:`question_payload` is for staff screens only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _

from dialogue.auth.models import Role, User
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.core.text import fold, normalize_text
from dialogue.errors import DialogueError, ValidationFailed
from dialogue.extensions import db
from dialogue.live import events
from dialogue.live.models import Turn
from dialogue.live.operations import TurnData, ensure_session_open, log_turn
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.wards.models import ProcedureArea, ResidentialGroup

# A question read out in a hall, not an essay; the secretaries can still edit the turn.
MAX_QUESTION_LENGTH = 2000
MAX_NAME_LENGTH = 120
MAX_CONTACT_LENGTH = 200
MAX_REASON_LENGTH = 500
# Real questions quote a web page now and then; spam carries many links.
MAX_LINKS = 2
# The same text again within this time is a repeat, not a new question.
DUPLICATE_WINDOW = timedelta(minutes=30)
# Moderated questions shown under the queue.
RECENT_DECISIONS = 20
# How much of a text a merge choice shows.
SNIPPET_LENGTH = 80

OPEN_FOR_QUESTIONS = frozenset({ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS})
# Before the meeting duplicates can be merged and off-topic questions turned down; after it,
# the secretaries can still tell senders why their question was not reached.
OPEN_FOR_MODERATION = frozenset(
    {ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS, ConferenceStatus.CLOSED}
)

_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().-]+$")
_PHONE_DIGITS = (8, 15)


class QuestionsClosed(DialogueError):
    """The conference does not take (or no longer takes) this action on questions."""


class AlreadyModerated(DialogueError):
    """Another secretary decided first."""


@dataclass
class QuestionData:
    """What a resident typed into the question form; ids are checked against the ward."""

    question: str
    asker_name: str = ""
    residential_group_id: int | None = None
    procedure_area_id: int | None = None
    contact: str = ""
    has_contact_consent: bool = False


@dataclass(frozen=True)
class Received:
    """What :func:`receive_question` did: ``created`` is False for a repeat of the same form."""

    question: ResidentQuestion
    created: bool


# -- who and when ----------------------------------------------------------------------------


def accepts_questions(conference: Conference) -> bool:
    # A conference recorded afterwards was over long before it was entered here.
    return conference.status in OPEN_FOR_QUESTIONS and not conference.is_recorded_afterwards


def closed_message(conference: Conference) -> str:
    """Why the form is closed, as residents read it."""
    if conference.status is ConferenceStatus.CANCELLED:
        return _("This conference has been cancelled: it no longer takes questions.")
    if conference.status is ConferenceStatus.DRAFT:
        return _("This conference has not been announced yet.")
    return _(
        "This conference is over: it no longer takes questions. You can send your question "
        "to the ward office, or ask at the next conference."
    )


def can_moderate(conference: Conference, user: User) -> bool:
    """Organisers of the ward, the conference's own secretaries, and administrators."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if user.ward_id != conference.ward_id:
        return False
    return user.role is Role.ORGANISER or (
        user.role is Role.SECRETARY and conference.has_secretary(user)
    )


def _ensure_moderation_open(conference: Conference) -> None:
    if conference.status not in OPEN_FOR_MODERATION:
        raise QuestionsClosed(
            _(
                "The conference is %(status)s: its questions can no longer be moderated.",
                status=conference.status.title.lower(),
            )
        )


# -- receiving -------------------------------------------------------------------------------


def clean_text(value: str | None) -> str:
    """Normalise typed text and drop control characters a browser never sends (NUL and kin)."""
    if not value:
        return ""
    kept = "".join(
        ch for ch in value if ch in "\t\n\r" or unicodedata.category(ch) not in {"Cc", "Cf"}
    )
    return normalize_text(kept)


def checked_contact(value: str) -> str:
    """Return the contact as typed if it looks like a phone number or an e-mail address."""
    contact = clean_text(value)
    if not contact:
        return ""
    if len(contact) > MAX_CONTACT_LENGTH:
        raise ValidationFailed(
            _("The contact is longer than %(limit)s characters.", limit=MAX_CONTACT_LENGTH),
            field="contact",
        )
    if "@" in contact:
        if _EMAIL.match(contact):
            return contact
    elif _PHONE.match(contact):
        digits = sum(ch.isdigit() for ch in contact)
        if _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]:
            return contact
    raise ValidationFailed(
        _("Write a phone number (such as 0912 345 678) or an e-mail address, or leave it empty."),
        field="contact",
    )


def _group(conference: Conference, ident: int | None) -> ResidentialGroup | None:
    if ident is None:
        return None
    group = db.session.get(ResidentialGroup, ident)
    if group is None or group.ward_id != conference.ward_id:
        raise ValidationFailed(
            _("This residential group is not one of the ward's. Choose it from the list."),
            field="residential_group_id",
        )
    return group


def _area(conference: Conference, ident: int | None) -> ProcedureArea | None:
    if ident is None:
        return None
    area = db.session.get(ProcedureArea, ident)
    if area is None or area.ward_id != conference.ward_id or not area.is_active:
        raise ValidationFailed(
            _("This procedure area is not in the ward's list. Choose it from the list."),
            field="procedure_area_id",
        )
    return area


def count_links(text: str) -> int:
    return len(_LINK.findall(text))


def _form_token(conference: Conference, form_key: str, question: str) -> str:
    """The follow token of a question sent from one form: the same form and text, the same token.

    A double click or a resent page then finds the question it already made, and the sender
    gets the same private link. The key is random and signed with the app's secret, so nobody
    can work out another sender's token from what they know.
    """
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else secret
    message = f"{conference.id}\n{form_key}\n{question}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def find_by_token(token: str) -> ResidentQuestion | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        sa.select(ResidentQuestion).where(ResidentQuestion.follow_token == token)
    )


def _recent_duplicate(conference: Conference, question: str) -> ResidentQuestion | None:
    since = utcnow() - DUPLICATE_WINDOW
    folded = fold(question)
    recent = db.session.scalars(
        sa.select(ResidentQuestion).where(
            ResidentQuestion.conference_id == conference.id,
            ResidentQuestion.created_dt >= since,
        )
    )
    return next((other for other in recent if fold(other.question) == folded), None)


def receive_question(
    conference: Conference, data: QuestionData, *, form_key: str | None = None
) -> Received:
    """Put a resident's question in the moderation queue; a repeat of the same form changes nothing."""
    if not accepts_questions(conference):
        raise QuestionsClosed(closed_message(conference))
    question = clean_text(data.question)
    token = _form_token(conference, form_key, question) if form_key else None
    if token is not None:
        existing = find_by_token(token)
        if existing is not None:
            return Received(existing, created=False)
    if not question:
        raise ValidationFailed(_("Write your question."), field="question")
    if len(question) > MAX_QUESTION_LENGTH:
        raise ValidationFailed(
            _(
                "Your question is %(length)s characters long; the limit is %(limit)s. "
                "Shorten it a little.",
                length=format_decimal(len(question)),
                limit=format_decimal(MAX_QUESTION_LENGTH),
            ),
            field="question",
        )
    asker_name = clean_text(data.asker_name)
    if len(asker_name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            _("The name is longer than %(limit)s characters.", limit=MAX_NAME_LENGTH),
            field="asker_name",
        )
    group = _group(conference, data.residential_group_id)
    area = _area(conference, data.procedure_area_id)
    contact = checked_contact(data.contact)
    if contact and not data.has_contact_consent:
        raise ValidationFailed(
            _("Tick this box so that we may keep your contact, or clear the contact box."),
            field="has_contact_consent",
        )
    if count_links(question) + count_links(asker_name) > MAX_LINKS:
        raise ValidationFailed(
            _(
                "Your question holds more than %(limit)s web links. "
                "Keep at most %(limit)s and describe the rest in words.",
                limit=MAX_LINKS,
            ),
            field="question",
        )
    duplicate = _recent_duplicate(conference, question)
    if duplicate is not None and token is not None and duplicate.follow_token == token:
        # The same form, sent again while the first copy was being saved.
        return Received(duplicate, created=False)
    if duplicate is not None:
        raise ValidationFailed(
            _(
                "The same question was sent to this conference a short while ago; "
                "it is already waiting for the secretaries."
            ),
            field="question",
        )
    record = ResidentQuestion(
        conference=conference,
        asker_name=asker_name,
        residential_group=group,
        procedure_area=area,
        question=question,
        contact=contact,
        has_contact_consent=bool(contact),
        is_during_meeting=conference.status is ConferenceStatus.IN_PROGRESS,
    )
    if token is not None:
        record.follow_token = token
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except sa.exc.IntegrityError:
        # The same form sent twice at once: the other request made it first.
        existing = find_by_token(token) if token is not None else None
        if existing is None:
            raise
        return Received(existing, created=False)
    events.emit(conference, "question.received", {"question": question_payload(record)}, None)
    return Received(record, created=True)


# -- moderating ------------------------------------------------------------------------------


def _locked(question: ResidentQuestion) -> ResidentQuestion:
    """Reload ``question`` under a row lock, so two secretaries deciding at once take turns.

    The conference's row is locked first, as every change of its turns does, so a decision,
    a save of a turn and the closing of the session never wait on each other in a circle;
    its status is read again under that lock.
    """
    conference = question.conference
    status = db.session.scalar(
        sa.select(Conference.status).where(Conference.id == conference.id).with_for_update()
    )
    if status is not None and status is not conference.status:
        sa.orm.attributes.set_committed_value(conference, "status", status)
    return db.session.scalars(
        sa.select(ResidentQuestion)
        .where(ResidentQuestion.id == question.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _ensure_waiting(question: ResidentQuestion) -> None:
    if question.status is not QuestionStatus.WAITING:
        raise AlreadyModerated(
            _(
                "This question has already been moderated: %(status)s.",
                status=question.status.title.lower(),
            )
        )


def _decided(question: ResidentQuestion, status: QuestionStatus, by: User) -> None:
    question.status = status
    question.moderated_by = by
    question.moderated_dt = utcnow()
    db.session.flush()
    events.emit(
        question.conference, "question.moderated", {"question": question_payload(question)}, None
    )


def accept_question(question: ResidentQuestion, *, by: User) -> ResidentQuestion:
    """Make the question a speaking turn at the end of the order; accepting twice is harmless."""
    question = _locked(question)
    conference = question.conference
    if question.status is QuestionStatus.ACCEPTED and question.turn is not None:
        return question
    _ensure_waiting(question)
    ensure_session_open(conference)
    logged = log_turn(
        conference,
        TurnData(
            question=question.question,
            # No name: residents see the turn as "Công dân tổ dân phố số 9".
            speaker_name="",
            speaker_group_id=question.residential_group_id,
            procedure_area_id=question.procedure_area_id,
        ),
        by=by,
        client_key=f"question-{question.id}",
    )
    question.turn = logged.turn
    _decided(question, QuestionStatus.ACCEPTED, by)
    return question


def _root(question: ResidentQuestion) -> ResidentQuestion:
    """Follow merges to the question whose fate the others share."""
    seen = {question.id}
    while question.status is QuestionStatus.MERGED and question.merged_into is not None:
        question = question.merged_into
        if question.id in seen:
            break
        seen.add(question.id)
    return question


def merge_question(
    question: ResidentQuestion,
    *,
    into_question: ResidentQuestion | None = None,
    into_turn: Turn | None = None,
    by: User,
) -> ResidentQuestion:
    """Let ``question`` share the fate of a similar question, or of a turn already logged."""
    question = _locked(question)
    conference = question.conference
    _ensure_moderation_open(conference)
    _ensure_waiting(question)
    if (into_question is None) == (into_turn is None):
        raise ValidationFailed(
            _("Choose the question or the turn to merge it with."), field="target"
        )
    if into_turn is not None:
        if into_turn.conference_id != conference.id:
            raise ValidationFailed(_("This turn is not one of this conference's."), field="target")
        if into_turn.is_withdrawn:
            raise ValidationFailed(_("This turn has been withdrawn."), field="target")
        question.turn = into_turn
        question.merged_into = None
    else:
        if into_question.conference_id != conference.id:
            raise ValidationFailed(
                _("This question is not one of this conference's."), field="target"
            )
        root = _root(into_question)
        if root.id == question.id:
            raise ValidationFailed(_("A question cannot be merged with itself."), field="target")
        if root.status is QuestionStatus.REJECTED:
            raise ValidationFailed(
                _("That question was not taken up: turn this one down too, with a reason."),
                field="target",
            )
        question.merged_into = into_question
        question.turn = None
    _decided(question, QuestionStatus.MERGED, by)
    return question


def reject_question(question: ResidentQuestion, reason: str, *, by: User) -> ResidentQuestion:
    """Turn the question down; the sender reads ``reason`` on their private page."""
    question = _locked(question)
    _ensure_moderation_open(question.conference)
    _ensure_waiting(question)
    reason = clean_text(reason)
    if not reason:
        raise ValidationFailed(_("Write the reason: the sender will read it."), field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            _("The reason is longer than %(limit)s characters.", limit=MAX_REASON_LENGTH),
            field="reason",
        )
    question.reject_reason = reason
    _decided(question, QuestionStatus.REJECTED, by)
    return question


# -- shown publicly, for residents to support ------------------------------------------------


def show_question(question: ResidentQuestion, *, by: User) -> ResidentQuestion:
    """Let residents read the question (without its sender) and support it; twice is harmless."""
    question = _locked(question)
    conference = question.conference
    if not accepts_questions(conference):
        raise QuestionsClosed(
            _(
                "The conference is %(status)s: its questions are no longer shown for support.",
                status=conference.status.title.lower(),
            )
        )
    _ensure_waiting(question)
    if question.is_shown_publicly:
        return question
    question.is_shown_publicly = True
    question.shown_dt = utcnow()
    _shown_changed(question)
    return question


def hide_question(question: ResidentQuestion, *, by: User) -> ResidentQuestion:
    """Take the question off the public list, whatever became of it; its supports are kept."""
    question = _locked(question)
    if not question.is_shown_publicly:
        return question
    question.is_shown_publicly = False
    _shown_changed(question)
    return question


def _shown_changed(question: ResidentQuestion) -> None:
    db.session.flush()
    # The same kind as a decision: every staff screen already redraws the question on it.
    events.emit(
        question.conference, "question.moderated", {"question": question_payload(question)}, None
    )


# -- what the sender sees --------------------------------------------------------------------


@dataclass(frozen=True)
class Fate:
    """What became of a question, merges followed: still waiting, a turn, or turned down."""

    status: QuestionStatus
    turn: Turn | None = None
    reason: str = ""
    merged: bool = False

    @property
    def is_waiting(self) -> bool:
        return self.status is QuestionStatus.WAITING

    @property
    def is_taken_up(self) -> bool:
        return self.turn is not None

    @property
    def is_rejected(self) -> bool:
        return self.status is QuestionStatus.REJECTED


def fate_of(question: ResidentQuestion) -> Fate:
    merged = question.status is QuestionStatus.MERGED
    root = _root(question)
    if root.turn is not None and root.status in {QuestionStatus.ACCEPTED, QuestionStatus.MERGED}:
        return Fate(QuestionStatus.ACCEPTED, turn=root.turn, merged=merged)
    if root.status is QuestionStatus.REJECTED:
        return Fate(QuestionStatus.REJECTED, reason=root.reject_reason, merged=merged)
    return Fate(QuestionStatus.WAITING, merged=merged)


# -- what staff screens show -----------------------------------------------------------------


def question_payload(question: ResidentQuestion) -> dict:
    """The question as the moderation queue shows it: staff only, the sender's name included."""
    group = question.residential_group
    area = question.procedure_area
    received = question.created_dt or utcnow()
    local = to_local(received, question.conference.ward.timezone)
    return {
        "id": question.id,
        "conference": question.conference_id,
        "status": question.status.value,
        "status_title": str(question.status.title),
        "group": {"id": group.id, "name": group.name} if group else None,
        "area": {"id": area.id, "code": area.code, "name": area.name_vi} if area else None,
        "question": question.question,
        "received": received.isoformat(),
        "received_local": local.strftime("%H:%M %d/%m/%Y"),
        "is_during_meeting": question.is_during_meeting,
        "asker_name": question.asker_name,
        # Kept only with consent; the check is repeated so a payload never carries it otherwise.
        "contact": question.contact if question.has_contact_consent else "",
        "turn_id": question.turn_id,
        "turn_position": question.turn.position if question.turn else None,
        "merged_into_id": question.merged_into_id,
        "reject_reason": question.reject_reason,
        "moderated_by": question.moderated_by.display_name if question.moderated_by else "",
        "moderated": question.moderated_dt.isoformat() if question.moderated_dt else None,
        "is_shown_publicly": question.is_shown_publicly,
        "support_count": question.support_count,
    }


def waiting_questions(conference: Conference) -> list[ResidentQuestion]:
    """The queue: the most supported first, so the chair can take them first; then questions
    sent during the meeting, then those sent before; oldest first."""
    return list(
        db.session.scalars(
            sa.select(ResidentQuestion)
            .where(
                ResidentQuestion.conference_id == conference.id,
                ResidentQuestion.status == QuestionStatus.WAITING,
            )
            .order_by(
                ResidentQuestion.support_count.desc(),
                ResidentQuestion.is_during_meeting.desc(),
                ResidentQuestion.created_dt,
                ResidentQuestion.id,
            )
        )
    )


def queue_payload(conference: Conference) -> list[dict]:
    """The waiting questions as staff screens receive them (the staff snapshot carries it)."""
    return [question_payload(question) for question in waiting_questions(conference)]


def count_questions(conference: Conference) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(ResidentQuestion.status, sa.func.count())
        .where(ResidentQuestion.conference_id == conference.id)
        .group_by(ResidentQuestion.status)
    ).all()
    by_status = {status: count for status, count in rows}
    return {
        "waiting": by_status.get(QuestionStatus.WAITING, 0),
        "total": sum(by_status.values()),
    }


def recent_decisions(conference: Conference, limit: int = RECENT_DECISIONS) -> list:
    return list(
        db.session.scalars(
            sa.select(ResidentQuestion)
            .where(
                ResidentQuestion.conference_id == conference.id,
                ResidentQuestion.status != QuestionStatus.WAITING,
            )
            .order_by(ResidentQuestion.moderated_dt.desc(), ResidentQuestion.id.desc())
            .limit(limit)
        )
    )


def snippet(text: str, length: int = SNIPPET_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def merge_turns(conference: Conference) -> list[dict]:
    """The turns a question can be merged with: every turn not withdrawn, in speaking order."""
    turns = db.session.scalars(
        sa.select(Turn)
        .where(Turn.conference_id == conference.id, Turn.withdrawn_dt.is_(None))
        .order_by(Turn.position, Turn.id)
    )
    return [
        {"id": turn.id, "position": turn.position, "question": snippet(turn.question)}
        for turn in turns
    ]
