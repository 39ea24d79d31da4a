"""The ward's directory of people: leaders, delegates, group heads, business owners, residents."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.core.db import TimestampMixin, UTCDateTime, utcnow
from dialogue.core.search import SearchableMixin
from dialogue.extensions import db
from dialogue.wards.models import DelegateCategory, ResidentialGroup, Ward, WardScopedMixin


class Person(SearchableMixin, WardScopedMixin, TimestampMixin, db.Model):
    __tablename__ = "people"
    __audited__ = True
    __searchable__ = ("full_name", "title", "organisation")

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    residential_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("residential_groups.id", ondelete="SET NULL"), index=True
    )
    delegate_category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegate_categories.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    # The person agreed that the ward keeps and uses their phone and e-mail.
    has_consent: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    ward: Mapped[Ward] = relationship()
    residential_group: Mapped[ResidentialGroup | None] = relationship(back_populates="people")
    delegate_category: Mapped[DelegateCategory | None] = relationship(back_populates="people")

    @property
    def label(self) -> str:
        """Name and title as a document names a person: "Nguyễn Văn A - Chủ tịch UBND phường"."""
        return f"{self.full_name} - {self.title}" if self.title else self.full_name

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.full_name!r}>"


class PendingImport(WardScopedMixin, db.Model):
    """An uploaded directory file between its preview and the organiser's confirmation.

    Kept in the database, not on one machine's disk, so the confirmation may reach any
    application process; the row is deleted in the same transaction that applies the import.
    """

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(120), default="")
    kind: Mapped[str] = mapped_column(sa.String(10))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PendingImport {self.id} {self.filename!r}>"
