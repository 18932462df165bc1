"""Transaction edge: commit with the jobs the transaction asked for (the delivery of the mail it wrote to the
outbox); how SQLite and PostgreSQL transactions begin and wait for each other."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

import sqlalchemy as sa
from flask import has_request_context, request

from beta_training.core import jobs
from beta_training.core.mail import OUTBOX_IDS_KEY, defer_delivery
from beta_training.core.models import paris_day_of_stored_utc
from beta_training.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set by `writing()` around work outside a request that reads then writes (cron commands), and by
# `reading()` around what a failed write request still has to read (its error page).
_intent: ContextVar[bool | None] = ContextVar("beta_training_write_intent", default=None)


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


@contextmanager
def writing(writes: bool = True) -> Iterator[None]:
    """Declare that the work inside writes: on SQLite its transactions take the write lock when they begin.
    Requests need no such declaration (any method but GET/HEAD/OPTIONS is a write); cron commands do."""
    token = _intent.set(writes)
    try:
        yield
    finally:
        _intent.reset(token)


def reading():
    """Declare that the work inside only reads, even in a POST request (the page that says it failed)."""
    return writing(False)


def writes(function):
    """Decorator form of `writing()`, for CLI commands."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        with writing():
            return function(*args, **kwargs)

    return wrapper


def expects_writes() -> bool:
    declared = _intent.get()
    if declared is not None:
        return declared
    return has_request_context() and request.method not in SAFE_METHODS


def lock_for_update(model, row_id: int) -> None:
    """Hold `model` row `row_id` until commit, so check-then-write sequences on it are serialised.

    PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks, only the database write lock: a write
    transaction (`BEGIN IMMEDIATE`, see configure_sqlite) holds it already. Elsewhere (a GET that builds
    something on first visit) the read transaction is ended and the next one starts with a write, which
    takes the lock; callers therefore lock first, before loading what they will check.
    """
    session = db.session()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())
        return
    if session.connection().info.get(IMMEDIATE_KEY):
        return
    session.commit()
    table = model.__table__
    # A no-op write: every column with an onupdate (updated_at) is set to itself, so the lock changes nothing.
    unchanged = {column.name: column for column in table.columns if column.onupdate is not None}
    session.execute(sa.update(table).where(table.c.id == row_id).values(id=table.c.id, **unchanged))


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


IMMEDIATE_KEY = "sqlite_immediate"


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
