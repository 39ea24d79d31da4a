"""Who is expected at a conference and who came: invitations, check-in, walk-ins."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from dialogue.core.search import SearchableMixin
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards.models import DelegateCategory, ResidentialGroup


class AttendanceStatus(TitledEnum):
    EXPECTED = "expected"
    PRESENT = "present"
    EXCUSED = "excused"

    @property
    def title(self) -> str:
        return {
            AttendanceStatus.EXPECTED: _l("Expected"),
            AttendanceStatus.PRESENT: _l("Present"),
            AttendanceStatus.EXCUSED: _l("Excused"),
        }[self]


class CheckInMethod(TitledEnum):
    QR = "qr"
    NAME = "name"
    WALK_IN = "walk_in"

    @property
    def title(self) -> str:
        return {
            CheckInMethod.QR: _l("QR code"),
            CheckInMethod.NAME: _l("Name search"),
            CheckInMethod.WALK_IN: _l("Walk-in"),
        }[self]


def new_check_in_token() -> str:
    """An unguessable token printed as the invitation's QR code."""
    return secrets.token_urlsafe(18)


class Attendee(SearchableMixin, TimestampMixin, db.Model):
    """One person on a conference's list: invited from the directory, or a walk-in.

    Name, group, organisation and category are copied from the directory when invited, so the
    sign-in sheet and the minutes keep what was true on the day.
    """

    __tablename__ = "attendees"
    __audited__ = True
    # The check-in token is a credential: the audit log says it changed, never what it is.
    __audit_secret__ = frozenset({"token"})
    __searchable__ = ("full_name", "organisation", "title")
    __table_args__ = (sa.UniqueConstraint("conference_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    full_name: Mapped[str] = mapped_column(sa.String(120))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    residential_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("residential_groups.id", ondelete="SET NULL"), index=True
    )
    delegate_category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegate_categories.id", ondelete="SET NULL"), index=True
    )
    is_invited: Mapped[bool] = mapped_column(default=False)
    token: Mapped[str] = mapped_column(sa.String(40), unique=True, default=new_check_in_token)
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_column(AttendanceStatus, "attendance_status"), default=AttendanceStatus.EXPECTED
    )
    check_in_method: Mapped[CheckInMethod | None] = mapped_column(
        enum_column(CheckInMethod, "check_in_method")
    )
    checked_in_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    conference: Mapped[Conference] = relationship()
    person: Mapped[Person | None] = relationship()
    residential_group: Mapped[ResidentialGroup | None] = relationship()
    delegate_category: Mapped[DelegateCategory | None] = relationship()
    checked_in_by: Mapped[User | None] = relationship()

    @property
    def ward_id(self) -> int:
        return self.conference.ward_id

    @property
    def is_present(self) -> bool:
        return self.status is AttendanceStatus.PRESENT

    def __repr__(self) -> str:
        return f"<Attendee {self.id} {self.full_name!r} {self.status.value}>"


class AttendanceTally(db.Model):
    """A head count from a paper record: people present (and invited) of one group or category.

    A conference recorded afterwards often has only the counts of its sign-in sheets; they add
    to the named attendees in every count. Exactly one of group and category is set.
    """

    __tablename__ = "attendance_tallies"
    __audited__ = True
    __table_args__ = (
        sa.CheckConstraint(
            "(residential_group_id IS NULL) <> (delegate_category_id IS NULL)",
            name="one_dimension",
        ),
        sa.CheckConstraint("present >= 0 AND invited >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    residential_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("residential_groups.id", ondelete="CASCADE")
    )
    delegate_category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegate_categories.id", ondelete="CASCADE")
    )
    invited: Mapped[int] = mapped_column(default=0)
    present: Mapped[int] = mapped_column(default=0)

    conference: Mapped[Conference] = relationship()

    @property
    def ward_id(self) -> int:
        return self.conference.ward_id

    @property
    def key(self) -> tuple[str, int]:
        """What it counts: ("group", residential group id) or ("category", category id)."""
        if self.residential_group_id is not None:
            return "group", self.residential_group_id
        return "category", self.delegate_category_id

    def __repr__(self) -> str:
        kind, target_id = self.key
        return f"<AttendanceTally {kind} {target_id}: {self.present}/{self.invited}>"
