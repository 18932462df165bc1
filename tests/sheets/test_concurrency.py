"""The sheet services lock the sheet's row and re-read it before they check: two clicks at once queue, and the
second one sees what the first one did (not the sheet as both requests loaded it)."""

import sqlalchemy as sa

from beta_training.accounts.models import Role, User
from beta_training.core.models import StateChange, utcnow
from beta_training.extensions import db
from beta_training.sheets import services
from beta_training.sheets.models import ProductSheet, SheetReview, SheetState
from tests.factories import make_product_sheet, make_user
from tests.simultaneous import services_at_once


def _moves(sheet_id):
    return db.session.execute(
        sa.select(StateChange.from_state, StateChange.to_state)
        .where(StateChange.subject_type == "product_sheets", StateChange.subject_id == sheet_id)
    ).all()


def test_a_trainer_s_double_click_on_prendre_takes_the_sheet_once_and_refuses_neither_click(app):
    trainer = make_user(roles=[Role.TRAINER])
    sheet = make_product_sheet(state=SheetState.SUBMITTED)

    sheet_id, trainer_id = sheet.id, trainer.id  # read here: the threads have sessions of their own

    def load():
        return db.session.get(ProductSheet, sheet_id), db.session.get(User, trainer_id)

    outcomes = services_at_once(app, load, lambda loaded: services.claim_sheet(loaded[0], reviewer=loaded[1]))

    assert outcomes == [None, None]  # the second click finds the sheet hers: nothing to do, no « déjà prise »
    claimed = db.session.get(ProductSheet, sheet.id)
    assert (claimed.state, claimed.claimed_by_id) == (SheetState.IN_REVIEW, trainer.id)
    assert _moves(sheet.id) == [(SheetState.SUBMITTED, SheetState.IN_REVIEW)]


def test_a_verdict_sent_twice_at_once_records_one_review(app):
    trainer = make_user(roles=[Role.TRAINER])
    sheet = make_product_sheet(state=SheetState.IN_REVIEW, claimed_by_id=trainer.id, claimed_at=utcnow())

    sheet_id, trainer_id = sheet.id, trainer.id  # read here: the threads have sessions of their own

    def load():
        return db.session.get(ProductSheet, sheet_id), db.session.get(User, trainer_id)

    def request_changes(loaded):
        return services.review_sheet(loaded[0], reviewer=loaded[1], verdict=SheetState.CHANGES_REQUESTED,
                                     overall_comment="À préciser", section_comments={}, scores={})

    outcomes = services_at_once(app, load, request_changes)

    refused = [o for o in outcomes if isinstance(o, services.SheetError)]
    assert len(refused) == 1 and str(refused[0]) == (
        "Cette fiche vient d’être relue (« Modifications demandées ») : votre relecture n’a pas été envoyée."), outcomes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetReview)) == 1
    assert _moves(sheet.id) == [(SheetState.IN_REVIEW, SheetState.CHANGES_REQUESTED)]
