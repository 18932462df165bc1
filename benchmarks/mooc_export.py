"""Memory and time of the streamed learner CSV export of a MOOC run.

Usage: python benchmarks/mooc_export.py [--learners N] [--database URL]
Prints the peak Python memory (tracemalloc) while the CSV is read, and the time taken; run it at two sizes
to see that the peak does not grow with the number of learners.
"""

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from beta_training import create_app  # noqa: E402
from beta_training.accounts.models import Role, User  # noqa: E402
from beta_training.config import TestConfig  # noqa: E402
from beta_training.core.models import utcnow  # noqa: E402
from beta_training.courses.models import CourseItem, Enrolment, ItemCompletion  # noqa: E402
from beta_training.extensions import db  # noqa: E402


def populate(run, learners: int, batch: int = 5000) -> None:
    items = db.session.scalars(sa.select(CourseItem.id).where(CourseItem.course_id == run.course_id).order_by(CourseItem.id)).all()
    now = utcnow()
    for start in range(0, learners, batch):
        count = min(batch, learners - start)
        db.session.execute(sa.insert(User), [
            {"email": f"bench{start + n}@example.gouv.fr", "first_name": "Bench", "last_name": str(start + n),
             "session_token": f"b{start + n}", "active": True, "created_at": now, "updated_at": now} for n in range(count)])
        ids = db.session.scalars(sa.select(User.id).where(User.email.like("bench%")).order_by(User.id.desc()).limit(count)).all()
        db.session.execute(sa.insert(Enrolment), [
            {"run_id": run.id, "user_id": uid, "state": "active", "enrolled_at": now, "last_activity_at": now,
             "created_at": now, "updated_at": now} for uid in ids])
        enrolment_ids = db.session.scalars(sa.select(Enrolment.id).order_by(Enrolment.id.desc()).limit(count)).all()
        db.session.execute(sa.insert(ItemCompletion), [
            {"enrolment_id": eid, "item_id": item, "source": "opened", "completed_at": now}
            for n, eid in enumerate(enrolment_ids) for item in items[: n % (len(items) + 1)]])
        db.session.commit()


def stream_peak(client, url: str) -> tuple[int, int, float, int]:
    """Read the streamed CSV at `url`: its lines, bytes, seconds, and the peak Python memory (bytes) meanwhile."""
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200, (url, response.status_code)
    lines = size = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    response.close()
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines, size, elapsed, peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        db.drop_all()
        db.create_all()
        from tests.factories import make_mooc, make_user

        _course, run = make_mooc(sequences=(2, 2, 1), kinds=("video", "text", "quiz"))
        trainer = make_user(roles=[Role.TRAINER])
        started = time.perf_counter()
        populate(run, args.learners)
        print(f"{db.engine.dialect.name}: {args.learners} learners built in {time.perf_counter() - started:.1f} s", flush=True)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = trainer.get_id()
        lines, size, elapsed, peak = stream_peak(client, f"/mooc/gestion/sessions/{run.id}/apprenants.csv")
        print(f"CSV: {lines} lines, {size / 1e6:.1f} MB in {elapsed:.1f} s; peak Python memory while streaming: {peak / 1e6:.1f} MB")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
