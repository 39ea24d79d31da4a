"""Supports for residents' questions before the meeting: "Tôi cũng quan tâm".

A moderator shows a waiting question publicly (``questions.operations.show_question``); from
then until the conference closes anyone may support it, once per device. The count on the
question is kept by an atomic ``UPDATE … SET support_count = support_count ± 1`` in the same
transaction as the row of the support, so two phones pressing at once both count, and the
same phone pressing twice counts once. Supports take no lock on the conference: a hall full
of phones never holds up the secretaries saving turns.

The public list shows the question's text, its residential group and procedure area, never
the sender's name or contact.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.db import utcnow
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.feedback.models import QuestionSupport
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.questions.operations import accepts_questions, fate_of


class SupportsClosed(DialogueError):
    """The conference no longer takes supports (it is over, or was cancelled)."""


class NotSupportable(DialogueError):
    """The question is listed but cannot be supported any more (already taken up)."""


@dataclass(frozen=True)
class Supported:
    """What a support or a withdrawal did: ``changed`` is False when it was already so."""

    question_id: int
    is_supported: bool
    changed: bool
    count: int


@dataclass(frozen=True)
class ListedQuestion:
    """A question as the public list shows it: nothing of its sender."""

    id: int
    text: str
    group: str
    area: str
    count: int
    is_waiting: bool
    # Accepted as a turn, or merged with a question or turn that was.
    is_taken_up: bool
    # Merged with a similar question still waiting: supports go to that one.
    is_merged: bool = False


def takes_supports(conference: Conference) -> bool:
    """The list is open, and supports counted, from the announcement until the conference closes."""
    return accepts_questions(conference)


def closed_message(conference: Conference) -> str:
    """Why the list no longer takes supports, as residents read it."""
    if not conference.is_public:
        return _("This conference has not been announced yet.")
    if conference.status is ConferenceStatus.CANCELLED:
        return _("This conference has been cancelled.")
    return _(
        "This conference is over: its questions can no longer be supported. "
        "The questions asked and the answers given are on the conference's page."
    )


def is_listed(question: ResidentQuestion) -> bool:
    """Shown by a moderator and not turned down (nor merged with a question turned down)."""
    return question.is_shown_publicly and not fate_of(question).is_rejected


def _listed_rows(conference: Conference) -> list[ResidentQuestion]:
    return list(
        db.session.scalars(
            sa.select(ResidentQuestion)
            .where(
                ResidentQuestion.conference_id == conference.id,
                ResidentQuestion.is_shown_publicly.is_(True),
                ResidentQuestion.status != QuestionStatus.REJECTED,
            )
            .order_by(
                ResidentQuestion.support_count.desc(),
                ResidentQuestion.created_dt,
                ResidentQuestion.id,
            )
            .options(
                sa.orm.joinedload(ResidentQuestion.residential_group),
                sa.orm.joinedload(ResidentQuestion.procedure_area),
            )
        )
    )


def public_list(conference: Conference, *, locale: str) -> list[ListedQuestion]:
    """The shown questions, most supported first, then the oldest."""
    listed = []
    for question in _listed_rows(conference):
        fate = fate_of(question)
        if fate.is_rejected:
            continue
        group = question.residential_group
        area = question.procedure_area
        listed.append(
            ListedQuestion(
                id=question.id,
                text=question.question,
                group=group.name if group else "",
                area=area.name_for(locale) if area else "",
                count=question.support_count,
                is_waiting=question.status is QuestionStatus.WAITING,
                is_taken_up=fate.is_taken_up,
                is_merged=fate.merged and not fate.is_taken_up,
            )
        )
    return listed


def support_counts(conference: Conference) -> dict[int, int]:
    """{question id: supports} of the conference's shown questions."""
    rows = db.session.execute(
        sa.select(ResidentQuestion.id, ResidentQuestion.support_count).where(
            ResidentQuestion.conference_id == conference.id,
            ResidentQuestion.is_shown_publicly.is_(True),
            ResidentQuestion.status != QuestionStatus.REJECTED,
        )
    )
    return {ident: count for ident, count in rows}


def supported_by(conference: Conference, device_key: str | None) -> list[int]:
    """The ids of the conference's questions this device supports."""
    if not device_key:
        return []
    return list(
        db.session.scalars(
            sa.select(QuestionSupport.question_id)
            .join(ResidentQuestion, ResidentQuestion.id == QuestionSupport.question_id)
            .where(
                ResidentQuestion.conference_id == conference.id,
                QuestionSupport.device_key == device_key,
            )
            .order_by(QuestionSupport.question_id)
        )
    )


def _ensure_open(question: ResidentQuestion) -> None:
    if not takes_supports(question.conference):
        raise SupportsClosed(closed_message(question.conference))


def _count_by(question_id: int, step: int) -> int:
    return db.session.execute(
        sa.update(ResidentQuestion)
        .where(ResidentQuestion.id == question_id)
        .values(support_count=ResidentQuestion.support_count + step)
        .returning(ResidentQuestion.support_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _current_count(question_id: int) -> int:
    return db.session.scalar(
        sa.select(ResidentQuestion.support_count).where(ResidentQuestion.id == question_id)
    )


def _settle(question: ResidentQuestion, count: int) -> None:
    # The row was changed behind the session's back: what it holds now is the count read.
    sa.orm.attributes.set_committed_value(question, "support_count", count)


def support_question(question: ResidentQuestion, device_key: str) -> Supported:
    """Count ``device_key``'s support for ``question``; supporting again changes nothing.

    The caller has checked that the question is listed (:func:`is_listed`).
    """
    _ensure_open(question)
    if question.status is not QuestionStatus.WAITING:
        raise NotSupportable(
            _(
                "This question has already been taken up at the conference: "
                "it needs no more support."
            )
        )
    try:
        with db.session.begin_nested():
            db.session.execute(
                sa.insert(QuestionSupport).values(
                    question_id=question.id, device_key=device_key, created_dt=utcnow()
                )
            )
            count = _count_by(question.id, +1)
    except sa.exc.IntegrityError:
        # This device supports it already (perhaps from another tab at the same moment).
        count = _current_count(question.id)
        _settle(question, count)
        return Supported(question.id, is_supported=True, changed=False, count=count)
    _settle(question, count)
    return Supported(question.id, is_supported=True, changed=True, count=count)


def withdraw_support(question: ResidentQuestion, device_key: str) -> Supported:
    """Take ``device_key``'s support back; withdrawing what is not there changes nothing."""
    _ensure_open(question)
    removed = db.session.execute(
        sa.delete(QuestionSupport)
        .where(
            QuestionSupport.question_id == question.id,
            QuestionSupport.device_key == device_key,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    count = _count_by(question.id, -1) if removed else _current_count(question.id)
    _settle(question, count)
    return Supported(question.id, is_supported=False, changed=bool(removed), count=count)
