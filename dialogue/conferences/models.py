"""Conferences and their life cycle."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.orderinglist import ordering_list
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.auth.models import Role, User
from dialogue.core.dates import to_local
from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column, utcnow
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards.models import Unit, Ward, WardScopedMixin


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


# The law asks that a conference be announced at least this many days before it starts, and
# its results published within this many days after it.
NOTICE_DAYS = 7
PUBLICATION_DAYS = 10
# Starting earlier than this before the planned time asks for a confirmation.
EARLY_START_GRACE = timedelta(minutes=30)

# The only moves a conference may make; operations enforce them.
TRANSITIONS: dict[ConferenceStatus, frozenset[ConferenceStatus]] = {
    ConferenceStatus.DRAFT: frozenset({ConferenceStatus.ANNOUNCED, ConferenceStatus.CANCELLED}),
    ConferenceStatus.ANNOUNCED: frozenset(
        {ConferenceStatus.IN_PROGRESS, ConferenceStatus.CANCELLED, ConferenceStatus.DRAFT}
    ),
    # Back to announced only when started by mistake (``conferences.operations.undo_start``).
    ConferenceStatus.IN_PROGRESS: frozenset({ConferenceStatus.CLOSED, ConferenceStatus.ANNOUNCED}),
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


@functools.cache
def _secretary_of() -> sa.Select:
    # Built once: every save asks it, and building it cost more than running it.
    return sa.select(
        sa.exists().where(
            conference_secretaries.c.conference_id == sa.bindparam("conference"),
            conference_secretaries.c.user_id == sa.bindparam("user"),
        )
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
    # The planned start; ``started_dt`` is when it really began (the minutes say that).
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    started_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    # When it was last announced; kept afterwards, so a cancelled notice can still tell residents.
    announced_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it was announced with less than NOTICE_DAYS days' notice (empty when on time).
    short_notice_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Set for a conference held before it was entered here (from the paper file): when it was
    # entered. Announcement and check-in were skipped; documents and pages say so.
    recorded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # For a conference recorded afterwards: the day its results were made public on paper.
    results_posted_on: Mapped[date | None]
    # The chair's conclusion, as plain text with paragraphs, recorded when the session closes.
    conclusion: Mapped[str] = mapped_column(sa.Text, default="")
    # Counts the conference's live events (``live.models.LiveEvent.sequence``).
    live_sequence: Mapped[int] = mapped_column(default=0)

    ward: Mapped[Ward] = relationship()
    chair: Mapped[Person | None] = relationship(foreign_keys=[chair_id])
    reporter: Mapped[Person | None] = relationship(foreign_keys=[reporter_id])
    cochairs: Mapped[list[Person]] = relationship(
        secondary=conference_cochairs, order_by=Person.full_name
    )
    secretaries: Mapped[list[User]] = relationship(
        secondary=conference_secretaries, order_by=User.display_name
    )
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="conference",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: (AgendaItem.position, AgendaItem.id),
        collection_class=ordering_list("position", count_from=1),
    )
    conclusion_tasks: Mapped[list[ConclusionTask]] = relationship(
        back_populates="conference",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: (ConclusionTask.position, ConclusionTask.id),
        collection_class=ordering_list("position", count_from=1),
    )

    def can_move_to(self, status: ConferenceStatus) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_editable(self) -> bool:
        """The plan may change: before the conference, or while one held is being typed in."""
        if self.status is ConferenceStatus.IN_PROGRESS:
            return self.recorded_dt is not None
        return self.status in {ConferenceStatus.DRAFT, ConferenceStatus.ANNOUNCED}

    def can_edit(self, user: User) -> bool:
        return self.is_editable and (user.is_admin or user.ward_id == self.ward_id)

    def can_plan(self, user: User) -> bool:
        """Tell whether ``user`` may change the plan, the agenda and the state."""
        return user.has_role(Role.ORGANISER) and (user.is_admin or user.ward_id == self.ward_id)

    @property
    def is_recorded_afterwards(self) -> bool:
        return self.recorded_dt is not None

    @property
    def held_start_dt(self) -> datetime:
        """When the conference really began: the actual start once started, else the plan."""
        return self.started_dt or self.start_dt

    @property
    def held_start_local(self) -> datetime:
        return to_local(self.held_start_dt, self.ward.timezone)

    @property
    def is_live(self) -> bool:
        """In progress in the hall: phones, projector and the check-in desk follow it."""
        return self.status is ConferenceStatus.IN_PROGRESS and not self.is_recorded_afterwards

    @property
    def notice_days_given(self) -> int | None:
        """How many days before the start it was announced; None when that is not known."""
        if self.announced_dt is None:
            return None
        return (
            self.start_local.date() - to_local(self.announced_dt, self.ward.timezone).date()
        ).days

    def starts_early(self, now: datetime | None = None) -> bool:
        """Tell whether starting now would be earlier than the plan allows without asking."""
        return (now or utcnow()) < self.start_dt - EARLY_START_GRACE

    @property
    def start_local(self) -> datetime:
        return to_local(self.start_dt, self.ward.timezone)

    @property
    def planned_end_local(self) -> datetime | None:
        return to_local(self.planned_end_dt, self.ward.timezone) if self.planned_end_dt else None

    @property
    def notice_deadline(self) -> date:
        """The last day on which announcing still gives the legal notice."""
        return self.start_local.date() - timedelta(days=NOTICE_DAYS)

    def days_to_go(self, now: datetime | None = None) -> int:
        """Count the calendar days, in the ward's time zone, from today to the start."""
        today = to_local(now or utcnow(), self.ward.timezone).date()
        return (self.start_local.date() - today).days

    def has_short_notice(self, now: datetime | None = None) -> bool:
        """Tell whether announcing now would give less notice than the law asks."""
        return self.days_to_go(now) < NOTICE_DAYS

    @property
    def is_public(self) -> bool:
        """Residents may read its notice: announced or later, or cancelled after announcing.

        A conference recorded afterwards shows once its documents are published: while the
        clerk types it in (or if it was entered by mistake) residents do not see it.
        """
        if self.status is ConferenceStatus.DRAFT:
            return False
        if self.recorded_dt is not None:
            return self.status is ConferenceStatus.PUBLISHED
        if self.status is ConferenceStatus.CANCELLED:
            return self.announced_dt is not None
        return True

    def can_close(self, user: User) -> bool:
        """Tell whether ``user`` may close the session and record the chair's conclusion."""
        return user.has_role(Role.ORGANISER, Role.CHAIR) and (
            user.is_admin or user.ward_id == self.ward_id
        )

    @property
    def has_editable_conclusion(self) -> bool:
        """The conclusion may still change: closed, its minutes not yet published."""
        return self.status is ConferenceStatus.CLOSED

    def has_secretary(self, user: User) -> bool:
        """Whether ``user`` is one of its secretaries.

        Asked on every save: one indexed look-up rather than loading every secretary, unless
        they are loaded already (or being changed).
        """
        if "secretaries" not in sa.inspect(self).unloaded or self.id is None:
            return user in self.secretaries
        return bool(db.session.scalar(_secretary_of(), {"conference": self.id, "user": user.id}))

    def is_recorded_by(self, user: User) -> bool:
        """Whether ``user`` records it (its turns, its documents), whatever its stage.

        Its own secretaries and the ward's organisers; administrators everywhere.
        """
        if user.is_admin:
            return True
        return user.ward_id == self.ward_id and (
            user.role is Role.ORGANISER or self.has_secretary(user)
        )

    def can_log_questions(self, user: User) -> bool:
        return self.status is ConferenceStatus.IN_PROGRESS and self.is_recorded_by(user)

    def __repr__(self) -> str:
        return f"<Conference {self.id} {self.status.value} {self.title!r}>"


class AgendaItem(TimestampMixin, db.Model):
    """One point of a conference's agenda, in its place."""

    __tablename__ = "agenda_items"
    __audited__ = True
    __table_args__ = (
        sa.CheckConstraint(
            "planned_minutes IS NULL OR planned_minutes > 0", name="positive_minutes"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    # 1, 2, 3… in the order of the meeting, kept by the conference's ordering list.
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(255))
    presenter: Mapped[str] = mapped_column(sa.String(200), default="")
    planned_minutes: Mapped[int | None]

    conference: Mapped[Conference] = relationship(back_populates="agenda_items")

    @property
    def ward_id(self) -> int | None:
        conference = self.conference
        if conference is None:
            # Just taken off its agenda: the audit log, at the flush, still needs its ward.
            history = sa.inspect(self).attrs.conference.history
            conference = next((c for c in history.deleted if c is not None), None)
        return conference.ward_id if conference is not None else None

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} #{self.position} {self.title!r}>"


class ConclusionTask(TimestampMixin, db.Model):
    """One task the chair gave in the conclusion: what, which unit, by when."""

    __tablename__ = "conclusion_tasks"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    content: Mapped[str] = mapped_column(sa.Text)
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    deadline: Mapped[date | None]

    conference: Mapped[Conference] = relationship(back_populates="conclusion_tasks")
    unit: Mapped[Unit | None] = relationship()

    @property
    def ward_id(self) -> int | None:
        conference = self.conference
        if conference is None:
            history = sa.inspect(self).attrs.conference.history
            conference = next((c for c in history.deleted if c is not None), None)
        return conference.ward_id if conference is not None else None

    def __repr__(self) -> str:
        return f"<ConclusionTask {self.id} #{self.position}>"
