"""Time the trainers' MOOC dashboard of a run with many learners (in-process, the test client).

Usage: python benchmarks/mooc_dashboard.py [--learners N] [--database URL] [--repeat R] [--writers 1,8]

The learners are bulk-inserted (plain INSERTs, as a data generator would): enrolled over 30 days, each with a
prefix of the course done (about 7.5 of 15 items: 750,000 completions for 100,000 learners), one to three
attempts at each quiz reached, and the course completed by those who did every item. Then the dashboard's
counts are rebuilt from these facts (courses.services.recompute_dashboard, what a bulk load must call; its time
is printed), and the page is timed.

`--writers`: then the hot rows. Learners who have done nothing yet do the course's first item, through
courses.services.record_progress, one commit each, from 1 then 8 threads (as many requests at once): each such
write increments two rows every writer shares (the run's first sequence: started; today's day row: last
activity). Prints the writes per second and the time of one write (p50 / p95): if 8 threads write no faster
than 1, the writes queue on those rows.
"""

import argparse
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from beta_training.accounts.models import Role, User  # noqa: E402
from beta_training.core import db as core_db  # noqa: E402
from beta_training.core.models import utcnow  # noqa: E402
from beta_training.courses import queries, services  # noqa: E402
from beta_training.courses.models import CourseItem, Enrolment, ItemCompletion, QuizAttempt  # noqa: E402
from beta_training.extensions import db  # noqa: E402
from benchmarks.pages import bench_app, print_table  # noqa: E402


def populate(run, learners: int, batch: int = 5000) -> None:
    items = db.session.execute(sa.select(CourseItem.id, CourseItem.kind).where(CourseItem.course_id == run.course_id)
                               .order_by(CourseItem.sequence_id, CourseItem.position)).all()
    now = utcnow().replace(microsecond=0)
    for start in range(0, learners, batch):
        count = min(batch, learners - start)
        db.session.execute(sa.insert(User), [
            {"email": f"dash{start + n}@example.gouv.fr", "first_name": "Bench", "last_name": str(start + n),
             "session_token": f"d{start + n}", "active": True, "created_at": now, "updated_at": now} for n in range(count)])
        user_ids = db.session.scalars(sa.select(User.id).where(User.email.like("dash%")).order_by(User.id.desc()).limit(count)).all()
        rows = []
        for n, user_id in enumerate(sorted(user_ids)):
            number = start + n
            done = number % (len(items) + 1)
            enrolled_at = now - timedelta(days=30) + timedelta(seconds=(number * 2593) % (30 * 86400))
            rows.append({"run_id": run.id, "user_id": user_id, "state": "active" if number % 50 else "unenrolled",
                         "enrolled_at": enrolled_at, "created_at": now, "updated_at": now,
                         "last_activity_at": enrolled_at + timedelta(hours=number % 300) if done else None,
                         "completed_at": now if done == len(items) else None})
        db.session.execute(sa.insert(Enrolment), rows)
        enrolments = db.session.scalars(sa.select(Enrolment.id).order_by(Enrolment.id.desc()).limit(count)).all()
        completions, attempts = [], []
        for n, enrolment_id in enumerate(sorted(enrolments)):
            number = start + n
            for item_id, kind in items[: number % (len(items) + 1)]:
                completions.append({"enrolment_id": enrolment_id, "item_id": item_id, "source": "opened",
                                    "completed_at": now})
                if kind == "quiz":
                    for attempt in range(1, 2 + number % 3):
                        correct = (number + attempt) % 2
                        attempts.append({"enrolment_id": enrolment_id, "item_id": item_id, "number": attempt,
                                         "correct": correct, "total": 1, "score": 100 * correct, "submitted_at": now})
        db.session.execute(sa.insert(ItemCompletion), completions)
        db.session.execute(sa.insert(QuizAttempt), attempts)
        db.session.commit()


def measure_writers(app, run, threads: int, writes: int, first_item_id: int, taken: set) -> None:
    """`writes` first completions by learners who have none, from `threads` threads at once."""
    with app.app_context():
        fresh = db.session.scalars(sa.select(Enrolment.id).where(
            Enrolment.run_id == run.id, Enrolment.state == "active",
            ~sa.exists().where(ItemCompletion.enrolment_id == Enrolment.id), Enrolment.id.not_in(taken))
            .order_by(Enrolment.id).limit(writes)).all()
        db.session.remove()
    taken.update(fresh)
    slices = [fresh[n::threads] for n in range(threads)]
    timings, lock = [], threading.Lock()
    barrier = threading.Barrier(threads)

    def write(enrolment_ids):
        with app.app_context(), app.test_request_context(method="POST"):  # a write request: SQLite BEGIN IMMEDIATE
            barrier.wait()
            for enrolment_id in enrolment_ids:
                started = time.perf_counter()
                enrolment = db.session.get(Enrolment, enrolment_id)
                services.record_progress(enrolment, db.session.get(CourseItem, first_item_id), source="button")
                core_db.commit()
                with lock:
                    timings.append((time.perf_counter() - started) * 1000)

    workers = [threading.Thread(target=write, args=(part,)) for part in slices]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    timings.sort()
    print(f"{threads} writer thread(s): {len(timings)} first completions in {elapsed:.1f} s = {len(timings) / elapsed:.0f}/s; "
          f"one write p50 {statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--database", default=None, help="an empty, disposable database (migrated here)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--writers", default="", help="thread counts for the hot-row measure, e.g. 1,8")
    parser.add_argument("--writes", type=int, default=800)
    parser.add_argument("--content-edit", action="store_true", help="time an item added, then one deleted")
    args = parser.parse_args()
    app = bench_app(args.database)
    with app.app_context():
        upgrade()
        from tests.factories import make_mooc, make_user

        _course, run = make_mooc(sequences=(2, 2, 1), kinds=("video", "text", "quiz"))
        trainer = make_user(roles=[Role.TRAINER])
        started = time.perf_counter()
        populate(run, args.learners)
        counts = {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                  for model in (Enrolment, ItemCompletion, QuizAttempt)}
        print(f"{db.engine.dialect.name}: {counts} built in {time.perf_counter() - started:.1f} s", flush=True)
        if db.engine.dialect.name == "postgresql":  # fresh bulk inserts: give the planner statistics, as autovacuum would
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("ANALYZE"))
        if hasattr(services, "recompute_dashboard"):
            started = time.perf_counter()
            services.recompute_dashboard(run)
            db.session.commit()
            print(f"recompute_dashboard(run): {time.perf_counter() - started:.2f} s", flush=True)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = trainer.get_id()
        print_table(client, {f"dashboard, {args.learners} learners": f"/mooc/gestion/sessions/{run.id}/tableau-de-bord"},
                    args.repeat, db.engine, warm_up=1)
        if args.writers:
            first_item_id = db.session.scalar(sa.select(CourseItem.id).where(CourseItem.course_id == run.course_id)
                                              .order_by(CourseItem.sequence_id, CourseItem.position))
            db.session.commit()
            taken = set()
            for threads in (int(n) for n in args.writers.split(",")):
                measure_writers(app, run, threads, args.writes, first_item_id, taken)
            print("counts equal to the facts:", queries.dashboard_counts(run) == queries.dashboard_counts_from_facts(run))
        if args.content_edit:  # a trainer adds an item to a live sequence, then deletes one: the runs are recounted
            with app.test_request_context(method="POST"):
                sequence = queries.get_course_outline_by_id(run.course_id).modules[0].sequences[0]
                for label, edit in (("add an item", lambda: services.save_item(sequence, key="ajout", kind="text",
                                                                               title="Ajout", body="Texte.")),
                                    ("delete an item", lambda: services.delete_item(db.session.scalar(
                                        sa.select(CourseItem).where(CourseItem.sequence_id == sequence.id)
                                        .order_by(CourseItem.position))))):
                    started = time.perf_counter()
                    edit()
                    core_db.commit()
                    print(f"{label} (request's service + commit): {time.perf_counter() - started:.2f} s", flush=True)
            print("counts equal to the facts:", queries.dashboard_counts(run) == queries.dashboard_counts_from_facts(run))


if __name__ == "__main__":
    main()
