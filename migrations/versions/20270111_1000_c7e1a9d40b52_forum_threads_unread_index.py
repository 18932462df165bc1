"""Forum threads: indexes for the unread badge (a forum's threads without any post, its thread counts) and the lead's flag

Revision ID: c7e1a9d40b52
Revises: c3f8a1d62b57
Create Date: 2027-01-11 10:00:00.000000

"""
from alembic import op


revision = 'c7e1a9d40b52'
down_revision = 'c3f8a1d62b57'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.create_index('ix_forum_threads_unread', ['forum_id', 'last_post_id', 'opening_state'], unique=False)
        batch_op.create_index('ix_forum_threads_waiting',
                              ['category_id', 'has_staff_reply', 'accepted_post_id', 'state', 'opening_state'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.drop_index('ix_forum_threads_waiting')
        batch_op.drop_index('ix_forum_threads_unread')
