"""A MOOC bulk email's messages are written by a job: course_run_bulk_emails.written_at says when

The request records the email and defers the job; the job writes one message per learner and sets written_at
(a retry that finds it set writes nothing). Every email recorded before this migration had its messages
written in its request: written_at = sent_at.

Revision ID: 5b7e2f91c0a4
Revises: 9c2e4b7d1a30
Create Date: 2026-12-22 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "5b7e2f91c0a4"
down_revision = "9c2e4b7d1a30"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("course_run_bulk_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("written_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE course_run_bulk_emails SET written_at = sent_at")


def downgrade():
    with op.batch_alter_table("course_run_bulk_emails", schema=None) as batch_op:
        batch_op.drop_column("written_at")
