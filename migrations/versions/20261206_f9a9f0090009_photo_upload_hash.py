"""photo upload hash: the same file is refused again before it is decoded

Revision ID: f9a9f0090009
Revises: f8b8f0080008
Create Date: 2026-12-06 16:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'f9a9f0090009'
down_revision = 'f8b8f0080008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_sha256', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_column('upload_sha256')
