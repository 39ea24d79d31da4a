"""The ledger's entries: one per published version, each hashing the one before in its ward."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from dialogue.core.db import TitledEnum, UTCDateTime, enum_column, utcnow
from dialogue.errors import DialogueError
from dialogue.extensions import db

# The "previous hash" of a ward's first entry.
GENESIS_HASH = "0" * 64


class EntryKind(TitledEnum):
    MINUTES = "BB"
    NOTICE = "TB"
    ANSWER = "answer"

    @property
    def title(self) -> str:
        return {
            EntryKind.MINUTES: _l("Minutes"),
            EntryKind.NOTICE: _l("Conclusion notice"),
            EntryKind.ANSWER: _l("Written answer"),
        }[self]


class LedgerEntry(db.Model):
    """One published version as the ledger recorded it, chained to the ward's entry before.

    ``entry_hash`` is the SHA-256 of :func:`dialogue.ledger.chain.canonical` over the hashed
    fields; anyone holding a downloaded copy of the log can recompute the chain without us.
    For a written answer, ``pdf_sha256`` is its letter's (empty without one) and
    ``html_sha256`` its published text's.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.UniqueConstraint("ward_id", "sequence"),
        sa.UniqueConstraint("ward_id", "kind", "document_id"),
        sa.CheckConstraint("sequence > 0", name="positive_sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id", ondelete="RESTRICT"))
    sequence: Mapped[int]
    previous_hash: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, "ledger_entry_kind"))
    # No foreign key: the entry must outlive a document someone deleted, to say so.
    document_id: Mapped[int]
    number_label: Mapped[str] = mapped_column(sa.String(60))
    version: Mapped[int]
    # The publication time exactly as hashed ("2026-12-06T09:30:00.000000Z").
    published_at: Mapped[str] = mapped_column(sa.String(32))
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64))
    html_sha256: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.ward_id}#{self.sequence} {self.kind.value} {self.document_id}>"


class LedgerAppendOnlyError(DialogueError):
    """Something tried to change or delete an entry of the ledger."""


def _append_only_error() -> LedgerAppendOnlyError:
    return LedgerAppendOnlyError(str(_l("The publication ledger is append-only.")))


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_entries(session: Session, flush_context, instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, LedgerEntry) and (
            obj in session.deleted or session.is_modified(obj, include_collections=False)
        ):
            raise _append_only_error()


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes_to_entries(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is LedgerEntry for mapper in state.all_mappers
    ):
        raise _append_only_error()


# The database refuses it too. On PostgreSQL the application's role has no DELETE or TRUNCATE on
# this table either (see `flask dialogue grant-app-role`) and cannot drop these triggers.
LEDGER_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER ledger_entries_frozen BEFORE UPDATE ON ledger_entries "
        "BEGIN SELECT RAISE(ABORT, 'the publication ledger is append-only'); END",
        "CREATE TRIGGER ledger_entries_undeletable BEFORE DELETE ON ledger_entries "
        "BEGIN SELECT RAISE(ABORT, 'the publication ledger is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION ledger_entries_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'the publication ledger is append-only'; END $$",
        "CREATE TRIGGER ledger_entries_frozen BEFORE UPDATE OR DELETE ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entries_frozen()",
    ],
}
LEDGER_TRIGGER_DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS ledger_entries_frozen",
        "DROP TRIGGER IF EXISTS ledger_entries_undeletable",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS ledger_entries_frozen ON ledger_entries",
        "DROP FUNCTION IF EXISTS ledger_entries_frozen()",
    ],
}

for _dialect, _statements in LEDGER_TRIGGER.items():
    for _statement in _statements:
        event.listen(
            LedgerEntry.__table__,
            "after_create",
            sa.DDL(_statement).execute_if(dialect=_dialect),
        )
