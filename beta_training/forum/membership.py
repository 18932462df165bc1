"""Who may read and post in a forum: staff, and the members of its MOOC run or Alpha session.

Both models.py (Forum.is_member) and queries.py (a forum's readers, who hears of a post) need it. It sits below
both and imports neither, so their imports go one way only: queries → models → membership.
"""

import sqlalchemy as sa

from beta_training.accounts.models import Role, User, UserRole
from beta_training.cohorts.models import SEAT_HOLDING_STATES, CohortApplication
from beta_training.courses.models import Enrolment, EnrolmentState
from beta_training.extensions import db

STAFF_ROLES = ("trainer", "course_lead")  # admins hold every role


def is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_any_role(*STAFF_ROLES))


def member_ids(forum):
    """Ids of the forum's learners (active enrolment) or participants (offered or confirmed seat)."""
    if forum.course_run_id is not None:
        return sa.select(Enrolment.user_id).where(
            Enrolment.run_id == forum.course_run_id, Enrolment.state == EnrolmentState.ACTIVE)
    return sa.select(CohortApplication.user_id).where(
        CohortApplication.cohort_id == forum.cohort_id, CohortApplication.state.in_(SEAT_HOLDING_STATES))


def runs_and_cohorts_of(user_id: int):
    """The runs a person learns in and the sessions they hold a seat in: the forums they are a member of."""
    runs = sa.select(Enrolment.run_id).where(Enrolment.user_id == user_id, Enrolment.state == EnrolmentState.ACTIVE)
    cohorts = sa.select(CohortApplication.cohort_id).where(
        CohortApplication.user_id == user_id, CohortApplication.state.in_(SEAT_HOLDING_STATES))
    return runs, cohorts


def staff_ids():
    return sa.select(UserRole.user_id).where(UserRole.role.in_((*STAFF_ROLES, Role.ADMIN)))


def is_member(forum, user_id: int) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists(member_ids(forum).where(
        (Enrolment.user_id if forum.course_run_id is not None else CohortApplication.user_id) == user_id)))))


def readers_among(forum, user_ids: set[int]) -> set[int]:
    """Who of `user_ids` may read the forum (members and staff, active accounts)."""
    if not user_ids:
        return set()
    return set(db.session.scalars(sa.select(User.id).where(
        User.id.in_(user_ids), User.active.is_(True),
        sa.or_(User.id.in_(member_ids(forum)), User.id.in_(staff_ids())),
    )))


def all_reader_ids(forum) -> set[int]:
    return set(db.session.scalars(sa.select(User.id).where(
        User.active.is_(True), sa.or_(User.id.in_(member_ids(forum)), User.id.in_(staff_ids())))))
