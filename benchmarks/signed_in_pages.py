"""CPU per request of the signed-in pages (learner and trainer), in-process with the test client, and where it
goes (cProfile).

The data is built once into a SQLite file (--data DIR, reused by later runs): a MOOC of 12 sequences (36 items)
with a learner half-way through it, its forum (a thread of --replies replies and --threads more threads),
an Alpha session with --applications applications and --fiches fiches waiting for review.

Usage: python benchmarks/signed_in_pages.py [--data DIR] [--repeat N] [--profile PAGE] [--top N]
"""

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from beta_training.extensions import db  # noqa: E402
from benchmarks.pages import bench_app  # noqa: E402

BODY = """Dans cette séquence, vous allez **rencontrer des usagers** avant d'écrire une ligne de code.

- Observer le service tel qu'il est rendu aujourd'hui ;
- noter ce qui bloque, *sans* chercher de solution ;
- revenir avec [trois constats](https://beta.gouv.fr/approche/).

> « On ne construit rien avant d'avoir vu un usager. »
"""


def build(replies: int, threads: int, applications: int, fiches: int) -> dict:
    from benchmarks.forum_pages import bulk_posts
    from beta_training.accounts.models import Role
    from beta_training.courses.models import CourseItem
    from beta_training.forum.models import ForumThread
    from beta_training.core.models import utcnow
    from tests.factories import (make_application, make_application_review, make_cohort, make_enrolment, make_forum,
                                 make_forum_member, make_forum_thread, make_item_completion, make_mooc,
                                 make_product_sheet, make_user)

    course, run = make_mooc(sequences=(4, 4, 4), kinds=("video", "text", "quiz"))
    for item in db.session.scalars(sa.select(CourseItem).where(CourseItem.course_id == course.id)):
        item.body = BODY
    db.session.commit()
    forum = make_forum(run=run)
    learner = make_forum_member(forum)
    enrolment = db.session.scalar(sa.select(sa.text("id")).select_from(sa.table("enrolments"))
                                  .where(sa.text(f"user_id = {learner.id}")))
    items = list(db.session.scalars(sa.select(CourseItem).where(CourseItem.course_id == course.id)
                                    .order_by(CourseItem.sequence_id, CourseItem.position)))
    from beta_training.courses.models import Enrolment
    for item in items[: len(items) // 2]:
        make_item_completion(db.session.get(Enrolment, enrolment), item)
    authors = [make_forum_member(forum) for _ in range(5)]
    now = utcnow()
    long = make_forum_thread(forum, authors[0], title=f"{replies} réponses")
    bulk_posts(long, authors, replies, now)
    db.session.execute(sa.insert(ForumThread), [
        {"forum_id": forum.id, "category_id": forum.categories[n % 2].id, "author_id": authors[n % 5].id,
         "kind": "question", "title": f"Sujet {n}", "state": "open", "state_reason": "", "pinned": False,
         "is_announcement": False, "opening_state": "published", "reply_count": 0, "has_staff_reply": False,
         "last_post_id": long.last_post_id, "last_post_at": now, "created_at": now} for n in range(threads)])
    db.session.commit()
    for _ in range(4):
        make_enrolment(run)

    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort(seats=applications)
    reviewers = [make_user(roles=[Role.TRAINER]) for _ in range(3)]
    for n in range(applications):
        application = make_application(cohort, state=("submitted", "waitlisted", "accepted")[n % 3])
        for reviewer in reviewers[: n % 4]:
            make_application_review(application, reviewer=reviewer)
    for n in range(fiches):
        state = ("submitted", "in_review", "changes_requested")[n % 3]
        claim = {"claimed_by_id": reviewers[0].id, "claimed_at": now} if state == "in_review" else {}
        make_product_sheet(state=state, **claim)
    text_item = next(item for item in items if item.kind == "text")
    video_item = next(item for item in items[len(items) // 2:] if item.kind == "video")
    quiz_item = next(item for item in items if item.kind == "quiz")
    last_page = (replies + 19) // 20
    return {
        "learner": learner.get_id(), "trainer": trainer.get_id(),
        "pages": {
            "MOOC outline": ["learner", f"/mooc/{course.slug}?run={run.slug}"],
            "MOOC item (video)": ["learner", f"/mooc/{course.slug}/{run.slug}/contenu/{video_item.key}"],
            "MOOC item (text, records progress)": ["learner", f"/mooc/{course.slug}/{run.slug}/contenu/{text_item.key}"],
            "MOOC item (quiz)": ["learner", f"/mooc/{course.slug}/{run.slug}/contenu/{quiz_item.key}"],
            "MOOC progress": ["learner", f"/mooc/{course.slug}/{run.slug}/progression"],
            f"forum, {threads + 1} threads": ["learner", f"/forum/{forum.id}"],
            f"thread, {replies} replies, page 1": ["learner", f"/forum/{forum.id}/sujets/{long.id}"],
            f"thread, {replies} replies, page {last_page}": [
                "learner", f"/forum/{forum.id}/sujets/{long.id}?page={last_page}"],
            f"Alpha review queue, {applications}": ["trainer", f"/alpha/gestion/{cohort.id}/candidatures"],
            f"fiche review queue, {fiches}": ["trainer", "/fiches/relecture"],
        },
    }


def cpu_per_request(client, url: str, repeat: int, engine) -> tuple[float, float, int]:
    """(CPU ms, wall ms) per request over `repeat` GETs after warm-up, and the SQL statements of one."""
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.location)
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    client.get(url)
    sa.event.remove(engine, "before_cursor_execute", listener)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        response = client.get(url)
        _ = response.data
    return ((time.process_time() - cpu) * 1000 / repeat, (time.perf_counter() - wall) * 1000 / repeat,
            len(statements))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/tmp/signed_in_pages", help="folder of the SQLite file (built if absent)")
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--fiches", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--only", default="", help="pages whose label contains this")
    parser.add_argument("--profile", default="", help="profile the pages whose label contains this")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    folder = Path(args.data)
    folder.mkdir(parents=True, exist_ok=True)
    app = bench_app(f"sqlite:///{folder / 'bench.sqlite3'}")
    with app.app_context():
        manifest = folder / "manifest.json"
        if not manifest.exists():
            upgrade()
            started = time.perf_counter()
            print("building…", flush=True)
            manifest.write_text(json.dumps(build(args.replies, args.threads, args.applications, args.fiches)))
            print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        data = json.loads(manifest.read_text())
        engine = db.engine
    # Requests outside that app context: each one gets its own, hence its own SQLAlchemy session, as served.
    clients = {}
    for role in ("learner", "trainer"):
        clients[role] = app.test_client()
        with clients[role].session_transaction() as session:
            session["_user_id"] = data[role]
    print(f"{'page':42} {'CPU ms':>7} {'wall ms':>8} {'queries':>8}")
    for label, (role, url) in data["pages"].items():
        if args.only and args.only not in label:
            continue
        cpu, wall, queries = cpu_per_request(clients[role], url, args.repeat, engine)
        print(f"{label:42} {cpu:7.2f} {wall:8.2f} {queries:8d}", flush=True)
        if args.profile and args.profile in label:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                clients[role].get(url)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)

if __name__ == "__main__":
    main()
