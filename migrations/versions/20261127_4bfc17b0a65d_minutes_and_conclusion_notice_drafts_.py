"""minutes and conclusion notice: drafts and published versions

Revision ID: 4bfc17b0a65d
Revises: 3aeaefc3789c
Create Date: 2026-11-27 22:45:22.615003
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = '4bfc17b0a65d'
down_revision = '3aeaefc3789c'
branch_labels = None
depends_on = None

# Published versions never change: the database refuses an UPDATE, as the models' own DDL does.
# (Copied here, not imported: a migration stays as it was written.)
FREEZE_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER published_documents_frozen BEFORE UPDATE ON published_documents "
        "BEGIN SELECT RAISE(ABORT, 'published documents never change'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION published_documents_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'published documents never change'; END $$",
        "CREATE TRIGGER published_documents_frozen BEFORE UPDATE ON published_documents "
        "FOR EACH ROW EXECUTE FUNCTION published_documents_frozen()",
    ],
}
FREEZE_TRIGGER_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS published_documents_frozen"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS published_documents_frozen ON published_documents",
        "DROP FUNCTION IF EXISTS published_documents_frozen()",
    ],
}


def upgrade():
    op.create_table('minutes_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.Enum('KH', 'BB', 'TB', 'BC', 'GM', name='document_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'published', name='draft_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('opening', sa.Text(), nullable=False),
    sa.Column('report_summary', sa.Text(), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('turn_order', sa.Enum('by_area', 'speaking', name='turn_order', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("doc_type IN ('BB', 'TB')", name=op.f('ck_minutes_drafts_minutes_or_notice')),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_minutes_drafts_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_minutes_drafts_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_minutes_drafts_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_drafts')),
    sa.UniqueConstraint('conference_id', 'doc_type', name=op.f('uq_minutes_drafts_conference_id_doc_type'))
    )
    with op.batch_alter_table('minutes_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_drafts_conference_id'), ['conference_id'], unique=False)

    op.create_table('published_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.Enum('KH', 'BB', 'TB', 'BC', 'GM', name='document_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('number_id', sa.Integer(), nullable=False),
    sa.Column('number_label', sa.String(length=40), nullable=False),
    sa.Column('public_code', sa.String(length=16), nullable=False),
    sa.Column('correction_reason', sa.Text(), nullable=False),
    sa.Column('is_pdfa', sa.Boolean(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('html_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_size', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('published_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('version > 0', name=op.f('ck_published_documents_positive_version')),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_published_documents_conference_id_conferences'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['draft_id'], ['minutes_drafts.id'], name=op.f('fk_published_documents_draft_id_minutes_drafts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['number_id'], ['document_numbers.id'], name=op.f('fk_published_documents_number_id_document_numbers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_published_documents_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_documents')),
    sa.UniqueConstraint('draft_id', 'version', name=op.f('uq_published_documents_draft_id_version')),
    sa.UniqueConstraint('public_code', name=op.f('uq_published_documents_public_code'))
    )
    with op.batch_alter_table('published_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_documents_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_published_documents_draft_id'), ['draft_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_published_documents_number_id'), ['number_id'], unique=False)

    for statement in FREEZE_TRIGGER.get(op.get_bind().dialect.name, []):
        op.execute(statement)



def downgrade():
    for statement in FREEZE_TRIGGER_DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table('published_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_documents_number_id'))
        batch_op.drop_index(batch_op.f('ix_published_documents_draft_id'))
        batch_op.drop_index(batch_op.f('ix_published_documents_conference_id'))

    op.drop_table('published_documents')
    with op.batch_alter_table('minutes_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_drafts_conference_id'))

    op.drop_table('minutes_drafts')
