"""Transaction edge: commit, then deliver the mail the transaction wrote to the outbox."""

import sqlalchemy as sa

from beta_training.core.models import paris_day_of_stored_utc
from beta_training.extensions import db

OUTBOX_IDS_KEY = "outbox_ids"


def commit() -> None:
    """Commit the request's unit of work, then try to deliver the mail it queued (never before)."""
    from beta_training.core.mail import deliver_pending

    session = db.session()
    queued = list(session.info.pop(OUTBOX_IDS_KEY, []))
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    if queued:
        deliver_pending(ids=queued)


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
    # A no-op write: every column with an onupdate (updated_at) is set to itself, so the lock changes nothing.
    unchanged = {column.name: column for column in table.columns if column.onupdate is not None}
    session.execute(sa.update(table).where(table.c.id == row_id).values(id=table.c.id, **unchanged))


def earlier_submission(model, submission_key: str | None, *, lock: tuple, **owner):
    """One-time form keys: what the first submission of this rendered form wrote, or None.

    A form carries a key (core.forms.SubmissionKeyField); the row it creates stores it, unique per owner
    (e.g. author_id + submission_key). The place the row is written to — `lock`, a (model, id) pair — is
    locked first, so two clicks of one double click queue there and the second one finds the row of the
    first one instead of writing another. `owner`: the columns that scope the key (author_id=…).
    """
    if not submission_key:
        return None
    lock_for_update(*lock)
    return db.session.scalar(sa.select(model).filter_by(submission_key=submission_key, **owner))


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
