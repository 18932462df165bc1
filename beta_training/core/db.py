"""Transaction edge: commit, then hand the mail the transaction wrote to the outbox to the background deliverer."""

import sqlalchemy as sa

from beta_training.core.mail import OUTBOX_IDS_KEY, deliver_after_commit
from beta_training.core.models import paris_day_of_stored_utc
from beta_training.extensions import db


def commit() -> None:
    """Commit the request's unit of work, then have the mail it queued delivered (never before, and never
    while the request waits: SMTP happens in the background)."""
    session = db.session()
    queued = list(session.info.pop(OUTBOX_IDS_KEY, []))
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    if queued:
        deliver_after_commit(queued)


def rollback() -> None:
    session = db.session()
    session.info.pop(OUTBOX_IDS_KEY, None)
    session.rollback()


def lock_for_update(model, row_id: int) -> None:
    """Hold `model` row `row_id` until commit, so check-then-write sequences on it are serialised.

    PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks: the read transaction is ended and the
    next one starts with a write, which takes the database write lock (others wait busy_timeout);
    callers therefore lock first, before loading what they will check.
    """
    session = db.session()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())
        return
    session.commit()
    table = model.__table__
    session.execute(sa.update(table).where(table.c.id == row_id).values(id=table.c.id))


def configure_sqlite(engine: sa.Engine, busy_timeout_ms: int = 15000) -> None:
    """WAL, a busy timeout and foreign keys; explicit BEGIN so SQLite transactions behave like PostgreSQL's."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself (pysqlite legacy mode off)
        dbapi_connection.create_function("paris_day", 1, paris_day_of_stored_utc, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")
