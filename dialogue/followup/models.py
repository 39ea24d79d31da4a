"""Questions referred for a written answer, the answers their units write, and requests."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column, utcnow
from dialogue.core.search import SearchableMixin
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.live.models import Turn, TurnOutcome
from dialogue.wards.models import Unit, Ward, WardScopedMixin


class ReferralStatus(TitledEnum):
    """Where a referred question stands; overdue is not a status, it is computed from the date."""

    REFERRED = "referred"
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"
    ANSWERED = "answered"

    @property
    def title(self) -> str:
        return {
            ReferralStatus.REFERRED: _l("Referred for a written answer"),
            ReferralStatus.IN_PROGRESS: _l("Being answered"),
            ReferralStatus.AWAITING_APPROVAL: _l("Awaiting approval"),
            ReferralStatus.ANSWERED: _l("Answered"),
        }[self]


class Timeliness(TitledEnum):
    """What became of a referral against its due date, as the next conference reports it."""

    ON_TIME = "on_time"
    LATE = "late"
    OPEN = "open"
    OVERDUE = "overdue"

    @property
    def title(self) -> str:
        return {
            Timeliness.ON_TIME: _l("Answered on time"),
            Timeliness.LATE: _l("Answered late"),
            Timeliness.OPEN: _l("Not yet answered, within the due date"),
            Timeliness.OVERDUE: _l("Past its due date"),
        }[self]


def judged(due_date: date, answered_on: date | None, today: date) -> tuple[Timeliness, int]:
    """Where an answer stands against its due date on ``today``, and the days past it.

    Answered: on time or late by the days from the due date to the answer. Not answered:
    open, or overdue by the days from the due date to ``today``.
    """
    if answered_on is not None:
        outcome = Timeliness.ON_TIME if answered_on <= due_date else Timeliness.LATE
        return outcome, max(0, (answered_on - due_date).days)
    outcome = Timeliness.OVERDUE if today > due_date else Timeliness.OPEN
    return outcome, max(0, (today - due_date).days)


class Referral(SearchableMixin, WardScopedMixin, TimestampMixin, db.Model):
    """A question the conference referred to a unit for a written answer, followed to the end.

    The turn keeps what the meeting decided (unit and due date, as the minutes print them);
    the referral keeps where it stands now, after any hand-over or extension the chair
    accepted. It exists exactly as long as its turn is referred (see ``sync_referral``).
    """

    __tablename__ = "referrals"
    __audited__ = True
    # The lists' stamp reads the latest change of a ward's referrals.
    __table_args__ = (sa.Index("ix_referrals_ward_id_updated_dt", "ward_id", "updated_dt"),)
    # Found by the words of the question, of the unit's name and of the published answer.
    __searchable__ = ("searchable_question", "searchable_unit", "searchable_answer")

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[int] = mapped_column(sa.ForeignKey("turns.id", ondelete="CASCADE"), unique=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    due_date: Mapped[date]
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column(ReferralStatus, "referral_status"), default=ReferralStatus.REFERRED, index=True
    )
    # The day (in the ward's time zone) the first answer was published: on time or late.
    answered_on: Mapped[date | None]
    # Set once the unit, due date or an answer has moved on from what the meeting decided:
    # from then on, the secretary's later edits of the turn no longer reach the referral.
    is_settled: Mapped[bool] = mapped_column(default=False)

    ward: Mapped[Ward] = relationship()
    turn: Mapped[Turn] = relationship(back_populates="referral")
    conference: Mapped[Conference] = relationship()
    unit: Mapped[Unit | None] = relationship()
    answers: Mapped[list[WrittenAnswer]] = relationship(
        back_populates="referral", order_by="WrittenAnswer.version"
    )
    requests: Mapped[list[ReferralRequest]] = relationship(
        back_populates="referral", order_by="ReferralRequest.id"
    )

    @property
    def searchable_question(self) -> str:
        return self.turn.question if self.turn is not None else ""

    @property
    def searchable_unit(self) -> str:
        return self.unit.name if self.unit is not None else ""

    @property
    def searchable_answer(self) -> str:
        published = self.published_answer
        return published.body if published is not None else ""

    @property
    def published_answers(self) -> list[WrittenAnswer]:
        """Every published version of the answer, the first first."""
        return [each for each in self.answers if each.is_published]

    @property
    def published_answer(self) -> WrittenAnswer | None:
        """The newest published version of the answer, the one residents read."""
        published = self.published_answers
        return published[-1] if published else None

    @property
    def working_answer(self) -> WrittenAnswer | None:
        """The version the unit is writing or the chair is reviewing, if any."""
        if self.answers and not self.answers[-1].is_published:
            return self.answers[-1]
        return None

    @property
    def pending_request(self) -> ReferralRequest | None:
        pending = [each for each in self.requests if each.status is RequestStatus.PENDING]
        return pending[0] if pending else None

    def timeliness(self, today: date) -> Timeliness:
        return judged(self.due_date, self.answered_on, today)[0]

    def is_overdue(self, today: date) -> bool:
        return self.timeliness(today) is Timeliness.OVERDUE

    def days_overdue(self, today: date) -> int:
        """Days past the due date: until today while open, until the answer once published."""
        return judged(self.due_date, self.answered_on, today)[1]

    def days_left(self, today: date) -> int:
        return (self.due_date - today).days

    def __repr__(self) -> str:
        return f"<Referral {self.id} turn {self.turn_id} {self.status.value}>"


Turn.referral = relationship(Referral, back_populates="turn", uselist=False)


class AnswerStatus(TitledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"

    @property
    def title(self) -> str:
        return {
            AnswerStatus.DRAFT: _l("Being written"),
            AnswerStatus.SUBMITTED: _l("Submitted for approval"),
            AnswerStatus.RETURNED: _l("Sent back for changes"),
            AnswerStatus.PUBLISHED: _l("Published"),
        }[self]


class WrittenAnswer(TimestampMixin, db.Model):
    """One version of the written answer to a referral, and the signed reply it may carry.

    Written by the unit, approved by the chair; approval publishes it, and from then on the
    row never changes (a listener and a database trigger refuse it). A correction is a new
    version with its reason; the earlier one stays readable.
    """

    __tablename__ = "written_answers"
    __audited__ = True
    # The attachment is recorded by its hash, not copied into the audit log.
    __audit_secret__ = frozenset({"attachment_pdf"})
    __table_args__ = (
        sa.UniqueConstraint("referral_id", "version"),
        sa.CheckConstraint("version > 0", name="positive_version"),
        sa.CheckConstraint("revision > 0", name="positive_revision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        sa.ForeignKey("referrals.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[AnswerStatus] = mapped_column(
        enum_column(AnswerStatus, "answer_status"), default=AnswerStatus.DRAFT
    )
    # Plain text, one paragraph a line (never markup).
    body: Mapped[str] = mapped_column(sa.Text, default="")
    # The unit's reply letter (công văn), as printed on it: "Số: 125/UBND-VP", its date.
    letter_number: Mapped[str] = mapped_column(sa.String(60), default="")
    letter_date: Mapped[date | None]
    attachment_filename: Mapped[str] = mapped_column(sa.String(200), default="")
    attachment_pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    attachment_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    attachment_size: Mapped[int] = mapped_column(default=0)
    attachment_pages: Mapped[int] = mapped_column(default=0)
    # The hash of the published text, so a copy can be checked against it.
    body_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    # Why this version replaces the published one before it (empty for the first).
    correction_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Why the chair last sent it back; kept until it is submitted again.
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Raised by every save: a save made against an older revision is refused, nothing lost.
    revision: Mapped[int] = mapped_column(default=1)
    written_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    submitted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    referral: Mapped[Referral] = relationship(back_populates="answers")
    written_by: Mapped[User | None] = relationship(foreign_keys=[written_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.status is AnswerStatus.PUBLISHED

    @property
    def has_attachment(self) -> bool:
        return bool(self.attachment_sha256)

    @property
    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.body.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<WrittenAnswer {self.id} v{self.version} {self.status.value}>"


class RequestKind(TitledEnum):
    EXTENSION = "extension"
    HANDOVER = "handover"

    @property
    def title(self) -> str:
        return {
            RequestKind.EXTENSION: _l("New due date"),
            RequestKind.HANDOVER: _l("Hand over to another unit"),
        }[self]


class RequestStatus(TitledEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"

    @property
    def title(self) -> str:
        return {
            RequestStatus.PENDING: _l("Waiting for a decision"),
            RequestStatus.ACCEPTED: _l("Accepted"),
            RequestStatus.REFUSED: _l("Refused"),
        }[self]


class ReferralRequest(TimestampMixin, db.Model):
    """A unit's request for a new due date or to hand a referral to another unit, and the decision."""

    __tablename__ = "referral_requests"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        sa.ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind, "request_kind"))
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, "request_status"), default=RequestStatus.PENDING
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    from_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    to_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    previous_due_date: Mapped[date]
    new_due_date: Mapped[date | None]
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")

    referral: Mapped[Referral] = relationship(back_populates="requests")
    from_unit: Mapped[Unit | None] = relationship(foreign_keys=[from_unit_id])
    to_unit: Mapped[Unit | None] = relationship(foreign_keys=[to_unit_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<ReferralRequest {self.id} {self.kind.value} {self.status.value}>"


# --- A referral follows its turn ------------------------------------------------------------


def _wants_referral(turn: Turn) -> bool:
    return turn.outcome is TurnOutcome.REFERRED and turn.withdrawn_dt is None


def _conference_of(session: Session, turn: Turn) -> Conference:
    return turn.conference or session.get(Conference, turn.conference_id)


def _unit_of(session: Session, turn: Turn) -> Unit | None:
    if turn.referral_unit is not None:
        return turn.referral_unit
    return session.get(Unit, turn.referral_unit_id) if turn.referral_unit_id else None


@event.listens_for(Session, "before_flush")
def _sync_referrals(session: Session, flush_context, instances) -> None:
    """Give every referred turn its referral, however the turn was saved, and only those.

    A referral on which the unit has started work is never removed here: the live
    operations refuse to un-refer such a turn before it gets this far.
    """
    turns = [obj for obj in (*session.new, *session.dirty) if isinstance(obj, Turn)]
    if not turns:
        return
    with session.no_autoflush:
        for turn in turns:
            referral = turn.referral
            if _wants_referral(turn):
                if referral is None:
                    conference = _conference_of(session, turn)
                    referral = Referral(
                        turn=turn,
                        conference=conference,
                        # A conference saved in the same flush has no ward_id yet: its ward.
                        ward=conference.ward or session.get(Ward, conference.ward_id),
                    )
                    session.add(referral)
                else:
                    # The lists of referrals show the turn's question: they are kept until
                    # a referral changes.
                    referral.updated_dt = utcnow()
                if not referral.is_settled:
                    referral.unit = _unit_of(session, turn)
                    referral.due_date = turn.referral_due_date
                # This runs after the search listener: refresh the words here.
                referral.refresh_search_text()
            elif referral is not None and not referral.is_settled:
                turn.referral = None
                session.delete(referral)
                # The lists of referrals are kept until a referral or a conference changes.
                _conference_of(session, turn).updated_dt = utcnow()


# --- A published answer never changes -------------------------------------------------------


class FrozenAnswerError(DialogueError):
    """Something tried to change or delete a published written answer."""


def _frozen_error() -> FrozenAnswerError:
    return FrozenAnswerError(
        str(_l("A published answer never changes: correct it by publishing a new version."))
    )


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published_answers(session: Session, flush_context, instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, WrittenAnswer) and session.is_modified(obj, include_collections=False):
            history = sa.inspect(obj).attrs.status.history
            before = (history.deleted or history.unchanged or [obj.status])[0]
            if before is AnswerStatus.PUBLISHED:
                raise _frozen_error()
    for obj in session.deleted:
        if isinstance(obj, WrittenAnswer) and obj.status is AnswerStatus.PUBLISHED:
            raise _frozen_error()


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes_to_answers(state: ORMExecuteState) -> None:
    # UPDATE or DELETE statements bypass the flush: they would skip the check above.
    if not (state.is_update or state.is_delete):
        return
    if any(mapper.class_ is WrittenAnswer for mapper in state.all_mappers):
        raise _frozen_error()


# The database refuses it too, whoever asks. The one change allowed is the publication itself
# (submitted → published, in the same statement that sets the publication's fields); a published
# answer is never deleted either (on PostgreSQL the application's role may not drop the triggers).
ANSWER_FREEZE_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER written_answers_frozen BEFORE UPDATE ON written_answers "
        "WHEN OLD.status = 'published' "
        "BEGIN SELECT RAISE(ABORT, 'published answers never change'); END",
        "CREATE TRIGGER written_answers_undeletable BEFORE DELETE ON written_answers "
        "WHEN OLD.status = 'published' "
        "BEGIN SELECT RAISE(ABORT, 'published answers are never deleted'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION written_answers_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF OLD.status = 'published' THEN "
        "RAISE EXCEPTION 'published answers never change'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER written_answers_frozen BEFORE UPDATE ON written_answers "
        "FOR EACH ROW EXECUTE FUNCTION written_answers_frozen()",
        "CREATE FUNCTION written_answers_undeletable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'published answers are never deleted'; END $$",
        "CREATE TRIGGER written_answers_undeletable BEFORE DELETE ON written_answers "
        "FOR EACH ROW WHEN (OLD.status = 'published') "
        "EXECUTE FUNCTION written_answers_undeletable()",
    ],
}
ANSWER_FREEZE_TRIGGER_DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS written_answers_frozen",
        "DROP TRIGGER IF EXISTS written_answers_undeletable",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS written_answers_frozen ON written_answers",
        "DROP FUNCTION IF EXISTS written_answers_frozen()",
        "DROP TRIGGER IF EXISTS written_answers_undeletable ON written_answers",
        "DROP FUNCTION IF EXISTS written_answers_undeletable()",
    ],
}

for _dialect, _statements in ANSWER_FREEZE_TRIGGER.items():
    for _statement in _statements:
        event.listen(
            WrittenAnswer.__table__,
            "after_create",
            sa.DDL(_statement).execute_if(dialect=_dialect),
        )
