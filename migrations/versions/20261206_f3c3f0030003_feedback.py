"""feedback: ratings of answers, the conference survey, support for residents' questions

Revision ID: f3c3f0030003
Revises: e2b2f0020002
Create Date: 2026-12-06 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import dialogue.core.db

revision = 'f3c3f0030003'
down_revision = 'e2b2f0020002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('online', 'paper', name='response_source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('device_key', sa.String(length=64), nullable=True),
    sa.Column('access', sa.SmallInteger(), nullable=True),
    sa.Column('procedures', sa.SmallInteger(), nullable=True),
    sa.Column('officials', sa.SmallInteger(), nullable=True),
    sa.Column('results', sa.SmallInteger(), nullable=True),
    sa.Column('feedback', sa.SmallInteger(), nullable=True),
    sa.Column('visits', sa.SmallInteger(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('paper_number', sa.Integer(), nullable=True),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('access BETWEEN 1 AND 5', name=op.f('ck_survey_responses_access_score')),
    sa.CheckConstraint('feedback BETWEEN 1 AND 5', name=op.f('ck_survey_responses_feedback_score')),
    sa.CheckConstraint('officials BETWEEN 1 AND 5', name=op.f('ck_survey_responses_officials_score')),
    sa.CheckConstraint('procedures BETWEEN 1 AND 5', name=op.f('ck_survey_responses_procedures_score')),
    sa.CheckConstraint('results BETWEEN 1 AND 5', name=op.f('ck_survey_responses_results_score')),
    sa.CheckConstraint('visits BETWEEN 0 AND 2', name=op.f('ck_survey_responses_visits_range')),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_survey_responses_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_survey_responses_entered_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    sa.UniqueConstraint('conference_id', 'device_key', name=op.f('uq_survey_responses_conference_id_device_key'))
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index('ix_survey_responses_conference_source', ['conference_id', 'source'], unique=False)

    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_surveys_conference_id_conferences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('conference_id', name=op.f('uq_surveys_conference_id'))
    )
    op.create_table('answer_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('turn_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('spoken', 'written', name='answer_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('device_key', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Enum('very_satisfied', 'satisfied', 'dissatisfied', name='rating_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('is_asker', sa.Boolean(), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conferences.id'], name=op.f('fk_answer_ratings_conference_id_conferences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['turn_id'], ['turns.id'], name=op.f('fk_answer_ratings_turn_id_turns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_ratings')),
    sa.UniqueConstraint('turn_id', 'kind', 'device_key', name=op.f('uq_answer_ratings_turn_id_kind_device_key'))
    )
    with op.batch_alter_table('answer_ratings', schema=None) as batch_op:
        batch_op.create_index('ix_answer_ratings_conference_kind', ['conference_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_ratings_turn_id'), ['turn_id'], unique=False)

    op.create_table('question_supports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('device_key', sa.String(length=64), nullable=False),
    sa.Column('created_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['resident_questions.id'], name=op.f('fk_question_supports_question_id_resident_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_supports')),
    sa.UniqueConstraint('question_id', 'device_key', name=op.f('uq_question_supports_question_id_device_key'))
    )
    with op.batch_alter_table('resident_questions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_shown_publicly', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column('shown_dt', dialogue.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('support_count', sa.Integer(), nullable=False, server_default='0')
        )
    with op.batch_alter_table('resident_questions', schema=None) as batch_op:
        batch_op.alter_column('is_shown_publicly', existing_type=sa.Boolean(), server_default=None)
        batch_op.alter_column('support_count', existing_type=sa.Integer(), server_default=None)

    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('rating_public_minimum', sa.Integer(), nullable=False, server_default='3')
        )
        batch_op.add_column(
            sa.Column(
                'notice_includes_satisfaction',
                sa.Boolean(),
                nullable=False,
                server_default=sa.true(),
            )
        )
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.alter_column('rating_public_minimum', existing_type=sa.Integer(), server_default=None)
        batch_op.alter_column(
            'notice_includes_satisfaction', existing_type=sa.Boolean(), server_default=None
        )



def downgrade():
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.drop_column('notice_includes_satisfaction')
        batch_op.drop_column('rating_public_minimum')

    with op.batch_alter_table('resident_questions', schema=None) as batch_op:
        batch_op.drop_column('support_count')
        batch_op.drop_column('shown_dt')
        batch_op.drop_column('is_shown_publicly')

    op.drop_table('question_supports')
    with op.batch_alter_table('answer_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_ratings_turn_id'))
        batch_op.drop_index('ix_answer_ratings_conference_kind')

    op.drop_table('answer_ratings')
    op.drop_table('surveys')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_responses_conference_source')

    op.drop_table('survey_responses')
