"""conferences: actual start, recorded afterwards; paper head counts; names in documents;
the dossier report's other results

Revision ID: c3d4e5f60102
Revises: b2c3d4e5f601
Create Date: 2026-12-06 03:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = 'c3d4e5f60102'
down_revision = 'b2c3d4e5f601'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('started_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('recorded_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('results_posted_on', sa.Date(), nullable=True))

    # A conference already under way or over began when it was planned to, as far as we know.
    op.execute(
        "UPDATE conferences SET started_dt = start_dt "
        "WHERE status IN ('in_progress', 'closed', 'published')"
    )

    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'names_speakers_in_documents',
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.alter_column('names_speakers_in_documents', server_default=None)
    # Until now one setting named speakers on screens and in documents alike: keep what the
    # ward chose for both.
    op.execute("UPDATE wards SET names_speakers_in_documents = shows_speaker_names")

    with op.batch_alter_table('dossier_reports', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('other_results', sa.Text(), nullable=False, server_default='')
        )
    with op.batch_alter_table('dossier_reports', schema=None) as batch_op:
        batch_op.alter_column('other_results', server_default=None)

    op.create_table(
        'attendance_tallies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conference_id', sa.Integer(), nullable=False),
        sa.Column('residential_group_id', sa.Integer(), nullable=True),
        sa.Column('delegate_category_id', sa.Integer(), nullable=True),
        sa.Column('invited', sa.Integer(), nullable=False),
        sa.Column('present', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            '(residential_group_id IS NULL) <> (delegate_category_id IS NULL)',
            name=op.f('ck_attendance_tallies_one_dimension'),
        ),
        sa.CheckConstraint(
            'present >= 0 AND invited >= 0', name=op.f('ck_attendance_tallies_not_negative')
        ),
        sa.ForeignKeyConstraint(
            ['conference_id'],
            ['conferences.id'],
            name=op.f('fk_attendance_tallies_conference_id_conferences'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['delegate_category_id'],
            ['delegate_categories.id'],
            name=op.f('fk_attendance_tallies_delegate_category_id_delegate_categories'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['residential_group_id'],
            ['residential_groups.id'],
            name=op.f('fk_attendance_tallies_residential_group_id_residential_groups'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_tallies')),
    )
    with op.batch_alter_table('attendance_tallies', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_attendance_tallies_conference_id'), ['conference_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('attendance_tallies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_tallies_conference_id'))
    op.drop_table('attendance_tallies')
    with op.batch_alter_table('dossier_reports', schema=None) as batch_op:
        batch_op.drop_column('other_results')
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.drop_column('names_speakers_in_documents')
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_column('results_posted_on')
        batch_op.drop_column('recorded_dt')
        batch_op.drop_column('started_dt')
