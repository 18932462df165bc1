"""Bulk email to N learners of a MOOC run, as deployed: one gunicorn instance (two processes, hence a Redis for
their shared rate limits, as production requires), two workers, an SMTP server on loopback, PostgreSQL.
Measures the request (it records the bulk email and defers the job that writes the N messages, and returns)
and the time until the last message reaches the SMTP server (the job writes N outbox rows and N/50 delivery
jobs, which the workers run).

Usage (PostgreSQL needed, e.g. the throwaway cluster):
    scripts/with-postgres.sh sh -c '.venv/bin/python benchmarks/bulk_email.py --learners 10000'
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from beta_training import create_app  # noqa: E402
from beta_training.accounts.models import Role, User  # noqa: E402
from beta_training.config import Config  # noqa: E402
from beta_training.core.models import utcnow  # noqa: E402
from beta_training.courses.models import Enrolment  # noqa: E402
from beta_training.extensions import db  # noqa: E402
from tests import factories as f  # noqa: E402
from tests.deployment import stack  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.simultaneous import SUBMISSION_KEY  # noqa: E402


def populate(run, learners: int, batch: int = 5000) -> None:
    now = utcnow()
    for start in range(0, learners, batch):
        count = min(batch, learners - start)
        ids = db.session.scalars(sa.insert(User).returning(User.id), [
            {"email": f"bench{start + n}@example.gouv.fr", "first_name": "Bench", "last_name": str(start + n),
             "session_token": f"b{start + n}", "active": True, "created_at": now, "updated_at": now} for n in range(count)
        ]).all()
        db.session.execute(sa.insert(Enrolment), [
            {"run_id": run.id, "user_id": uid, "state": "active", "enrolled_at": now, "last_activity_at": now,
             "created_at": now, "updated_at": now} for uid in ids])
        db.session.commit()


def _sink(port, count, last, ready):
    """The SMTP server, in a process of its own (the benchmark's own threads do not slow it)."""
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
                last.value = time.time()
            return "250 OK"

    Controller(Counting(), hostname="127.0.0.1", port=port, server_hostname="localhost").start()
    ready.set()
    while True:
        time.sleep(3600)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    server = os.environ["TEST_DATABASE_URL"]
    name = "beta_training_bench_bulk_email"
    database_url = stack.create_database(server, name)
    import multiprocessing

    port, count, last, ready = stack.free_port(), multiprocessing.Value("i", 0), multiprocessing.Value("d", 0.0), multiprocessing.Event()
    sink = multiprocessing.Process(target=_sink, args=(port, count, last, ready), daemon=True)
    sink.start()
    ready.wait(30)
    logs = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    redis = RedisServer(logs)
    # Two web processes: production refuses to start without a shared rate-limit store. The benchmark talks
    # to 127.0.0.1, which BASE_URL's host alone would refuse (TRUSTED_HOSTS).
    deployed = stack.Stack(database_url, port, logs, MAIL_TIMEOUT="10", REDIS_URL=redis.url, TRUSTED_HOSTS="127.0.0.1")
    try:
        deployed.release()
        host = deployed.web("web", workers=2, threads=4)
        for n in range(args.workers):
            deployed.worker(f"worker-{n + 1}")
        app = create_app(type("BenchConfig", (Config,), {"SECRET_KEY": stack.SECRET_KEY,
                                                          "SQLALCHEMY_DATABASE_URI": database_url,
                                                          "JOBS": "procrastinate", "BASE_URL": deployed.env["BASE_URL"]}))
        with app.app_context():
            lead = f.make_user(roles=[Role.COURSE_LEAD])
            run = f.make_course_run()
            populate(run, args.learners)
            cookie, csrf = stack.signed_in_cookie(lead.get_id())
            url = f"/mooc/gestion/sessions/{run.id}/courriel"
            key = SUBMISSION_KEY.search(stack.get(host, url, cookie=cookie).text).group(1)
            start, started_at = time.perf_counter(), time.time()
            response = stack.request(host, "POST", url, cookie=cookie, form={
                "audience": "all", "subject": "Nouvelle séquence", "body": "La séquence 3 est ouverte.",
                "submission_key": key, "csrf_token": csrf})
            request_seconds = time.perf_counter() - start
            assert response.status == 302, response.status
            stack.wait_until(lambda: count.value >= args.learners, 1800, "every message delivered", interval=0.2)
            last_seconds = last.value - started_at
            sent = db.session.scalar(sa.text("SELECT count(*) FROM outbox_messages WHERE state = 'sent'"))
            # When the job that writes the messages (one per learner) began and ended, from Procrastinate's events.
            written = db.session.execute(sa.text(
                "SELECT min(e.at) FILTER (WHERE e.type = 'started') AS began, max(e.at) FILTER (WHERE e.type = 'succeeded')"
                " AS ended FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id"
                " WHERE j.task_name = 'courses.write_bulk_messages'")).one()
            db.session.remove()
            db.engine.dispose()
        print(f"learners: {args.learners}, workers: {args.workers} (JOB_CONCURRENCY "
              f"{deployed.env.get('JOB_CONCURRENCY', '4')} each), batch of 50 per job")
        print(f"request: {request_seconds:.2f} s (HTTP {response.status})")
        print(f"messages written by their job: from {written.began.timestamp() - started_at:.1f} s to "
              f"{written.ended.timestamp() - started_at:.1f} s after the request started")
        print(f"last message at the SMTP server: {last_seconds:.1f} s after the request started "
              f"({args.learners / last_seconds:.0f} messages/s)")
        print(f"received by the SMTP server: {count.value}; outbox rows marked sent: {sent}")
    finally:
        deployed.close()
        redis.stop()
        sink.terminate()
        stack.drop_database(server, name)


if __name__ == "__main__":
    main()
