"""Fire the same requests at the same instant, from threads released together by a barrier: a double click
or two tabs as the server really sees them (one after the other in a test would never overlap)."""

import re
import threading
from contextlib import contextmanager

import sqlalchemy as sa

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
