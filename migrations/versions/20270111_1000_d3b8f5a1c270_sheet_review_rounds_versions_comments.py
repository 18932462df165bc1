"""Fiche review rubric: review rounds, how each version was saved (autosave, manual, restore), comments on the
follow-up's milestones and indicators

Revision ID: d3b8f5a1c270
Revises: c7e1a9d40b52
Create Date: 2027-01-11 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'd3b8f5a1c270'
down_revision = 'c7e1a9d40b52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product_sheets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_round', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('sheet_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('sheet_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=True))  # earlier saves: not known
        batch_op.add_column(sa.Column('restored_from', sa.Integer(), nullable=True))
    # Until now every review decided its round: the n-th review of a sheet is its round n. A sheet sent again
    # since its last review (waiting or in review) is in the round after.
    op.execute("""
        UPDATE sheet_reviews SET round = (
            SELECT count(*) FROM sheet_reviews AS earlier
            WHERE earlier.sheet_id = sheet_reviews.sheet_id
              AND (earlier.created_at < sheet_reviews.created_at
                   OR (earlier.created_at = sheet_reviews.created_at AND earlier.id <= sheet_reviews.id)))
    """)
    op.execute("""
        UPDATE product_sheets SET review_round = (
            SELECT count(*) FROM sheet_reviews WHERE sheet_reviews.sheet_id = product_sheets.id)
            + CASE WHEN state IN ('submitted', 'in_review') THEN 1 ELSE 0 END
    """)
    op.create_table(
        'sheet_follow_up_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sheet_id', sa.Integer(), nullable=False),
        sa.Column('milestone_id', sa.Integer(), nullable=True),
        sa.Column('indicator', sa.String(length=200), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(milestone_id IS NULL) <> (indicator IS NULL)', name=op.f('ck_sheet_follow_up_comments_one_target')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_sheet_follow_up_comments_author_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['milestone_id'], ['sheet_milestones.id'],
                                name=op.f('fk_sheet_follow_up_comments_milestone_id_sheet_milestones'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sheet_id'], ['product_sheets.id'],
                                name=op.f('fk_sheet_follow_up_comments_sheet_id_product_sheets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sheet_follow_up_comments')),
    )
    with op.batch_alter_table('sheet_follow_up_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sheet_follow_up_comments_sheet_id'), ['sheet_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sheet_follow_up_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sheet_follow_up_comments_sheet_id'))
    op.drop_table('sheet_follow_up_comments')
    # A sheet waiting for a second opinion goes back to the queue it came from (the state no longer exists).
    op.execute("UPDATE product_sheets SET state = 'submitted' WHERE state = 'second_review'")
    with op.batch_alter_table('sheet_versions', schema=None) as batch_op:
        batch_op.drop_column('restored_from')
        batch_op.drop_column('kind')
    with op.batch_alter_table('sheet_reviews', schema=None) as batch_op:
        batch_op.drop_column('round')
    with op.batch_alter_table('product_sheets', schema=None) as batch_op:
        batch_op.drop_column('review_round')
