"""signed documents: the signature of each published PDF

Revision ID: f7a7f0070007
Revises: f6f6f0060006
Create Date: 2026-12-06 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = 'f7a7f0070007'
down_revision = 'f6f6f0060006'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both engines: a batch copy of the table on SQLite would drop the
# triggers that freeze published versions (and its INSERT … SELECT would have to pass them).


def upgrade():
    op.add_column(
        'published_documents',
        sa.Column('signed_by', sa.String(length=255), nullable=False, server_default=''),
    )
    op.add_column(
        'published_documents',
        sa.Column('signed_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade():
    # SQLite drops a column in place since 3.35 (the triggers name no column, so they stay).
    op.execute('ALTER TABLE published_documents DROP COLUMN signed_dt')
    op.execute('ALTER TABLE published_documents DROP COLUMN signed_by')
