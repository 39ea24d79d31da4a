"""foundation: wards, reference lists, people, staff, conferences, audit

Revision ID: 3c851b98686d
Revises: 
Create Date: 2026-11-27 19:57:41.961292
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = '3c851b98686d'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.Enum('create', 'update', 'delete', 'event', name='audit_action', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('entity_type', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=255), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_ward_created', ['ward_id', 'created_dt'], unique=False)

    op.create_table('wards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('phuong', 'xa', 'dac_khu', name='ward_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('province', sa.String(length=120), nullable=False),
    sa.Column('parent_agency', sa.String(length=200), nullable=False),
    sa.Column('place_name', sa.String(length=120), nullable=False),
    sa.Column('issuer_code', sa.String(length=20), nullable=False),
    sa.Column('timezone', sa.String(length=60), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wards')),
    sa.UniqueConstraint('slug', name=op.f('uq_wards_slug'))
    )
    op.create_table('delegate_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name_vi', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_delegate_categories_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegate_categories')),
    sa.UniqueConstraint('ward_id', 'code', name=op.f('uq_delegate_categories_ward_id_code'))
    )
    with op.batch_alter_table('delegate_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegate_categories_ward_id'), ['ward_id'], unique=False)

    op.create_table('procedure_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name_vi', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('group_vi', sa.String(length=120), nullable=False),
    sa.Column('group_en', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_procedure_areas_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_areas')),
    sa.UniqueConstraint('ward_id', 'code', name=op.f('uq_procedure_areas_ward_id_code'))
    )
    with op.batch_alter_table('procedure_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_areas_ward_id'), ['ward_id'], unique=False)

    op.create_table('residential_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('head_name', sa.String(length=120), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_residential_groups_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residential_groups')),
    sa.UniqueConstraint('ward_id', 'number', name=op.f('uq_residential_groups_ward_id_number'))
    )
    with op.batch_alter_table('residential_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residential_groups_ward_id'), ['ward_id'], unique=False)

    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('short_name', sa.String(length=60), nullable=False),
    sa.Column('head_name', sa.String(length=120), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_units_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('ward_id', 'name', name=op.f('uq_units_ward_id_name'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_ward_id'), ['ward_id'], unique=False)

    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('residential_group_id', sa.Integer(), nullable=True),
    sa.Column('delegate_category_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('has_consent', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delegate_category_id'], ['delegate_categories.id'], name=op.f('fk_people_delegate_category_id_delegate_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['residential_group_id'], ['residential_groups.id'], name=op.f('fk_people_residential_group_id_residential_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_people_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_delegate_category_id'), ['delegate_category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_residential_group_id'), ['residential_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_ward_id'), ['ward_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('administrator', 'organiser', 'secretary', 'chair', 'responder', name='user_role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('login_token', sa.String(length=64), nullable=False),
    sa.Column('last_login_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_users_unit_id_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_users_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('login_token', name=op.f('uq_users_login_token')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_ward_id'), ['ward_id'], unique=False)

    op.create_table('conferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('plan_number', sa.String(length=60), nullable=False),
    sa.Column('plan_date', sa.Date(), nullable=True),
    sa.Column('reporting_period', sa.String(length=120), nullable=False),
    sa.Column('start_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('planned_end_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('venue', sa.String(length=255), nullable=False),
    sa.Column('chair_id', sa.Integer(), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'announced', 'in_progress', 'closed', 'published', 'cancelled', name='conference_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status_changed_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('planned_end_dt IS NULL OR planned_end_dt > start_dt', name=op.f('ck_conferences_end_after_start')),
    sa.ForeignKeyConstraint(['chair_id'], ['people.id'], name=op.f('fk_conferences_chair_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['people.id'], name=op.f('fk_conferences_reporter_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_conferences_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conferences'))
    )
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conferences_chair_id'), ['chair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conferences_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conferences_ward_id'), ['ward_id'], unique=False)

    op.create_table('pending_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pending_imports_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_pending_imports_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_imports')),
    sa.UniqueConstraint('token', name=op.f('uq_pending_imports_token'))
    )
    with op.batch_alter_table('pending_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_imports_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_imports_ward_id'), ['ward_id'], unique=False)

    op.create_table('conference_cochairs',
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_conference_cochairs_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_conference_cochairs_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conference_id', 'person_id', name=op.f('pk_conference_cochairs'))
    )
    op.create_table('conference_secretaries',
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_conference_secretaries_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conference_secretaries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conference_id', 'user_id', name=op.f('pk_conference_secretaries'))
    )


def downgrade():
    op.drop_table('conference_secretaries')
    op.drop_table('conference_cochairs')
    with op.batch_alter_table('pending_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_imports_ward_id'))
        batch_op.drop_index(batch_op.f('ix_pending_imports_user_id'))

    op.drop_table('pending_imports')
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conferences_ward_id'))
        batch_op.drop_index(batch_op.f('ix_conferences_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_conferences_chair_id'))

    op.drop_table('conferences')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_ward_id'))
        batch_op.drop_index(batch_op.f('ix_users_unit_id'))

    op.drop_table('users')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_ward_id'))
        batch_op.drop_index(batch_op.f('ix_people_residential_group_id'))
        batch_op.drop_index(batch_op.f('ix_people_delegate_category_id'))

    op.drop_table('people')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_ward_id'))

    op.drop_table('units')
    with op.batch_alter_table('residential_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residential_groups_ward_id'))

    op.drop_table('residential_groups')
    with op.batch_alter_table('procedure_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_areas_ward_id'))

    op.drop_table('procedure_areas')
    with op.batch_alter_table('delegate_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegate_categories_ward_id'))

    op.drop_table('delegate_categories')
    op.drop_table('wards')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_ward_created')

    op.drop_table('audit_events')
