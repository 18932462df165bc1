from enum import StrEnum

import pytest

from beta_training.cohorts.models import COHORT_TRANSITIONS, CohortStatus
from beta_training.core.states import InvalidTransition, check_transition


class Light(StrEnum):
    RED = "red"
    GREEN = "green"


TABLE = {Light.RED: {Light.GREEN}, Light.GREEN: set()}


def test_allowed_transition_passes():
    check_transition(TABLE, Light.RED, Light.GREEN)


@pytest.mark.parametrize("current,target", [(Light.GREEN, Light.RED), (Light.RED, Light.RED)])
def test_forbidden_transition_raises(current, target):
    with pytest.raises(InvalidTransition) as error:
        check_transition(TABLE, current, target)
    assert error.value.current == current and error.value.target == target


@pytest.mark.parametrize("current", list(CohortStatus))
@pytest.mark.parametrize("target", list(CohortStatus))
def test_cohort_status_table_is_exhaustive(current, target):
    allowed = target in COHORT_TRANSITIONS[current]
    if allowed:
        check_transition(COHORT_TRANSITIONS, current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(COHORT_TRANSITIONS, current, target)
    assert (current, target) != (CohortStatus.ARCHIVED, CohortStatus.PUBLISHED) or not allowed
