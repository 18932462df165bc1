"""The migration that lets parts go unnumbered and transcripts be links keeps every row of a course: on
SQLite its table rebuilds would delete, in cascade, the items, choices, files and progress if migrations ran
with foreign keys on (migrations/env.py turns them off around a migration, as SQLite prescribes)."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from beta_training.courses import services
from beta_training.courses.models import CourseItem, CourseModule
from beta_training.extensions import db
from beta_training.forum.services import forum_for_run
from tests.factories import make_course_item, make_enrolment, make_item_completion, make_mooc, make_sequence
from tests.test_migrations import _app_for, empty_database_url  # noqa: F401 — the fixture is used below

BEFORE = "06302e3e79f3"
KEPT = ("course_modules", "sequences", "course_items", "quiz_choices", "resource_files", "item_completions",
        "forum_categories")


def _rows():
    with db.engine.connect() as connection:
        return {name: connection.execute(sa.text(f"SELECT * FROM {name} ORDER BY id")).all() for name in KEPT}


def _column(rows, index):
    return [row[index] for row in rows]


def test_a_course_keeps_every_row_down_and_up_again(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        course, run = make_mooc(sequences=(2, 1), kinds=("video", "text", "quiz", "resource"))
        outline_items = db.session.scalars(sa.select(CourseItem).order_by(CourseItem.id)).all()
        resource = next(item for item in outline_items if item.kind == "resource")
        services.attach_resource_file(resource, filename="guide.pdf", data=b"%PDF-1.4\n%%EOF\n", max_bytes=1024)
        quiz = next(item for item in outline_items if item.kind == "quiz")
        enrolment = make_enrolment(run)
        for item in outline_items:
            make_item_completion(enrolment, item, choice_id=quiz.choices[0].id if item is quiz else None)
        with app.test_request_context():
            forum_for_run(run)
        # An unnumbered part whose video has only a transcript link, as the real introduction has.
        intro = make_sequence(db.session.scalars(sa.select(CourseModule)).first(), position=9, number=None, title="Introduction")
        linked = make_course_item(intro, kind="video", key="intro-video", transcript="",
                                  transcript_url="https://beta.gouv.fr/content/docs/mooc/2-introduction-methode-startup-etat.pdf")
        db.session.commit()
        linked_id, link, intro_id = linked.id, linked.transcript_url, intro.id
        db.session.remove()  # from here on the schema changes under the models: plain SQL only
        before = _rows()
        assert all(before[name] for name in KEPT)

        downgrade(revision=BEFORE)
        down = _rows()
        for name in KEPT:
            assert _column(down[name], 0) == _column(before[name], 0), name
        transcript = db.session.execute(sa.text("SELECT transcript FROM course_items WHERE id = :id"), {"id": linked_id}).scalar()
        assert transcript == f"Transcription : {link}"  # the old rule wants text: the link is kept as text
        assert db.session.execute(sa.text("SELECT number FROM sequences WHERE id = :id"), {"id": intro_id}).scalar() == 0
        db.session.remove()

        upgrade()
        after = _rows()
        for name in KEPT:
            assert _column(after[name], 0) == _column(before[name], 0), name
        assert after["item_completions"] == before["item_completions"]  # the quiz answer included
        assert after["quiz_choices"] == before["quiz_choices"] and after["resource_files"] == before["resource_files"]
        categories = db.session.execute(sa.text("SELECT sequence_id FROM forum_categories WHERE sequence_id IS NOT NULL")).scalars().all()
        assert sorted(categories) == [row[0] for row in before["sequences"] if row[0] != intro_id]
        modules = db.session.execute(sa.text("SELECT position, number FROM course_modules ORDER BY position")).all()
        assert [tuple(row) for row in modules] == [(1, 1), (2, 2)]  # existing modules keep their numbers
        db.session.remove()
        db.engine.dispose()
