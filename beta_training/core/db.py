"""Transaction edge: commit with the jobs the transaction asked for (the delivery of the mail it wrote to the
outbox); how SQLite and PostgreSQL transactions begin and wait for each other."""

import sqlalchemy as sa

from beta_training.core import jobs
from beta_training.core.mail import OUTBOX_IDS_KEY, defer_delivery
from beta_training.core.models import paris_day_of_stored_utc
# Re-exported: callers take them from core.db with the commit; core.mail and core.jobs, below it, from there.
from beta_training.core.transactions import (  # noqa: F401
    IMMEDIATE_KEY,
    SAFE_METHODS,
    expects_writes,
    lock_for_update,
    reading,
    writes,
    writing,
)
from beta_training.extensions import db


def commit() -> None:
    """Commit the request's unit of work with the jobs that deliver the mail it queued: written in this very
    transaction (Procrastinate), or run by a background thread once it is committed (in-process). Never
    before the commit, and never while the request waits: SMTP happens in the worker."""
    session = db.session()
    queued = list(session.info.pop(OUTBOX_IDS_KEY, []))
    try:
        if queued:
            defer_delivery(queued)
        after_commit = jobs.take_after_commit(session)
        session.commit()
    except Exception:
        session.info.pop(jobs.AFTER_COMMIT_KEY, None)
        session.rollback()
        raise
    jobs.run_after_commit(after_commit)


def rollback() -> None:
    session = db.session()
    session.info.pop(OUTBOX_IDS_KEY, None)
    session.info.pop(jobs.AFTER_COMMIT_KEY, None)
    session.rollback()


def delete_once(row, *, lock: tuple) -> bool:
    """Delete `row` under the lock of the place it belongs to — `lock`, a (model, id) pair — so a second
    click waits for the first, then finds the row gone: False, nothing else happens."""
    model, row_id = type(row), row.id  # read before the lock (on SQLite outside a request, it commits and expires)
    lock_for_update(*lock)
    if db.session.get(model, row_id, populate_existing=True) is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


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
    """WAL, a busy timeout and foreign keys; explicit BEGIN so SQLite transactions behave like PostgreSQL's.

    Write transactions begin IMMEDIATE. A deferred transaction that reads and then writes holds a WAL
    snapshot it cannot upgrade once another writer has committed: SQLite answers « database is locked » at
    once, whatever the busy timeout. Taking the write lock at BEGIN makes writers queue (up to the busy
    timeout) instead; reads (GET) stay deferred and concurrent.
    """

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
        immediate = expects_writes()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        connection.info[IMMEDIATE_KEY] = immediate


def configure_postgresql(engine: sa.Engine, lock_timeout_ms: int) -> None:
    """A statement waiting for a row lock gives up after `lock_timeout_ms` (the « réessayez » page) rather than
    holding a worker for ever."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        dbapi_connection.commit()


def is_busy_error(error: BaseException) -> bool:
    """The database was too busy to answer in time (lock wait timed out, deadlock, serialisation failure):
    worth retrying, not a bug."""
    if not isinstance(error, sa.exc.OperationalError):
        return False
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)  # psycopg
    if sqlstate is not None:
        return sqlstate in BUSY_SQLSTATES
    message = str(original).lower()
    return "database is locked" in message or "database table is locked" in message


# lock_not_available, deadlock_detected, serialization_failure
BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001"})
