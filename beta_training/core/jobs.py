"""Background jobs: what must not run inside a request (mail delivery) and what runs on a schedule.

Two ways to run them, chosen by the `JOBS` setting:

- "procrastinate" (PostgreSQL, production): Procrastinate, a job queue kept in PostgreSQL. A job is inserted
  in the same transaction as the change that causes it (no job for a rolled-back change, no change without
  its job), and the `worker` process (`flask worker`, as many as wanted) runs it: retries with the delays
  of JOB_RETRY_DELAYS, each periodic tick deferred once however many workers run (a unique row per task and
  tick), jobs of a worker that died (SIGKILL, lost machine) run again once its heartbeat is stale, and the
  jobs that gave up stay in the jobs table, listed for admins (/admin/taches) with « Relancer ».
- "in-process" (SQLite, `make run`, the test suite): no worker and no jobs table; after the commit, a
  small pool of threads of the web process runs each job once. A mail that fails stays in the outbox for
  `flask mail deliver` (cron); the periodic jobs are the `flask …` commands (cron), as before the worker.

Jobs are plain functions registered with `job()` (or `periodic_job()`); they run in their own app context
with write intent (SQLite transactions begin IMMEDIATE), without a request: links in what they write are built
on BASE_URL.
"""

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

import procrastinate
import sqlalchemy as sa
from flask import Flask, current_app
from procrastinate.manager import JobManager
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from procrastinate.tasks import configure_task

from beta_training.core.transactions import writing  # not core.db, which imports this module
from beta_training.extensions import db

log = logging.getLogger(__name__)

PROCRASTINATE = "procrastinate"
IN_PROCESS = "in-process"
# Where a session keeps the in-process jobs its transaction asked for, run once it commits.
AFTER_COMMIT_KEY = "jobs_after_commit"


@dataclass
class JobSpec:
    name: str
    function: Callable
    label: str  # French, for the admins' page
    cron: str | None = None  # periodic jobs: default schedule (UTC), JOB_SCHEDULES may override it
    kwargs: dict = field(default_factory=dict)
    priority: int = 0  # higher first, whatever waits in the queue


JOBS: dict[str, JobSpec] = {}

# The worker's Flask app (set by run_worker): jobs run in its context, retries read its settings.
_worker_app: Flask | None = None


class ConfiguredRetry(BaseRetryStrategy):
    """Retry after JOB_RETRY_DELAYS[n] seconds following the n-th failure, then give up (the job is « failed »,
    listed for admins). Read when a job fails, so a deployment sets its delays without a code change."""

    def get_retry_decision(self, *, exception: BaseException, job) -> RetryDecision | None:
        delays = _worker_app.config["JOB_RETRY_DELAYS"]
        if job.attempts >= len(delays):
            return None
        return RetryDecision(retry_in={"seconds": delays[job.attempts]})


def is_final_attempt(attempts_before: int) -> bool:
    """Whether an attempt made after `attempts_before` failed ones is the last the engine will make."""
    return attempts_before >= len(current_app.config["JOB_RETRY_DELAYS"])


# The Procrastinate app: tasks are registered on it at import; the worker gives it an open connector.
queue = procrastinate.App(connector=procrastinate.PsycopgConnector())
# Deferring inside the caller's transaction: a synchronous connector used only with the caller's connection.
_deferrer = JobManager(procrastinate.SyncPsycopgConnector())


def job(name: str, *, label: str, cron: str | None = None, priority: int = 0, **kwargs):
    """Register `function(**kwargs, final_attempt=bool)` as the job `name` (`cron`: a periodic job, run on
    that schedule with `kwargs`). `final_attempt` tells it whether the engine will try again if it fails.
    `priority`: a job of higher priority is taken before the others that are due (e.g. mail a person waits
    for, before a periodic job that can run a minute later)."""

    def register(function):
        spec = JobSpec(name, function, label, cron, kwargs, priority)
        JOBS[name] = spec

        @queue.task(name=name, pass_context=True, retry=ConfiguredRetry(), priority=priority)
        def run(context, timestamp=None, **job_kwargs):  # `timestamp`: the tick of a periodic job
            with _worker_app.app_context():  # its own database session, gone with the context
                if timestamp is not None:
                    if not claim_tick(name, timestamp, context.job.id):
                        log.info("periodic job %s: tick %s already run by another job, skipped", name, timestamp)
                        return
                    log.info("periodic job %s: tick %s runs (job %s)", name, timestamp, context.job.id)
                _call(spec, job_kwargs, final_attempt=is_final_attempt(context.job.attempts))

        return function

    return register


# How long the record of a tick is kept: far longer than any worker could lag behind.
TICKS_KEPT_SECONDS = 7 * 24 * 3600


def claim_tick(name: str, tick: int, job_id: int) -> bool:
    """Whether job `job_id` is the one to run the tick `tick` of periodic job `name` (the first to ask, or its
    retry). Committed at once, so the other workers see it."""
    from sqlalchemy.dialects.postgresql import insert  # the worker runs on PostgreSQL only

    from beta_training.core.models import PeriodicRun, utcnow

    try:
        inserted = db.session.execute(
            insert(PeriodicRun).values(task_name=name, tick=tick, job_id=job_id, started_at=utcnow())
            .on_conflict_do_nothing().returning(PeriodicRun.job_id)
        ).first()
        claimed = inserted is not None or db.session.scalar(
            sa.select(PeriodicRun.job_id).where(PeriodicRun.task_name == name, PeriodicRun.tick == tick)
        ) == job_id
        db.session.execute(sa.delete(PeriodicRun).where(
            PeriodicRun.task_name == name, PeriodicRun.tick < tick - TICKS_KEPT_SECONDS))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return claimed


def _call(spec: JobSpec, kwargs: dict, *, final_attempt: bool):
    # No request here, and none made up: links a job writes are built on BASE_URL by url_for() itself
    # (beta_training.BetaTraining.create_url_adapter).
    with writing():
        return spec.function(**kwargs, final_attempt=final_attempt)


def run_now(name: str, **kwargs):
    """Run job `name` here and now, as its last attempt (the `flask …` commands); returns what it returns."""
    return _call(JOBS[name], kwargs, final_attempt=True)


def defer(name: str, **kwargs) -> None:
    """Have job `name` run with `kwargs` (JSON values) once the current transaction commits through
    core.db.commit(): with Procrastinate, the job row is written in this very transaction."""
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}")
    session = db.session()
    if current_app.config["JOBS"] == PROCRASTINATE:
        connection = session.connection().connection.driver_connection  # psycopg's, inside our transaction
        configure_task(name=name, job_manager=_deferrer, connection=connection, priority=JOBS[name].priority).defer(**kwargs)
    else:
        session.info.setdefault(AFTER_COMMIT_KEY, []).append((name, kwargs))


def take_after_commit(session) -> list:
    """The in-process jobs a transaction asked for (core.db.commit takes them before committing)."""
    return session.info.pop(AFTER_COMMIT_KEY, [])


def run_after_commit(jobs: list) -> None:
    """Hand committed in-process jobs to the background threads: the request answers at once."""
    if jobs:
        _background.submit(current_app._get_current_object(), jobs)


# --- In-process: a few threads beside the requests ------------------------------------------------------


class _Background:
    """A small pool of threads per process that runs what a transaction deferred, once it is committed."""

    def __init__(self, workers: int = 2):
        self._workers = workers
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pid: int | None = None
        self._pending: set[Future] = set()

    def submit(self, app: Flask, jobs: list) -> None:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():  # threads do not survive a fork (gunicorn)
                self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="jobs")
                self._pid, self._pending = os.getpid(), set()
            future = self._executor.submit(_run_in_app, app, jobs)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until no job is left, including those the finished ones handed over (a job that commits
        hands over the deliveries of the mail it wrote)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._pending)
            if not pending:
                return True
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0)
            if wait(pending, remaining).not_done:
                return False


def _run_in_app(app: Flask, jobs: list) -> None:
    for name, kwargs in jobs:
        with app.app_context():  # its own context, hence its own database session
            try:
                _call(JOBS[name], kwargs, final_attempt=False)
            except Exception:  # what it left undone stays to do (a mail stays in the outbox, for cron)
                log.exception("in-process job %s(%s) failed", name, kwargs)


_background = _Background()


def drain(timeout: float | None = None) -> bool:
    """Wait for the in-process jobs handed over so far (tests, and a command before it exits)."""
    return _background.drain(timeout)


# --- The worker ------------------------------------------------------------------------------------------


def libpq_url(sqlalchemy_url: str) -> str:
    return sa.make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


@queue.task(name="jobs.retry_stalled", pass_context=True, queueing_lock="jobs.retry_stalled")
async def retry_stalled_jobs(context, timestamp=None):
    """Jobs held by a worker whose heartbeat is older than JOB_STALLED_AFTER_SECONDS (killed, machine lost)
    go back to the queue. Procrastinate's recipe, run as a periodic job."""
    manager = context.app.job_manager
    for stalled in await manager.get_stalled_jobs(seconds_since_heartbeat=_worker_app.config["JOB_STALLED_AFTER_SECONDS"]):
        log.warning("job %s (%s) of a worker gone silent runs again", stalled.id, stalled.task_name)
        await manager.retry_job(stalled)


# Periodic jobs of the engine itself (UTC): stalled jobs looked for often, finished jobs cleaned daily
# (the failed ones stay until an admin retries them).
ENGINE_SCHEDULES = {
    "jobs.retry_stalled": "* * * * * */15",
    "builtin:procrastinate.builtin_tasks.remove_old_jobs": "0 4 * * *",
}


def schedules(config) -> dict[str, str]:
    """Every periodic job and its cron (UTC; a sixth field counts seconds), JOB_SCHEDULES over the defaults."""
    crons = {**ENGINE_SCHEDULES, **{spec.name: spec.cron for spec in JOBS.values() if spec.cron}}
    unknown = set(config["JOB_SCHEDULES"]) - set(crons)
    if unknown:
        raise RuntimeError(f"JOB_SCHEDULES names unknown jobs: {', '.join(sorted(unknown))}.")
    return {**crons, **config["JOB_SCHEDULES"]}


def run_worker(app: Flask, *, periodic: bool = True, **options) -> None:
    """Run a worker until SIGTERM/SIGINT (what `flask worker` does): the queue's jobs and, with `periodic`, the
    periodic ticks. `options` go to Procrastinate's worker (tests: wait=False, to stop once the queue is empty)."""
    global _worker_app
    if app.config["JOBS"] != PROCRASTINATE:
        raise RuntimeError("The worker needs JOBS=procrastinate (a PostgreSQL DATABASE_URL).")
    _worker_app = app
    queue.periodic_registry.periodic_tasks.clear()  # registered afresh from this app's settings
    for name, cron in (schedules(app.config) if periodic else {}).items():
        spec = JOBS.get(name)
        task_kwargs = spec.kwargs if spec else {"max_hours": 24 * 7} if name.startswith("builtin:") else {}
        queue.periodic_registry.register_task(
            task=queue.tasks[name], cron=cron, periodic_id=name, configure_kwargs={"task_kwargs": task_kwargs},
        )
    connector = procrastinate.PsycopgConnector(conninfo=libpq_url(app.config["SQLALCHEMY_DATABASE_URI"]))
    with queue.replace_connector(connector):
        queue.run_worker(**{
            "concurrency": app.config["JOB_CONCURRENCY"],
            "update_heartbeat_interval": app.config["JOB_HEARTBEAT_SECONDS"],
            "stalled_worker_timeout": app.config["JOB_STALLED_AFTER_SECONDS"],
            "name": f"worker-{os.getpid()}",
            **options,
        })


# --- Failed jobs (the admins' page) ----------------------------------------------------------------------


@dataclass
class FailedJob:
    id: int
    name: str
    label: str
    kwargs: dict
    attempts: int
    failed_at: datetime | None


def is_job_queue_object(name: str | None, type_: str) -> bool:
    """Procrastinate's tables (created by their migration from its own SQL, not from models): Alembic's
    autogenerate and the drift test leave them alone."""
    return type_ == "table" and bool(name) and name.startswith("procrastinate_")


def has_jobs_table() -> bool:
    """The jobs table exists on PostgreSQL only (created by a migration); SQLite runs jobs in-process."""
    return db.session.get_bind().dialect.name == "postgresql"


# A job is due from its scheduled time (retries, periodic ticks) or else from when it was deferred.
_QUEUE_LAG = (
    "SELECT EXTRACT(EPOCH FROM now() - min(coalesce(j.scheduled_at, e.at)))"
    " FROM procrastinate_jobs j"
    " LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'"
    " WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
)


def queue_lag_seconds() -> float | None:
    """Seconds the oldest due job has waited for a worker (0 when none waits); None where jobs run in-process
    (no queue to fall behind)."""
    if current_app.config["JOBS"] != PROCRASTINATE or not has_jobs_table():
        return None
    lag = db.session.scalar(sa.text(_QUEUE_LAG))
    return float(lag) if lag is not None else 0.0


_FAILED = (
    "SELECT j.id, j.task_name, j.args, j.attempts,"
    " (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS failed_at"
    " FROM procrastinate_jobs j WHERE j.status = 'failed'"
)


def _failed(row) -> FailedJob:
    spec = JOBS.get(row.task_name)
    kwargs = {k: v for k, v in (row.args or {}).items() if k != "timestamp"}
    return FailedJob(row.id, row.task_name, spec.label if spec else row.task_name, kwargs, row.attempts, row.failed_at)


def failed_jobs(limit: int = 200) -> list[FailedJob]:
    """The jobs that gave up, newest first (none where there is no jobs table)."""
    if not has_jobs_table():
        return []
    rows = db.session.execute(sa.text(_FAILED + " ORDER BY j.id DESC LIMIT :limit"), {"limit": limit}).all()
    return [_failed(row) for row in rows]


def failed_job(job_id: int) -> FailedJob | None:
    if not has_jobs_table():
        return None
    row = db.session.execute(sa.text(_FAILED + " AND j.id = :id"), {"id": job_id}).first()
    return _failed(row) if row else None


def can_manage_jobs(user) -> bool:
    return user.is_authenticated and user.is_admin


def job_exists(job_id: int) -> bool:
    return db.session.scalar(sa.text("SELECT 1 FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}) is not None


def retry_failed_job(job_id: int) -> bool:
    """Put a failed job back in the queue, to run now. The job row is locked first: a second click waits,
    then finds it no longer failed (False, nothing done)."""
    status = db.session.scalar(
        sa.text("SELECT status FROM procrastinate_jobs WHERE id = :id FOR UPDATE"), {"id": job_id}
    )
    if status != "failed":
        return False
    # Procrastinate's own procedure (what JobManager.retry_job_by_id calls), in our transaction.
    db.session.execute(sa.text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"), {"id": job_id})
    return True
