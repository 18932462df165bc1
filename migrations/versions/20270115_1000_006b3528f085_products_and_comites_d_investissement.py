"""Products (Startups d'État) after selection and their comités d'investissement: phases with their dates,
sponsors, team, indicators and roadmap carried over from the fiche; the team's file, scores and decisions

Revision ID: 006b3528f085
Revises: a0a63aabe898
Create Date: 2027-01-15 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '006b3528f085'
down_revision = 'a0a63aabe898'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('pitch', sa.Text(), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=False),
    sa.Column('incubator_name', sa.String(length=200), nullable=False),
    sa.Column('incubator_id', sa.String(length=100), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('submission_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_products_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sheet_id'], ['product_sheets.id'], name=op.f('fk_products_sheet_id_product_sheets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_phase'), ['phase'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_sheet_id'), ['sheet_id'], unique=False)

    op.create_table('committees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reminder_sent_at', sa.DateTime(), nullable=True),
    sa.Column('submission_key', sa.String(length=64), nullable=True),
    sa.Column('objectives_reached', sa.Text(), nullable=False),
    sa.Column('learnings', sa.Text(), nullable=False),
    sa.Column('priorities', sa.JSON(), nullable=False),
    sa.Column('budget', sa.JSON(), nullable=False),
    sa.Column('team_needs', sa.Text(), nullable=False),
    sa.Column('file_version', sa.Integer(), nullable=False),
    sa.Column('file_saved_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('decision_reasons', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('phase_before', sa.String(length=20), nullable=True),
    sa.Column('phase_after', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(state = 'decided') = (decision IS NOT NULL)", name=op.f('ck_committees_decision_iff_decided')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_committees_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_committees_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committees'))
    )
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committees_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_committees_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_committees_state'), ['state'], unique=False)

    op.create_table('product_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('baseline', sa.String(length=100), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_indicators_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_indicators'))
    )
    with op.batch_alter_table('product_indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_indicators_product_id'), ['product_id'], unique=False)

    op.create_table('product_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_members_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_product_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_members'))
    )
    with op.batch_alter_table('product_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_members_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_members_user_id'), ['user_id'], unique=False)

    op.create_table('product_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_milestones_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_milestones'))
    )
    with op.batch_alter_table('product_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_milestones_product_id'), ['product_id'], unique=False)

    op.create_table('product_sponsors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_sponsors_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_sponsors'))
    )
    with op.batch_alter_table('product_sponsors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_sponsors_product_id'), ['product_id'], unique=False)

    op.create_table('committee_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('scorer_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_committee_scores_committee_id_committees'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scorer_id'], ['users.id'], name=op.f('fk_committee_scores_scorer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_scores')),
    sa.UniqueConstraint('committee_id', 'scorer_id', name='uq_committee_scores_committee_scorer')
    )
    with op.batch_alter_table('committee_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_scores_committee_id'), ['committee_id'], unique=False)

    op.create_table('product_indicator_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('measured_on', sa.Date(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('submission_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_product_indicator_values_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['indicator_id'], ['product_indicators.id'], name=op.f('fk_product_indicator_values_indicator_id_product_indicators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_indicator_values'))
    )
    with op.batch_alter_table('product_indicator_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_indicator_values_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('product_phase_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= started_on', name=op.f('ck_product_phase_periods_ends_after_start')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_product_phase_periods_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_product_phase_periods_committee_id_committees'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_phase_periods_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_phase_periods'))
    )
    with op.batch_alter_table('product_phase_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_phase_periods_product_id'), ['product_id'], unique=False)



def downgrade():
    with op.batch_alter_table('product_phase_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_phase_periods_product_id'))

    op.drop_table('product_phase_periods')
    with op.batch_alter_table('product_indicator_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_indicator_values_indicator_id'))

    op.drop_table('product_indicator_values')
    with op.batch_alter_table('committee_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committee_scores_committee_id'))

    op.drop_table('committee_scores')
    with op.batch_alter_table('product_sponsors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_sponsors_product_id'))

    op.drop_table('product_sponsors')
    with op.batch_alter_table('product_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_milestones_product_id'))

    op.drop_table('product_milestones')
    with op.batch_alter_table('product_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_product_members_product_id'))

    op.drop_table('product_members')
    with op.batch_alter_table('product_indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_indicators_product_id'))

    op.drop_table('product_indicators')
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committees_state'))
        batch_op.drop_index(batch_op.f('ix_committees_product_id'))
        batch_op.drop_index(batch_op.f('ix_committees_held_on'))

    op.drop_table('committees')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_sheet_id'))
        batch_op.drop_index(batch_op.f('ix_products_phase'))

    op.drop_table('products')
