"""The seat race: many trainers accepting at once never give more offers than seats.

Indico checks the limit and then inserts without a lock; under such a race it gave 34 registrations for
28 seats. Here the session row is locked (SELECT … FOR UPDATE on PostgreSQL, the write lock on
SQLite) in the transaction that counts and writes.
"""

import threading
import time

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.cohorts import queries
from beta_training.cohorts.models import ApplicationState, CohortApplication
from beta_training.extensions import db
from tests.conftest import is_postgres
from tests.factories import make_application, make_cohort, make_user

SEATS = 28
REQUESTS = 60


def _race(app, cohort, applications, trainer):
    barrier = threading.Barrier(len(applications))
    results = [None] * len(applications)
    trainer_login = trainer.get_id()

    def decide(index, application_id):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = trainer_login
        barrier.wait()
        response = client.post(f"/alpha/gestion/candidatures/{application_id}/decision", data={"decision": "accept"})
        page = client.get(response.headers["Location"])  # the flashed answer is shown on the next page
        results[index] = (response.status_code, page.text)

    threads = [threading.Thread(target=decide, args=(i, a.id)) for i, a in enumerate(applications)]
    db.session.commit()  # no read snapshot of ours spans the race
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.commit()  # read what the race committed
    return results


@pytest.fixture
def wide_race_window(monkeypatch):
    """Every request pauses between counting the holders and writing its decision, as a slow request
    would: without the lock, all of them count before any of them writes; with it, they queue."""
    count = queries.count_seat_holders

    def slow_count(cohort_id):
        holders = count(cohort_id)
        time.sleep(0.05)
        return holders

    monkeypatch.setattr(queries, "count_seat_holders", slow_count)


def _setup(count=REQUESTS):
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort(seats=SEATS)
    applications = [make_application(cohort) for _ in range(count)]
    db.session.commit()
    return trainer, cohort, applications


def test_sixty_simultaneous_acceptances_fill_exactly_the_seats(app, wide_race_window):
    trainer, cohort, applications = _setup()
    results = _race(app, cohort, applications, trainer)
    assert all(status == 302 for status, _ in results)
    assert queries.count_seat_holders(cohort.id) == SEATS
    accepted = sum("Décision enregistrée" in text for _, text in results)
    refused = sum("Plus aucune place n’est disponible" in text for _, text in results)
    assert (accepted, refused) == (SEATS, REQUESTS - SEATS)
    still_submitted = db.session.scalar(
        sa.select(sa.func.count()).select_from(CohortApplication)
        .where(CohortApplication.cohort_id == cohort.id, CohortApplication.state == ApplicationState.SUBMITTED)
    )
    assert still_submitted == REQUESTS - SEATS


@pytest.mark.skipif(not is_postgres(), reason="SQLite serialises writers by itself; the row lock is what PostgreSQL needs")
def test_without_the_lock_the_same_race_overbooks(app, wide_race_window):
    """Proves the guard is what holds the line: switch the lock off and the check-then-write race overbooks."""
    app.config["SEAT_LOCKING"] = False
    trainer, cohort, applications = _setup()
    _race(app, cohort, applications, trainer)
    assert queries.count_seat_holders(cohort.id) > SEATS
