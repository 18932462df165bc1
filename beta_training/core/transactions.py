"""How transactions begin and wait for each other: the write intent (SQLite's write transactions begin
IMMEDIATE, see core.db.configure_sqlite) and row locks.

Below core.mail and core.jobs, which need them (a message is sent under its row lock, a job declares that it
writes), and below core.db, which re-exports them with the commit: so core.db imports the mail and the jobs
and nothing imports core.db back (no circle; `.importlinter`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

import sqlalchemy as sa
from flask import has_request_context, request

from beta_training.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set by `writing()` around work outside a request that reads then writes (cron commands), and by
# `reading()` around what a failed write request still has to read (its error page).
_intent: ContextVar[bool | None] = ContextVar("beta_training_write_intent", default=None)
IMMEDIATE_KEY = "sqlite_immediate"


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


