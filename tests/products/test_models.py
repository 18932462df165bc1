"""The phase and comité tables, written here independently of the code, and who may do what."""

import pytest

from beta_training.accounts.models import Role
from beta_training.core.states import InvalidTransition, check_transition
from beta_training.products.models import (
    COMMITTEE_TRANSITIONS,
    PHASE_TRANSITIONS,
    SITE_PHASE_NAMES,
    CommitteeState,
    ProductPhase,
)
from tests.factories import make_committee, make_product, make_user

P = ProductPhase
EXPECTED_PHASE_MOVES = {
    (P.INVESTIGATION, P.CONSTRUCTION), (P.INVESTIGATION, P.STOPPED), (P.INVESTIGATION, P.PIVOTED),
    (P.CONSTRUCTION, P.ACCELERATION), (P.CONSTRUCTION, P.MAINTENANCE), (P.CONSTRUCTION, P.STOPPED), (P.CONSTRUCTION, P.PIVOTED),
    (P.ACCELERATION, P.TRANSFER), (P.ACCELERATION, P.MAINTENANCE), (P.ACCELERATION, P.STOPPED), (P.ACCELERATION, P.PIVOTED),
    (P.TRANSFER, P.MAINTENANCE), (P.TRANSFER, P.STOPPED),
    (P.MAINTENANCE, P.STOPPED),
}
C = CommitteeState
EXPECTED_COMMITTEE_MOVES = {(C.PREPARING, C.SUBMITTED), (C.SUBMITTED, C.PREPARING), (C.SUBMITTED, C.DECIDED)}


@pytest.mark.parametrize("current", list(ProductPhase))
@pytest.mark.parametrize("target", list(ProductPhase))
def test_phase_moves_are_exactly_the_path_and_its_outcomes(current, target):
    if (current, target) in EXPECTED_PHASE_MOVES:
        check_transition(PHASE_TRANSITIONS, current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(PHASE_TRANSITIONS, current, target)


@pytest.mark.parametrize("current", list(CommitteeState))
@pytest.mark.parametrize("target", list(CommitteeState))
def test_committee_moves(current, target):
    if (current, target) in EXPECTED_COMMITTEE_MOVES:
        check_transition(COMMITTEE_TRANSITIONS, current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(COMMITTEE_TRANSITIONS, current, target)


def _phase_paths(phase, seen=()):
    """Every sequence of phases a product can live through from `phase`."""
    nexts = PHASE_TRANSITIONS[phase]
    if not nexts:
        return [(*seen, phase)]
    return [(*seen, phase)] + [path for n in nexts for path in _phase_paths(n, (*seen, phase))]


def test_no_path_lives_a_phase_twice_so_the_site_never_sees_a_duplicated_phase_name():
    for path in _phase_paths(ProductPhase.INVESTIGATION):
        names = [SITE_PHASE_NAMES[phase] for phase in path]
        assert len(names) == len(set(names)), path


def test_team_members_and_trainers_see_a_product_others_do_not(app):
    member, stranger = make_user(), make_user()
    trainer, admin, lead = (make_user(roles=[role]) for role in (Role.TRAINER, Role.ADMIN, Role.COURSE_LEAD))
    product = make_product(team=[member])
    assert [product.can_view(u) for u in (member, stranger, trainer, admin, lead)] == [True, False, True, True, False]
    assert [product.can_manage(u) for u in (member, trainer, admin)] == [False, True, True]


def test_the_file_is_the_teams_until_sent_then_the_comites(app):
    member, trainer = make_user(), make_user(roles=[Role.TRAINER])
    product = make_product(team=[member])
    preparing = make_committee(product)
    assert preparing.can_prepare(member) and not preparing.can_prepare(trainer)
    assert not preparing.can_score(trainer) and not preparing.can_decide(trainer)
    submitted = make_committee(make_product(team=[member]), state="submitted")
    assert not submitted.can_prepare(member)
    assert submitted.can_score(trainer) and submitted.can_decide(trainer) and not submitted.can_score(member)
    decided = make_committee(make_product(team=[member]), state="decided")
    assert not decided.can_score(trainer) and not decided.can_decide(trainer)
