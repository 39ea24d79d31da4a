"""live session: turns, live events, resident questions, conclusion and its tasks

Revision ID: 3aeaefc3789c
Revises: 0badba3c8aa1
Create Date: 2026-11-27 22:07:20.589762
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = '3aeaefc3789c'
down_revision = '0badba3c8aa1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conclusion_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_conclusion_tasks_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_conclusion_tasks_unit_id_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conclusion_tasks'))
    )
    with op.batch_alter_table('conclusion_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conclusion_tasks_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conclusion_tasks_unit_id'), ['unit_id'], unique=False)

    op.create_table('live_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('staff_payload', sa.JSON(), nullable=False),
    sa.Column('public_payload', sa.JSON(), nullable=True),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_live_events_conference_id_conferences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_events')),
    sa.UniqueConstraint('conference_id', 'sequence', name=op.f('uq_live_events_conference_id_sequence'))
    )
    with op.batch_alter_table('live_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_events_conference_id'), ['conference_id'], unique=False)

    op.create_table('turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('speaker_attendee_id', sa.Integer(), nullable=True),
    sa.Column('speaker_name', sa.String(length=120), nullable=False),
    sa.Column('speaker_group_id', sa.Integer(), nullable=True),
    sa.Column('speaker_organisation', sa.String(length=200), nullable=False),
    sa.Column('procedure_area_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Enum('pending', 'answered', 'referred', name='turn_outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('answerer_attendee_id', sa.Integer(), nullable=True),
    sa.Column('answerer_name', sa.String(length=255), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('referral_unit_id', sa.Integer(), nullable=True),
    sa.Column('referral_due_date', sa.Date(), nullable=True),
    sa.Column('referral_note', sa.Text(), nullable=False),
    sa.Column('withdrawn_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version > 0', name=op.f('ck_turns_positive_version')),
    sa.ForeignKeyConstraint(['answerer_attendee_id'], ['attendees.id'], name=op.f('fk_turns_answerer_attendee_id_attendees'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_turns_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_turns_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['procedure_area_id'], ['procedure_areas.id'], name=op.f('fk_turns_procedure_area_id_procedure_areas'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referral_unit_id'], ['units.id'], name=op.f('fk_turns_referral_unit_id_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['speaker_attendee_id'], ['attendees.id'], name=op.f('fk_turns_speaker_attendee_id_attendees'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['speaker_group_id'], ['residential_groups.id'], name=op.f('fk_turns_speaker_group_id_residential_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_turns_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_turns')),
    sa.UniqueConstraint('conference_id', 'client_key', name=op.f('uq_turns_conference_id_client_key'))
    )
    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_turns_answerer_attendee_id'), ['answerer_attendee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_turns_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_turns_procedure_area_id'), ['procedure_area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_turns_referral_unit_id'), ['referral_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_turns_speaker_attendee_id'), ['speaker_attendee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_turns_speaker_group_id'), ['speaker_group_id'], unique=False)

    op.create_table('resident_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('asker_name', sa.String(length=120), nullable=False),
    sa.Column('residential_group_id', sa.Integer(), nullable=True),
    sa.Column('procedure_area_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('has_contact_consent', sa.Boolean(), nullable=False),
    sa.Column('follow_token', sa.String(length=40), nullable=False),
    sa.Column('is_during_meeting', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'accepted', 'merged', 'rejected', name='question_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('turn_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.Column('moderated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_resident_questions_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['resident_questions.id'], name=op.f('fk_resident_questions_merged_into_id_resident_questions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_resident_questions_moderated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['procedure_area_id'], ['procedure_areas.id'], name=op.f('fk_resident_questions_procedure_area_id_procedure_areas'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['residential_group_id'], ['residential_groups.id'], name=op.f('fk_resident_questions_residential_group_id_residential_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['turn_id'], ['turns.id'], name=op.f('fk_resident_questions_turn_id_turns'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_questions')),
    sa.UniqueConstraint('follow_token', name=op.f('uq_resident_questions_follow_token'))
    )
    with op.batch_alter_table('resident_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_questions_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_questions_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_questions_procedure_area_id'), ['procedure_area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_questions_residential_group_id'), ['residential_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_questions_turn_id'), ['turn_id'], unique=False)

    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conclusion', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('live_sequence', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shows_speaker_names', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.drop_column('shows_speaker_names')

    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_column('live_sequence')
        batch_op.drop_column('conclusion')

    with op.batch_alter_table('resident_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_questions_turn_id'))
        batch_op.drop_index(batch_op.f('ix_resident_questions_residential_group_id'))
        batch_op.drop_index(batch_op.f('ix_resident_questions_procedure_area_id'))
        batch_op.drop_index(batch_op.f('ix_resident_questions_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_resident_questions_conference_id'))

    op.drop_table('resident_questions')
    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_turns_speaker_group_id'))
        batch_op.drop_index(batch_op.f('ix_turns_speaker_attendee_id'))
        batch_op.drop_index(batch_op.f('ix_turns_referral_unit_id'))
        batch_op.drop_index(batch_op.f('ix_turns_procedure_area_id'))
        batch_op.drop_index(batch_op.f('ix_turns_conference_id'))
        batch_op.drop_index(batch_op.f('ix_turns_answerer_attendee_id'))

    op.drop_table('turns')
    with op.batch_alter_table('live_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_events_conference_id'))

    op.drop_table('live_events')
    with op.batch_alter_table('conclusion_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conclusion_tasks_unit_id'))
        batch_op.drop_index(batch_op.f('ix_conclusion_tasks_conference_id'))

    op.drop_table('conclusion_tasks')
