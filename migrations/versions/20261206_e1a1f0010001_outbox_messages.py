"""mail: the outbox of messages sent by the job worker

Revision ID: e1a1f0010001
Revises: d4e5f6010203
Create Date: 2026-12-06 11:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = 'e1a1f0010001'
down_revision = 'd4e5f6010203'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ward_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sa.String(length=320), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('text_body', sa.Text(), nullable=False),
        sa.Column('html_body', sa.Text(), nullable=False),
        # Reasons are added as features need them: text, without a CHECK constraint.
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('message_id', sa.String(length=255), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=True),
        sa.Column('unsubscribe_url', sa.String(length=500), nullable=True),
        sa.Column(
            'status',
            sa.Enum(
                'queued', 'sending', 'sent', 'failed',
                name='outbox_status', native_enum=False, create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('claimed_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['ward_id'],
            ['wards.id'],
            name=op.f('fk_outbox_messages_ward_id_wards'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_messages_dedupe_key')),
        sa.UniqueConstraint('message_id', name=op.f('uq_outbox_messages_message_id')),
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outbox_messages_due', ['status', 'next_attempt_dt'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_outbox_messages_ward_id'), ['ward_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_ward_id'))
        batch_op.drop_index('ix_outbox_messages_due')

    op.drop_table('outbox_messages')
