"""Appel à intrapreneurs: calls, the dossiers candidates file to them, the reviewers' evaluations

Revision ID: a0a63aabe898
Revises: d3b8f5a1c270
Create Date: 2027-01-11 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'a0a63aabe898'
down_revision = 'd3b8f5a1c270'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('incubator', sa.String(length=200), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('guide', sa.Text(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('preselect_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('informed_at', sa.DateTime(), nullable=True),
    sa.Column('coaching_at', sa.DateTime(), nullable=True),
    sa.Column('coaching_place', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_calls_closes_after_opening')),
    sa.CheckConstraint('preselect_count >= 1', name=op.f('ck_calls_preselect_count_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_calls_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_opens_at'), ['opens_at'], unique=False)

    op.create_table('call_dossiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('sheet_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('solution', sa.Text(), nullable=False),
    sa.Column('first_users', sa.Text(), nullable=False),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('callback', sa.String(length=3), nullable=False),
    sa.Column('consent_guide', sa.Boolean(), nullable=False),
    sa.Column('consent_share', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submission_key', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(state = 'draft') = (submitted_at IS NULL)", name=op.f('ck_call_dossiers_submitted_iff_not_draft')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_dossiers_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_call_dossiers_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sheet_id'], ['product_sheets.id'], name=op.f('fk_call_dossiers_sheet_id_product_sheets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_dossiers')),
    sa.UniqueConstraint('owner_id', 'submission_key', name='uq_call_dossiers_owner_submission_key')
    )
    with op.batch_alter_table('call_dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_dossiers_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_dossiers_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_dossiers_sheet_id'), ['sheet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_dossiers_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_dossiers_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('dossier_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('average', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['call_dossiers.id'], name=op.f('fk_dossier_evaluations_dossier_id_call_dossiers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_dossier_evaluations_reviewer_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_evaluations')),
    sa.UniqueConstraint('dossier_id', 'reviewer_id', name='uq_dossier_evaluations_dossier_reviewer')
    )
    with op.batch_alter_table('dossier_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_evaluations_dossier_id'), ['dossier_id'], unique=False)



def downgrade():
    with op.batch_alter_table('dossier_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_evaluations_dossier_id'))

    op.drop_table('dossier_evaluations')
    with op.batch_alter_table('call_dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_dossiers_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_call_dossiers_state'))
        batch_op.drop_index(batch_op.f('ix_call_dossiers_sheet_id'))
        batch_op.drop_index(batch_op.f('ix_call_dossiers_owner_id'))
        batch_op.drop_index(batch_op.f('ix_call_dossiers_call_id'))

    op.drop_table('call_dossiers')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_opens_at'))

    op.drop_table('calls')
