"""Application reviews outlive their reviewer's account: reviewer_id empty (SET NULL) once it is erased

Erasing a former trainer used to delete, through ON DELETE CASCADE, the scores she gave other candidates.

Revision ID: 5e8f1c2a7b94
Revises: 7c2d9e4f1a36
Create Date: 2027-01-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '5e8f1c2a7b94'
down_revision = '7c2d9e4f1a36'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application_reviews', schema=None) as batch_op:
        batch_op.drop_constraint('fk_application_reviews_reviewer_id_users', type_='foreignkey')
        batch_op.alter_column('reviewer_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key('fk_application_reviews_reviewer_id_users', 'users', ['reviewer_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    op.execute("DELETE FROM application_reviews WHERE reviewer_id IS NULL")
    with op.batch_alter_table('application_reviews', schema=None) as batch_op:
        batch_op.drop_constraint('fk_application_reviews_reviewer_id_users', type_='foreignkey')
        batch_op.alter_column('reviewer_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_application_reviews_reviewer_id_users', 'users', ['reviewer_id'], ['id'],
                                    ondelete='CASCADE')
