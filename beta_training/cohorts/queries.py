"""Read-side helpers for Alpha sessions and applications. Counts are computed in SQL."""

import functools
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import lazyload, load_only, selectinload

from beta_training.accounts.models import User
from beta_training.cohorts.models import (
    CRITERIA,
    SEAT_HOLDING_STATES,
    AlumniProfile,
    ApplicationReview,
    ApplicationState,
    Cohort,
    CohortApplication,
    CohortBulkEmail,
    CohortStatus,
    ProgrammeItem,
    Speaker,
)
from beta_training.core.models import StateChange
from beta_training.core.page_cache import earliest_after, next_midnight
from beta_training.extensions import db

PUBLIC_STATUSES = (CohortStatus.PUBLISHED, CohortStatus.CLOSED, CohortStatus.ARCHIVED)


# --- Sessions -----------------------------------------------------------------------------------------


def next_public_change(now: datetime) -> datetime:
    """The next moment the public Alpha pages change with the clock alone (page cache): an application window
    opens or closes (« Candidatures ouvertes »), or a day ends (a session leaves « Prochaines sessions »)."""
    window = earliest_after(now, Cohort.applications_open_at, Cohort.applications_close_at)
    return min(moment for moment in (window, next_midnight(now)) if moment is not None)


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


def all_cohorts_query() -> sa.Select:
    return sa.select(Cohort).order_by(Cohort.starts_on.desc())


def get_cohort_with_programme(slug: str) -> Cohort | None:
    return db.session.scalar(
        sa.select(Cohort)
        .where(Cohort.slug == slug)
        .options(selectinload(Cohort.programme_items).selectinload(ProgrammeItem.speakers))
    )


def slug_taken_by_another_cohort(slug: str, cohort: Cohort | None) -> bool:
    """Whether a session other than `cohort` (None: a new one) already has this slug."""
    other = db.session.scalar(sa.select(Cohort.id).where(Cohort.slug == slug))
    return other is not None and (cohort is None or other != cohort.id)


def speakers_of(cohort: Cohort) -> list[Speaker]:
    """The session's speakers, by name (another session's speakers are its own rows)."""
    return list(db.session.scalars(sa.select(Speaker).where(Speaker.cohort_id == cohort.id).order_by(Speaker.name)))


def speaker_ids_of(item: ProgrammeItem) -> list[int]:
    """The ids of the speakers of a programme item."""
    return list(db.session.scalars(
        sa.select(Speaker.id).join(ProgrammeItem.speakers).where(ProgrammeItem.id == item.id)))


def count_seat_holders(cohort_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CohortApplication)
        .where(CohortApplication.cohort_id == cohort_id, CohortApplication.state.in_(SEAT_HOLDING_STATES))
    )


def seats_left(cohort: Cohort) -> int:
    return max(cohort.seats - count_seat_holders(cohort.id), 0)


def seats_left_from(cohort: Cohort, counts: dict[str, int]) -> int:
    """seats_left() from the session's counts by state (state_counts_by_cohort), already read: no query."""
    return max(cohort.seats - sum(counts.get(state, 0) for state in SEAT_HOLDING_STATES), 0)


def state_counts_by_cohort(cohort_ids) -> dict[int, dict[str, int]]:
    """{cohort_id: {state: count}} in one query, for list pages."""
    counts: dict[int, dict[str, int]] = {cohort_id: {} for cohort_id in cohort_ids}
    if not counts:
        return counts
    application = CohortApplication.__table__.c  # a Core select: the ORM's rows cost more than the query
    rows = db.session.execute(
        sa.select(application.cohort_id, application.state, sa.func.count())
        .where(application.cohort_id.in_(counts))
        .group_by(application.cohort_id, application.state)
    )
    for cohort_id, state, count in rows:
        counts[cohort_id][state] = count
    return counts


def seats_left_by_cohort(cohorts) -> dict[int, int]:
    counts = state_counts_by_cohort([c.id for c in cohorts])
    return {c.id: seats_left_from(c, counts[c.id]) for c in cohorts}


# --- Applications -------------------------------------------------------------------------------------


def get_application_for(cohort: Cohort, user) -> CohortApplication | None:
    return db.session.scalar(
        sa.select(CohortApplication).where(CohortApplication.cohort_id == cohort.id, CohortApplication.user_id == user.id)
    )


def list_user_applications(user) -> list[CohortApplication]:
    return list(
        db.session.scalars(
            sa.select(CohortApplication)
            .where(CohortApplication.user_id == user.id)
            .order_by(CohortApplication.created_at.desc())
        )
    )


_AHEAD = CohortApplication.__table__.alias("ahead")


def waitlist_ranks(cohort_id: int, application_ids=None) -> dict[int, int]:
    """{application_id: 1-based rank} of the waiting list, in one query; of `application_ids` only when given (a
    page of the queue). The whole list is ranked by a window over it; a page's applications each count the
    applications ahead of them, as waitlist_rank() does (positions are unique in a session: given under its
    seats' lock), in the index of the session's states: a rank near the top of the list costs a few index
    entries instead of ranking the whole list (750 on a long one), read from the applications' own keys."""
    if application_ids is None:
        ranked = sa.select(
            CohortApplication.id,
            sa.func.row_number().over(order_by=CohortApplication.waitlist_position).label("rank"),
        ).where(CohortApplication.cohort_id == cohort_id, CohortApplication.state == ApplicationState.WAITLISTED)
        return {application_id: rank for application_id, rank in db.session.execute(ranked)}
    if not application_ids:
        return {}
    # The table's columns, not the class's: an ORM alias costs this query a millisecond to build, an ORM select
    # twice the time SQLite takes to answer it.
    application, ahead = CohortApplication.__table__.c, _AHEAD.c
    ahead_count = (
        sa.select(sa.func.count())
        .where(ahead.cohort_id == application.cohort_id, ahead.state == ApplicationState.WAITLISTED,
               ahead.waitlist_position < application.waitlist_position)
        .scalar_subquery()
    )
    # Filtered here, not in SQL: with the session and the state in its WHERE, SQLite walks the whole list in
    # that index instead of reading the page's keys.
    rows = db.session.execute(
        sa.select(application.id, application.cohort_id, application.state, ahead_count)
        .where(application.id.in_(application_ids))
    )
    return {application_id: ahead + 1 for application_id, in_cohort, state, ahead in rows
            if in_cohort == cohort_id and state == ApplicationState.WAITLISTED}


def waitlist_rank(application: CohortApplication) -> int | None:
    if application.state != ApplicationState.WAITLISTED:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CohortApplication)
        .where(
            CohortApplication.cohort_id == application.cohort_id,
            CohortApplication.state == ApplicationState.WAITLISTED,
            CohortApplication.waitlist_position < application.waitlist_position,
        )
    )
    return ahead + 1


def next_waitlist_position(cohort_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(CohortApplication.waitlist_position), 0) + 1).where(
            CohortApplication.cohort_id == cohort_id
        )
    )


def first_waitlisted(cohort_id: int, limit: int) -> list[CohortApplication]:
    if limit <= 0:
        return []
    return list(
        db.session.scalars(
            sa.select(CohortApplication)
            .where(CohortApplication.cohort_id == cohort_id, CohortApplication.state == ApplicationState.WAITLISTED)
            .order_by(CohortApplication.waitlist_position)
            .limit(limit)
        )
    )


def cohorts_with_expired_offers(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(CohortApplication.cohort_id)
            .where(CohortApplication.state == ApplicationState.ACCEPTED, CohortApplication.offer_expires_at <= now)
            .distinct()
        )
    )


def expired_offers(cohort_id: int, now: datetime) -> list[CohortApplication]:
    return list(
        db.session.scalars(
            sa.select(CohortApplication)
            .where(
                CohortApplication.cohort_id == cohort_id,
                CohortApplication.state == ApplicationState.ACCEPTED,
                CohortApplication.offer_expires_at <= now,
            )
            .order_by(CohortApplication.id)
        )
    )


def offers_expiring_before(limit: datetime, now: datetime) -> list[CohortApplication]:
    return list(
        db.session.scalars(
            sa.select(CohortApplication).where(
                CohortApplication.state == ApplicationState.ACCEPTED,
                CohortApplication.offer_expires_at > now,
                CohortApplication.offer_expires_at <= limit,
                CohortApplication.offer_reminder_sent_at.is_(None),
            )
        )
    )


def confirmed_starting_before(last_day: date, today: date) -> list[CohortApplication]:
    return list(
        db.session.scalars(
            sa.select(CohortApplication)
            .join(Cohort)
            .where(
                CohortApplication.state == ApplicationState.CONFIRMED,
                CohortApplication.session_reminder_sent_at.is_(None),
                Cohort.starts_on <= last_day,
                Cohort.starts_on >= today,
            )
        )
    )


def confirmed_applications(cohort_id: int) -> list[CohortApplication]:
    return applications_in_states(cohort_id, (ApplicationState.CONFIRMED,))


def applications_in_states(cohort_id: int, states) -> list[CohortApplication]:
    return list(
        db.session.scalars(
            sa.select(CohortApplication)
            .where(CohortApplication.cohort_id == cohort_id, CohortApplication.state.in_(states))
            .order_by(CohortApplication.last_name, CohortApplication.first_name, CohortApplication.id)
        )
    )


def applications_of_cohort(cohort_id: int, application_ids) -> list[CohortApplication]:
    """Those of `application_ids` that are applications to this session (others are ignored), by id."""
    return list(db.session.scalars(
        sa.select(CohortApplication)
        .where(CohortApplication.id.in_(application_ids), CohortApplication.cohort_id == cohort_id)
        .order_by(CohortApplication.id)
    ))


def get_application_with_reviews(application_id: int) -> CohortApplication | None:
    return db.session.scalar(
        sa.select(CohortApplication)
        .where(CohortApplication.id == application_id)
        .options(selectinload(CohortApplication.reviews))
    )


def timeline(subject) -> list[StateChange]:
    return list(
        db.session.scalars(
            sa.select(StateChange)
            .where(StateChange.subject_type == subject.__tablename__, StateChange.subject_id == subject.id)
            .order_by(StateChange.created_at, StateChange.id)
        )
    )


def candidate_history(application: CohortApplication) -> list[CohortApplication]:
    """The candidate's other applications, most recent first. None for an anonymised one: the others without a
    person are other erased people's, not hers."""
    if application.user_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(CohortApplication)
            .where(CohortApplication.user_id == application.user_id, CohortApplication.id != application.id)
            .order_by(CohortApplication.created_at.desc())
        )
    )


# --- Review queue -------------------------------------------------------------------------------------

QUEUE_SORTS = {
    "submitted": (CohortApplication.submitted_at.asc().nulls_last(), CohortApplication.id),
    "score": (CohortApplication.average_score.desc().nulls_last(), CohortApplication.id),
    "name": (CohortApplication.last_name, CohortApplication.first_name, CohortApplication.id),
    "waitlist": (CohortApplication.waitlist_position.asc().nulls_last(), CohortApplication.id),
}


def _score_subquery():
    """Averages per application, from its evaluations (one application's page). The queue reads the totals
    kept on each application instead (services.refresh_review_totals)."""
    columns = [sa.func.avg(getattr(ApplicationReview, name)).label(name) for name in CRITERIA]
    overall = sum(getattr(ApplicationReview, name) for name in CRITERIA) / float(len(CRITERIA))
    query = sa.select(
        ApplicationReview.application_id,
        *columns,
        sa.func.avg(overall).label("overall"),
        sa.func.count().label("reviews"),
    )
    return query.group_by(ApplicationReview.application_id).subquery()


def _criterion_average(name: str):
    return (sa.cast(getattr(CohortApplication, f"{name}_total"), sa.Float)
            / sa.func.nullif(CohortApplication.review_count, 0)).label(name)


@functools.cache
def _queue_columns() -> sa.Select:
    """Built once per process (at first use, once every model is mapped): its labelled expressions cost each
    page of the queue more to build than some of its queries."""
    return sa.select(
        CohortApplication,
        *(_criterion_average(name) for name in CRITERIA),
        CohortApplication.average_score.label("overall"),
        CohortApplication.review_count.label("reviews"),
    )


@functools.cache
def _queue_page_options() -> tuple:
    return (
        load_only(CohortApplication.cohort_id, CohortApplication.user_id, CohortApplication.state,
                  CohortApplication.anonymised_at, CohortApplication.first_name, CohortApplication.last_name,
                  CohortApplication.administration, CohortApplication.administration_type,
                  CohortApplication.departement, CohortApplication.submitted_at, CohortApplication.waitlist_position),
        lazyload(CohortApplication.user), lazyload(CohortApplication.cohort),
    )


def _queue_conditions(cohort: Cohort, *, state=None, administration_type=None, departement=None, min_score=None) -> list:
    conditions = [CohortApplication.cohort_id == cohort.id, CohortApplication.state != ApplicationState.DRAFT]
    if state:
        conditions.append(CohortApplication.state == state)
    if administration_type:
        conditions.append(CohortApplication.administration_type == administration_type)
    if departement:
        conditions.append(CohortApplication.departement == departement)
    if min_score is not None:
        conditions.append(CohortApplication.average_score >= min_score)
    return conditions


def review_queue_query(cohort: Cohort, *, sort="submitted", **filters):
    """(application, averages per criterion, overall average, number of reviews) rows, in one query, from the
    totals kept on each application: no evaluation is read, and each sort is an index of the session read in
    order (ix_cohort_applications_queue_*) until the page is full. `filters`: state, administration_type,
    departement, min_score."""
    return (_queue_columns().where(*_queue_conditions(cohort, **filters))
            .order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["submitted"])))


def review_queue_count(cohort: Cohort, *, sort=None, **filters) -> int:
    """The number of rows of review_queue_query(): counted on their own, in an index of the session, not around
    the query and its columns (twice as long for the 5,000 applications of a session)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(CohortApplication).where(*_queue_conditions(cohort, **filters)))


def review_queue_page_query(cohort: Cohort, **filters):
    """review_queue_query() for a page of the queue (the CSV export takes every column): only the columns the
    page shows (not the long answers, read on the application's own page), nor its user and session joined (the session is the page's,
    already loaded: that many-to-one is found without a query)."""
    return review_queue_query(cohort, **filters).options(*_queue_page_options())


def application_scores(application_id: int):
    scores = _score_subquery()
    return db.session.execute(sa.select(scores).where(scores.c.application_id == application_id)).first()


# --- Alumni -------------------------------------------------------------------------------------------


# An alumna attended a session with a confirmed seat; a withdrawal (even after being marked present) ends it.
_ATTENDED = (CohortApplication.attended.is_(True), CohortApplication.state == ApplicationState.CONFIRMED)


def is_alumni(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.exists().where(CohortApplication.user_id == user.id, *_ATTENDED))
        )
    )


def get_alumni_profile(user) -> AlumniProfile | None:
    return db.session.scalar(sa.select(AlumniProfile).where(AlumniProfile.user_id == user.id))


def alumni_directory_query(search: str | None = None, departement: str | None = None) -> sa.Select:
    attended = sa.select(CohortApplication.user_id).where(*_ATTENDED)
    query = (
        sa.select(AlumniProfile)
        .join(User, User.id == AlumniProfile.user_id)
        .where(AlumniProfile.listed.is_(True), AlumniProfile.user_id.in_(attended))
        .order_by(User.last_name, User.first_name)
    )
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.first_name + " " + User.last_name).like(pattern),
                sa.func.lower(sa.func.coalesce(User.administration, "")).like(pattern),
                sa.func.lower(AlumniProfile.project).like(pattern),
            )
        )
    if departement:
        query = query.where(User.departement == departement)
    return query



def reviews_by_application(cohort_id: int) -> dict[int, list[ApplicationReview]]:
    """Every review of a session's applications in one query (CSV export)."""
    grouped: dict[int, list[ApplicationReview]] = {}
    for review in db.session.scalars(
        sa.select(ApplicationReview)
        .join(CohortApplication)
        .where(CohortApplication.cohort_id == cohort_id)
        .order_by(ApplicationReview.application_id, ApplicationReview.id)
    ):
        grouped.setdefault(review.application_id, []).append(review)
    return grouped


def bulk_emails_of(cohort_id: int, limit: int = 20) -> list[CohortBulkEmail]:
    """The session's latest grouped emails, newest first (with their sender)."""
    return list(db.session.scalars(
        sa.select(CohortBulkEmail).where(CohortBulkEmail.cohort_id == cohort_id)
        .order_by(CohortBulkEmail.sent_at.desc(), CohortBulkEmail.id.desc()).limit(limit)
    ))
