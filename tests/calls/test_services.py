"""Services of the appel à intrapreneurs: database, no request (emails are rendered in a request context)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.calls import services
from beta_training.calls.models import DossierState
from beta_training.core import db as core_db
from beta_training.core.models import OutboxMessage, StateChange, utcnow
from beta_training.extensions import db
from tests import factories as f
from tests.factories import COMPLETE_DOSSIER


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


def _outbox(recipient) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == recipient)
                                   .order_by(OutboxMessage.id)))


def _changes(dossier) -> list[tuple]:
    return [(c.from_state, c.to_state, c.actor_id) for c in db.session.scalars(
        sa.select(StateChange).where(StateChange.subject_type == "call_dossiers", StateChange.subject_id == dossier.id)
        .order_by(StateChange.id))]


def test_a_dossier_started_from_her_fiche_is_prefilled_and_keeps_the_link(db, request_context):
    owner = f.make_user()
    sheet = f.make_product_sheet(owner, content={"name": "Mes aides", "s1_problem": "Chaque année, 4 000 familles…",
                                                 "s1_solution": "Un simulateur.", "s2_first_users": "La CAF du Nord.",
                                                 "s1_partners": "France services."})
    dossier = services.start_dossier(f.make_call(), owner, sheet=sheet)
    assert (dossier.sheet_id, dossier.title, dossier.problem, dossier.solution) == (
        sheet.id, "Mes aides", "Chaque année, 4 000 familles…", "Un simulateur.")
    assert dossier.first_users == "La CAF du Nord.\n\nFrance services."
    assert dossier.state == DossierState.DRAFT
    assert _changes(dossier) == [(None, "draft", owner.id)]


def test_a_dossier_cannot_start_from_someone_elses_fiche(db, request_context):
    with pytest.raises(services.CallError):
        services.start_dossier(f.make_call(), f.make_user(), sheet=f.make_product_sheet(f.make_user()))


def test_one_person_may_file_several_projects_and_one_form_starts_one(db, request_context):
    owner, call = f.make_user(), f.make_call()
    first = services.start_dossier(call, owner, submission_key="cle-1")
    again = services.start_dossier(call, owner, submission_key="cle-1")
    other = services.start_dossier(call, owner, submission_key="cle-2")
    assert first.id == again.id and other.id != first.id


def test_submitting_at_the_closing_second_files_it_and_sends_the_confirmation(db, request_context):
    call = f.make_call()
    dossier = f.make_dossier(call)
    saved = services.save_dossier(dossier, actor=dossier.owner, values={}, submit=True, now=call.closes_at)
    assert saved.outcome == services.Saved.SUBMITTED
    assert (dossier.state, dossier.submitted_at) == (DossierState.SUBMITTED, call.closes_at)
    assert _changes(dossier)[-1] == ("draft", "submitted", dossier.owner_id)
    [message] = _outbox(dossier.owner.email)
    assert message.subject == "Dossier déposé : Aide en un clic"


def test_submitting_one_second_after_closing_keeps_the_draft_and_files_nothing(db, request_context):
    call = f.make_call()
    dossier = f.make_dossier(call, problem="Ancien texte")
    saved = services.save_dossier(dossier, actor=dossier.owner, values={"problem": "Texte tapé à la dernière seconde"},
                                  submit=True, now=call.closes_at + timedelta(seconds=1))
    core_db.commit()
    assert saved.outcome == services.Saved.CLOSED
    db.session.refresh(dossier)
    assert (dossier.state, dossier.submitted_at, dossier.problem) == ("draft", None, "Texte tapé à la dernière seconde")
    assert _outbox(dossier.owner.email) == []
    assert "est clos depuis le" in services.closed_message(call)


def test_an_incomplete_dossier_is_saved_but_not_filed(db, request_context):
    dossier = f.make_dossier(consent_share=False, callback="")
    saved = services.save_dossier(dossier, actor=dossier.owner, values={"title": "Nouveau nom"}, submit=True)
    assert saved.outcome == services.Saved.INCOMPLETE
    assert set(saved.missing) == {"callback", "consent_share"}
    assert (dossier.state, dossier.title) == ("draft", "Nouveau nom")


def test_a_second_submit_changes_nothing(db, request_context):
    dossier = f.make_dossier()
    services.save_dossier(dossier, actor=dossier.owner, values={}, submit=True)
    core_db.commit()
    again = services.save_dossier(dossier, actor=dossier.owner, values={"problem": "Autre"}, submit=True)
    assert again.outcome == services.Saved.ALREADY_SUBMITTED
    assert dossier.problem == COMPLETE_DOSSIER["problem"]
    assert len(_outbox(dossier.owner.email)) == 1
    assert len(_changes(dossier)) == 1


def test_one_evaluation_per_reviewer_and_dossier_edited_in_place(db):
    dossier, reviewer = f.make_dossier(state="submitted"), f.make_user(roles=[Role.TRAINER])
    scores = [{"criterion": "Ampleur", "score": 5, "comment": "Chiffré"}, {"criterion": "Motivation", "score": 2, "comment": ""}]
    first = services.evaluate_dossier(dossier, reviewer=reviewer, scores=scores)
    second = services.evaluate_dossier(dossier, reviewer=reviewer, scores=[{**scores[0], "score": 4}, scores[1]])
    assert first.id == second.id and second.average == 3.0
    with pytest.raises(services.CallError):
        services.evaluate_dossier(dossier, reviewer=reviewer, scores=[{**scores[0], "score": 6}])


def test_pre_selection_stops_at_the_calls_number(db):
    call, trainer = f.make_call(preselect_count=2), f.make_user(roles=[Role.TRAINER])
    dossiers = [f.make_dossier(call, state="submitted") for _ in range(3)]
    assert services.preselect_dossier(dossiers[0], actor=trainer)
    assert not services.preselect_dossier(dossiers[0], actor=trainer)  # a second click
    assert services.preselect_dossier(dossiers[1], actor=trainer)
    with pytest.raises(services.CallError, match="déjà pré-sélectionné 2 projets"):
        services.preselect_dossier(dossiers[2], actor=trainer)
    assert services.unselect_dossier(dossiers[1], actor=trainer)
    assert services.preselect_dossier(dossiers[2], actor=trainer)
    assert [d.state for d in dossiers] == ["preselected", "submitted", "preselected"]


def test_informing_sends_each_outcome_once_and_offers_the_coaching_slot(db, request_context):
    now = utcnow()
    call = f.make_call(opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=1))
    trainer = f.make_user(roles=[Role.TRAINER])
    chosen, left_out = f.make_dossier(call, state="preselected"), f.make_dossier(call, state="submitted")
    draft = f.make_dossier(call)
    texts = dict(preselected_subject="Pré-sélectionné !", preselected_body="Bravo **vraiment**.",
                 others_subject="Votre dossier", others_body="Merci.")
    slot = now + timedelta(days=5)
    informed = services.inform_candidates(call, actor=trainer, coaching_at=slot, coaching_place="Ségur, salle 3", **texts)
    core_db.commit()
    assert (informed.preselected, informed.others) == (1, 1)
    assert (chosen.state, left_out.state, draft.state) == ("preselected", "not_preselected", "draft")
    [to_chosen] = _outbox(chosen.owner.email)
    assert to_chosen.subject == "Pré-sélectionné !" and "Ségur, salle 3" in to_chosen.text_body
    assert "<strong>vraiment</strong>" in to_chosen.html_body
    [to_other] = _outbox(left_out.owner.email)
    assert to_other.subject == "Votre dossier" and "coaching" not in to_other.text_body
    assert _outbox(draft.owner.email) == []
    assert _changes(left_out)[-1] == ("submitted", "not_preselected", trainer.id)
    again = services.inform_candidates(call, actor=trainer, coaching_at=slot, coaching_place="Ailleurs", **texts)
    assert again.already and call.coaching_place == "Ségur, salle 3"
    with pytest.raises(services.CallError):  # the outcome no longer changes
        services.unselect_dossier(chosen, actor=trainer)


def test_informing_waits_for_the_closing(db, request_context):
    call, trainer = f.make_call(), f.make_user(roles=[Role.TRAINER])
    f.make_dossier(call, state="preselected")
    with pytest.raises(services.CallError, match="après sa clôture"):
        services.inform_candidates(call, actor=trainer, coaching_at=utcnow(), coaching_place="Ici",
                                   preselected_subject="a", preselected_body="b", others_subject="c", others_body="d")


@pytest.mark.parametrize(("planned", "opening"), [
    (1, "Bonne nouvelle : votre projet est le dossier pré-sélectionné par l’équipe d’Incubateur des territoires"),
    (12, "Bonne nouvelle : votre projet fait partie des 12 dossiers pré-sélectionnés par l’équipe d’Incubateur des territoires"),
])
def test_the_prefilled_preselection_message_agrees_with_the_number_planned(db, request_context, planned, opening):
    from beta_training.calls.emails import default_texts

    body = default_texts(f.make_call(preselect_count=planned))["preselected_body"]
    assert body.startswith(opening)
    assert body.endswith("L’équipe d’Incubateur des territoires")
