"""Writing the ledger (in the publication's own transaction) and reading it back.

Two publications of one ward at once must not both take the same place in its chain: the
entry is appended under a lock on the ward's chain (on PostgreSQL a transaction-scoped lock,
held until the publication commits; on SQLite the publication has already taken the database's
write lock). The unique (ward, sequence) key is the last line of defence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from dialogue.extensions import db
from dialogue.ledger import chain
from dialogue.ledger.models import GENESIS_HASH, EntryKind, LedgerEntry

# The first key of PostgreSQL's two-key advisory locks that guard a ward's chain ("LEDG").
CHAIN_LOCK_NAMESPACE = 0x4C454447


@dataclass(frozen=True)
class ChainHead:
    count: int
    head_hash: str
    published_at: str | None

    @property
    def is_empty(self) -> bool:
        return self.count == 0


def _lock_chain(ward_id: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:namespace, :ward)"),
            {"namespace": CHAIN_LOCK_NAMESPACE, "ward": ward_id},
        )


def append_entry(
    ward_id: int,
    *,
    kind: EntryKind,
    document_id: int,
    number_label: str,
    version: int,
    published_dt: datetime,
    pdf_sha256: str,
    html_sha256: str,
) -> LedgerEntry:
    """Append one published version to its ward's chain; the caller's transaction commits it."""
    _lock_chain(ward_id)
    last = db.session.execute(
        sa.select(LedgerEntry.sequence, LedgerEntry.entry_hash)
        .where(LedgerEntry.ward_id == ward_id)
        .order_by(LedgerEntry.sequence.desc())
        .limit(1)
    ).first()
    fields = {
        "sequence": last.sequence + 1 if last else 1,
        "previous_hash": last.entry_hash if last else GENESIS_HASH,
        "kind": EntryKind(kind).value,
        "document_id": document_id,
        "number_label": number_label,
        "version": version,
        "published_at": chain.published_at(published_dt),
        "pdf_sha256": pdf_sha256,
        "html_sha256": html_sha256,
    }
    entry = LedgerEntry(ward_id=ward_id, entry_hash=chain.entry_hash(fields), **fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def record_document(published) -> LedgerEntry:
    """Append a published BB or TB version (a ``PublishedDocument`` just flushed)."""
    return append_entry(
        published.conference.ward_id,
        kind=EntryKind(published.doc_type.value),
        document_id=published.id,
        number_label=published.number_label,
        version=published.version,
        published_dt=published.published_dt,
        pdf_sha256=published.pdf_sha256,
        html_sha256=published.html_sha256,
    )


def record_answer(answer) -> LedgerEntry:
    """Append a published written answer: its letter's hash and its text's."""
    return append_entry(
        answer.referral.ward_id,
        kind=EntryKind.ANSWER,
        document_id=answer.id,
        number_label=answer.letter_number,
        version=answer.version,
        published_dt=answer.published_dt,
        pdf_sha256=answer.attachment_sha256,
        html_sha256=answer.body_sha256,
    )


def chain_head(ward_id: int) -> ChainHead:
    """How many entries the ward's chain has and the hash of the last one."""
    last = db.session.execute(
        sa.select(LedgerEntry.sequence, LedgerEntry.entry_hash, LedgerEntry.published_at)
        .where(LedgerEntry.ward_id == ward_id)
        .order_by(LedgerEntry.sequence.desc())
        .limit(1)
    ).first()
    if last is None:
        return ChainHead(count=0, head_hash=GENESIS_HASH, published_at=None)
    return ChainHead(count=last.sequence, head_hash=last.entry_hash, published_at=last.published_at)


def entries_of(ward_id: int) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.ward_id == ward_id)
            .order_by(LedgerEntry.sequence)
        )
    )


def entry_fields(entry: LedgerEntry) -> dict:
    """The hashed fields of a stored entry, as a log line carries them."""
    return {
        "sequence": entry.sequence,
        "previous_hash": entry.previous_hash,
        "kind": entry.kind.value,
        "document_id": entry.document_id,
        "number_label": entry.number_label,
        "version": entry.version,
        "published_at": entry.published_at,
        "pdf_sha256": entry.pdf_sha256,
        "html_sha256": entry.html_sha256,
    }


def log_lines(ward) -> Iterator[str]:
    """The ward's whole log as JSON Lines: one entry a line, oldest first, with its hash."""
    for entry in entries_of(ward.id):
        line = {"ward": ward.slug, **entry_fields(entry), "entry_hash": entry.entry_hash}
        yield json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
