"""The job queue (core.jobs): jobs written in the transaction of their change, run by a worker with retries and
backoff, the failed ones listed for admins and relaunched. Procrastinate needs PostgreSQL: those tests run in
the PostgreSQL pass (the worker runs here in the test process until the queue is empty); the several
processes (two web instances, two workers, a SIGKILL) are in tests/deployment/."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from beta_training.core import db as core_db
from beta_training.core import jobs
from beta_training.core.mail import queue_email
from beta_training.core.models import OutboxMessage, OutboxState, utcnow
from beta_training.extensions import db
from tests.conftest import free_port, is_postgres
from tests.factories import make_user

postgres_only = pytest.mark.skipif(not is_postgres(), reason="Procrastinate's queue lives in PostgreSQL")


@pytest.fixture
def config_overrides():
    return {"JOBS": "procrastinate", "JOB_RETRY_DELAYS": (30, 60)} if is_postgres() else {}


def _empty_queue():
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers,"
            " periodic_runs"
        ))


@pytest.fixture
def queue_table(app):
    """The jobs table, empty before and after the test (conftest empties the models' tables only; the route
    scenarios leave failed jobs behind)."""
    _empty_queue()
    yield
    _empty_queue()


def job_rows():
    db.session.commit()
    return db.session.execute(sa.text(
        "SELECT id, task_name, args, status, attempts, scheduled_at FROM procrastinate_jobs ORDER BY id"
    )).all()


def run_worker(app):
    """A worker in this process, until the queue has nothing due. In a thread of its own: the worker runs its
    event loop with asyncio.run(), which refuses a thread that already has one (Playwright's, when a browser
    test ran before in this process)."""
    db.session.commit()
    failures = []

    def work():
        try:
            jobs.run_worker(app, periodic=False, wait=False, install_signal_handlers=False, listen_notify=False)
        except BaseException as error:  # raised again in the test's thread
            failures.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]
    db.session.expire_all()


def _queue(user):
    return queue_email(user.email, "Votre mot de passe a été modifié", "accounts/password_changed",
                       user=user, reset_link="https://example.test/reset")


@postgres_only
def test_a_job_is_written_in_the_transaction_of_its_change(app, queue_table, mailbox):
    user = make_user()
    db.session.commit()
    with app.test_request_context():
        jobs.defer("mail.deliver", message_ids=[_queue(user).id])
        core_db.rollback()  # the change is undone: its job with it
    assert job_rows() == []

    with app.test_request_context():
        message_id = _queue(user).id
        core_db.commit()
    [row] = job_rows()
    assert (row.task_name, row.args, row.status) == ("mail.deliver", {"message_ids": [message_id]}, "todo")
    assert mailbox.messages == []  # the web process sends nothing: the worker does

    run_worker(app)
    [sent] = mailbox.wait_for(1)
    assert sent["X-Beta-Training-Outbox-Id"] == str(message_id)
    assert job_rows()[0].status == "succeeded"
    assert db.session.get(OutboxMessage, message_id).state == OutboxState.SENT


@postgres_only
def test_a_failing_job_is_retried_after_each_delay_then_waits_for_an_admin(app, queue_table, mailbox):
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nothing listens there: connection refused
    user = make_user()
    with app.test_request_context():
        message_id = _queue(user).id
        core_db.commit()

    for attempt, delay in enumerate((30, 60), start=1):
        before = utcnow()
        run_worker(app)
        [row] = job_rows()
        assert (row.status, row.attempts) == ("todo", attempt)
        assert before + timedelta(seconds=delay - 1) < row.scheduled_at < utcnow() + timedelta(seconds=delay + 1)
        message = db.session.get(OutboxMessage, message_id)
        assert (message.state, message.attempts) == (OutboxState.PENDING, attempt)
        assert "ConnectionRefusedError" in message.last_error
        run_worker(app)  # not due yet: nothing runs
        assert job_rows()[0].attempts == attempt
        db.session.execute(sa.text("UPDATE procrastinate_jobs SET scheduled_at = now()"))  # time passes

    run_worker(app)  # the third and last attempt (two delays)
    [row] = job_rows()
    assert (row.status, row.attempts) == ("failed", 3)
    assert db.session.get(OutboxMessage, message_id).state == OutboxState.FAILED
    [failed] = jobs.failed_jobs()
    assert (failed.id, failed.name, failed.kwargs) == (row.id, "mail.deliver", {"message_ids": [message_id]})

    app.config["MAIL_PORT"] = real_port  # the cause is fixed; an admin relaunches it
    assert jobs.retry_failed_job(row.id) is True
    assert jobs.retry_failed_job(row.id) is False  # a second click: no longer failed
    db.session.commit()
    run_worker(app)
    assert job_rows()[0].status == "succeeded"
    assert len(mailbox.wait_for(1)) == 1
    assert db.session.get(OutboxMessage, message_id).state == OutboxState.SENT


def _failed_mail_job(app, user):
    app.config["MAIL_PORT"] = free_port()
    app.config["JOB_RETRY_DELAYS"] = ()  # one attempt
    with app.test_request_context():
        message_id = _queue(user).id
        core_db.commit()
    run_worker(app)
    return job_rows()[0].id, message_id


@postgres_only
def test_admins_see_the_failed_jobs_and_relaunch_them(app, queue_table, login_as):
    admin = make_user(roles=["admin"])
    job_id, _ = _failed_mail_job(app, make_user(email="claude@example.gouv.fr"))
    client = login_as(admin)
    page = client.get("/admin/taches").text
    assert "Envoi de courriels" in page and "claude@example.gouv.fr" in page and "ConnectionRefusedError" in page
    assert f'action="/admin/taches/{job_id}/relancer"' in page

    response = client.post(f"/admin/taches/{job_id}/relancer")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/taches"
    assert f"La tâche n° {job_id} est relancée" in client.get("/admin/taches").text
    assert job_rows()[0].status == "todo"
    again = client.post(f"/admin/taches/{job_id}/relancer")
    assert f"La tâche n° {job_id} n’est plus en échec" in client.get(again.headers["Location"]).text
    assert client.post("/admin/taches/999999/relancer").status_code == 404


def test_without_a_queue_the_page_says_how_jobs_run(app, login_as):
    app.config["JOBS"] = "in-process"
    page = login_as(make_user(roles=["admin"])).get("/admin/taches")
    assert page.status_code == 200 and "Aucune tâche en échec." in page.text
    if not is_postgres():
        assert "Pas de file de tâches sur cette installation" in page.text


def test_every_scheduled_job_has_its_cron_and_a_setting_may_change_it(app):
    crons = jobs.schedules(app.config)
    assert crons["cohorts.expire_offers"] == "*/15 * * * *"
    assert {"cohorts.send_reminders", "sheets.remind", "sheets.roadmap_reminders", "forum.send_notifications",
            "forum.send_digests", "jobs.retry_stalled"} <= set(crons)
    app.config["JOB_SCHEDULES"] = {"forum.send_digests": "30 5 * * *"}
    assert jobs.schedules(app.config)["forum.send_digests"] == "30 5 * * *"
    app.config["JOB_SCHEDULES"] = {"forum.send_digest": "30 5 * * *"}
    with pytest.raises(RuntimeError, match="unknown jobs: forum.send_digest"):
        jobs.schedules(app.config)


def test_the_worker_refuses_to_start_without_the_queue(app):
    app.config["JOBS"] = "in-process"
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code != 0 and "The worker needs JOBS=procrastinate" in result.output


@postgres_only
def test_healthz_measures_how_long_the_oldest_due_job_has_waited(app, queue_table, client):
    assert client.get("/healthz").json["queue_lag_seconds"] == 0.0  # an empty queue is not behind
    user = make_user()
    db.session.commit()
    with app.test_request_context():
        _queue(user)
        core_db.commit()
    # The job was deferred five minutes ago and no worker took it.
    db.session.execute(sa.text("UPDATE procrastinate_events SET at = now() - interval '300 seconds' WHERE type = 'deferred'"))
    # A retry due in an hour is not late.
    db.session.execute(sa.text(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, scheduled_at)"
        " VALUES ('default', 'mail.deliver', '{}', 'todo', now() + interval '1 hour')"
    ))
    db.session.commit()
    report = client.get("/healthz")
    assert report.status_code == 200 and 299 <= report.json["queue_lag_seconds"] <= 330

    app.config["HEALTH_MAX_QUEUE_LAG_SECONDS"] = 120
    assert client.get("/healthz").status_code == 503  # jobs wait: this instance says so

    run_worker(app)  # takes the due job; the retry due in an hour stays in the queue
    assert [row.status for row in job_rows()] == ["succeeded", "todo"]
    assert client.get("/healthz").json["queue_lag_seconds"] == 0.0


@postgres_only
def test_a_tick_deferred_twice_runs_once_and_its_retry_runs_again(app, queue_table, monkeypatch):
    """Procrastinate defers a tick twice when a worker lags a whole period behind (it has pruned the record of
    that tick): the second job finds the tick claimed and does nothing. The claiming job's retry still runs."""
    runs = []

    def remind(final_attempt):
        runs.append(final_attempt)
        if len(runs) == 3:  # the third run, tick 3000, fails once
            raise RuntimeError("SMTP down")

    monkeypatch.setattr(jobs.JOBS["sheets.remind"], "function", remind)
    with app.test_request_context():
        for tick in (1000, 1000, 2000):
            jobs.defer("sheets.remind", timestamp=tick)
        core_db.commit()
    run_worker(app)
    assert len(runs) == 2 and [row.status for row in job_rows()] == ["succeeded"] * 3

    with app.test_request_context():
        jobs.defer("sheets.remind", timestamp=3000)
        core_db.commit()
    run_worker(app)
    assert len(runs) == 3 and job_rows()[-1].status == "todo"  # failed, to be retried
    db.session.execute(sa.text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))
    run_worker(app)
    assert len(runs) == 4 and job_rows()[-1].status == "succeeded"
    claimed = db.session.execute(sa.text("SELECT tick, job_id FROM periodic_runs ORDER BY tick")).all()
    assert [tick for tick, _ in claimed] == [1000, 2000, 3000] and claimed[-1].job_id == job_rows()[-1].id


@postgres_only
def test_mail_is_taken_before_the_other_due_jobs(app, queue_table, monkeypatch):
    """Someone may be waiting for a mail (a reset link); a periodic job can run a moment later."""
    app.config["JOB_CONCURRENCY"] = 1
    order = []
    monkeypatch.setattr(jobs.JOBS["sheets.remind"], "function", lambda final_attempt: order.append("periodic"))
    monkeypatch.setattr(jobs.JOBS["mail.deliver"], "function",
                        lambda message_ids, final_attempt: order.append("mail"))
    with app.test_request_context():
        jobs.defer("sheets.remind", timestamp=1000)
        jobs.defer("mail.deliver", message_ids=[1])
        core_db.commit()
    run_worker(app)
    assert order == ["mail", "periodic"]
