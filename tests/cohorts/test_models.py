from beta_training.accounts.models import Role
from beta_training.cohorts.models import APPLICATION_TRANSITIONS, ApplicationState
from beta_training.core.models import utcnow
from tests.factories import make_application, make_cohort, make_user

# The application lifecycle's moves are checked one by one in tests/core/test_states.py.


def test_every_open_state_can_be_withdrawn():
    for state, targets in APPLICATION_TRANSITIONS.items():
        assert (ApplicationState.WITHDRAWN in targets) == bool(targets), state


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
