"""Read-side helpers for the MOOC."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from beta_training.courses.models import Course, CourseModule
from beta_training.extensions import db


def list_published_courses() -> list[Course]:
    return list(
        db.session.scalars(
            sa.select(Course).where(Course.published.is_(True)).options(selectinload(Course.runs)).order_by(Course.title)
        )
    )


def get_course_outline(slug: str) -> Course | None:
    return db.session.scalar(
        sa.select(Course)
        .where(Course.slug == slug)
        .options(
            selectinload(Course.modules).selectinload(CourseModule.sequences),
            selectinload(Course.runs),
        )
    )
