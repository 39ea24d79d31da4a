"""conference preparation: agenda, announcement, attendees, document numbers, dossier figures, photos

Revision ID: 0badba3c8aa1
Revises: 3c851b98686d
Create Date: 2026-11-27 20:43:46.136524
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = '0badba3c8aa1'
down_revision = '3c851b98686d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_code', sa.String(length=20), nullable=False),
    sa.Column('doc_type', sa.Enum('KH', 'BB', 'TB', 'BC', 'GM', name='document_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_document_counters_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_counters')),
    sa.UniqueConstraint('ward_id', 'issuer_code', 'doc_type', 'year', name=op.f('uq_document_counters_ward_id_issuer_code_doc_type_year'))
    )
    with op.batch_alter_table('document_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_counters_ward_id'), ['ward_id'], unique=False)

    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('presenter', sa.String(length=200), nullable=False),
    sa.Column('planned_minutes', sa.Integer(), nullable=True),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('planned_minutes IS NULL OR planned_minutes > 0', name=op.f('ck_agenda_items_positive_minutes')),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_agenda_items_conference_id_conferences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_conference_id'), ['conference_id'], unique=False)

    op.create_table('attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('residential_group_id', sa.Integer(), nullable=True),
    sa.Column('delegate_category_id', sa.Integer(), nullable=True),
    sa.Column('is_invited', sa.Boolean(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('expected', 'present', 'excused', name='attendance_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('check_in_method', sa.Enum('qr', 'name', 'walk_in', name='check_in_method', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('checked_in_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by_id', sa.Integer(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checked_in_by_id'], ['users.id'], name=op.f('fk_attendees_checked_in_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_attendees_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delegate_category_id'], ['delegate_categories.id'], name=op.f('fk_attendees_delegate_category_id_delegate_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_attendees_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['residential_group_id'], ['residential_groups.id'], name=op.f('fk_attendees_residential_group_id_residential_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendees')),
    sa.UniqueConstraint('conference_id', 'person_id', name=op.f('uq_attendees_conference_id_person_id')),
    sa.UniqueConstraint('token', name=op.f('uq_attendees_token'))
    )
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendees_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendees_delegate_category_id'), ['delegate_category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendees_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendees_residential_group_id'), ['residential_group_id'], unique=False)

    op.create_table('document_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_code', sa.String(length=20), nullable=False),
    sa.Column('doc_type', sa.Enum('KH', 'BB', 'TB', 'BC', 'GM', name='document_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=255), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('number > 0', name=op.f('ck_document_numbers_positive_number')),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_document_numbers_conference_id_conferences'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_document_numbers_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_numbers')),
    sa.UniqueConstraint('ward_id', 'issuer_code', 'doc_type', 'year', 'number', name=op.f('uq_document_numbers_ward_id_issuer_code_doc_type_year_number'))
    )
    with op.batch_alter_table('document_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_numbers_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_numbers_ward_id'), ['ward_id'], unique=False)

    op.create_table('dossier_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('early_count', sa.Integer(), nullable=True),
    sa.Column('early_base', sa.Integer(), nullable=True),
    sa.Column('early_measure', sa.String(length=200), nullable=False),
    sa.Column('early_base_definition', sa.String(length=500), nullable=False),
    sa.Column('cutoff_date', sa.Date(), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('carried_over', sa.Integer(), nullable=False),
    sa.Column('received_online', sa.Integer(), nullable=False),
    sa.Column('received_desk', sa.Integer(), nullable=False),
    sa.Column('resolved_early', sa.Integer(), nullable=True),
    sa.Column('resolved_on_time', sa.Integer(), nullable=False),
    sa.Column('resolved_late', sa.Integer(), nullable=False),
    sa.Column('pending_within', sa.Integer(), nullable=False),
    sa.Column('pending_overdue', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=True),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(early_count IS NULL AND early_base IS NULL) OR (early_count IS NOT NULL AND early_base IS NOT NULL AND early_count <= early_base)', name=op.f('ck_dossier_reports_early_within_base')),
    sa.CheckConstraint('carried_over IS NULL OR carried_over >= 0', name=op.f('ck_dossier_reports_carried_over_not_negative')),
    sa.CheckConstraint('early_base IS NULL OR early_base >= 0', name=op.f('ck_dossier_reports_early_base_not_negative')),
    sa.CheckConstraint('early_count IS NULL OR early_count >= 0', name=op.f('ck_dossier_reports_early_count_not_negative')),
    sa.CheckConstraint('pending_overdue IS NULL OR pending_overdue >= 0', name=op.f('ck_dossier_reports_pending_overdue_not_negative')),
    sa.CheckConstraint('pending_within IS NULL OR pending_within >= 0', name=op.f('ck_dossier_reports_pending_within_not_negative')),
    sa.CheckConstraint('received_desk IS NULL OR received_desk >= 0', name=op.f('ck_dossier_reports_received_desk_not_negative')),
    sa.CheckConstraint('received_online IS NULL OR received_online >= 0', name=op.f('ck_dossier_reports_received_online_not_negative')),
    sa.CheckConstraint('resolved_early IS NULL OR resolved_early >= 0', name=op.f('ck_dossier_reports_resolved_early_not_negative')),
    sa.CheckConstraint('resolved_late IS NULL OR resolved_late >= 0', name=op.f('ck_dossier_reports_resolved_late_not_negative')),
    sa.CheckConstraint('resolved_on_time IS NULL OR resolved_on_time >= 0', name=op.f('ck_dossier_reports_resolved_on_time_not_negative')),
    sa.CheckConstraint('returned IS NULL OR returned >= 0', name=op.f('ck_dossier_reports_returned_not_negative')),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_dossier_reports_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_dossier_reports_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_reports')),
    sa.UniqueConstraint('conference_id', name=op.f('uq_dossier_reports_conference_id'))
    )
    with op.batch_alter_table('dossier_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_reports_ward_id'), ['ward_id'], unique=False)

    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=500), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('thumb_width', sa.Integer(), nullable=False),
    sa.Column('thumb_height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('thumb', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_photos_has_size')),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_photos_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_photos_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_photos_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index('ix_photos_conference_position', ['conference_id', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_uploaded_by_id'), ['uploaded_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_ward_id'), ['ward_id'], unique=False)

    op.create_table('dossier_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('procedure_area_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('online', 'desk', name='dossier_channel', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('carried_over', sa.Integer(), nullable=False),
    sa.Column('received_online', sa.Integer(), nullable=False),
    sa.Column('received_desk', sa.Integer(), nullable=False),
    sa.Column('resolved_early', sa.Integer(), nullable=True),
    sa.Column('resolved_on_time', sa.Integer(), nullable=False),
    sa.Column('resolved_late', sa.Integer(), nullable=False),
    sa.Column('pending_within', sa.Integer(), nullable=False),
    sa.Column('pending_overdue', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=True),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('carried_over IS NULL OR carried_over >= 0', name=op.f('ck_dossier_lines_carried_over_not_negative')),
    sa.CheckConstraint('pending_overdue IS NULL OR pending_overdue >= 0', name=op.f('ck_dossier_lines_pending_overdue_not_negative')),
    sa.CheckConstraint('pending_within IS NULL OR pending_within >= 0', name=op.f('ck_dossier_lines_pending_within_not_negative')),
    sa.CheckConstraint('procedure_area_id IS NOT NULL OR channel IS NOT NULL', name=op.f('ck_dossier_lines_area_or_channel')),
    sa.CheckConstraint('received_desk IS NULL OR received_desk >= 0', name=op.f('ck_dossier_lines_received_desk_not_negative')),
    sa.CheckConstraint('received_online IS NULL OR received_online >= 0', name=op.f('ck_dossier_lines_received_online_not_negative')),
    sa.CheckConstraint('resolved_early IS NULL OR resolved_early >= 0', name=op.f('ck_dossier_lines_resolved_early_not_negative')),
    sa.CheckConstraint('resolved_late IS NULL OR resolved_late >= 0', name=op.f('ck_dossier_lines_resolved_late_not_negative')),
    sa.CheckConstraint('resolved_on_time IS NULL OR resolved_on_time >= 0', name=op.f('ck_dossier_lines_resolved_on_time_not_negative')),
    sa.CheckConstraint('returned IS NULL OR returned >= 0', name=op.f('ck_dossier_lines_returned_not_negative')),
    sa.ForeignKeyConstraint(['procedure_area_id'], ['procedure_areas.id'], name=op.f('fk_dossier_lines_procedure_area_id_procedure_areas'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['report_id'], ['dossier_reports.id'], name=op.f('fk_dossier_lines_report_id_dossier_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_dossier_lines_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_lines'))
    )
    with op.batch_alter_table('dossier_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_lines_procedure_area_id'), ['procedure_area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_lines_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_lines_ward_id'), ['ward_id'], unique=False)

    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announced_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True))
        # Existing conferences had no short notice: an empty reason.
        batch_op.add_column(sa.Column('short_notice_reason', sa.Text(), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_column('short_notice_reason')
        batch_op.drop_column('announced_dt')

    with op.batch_alter_table('dossier_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_lines_ward_id'))
        batch_op.drop_index(batch_op.f('ix_dossier_lines_report_id'))
        batch_op.drop_index(batch_op.f('ix_dossier_lines_procedure_area_id'))

    op.drop_table('dossier_lines')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_ward_id'))
        batch_op.drop_index(batch_op.f('ix_photos_uploaded_by_id'))
        batch_op.drop_index('ix_photos_conference_position')

    op.drop_table('photos')
    with op.batch_alter_table('dossier_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_reports_ward_id'))

    op.drop_table('dossier_reports')
    with op.batch_alter_table('document_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_numbers_ward_id'))
        batch_op.drop_index(batch_op.f('ix_document_numbers_conference_id'))

    op.drop_table('document_numbers')
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendees_residential_group_id'))
        batch_op.drop_index(batch_op.f('ix_attendees_person_id'))
        batch_op.drop_index(batch_op.f('ix_attendees_delegate_category_id'))
        batch_op.drop_index(batch_op.f('ix_attendees_conference_id'))

    op.drop_table('attendees')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_conference_id'))

    op.drop_table('agenda_items')
    with op.batch_alter_table('document_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_counters_ward_id'))

    op.drop_table('document_counters')
