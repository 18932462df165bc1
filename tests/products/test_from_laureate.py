"""A lauréat of an appel à intrapreneurs becomes a product: from the jury's deliberation, once, by the call's team."""

from datetime import date

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.core.models import utcnow
from beta_training.extensions import db
from beta_training.products.models import Product, ProductIndicator, ProductMilestone, ProductPhasePeriod
from beta_training.products.services import ProductError, create_product_from_dossier
from beta_training.sheets.services import create_milestones
from tests.conftest import login
from tests.factories import COMPLETE_SHEET, make_call, make_dossier, make_product_sheet, make_user


def _form(**values) -> dict:
    return {"started_on": utcnow().date().isoformat(), "incubator_name": "Incubateur de la DINUM", "incubator_id": "dinum",
            "sponsors": "Direction interministérielle du numérique ; dinum", "members": "", **values}


def _products() -> list[Product]:
    return list(db.session.scalars(sa.select(Product)))


def test_the_laureate_of_a_fiche_becomes_a_product_with_the_fiche_roadmap(client, app):
    intrapreneur, trainer = make_user(first_name="Inès"), make_user(roles=[Role.TRAINER])
    # The fiche need not be approved: the jury has selected the project.
    sheet = make_product_sheet(intrapreneur, state="submitted", content=COMPLETE_SHEET)
    create_milestones(sheet)
    call = make_call(title="Appel 2027")
    dossier = make_dossier(call, intrapreneur, state="laureate", sheet_id=sheet.id, title="Mon suivi de stage",
                           solution="Un service qui suit chaque stage.")
    login(client, trainer)
    deliberation = client.get(f"/appels/{call.id}/deliberation").text
    link = f"/produits/nouveau/laureat/{dossier.id}"
    assert link in deliberation
    page = client.get(link)
    assert page.status_code == 200 and "Créer le produit du lauréat « Mon suivi de stage »" in page.text
    soup = BeautifulSoup(page.text, "html.parser")
    assert not soup.select("#sheet_id")  # where it comes from is known
    assert soup.select_one("#incubator_name")["value"] == call.incubator  # the call's, to correct if need be
    response = client.post(link, data=_form())
    [product] = _products()
    assert response.status_code == 302 and response.headers["Location"] == f"/produits/{product.id}"
    assert (product.name, product.pitch, product.dossier_id, product.sheet_id) == (
        "Mon suivi de stage", "Un service qui suit chaque stage.", dossier.id, sheet.id)
    assert [(m.user_id, m.role) for m in product.members] == [(intrapreneur.id, "Intrapreneur·e")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductIndicator)) >= 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductMilestone)) >= 1
    [period] = db.session.scalars(sa.select(ProductPhasePeriod))
    assert "dossier lauréat « Mon suivi de stage » (Appel 2027)" in period.reason
    # Followed again (a second tab, the deliberation's link): the product, never a second one.
    again = client.get(link)
    assert again.status_code == 302 and again.headers["Location"] == f"/produits/{product.id}"
    assert client.post(link, data=_form()).status_code == 302 and len(_products()) == 1


def test_a_laureate_from_scratch_becomes_a_product_without_a_roadmap(client, app):
    trainer = make_user(roles=[Role.TRAINER])
    dossier = make_dossier(make_call(), state="laureate", title="Projet sans fiche")
    login(client, trainer)
    page = client.get(f"/produits/nouveau/laureat/{dossier.id}").text
    assert "n’est parti d’aucune fiche produit" in page
    assert client.post(f"/produits/nouveau/laureat/{dossier.id}", data=_form()).status_code == 302
    [product] = _products()
    assert (product.sheet_id, product.dossier_id, product.name) == (None, dossier.id, "Projet sans fiche")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductMilestone)) == 0


def test_only_a_laureate_and_only_the_call_team(client, app):
    trainer, candidate = make_user(roles=[Role.TRAINER]), make_user()
    call = make_call()
    waitlisted = make_dossier(call, state="waitlisted")
    laureate = make_dossier(call, candidate, state="laureate")
    login(client, trainer)
    assert client.get(f"/produits/nouveau/laureat/{waitlisted.id}").status_code == 404
    assert client.post(f"/produits/nouveau/laureat/{waitlisted.id}", data=_form()).status_code == 404
    assert client.get("/produits/nouveau/laureat/999999").status_code == 404
    login(client, candidate)  # the lauréat herself does not make her own product
    assert client.get(f"/produits/nouveau/laureat/{laureate.id}").status_code == 403
    assert client.post(f"/produits/nouveau/laureat/{laureate.id}", data=_form()).status_code == 403
    assert _products() == []


def test_a_fiche_already_a_product_is_not_made_a_second_one_through_its_laureate(client, app):
    trainer = make_user(roles=[Role.TRAINER])
    sheet = make_product_sheet(state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    login(client, trainer)
    assert client.post("/produits/nouveau", data={"sheet_id": str(sheet.id), **_form()}).status_code == 302
    dossier = make_dossier(make_call(), sheet.owner, state="laureate", sheet_id=sheet.id)
    response = client.post(f"/produits/nouveau/laureat/{dossier.id}", data=_form())
    assert response.status_code == 422 and "Cette fiche est déjà devenue le produit" in response.text
    assert len(_products()) == 1


def test_a_wrong_form_says_what_in_french_and_writes_nothing(client, app):
    trainer = make_user(roles=[Role.TRAINER])
    dossier = make_dossier(make_call(), state="laureate")
    login(client, trainer)
    response = client.post(f"/produits/nouveau/laureat/{dossier.id}", data=_form(incubator_id="Incubateur DINUM"))
    assert response.status_code == 422 and "Des lettres, des chiffres et des tirets" in response.text
    assert _products() == []


def test_the_service_refuses_a_dossier_the_jury_did_not_select(app):
    trainer = make_user(roles=[Role.TRAINER])
    for state in ("preselected", "waitlisted", "not_selected", "submitted"):
        dossier = make_dossier(make_call(), state=state)
        with pytest.raises(ProductError, match="Seul un dossier lauréat"):
            create_product_from_dossier(dossier, actor=trainer, incubator_name="DINUM", incubator_id="dinum",
                                        sponsors=[("DINUM", "dinum")], members=[], started_on=date.today())
    assert _products() == []


def test_the_team_of_a_product_from_scratch_adds_its_indicators_and_milestones(client, app):
    from tests.factories import make_product

    member, stranger = make_user(first_name="Inès"), make_user()
    product = make_product(team=[member])
    login(client, member)
    page = client.get(f"/produits/{product.id}").text
    assert f"/produits/{product.id}/indicateurs/nouveau" in page and f"/produits/{product.id}/jalons/nouveau" in page
    for _ in range(2):  # a double click adds it once
        response = client.post(f"/produits/{product.id}/indicateurs/nouveau",
                               data={"name": "Familles inscrites", "baseline": "0", "target": "600"})
        assert response.status_code == 302
    indicators = db.session.scalars(sa.select(ProductIndicator).where(ProductIndicator.product_id == product.id)).all()
    assert [(i.name, i.baseline, i.target) for i in indicators if i.name == "Familles inscrites"] == [
        ("Familles inscrites", "0", "600")]
    due = date.today().replace(day=1)
    for _ in range(2):
        assert client.post(f"/produits/{product.id}/jalons/nouveau",
                           data={"title": "Premier usager réel", "due_on": due.isoformat()}).status_code == 302
    assert [(m.title, m.due_on) for m in db.session.scalars(sa.select(ProductMilestone).where(
        ProductMilestone.product_id == product.id, ProductMilestone.title == "Premier usager réel"))] == [
        ("Premier usager réel", due)]
    earlier = due.replace(year=due.year - 1)
    assert client.post(f"/produits/{product.id}/jalons/nouveau",
                       data={"title": "Entretiens terminés", "due_on": earlier.isoformat()}).status_code == 302
    page = client.get(f"/produits/{product.id}").text
    roadmap = page[page.index('id="feuille-de-route"'):]
    assert roadmap.index("Entretiens terminés") < roadmap.index("Premier usager réel")  # by date, not as added
    # The measure form now offers the new indicator.
    assert "Familles inscrites" in client.get(f"/produits/{product.id}").text
    empty = client.post(f"/produits/{product.id}/indicateurs/nouveau", data={"name": ""})
    assert empty.status_code == 422 and "Nommez l’indicateur." in empty.text
    login(client, stranger)
    assert client.post(f"/produits/{product.id}/jalons/nouveau", data={"title": "Intrus"}).status_code == 403
