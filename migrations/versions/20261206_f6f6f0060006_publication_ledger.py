"""publication ledger: a hash chain of published versions, deletes refused

Revision ID: f6f6f0060006
Revises: f5e5f0050005
Create Date: 2026-12-06 16:00:00.000000
"""

import hashlib
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = 'f6f6f0060006'
down_revision = 'f5e5f0050005'
branch_labels = None
depends_on = None

GENESIS_HASH = '0' * 64
# A frozen copy of dialogue.ledger.chain: what an entry's hash covers never changes.
HASHED_FIELDS = (
    'sequence', 'previous_hash', 'kind', 'document_id', 'number_label', 'version',
    'published_at', 'pdf_sha256', 'html_sha256',
)

TRIGGERS = {
    'sqlite': [
        "CREATE TRIGGER published_documents_undeletable BEFORE DELETE ON published_documents "
        "BEGIN SELECT RAISE(ABORT, 'published documents are never deleted'); END",
        "CREATE TRIGGER written_answers_undeletable BEFORE DELETE ON written_answers "
        "WHEN OLD.status = 'published' "
        "BEGIN SELECT RAISE(ABORT, 'published answers are never deleted'); END",
        "CREATE TRIGGER ledger_entries_frozen BEFORE UPDATE ON ledger_entries "
        "BEGIN SELECT RAISE(ABORT, 'the publication ledger is append-only'); END",
        "CREATE TRIGGER ledger_entries_undeletable BEFORE DELETE ON ledger_entries "
        "BEGIN SELECT RAISE(ABORT, 'the publication ledger is append-only'); END",
    ],
    'postgresql': [
        "CREATE FUNCTION published_documents_undeletable() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION 'published documents are never deleted'; END $$",
        "CREATE TRIGGER published_documents_undeletable BEFORE DELETE ON published_documents "
        "FOR EACH ROW EXECUTE FUNCTION published_documents_undeletable()",
        "CREATE FUNCTION written_answers_undeletable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'published answers are never deleted'; END $$",
        "CREATE TRIGGER written_answers_undeletable BEFORE DELETE ON written_answers "
        "FOR EACH ROW WHEN (OLD.status = 'published') "
        "EXECUTE FUNCTION written_answers_undeletable()",
        "CREATE FUNCTION ledger_entries_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'the publication ledger is append-only'; END $$",
        "CREATE TRIGGER ledger_entries_frozen BEFORE UPDATE OR DELETE ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entries_frozen()",
    ],
}
TRIGGERS_DROP = {
    'sqlite': [
        "DROP TRIGGER IF EXISTS published_documents_undeletable",
        "DROP TRIGGER IF EXISTS written_answers_undeletable",
        "DROP TRIGGER IF EXISTS ledger_entries_frozen",
        "DROP TRIGGER IF EXISTS ledger_entries_undeletable",
    ],
    'postgresql': [
        "DROP TRIGGER IF EXISTS published_documents_undeletable ON published_documents",
        "DROP FUNCTION IF EXISTS published_documents_undeletable()",
        "DROP TRIGGER IF EXISTS written_answers_undeletable ON written_answers",
        "DROP FUNCTION IF EXISTS written_answers_undeletable()",
        "DROP TRIGGER IF EXISTS ledger_entries_frozen ON ledger_entries",
        "DROP FUNCTION IF EXISTS ledger_entries_frozen()",
    ],
}


def _entry_hash(fields):
    canonical = json.dumps(
        {name: fields[name] for name in HASHED_FIELDS},
        sort_keys=True, separators=(',', ':'), ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


def _published_at(moment):
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def upgrade():
    ledger_entries = op.create_table(
        'ledger_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ward_id', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('previous_hash', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.Enum('BB', 'TB', 'answer', name='ledger_entry_kind', native_enum=False, create_constraint=True), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('number_label', sa.String(length=60), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('published_at', sa.String(length=32), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('html_sha256', sa.String(length=64), nullable=False),
        sa.Column('entry_hash', sa.String(length=64), nullable=False),
        sa.Column('recorded_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('sequence > 0', name=op.f('ck_ledger_entries_positive_sequence')),
        sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_ledger_entries_ward_id_wards'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
        sa.UniqueConstraint('entry_hash', name=op.f('uq_ledger_entries_entry_hash')),
        sa.UniqueConstraint('ward_id', 'kind', 'document_id', name=op.f('uq_ledger_entries_ward_id_kind_document_id')),
        sa.UniqueConstraint('ward_id', 'sequence', name=op.f('uq_ledger_entries_ward_id_sequence')),
    )

    # The versions published before the ledger existed, in publication order, as stored now.
    connection = op.get_bind()
    published_documents = sa.table(
        'published_documents',
        sa.column('id', sa.Integer), sa.column('conference_id', sa.Integer),
        sa.column('doc_type', sa.String), sa.column('number_label', sa.String),
        sa.column('version', sa.Integer),
        sa.column('published_dt', dialogue.core.db.UTCDateTime(timezone=True)),
        sa.column('pdf_sha256', sa.String), sa.column('html_sha256', sa.String),
    )
    conferences = sa.table('conferences', sa.column('id', sa.Integer), sa.column('ward_id', sa.Integer))
    written_answers = sa.table(
        'written_answers',
        sa.column('id', sa.Integer), sa.column('referral_id', sa.Integer),
        sa.column('status', sa.String), sa.column('letter_number', sa.String),
        sa.column('version', sa.Integer),
        sa.column('published_dt', dialogue.core.db.UTCDateTime(timezone=True)),
        sa.column('attachment_sha256', sa.String), sa.column('body_sha256', sa.String),
    )
    referrals = sa.table('referrals', sa.column('id', sa.Integer), sa.column('ward_id', sa.Integer))
    versions = [
        (row.ward_id, row.published_dt, row.doc_type, row.id, row.number_label, row.version,
         row.pdf_sha256, row.html_sha256)
        for row in connection.execute(
            sa.select(
                conferences.c.ward_id, published_documents.c.published_dt,
                published_documents.c.doc_type, published_documents.c.id,
                published_documents.c.number_label, published_documents.c.version,
                published_documents.c.pdf_sha256, published_documents.c.html_sha256,
            ).join(conferences, conferences.c.id == published_documents.c.conference_id)
        )
    ] + [
        (row.ward_id, row.published_dt, 'answer', row.id, row.letter_number, row.version,
         row.attachment_sha256, row.body_sha256)
        for row in connection.execute(
            sa.select(
                referrals.c.ward_id, written_answers.c.published_dt, written_answers.c.id,
                written_answers.c.letter_number, written_answers.c.version,
                written_answers.c.attachment_sha256, written_answers.c.body_sha256,
            )
            .join(referrals, referrals.c.id == written_answers.c.referral_id)
            .where(written_answers.c.status == 'published')
        )
    ]
    versions.sort(key=lambda version: (version[0], version[1], version[2], version[3]))
    heads = {}
    rows = []
    now = dialogue.core.db.utcnow()
    for ward_id, published_dt, kind, document_id, label, number, pdf_sha, html_sha in versions:
        sequence, previous_hash = heads.get(ward_id, (0, GENESIS_HASH))
        fields = {
            'sequence': sequence + 1, 'previous_hash': previous_hash, 'kind': kind,
            'document_id': document_id, 'number_label': label or '', 'version': number,
            'published_at': _published_at(published_dt),
            'pdf_sha256': pdf_sha or '', 'html_sha256': html_sha or '',
        }
        fields['entry_hash'] = _entry_hash(fields)
        heads[ward_id] = (sequence + 1, fields['entry_hash'])
        rows.append({**fields, 'ward_id': ward_id, 'recorded_dt': now})
    if rows:
        op.bulk_insert(ledger_entries, rows)

    for statement in TRIGGERS.get(connection.dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in TRIGGERS_DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_table('ledger_entries')
