"""Drafts of a conference's official documents, and their published, frozen versions."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column, utcnow
from dialogue.documents.models import DocumentNumber, DocumentType
from dialogue.errors import DialogueError
from dialogue.extensions import db


class DraftStatus(TitledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"

    @property
    def title(self) -> str:
        return {
            DraftStatus.DRAFT: _l("Draft"),
            DraftStatus.SUBMITTED: _l("Submitted to the chair"),
            DraftStatus.PUBLISHED: _l("Published"),
        }[self]


class TurnOrder(TitledEnum):
    BY_AREA = "by_area"
    SPEAKING = "speaking"

    @property
    def title(self) -> str:
        return {
            TurnOrder.BY_AREA: _l("Grouped by procedure area"),
            TurnOrder.SPEAKING: _l("In speaking order"),
        }[self]


class MinutesDraft(TimestampMixin, db.Model):
    """The editable text of one document (BB or TB) of a conference, before and between versions.

    Everything else a document says — attendance, figures, turns, tasks — is composed from the
    records when it is rendered; only these narrative parts and settings are typed by staff,
    as plain text (one paragraph a line), never as markup.
    """

    __tablename__ = "minutes_drafts"
    __audited__ = True
    __table_args__ = (
        sa.UniqueConstraint("conference_id", "doc_type"),
        sa.CheckConstraint("doc_type IN ('BB', 'TB')", name="minutes_or_notice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    doc_type: Mapped[DocumentType] = mapped_column(enum_column(DocumentType, "document_type"))
    status: Mapped[DraftStatus] = mapped_column(
        enum_column(DraftStatus, "draft_status"), default=DraftStatus.DRAFT
    )
    # BB: the opening (who opened, the purpose); TB: the assessment that opens the notice.
    opening: Mapped[str] = mapped_column(sa.Text, default="")
    # BB: the summary of the report presented before the figures.
    report_summary: Mapped[str] = mapped_column(sa.Text, default="")
    # The chair's conclusion as the document words it; starts as the conclusion recorded at close.
    conclusion: Mapped[str] = mapped_column(sa.Text, default="")
    # "Nơi nhận": one recipient a line, the last normally "Lưu: VT, Hồ sơ".
    recipients: Mapped[str] = mapped_column(sa.Text, default="")
    turn_order: Mapped[TurnOrder] = mapped_column(
        enum_column(TurnOrder, "turn_order"), default=TurnOrder.SPEAKING
    )
    # Raised by every save; a save made against an older version is refused, nothing is lost.
    version: Mapped[int] = mapped_column(default=1)
    submitted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the chair last sent it back for changes; cleared when it is submitted again.
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    conference: Mapped[Conference] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    publications: Mapped[list[PublishedDocument]] = relationship(
        back_populates="draft", order_by="PublishedDocument.version"
    )

    @property
    def ward_id(self) -> int:
        return self.conference.ward_id

    @property
    def latest(self) -> PublishedDocument | None:
        return self.publications[-1] if self.publications else None

    def __repr__(self) -> str:
        return f"<MinutesDraft {self.id} {self.doc_type.value} {self.status.value}>"


def new_public_code() -> str:
    """The short code of a published version's public link, printed under its QR code."""
    return secrets.token_urlsafe(6)


class PublishedDocument(db.Model):
    """One published version of a BB or TB: its HTML and PDF bytes, frozen, with their hash.

    A row is written once, at publication, and never changed (a listener refuses updates);
    a correction is a new version with its reason, and the earlier one stays reachable.
    """

    __tablename__ = "published_documents"
    __audited__ = True
    # The frozen bytes are recorded by their hashes, not copied into the audit log.
    __audit_secret__ = frozenset({"html", "pdf"})
    __table_args__ = (
        sa.UniqueConstraint("draft_id", "version"),
        sa.CheckConstraint("version > 0", name="positive_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        sa.ForeignKey("minutes_drafts.id", ondelete="RESTRICT"), index=True
    )
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="RESTRICT"), index=True
    )
    doc_type: Mapped[DocumentType] = mapped_column(enum_column(DocumentType, "document_type"))
    version: Mapped[int] = mapped_column(default=1)
    number_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document_numbers.id", ondelete="RESTRICT"), index=True
    )
    # The label printed on it, "05/BB-UBND", kept as printed.
    number_label: Mapped[str] = mapped_column(sa.String(40))
    public_code: Mapped[str] = mapped_column(sa.String(16), unique=True, default=new_public_code)
    # Why this version replaces the one before (empty for version 1).
    correction_reason: Mapped[str] = mapped_column(sa.Text, default="")
    is_pdfa: Mapped[bool] = mapped_column(default=False)
    html: Mapped[str] = mapped_column(sa.Text)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64))
    html_sha256: Mapped[str] = mapped_column(sa.String(64))
    pdf_size: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(255))
    published_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The PDF's digital signature (dialogue.documents.signing): the certificate's name and
    # when it signed; empty and NULL when the deployment had no certificate to sign with.
    signed_by: Mapped[str] = mapped_column(sa.String(255), default="")
    signed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    draft: Mapped[MinutesDraft] = relationship(back_populates="publications")
    conference: Mapped[Conference] = relationship()
    number: Mapped[DocumentNumber] = relationship()
    published_by: Mapped[User | None] = relationship()

    @property
    def ward_id(self) -> int:
        return self.conference.ward_id

    def __repr__(self) -> str:
        return f"<PublishedDocument {self.id} {self.number_label} v{self.version}>"


class FrozenDocumentError(DialogueError):
    """Something tried to change or delete a published version."""


def _frozen_error() -> FrozenDocumentError:
    return FrozenDocumentError(
        str(_l("A published document never changes: correct it by publishing a new version."))
    )


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published(session: Session, flush_context, instances) -> None:
    # Nothing published ever changes silently: not the bytes, not the hash, not the date.
    for obj in session.dirty:
        if isinstance(obj, PublishedDocument) and session.is_modified(
            obj, include_collections=False
        ):
            raise _frozen_error()
    for obj in session.deleted:
        if isinstance(obj, PublishedDocument):
            raise _frozen_error()


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes_to_published(state: ORMExecuteState) -> None:
    # UPDATE or DELETE statements run through the session bypass the flush: refused as well.
    if not (state.is_update or state.is_delete):
        return
    if any(mapper.class_ is PublishedDocument for mapper in state.all_mappers):
        raise _frozen_error()


# The database refuses it too, whoever asks: triggers on both engines, for updates and deletes.
# (On PostgreSQL the application's role may not drop them, nor TRUNCATE the table: see
# `flask dialogue grant-app-role`. The tests lift the SQLite delete guard to empty the tables.)
FREEZE_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER published_documents_frozen BEFORE UPDATE ON published_documents "
        "BEGIN SELECT RAISE(ABORT, 'published documents never change'); END",
        "CREATE TRIGGER published_documents_undeletable BEFORE DELETE ON published_documents "
        "BEGIN SELECT RAISE(ABORT, 'published documents are never deleted'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION published_documents_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'published documents never change'; END $$",
        "CREATE TRIGGER published_documents_frozen BEFORE UPDATE ON published_documents "
        "FOR EACH ROW EXECUTE FUNCTION published_documents_frozen()",
        "CREATE FUNCTION published_documents_undeletable() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION 'published documents are never deleted'; END $$",
        "CREATE TRIGGER published_documents_undeletable BEFORE DELETE ON published_documents "
        "FOR EACH ROW EXECUTE FUNCTION published_documents_undeletable()",
    ],
}
FREEZE_TRIGGER_DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS published_documents_frozen",
        "DROP TRIGGER IF EXISTS published_documents_undeletable",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS published_documents_frozen ON published_documents",
        "DROP FUNCTION IF EXISTS published_documents_frozen()",
        "DROP TRIGGER IF EXISTS published_documents_undeletable ON published_documents",
        "DROP FUNCTION IF EXISTS published_documents_undeletable()",
    ],
}

for _dialect, _statements in FREEZE_TRIGGER.items():
    for _statement in _statements:
        event.listen(
            PublishedDocument.__table__,
            "after_create",
            sa.DDL(_statement).execute_if(dialect=_dialect),
        )
