"""Conferences and their life cycle."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.auth.models import Role, User
from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards.models import Ward, WardScopedMixin


class ConferenceStatus(TitledEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @property
    def title(self) -> str:
        return {
            ConferenceStatus.DRAFT: _l("Draft"),
            ConferenceStatus.ANNOUNCED: _l("Announced"),
            ConferenceStatus.IN_PROGRESS: _l("In progress"),
            ConferenceStatus.CLOSED: _l("Closed"),
            ConferenceStatus.PUBLISHED: _l("Minutes published"),
            ConferenceStatus.CANCELLED: _l("Cancelled"),
        }[self]


# The only moves a conference may make; operations enforce them.
TRANSITIONS: dict[ConferenceStatus, frozenset[ConferenceStatus]] = {
    ConferenceStatus.DRAFT: frozenset({ConferenceStatus.ANNOUNCED, ConferenceStatus.CANCELLED}),
    ConferenceStatus.ANNOUNCED: frozenset(
        {ConferenceStatus.IN_PROGRESS, ConferenceStatus.CANCELLED, ConferenceStatus.DRAFT}
    ),
    ConferenceStatus.IN_PROGRESS: frozenset({ConferenceStatus.CLOSED}),
    ConferenceStatus.CLOSED: frozenset({ConferenceStatus.PUBLISHED}),
    ConferenceStatus.PUBLISHED: frozenset(),
    ConferenceStatus.CANCELLED: frozenset(),
}

conference_cochairs = sa.Table(
    "conference_cochairs",
    db.metadata,
    sa.Column(
        "conference_id", sa.ForeignKey("conferences.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("person_id", sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
)

conference_secretaries = sa.Table(
    "conference_secretaries",
    db.metadata,
    sa.Column(
        "conference_id", sa.ForeignKey("conferences.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Conference(WardScopedMixin, TimestampMixin, db.Model):
    __tablename__ = "conferences"
    __audited__ = True
    __table_args__ = (
        sa.CheckConstraint(
            "planned_end_dt IS NULL OR planned_end_dt > start_dt", name="end_after_start"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    plan_number: Mapped[str] = mapped_column(sa.String(60), default="")
    plan_date: Mapped[date | None]
    reporting_period: Mapped[str] = mapped_column(sa.String(120), default="")
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(sa.String(255), default="")
    chair_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ConferenceStatus] = mapped_column(
        enum_column(ConferenceStatus, "conference_status"), default=ConferenceStatus.DRAFT
    )
    status_changed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")

    ward: Mapped[Ward] = relationship()
    chair: Mapped[Person | None] = relationship(foreign_keys=[chair_id])
    reporter: Mapped[Person | None] = relationship(foreign_keys=[reporter_id])
    cochairs: Mapped[list[Person]] = relationship(
        secondary=conference_cochairs, order_by=Person.full_name
    )
    secretaries: Mapped[list[User]] = relationship(
        secondary=conference_secretaries, order_by=User.display_name
    )

    def can_move_to(self, status: ConferenceStatus) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_editable(self) -> bool:
        return self.status in {ConferenceStatus.DRAFT, ConferenceStatus.ANNOUNCED}

    def can_edit(self, user: User) -> bool:
        return self.is_editable and (user.is_admin or user.ward_id == self.ward_id)

    def can_log_questions(self, user: User) -> bool:
        if self.status is not ConferenceStatus.IN_PROGRESS:
            return False
        return user.is_admin or (
            user.ward_id == self.ward_id
            and (user.role is Role.ORGANISER or user in self.secretaries)
        )

    def __repr__(self) -> str:
        return f"<Conference {self.id} {self.status.value} {self.title!r}>"
