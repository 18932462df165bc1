"""A comité score outlives its scorer's erased account (scorer emptied, ON DELETE SET NULL): a decided comité's
averages do not change after the fact

Revision ID: 5e1f0c2b7a94
Revises: 006b3528f085
Create Date: 2027-01-16 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0c2b7a94'
down_revision = '006b3528f085'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('committee_scores', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_committee_scores_scorer_id_users'), type_='foreignkey')
        batch_op.alter_column('scorer_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_committee_scores_scorer_id_users'), 'users', ['scorer_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    # Scores of erased scorers have no one to point at: they go, as the cascade made them go before.
    op.execute('DELETE FROM committee_scores WHERE scorer_id IS NULL')
    with op.batch_alter_table('committee_scores', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_committee_scores_scorer_id_users'), type_='foreignkey')
        batch_op.alter_column('scorer_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_committee_scores_scorer_id_users'), 'users', ['scorer_id'], ['id'],
                                    ondelete='CASCADE')
