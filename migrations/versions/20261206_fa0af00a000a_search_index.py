"""search index of published turns: search_entries, FTS5 on SQLite, trigrams on PostgreSQL

Revision ID: fa0af00a000a
Revises: f9a9f0090009
Create Date: 2026-12-06 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db
from dialogue.archive.search_index import (
    create_outside_metadata,
    drop_outside_metadata,
    entry_text,
    has_fts,
)

revision = 'fa0af00a000a'
down_revision = 'f9a9f0090009'
branch_labels = None
depends_on = None

# Turns read and rows written per statement while filling the table.
BATCH = 2000

turns = sa.table(
    'turns',
    sa.column('id', sa.Integer()),
    sa.column('conference_id', sa.Integer()),
    sa.column('position', sa.Integer()),
    sa.column('speaker_name', sa.String()),
    sa.column('speaker_group_id', sa.Integer()),
    sa.column('speaker_organisation', sa.String()),
    sa.column('procedure_area_id', sa.Integer()),
    sa.column('question', sa.Text()),
    sa.column('answer', sa.Text()),
    sa.column('withdrawn_dt', dialogue.core.db.UTCDateTime()),
)
conferences = sa.table(
    'conferences',
    sa.column('id', sa.Integer()),
    sa.column('ward_id', sa.Integer()),
    sa.column('start_dt', dialogue.core.db.UTCDateTime()),
)
wards = sa.table(
    'wards', sa.column('id', sa.Integer()), sa.column('names_speakers_in_documents', sa.Boolean())
)
groups = sa.table('residential_groups', sa.column('id', sa.Integer()), sa.column('name', sa.String()))
areas = sa.table('procedure_areas', sa.column('id', sa.Integer()), sa.column('name_vi', sa.String()))
published = sa.table('published_documents', sa.column('conference_id', sa.Integer()))
entries = sa.table(
    'search_entries',
    sa.column('turn_id', sa.Integer()),
    sa.column('ward_id', sa.Integer()),
    sa.column('conference_id', sa.Integer()),
    sa.column('conference_start_dt', dialogue.core.db.UTCDateTime()),
    sa.column('position', sa.Integer()),
    sa.column('text', sa.Text()),
)


def _speaker(named, name, group_name, organisation):
    # Turn.document_speaker as it reads at this revision: the name only where the ward names
    # speakers in its documents, else the group, the organisation, or "Đại biểu".
    if named and name:
        return name
    if group_name is not None:
        return f'Công dân {group_name[:1].lower()}{group_name[1:]}'
    if organisation:
        return f'Đại diện {organisation}'
    return 'Đại biểu'


def _fill(connection):
    stmt = (
        sa.select(
            turns.c.id,
            conferences.c.ward_id,
            conferences.c.id.label('conference_id'),
            conferences.c.start_dt,
            turns.c.position,
            turns.c.speaker_name,
            groups.c.name.label('group_name'),
            turns.c.speaker_organisation,
            areas.c.name_vi,
            turns.c.question,
            turns.c.answer,
            wards.c.names_speakers_in_documents,
        )
        .join(conferences, conferences.c.id == turns.c.conference_id)
        .join(wards, wards.c.id == conferences.c.ward_id)
        .outerjoin(groups, groups.c.id == turns.c.speaker_group_id)
        .outerjoin(areas, areas.c.id == turns.c.procedure_area_id)
        .where(
            turns.c.withdrawn_dt.is_(None),
            conferences.c.id.in_(sa.select(published.c.conference_id)),
            turns.c.id > sa.bindparam('after'),
        )
        .order_by(turns.c.id)
        .limit(BATCH)
    )
    after = 0
    while True:
        rows = connection.execute(stmt, {'after': after}).all()
        if not rows:
            return
        connection.execute(
            sa.insert(entries),
            [
                {
                    'turn_id': row.id,
                    'ward_id': row.ward_id,
                    'conference_id': row.conference_id,
                    'conference_start_dt': row.start_dt,
                    'position': row.position,
                    'text': entry_text(
                        _speaker(
                            row.names_speakers_in_documents,
                            row.speaker_name,
                            row.group_name,
                            row.speaker_organisation,
                        ),
                        row.name_vi or '',
                        row.question,
                        row.answer,
                    ),
                }
                for row in rows
            ],
        )
        after = rows[-1].id


def upgrade():
    op.create_table(
        'search_entries',
        sa.Column('turn_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('ward_id', sa.Integer(), nullable=False),
        sa.Column('conference_id', sa.Integer(), nullable=False),
        sa.Column('conference_start_dt', dialogue.core.db.UTCDateTime(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['conference_id'],
            ['conferences.id'],
            name=op.f('fk_search_entries_conference_id_conferences'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['turn_id'],
            ['turns.id'],
            name=op.f('fk_search_entries_turn_id_turns'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['ward_id'],
            ['wards.id'],
            name=op.f('fk_search_entries_ward_id_wards'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('turn_id', name=op.f('pk_search_entries')),
    )
    with op.batch_alter_table('search_entries', schema=None) as batch_op:
        batch_op.create_index(
            'ix_search_entries_ward_id',
            [
                'ward_id',
                sa.desc(sa.column('conference_start_dt')),
                sa.desc(sa.column('conference_id')),
                'position',
                'turn_id',
            ],
            unique=False,
        )
    connection = op.get_bind()
    _fill(connection)
    # The FTS5 table and its triggers (SQLite), or pg_trgm and the GIN index (PostgreSQL),
    # built once over the rows rather than row by row as they are written.
    create_outside_metadata(connection)
    if connection.dialect.name == 'sqlite' and has_fts(connection):
        op.execute("INSERT INTO search_entries_fts(search_entries_fts) VALUES ('rebuild')")


def downgrade():
    drop_outside_metadata(op.get_bind())
    with op.batch_alter_table('search_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_search_entries_ward_id')
    op.drop_table('search_entries')
