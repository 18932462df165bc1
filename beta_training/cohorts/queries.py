"""Read-side helpers for Alpha sessions."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from beta_training.cohorts.models import Cohort, CohortStatus, ProgrammeItem
from beta_training.extensions import db

PUBLIC_STATUSES = (CohortStatus.PUBLISHED, CohortStatus.CLOSED, CohortStatus.ARCHIVED)


def list_upcoming_cohorts(today: date | None = None, limit: int | None = None) -> list[Cohort]:
    today = today or date.today()
    query = (
        sa.select(Cohort)
        .where(Cohort.status.in_(PUBLIC_STATUSES), Cohort.ends_on >= today)
        .order_by(Cohort.starts_on)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def past_cohorts_query(today: date | None = None) -> sa.Select:
    today = today or date.today()
    return (
        sa.select(Cohort)
        .where(Cohort.status.in_(PUBLIC_STATUSES), Cohort.ends_on < today)
        .order_by(Cohort.starts_on.desc())
    )


def get_cohort_with_programme(slug: str) -> Cohort | None:
    return db.session.scalar(
        sa.select(Cohort)
        .where(Cohort.slug == slug)
        .options(selectinload(Cohort.programme_items).selectinload(ProgrammeItem.speakers))
    )
