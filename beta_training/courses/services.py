"""Write operations on the MOOC. Seeding uses them; issue #4 adds enrolment, progress and the folder import."""

from beta_training.core.models import upsert
from beta_training.courses.models import Course, CourseModule, CourseRun, Sequence


def upsert_course(*, slug: str, **values) -> Course:
    return upsert(Course, {"slug": slug}, values)


def upsert_run(course: Course, *, slug: str, **values) -> CourseRun:
    return upsert(CourseRun, {"course_id": course.id, "slug": slug}, values)


def upsert_module(course: Course, *, position: int, **values) -> CourseModule:
    return upsert(CourseModule, {"course_id": course.id, "position": position}, values)


def upsert_sequence(module: CourseModule, *, position: int, **values) -> Sequence:
    return upsert(Sequence, {"module_id": module.id, "position": position}, values)
