"""Ratings of answers and the conference's satisfaction survey.

Nothing here says who answered: a rating or an online survey answer carries the keyed hash of
a random device identifier (``feedback.device``), which lets a device change its own answer and
keeps it from counting twice, and says nothing about the person. Paper forms carry the account
of the staff member who typed them in.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column, utcnow
from dialogue.extensions import db
from dialogue.live.models import Turn

DEVICE_KEY_LENGTH = 64
MAX_COMMENT_LENGTH = 500


class RatingLevel(TitledEnum):
    """The three levels offices use for one answer."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"

    @property
    def title(self) -> str:
        return {
            RatingLevel.VERY_SATISFIED: _l("Very satisfied"),
            RatingLevel.SATISFIED: _l("Satisfied"),
            RatingLevel.DISSATISFIED: _l("Not satisfied"),
        }[self]

    @property
    def is_satisfied(self) -> bool:
        return self is not RatingLevel.DISSATISFIED


class AnswerKind(TitledEnum):
    """Which answer of a turn is rated: the one given in the hall, or the written one."""

    SPOKEN = "spoken"
    WRITTEN = "written"

    @property
    def title(self) -> str:
        return {
            AnswerKind.SPOKEN: _l("Answer at the conference"),
            AnswerKind.WRITTEN: _l("Written answer"),
        }[self]


class ResponseSource(TitledEnum):
    ONLINE = "online"
    PAPER = "paper"

    @property
    def title(self) -> str:
        return {
            ResponseSource.ONLINE: _l("Online"),
            ResponseSource.PAPER: _l("Paper form"),
        }[self]


class AnswerRating(TimestampMixin, db.Model):
    """One device's judgement of one answer; changing it rewrites the row."""

    __tablename__ = "answer_ratings"
    __table_args__ = (
        sa.UniqueConstraint("turn_id", "kind", "device_key"),
        sa.Index("ix_answer_ratings_conference_kind", "conference_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The turn's conference, kept here so that a conference's ratings are read by one index.
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id", ondelete="CASCADE"))
    turn_id: Mapped[int] = mapped_column(sa.ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AnswerKind] = mapped_column(enum_column(AnswerKind, "answer_kind"))
    device_key: Mapped[str] = mapped_column(sa.String(DEVICE_KEY_LENGTH))
    level: Mapped[RatingLevel] = mapped_column(enum_column(RatingLevel, "rating_level"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Given through the private link of the resident whose question it answers.
    is_asker: Mapped[bool] = mapped_column(default=False)

    conference: Mapped[Conference] = relationship()
    turn: Mapped[Turn] = relationship()

    def __repr__(self) -> str:
        return f"<AnswerRating {self.id} turn={self.turn_id} {self.kind.value} {self.level.value}>"


class SurveyElement(TitledEnum):
    """The five SIPAS elements, in their order."""

    ACCESS = "access"
    PROCEDURES = "procedures"
    OFFICIALS = "officials"
    RESULTS = "results"
    FEEDBACK = "feedback"

    @property
    def title(self) -> str:
        return {
            SurveyElement.ACCESS: _l("Access to the service"),
            SurveyElement.PROCEDURES: _l("The administrative procedures"),
            SurveyElement.OFFICIALS: _l("The officials who handled the matter"),
            SurveyElement.RESULTS: _l("The results"),
            SurveyElement.FEEDBACK: _l("How comments and complaints are handled"),
        }[self]


class LikertLevel(TitledEnum):
    """The five-level scale of the survey, stored as 1 (worst) to 5 (best)."""

    VERY_SATISFIED = "5"
    SATISFIED = "4"
    NEUTRAL = "3"
    DISSATISFIED = "2"
    VERY_DISSATISFIED = "1"

    @property
    def score(self) -> int:
        return int(self.value)

    @property
    def title(self) -> str:
        return {
            LikertLevel.VERY_SATISFIED: _l("Very satisfied"),
            LikertLevel.SATISFIED: _l("Satisfied"),
            LikertLevel.NEUTRAL: _l("Neither satisfied nor dissatisfied"),
            LikertLevel.DISSATISFIED: _l("Not satisfied"),
            LikertLevel.VERY_DISSATISFIED: _l("Very dissatisfied"),
        }[self]


# "Số lần phải đi lại": 0, 1, or 2 and more (stored as 2).
VISITS_CHOICES = (0, 1, 2)


class Survey(TimestampMixin, db.Model):
    """A conference's survey: its questions as the ward worded them and when it closes.

    It opens when the conference starts. The questions are copied from the ward's previous
    survey, or from the Vietnamese default, and may be edited until the first answer arrives.
    """

    __tablename__ = "surveys"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), unique=True
    )
    # The last day answers are taken, in the ward's calendar.
    closes_on: Mapped[date]
    # {element code, "visits", "comment": the question as residents read it}
    questions: Mapped[dict] = mapped_column(sa.JSON)

    conference: Mapped[Conference] = relationship()

    def question(self, code: str) -> str:
        return self.questions.get(code, "")

    @property
    def ward_id(self) -> int | None:
        # The audit log files a change of the survey under its conference's ward.
        return self.conference.ward_id if self.conference is not None else None

    def __repr__(self) -> str:
        return f"<Survey {self.id} conference={self.conference_id} closes {self.closes_on}>"


class SurveyResponse(TimestampMixin, db.Model):
    """One filled-in survey form, online (one per device, changeable) or typed from paper."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        sa.UniqueConstraint("conference_id", "device_key"),
        *(
            sa.CheckConstraint(f"{element.value} BETWEEN 1 AND 5", name=f"{element.value}_score")
            for element in SurveyElement
        ),
        sa.CheckConstraint("visits BETWEEN 0 AND 2", name="visits_range"),
        sa.Index("ix_survey_responses_conference_source", "conference_id", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id", ondelete="CASCADE"))
    source: Mapped[ResponseSource] = mapped_column(enum_column(ResponseSource, "response_source"))
    # Online answers only; paper forms have none (NULLs never collide in the unique key).
    device_key: Mapped[str | None] = mapped_column(sa.String(DEVICE_KEY_LENGTH))
    # Each element 1..5, None when the question was left blank.
    access: Mapped[int | None] = mapped_column(sa.SmallInteger)
    procedures: Mapped[int | None] = mapped_column(sa.SmallInteger)
    officials: Mapped[int | None] = mapped_column(sa.SmallInteger)
    results: Mapped[int | None] = mapped_column(sa.SmallInteger)
    feedback: Mapped[int | None] = mapped_column(sa.SmallInteger)
    visits: Mapped[int | None] = mapped_column(sa.SmallInteger)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Paper: who typed the form in, and its number in the stack (written on the form).
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    paper_number: Mapped[int | None]

    conference: Mapped[Conference] = relationship()
    entered_by: Mapped[User | None] = relationship()

    def score(self, element: SurveyElement) -> int | None:
        return getattr(self, element.value)

    def __repr__(self) -> str:
        return f"<SurveyResponse {self.id} conference={self.conference_id} {self.source.value}>"


class QuestionSupport(db.Model):
    """ "Tôi cũng quan tâm": one device's support for a question shown publicly."""

    __tablename__ = "question_supports"
    __table_args__ = (sa.UniqueConstraint("question_id", "device_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("resident_questions.id", ondelete="CASCADE")
    )
    device_key: Mapped[str] = mapped_column(sa.String(DEVICE_KEY_LENGTH))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<QuestionSupport {self.id} question={self.question_id}>"
