"""public home: wards searchable without accents; an administrator's working ward kept per user

Revision ID: b2c3d4e5f601
Revises: 4bfc17b0a65d
Create Date: 2026-12-01 09:00:00.000000
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = 'b2c3d4e5f601'
down_revision = '4bfc17b0a65d'
branch_labels = None
depends_on = None

# The word before a ward's name, folded, by its kind (``WardKind``). Copied here, with the
# folding below, not imported: a migration stays as it was written.
KIND_WORDS = {'phuong': 'phuong', 'xa': 'xa', 'dac_khu': 'dac khu'}


def _fold(value):
    """Lower case, no diacritics, đ as d, single spaces (``dialogue.core.text.fold``)."""
    text = (value or '').translate(str.maketrans({'đ': 'd', 'Đ': 'd', 'ð': 'd', 'Ð': 'd'}))
    decomposed = unicodedata.normalize('NFD', text)
    stripped = ''.join(ch for ch in decomposed if unicodedata.category(ch) != 'Mn')
    return ' '.join(stripped.casefold().split())


def upgrade():
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))

    wards = sa.table(
        'wards',
        sa.column('id', sa.Integer()),
        sa.column('name', sa.String()),
        sa.column('kind', sa.String()),
        sa.column('province', sa.String()),
        sa.column('search_text', sa.Text()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(wards.c.id, wards.c.name, wards.c.kind, wards.c.province))
    for ward_id, name, kind, province in rows.all():
        # As ``Ward.__searchable__`` has it: the name, the province, the kind and the name.
        text = ' '.join(
            [_fold(name), _fold(province), f'{KIND_WORDS.get(kind, _fold(kind))} {_fold(name)}']
        )
        connection.execute(wards.update().where(wards.c.id == ward_id).values(search_text=text))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('working_ward_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_working_ward_id'), ['working_ward_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_users_working_ward_id_wards'), 'wards', ['working_ward_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_working_ward_id_wards'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_working_ward_id'))
        batch_op.drop_column('working_ward_id')

    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.drop_column('search_text')
