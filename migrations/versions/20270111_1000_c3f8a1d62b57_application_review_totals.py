"""Applications keep their evaluations' totals (count, sum per criterion, overall average), and the trainers'
queues get their indexes (one per sort of the Alpha queue, one for the fiche queue); totals filled from the
evaluations already recorded

The queue aggregated every evaluation of the session at each view, twice (its page and its count): 35 % of the
page at 5,000 applications. cohorts.services.record_review now keeps these columns in the evaluation's
transaction; the backfill below sums them up as services.refresh_review_totals() does.

Revision ID: c3f8a1d62b57
Revises: a4c9e2f7d318
Create Date: 2027-01-11 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f8a1d62b57'
down_revision = 'a4c9e2f7d318'
branch_labels = None
depends_on = None

CRITERIA = ("problem_score", "motivation_score", "solution_score")


def _of_its_reviews(aggregate: str) -> str:
    return f"(SELECT {aggregate} FROM application_reviews WHERE application_reviews.application_id = cohort_applications.id)"


def upgrade():
    with op.batch_alter_table('cohort_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_count', sa.Integer(), server_default='0', nullable=False))
        for name in CRITERIA:
            batch_op.add_column(sa.Column(f'{name}_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('average_score', sa.Float(), nullable=True))
        batch_op.create_index('ix_cohort_applications_cohort_state', ['cohort_id', 'state', 'waitlist_position'], unique=False)
        batch_op.create_index('ix_cohort_applications_queue_name', ['cohort_id', 'last_name', 'first_name', 'id'], unique=False)
        batch_op.create_index('ix_cohort_applications_queue_score', ['cohort_id', 'average_score', 'id'], unique=False)
        batch_op.create_index('ix_cohort_applications_queue_submitted', ['cohort_id', 'submitted_at', 'id'], unique=False)

    with op.batch_alter_table('product_sheets', schema=None) as batch_op:
        batch_op.create_index('ix_product_sheets_queue', ['state', 'submitted_at', 'id'], unique=False)

    totals = ", ".join(f"{name}_total = {_of_its_reviews(f'COALESCE(SUM({name}), 0)')}" for name in CRITERIA)
    criteria_sum = " + ".join(CRITERIA)
    op.execute(
        f"UPDATE cohort_applications SET review_count = {_of_its_reviews('COUNT(*)')}, {totals}, "
        f"average_score = {_of_its_reviews(f'CAST(SUM({criteria_sum}) AS FLOAT) / NULLIF({len(CRITERIA)} * COUNT(*), 0)')} "
        "WHERE id IN (SELECT application_id FROM application_reviews)"
    )


def downgrade():
    with op.batch_alter_table('product_sheets', schema=None) as batch_op:
        batch_op.drop_index('ix_product_sheets_queue')
    with op.batch_alter_table('cohort_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_applications_queue_submitted')
        batch_op.drop_index('ix_cohort_applications_queue_score')
        batch_op.drop_index('ix_cohort_applications_queue_name')
        batch_op.drop_index('ix_cohort_applications_cohort_state')
        batch_op.drop_column('average_score')
        for name in reversed(CRITERIA):
            batch_op.drop_column(f'{name}_total')
        batch_op.drop_column('review_count')
