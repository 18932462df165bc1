"""Writes queue instead of failing, and a write that waited too long gets the « réessayez » page (503).

On SQLite a transaction that reads and then writes cannot upgrade its snapshot once another writer has
committed: SQLite answers « database is locked » at once, whatever the busy timeout. Write requests therefore
begin IMMEDIATE (core.db.configure_sqlite); reads stay deferred and concurrent.
"""

import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from beta_training.accounts import services as account_services
from beta_training.accounts.models import User
from beta_training.core import db as core_db
from beta_training.extensions import db
from tests.conftest import is_postgres, login
from tests.factories import make_user
from tests.simultaneous import user_row_locked_elsewhere

PEOPLE = 6


@pytest.fixture
def slow_profile_update(monkeypatch):
    """Every request pauses between reading (its user, loaded by Flask-Login) and writing, as a slow request
    would: without write transactions taken at BEGIN, each of them holds a snapshot older than the first
    commit when it tries to write."""
    update = account_services.update_profile

    def slow_update(user, **values):
        time.sleep(0.05)
        return update(user, **values)

    monkeypatch.setattr(account_services, "update_profile", slow_update)


def _profile_post(app, login_id, barrier, results, index, headers=None):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id
    data = {"first_name": f"Camille{index}", "last_name": "Martin", "csrf_token": client.csrf_token()}
    if barrier is not None:
        barrier.wait()
    response = client.post("/compte/profil", data=data, headers=headers or {})
    results[index] = response


def test_simultaneous_read_then_write_requests_all_succeed(app, slow_profile_update):
    users = [make_user() for _ in range(PEOPLE)]
    user_ids, login_ids = [user.id for user in users], [user.get_id() for user in users]
    db.session.commit()  # no snapshot of ours spans the requests
    barrier = threading.Barrier(PEOPLE)
    results = [None] * PEOPLE
    threads = [
        threading.Thread(target=_profile_post, args=(app, login_id, barrier, results, index))
        for index, login_id in enumerate(login_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [(response.status_code, response.location) for response in results] == [(302, "/compte/")] * PEOPLE
    db.session.commit()
    names = dict(db.session.execute(sa.select(User.id, User.first_name).where(User.id.in_(user_ids))).all())
    assert names == {user_id: f"Camille{index}" for index, user_id in enumerate(user_ids)}


@pytest.mark.skipif(is_postgres(), reason="how SQLite transactions begin")
def test_write_requests_take_the_sqlite_write_lock_at_begin_and_reads_do_not(app, client):
    login(client, make_user())
    begins = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get("/compte/profil")
        read_begins = list(begins)
        begins.clear()
        client.post("/compte/profil", data={"first_name": "Camille", "last_name": "Martin"})
        write_begins = list(begins)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert read_begins and set(read_begins) == {"BEGIN"}
    assert write_begins and set(write_begins) == {"BEGIN IMMEDIATE"}


def test_cron_work_declared_as_writing_takes_the_write_lock(app):
    """Outside a request nothing is a write unless declared (`flask` commands are, with core.db.writes)."""
    assert core_db.expects_writes() is False
    with core_db.writing():
        assert core_db.expects_writes() is True
    assert core_db.expects_writes() is False


# --- Busy past the timeout: 503, nothing saved, reads still served ----------------------------------------


SHORT_LOCK_TIMEOUT = pytest.mark.parametrize("config_overrides", [{"DATABASE_LOCK_TIMEOUT_MS": 300}])


@SHORT_LOCK_TIMEOUT
def test_a_write_still_blocked_after_the_timeout_gets_the_retry_page(app, client):
    user = make_user(first_name="Avant")
    login(client, user)
    with user_row_locked_elsewhere(app, user.id):
        page = client.get("/compte/profil")  # reading is never blocked by a writer
        response = client.post("/compte/profil", data={"first_name": "Après", "last_name": "Martin"})

    assert page.status_code == 200
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Service très sollicité" in response.text
    assert "Réessayez dans quelques secondes" in response.text
    assert db.session.get(User, user.id).first_name == "Avant"
    # Once the lock is released, the same request goes through.
    assert client.post("/compte/profil", data={"first_name": "Après", "last_name": "Martin"}).status_code == 302
    assert db.session.get(User, user.id).first_name == "Après"


@SHORT_LOCK_TIMEOUT
def test_script_calls_get_a_json_retry_answer(app, client):
    user = make_user()
    login(client, user)
    with user_row_locked_elsewhere(app, user.id):
        response = client.post(
            "/compte/profil", data={"first_name": "Après", "last_name": "Martin"}, headers={"X-Requested-With": "fetch"}
        )
    assert response.status_code == 503
    assert response.json["error"] == "busy"
    assert "réessayez" in response.json["message"]


def test_other_database_errors_are_not_disguised_as_busy(app):
    error = sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: nothing"))
    assert core_db.is_busy_error(error) is False
    assert core_db.is_busy_error(
        sa.exc.OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
    ) is True
