"""Time the Alpha pages that grow with the number of applications (review queue, CSV export, lists).

Usage: python benchmarks/alpha_pages.py [--applications N] [--database URL] [--repeat R]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from beta_training import create_app  # noqa: E402
from beta_training.accounts.models import Role  # noqa: E402
from beta_training.config import TestConfig  # noqa: E402
from beta_training.extensions import db  # noqa: E402


def build(app, applications: int):
    from tests.factories import make_application, make_application_review, make_cohort, make_user

    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort(seats=applications)
    reviewers = [make_user(roles=[Role.TRAINER]) for _ in range(3)]
    for n in range(applications):
        application = make_application(cohort, state=("submitted", "waitlisted", "accepted")[n % 3])
        for reviewer in reviewers[: n % 4]:
            make_application_review(application, reviewer=reviewer)
    return trainer, cohort


def measure(client, url: str, repeat: int, engine) -> tuple[list[float], int]:
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    timings = []
    for index in range(repeat):
        if index == 0:
            sa.event.listen(engine, "before_cursor_execute", listener)
        start = time.perf_counter()
        response = client.get(url)
        _ = response.data
        timings.append((time.perf_counter() - start) * 1000)
        if index == 0:
            sa.event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200, (url, response.status_code)
    return timings, len(statements)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "MAIL_DELIVERY": "files",
                                                          "MAIL_FILE_DIR": tempfile.mkdtemp()}))
    with app.app_context():
        db.drop_all()
        db.create_all()
        print(f"building {args.applications} applications on {db.engine.dialect.name}…", flush=True)
        trainer, cohort = build(app, args.applications)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = trainer.get_id()
        pages = {
            "review queue": f"/alpha/gestion/{cohort.id}/candidatures",
            "review queue sorted by score": f"/alpha/gestion/{cohort.id}/candidatures?sort=score",
            "sessions (trainer)": "/alpha/gestion/",
            "session page": f"/alpha/{cohort.slug}",
            f"CSV export ({args.applications} rows)": f"/alpha/gestion/{cohort.id}/candidatures.csv",
        }
        print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
        for label, page_url in pages.items():
            timings, queries = measure(client, page_url, args.repeat, db.engine)
            timings.sort()
            p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
            print(f"{label:40} {statistics.median(timings):8.1f} {p95:8.1f} {timings[-1]:8.1f} {queries:8d}")
        db.session.remove()  # release the transaction before dropping the tables
        db.drop_all()


if __name__ == "__main__":
    main()
