"""Product and comité pages over HTTP: the forms, their French errors, the emails, and flat query counts."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import yaml
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.core.models import OutboxMessage, utcnow
from beta_training.extensions import db
from beta_training.products.models import (
    Committee,
    CommitteeState,
    Product,
    ProductMember,
    ProductPhasePeriod,
    ProductSponsor,
)
from beta_training.sheets.services import create_milestones
from tests.conftest import login
from tests.factories import COMPLETE_SHEET, make_committee, make_committee_score, make_product, make_product_sheet, make_user
from tests.sheets.startup_front_matter import front_matter_problems


@pytest.fixture
def people(app):
    return {"member": make_user(email="intra@example.gouv.fr", first_name="Inès"), "stranger": make_user(),
            "trainer": make_user(roles=[Role.TRAINER], first_name="Fatou")}


def _errors(response) -> list[str]:
    soup = BeautifulSoup(response.text, "html.parser")
    return [item.get_text(" ", strip=True) for item in soup.select("#error-summary li")]


def _product_form(sheet_id, **values) -> dict:
    return {"sheet_id": str(sheet_id), "started_on": "2026-11-02", "incubator_name": "Incubateur de la DINUM",
            "incubator_id": "dinum", "sponsors": "Direction interministérielle du numérique ; dinum\nANCT ; anct",
            "members": "Camille Dev ; développeuse", **values}


def test_a_trainer_makes_a_product_of_an_approved_fiche(client, people):
    sheet = make_product_sheet(people["member"], state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    create_milestones(sheet)
    make_product_sheet(state="submitted", content={"name": "Pas encore validée"})
    login(client, people["trainer"])
    form_page = client.get(f"/produits/nouveau?fiche={sheet.id}")
    options = BeautifulSoup(form_page.text, "html.parser").select("#sheet_id option")
    assert [o.get("value") for o in options] == ["", str(sheet.id)]  # approved fiches only
    assert [o.get("value") for o in options if o.has_attr("selected")] == [str(sheet.id)]
    assert "Pas encore validée" not in form_page.text
    response = client.post("/produits/nouveau", data=_product_form(sheet.id))
    product = db.session.scalar(sa.select(Product).where(Product.sheet_id == sheet.id))
    assert response.status_code == 302 and response.headers["Location"] == f"/produits/{product.id}"
    page = client.get(f"/produits/{product.id}").text
    for text in ("Mon suivi de stage", "Investigation", "Direction interministérielle du numérique (dinum)", "Camille Dev",
                 "Indicateur 1", "Premier usager", "2 novembre 2026"):
        assert text in page, text


def test_a_product_without_other_team_members_has_its_intrapreneur(client, people):
    sheet = make_product_sheet(people["member"], state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    login(client, people["trainer"])
    assert client.post("/produits/nouveau", data=_product_form(sheet.id, members="")).status_code == 302
    product = db.session.scalar(sa.select(Product).where(Product.sheet_id == sheet.id))
    assert [(m.user_id, m.role) for m in product.members] == [(people["member"].id, "Intrapreneur·e")]


@pytest.mark.parametrize("field, value, message", [
    ("sponsors", "Direction du numérique", "Ligne 1 : écrivez « Nom ; identifiant »."),
    ("sponsors", "DINUM ; di num", "n’est pas un identifiant de beta.gouv.fr"),
    ("sponsors", "DINUM ; organisations/dinum", "n’est pas un identifiant de beta.gouv.fr"),
    ("incubator_id", "Incubateur DINUM", "Des lettres, des chiffres et des tirets, sans espace"),
    ("incubator_id", "dinum/", "Des lettres, des chiffres et des tirets, sans espace"),
    ("started_on", "31/02/2027", "Saisissez une date réelle"),
])
def test_a_wrong_product_form_says_what_in_french_and_writes_nothing(client, people, field, value, message):
    sheet = make_product_sheet(state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    login(client, people["trainer"])
    response = client.post("/produits/nouveau", data=_product_form(sheet.id, **{field: value}))
    assert response.status_code == 422
    assert any(message in error for error in _errors(response)), _errors(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_the_team_prepares_its_file_three_priorities_at_most(client, people):
    product = make_product(team=[people["member"]])
    committee = make_committee(product)
    login(client, people["member"])
    page = BeautifulSoup(client.get(f"/produits/comites/{committee.id}/dossier").text, "html.parser")
    assert len(page.select("input[name$='-title'][name^='priorities-']")) == 3
    assert [label.get_text(" ", strip=True).split(" (")[0] for label in page.select("label[for^='budget_']")] == [
        "Management produit", "Développement", "UX/UI", "Bizdev/growth/communication", "Data", "Support utilisateur",
        "Licences/réglementaire/infra"]
    data = {"base_version": "0", "objectives_reached": "Deux sur trois.", "learnings": "Un export.", "team_needs": "",
            "budget_development": "120000", "budget_data": ""}
    for n in range(4):  # a fourth row sent by hand is not kept
        data.update({f"priorities-{n}-title": f"Priorité {n + 1}", f"priorities-{n}-expected": "Un résultat"})
    assert client.post(f"/produits/comites/{committee.id}/dossier", data=data).status_code == 302
    db.session.refresh(committee)
    assert [p["title"] for p in committee.priorities] == ["Priorité 1", "Priorité 2", "Priorité 3"]
    assert committee.budget == {"development": 120000}
    refused = client.post(f"/produits/comites/{committee.id}/dossier", data={**data, "base_version": "1",
                                                                          "budget_ux_ui": "20000000"})
    assert refused.status_code == 422 and any("Un nombre d’euros entre 0 et" in e for e in _errors(refused))


def test_the_file_autosaves_and_an_older_tab_does_not_overwrite(client, people):
    committee = make_committee(make_product(team=[people["member"]]))
    login(client, people["member"])
    headers = {"X-Requested-With": "fetch"}
    saved = client.post(f"/produits/comites/{committee.id}/brouillon", headers=headers,
                        data={"base_version": "0", "learnings": "Tapé dans le premier onglet"})
    assert saved.status_code == 200 and saved.json["saved"] is True and saved.json["version"] == 1
    stale = client.post(f"/produits/comites/{committee.id}/brouillon", headers=headers,
                        data={"base_version": "0", "learnings": "Tapé dans un onglet plus ancien"})
    assert stale.status_code == 409 and stale.json["conflict"] is True
    db.session.refresh(committee)
    assert committee.learnings == "Tapé dans le premier onglet"


def test_a_sent_file_leads_its_team_back_to_the_comite_page(client, people):
    committee = make_committee(make_product(team=[people["member"]]),
                               priorities=[{"title": "Ouvrir à trois départements", "expected": ""}])
    login(client, people["member"])
    assert client.post(f"/produits/comites/{committee.id}/envoyer").status_code == 302
    assert db.session.get(Committee, committee.id).state == CommitteeState.SUBMITTED
    again = client.get(f"/produits/comites/{committee.id}/dossier")
    assert again.status_code == 303 and again.headers["Location"] == f"/produits/comites/{committee.id}"
    assert "n’est plus modifiable" in client.get(again.headers["Location"]).text


def test_scoring_shows_the_grid_descriptors_and_the_decision_is_emailed_with_its_reasons(client, people):
    product = make_product(team=[people["member"]], phase="investigation")
    committee = make_committee(product, state="submitted")
    make_committee_score(committee, bilan=2, objectifs=2, besoins=2)
    login(client, people["trainer"])
    grid = client.get(f"/produits/comites/{committee.id}/notation").text
    for descriptor in ("Positionnement (cible, proposition de valeur)", "Coût à l’impact projeté",
                       "Agilité, autonomie et staffing", "Bilan : note sur 5"):
        assert descriptor in grid, descriptor
    missing = client.post(f"/produits/comites/{committee.id}/notation", data={"score_bilan": "4"})
    assert missing.status_code == 422 and any("Donnez une note de 1 à 5 à « Objectifs »" in e for e in _errors(missing))
    assert client.post(f"/produits/comites/{committee.id}/notation",
                       data={"score_bilan": "4", "score_objectifs": "4", "score_besoins": "5"}).status_code == 302
    decision_page = client.get(f"/produits/comites/{committee.id}/decision").text
    assert "Moyenne générale : 3,2" in decision_page  # (3 + 3 + 3.5) / 3, written the French way
    response = client.post(f"/produits/comites/{committee.id}/decision", data={
        "decision": "continue", "next_phase": "construction", "reasons": "Le problème est confirmé par 40 entretiens."})
    assert response.status_code == 302
    db.session.refresh(product)
    assert product.phase == "construction"
    [email] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.subject.like("Décision du comité%"))).all()
    assert email.recipient == "intra@example.gouv.fr" and "40 entretiens" in email.text_body
    history = client.get(f"/produits/{product.id}").text
    assert "Continuité du projet à budget iso ou supérieur" in history and "Investigation → Construction" in history


def test_a_decision_the_phase_cannot_take_is_a_form_error(client, people):
    committee = make_committee(make_product(phase="investigation"), state="submitted")
    login(client, people["trainer"])
    response = client.post(f"/produits/comites/{committee.id}/decision",
                           data={"decision": "continue", "next_phase": "transfer", "reasons": "Vite."})
    assert response.status_code == 422 and db.session.get(Committee, committee.id).state == "submitted"


def test_the_team_records_indicator_values_and_sees_them_over_time(client, people):
    product = make_product(team=[people["member"]])
    indicator_id = db.session.scalar(sa.text("SELECT id FROM product_indicators WHERE product_id = :p"), {"p": product.id})
    login(client, people["member"])
    for day, value in (("2026-09-01", "120 usagers"), ("2026-10-01", "340 usagers")):
        assert client.post(f"/produits/{product.id}/indicateurs",
                           data={"indicator_id": str(indicator_id), "value": value, "measured_on": day}).status_code == 302
    future = client.post(f"/produits/{product.id}/indicateurs", data={
        "indicator_id": str(indicator_id), "value": "1", "measured_on": (date.today() + timedelta(days=3)).isoformat()})
    assert future.status_code == 422
    rows = BeautifulSoup(client.get(f"/produits/{product.id}").text, "html.parser").select("#indicateurs ~ div table tbody tr")
    assert [[td.get_text(strip=True) for td in row.select("td")][:2] for row in rows][:2] == [
        ["1er septembre 2026", "120 usagers"], ["1er octobre 2026", "340 usagers"]]


def test_the_export_passes_the_sites_front_matter_check(client, people):
    product = make_product(team=[people["member"]], started_on=date(2026, 9, 1))
    login(client, people["member"])
    response = client.get(f"/produits/{product.id}/startup.md")
    assert response.mimetype == "text/markdown"
    front = yaml.safe_load(response.text.split("---\n")[1])
    assert front_matter_problems(front, organisations={"dinum"}, incubators={"dinum"}) == []
    assert front["phases"] == [{"name": "investigation", "start": date(2026, 9, 1)}]


def test_a_learner_lists_only_her_teams_products(client, people):
    mine = make_product(team=[people["member"]], name="Le mien")
    make_product(name="Celui des autres")
    login(client, people["member"])
    page = client.get("/produits/").text
    assert "Le mien" in page and "Celui des autres" not in page
    assert client.get(f"/produits/{mine.id}").status_code == 200
    login(client, people["stranger"])
    assert "Le mien" not in client.get("/produits/").text
    assert client.get(f"/produits/{mine.id}").status_code == 403


def test_impact_counts_products_per_phase(client, people):
    for phase in ("construction", "construction", "acceleration"):
        make_product(phase=phase)
    login(client, people["trainer"])
    rows = BeautifulSoup(client.get("/produits/impact").text, "html.parser").select("tbody tr")
    counts = {row.th.get_text(strip=True): row.select("td")[-1].get_text(strip=True) for row in rows}
    assert counts["Construction"] == "2" and counts["Accélération"] == "1" and counts["Investigation"] == "0"


def _bulk_products(count: int, member) -> None:
    """`count` products (one query each kind): sponsors, the member in each team, a comité waiting for each."""
    start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Product.id), 0)))
    now = utcnow()
    db.session.execute(sa.insert(Product), [
        {"id": start + n, "name": f"Produit {start + n}", "pitch": "", "phase": "construction", "contact": "",
         "incubator_name": "Incubateur", "incubator_id": "dinum", "created_at": now, "updated_at": now}
        for n in range(1, count + 1)])
    ids = range(start + 1, start + count + 1)
    db.session.execute(sa.insert(ProductSponsor), [{"product_id": i, "position": 0, "name": "DINUM", "organisation_id": "dinum"}
                                                   for i in ids])
    db.session.execute(sa.insert(ProductMember), [{"product_id": i, "position": 0, "user_id": member.id, "name": "", "role": ""}
                                                  for i in ids])
    db.session.execute(sa.insert(Committee), [{"product_id": i, "held_on": date.today() + timedelta(days=60), "state": "preparing",
                                               "priorities": [], "budget": {}, "objectives_reached": "", "learnings": "",
                                               "team_needs": "", "file_version": 0, "decision_reasons": "",
                                               "created_at": now, "updated_at": now} for i in ids])
    db.session.commit()


def test_list_pages_do_not_grow_with_products(client, people, count_queries):
    def counted(user):
        login(client, user)
        counts = []
        for url in ("/produits/", "/produits/impact") if user is people["trainer"] else ("/produits/",):
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return counts

    _bulk_products(10, people["member"])
    few = (counted(people["trainer"]), counted(people["member"]))
    _bulk_products(990, people["member"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 1000
    assert (counted(people["trainer"]), counted(people["member"])) == few


def test_the_sent_file_shows_its_budget_per_line_and_total(client, people):
    committee = make_committee(make_product(team=[people["member"]]), state="submitted",
                               budget={"development": 120000, "ux_ui": 40000})
    login(client, people["trainer"])
    rows = BeautifulSoup(client.get(f"/produits/comites/{committee.id}").text, "html.parser").select("table tbody tr")
    cells = {row.th.get_text(strip=True): row.td.get_text(strip=True).replace("\u202f", " ").replace("\xa0", " ")
             for row in rows if row.th and row.td}
    assert (cells["Développement"], cells["UX/UI"], cells["Data"], cells["Total"]) == ("120 000", "40 000", "—", "160 000")


def test_a_stopped_products_team_is_told_it_measures_no_more(client, people):
    product = make_product(team=[people["member"]], phase="stopped")
    indicator_id = db.session.scalar(sa.text("SELECT id FROM product_indicators WHERE product_id = :p"), {"p": product.id})
    login(client, people["member"])
    response = client.post(f"/produits/{product.id}/indicateurs",
                           data={"indicator_id": str(indicator_id), "value": "3", "measured_on": "2026-10-01"})
    assert response.status_code == 303 and response.headers["Location"] == f"/produits/{product.id}"
    assert "ses indicateurs ne se mesurent plus" in client.get(response.headers["Location"]).text
    login(client, people["stranger"])
    assert client.post(f"/produits/{product.id}/indicateurs", data={"indicator_id": str(indicator_id)}).status_code == 403


def test_a_fiche_makes_one_product_only(client, people):
    sheet = make_product_sheet(people["member"], state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    other = make_product_sheet(people["member"], state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    login(client, people["trainer"])
    assert client.post("/produits/nouveau", data=_product_form(sheet.id)).status_code == 302
    # The fiche is no longer offered; a second tab showing it still is refused, in French, and writes nothing.
    options = BeautifulSoup(client.get("/produits/nouveau").text, "html.parser").select("#sheet_id option")
    assert [o.get("value") for o in options] == ["", str(other.id)]
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Product))
    response = client.post("/produits/nouveau", data=_product_form(sheet.id))
    assert response.status_code == 422 and "Choisissez une des fiches produit validées" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == count == 1


def test_the_same_product_form_sent_again_lands_on_its_product(client, people):
    sheet = make_product_sheet(people["member"], state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    login(client, people["trainer"])
    data = _product_form(sheet.id, submission_key="une-clef-de-formulaire")
    first = client.post("/produits/nouveau", data=data)
    again = client.post("/produits/nouveau", data=data)
    [product] = db.session.scalars(sa.select(Product))
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"] == f"/produits/{product.id}"


def _typed_file(version=0, **values) -> dict:
    data = {"base_version": str(version), "objectives_reached": "Deux objectifs atteints.", "learnings": "",
            "team_needs": "", "priorities-0-title": "Ouvrir à trois départements", "priorities-0-expected": "500 usagers",
            **values}
    return data


def test_envoyer_saves_what_the_page_shows_then_sends_it(client, people):
    committee = make_committee(make_product(team=[people["member"]]))
    login(client, people["member"])
    page = BeautifulSoup(client.get(f"/produits/comites/{committee.id}/dossier").text, "html.parser")
    [send] = [b for b in page.select("#file-form button[type=submit]") if "Envoyer le dossier" in b.text]
    assert send["formaction"] == f"/produits/comites/{committee.id}/envoyer"  # a button of the file form: the text goes too
    response = client.post(send["formaction"], data=_typed_file(learnings="Tapé juste avant d’envoyer"))
    assert response.status_code == 302
    committee = db.session.get(Committee, committee.id)
    assert committee.state == CommitteeState.SUBMITTED and committee.learnings == "Tapé juste avant d’envoyer"
    # The same click again (a double click): the comité has this very text, nothing is lost, nothing sent twice.
    again = client.post(send["formaction"], data=_typed_file(learnings="Tapé juste avant d’envoyer"))
    assert again.status_code == 302


@pytest.mark.parametrize("action", ["envoyer", "dossier"])
def test_a_file_sent_from_another_tab_shows_the_typed_text_back(client, people, action):
    committee = make_committee(make_product(team=[people["member"]]),
                               priorities=[{"title": "Ouvrir à trois départements", "expected": ""}])
    login(client, people["member"])
    assert client.post(f"/produits/comites/{committee.id}/envoyer").status_code == 302  # tab A
    response = client.post(f"/produits/comites/{committee.id}/{action}",  # tab B, typed before the send
                           data=_typed_file(learnings="Un apprentissage tapé dans l’onglet B"))
    assert response.status_code == 409
    page = BeautifulSoup(response.text, "html.parser")
    assert "n’a pas été enregistré" in page.select_one("#not-editable").text
    assert page.select_one("#learnings").text.strip() == "Un apprentissage tapé dans l’onglet B"
    assert page.select_one("#not-editable button[data-download-text]")["form"] == "file-form"
    assert not page.select_one("#file-form").has_attr("data-autosave-url")
    assert db.session.get(Committee, committee.id).learnings != "Un apprentissage tapé dans l’onglet B"


def test_arret_with_construction_is_a_french_form_error(client, people):
    committee = make_committee(make_product(phase="investigation"), state="submitted")
    login(client, people["trainer"])
    response = client.post(f"/produits/comites/{committee.id}/decision",
                           data={"decision": "stop", "next_phase": "construction", "reasons": "Pas de problème réel."})
    assert response.status_code == 422 and "ne va pas avec une phase suivante" in response.text
    assert db.session.get(Committee, committee.id).state == "submitted"


def test_site_ids_are_case_sensitive_file_names_kept_as_typed(client, people):
    sheet = make_product_sheet(state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    login(client, people["trainer"])
    sponsors = "DEAL de La Réunion ; DEAL-reunion\nMinistère de l’Économie ; MEFSIN\nSGPE ; SGPE\nOnisep ; Onisep"
    response = client.post("/produits/nouveau", data=_product_form(sheet.id, sponsors=sponsors, incubator_id="MTES-Incubateur"))
    assert response.status_code == 302, _errors(response)
    product = db.session.scalar(sa.select(Product).where(Product.sheet_id == sheet.id))
    assert product.incubator_id == "MTES-Incubateur"
    assert [s.organisation_id for s in product.sponsors] == ["DEAL-reunion", "MEFSIN", "SGPE", "Onisep"]
    front = yaml.safe_load(client.get(f"/produits/{product.id}/startup.md").text.split("---")[1])
    assert front["sponsors"] == ["/organisations/DEAL-reunion", "/organisations/MEFSIN", "/organisations/SGPE",
                                 "/organisations/Onisep"]
    assert front["incubator"] == "MTES-Incubateur"


@pytest.mark.parametrize("typed, saved", [("12 000", 12000), ("12\u202f000 €", 12000), ("12000", 12000), ("", None)])
def test_budget_lines_read_whole_euros_as_people_write_them(client, people, typed, saved):
    committee = make_committee(make_product(team=[people["member"]]))
    login(client, people["member"])
    page = BeautifulSoup(client.get(f"/produits/comites/{committee.id}/dossier").text, "html.parser")
    field = page.select_one("#budget_development")
    assert field["type"] == "text" and field["inputmode"] == "numeric"
    response = client.post(f"/produits/comites/{committee.id}/dossier", data=_typed_file(budget_development=typed))
    assert response.status_code == 302
    assert db.session.get(Committee, committee.id).budget.get("development") == saved
    if saved:
        shown = BeautifulSoup(client.get(f"/produits/comites/{committee.id}/dossier").text, "html.parser")
        assert shown.select_one("#budget_development")["value"] == "12 000"


@pytest.mark.parametrize("typed, message", [("12 000,50", "euros entiers, sans centimes"),
                                            ("12.5", "euros entiers, sans centimes"),
                                            ("douze mille", "en chiffres"), ("-5", "en chiffres"), ("1e5", "en chiffres")])
def test_a_budget_with_cents_or_words_is_a_french_error(client, people, typed, message):
    committee = make_committee(make_product(team=[people["member"]]))
    login(client, people["member"])
    response = client.post(f"/produits/comites/{committee.id}/dossier", data=_typed_file(budget_development=typed))
    assert response.status_code == 422 and any(message in error for error in _errors(response)), _errors(response)
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("#budget_development")["value"] == typed  # shown back as typed
    assert db.session.get(Committee, committee.id).file_version == 0


def test_the_file_links_to_where_measures_are_added(client, people):
    committee = make_committee(make_product(team=[people["member"]]))
    login(client, people["member"])
    page = BeautifulSoup(client.get(f"/produits/comites/{committee.id}/dossier").text, "html.parser")
    [link] = [a for a in page.select("a") if a.text == "Ajoutez un indicateur ou une mesure depuis la page du produit"]
    assert link["href"] == f"/produits/{committee.product_id}#indicateurs"


def test_grid_averages_have_one_decimal_each(client, people):
    committee = make_committee(make_product(), state="submitted")
    make_committee_score(committee, bilan=4, objectifs=3, besoins=4)
    make_committee_score(committee, bilan=4, objectifs=4, besoins=5)
    login(client, people["trainer"])
    page = BeautifulSoup(client.get(f"/produits/comites/{committee.id}").text, "html.parser")
    last = page.select("tbody tr")[-1]
    assert [td.text for td in last.select("td")] == ["4,0", "3,5", "4,5", "Moyenne générale : 4,0"]


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
          "décembre")


def format_day_fr(day: date) -> str:
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def test_dates_in_messages_are_written_in_words(client, people):
    product = make_product(started_on=date(2026, 10, 1))
    login(client, people["trainer"])
    held_on = date.today() + timedelta(days=90)
    response = client.post(f"/produits/{product.id}/comites", data={"held_on": held_on.isoformat()}, follow_redirects=True)
    assert f"Comité prévu le {format_day_fr(held_on)}" in response.text
    refused = client.post(f"/produits/{product.id}/phase",
                          data={"phase": "construction", "on": "2026-09-30", "reason": "Trop tôt"})
    assert "avant le début de la phase actuelle (1er octobre 2026)" in refused.text


def test_after_a_refused_send_enregistrer_still_only_saves(client, people):
    """A send refused (no priority yet) shows the file again at …/envoyer: « Enregistrer » must save there, not send."""
    committee = make_committee(make_product(team=[people["member"]]))
    login(client, people["member"])
    refused = client.post(f"/produits/comites/{committee.id}/envoyer", data=_typed_file(**{"priorities-0-title": ""}))
    assert refused.status_code == 422
    page = BeautifulSoup(refused.text, "html.parser")
    [save] = [b for b in page.select("#file-form button[type=submit]") if b.text.strip() == "Enregistrer"]
    target = save.get("formaction") or page.select_one("#file-form").get("action")
    assert target == f"/produits/comites/{committee.id}/dossier"
    assert client.post(target, data=_typed_file()).status_code == 302
    assert db.session.get(Committee, committee.id).state != CommitteeState.SUBMITTED


def test_the_comite_sends_the_file_back_to_the_team_once_with_what_to_complete(client, login_as, people):
    product = make_product(team=[people["member"]])
    committee = make_committee(product, state="submitted", priorities=[{"title": "Ouvrir à trois départements", "expected": ""}])
    db.session.commit()
    login_as(people["trainer"])
    page = client.get(f"/produits/comites/{committee.id}").text
    assert "Renvoyer le dossier à l’équipe" in page
    empty = client.post(f"/produits/comites/{committee.id}/renvoyer", data={"reason": "  "}, follow_redirects=True)
    assert "Dites à l’équipe ce qu’il faut compléter." in empty.text
    db.session.refresh(committee)
    assert committee.state == CommitteeState.SUBMITTED
    for _ in range(2):  # a double click: sent back once, one email
        assert client.post(f"/produits/comites/{committee.id}/renvoyer",
                           data={"reason": "Ajoutez le budget de l’hébergement."}).status_code == 302
    db.session.refresh(committee)
    assert committee.state == CommitteeState.PREPARING
    [email] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == people["member"].email)).all()
    assert email.subject == f"Dossier de comité à compléter : {product.name}"
    assert "Ajoutez le budget de l’hébergement." in email.text_body
    login_as(people["member"])  # the team edits it again, and reads why
    file_page = client.get(f"/produits/comites/{committee.id}/dossier")
    assert file_page.status_code == 200 and "Ajoutez le budget de l’hébergement." in file_page.text
    assert client.post(f"/produits/comites/{committee.id}/renvoyer", data={"reason": "x"}).status_code == 403


def test_a_decided_comite_cannot_send_its_file_back(client, login_as, people):
    committee = make_committee(make_product(team=[people["member"]]), state="decided", decision="continue",
                               decided_at=utcnow())
    db.session.commit()
    login_as(people["trainer"])
    response = client.post(f"/produits/comites/{committee.id}/renvoyer", data={"reason": "Trop tard"}, follow_redirects=True)
    assert "Ce comité a rendu sa décision" in response.text
    db.session.refresh(committee)
    assert committee.state == CommitteeState.DECIDED


def _edit_form(page: str) -> dict:
    soup = BeautifulSoup(page, "html.parser")
    form = soup.select_one("form[method=post]:has(#name)")
    data = {field["name"]: field.get("value", "") for field in form.select("input[name]")}
    data.update({area["name"]: area.get_text() for area in form.select("textarea[name]")})
    return data


def test_the_team_edits_its_product_and_a_second_tab_never_undoes_it(client, login_as, people):
    product = make_product(team=[people["member"]], name="Cantine", incubator_id="dinum")
    db.session.commit()
    login_as(people["member"])
    assert "/modifier" in client.get(f"/produits/{product.id}").text
    first_tab = _edit_form(client.get(f"/produits/{product.id}/modifier").text)
    second_tab = dict(first_tab)
    assert "dinum" in first_tab["sponsors"] or first_tab["sponsors"]  # the saved sponsors, one per line
    first_tab.update(name="Cantine à 1 €", sponsors="Direction interministérielle du numérique ; dinum\nANCT ; anct",
                     members="Camille Dev ; développeuse")
    for _ in range(2):  # a double click: the same values pass twice
        assert client.post(f"/produits/{product.id}/modifier", data=first_tab).status_code == 302
    db.session.refresh(product)
    assert product.name == "Cantine à 1 €"
    assert [(s.name, s.organisation_id) for s in product.sponsors] == [
        ("Direction interministérielle du numérique", "dinum"), ("ANCT", "anct")]
    assert [(m.user_id, m.name, m.role) for m in product.members] == [
        (people["member"].id, "", "Intrapreneur·e"), (None, "Camille Dev", "développeuse")]
    # The second tab, filled before, would put the old name back: refused, its values kept on the page.
    second_tab["name"] = "Cantine scolaire"
    stale = client.post(f"/produits/{product.id}/modifier", data=second_tab)
    assert stale.status_code == 409 and "modifié entre-temps" in stale.text and "Cantine scolaire" in stale.text
    db.session.refresh(product)
    assert product.name == "Cantine à 1 €" and len(product.sponsors) == 2
    # Sent again from that page, on purpose: her values replace.
    again = _edit_form(stale.text)
    assert client.post(f"/produits/{product.id}/modifier", data=again).status_code == 302
    db.session.refresh(product)
    assert product.name == "Cantine scolaire"
    login_as(people["stranger"])
    assert client.get(f"/produits/{product.id}/modifier").status_code == 403
    assert client.post(f"/produits/{product.id}/modifier", data=again).status_code == 403


def test_a_wrong_product_edit_says_what_in_french_and_saves_nothing(client, login_as, people):
    product = make_product(team=[people["member"]], name="Cantine")
    db.session.commit()
    login_as(people["trainer"])
    form = _edit_form(client.get(f"/produits/{product.id}/modifier").text)
    for field, value, message in (("sponsors", "", "Indiquez au moins une administration sponsor."),
                                  ("incubator_id", "di num", "Des lettres, des chiffres et des tirets"),
                                  ("name", "", "Donnez un nom au produit.")):
        response = client.post(f"/produits/{product.id}/modifier", data={**form, field: value})
        assert response.status_code == 422 and any(message in error for error in _errors(response)), _errors(response)
    db.session.refresh(product)
    assert product.name == "Cantine"


def test_a_comite_is_decided_on_or_after_its_day_and_the_new_phase_starts_that_day(client, login_as, people):
    product = make_product(team=[people["member"]], started_on=date.today() - timedelta(days=60))
    ahead = make_committee(product, state="submitted", held_on=date.today() + timedelta(days=20))
    db.session.commit()
    login_as(people["trainer"])
    data = {"decision": "continue", "next_phase": "construction", "reasons": "Problème confirmé."}
    early = client.post(f"/produits/comites/{ahead.id}/decision", data=data)
    assert early.status_code == 422 and "sa décision s’enregistre ce jour-là ou après" in early.text
    db.session.refresh(ahead)
    assert ahead.state == CommitteeState.SUBMITTED
    ahead.held_on = date.today() - timedelta(days=3)  # held three days ago, recorded today
    db.session.commit()
    assert client.post(f"/produits/comites/{ahead.id}/decision", data=data).status_code == 302
    started = db.session.scalar(sa.select(ProductPhasePeriod.started_on).where(
        ProductPhasePeriod.product_id == product.id, ProductPhasePeriod.phase == "construction"))
    assert started == date.today() - timedelta(days=3)


def test_a_newly_planned_comite_says_nothing_of_a_file_sent_back(client, login_as, people):
    product = make_product(team=[people["member"]])
    login_as(people["trainer"])
    assert client.post(f"/produits/{product.id}/comites", data={
        "held_on": (date.today() + timedelta(days=30)).isoformat()}).status_code == 302
    committee = db.session.scalar(sa.select(Committee).where(Committee.product_id == product.id))
    assert "Dossier renvoyé" not in client.get(f"/produits/comites/{committee.id}").text
    login_as(people["member"])
    assert "Dossier renvoyé" not in client.get(f"/produits/comites/{committee.id}/dossier").text
