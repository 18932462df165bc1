"""The core guard, and every lifecycle's table checked against the moves written out here by hand.

The expected moves are literal on purpose: a test that read them from the table under test would pass
whatever the table says.
"""

from enum import StrEnum

import pytest
import sqlalchemy as sa

from beta_training.cohorts.models import APPLICATION_TRANSITIONS, COHORT_TRANSITIONS, ApplicationState, CohortStatus
from beta_training.core.models import StateChange, utcnow
from beta_training.core.states import InvalidTransition, check_transition, transition, transition_once
from beta_training.courses.models import ENROLMENT_TRANSITIONS, Enrolment, EnrolmentState
from beta_training.extensions import db
from beta_training.forum.models import THREAD_TRANSITIONS, ThreadState
from beta_training.sheets.models import SHEET_TRANSITIONS, SheetState
from tests.factories import make_enrolment, make_user
from tests.records import timeline_of


class Light(StrEnum):
    RED = "red"
    GREEN = "green"


TABLE = {Light.RED: {Light.GREEN}, Light.GREEN: set()}


def test_allowed_transition_passes():
    assert check_transition(TABLE, Light.RED, Light.GREEN) is None


@pytest.mark.parametrize("current,target", [(Light.GREEN, Light.RED), (Light.RED, Light.RED)])
def test_forbidden_transition_raises(current, target):
    with pytest.raises(InvalidTransition) as error:
        check_transition(TABLE, current, target)
    assert error.value.current == current and error.value.target == target


# Every lifecycle: (its table, its states, the allowed moves written out by hand).
LIFECYCLES = {
    "cohort": (COHORT_TRANSITIONS, CohortStatus, {
        ("draft", "published"),
        ("published", "draft"), ("published", "closed"), ("published", "cancelled"),
        ("closed", "published"), ("closed", "archived"), ("closed", "cancelled"),
    }),
    "application": (APPLICATION_TRANSITIONS, ApplicationState, {
        ("draft", "submitted"), ("draft", "withdrawn"),
        ("submitted", "accepted"), ("submitted", "waitlisted"), ("submitted", "rejected"), ("submitted", "withdrawn"),
        ("waitlisted", "accepted"), ("waitlisted", "rejected"), ("waitlisted", "withdrawn"),
        ("accepted", "confirmed"), ("accepted", "declined"), ("accepted", "expired"), ("accepted", "rejected"),
        ("accepted", "withdrawn"),
        ("confirmed", "withdrawn"),
    }),
    "sheet": (SHEET_TRANSITIONS, SheetState, {
        ("draft", "submitted"),
        ("submitted", "in_review"), ("submitted", "draft"),
        ("in_review", "changes_requested"), ("in_review", "approved"), ("in_review", "submitted"), ("in_review", "draft"),
        ("in_review", "second_review"),
        ("second_review", "in_review"), ("second_review", "draft"),
        ("changes_requested", "submitted"),
    }),
    "thread": (THREAD_TRANSITIONS, ThreadState, {
        ("open", "locked"), ("open", "closed"),
        ("locked", "open"), ("locked", "closed"),
        ("closed", "open"),
    }),
    "enrolment": (ENROLMENT_TRANSITIONS, EnrolmentState, {
        ("active", "unenrolled"),
        ("unenrolled", "active"),
    }),
}
EVERY_PAIR = [
    pytest.param(table, current, target, (current, target) in moves, id=f"{name}:{current}->{target}")
    for name, (table, states, moves) in LIFECYCLES.items()
    for current in states
    for target in states
]


@pytest.mark.parametrize("table,current,target,allowed", EVERY_PAIR)
def test_every_lifecycle_allows_exactly_the_expected_moves(table, current, target, allowed):
    if allowed:
        check_transition(table, current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(table, current, target)


@pytest.mark.parametrize("name", LIFECYCLES)
def test_the_expected_moves_name_real_states(name):
    """A typo in a hand-written move would silently expect it to be refused."""
    _table, states, moves = LIFECYCLES[name]
    assert {state for move in moves for state in move} <= set(states)


# --- Recording -----------------------------------------------------------------------------------------


def test_a_move_is_recorded_with_its_actor_and_a_refused_one_leaves_no_trace(app):
    learner = make_user()
    enrolment = make_enrolment(user=learner)
    when = utcnow()
    transition(enrolment, ENROLMENT_TRANSITIONS, EnrolmentState.UNENROLLED, actor=learner, reason="Pause", now=when)
    with pytest.raises(InvalidTransition):
        transition(enrolment, ENROLMENT_TRANSITIONS, EnrolmentState.UNENROLLED, actor=learner)
    db.session.commit()
    assert enrolment.state == "unenrolled"
    assert timeline_of(enrolment) == [("active", "unenrolled", learner.id, "Pause", when)]


def test_transition_once_moves_only_what_is_still_in_the_expected_state(app):
    learner = make_user()
    enrolment = make_enrolment(user=learner)
    assert enrolment.state == "active"  # this request's copy, as read...
    session = db.session()
    session.expire_on_commit = False
    session.commit()  # (its read transaction ends, the copy stays as read)
    session.expire_on_commit = True
    with db.engine.begin() as other_request:  # ...before another request unenrolled her
        other_request.execute(sa.update(Enrolment).where(Enrolment.id == enrolment.id).values(state="unenrolled"))
    assert enrolment.state == "active"
    assert transition_once(enrolment, ENROLMENT_TRANSITIONS, EnrolmentState.ACTIVE, EnrolmentState.UNENROLLED,
                           actor=learner) is None
    assert enrolment.state == "unenrolled"  # refreshed: the caller sees what the other request left
    change = transition_once(enrolment, ENROLMENT_TRANSITIONS, EnrolmentState.UNENROLLED, EnrolmentState.ACTIVE,
                             actor=learner, values={"enrolled_at": utcnow()})
    db.session.commit()
    assert isinstance(change, StateChange) and enrolment.state == "active"
    assert [row[:3] for row in timeline_of(enrolment)] == [("unenrolled", "active", learner.id)]


def test_transition_once_checks_the_table_before_its_update(app):
    """A move the table does not allow is refused before any UPDATE (claim_sheet, unenrol… rely on it): the row
    stays as it is and nothing is recorded, even though it is in the state the caller expects."""
    learner = make_user()
    enrolment = make_enrolment(user=learner)
    db.session.commit()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (before_cursor_execute: the SQL text)
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with pytest.raises(InvalidTransition):
            transition_once(enrolment, {EnrolmentState.ACTIVE: set()}, EnrolmentState.ACTIVE, EnrolmentState.UNENROLLED,
                            actor=learner)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert [s for s in statements if s.lstrip().upper().startswith("UPDATE")] == []
    db.session.commit()
    assert db.session.scalar(sa.select(Enrolment.state).where(Enrolment.id == enrolment.id)) == "active"
    assert timeline_of(enrolment) == []
