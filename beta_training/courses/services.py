"""Write operations on the MOOC. Seeding uses them; issue #4 adds enrolment, progress and the folder import."""

import sqlalchemy as sa

from beta_training.core.models import assign_changed
from beta_training.courses.models import Course, CourseModule, CourseRun, Sequence
from beta_training.extensions import db


def upsert_course(*, slug: str, **values) -> Course:
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
    if course is None:
        course = Course(slug=slug)
        db.session.add(course)
    assign_changed(course, values)
    db.session.flush()
    return course


def upsert_run(course: Course, *, slug: str, **values) -> CourseRun:
    run = db.session.scalar(sa.select(CourseRun).where(CourseRun.course_id == course.id, CourseRun.slug == slug))
    if run is None:
        run = CourseRun(course_id=course.id, slug=slug)
        db.session.add(run)
    assign_changed(run, values)
    db.session.flush()
    return run


def upsert_module(course: Course, *, position: int, **values) -> CourseModule:
    module = db.session.scalar(
        sa.select(CourseModule).where(CourseModule.course_id == course.id, CourseModule.position == position)
    )
    if module is None:
        module = CourseModule(course_id=course.id, position=position)
        db.session.add(module)
    assign_changed(module, values)
    db.session.flush()
    return module


def upsert_sequence(module: CourseModule, *, position: int, **values) -> Sequence:
    sequence = db.session.scalar(
        sa.select(Sequence).where(Sequence.module_id == module.id, Sequence.position == position)
    )
    if sequence is None:
        sequence = Sequence(module_id=module.id, position=position)
        db.session.add(sequence)
    assign_changed(sequence, values)
    db.session.flush()
    return sequence
