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


# --- The same requests through the app (issue #10 §1: on SQLite these answered 500 « database is locked ») ----


def _post_as_each_at_once(app, posts: list[tuple]) -> list:
    """POST each (user, url, data) of `posts` at the same instant, each user in a client of her own; the
    responses in the order of `posts`."""
    import threading

    from tests.conftest import login

    clients = []
    for user, _url, _data in posts:
        client = app.test_client()
        login(client, user)
        clients.append((client, client.csrf_token()))  # before the barrier: the posts themselves start together
    barrier = threading.Barrier(len(posts))
    responses = [None] * len(posts)

    def post(index):
        (client, token), (_user, url, data) = clients[index], posts[index]
        barrier.wait(timeout=30)
        responses[index] = client.post(url, data={**data, "csrf_token": token}, headers={"X-Requested-With": "fetch"})

    threads = [threading.Thread(target=post, args=(index,)) for index in range(len(posts))]
    db.session.commit()  # the test's own snapshot must not span the race
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.commit()
    assert None not in responses, "a request did not finish (or raised: see the thread's traceback)"
    return responses


def test_two_trainers_pressing_prendre_at_once_one_takes_it_the_other_is_told(app):
    first, second = make_user(roles=[Role.TRAINER]), make_user(roles=[Role.TRAINER])
    sheet = make_product_sheet(state=SheetState.SUBMITTED)
    url = f"/fiches/{sheet.id}/prendre"

    responses = _post_as_each_at_once(app, [(first, url, {}), (second, url, {})])

    assert [r.status_code for r in responses] == [302, 302]
    claimed = db.session.get(ProductSheet, sheet.id)
    assert claimed.state == SheetState.IN_REVIEW and claimed.claimed_by_id in (first.id, second.id)
    winner = 0 if claimed.claimed_by_id == first.id else 1
    assert responses[winner].headers["Location"] == f"/fiches/{sheet.id}/relecture"
    assert responses[1 - winner].headers["Location"] == "/fiches/relecture"  # the queue, with why (flash)
    assert _moves(sheet.id) == [(SheetState.SUBMITTED, SheetState.IN_REVIEW)]


def test_two_autosaves_of_one_base_version_at_once_answer_200_and_409(app):
    from beta_training.sheets.models import SheetVersion

    sheet = make_product_sheet()
    url = f"/fiches/{sheet.id}/brouillon"
    owner = sheet.owner

    responses = _post_as_each_at_once(app, [(owner, url, {"base_version": "1", "name": "Onglet A"}),
                                            (owner, url, {"base_version": "1", "name": "Onglet B"})])

    assert sorted(r.status_code for r in responses) == [200, 409]
    saved = next(r for r in responses if r.status_code == 200)
    refused = next(r for r in responses if r.status_code == 409)
    assert saved.json["saved"] is True and saved.json["version"] == 2
    assert refused.json["saved"] is False and refused.json["error"] == "stale_version"
    assert db.session.get(ProductSheet, sheet.id).current_version == 2
    versions = sa.select(sa.func.count()).select_from(SheetVersion).where(SheetVersion.sheet_id == sheet.id)
    assert db.session.scalar(versions) == 2
