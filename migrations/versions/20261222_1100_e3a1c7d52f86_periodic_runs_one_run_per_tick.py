"""periodic_runs: which job ran each tick of a periodic job, so that a tick runs once

Procrastinate defers each tick once, except when a worker lags a whole period behind the others; the job
that finds its tick already claimed here does nothing (core.jobs.claim_tick).

Revision ID: e3a1c7d52f86
Revises: 5b7e2f91c0a4
Create Date: 2026-12-22 11:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "e3a1c7d52f86"
down_revision = "5b7e2f91c0a4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "periodic_runs",
        sa.Column("task_name", sa.String(length=128), nullable=False),
        sa.Column("tick", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("task_name", "tick", name=op.f("pk_periodic_runs")),
    )


def downgrade():
    op.drop_table("periodic_runs")
