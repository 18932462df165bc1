"""The dossier's lifecycle table and the predicates of calls and dossiers: no client."""

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from beta_training.accounts.models import Role
from beta_training.calls.models import DOSSIER_TRANSITIONS, DossierState
from beta_training.core.states import InvalidTransition, check_transition
from tests import factories as f

D = DossierState
# Written out independently of the table under test: what the pre-selection allows.
EXPECTED_MOVES = {
    (D.DRAFT, D.SUBMITTED),  # the candidate files it
    (D.SUBMITTED, D.PRESELECTED),  # a trainer pre-selects it
    (D.PRESELECTED, D.SUBMITTED),  # …and may change her mind until the candidates are informed
    (D.SUBMITTED, D.NOT_PRESELECTED),  # informing: the filed dossiers left out
    (D.PRESELECTED, D.LAUREATE),  # the jury's three decisions, each final (emailed as recorded)
    (D.PRESELECTED, D.WAITLISTED),
    (D.PRESELECTED, D.NOT_SELECTED),
    (D.SUBMITTED, D.WITHDRAWN),  # the candidate takes it back before the jury decides
    (D.PRESELECTED, D.WITHDRAWN),
}


@pytest.mark.parametrize(("current", "target"), list(product(DossierState, DossierState)))
def test_the_transition_table_allows_exactly_the_expected_moves(current, target):
    if (current, target) in EXPECTED_MOVES:
        check_transition(DOSSIER_TRANSITIONS, current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(DOSSIER_TRANSITIONS, current, target)


def test_a_call_is_open_from_its_opening_to_its_closing_second_included(db):
    opens = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    call = f.make_call(opens_at=opens, closes_at=opens + timedelta(days=14))
    assert not call.is_open(opens - timedelta(seconds=1))
    assert call.is_open(opens)
    assert call.is_open(call.closes_at)
    assert not call.is_open(call.closes_at + timedelta(seconds=1))


def test_a_call_to_come_is_read_by_its_team_only(db):
    call = f.make_call(opens_at=datetime.now(UTC) + timedelta(days=3))
    now = datetime.now(UTC)
    assert not call.can_view(f.make_user(), now)
    assert call.can_view(f.make_user(roles=[Role.TRAINER]), now)
    assert not call.can_view(f.make_user(roles=[Role.COURSE_LEAD]), now)


def test_a_draft_is_its_candidates_alone_and_nobody_scores_her_own(db):
    candidate, trainer = f.make_user(), f.make_user(roles=[Role.TRAINER])
    draft = f.make_dossier(owner=candidate)
    assert draft.can_view(candidate) and draft.can_edit(candidate)
    assert not draft.can_view(trainer) and not draft.can_evaluate(trainer)
    filed = f.make_dossier(owner=candidate, state="submitted")
    assert filed.can_view(trainer) and filed.can_evaluate(trainer) and not filed.can_edit(candidate)
    assert not filed.can_view(f.make_user())
    own = f.make_dossier(owner=trainer, state="submitted")
    assert not own.can_evaluate(trainer) and not own.can_preselect(trainer)
