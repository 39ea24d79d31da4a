"""Questions residents send from the public form, before or during the conference."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from dialogue.extensions import db
from dialogue.live.models import Turn
from dialogue.wards.models import ProcedureArea, ResidentialGroup


class QuestionStatus(TitledEnum):
    WAITING = "waiting"
    ACCEPTED = "accepted"
    MERGED = "merged"
    REJECTED = "rejected"

    @property
    def title(self) -> str:
        return {
            QuestionStatus.WAITING: _l("Waiting for the secretary"),
            QuestionStatus.ACCEPTED: _l("Taken up at the conference"),
            QuestionStatus.MERGED: _l("Taken up with a similar question"),
            QuestionStatus.REJECTED: _l("Not taken up"),
        }[self]


def new_follow_token() -> str:
    """The secret part of the sender's private link."""
    return secrets.token_urlsafe(24)


class ResidentQuestion(TimestampMixin, db.Model):
    """A question sent from a phone; the secretaries accept it as a turn, merge or reject it.

    The sender's name and contact are personal data: they never reach a public page, the
    live feed or a document, and the contact is kept only with the sender's consent.
    """

    __tablename__ = "resident_questions"
    __audited__ = True
    # The private link is a credential: the audit log says it exists, never what it is. The
    # sender's name and contact are kept out of it too, so they leave with the question.
    __audit_secret__ = frozenset({"follow_token", "asker_name", "contact"})

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    asker_name: Mapped[str] = mapped_column(sa.String(120), default="")
    residential_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("residential_groups.id", ondelete="SET NULL"), index=True
    )
    procedure_area_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedure_areas.id", ondelete="SET NULL"), index=True
    )
    question: Mapped[str] = mapped_column(sa.Text)
    # Phone or e-mail, kept only when the sender ticked the consent sentence.
    contact: Mapped[str] = mapped_column(sa.String(200), default="")
    has_contact_consent: Mapped[bool] = mapped_column(default=False)
    follow_token: Mapped[str] = mapped_column(sa.String(40), unique=True, default=new_follow_token)
    # Sent while the conference was running (shown first in the queue) or beforehand.
    is_during_meeting: Mapped[bool] = mapped_column(default=False)

    status: Mapped[QuestionStatus] = mapped_column(
        enum_column(QuestionStatus, "question_status"), default=QuestionStatus.WAITING
    )
    turn_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("turns.id", ondelete="SET NULL"), index=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("resident_questions.id", ondelete="SET NULL"), index=True
    )
    reject_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # A moderator let residents see it (without the sender's name) and support it.
    is_shown_publicly: Mapped[bool] = mapped_column(default=False)
    shown_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Devices that said "Tôi cũng quan tâm" (feedback.QuestionSupport), counted as they come.
    support_count: Mapped[int] = mapped_column(default=0)
    moderated_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    conference: Mapped[Conference] = relationship()
    residential_group: Mapped[ResidentialGroup | None] = relationship()
    procedure_area: Mapped[ProcedureArea | None] = relationship()
    turn: Mapped[Turn | None] = relationship()
    merged_into: Mapped[ResidentQuestion | None] = relationship(remote_side=[id])
    moderated_by: Mapped[User | None] = relationship()

    @property
    def ward_id(self) -> int:
        return self.conference.ward_id

    def __repr__(self) -> str:
        return f"<ResidentQuestion {self.id} {self.status.value}>"
