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


# Sixty writers queue one after the other, each holding the lock through the slow count: on SQLite (one
# database lock) the last one may wait longer than the default 15 s on a busy CI machine, and would rightly
# get the « réessayez » page. This test is about the seats, not that timeout.
PATIENT = pytest.mark.parametrize("config_overrides", [{"DATABASE_LOCK_TIMEOUT_MS": 120_000}])


@PATIENT
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
@PATIENT
def test_without_the_lock_the_same_race_overbooks(app, wide_race_window):
    """Proves the guard is what holds the line: switch the lock off and the check-then-write race overbooks."""
    app.config["SEAT_LOCKING"] = False
    trainer, cohort, applications = _setup()
    _race(app, cohort, applications, trainer)
    assert queries.count_seat_holders(cohort.id) > SEATS


def test_a_bulk_email_submitted_twice_at_once_goes_out_once(app, client, mailbox):
    """Two identical POSTs of one rendered form (a double click) at the same instant: 4 messages for 4 people,
    one record of who sent it. The session row is locked, the second request finds the first one's record."""
    from beta_training.cohorts.models import CohortBulkEmail
    from beta_training.core.models import OutboxMessage
    from tests.simultaneous import post_at_once, rendered_submission_key
    from tests.conftest import login

    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort()
    for _ in range(4):
        make_application(cohort, state="confirmed")
    make_application(cohort, state="waitlisted")
    url = f"/alpha/gestion/{cohort.id}/courriel"
    login(client, trainer)
    data = {"audience": "confirmed", "subject": "Salle 3", "body": "Rendez-vous salle 3.",
            "submission_key": rendered_submission_key(client, url)}

    results = [(r.status_code, r.headers.get("Location")) for r in post_at_once(app, trainer, url, data)]
    assert results == [(302, f"/alpha/gestion/{cohort.id}/candidatures")] * 2
    records = db.session.scalars(sa.select(CohortBulkEmail)).all()
    assert [(r.sender_id, r.cohort_id, r.audience, r.recipient_count) for r in records] == [(trainer.id, cohort.id, "confirmed", 4)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 4
    assert sorted(m["To"] for m in mailbox.wait_for(4)) == sorted(a.user.email for a in queries.confirmed_applications(cohort.id))
    assert len(mailbox.messages) == 4

    replay = client.post(url, data=data)  # the same form posted again later (back button, reload)
    assert replay.status_code == 302 and "Message envoyé à 4 personnes." in client.get(replay.headers["Location"]).text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 4
    page = client.get(url).text  # the page lists what was sent, and by whom
    assert "Courriels déjà envoyés" in page and trainer.full_name in page and "Salle 3" in page


def test_a_status_change_sent_twice_at_once_is_made_and_recorded_once(app):
    """The service locks the session's row and re-reads it: the second click finds it published already."""
    from beta_training.accounts.models import User
    from beta_training.cohorts import services
    from beta_training.cohorts.models import Cohort, CohortStatus
    from tests.records import timeline_of
    from tests.simultaneous import services_at_once

    trainer_id = make_user(roles=[Role.TRAINER]).id
    cohort = make_cohort(status=CohortStatus.DRAFT)
    cohort_id = cohort.id

    def load():
        return db.session.get(Cohort, cohort_id), db.session.get(User, trainer_id)

    outcomes = services_at_once(app, load, lambda loaded: services.change_cohort_status(
        loaded[0], CohortStatus.PUBLISHED, actor=loaded[1], reason="Programme prêt").status)

    assert outcomes == [CohortStatus.PUBLISHED] * 2
    assert [(before, after) for before, after, *_rest in timeline_of(cohort)] == [(CohortStatus.DRAFT, CohortStatus.PUBLISHED)]


def test_a_programme_item_deleted_twice_at_once_is_deleted_once(app):
    from beta_training.cohorts import services
    from beta_training.cohorts.models import ProgrammeItem
    from tests.factories import make_programme_item
    from tests.simultaneous import services_at_once

    item_id = make_programme_item(make_cohort()).id

    outcomes = services_at_once(app, lambda: db.session.get(ProgrammeItem, item_id), services.delete_programme_item)

    assert sorted(outcomes, key=repr) == [False, True]  # the second click finds it gone
    assert db.session.get(ProgrammeItem, item_id) is None
