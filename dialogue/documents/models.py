"""The register of official document numbers: "Số: 05/BB-UBND"."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from dialogue.core.db import TitledEnum, UTCDateTime, enum_column, utcnow
from dialogue.extensions import db
from dialogue.wards.models import WardScopedMixin


class DocumentType(TitledEnum):
    """Type codes of Nghị định 30/2020 used by a dialogue conference."""

    PLAN = "KH"
    MINUTES = "BB"
    NOTICE = "TB"
    REPORT = "BC"
    INVITATION = "GM"

    @property
    def title(self) -> str:
        return {
            DocumentType.PLAN: _l("Plan (kế hoạch)"),
            DocumentType.MINUTES: _l("Minutes (biên bản)"),
            DocumentType.NOTICE: _l("Notice (thông báo)"),
            DocumentType.REPORT: _l("Report (báo cáo)"),
            DocumentType.INVITATION: _l("Invitation (giấy mời)"),
        }[self]


class DocumentCounter(WardScopedMixin, db.Model):
    """The last number handed out per ward, issuer, type and year; locked while a number is taken."""

    __tablename__ = "document_counters"
    __table_args__ = (sa.UniqueConstraint("ward_id", "issuer_code", "doc_type", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_code: Mapped[str] = mapped_column(sa.String(20))
    doc_type: Mapped[DocumentType] = mapped_column(enum_column(DocumentType, "document_type"))
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<DocumentCounter {self.doc_type.value}-{self.issuer_code} {self.year}: {self.last_number}>"


class DocumentNumber(WardScopedMixin, db.Model):
    """One number handed out; never handed out again, even if its document is abandoned."""

    __tablename__ = "document_numbers"
    __audited__ = True
    __table_args__ = (
        sa.UniqueConstraint("ward_id", "issuer_code", "doc_type", "year", "number"),
        sa.CheckConstraint("number > 0", name="positive_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_code: Mapped[str] = mapped_column(sa.String(20))
    doc_type: Mapped[DocumentType] = mapped_column(enum_column(DocumentType, "document_type"))
    year: Mapped[int]
    number: Mapped[int]
    conference_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="SET NULL"), index=True
    )
    purpose: Mapped[str] = mapped_column(sa.String(255), default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        """The number as a document prints it: "05/BB-UBND" (a leading zero below 10)."""
        return f"{self.number:02d}/{self.doc_type.value}-{self.issuer_code}"

    def __repr__(self) -> str:
        return f"<DocumentNumber {self.label} {self.year}>"
