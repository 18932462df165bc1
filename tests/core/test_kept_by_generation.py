"""Values kept per process by a generation of their own (core.page_cache.generation_watching, KeptByGeneration):
what retires them and what does not (issue #16)."""

import pytest
import sqlalchemy as sa

from beta_training.core.db import lock_for_update
from beta_training.core.page_cache import KeptByGeneration, current_generation, generation_watching, watch
from beta_training.courses.models import Course
from beta_training.extensions import db
from tests.factories import make_course

WATCHED = generation_watching("tests.course_titles", watch(Course, "title"))


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def test_a_bulk_update_counts_only_if_it_sets_a_watched_column(ctx):
    course = make_course()
    db.session.commit()
    start = current_generation(WATCHED)
    db.session.execute(sa.update(Course).where(Course.id == course.id).values(summary="Autre résumé"))
    db.session.commit()
    assert current_generation(WATCHED) == start  # not a column the watch names
    lock_for_update(Course, course.id)  # on SQLite an UPDATE setting the id to itself
    db.session.commit()
    assert current_generation(WATCHED) == start
    db.session.execute(sa.update(Course).where(Course.id == course.id).values({Course.title: "Nouveau titre"}))
    db.session.commit()
    assert current_generation(WATCHED) == start + 1
    db.session.execute(sa.update(Course), [{"id": course.id, "title": "Par clé primaire"}])  # ORM bulk, by key
    db.session.commit()
    assert current_generation(WATCHED) == start + 2


def test_kept_values_are_bounded_and_retired_by_the_generation(ctx):
    course = make_course()
    db.session.commit()
    kept, computed = KeptByGeneration(WATCHED, max_entries=2), []

    def compute(key):
        computed.append(key)
        return (key, len(computed))

    for key in ("a", "b", "a", "c", "a", "b"):  # "b" is the least recently used when "c" comes
        kept.get(key, lambda key=key: compute(key))
    assert computed == ["a", "b", "c", "b"]
    course.title = "Renommé"
    db.session.commit()
    assert kept.get("a", lambda: compute("a")) == ("a", 5)
