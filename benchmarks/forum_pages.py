"""Time the forum pages whose data grows: a thread of 10 replies against one of 1,000 (first and last page),
the thread list of a forum with many threads, and full-text search over many posts.

Usage: python benchmarks/forum_pages.py [--replies N] [--threads N] [--database URL] [--repeat R]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from beta_training.core.models import utcnow  # noqa: E402
from beta_training.extensions import db  # noqa: E402
from beta_training.forum import search  # noqa: E402
from beta_training.forum.models import ForumPost, ForumThread  # noqa: E402
from benchmarks.pages import bench_app, print_table  # noqa: E402

SENTENCES = [
    "Nous avons rencontré des usagers au guichet de la CAF.",
    "Le sponsor veut un budget avant d'avoir vu un usager.",
    "Faire le service à la main pendant trois semaines nous a appris beaucoup.",
    "Quels indicateurs d'impact avez-vous retenus pour le comité ?",
]


def bulk_posts(thread, authors, count, now):
    rows = [{"thread_id": thread.id, "author_id": authors[n % len(authors)].id, "body": SENTENCES[n % 4],
             "body_html": f"<p>{SENTENCES[n % 4]}</p>", "search_text": SENTENCES[n % 4], "created_at": now,
             "is_opening": False, "author_is_staff": False, "state": "published", "hidden_reason": ""} for n in range(count)]
    db.session.execute(sa.insert(ForumPost), rows)
    thread.reply_count += count
    thread.last_post_id = db.session.scalar(sa.select(sa.func.max(ForumPost.id)))
    if db.engine.dialect.name == "sqlite":  # what the services write for each post
        db.session.execute(sa.text(f"INSERT INTO {search.FTS_TABLE} (rowid, stems) "
                                   "SELECT id, :stems FROM forum_posts WHERE thread_id = :thread AND body = :body"),
                           [{"stems": " ".join(search.stems(s)), "thread": thread.id, "body": s} for s in SENTENCES])


def build(replies: int, threads: int):
    from tests.factories import make_forum, make_forum_member, make_forum_thread

    forum = make_forum()
    reader = make_forum_member(forum)
    authors = [make_forum_member(forum) for _ in range(5)]
    now = utcnow()
    short = make_forum_thread(forum, authors[0], title="Dix réponses")
    long = make_forum_thread(forum, authors[0], title=f"{replies} réponses")
    bulk_posts(short, authors, 10, now)
    bulk_posts(long, authors, replies, now)
    db.session.execute(sa.insert(ForumThread), [
        {"forum_id": forum.id, "category_id": forum.categories[n % 2].id, "author_id": authors[n % 5].id,
         "kind": "question", "title": f"Sujet {n}", "state": "open", "state_reason": "", "pinned": False,
         "is_announcement": False, "opening_state": "published", "reply_count": 0, "has_staff_reply": False, "last_post_id": n,
         "last_post_at": now, "created_at": now} for n in range(threads)])
    db.session.commit()
    return forum, reader, short, long


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--database", default=None, help="an empty, disposable database (migrated here)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    app = bench_app(args.database)
    with app.app_context():
        upgrade()  # migrations: the search index / FTS5 table exist only there
        print(f"building threads of 10 and {args.replies} replies, {args.threads} more threads, "
              f"on {db.engine.dialect.name}…", flush=True)
        forum, reader, short, long = build(args.replies, args.threads)
        if db.engine.dialect.name == "postgresql":  # fresh bulk inserts: give the planner statistics, as autovacuum would
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("ANALYZE"))
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = reader.get_id()
        last_page = (args.replies + 19) // 20
        pages = {
            "thread, 10 replies": f"/forum/{forum.id}/sujets/{short.id}",
            f"thread, {args.replies} replies, page 1": f"/forum/{forum.id}/sujets/{long.id}",
            f"thread, {args.replies} replies, page {last_page}": f"/forum/{forum.id}/sujets/{long.id}?page={last_page}",
            f"forum, {args.threads + 2} threads": f"/forum/{forum.id}",
            "forum, filter « Non lus »": f"/forum/{forum.id}?filtre=non-lus",
            f"search « usagers » ({args.replies + 12} posts)": f"/forum/{forum.id}/recherche?q=usagers",
        }
        print_table(client, pages, args.repeat, db.engine, warm_up=1)  # the first visit writes the read mark


if __name__ == "__main__":
    main()
