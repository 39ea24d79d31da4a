"""ward versions and prepared API answers: a ward's public record versioned by triggers

Revision ID: f8b8f0080008
Revises: f7a7f0070007
Create Date: 2026-12-06 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db
from dialogue.api.models import WARD_OF, drop_version_triggers, version_triggers

revision = 'f8b8f0080008'
down_revision = 'f7a7f0070007'
branch_labels = None
depends_on = None

# The triggers as the application makes them for a new database: a later revision that changes
# which tables raise a ward's version drops these and makes its own.
TABLES = tuple(WARD_OF)


def _create_triggers(dialect):
    for table in TABLES:
        for statement in version_triggers(table, dialect):
            op.execute(statement)


def _drop_triggers(dialect):
    for table in TABLES:
        for statement in drop_version_triggers(table, dialect):
            op.execute(statement)


def upgrade():
    op.create_table(
        'ward_versions',
        sa.Column('ward_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('ward_id', name=op.f('pk_ward_versions')),
    )
    op.create_table(
        'api_prepared_answers',
        sa.Column('address', sa.String(length=400), nullable=False),
        sa.Column('ward_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('etag', sa.String(length=64), nullable=False),
        sa.Column('link', sa.String(length=800), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('built_dt', dialogue.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('address', name=op.f('pk_api_prepared_answers')),
    )
    with op.batch_alter_table('api_prepared_answers', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_api_prepared_answers_ward_id'), ['ward_id'], unique=False
        )
    # Every ward starts at version 1, so that no answer kept before this revision is taken
    # for a current one.
    op.execute('INSERT INTO ward_versions (ward_id, version) SELECT id, 1 FROM wards')
    _create_triggers(op.get_bind().dialect.name)


def downgrade():
    _drop_triggers(op.get_bind().dialect.name)
    with op.batch_alter_table('api_prepared_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_prepared_answers_ward_id'))
    op.drop_table('api_prepared_answers')
    op.drop_table('ward_versions')
