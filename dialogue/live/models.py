"""Speaking turns of a conference and the numbered events that carry them live."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.attendance.models import Attendee
from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column, utcnow
from dialogue.extensions import db
from dialogue.wards.models import ProcedureArea, ResidentialGroup, Unit


class TurnOutcome(TitledEnum):
    PENDING = "pending"
    ANSWERED = "answered"
    REFERRED = "referred"

    @property
    def title(self) -> str:
        return {
            TurnOutcome.PENDING: _l("Waiting for the answer"),
            TurnOutcome.ANSWERED: _l("Answered on the spot"),
            TurnOutcome.REFERRED: _l("Referred for a written answer"),
        }[self]


# A referred question must be answered in writing within this many days of the conference.
REFERRAL_DAYS = 10


class SpeakerMatch(TitledEnum):
    """What became of a speaker's name typed while the list of those present was out of reach.

    Offline, the console cannot offer the people checked in, so the name is kept as typed
    ("vu dinh khoi"). On arrival it is matched against them: linked when one person clearly
    fits, otherwise left for a secretary to confirm (one of the candidates, or as typed).
    """

    LINKED = "linked"
    TO_CONFIRM = "to_confirm"
    CONFIRMED = "confirmed"
    KEPT = "kept"

    @property
    def title(self) -> str:
        return {
            SpeakerMatch.LINKED: _l("Matched with the list of those present"),
            SpeakerMatch.TO_CONFIRM: _l("Name to confirm"),
            SpeakerMatch.CONFIRMED: _l("Confirmed by a secretary"),
            SpeakerMatch.KEPT: _l("Kept as typed"),
        }[self]


class Turn(TimestampMixin, db.Model):
    """One speaking turn (lượt phát biểu): who spoke, what was asked, and what became of it.

    Speaker, group and answerer are copied as text when picked, so the minutes keep what was
    said on the day even if the attendee is later removed. A turn is never deleted: it is
    withdrawn, and the audit log keeps every change.
    """

    __tablename__ = "turns"
    __audited__ = True
    __table_args__ = (
        sa.UniqueConstraint("conference_id", "client_key"),
        sa.CheckConstraint("version > 0", name="positive_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    # 1, 2, 3… in speaking order; withdrawn turns keep their place but are not counted.
    position: Mapped[int] = mapped_column(default=0)
    # Made by the secretary's browser, so a save repeated after a lost answer is recognised.
    client_key: Mapped[str | None] = mapped_column(sa.String(64))
    # Raised by every change; a save made against an older version is a conflict.
    version: Mapped[int] = mapped_column(default=1)
    # When it was spoken: the moment a secretary saved it in the browser (offline too), kept
    # between the start of the conference and its arrival here. A turn that arrives late
    # takes its place among the others by this.
    spoken_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    speaker_attendee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attendees.id", ondelete="SET NULL"), index=True
    )
    speaker_name: Mapped[str] = mapped_column(sa.String(120), default="")
    speaker_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("residential_groups.id", ondelete="SET NULL"), index=True
    )
    speaker_organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    # A name typed offline, matched on arrival (None: picked from the list, or typed online).
    speaker_match: Mapped[SpeakerMatch | None] = mapped_column(
        enum_column(SpeakerMatch, "speaker_match")
    )
    # The name as it was typed, kept once matched; the attendees it may be, while to confirm.
    speaker_typed_name: Mapped[str] = mapped_column(sa.String(120), default="")
    speaker_candidate_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    procedure_area_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedure_areas.id", ondelete="SET NULL"), index=True
    )
    question: Mapped[str] = mapped_column(sa.Text)

    outcome: Mapped[TurnOutcome] = mapped_column(
        enum_column(TurnOutcome, "turn_outcome"), default=TurnOutcome.PENDING
    )
    answerer_attendee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attendees.id", ondelete="SET NULL"), index=True
    )
    # "Ông Nguyễn Văn A - Chủ tịch UBND phường", as the minutes name who answered.
    answerer_name: Mapped[str] = mapped_column(sa.String(255), default="")
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    referral_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    referral_due_date: Mapped[date | None]
    referral_note: Mapped[str] = mapped_column(sa.Text, default="")

    withdrawn_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    conference: Mapped[Conference] = relationship()
    speaker_attendee: Mapped[Attendee | None] = relationship(foreign_keys=[speaker_attendee_id])
    speaker_group: Mapped[ResidentialGroup | None] = relationship()
    procedure_area: Mapped[ProcedureArea | None] = relationship()
    answerer_attendee: Mapped[Attendee | None] = relationship(foreign_keys=[answerer_attendee_id])
    referral_unit: Mapped[Unit | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def ward_id(self) -> int:
        return self.conference.ward_id

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_dt is not None

    @property
    def public_speaker(self) -> str:
        """The speaker as residents see them: named only where the ward chose to show names."""
        return self._speaker(named=self.conference.ward.shows_speaker_names)

    @property
    def document_speaker(self) -> str:
        """The speaker as the minutes (and their published copy) name them: the ward's choice."""
        return self._speaker(named=self.conference.ward.names_speakers_in_documents)

    def _speaker(self, *, named: bool) -> str:
        if named and self.speaker_name:
            return self.speaker_name
        if self.speaker_group is not None:
            return f"Công dân {self.speaker_group.name[:1].lower()}{self.speaker_group.name[1:]}"
        if self.speaker_organisation:
            return f"Đại diện {self.speaker_organisation}"
        return "Đại biểu"

    def __repr__(self) -> str:
        return f"<Turn {self.id} #{self.position} {self.outcome.value}>"


class LiveEvent(db.Model):
    """One numbered change of a conference's live record, kept so a screen can catch up.

    ``sequence`` counts per conference from 1 without gaps; a screen that saw N asks for
    everything after N (the SSE ``Last-Event-ID``), or takes a full snapshot when too much
    has passed. The database stays the truth: the bus only carries these rows faster.
    """

    __tablename__ = "live_events"
    __table_args__ = (sa.UniqueConstraint("conference_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(40))
    # What staff screens receive, and what the public feed receives (names hidden as chosen).
    staff_payload: Mapped[dict] = mapped_column(sa.JSON)
    public_payload: Mapped[dict | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LiveEvent {self.conference_id}:{self.sequence} {self.kind}>"
