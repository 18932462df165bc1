"""Procrastinate's job queue (jobs, events, periodic defers, workers), on PostgreSQL only

Revision ID: 9c2e4b7d1a30
Revises: 7c2e5a9d41b8
Create Date: 2026-12-20 10:00:00.000000

The schema is Procrastinate 3.10.0's own `schema.sql`, kept beside the migrations
(migrations/procrastinate/schema-3.10.0.sql) so this migration creates the same objects whatever version is
installed later. Upgrading Procrastinate: a new migration runs, in order, the files of its
`procrastinate/sql/migrations/` newer than the version installed (their names start with the version).
SQLite has no job queue: jobs run in the web process after the commit (core/jobs.py), nothing to create.
"""
from pathlib import Path

from alembic import op

# revision identifiers, used by Alembic.
revision = '9c2e4b7d1a30'
down_revision = '7c2e5a9d41b8'
branch_labels = None
depends_on = None

SCHEMA = Path(__file__).resolve().parent.parent / "procrastinate" / "schema-3.10.0.sql"


def _run(sql: str) -> None:
    # Straight to psycopg (no bind parameters parsed in the SQL); `%` doubled as psycopg expects.
    op.get_bind().exec_driver_sql(sql.replace("%", "%%"))


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _run(SCHEMA.read_text(encoding="utf-8"))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _run(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,"
        " procrastinate_workers CASCADE"
    )
    # Every function of the schema (their names and signatures change between versions: read them back).
    _run(
        "DO $$ DECLARE f record; BEGIN"
        " FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'"
        " LOOP EXECUTE 'DROP FUNCTION IF EXISTS ' || f.signature || ' CASCADE'; END LOOP; END $$"
    )
    _run("DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_status, procrastinate_job_event_type CASCADE")
