import pytest

from beta_training.accounts.models import Role
from beta_training.cohorts.models import APPLICATION_TRANSITIONS, ApplicationState, COHORT_TRANSITIONS, CohortStatus
from beta_training.core.models import utcnow
from beta_training.core.states import InvalidTransition, check_transition
from tests.factories import make_application, make_cohort, make_user

EXPECTED_MOVES = {
    ("draft", "submitted"), ("draft", "withdrawn"),
    ("submitted", "accepted"), ("submitted", "waitlisted"), ("submitted", "rejected"), ("submitted", "withdrawn"),
    ("waitlisted", "accepted"), ("waitlisted", "rejected"), ("waitlisted", "withdrawn"),
    ("accepted", "confirmed"), ("accepted", "declined"), ("accepted", "expired"), ("accepted", "rejected"),
    ("accepted", "withdrawn"),
    ("confirmed", "withdrawn"),
}


@pytest.mark.parametrize("current", list(ApplicationState))
@pytest.mark.parametrize("target", list(ApplicationState))
def test_application_transition_table_exhaustively(current, target):
    if (current, target) in EXPECTED_MOVES:
        check_transition(APPLICATION_TRANSITIONS, current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(APPLICATION_TRANSITIONS, current, target)


def test_every_open_state_can_be_withdrawn():
    for state, targets in APPLICATION_TRANSITIONS.items():
        assert (ApplicationState.WITHDRAWN in targets) == bool(targets), state


def test_cohort_status_lifecycle():
    assert COHORT_TRANSITIONS[CohortStatus.DRAFT] == {CohortStatus.PUBLISHED}
    assert COHORT_TRANSITIONS[CohortStatus.ARCHIVED] == set()


def test_application_predicates(app):
    owner, other, trainer = make_user(), make_user(), make_user(roles=[Role.TRAINER])
    application = make_application(user=owner, state="submitted")
    now = utcnow()
    assert application.can_view(owner) and not application.can_view(other) and application.can_view(trainer)
    assert application.can_edit(owner, now) and not application.can_edit(other, now) and not application.can_edit(trainer, now)
    assert application.can_withdraw(owner) and not application.can_withdraw(trainer)
    assert not application.can_answer_offer(owner)
    assert application.can_review(trainer) and not application.can_review(owner)


def test_cannot_edit_after_the_deadline_or_once_decided(app):
    owner = make_user()
    closed = make_cohort(applications_open_at=utcnow().replace(year=2020), applications_close_at=utcnow().replace(year=2021))
    assert not make_application(cohort=closed, user=owner).can_edit(owner, utcnow())
    assert not make_application(user=owner, state="accepted").can_edit(owner, utcnow())
