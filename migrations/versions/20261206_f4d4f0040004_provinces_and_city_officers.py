"""provinces and city officers: wards belong to a province, city accounts to a province

Revision ID: f4d4f0040004
Revises: f3c3f0030003
Create Date: 2026-12-06 13:00:00.000000
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = 'f4d4f0040004'
down_revision = 'f3c3f0030003'
branch_labels = None
depends_on = None

WARD_ROLES = ('administrator', 'organiser', 'secretary', 'chair', 'responder')
ALL_ROLES = (*WARD_ROLES, 'city')


def _normalized(text):
    # As the application writes names (dialogue.core.text.normalize_text), frozen here.
    return ' '.join(unicodedata.normalize('NFC', text or '').split())


def _role_check(roles) -> str:
    return 'role IN (' + ', '.join(f"'{role}'" for role in roles) + ')'


def upgrade():
    op.create_table('provinces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provinces')),
    sa.UniqueConstraint('name', name=op.f('uq_provinces_name'))
    )
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_wards_province_id'), ['province_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_wards_province_id_provinces'), 'provinces', ['province_id'], ['id'], ondelete='SET NULL')

    # The provinces the wards already name, one record each, and each ward linked to its own.
    connection = op.get_bind()
    wards = sa.table('wards', sa.column('id', sa.Integer), sa.column('province', sa.String), sa.column('province_id', sa.Integer))
    provinces = sa.table('provinces', sa.column('id', sa.Integer), sa.column('name', sa.String), sa.column('created_dt', dialogue.core.db.UTCDateTime(timezone=True)), sa.column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True)))
    ward_ids_by_name = {}
    for ward_id, text in connection.execute(sa.select(wards.c.id, wards.c.province)):
        name = _normalized(text)
        if name:
            ward_ids_by_name.setdefault(name, []).append(ward_id)
    now = dialogue.core.db.utcnow()
    for name, ward_ids in sorted(ward_ids_by_name.items()):
        connection.execute(provinces.insert().values(name=name, created_dt=now, updated_dt=now))
        province_id = connection.execute(sa.select(provinces.c.id).where(provinces.c.name == name)).scalar_one()
        connection.execute(wards.update().where(wards.c.id.in_(ward_ids)).values(province_id=province_id))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province_id', sa.Integer(), nullable=True))
        batch_op.alter_column('ward_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(op.f('ck_users_user_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_user_role'), _role_check(ALL_ROLES))
        batch_op.create_check_constraint(op.f('ck_users_ward_or_province'), "(role = 'city' AND ward_id IS NULL AND province_id IS NOT NULL) OR (role <> 'city' AND ward_id IS NOT NULL AND province_id IS NULL)")
        batch_op.create_index(batch_op.f('ix_users_province_id'), ['province_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_province_id_provinces'), 'provinces', ['province_id'], ['id'], ondelete='RESTRICT')


def downgrade():
    # City accounts have no ward: they cannot survive the older schema.
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM users WHERE role = 'city'"))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_province_id_provinces'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_province_id'))
        batch_op.drop_constraint(op.f('ck_users_ward_or_province'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_user_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_user_role'), _role_check(WARD_ROLES))
        batch_op.alter_column('ward_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('province_id')

    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_wards_province_id_provinces'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_wards_province_id'))
        batch_op.drop_column('province_id')

    op.drop_table('provinces')
