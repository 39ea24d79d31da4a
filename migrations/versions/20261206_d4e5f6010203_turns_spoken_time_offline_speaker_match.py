"""turns: when each was spoken; speakers' names typed offline, matched on arrival

Revision ID: d4e5f6010203
Revises: c3d4e5f60102
Create Date: 2026-12-06 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = 'd4e5f6010203'
down_revision = 'c3d4e5f60102'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spoken_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('speaker_match', sa.Enum('linked', 'to_confirm', 'confirmed', 'kept', name='speaker_match', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('speaker_typed_name', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('speaker_candidate_ids', sa.JSON(), nullable=True))

    # Turns recorded so far were spoken when they were saved.
    turns = sa.table('turns', sa.column('spoken_dt'), sa.column('created_dt'))
    op.execute(turns.update().values(spoken_dt=turns.c.created_dt))

    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.alter_column('spoken_dt', existing_type=dialogue.core.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.alter_column('speaker_typed_name', existing_type=sa.String(length=120), server_default=None)


def downgrade():
    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.drop_column('speaker_candidate_ids')
        batch_op.drop_column('speaker_typed_name')
        batch_op.drop_constraint(batch_op.f('ck_turns_speaker_match'), type_='check')
        batch_op.drop_column('speaker_match')
        batch_op.drop_column('spoken_dt')
