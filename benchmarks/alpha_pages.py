"""Time the Alpha pages that grow with the number of applications (review queue, CSV export, lists).

Usage: python benchmarks/alpha_pages.py [--applications N] [--database URL] [--repeat R]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from beta_training.accounts.models import Role  # noqa: E402
from beta_training.extensions import db  # noqa: E402
from benchmarks.pages import bench_app, print_table  # noqa: E402


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    app = bench_app(args.database)
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
        print_table(client, pages, args.repeat, db.engine, width=40)
        db.session.remove()  # release the transaction before dropping the tables
        db.drop_all()


if __name__ == "__main__":
    main()
