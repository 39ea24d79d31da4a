"""follow-up: referrals, their written answers and requests; responders' other units

Revision ID: e2b2f0020002
Revises: e1a1f0010001
Create Date: 2026-12-06 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db
from dialogue.core.text import fold

revision = 'e2b2f0020002'
down_revision = 'e1a1f0010001'
branch_labels = None
depends_on = None

ANSWER_FREEZE_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER written_answers_frozen BEFORE UPDATE ON written_answers "
        "WHEN OLD.status = 'published' "
        "BEGIN SELECT RAISE(ABORT, 'published answers never change'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION written_answers_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF OLD.status = 'published' THEN "
        "RAISE EXCEPTION 'published answers never change'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER written_answers_frozen BEFORE UPDATE ON written_answers "
        "FOR EACH ROW EXECUTE FUNCTION written_answers_frozen()",
    ],
}
ANSWER_FREEZE_TRIGGER_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS written_answers_frozen"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS written_answers_frozen ON written_answers",
        "DROP FUNCTION IF EXISTS written_answers_frozen()",
    ],
}


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('approves_answers', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), server_default=None)
        batch_op.alter_column('approves_answers', existing_type=sa.Boolean(), server_default=None)

    op.create_table(
        'extra_unit_memberships',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_extra_unit_memberships_unit_id_units'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_extra_unit_memberships_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'unit_id', name=op.f('pk_extra_unit_memberships')),
    )
    with op.batch_alter_table('extra_unit_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extra_unit_memberships_unit_id'), ['unit_id'], unique=False)

    op.create_table(
        'referrals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('turn_id', sa.Integer(), nullable=False),
        sa.Column('conference_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('status', sa.Enum('referred', 'in_progress', 'awaiting_approval', 'answered', name='referral_status', native_enum=False, create_constraint=True), nullable=False),
        sa.Column('answered_on', sa.Date(), nullable=True),
        sa.Column('is_settled', sa.Boolean(), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('ward_id', sa.Integer(), nullable=False),
        sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_referrals_conference_id_conferences'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['turn_id'], ['turns.id'], name=op.f('fk_referrals_turn_id_turns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_referrals_unit_id_units'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_referrals_ward_id_wards'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
        sa.UniqueConstraint('turn_id', name=op.f('uq_referrals_turn_id')),
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_ward_id'), ['ward_id'], unique=False)
        batch_op.create_index('ix_referrals_ward_id_updated_dt', ['ward_id', 'updated_dt'], unique=False)

    op.create_table(
        'written_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'published', name='answer_status', native_enum=False, create_constraint=True), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('letter_number', sa.String(length=60), nullable=False),
        sa.Column('letter_date', sa.Date(), nullable=True),
        sa.Column('attachment_filename', sa.String(length=200), nullable=False),
        sa.Column('attachment_pdf', sa.LargeBinary(), nullable=True),
        sa.Column('attachment_sha256', sa.String(length=64), nullable=False),
        sa.Column('attachment_size', sa.Integer(), nullable=False),
        sa.Column('attachment_pages', sa.Integer(), nullable=False),
        sa.Column('body_sha256', sa.String(length=64), nullable=False),
        sa.Column('correction_reason', sa.Text(), nullable=False),
        sa.Column('return_reason', sa.Text(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('written_by_id', sa.Integer(), nullable=True),
        sa.Column('submitted_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('published_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('version > 0', name=op.f('ck_written_answers_positive_version')),
        sa.CheckConstraint('revision > 0', name=op.f('ck_written_answers_positive_revision')),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_written_answers_published_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_written_answers_referral_id_referrals'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_written_answers_submitted_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_written_answers_written_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_written_answers')),
        sa.UniqueConstraint('referral_id', 'version', name=op.f('uq_written_answers_referral_id_version')),
    )
    with op.batch_alter_table('written_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_written_answers_referral_id'), ['referral_id'], unique=False)

    op.create_table(
        'referral_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('extension', 'handover', name='request_kind', native_enum=False, create_constraint=True), nullable=False),
        sa.Column('status', sa.Enum('pending', 'accepted', 'refused', name='request_status', native_enum=False, create_constraint=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), nullable=True),
        sa.Column('to_unit_id', sa.Integer(), nullable=True),
        sa.Column('previous_due_date', sa.Date(), nullable=False),
        sa.Column('new_due_date', sa.Date(), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=False),
        sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_referral_requests_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['from_unit_id'], ['units.id'], name=op.f('fk_referral_requests_from_unit_id_units'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_requests_referral_id_referrals'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_referral_requests_requested_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['to_unit_id'], ['units.id'], name=op.f('fk_referral_requests_to_unit_id_units'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_requests')),
    )
    with op.batch_alter_table('referral_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_requests_referral_id'), ['referral_id'], unique=False)

    # Every question referred so far gets its referral, as the meeting decided it.
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT turns.id, turns.conference_id, conferences.ward_id, turns.referral_unit_id, "
        "turns.referral_due_date, turns.question, units.name AS unit_name FROM turns "
        "JOIN conferences ON conferences.id = turns.conference_id "
        "LEFT JOIN units ON units.id = turns.referral_unit_id "
        "WHERE turns.outcome = 'referred' AND turns.withdrawn_dt IS NULL "
        "AND turns.referral_due_date IS NOT NULL"
    )).all()
    referrals = sa.table(
        'referrals', sa.column('turn_id'), sa.column('conference_id'), sa.column('ward_id'),
        sa.column('unit_id'), sa.column('due_date'), sa.column('status'),
        sa.column('is_settled'), sa.column('search_text'), sa.column('created_dt', dialogue.core.db.UTCDateTime(timezone=True)),
        sa.column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True)),
    )
    if rows:
        op.bulk_insert(referrals, [
            {
                'turn_id': row.id, 'conference_id': row.conference_id, 'ward_id': row.ward_id,
                'unit_id': row.referral_unit_id, 'due_date': row.referral_due_date,
                'status': 'referred', 'is_settled': False,
                'search_text': ' '.join((fold(row.question or '') + ' ' + fold(row.unit_name or '')).split()),
                'created_dt': dialogue.core.db.utcnow(), 'updated_dt': dialogue.core.db.utcnow(),
            }
            for row in rows
        ])

    for statement in ANSWER_FREEZE_TRIGGER.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in ANSWER_FREEZE_TRIGGER_DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table('referral_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_requests_referral_id'))
    op.drop_table('referral_requests')
    with op.batch_alter_table('written_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_written_answers_referral_id'))
    op.drop_table('written_answers')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_ward_id_updated_dt')
        batch_op.drop_index(batch_op.f('ix_referrals_ward_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_unit_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_status'))
        batch_op.drop_index(batch_op.f('ix_referrals_conference_id'))
    op.drop_table('referrals')
    with op.batch_alter_table('extra_unit_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extra_unit_memberships_unit_id'))
    op.drop_table('extra_unit_memberships')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('approves_answers')
        batch_op.drop_column('email')
