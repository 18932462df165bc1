"""Fire the same requests at the same instant, from threads released together by a barrier: a double click
or two tabs as the server really sees them (one after the other in a test would never overlap)."""

import re
import sqlite3
import threading
from contextlib import contextmanager

import sqlalchemy as sa

from beta_training.core import db as core_db
from beta_training.extensions import db

SUBMISSION_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def rendered_submission_key(client, url: str) -> str:
    """The one-time key of the form as the page at `url` renders it."""
    return SUBMISSION_KEY.search(client.get(url).text).group(1)


def post_at_once(app, user, url: str, data: dict, times: int = 2) -> list:
    """POST `data` to `url` `times` times at once, each as `user` in a client (and session) of its own.

    Returns the responses, in no particular order; a request that raised re-raises here.
    """
    barrier = threading.Barrier(times)
    responses, errors = [], []
    user_id = user.get_id()

    def post():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
        token = client.csrf_token()  # fetched before the barrier, so the posts themselves start together
        barrier.wait()
        try:
            responses.append(client.post(url, data={**data, "csrf_token": token}))
        except Exception as error:  # noqa: BLE001 — handed to the test thread below
            errors.append(error)

    threads = [threading.Thread(target=post) for _ in range(times)]
    db.session.commit()  # the test's own snapshot must not span the race
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.commit()  # then read what the race committed
    if errors:
        raise errors[0]
    assert len(responses) == times, "a request did not finish within 120 s"
    return responses


def services_at_once(app, load, act, times: int = 2) -> list:
    """Call a service `times` times at once, each call as a request would: in its own thread, app context and
    database session. `load()` reads what the call works on, by id (the test's objects belong to the test's
    session, which another thread must not use) (the request loading its objects, before any of
    them has committed); all threads then wait for each other and run `act(loaded)`, then commit through
    core.db (a refusal rolls back). A lock taken inside the service is what makes the calls queue.

    Returns what each call returned or raised, in no particular order; the test's session then reads fresh rows.
    """
    barrier = threading.Barrier(times)
    outcomes = []

    def call():
        with app.app_context(), app.test_request_context():
            loaded = load()
            barrier.wait(timeout=30)
            try:
                result = act(loaded)
            except Exception as error:  # noqa: BLE001 — the outcome the test looks at
                core_db.rollback()
                outcomes.append(error)
            else:
                core_db.commit()
                outcomes.append(result)

    threads = [threading.Thread(target=call) for _ in range(times)]
    db.session.commit()  # the test's own snapshot must not span the race
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.expire_all()
    db.session.commit()
    assert len(outcomes) == times, "a call did not finish within 120 s"
    return outcomes


@contextmanager
def row_inserted_meanwhile(app, table, values: dict):
    """Inside the block, the first flush of the test's session is preceded by another connection committing
    `values` into `table`: the request that inserted the same row an instant earlier, between our look-up and
    our insert. Only PostgreSQL lets that happen (SQLite has one writer at a time)."""
    other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    inserted = []

    def insert_elsewhere(session, flush_context, instances):
        if inserted:
            return
        inserted.append(True)
        with other.begin() as connection:
            connection.execute(sa.insert(table).values(**values))

    sa.event.listen(db.session, "before_flush", insert_elsewhere)
    try:
        yield inserted
    finally:
        sa.event.remove(db.session, "before_flush", insert_elsewhere)
        other.dispose()


@contextmanager
def user_row_locked_elsewhere(app, user_id: int):
    """Inside the block another connection holds the lock a write to the user needs: the user's row on
    PostgreSQL, the whole database on SQLite (one writer at a time)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from beta_training.accounts.models import User

        engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
                try:
                    yield
                finally:
                    connection.rollback()
        finally:
            engine.dispose()
        return
    connection = sqlite3.connect(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
    finally:
        connection.rollback()
        connection.close()
