"""A deployment as on a PaaS, on loopback: one PostgreSQL (the test cluster), the release step, TWO gunicorn
instances of the app, TWO workers (`flask worker`), and an SMTP server. PostgreSQL pass only (`make test`
runs it there; `-m deployment` selects it).

- 200 simultaneous seat acceptances spread over both instances for a 28-seat session: 28 holders, every other
  request a clear refusal, no 5xx; the same race on two instances whose seat lock is off overbooks.
- The SMTP server down while mail is queued: every message delivered once it is back, none twice.
- A worker killed with SIGKILL in the middle of a job: the job runs again on the other worker, its mail is
  sent once.
- Two workers: each periodic job runs once per tick (even when a lagging worker defers a tick again).

The outage lasts a minute; the retry delays (a setting, JOB_RETRY_DELAYS) are made short here so that the
workers try many times during it, and long enough in total (about 2 minutes) that none gives up.
"""

import re
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from beta_training import create_app, schedule  # noqa: F401 — schedule registers the periodic jobs
from beta_training.accounts.models import Role
from beta_training.cohorts import queries
from beta_training.config import Config
from beta_training.core import db as core_db
from beta_training.core.jobs import JOBS
from beta_training.core.mail import queue_email
from beta_training.core.models import OutboxMessage, OutboxState
from beta_training.extensions import db
from tests.conftest import POSTGRES_URL, is_postgres
from tests.deployment import stack
from tests.factories import make_application, make_cohort, make_user
from tests.simultaneous import SUBMISSION_KEY

pytestmark = [
    pytest.mark.deployment,
    # Stopping the SMTP server (the outage) and killing a worker leave the server's side of their connections
    # to the garbage collector: those sockets, not the app's, are what Python reports unclosed.
    pytest.mark.filterwarnings("ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.skipif(not is_postgres(), reason="a deployment runs on PostgreSQL (the PostgreSQL pass runs it)"),
]

SEATS = 28
REQUESTS = 200
OUTAGE_SECONDS = 60
TICK_SECONDS = 5
TICK = f"* * * * * */{TICK_SECONDS}"  # every periodic job every 5 seconds (a sixth cron field counts seconds)
PERIODIC = [name for name, spec in JOBS.items() if spec.cron]
WORKER_SETTINGS = {
    "JOB_RETRY_DELAYS": ",".join(["1", "2", "3"] + ["5"] * 22),  # about 2 minutes of retries, then « failed »
    "JOB_HEARTBEAT_SECONDS": "1",
    "JOB_STALLED_AFTER_SECONDS": "4",
    "JOB_SCHEDULES": stack.job_schedules(TICK, [*PERIODIC, "jobs.retry_stalled"]),
    "DATABASE_LOCK_TIMEOUT_MS": "120000",  # 200 decisions queue on one row: none should give up waiting
}
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, worker_id, redis_server):
    name = f"{sa.make_url(POSTGRES_URL).database}_deployment_{worker_id}"
    database_url = stack.create_database(POSTGRES_URL, name)
    smtp = stack.SmtpServer().start()
    logs = tmp_path_factory.mktemp("deployment-logs")
    # Production refuses several processes without a shared limit store; the test talks to 127.0.0.1.
    deployed = stack.Stack(database_url, smtp.port, logs, REDIS_URL=redis_server.url, TRUSTED_HOSTS="127.0.0.1",
                           **WORKER_SETTINGS)
    try:
        deployed.release()
        deployed.smtp = smtp
        deployed.hosts = [deployed.web("web-1"), deployed.web("web-2")]
        deployed.worker("worker-1")
        deployed.worker("worker-2")
        # The app as the test itself uses it, on the same database, to set up data and read the outcome.
        deployed.app = create_app(type("DeploymentConfig", (Config,), {
            "SECRET_KEY": stack.SECRET_KEY, "SQLALCHEMY_DATABASE_URI": database_url, "JOBS": "procrastinate",
            "BASE_URL": "https://formation.example.test",
        }))
        with deployed.app.app_context():
            yield deployed
            db.session.remove()
            db.engine.dispose()
    finally:
        deployed.close()
        smtp.stop()
        stack.drop_database(POSTGRES_URL, name)
        for path in sorted(logs.glob("*.log")):  # shown with a failure (captured output): what each process said
            print(f"--- {path.name} (last lines) ---", *path.read_text(errors="replace").splitlines()[-60:], sep="\n")


def _race(hosts: list[str], applications, cookie: str, csrf: str) -> list[tuple[int, int, str]]:
    """All decisions at once (200 threads released together), alternately to each instance; each one's answer
    is read as the person reads it, on the page it redirects to (the message is flashed)."""
    import threading

    barrier = threading.Barrier(len(applications))

    def accept(index_and_id):
        index, application_id = index_and_id
        host = hosts[index % len(hosts)]
        barrier.wait(timeout=60)
        posted = stack.request(host, "POST", f"/alpha/gestion/candidatures/{application_id}/decision",
                               cookie=cookie, form={"decision": "accept", "csrf_token": csrf})
        if posted.status != 302:
            return posted.status, 0, posted.text
        shown = stack.get(host, posted.headers["location"], cookie=stack.cookie_from(posted, cookie))
        return posted.status, shown.status, shown.text

    with ThreadPoolExecutor(len(applications)) as pool:
        return list(pool.map(accept, enumerate(a.id for a in applications)))


def _seat_race_setup(count=REQUESTS):
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort(seats=SEATS)
    applications = [make_application(cohort) for _ in range(count)]
    db.session.commit()
    return trainer, cohort, applications


def test_a_deployment_on_two_instances_and_two_workers(deployment):
    smtp = deployment.smtp
    began = time.time()

    # --- 200 acceptances at once over both instances: exactly the seats ----------------------------------
    trainer, cohort, applications = _seat_race_setup()
    cookie, csrf = stack.signed_in_cookie(trainer.get_id())
    results = _race(deployment.hosts, applications, cookie, csrf)
    assert [r for r in results if r[0] >= 500 or r[1] >= 500] == []
    assert {(posted, shown) for posted, shown, _ in results} == {(302, 200)}
    accepted = sum("Décision enregistrée" in text for *_, text in results)
    refused = sum("Plus aucune place n’est disponible (28 sur 28)" in text for *_, text in results)
    assert (accepted, refused) == (SEATS, REQUESTS - SEATS)
    db.session.commit()
    assert queries.count_seat_holders(cohort.id) == SEATS
    # Each seat offered is an email, delivered by the workers (never by the requests).
    offers = set(db.session.scalars(sa.select(OutboxMessage.id)))
    assert len(offers) == SEATS
    stack.wait_until(lambda: set(smtp.outbox_ids()) >= offers, 60, "the 28 offers delivered")

    # --- The same race with the seat lock off (two more instances, test-only config): overbooked ---------
    unlocked = [deployment.web(f"web-unlocked-{n}", config=str(HERE / "gunicorn_no_seat_lock.py")) for n in (1, 2)]
    trainer2, cohort2, applications2 = _seat_race_setup()
    cookie2, csrf2 = stack.signed_in_cookie(trainer2.get_id())
    _race(unlocked, applications2, cookie2, csrf2)
    db.session.commit()
    assert queries.count_seat_holders(cohort2.id) > SEATS
    for name in ("web-unlocked-1", "web-unlocked-2"):
        deployment.kill(name, signal.SIGTERM)

    # --- SMTP down while a bulk email is queued: all delivered once it is back, none twice ---------------
    smtp.stop()
    outage_began = time.monotonic()
    page = stack.get(deployment.hosts[0], f"/alpha/gestion/{cohort.id}/courriel", cookie=cookie)
    key = SUBMISSION_KEY.search(page.text).group(1)
    posted = stack.request(deployment.hosts[1], "POST", f"/alpha/gestion/{cohort.id}/courriel", cookie=cookie, form={
        "audience": "accepted", "subject": "Salle 3", "body": "Rendez-vous salle 3.", "submission_key": key,
        "csrf_token": csrf,
    })
    assert posted.status == 302  # the request did not wait for the SMTP server (it is down)
    bulk = set(db.session.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.subject == "Salle 3")))
    assert len(bulk) == SEATS

    def retried_twice():  # every job delivering them failed twice (a server down stops a job at its first message)
        db.session.commit()
        attempts = db.session.scalars(sa.text(
            "SELECT attempts FROM procrastinate_jobs WHERE task_name = 'mail.deliver'"
            " AND args->'message_ids' @> CAST(:id AS jsonb)"
        ).bindparams(id=f"[{min(bulk)}]")).all()
        return attempts and min(attempts) >= 2

    stack.wait_until(retried_twice, 30, "two failed attempts of the delivery")
    # The outage goes on for its minute: the workers keep retrying, with backoff.
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_began)))
    db.session.commit()
    states = set(db.session.scalars(sa.select(OutboxMessage.state).where(OutboxMessage.id.in_(bulk))))
    assert states == {OutboxState.PENDING}  # waiting for the next retry, none given up
    smtp.start()  # back, on the same port
    stack.wait_until(lambda: set(smtp.outbox_ids()) >= bulk, 90, "the bulk email delivered after the outage")

    # --- A worker killed (SIGKILL) in the middle of a job: the other one runs it again, sent once --------
    smtp.hold.add("lente@example.gouv.fr")
    slow = make_user(email="lente@example.gouv.fr")
    with deployment.app.test_request_context():
        held_id = queue_email(slow.email, "Votre mot de passe a été modifié", "accounts/password_changed",
                              user=slow, reset_link="https://example.test/reset").id
        core_db.commit()
    peer = stack.wait_until(lambda: smtp.held_peers[:1], 30, "a worker delivering the message")[0]
    holder = _process_with_connection(deployment, peer[1])
    deployment.kill(holder, signal.SIGKILL)
    smtp.release()
    stack.wait_until(lambda: held_id in smtp.outbox_ids(), 60, "the killed job run again")
    deployment.worker(holder)  # back to two workers
    db.session.commit()
    assert db.session.get(OutboxMessage, held_id).state == OutboxState.SENT
    [[job_id, status]] = db.session.execute(sa.text(
        "SELECT id, status FROM procrastinate_jobs WHERE task_name = 'mail.deliver' AND args->'message_ids' = :ids"
    ), {"ids": f"[{held_id}]"}).all()
    stack.wait_until(lambda: _job_status(job_id) == "succeeded", 30, "the job recorded as succeeded")
    started = db.session.scalar(sa.text(
        "SELECT count(*) FROM procrastinate_events WHERE job_id = :id AND type = 'started'"), {"id": job_id})
    assert started == 2  # once on the killed worker, once on the other

    # No message of the whole run was sent twice.
    delivered = smtp.outbox_ids()
    assert len(delivered) == len(set(delivered))
    assert set(delivered) >= offers | bulk | {held_id}

    # --- Two workers, one run per periodic tick ------------------------------------------------------------
    db.session.commit()
    ticks = db.session.execute(sa.text(
        "SELECT task_name, args->>'timestamp' AS tick, count(*) AS jobs,"
        " count(*) FILTER (WHERE status = 'succeeded') AS succeeded"
        " FROM procrastinate_jobs WHERE args ? 'timestamp' GROUP BY 1, 2"
    )).all()
    # Procrastinate defers a tick twice when a worker lags a whole period (5 s here) behind the other; the second
    # job then finds the tick claimed (periodic_runs) and does nothing. What counts is what ran: the workers' logs.
    runs = Counter(re.findall(r"periodic job (\S+): tick (\d+) runs", "".join(
        path.read_text(encoding="utf-8", errors="replace") for path in deployment.logs.glob("worker-*.log"))))
    assert runs and [tick for tick, count in runs.items() if count != 1] == []  # each tick run once
    # …and every tick done ran (jobs.retry_stalled is Procrastinate's own task, not one of ours: it logs nothing).
    assert {(t.task_name, t.tick) for t in ticks if t.succeeded == t.jobs and t.task_name in PERIODIC} <= set(runs)
    per_job = Counter(name for name, tick in runs if int(tick) >= began)  # the workers ticked before the test began
    seconds = time.time() - began
    assert all(per_job[name] >= 5 for name in PERIODIC), per_job  # tick after tick
    assert all(count <= seconds / TICK_SECONDS + 1 for count in per_job.values()), per_job  # never more than the ticks


def _job_status(job_id):
    db.session.commit()
    return db.session.scalar(sa.text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id})


def _process_with_connection(deployment, local_port: int) -> str:
    """Which of our processes holds the TCP connection from `local_port` (read from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(fields[9])
    for name, process in deployment.processes.items():
        fds = Path(f"/proc/{process.pid}/fd")
        for fd in fds.iterdir():
            try:
                if fd.readlink().name.removeprefix("socket:[").rstrip("]") in inodes:
                    return name
            except OSError:
                continue
    raise AssertionError(f"no process of ours holds the connection from port {local_port}")
