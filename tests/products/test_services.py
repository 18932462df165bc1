"""Products and comités without HTTP: what each service writes, records and emails."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import yaml

from beta_training.accounts.models import Role
from beta_training.core.models import OutboxMessage, utcnow
from beta_training.core.states import InvalidTransition
from beta_training.extensions import db
from beta_training.products import exports, queries, services
from beta_training.products.models import (
    Committee,
    CommitteeDecision,
    CommitteeState,
    Product,
    ProductPhase,
)
from beta_training.sheets.models import IndicatorMeasure, ProductSheet
from beta_training.sheets.services import create_milestones
from tests.factories import COMPLETE_SHEET, make_committee, make_product, make_product_sheet, make_user
from tests.sheets.startup_front_matter import front_matter_problems

SPONSORS = [("Direction interministérielle du numérique", "dinum"), ("Agence nationale de la cohésion des territoires", "anct")]


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _emails(subject_part=""):
    return [m for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)) if subject_part in m.subject]


def _approved_sheet(owner=None):
    sheet = make_product_sheet(owner, state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    create_milestones(sheet)
    db.session.add(IndicatorMeasure(sheet_id=sheet.id, indicator="Indicateur 1", value="12", measured_on=date(2026, 10, 1),
                                    created_at=utcnow()))
    db.session.commit()
    return sheet


def _product(trainer=None, **values):
    trainer = trainer or make_user(roles=[Role.TRAINER])
    sheet = _approved_sheet(values.pop("owner", None))
    product = services.create_product(sheet, actor=trainer, incubator_name="Incubateur de la DINUM", incubator_id="dinum",
                                      sponsors=SPONSORS, members=[("Camille Dev", "Développeuse")],
                                      started_on=values.pop("started_on", date(2026, 9, 1)), **values)
    db.session.commit()
    return product


def test_a_product_carries_over_the_fiche(ctx):
    owner, trainer = make_user(first_name="Inès"), make_user(roles=[Role.TRAINER])
    product = _product(trainer, owner=owner)
    assert (product.name, product.pitch, product.phase) == ("Mon suivi de stage", COMPLETE_SHEET["pitch"], "investigation")
    assert [(s.name, s.organisation_id) for s in product.sponsors] == SPONSORS
    assert [(m.user_id, m.name, m.role) for m in product.members] == [(owner.id, "", "Intrapreneur·e"),
                                                                    (None, "Camille Dev", "Développeuse")]
    series = queries.indicator_series(product)
    assert [(i.name, i.baseline, i.target, [v.value for v in values]) for i, values in series] == [
        ("Indicateur 1", "10", "20", ["12"]), ("Indicateur 2", "10", "20", [])]
    assert [(m.title, m.due_on) for m in queries.milestones_of(product)] == [("Premier usager", date(2027, 3, 1))]
    assert [(p.phase, p.started_on, p.ended_on) for p in queries.periods_of(product)] == [("investigation", date(2026, 9, 1), None)]
    assert product.is_member(owner) and not product.is_member(trainer)


def test_only_an_approved_fiche_becomes_a_product_and_twice_sent_is_one(ctx):
    trainer = make_user(roles=[Role.TRAINER])
    draft = make_product_sheet(state="submitted")
    with pytest.raises(services.ProductError):
        services.create_product(draft, actor=trainer, incubator_name="I", incubator_id="dinum", sponsors=SPONSORS,
                                members=[], started_on=date(2026, 9, 1))
    sheet = _approved_sheet()
    first = services.create_product(sheet, actor=trainer, incubator_name="I", incubator_id="dinum", sponsors=SPONSORS,
                                     members=[], started_on=date(2026, 9, 1), submission_key="cle-unique-1")
    again = services.create_product(sheet, actor=trainer, incubator_name="I", incubator_id="dinum", sponsors=SPONSORS,
                                    members=[], started_on=date(2026, 9, 1), submission_key="cle-unique-1")
    assert again.id == first.id


@pytest.mark.parametrize("identifier", ["organisations/dinum", "di num", "../x", ""])
def test_sponsor_ids_must_be_ids_of_the_site(ctx, identifier):
    with pytest.raises(services.ProductError, match="identifiant"):
        services.create_product(_approved_sheet(), actor=make_user(roles=[Role.TRAINER]), incubator_name="I",
                                incubator_id="dinum", sponsors=[("Une administration", identifier)], members=[],
                                started_on=date(2026, 9, 1))


def test_a_phase_change_closes_the_phase_and_records_who_when_why(ctx):
    trainer = make_user(roles=[Role.TRAINER])
    product = _product(trainer)
    services.change_phase(product, ProductPhase.CONSTRUCTION, actor=trainer, reason="Problème confirmé", on=date(2026, 10, 20))
    db.session.commit()
    assert product.phase == "construction"
    assert [(p.phase, p.started_on, p.ended_on, p.reason) for p in queries.periods_of(product)] == [
        ("investigation", date(2026, 9, 1), date(2026, 10, 20), "Produit créé à partir de la fiche « Mon suivi de stage »."),
        ("construction", date(2026, 10, 20), None, "Problème confirmé")]
    change = queries.timeline(product)[-1]
    assert (change.from_state, change.to_state, change.actor_id, change.reason) == ("investigation", "construction", trainer.id,
                                                                                  "Problème confirmé")
    with pytest.raises(InvalidTransition):
        services.change_phase(product, ProductPhase.INVESTIGATION, actor=trainer, reason="Retour", on=date(2026, 11, 1))
    with pytest.raises(services.ProductError, match="avant le début"):
        services.change_phase(product, ProductPhase.ACCELERATION, actor=trainer, reason="Trop tôt", on=date(2026, 10, 1))


def test_scheduling_a_comite_tells_the_team_and_only_one_waits_at_a_time(ctx):
    owner = make_user(email="intra@example.gouv.fr")
    trainer = make_user(roles=[Role.TRAINER])
    product = _product(trainer, owner=owner)
    committee = services.schedule_committee(product, actor=trainer, held_on=date.today() + timedelta(days=90))
    db.session.commit()
    assert [m.recipient for m in _emails("Comité d’investissement")] == ["intra@example.gouv.fr"]
    with pytest.raises(services.ProductError, match="attend déjà"):
        services.schedule_committee(product, actor=trainer, held_on=date.today() + timedelta(days=100))
    assert committee.state == CommitteeState.PREPARING and committee.held_on == date.today() + timedelta(days=90)


def test_the_file_has_three_priorities_at_most_and_a_budget_per_line(ctx):
    committee = make_committee()
    member = make_user()
    four = [{"title": f"Priorité {n}", "expected": ""} for n in range(4)]
    with pytest.raises(services.ProductError, match="Trois priorités au plus"):
        services.save_file(committee, author=member, objectives_reached="", learnings="", priorities=four, budget={},
                           team_needs="", base_version=0)
    with pytest.raises(services.ProductError, match="Développement"):
        services.save_file(committee, author=member, objectives_reached="", learnings="", priorities=[],
                           budget={"development": -5}, team_needs="", base_version=0)
    services.save_file(committee, author=member, objectives_reached="Atteints", learnings="Beaucoup", priorities=four[:3],
                       budget={"development": 120000, "data": None}, team_needs="Un designer", base_version=0)
    db.session.commit()
    assert (committee.file_version, len(committee.priorities), committee.budget) == (1, 3, {"development": 120000})


def test_a_file_saved_from_an_older_page_overwrites_nothing(ctx):
    committee = make_committee()
    member = make_user()
    services.save_file(committee, author=member, objectives_reached="Onglet 1", learnings="", priorities=[], budget={},
                       team_needs="", base_version=0)
    db.session.commit()
    with pytest.raises(services.StaleFile):
        services.save_file(committee, author=member, objectives_reached="Onglet 2", learnings="", priorities=[], budget={},
                           team_needs="", base_version=0)
    db.session.rollback()
    assert db.session.get(Committee, committee.id).objectives_reached == "Onglet 1"


def test_a_sent_file_is_no_longer_editable_and_sending_twice_sends_once(ctx):
    make_user(roles=[Role.TRAINER], email="formatrice@example.gouv.fr")
    member = make_user()
    committee = make_committee(make_product(team=[member]))
    with pytest.raises(services.ProductError, match="au moins une priorité"):
        services.submit_file(committee, actor=member)
    services.save_file(committee, author=member, objectives_reached="", learnings="", base_version=0, budget={},
                       priorities=[{"title": "Ouvrir", "expected": ""}], team_needs="")
    assert services.submit_file(committee, actor=member) is True
    assert services.submit_file(committee, actor=member) is False
    db.session.commit()
    assert [m.recipient for m in _emails("Dossier de comité reçu")] == ["formatrice@example.gouv.fr"]
    with pytest.raises(services.NotEditable):
        services.save_file(committee, author=member, objectives_reached="Trop tard", learnings="", priorities=[], budget={},
                           team_needs="", base_version=1)


def test_scoring_again_replaces_and_averages_are_per_part(ctx):
    committee = make_committee(state="submitted")
    first, second = make_user(roles=[Role.TRAINER]), make_user(roles=[Role.ADMIN])
    services.score_committee(committee, scorer=first, scores={"bilan": 2, "objectifs": 3, "besoins": 4})
    services.score_committee(committee, scorer=first, scores={"bilan": 4, "objectifs": 3, "besoins": 4}, comment="Revu")
    services.score_committee(committee, scorer=second, scores={"bilan": 5, "objectifs": 2, "besoins": 3})
    db.session.commit()
    scores = queries.scores_of(committee)
    assert len(scores) == 2 and scores[0].comment == "Revu"
    assert queries.averages(scores) == {"bilan": 4.5, "objectifs": 2.5, "besoins": 3.5, "overall": 3.5}
    for wrong in ({"bilan": 6, "objectifs": 3, "besoins": 4}, {"bilan": 3, "objectifs": 3}):
        with pytest.raises(services.ProductError):
            services.score_committee(committee, scorer=first, scores=wrong)


def test_continuing_into_the_next_phase_moves_it_on_the_comites_day_and_tells_the_team(ctx):
    owner, trainer = make_user(email="intra@example.gouv.fr"), make_user(roles=[Role.TRAINER])
    product = make_product(team=[owner], started_on=date(2026, 1, 5))
    committee = make_committee(product, state="submitted", held_on=date(2026, 3, 2))
    assert services.decide(committee, actor=trainer, decision=CommitteeDecision.CONTINUE, reasons="Problème confirmé.",
                           next_phase=ProductPhase.CONSTRUCTION) is committee
    db.session.commit()
    assert (product.phase, committee.state, committee.phase_before, committee.phase_after) == (
        "construction", "decided", "investigation", "construction")
    assert [(p.phase, p.started_on, p.ended_on, p.committee_id) for p in queries.periods_of(product)] == [
        ("investigation", date(2026, 1, 5), date(2026, 3, 2), None), ("construction", date(2026, 3, 2), None, committee.id)]
    [email] = _emails("Décision du comité")
    assert email.recipient == "intra@example.gouv.fr"
    assert "Continuité du projet à budget iso ou supérieur" in email.text_body and "Problème confirmé." in email.text_body
    assert "Construction" in email.text_body


@pytest.mark.parametrize("decision, phase", [(CommitteeDecision.STOP, "stopped"), (CommitteeDecision.PIVOT, "pivoted"),
                                             (CommitteeDecision.MAINTENANCE, "maintenance"),
                                             (CommitteeDecision.CONTINUE_REDUCED, "construction")])
def test_each_outcome_puts_the_product_in_its_phase(ctx, decision, phase):
    product = make_product(phase="construction", started_on=date(2026, 1, 5))
    committee = make_committee(product, state="submitted", held_on=date(2026, 6, 1))
    services.decide(committee, actor=make_user(roles=[Role.TRAINER]), decision=decision, reasons="Parce que.")
    db.session.commit()
    assert product.phase == phase and committee.decision == decision


def test_a_decision_is_rendered_once_with_reasons(ctx):
    trainer = make_user(roles=[Role.TRAINER])
    committee = make_committee(make_product(team=[make_user()]), state="submitted")
    with pytest.raises(services.ProductError, match="raisons"):
        services.decide(committee, actor=trainer, decision=CommitteeDecision.STOP, reasons="   ")
    with pytest.raises(services.ProductError, match="ne peut pas passer"):
        services.decide(committee, actor=trainer, decision=CommitteeDecision.CONTINUE, reasons="x",
                        next_phase=ProductPhase.TRANSFER)
    assert services.decide(committee, actor=trainer, decision=CommitteeDecision.STOP, reasons="Pas d’usage.") is committee
    assert services.decide(committee, actor=trainer, decision=CommitteeDecision.CONTINUE, reasons="Autre avis") is None
    db.session.commit()
    assert (committee.decision, len(_emails("Décision du comité"))) == ("stop", 1)


def test_the_team_is_reminded_45_days_before_its_comite_once(ctx):
    member = make_user(email="equipe@example.gouv.fr")
    product = make_product(team=[member])
    held_on = date(2027, 3, 31)
    committee = make_committee(product, held_on=held_on)
    make_committee(make_product(team=[member]), state="decided", held_on=held_on)  # decided: nothing to prepare
    at = lambda day: datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)  # noqa: E731
    assert services.send_committee_reminders(now=at(held_on - timedelta(days=46))) == 0
    assert services.send_committee_reminders(now=at(held_on - timedelta(days=45))) == 1
    assert services.send_committee_reminders(now=at(held_on - timedelta(days=44))) == 0
    db.session.commit()
    assert committee.reminder_sent_at is not None
    assert [m.recipient for m in _emails("Rappel : comité")] == ["equipe@example.gouv.fr"]


def test_the_reminder_job_is_scheduled_and_idempotent(ctx):
    from beta_training import schedule  # noqa: F401 (registers the jobs)
    from beta_training.core import jobs

    assert jobs.JOBS["products.committee_reminders"].cron == "0 7 * * *"
    make_committee(make_product(team=[make_user()]), held_on=date.today() + timedelta(days=30))
    assert jobs.run_now("products.committee_reminders") == 1
    assert jobs.run_now("products.committee_reminders") == 0


def test_the_startup_page_passes_the_sites_front_matter_check(ctx):
    trainer = make_user(roles=[Role.TRAINER])
    product = _product(trainer, started_on=date(2026, 9, 1))
    services.change_phase(product, ProductPhase.CONSTRUCTION, actor=trainer, reason="Go", on=date(2026, 11, 2))
    committee = make_committee(product, state="submitted", held_on=date(2026, 11, 2))
    services.decide(committee, actor=trainer, decision=CommitteeDecision.CONTINUE, reasons="Bien.")
    db.session.commit()
    text = exports.startup_markdown(product, periods=queries.periods_of(product), series=queries.indicator_series(product),
                                    milestones=queries.milestones_of(product), committees=queries.committees_of(product))
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front_matter_problems(front, organisations={"dinum", "anct"}, incubators={"dinum"}) == []
    assert front["sponsors"] == ["/organisations/dinum", "/organisations/anct"] and front["incubator"] == "dinum"
    assert front["phases"] == [{"name": "investigation", "start": date(2026, 9, 1), "end": date(2026, 11, 2)},
                               {"name": "construction", "start": date(2026, 11, 2)}]
    assert "start: 2026-09-01\n" in text and "'2026" not in text  # YAML dates, unquoted
    assert front["events"] == [{"name": "committee", "date": date(2026, 11, 2),
                                "comment": "Continuité du projet à budget iso ou supérieur"}]
    # Unknown ids are what the site's check refuses: the check itself is not blind.
    assert front_matter_problems(front, organisations={"anct"}, incubators={"anct"})
    assert front["contact"] == product.members[0].user.email  # the intrapreneur's, read at export


def test_no_address_is_copied_into_the_product(ctx):
    """The page's contact is read from the intrapreneur's account when exported: once her account is erased, the
    product keeps no address of hers."""
    owner = make_user(email="ines.personnelle@example.gouv.fr")
    product = _product(owner=owner)
    assert product.contact == "" and product.contact_email == "ines.personnelle@example.gouv.fr"
    db.session.delete(owner)
    db.session.commit()
    db.session.refresh(product)
    assert product.contact_email == "" and product.members[0].name == "Camille Dev"


def test_a_stop_during_investigation_is_the_sites_inconclusive_investigation(ctx):
    trainer = make_user(roles=[Role.TRAINER])
    product = make_product(started_on=date(2026, 1, 5))
    services.change_phase(product, ProductPhase.STOPPED, actor=trainer, reason="Pas de problème", on=date(2026, 2, 20))
    front = exports.front_matter(product, periods=queries.periods_of(product), committees=[])
    assert [p["name"] for p in front["phases"]] == ["investigation", "abandon-investigation"]
    assert front_matter_problems(front, organisations={"dinum"}, incubators={"dinum"}) == []


def test_impact_counts_products_per_phase(ctx):
    for phase in ("investigation", "investigation", "construction", "stopped"):
        make_product(phase=phase)
    counts = queries.phase_counts()
    assert counts == {"investigation": 2, "construction": 1, "acceleration": 0, "transfer": 0, "maintenance": 0,
                      "stopped": 1, "pivoted": 0}


def test_the_demo_has_a_product_with_one_past_comite(app):
    from beta_training.demo import DEMO_PRODUCT

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    product = db.session.scalar(sa.select(Product).where(Product.name == DEMO_PRODUCT))
    committees = queries.committees_of(product)
    assert [(c.state, c.decision) for c in committees] == [("preparing", None), ("decided", "continue")]
    assert committees[1].held_on < date.today() < committees[0].held_on
    assert product.phase == "construction" and len(queries.scores_of(committees[1])) == 2
    assert [p.phase for p in queries.periods_of(product)] == ["investigation", "construction"]
    assert [m.user.email for m in product.members if m.user] == ["intrapreneure@demo.beta.gouv.fr"]


def test_a_fiche_that_is_a_product_already_is_refused(ctx):
    product = _product()
    sheet = db.session.get(ProductSheet, product.sheet_id)
    with pytest.raises(services.ProductError, match="déjà devenue le produit"):
        services.create_product(sheet, actor=make_user(roles=[Role.TRAINER]), incubator_name="Incubateur",
                                incubator_id="dinum", sponsors=SPONSORS, members=[], started_on=date(2026, 9, 1))
    db.session.rollback()
    # The database says it too, whatever the path.
    db.session.add(Product(name="Copie", pitch="", phase=ProductPhase.INVESTIGATION, contact="", incubator_name="",
                           incubator_id="", sheet_id=sheet.id, created_at=utcnow(), updated_at=utcnow()))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_comite_is_never_dated_before_the_product_started(ctx):
    trainer = make_user(roles=[Role.TRAINER])
    now = datetime(2026, 12, 2, 10, tzinfo=UTC)
    product = _product(trainer, started_on=date(2026, 11, 1))
    with pytest.raises(services.ProductError, match="avant le début du produit, le 1er novembre 2026"):
        services.schedule_committee(product, actor=trainer, held_on=date(2026, 10, 31), now=now)
    # A past comité after the start is recorded (a product brought here with its history).
    assert services.schedule_committee(product, actor=trainer, held_on=date(2026, 11, 1), now=now).held_on == date(2026, 11, 1)


def test_arret_with_a_next_phase_is_refused(ctx):
    trainer = make_user(roles=[Role.TRAINER])
    committee = make_committee(make_product(phase="investigation"), state="submitted")
    with pytest.raises(services.ProductError, match="« Arrêt du projet » ne va pas avec une phase suivante « Construction »"):
        services.decide(committee, actor=trainer, decision=CommitteeDecision.STOP, reasons="Pas de problème réel.",
                        next_phase=ProductPhase.CONSTRUCTION)
    db.session.rollback()
    assert db.session.get(Committee, committee.id).state == CommitteeState.SUBMITTED
