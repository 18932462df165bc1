"""Appel à intrapreneurs in Chromium: a candidate starts a dossier from her fiche produit (pre-filled), the
autosaved text survives a reload, she files it → a trainer scores it, pre-selects it and informs the candidates
with the prefilled emails. Axe on every page of the call, also in error state."""

import re
from datetime import timedelta

import pytest

from beta_training.accounts.models import Role
from beta_training.calls.models import Dossier
from beta_training.core.models import utcnow
from beta_training.extensions import db
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick
from tests.factories import PASSWORD, make_call, make_dossier, make_dossier_evaluation, make_product_sheet, make_user

pytestmark = pytest.mark.browser


def _page(browser, live_server):
    page = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    page.set_default_timeout(20_000)
    return page


def test_from_fiche_to_dossier_to_preselection(browser, live_server, mailbox):
    candidate = make_user(email="intra@example.gouv.fr", first_name="Inès")
    make_product_sheet(candidate, state="approved", approved_at=utcnow(),
                       content={"name": "Cantine à 1 €", "s1_problem": "Chaque année, 4 000 familles renoncent au tarif social."})
    make_user(email="incubateur@example.gouv.fr", roles=[Role.TRAINER])
    call = make_call(title="Appel à intrapreneurs 2027", closes_at=utcnow() + timedelta(days=3))

    page = _page(browser, live_server)
    page.goto(f"/appels/{call.id}")
    assert_accessible(page, "call (anonymous)")
    browser_login(page, "intra@example.gouv.fr", PASSWORD)
    page.goto(f"/appels/{call.id}")
    page.get_by_role("link", name="Déposer un projet").click()
    assert_accessible(page, "start a dossier")
    tick(page.get_by_label(re.compile("Ma fiche produit « Cantine à 1 € »")))
    page.get_by_role("button", name="Commencer le dossier").click()
    assert page.locator("#problem").input_value() == "Chaque année, 4 000 familles renoncent au tarif social."
    page.locator("#solution").fill("Un formulaire unique, pré-rempli avec les données de la CAF.")
    page.get_by_text("Brouillon enregistré automatiquement").wait_for()
    page.reload()  # the browser died mid-sentence: the autosaved text is there
    assert page.locator("#solution").input_value().startswith("Un formulaire unique")
    page.get_by_role("button", name="Déposer mon dossier").click()
    page.get_by_text("il manque des réponses pour le déposer").wait_for()
    assert_accessible(page, "dossier (errors)")
    page.locator("#first_users").fill("Les familles de deux communes pilotes.")
    tick(page.get_by_label("Non", exact=True))
    tick(page.locator("#consent_guide"))
    tick(page.locator("#consent_share"))
    page.get_by_role("button", name="Déposer mon dossier").click()
    page.get_by_text("Votre dossier est déposé").wait_for()
    assert_accessible(page, "filed dossier")
    page.goto("/appels/mes-dossiers")
    assert_accessible(page, "my dossiers")

    trainer = _page(browser, live_server)
    browser_login(trainer, "incubateur@example.gouv.fr", PASSWORD)
    trainer.goto("/appels/")
    assert_accessible(trainer, "calls (trainer)")
    trainer.goto(f"/appels/{call.id}/preselection")
    assert_accessible(trainer, "pre-selection queue")
    trainer.get_by_role("link", name=re.compile("^Évaluer")).click()
    trainer.get_by_role("button", name="Enregistrer mon évaluation").click()
    trainer.get_by_text("Donnez une note de 1 à 5.").first.wait_for()
    assert_accessible(trainer, "evaluation (errors)")
    for fieldset in trainer.get_by_role("radiogroup").all():
        tick(fieldset.get_by_label("4", exact=True))
    trainer.get_by_role("button", name="Enregistrer mon évaluation").click()
    trainer.get_by_text("Évaluation enregistrée.").wait_for()
    assert "4,0/5" in trainer.locator("table").inner_text() or "4/5" in trainer.locator("table").inner_text()
    trainer.get_by_role("button", name=re.compile("^Pré-sélectionner")).click()
    trainer.get_by_text("est pré-sélectionné").wait_for()
    db.session.commit()  # end this test's read snapshot: the server wrote since
    dossier = db.session.query(Dossier).one()
    assert dossier.state == "preselected"

    call.opens_at, call.closes_at = utcnow() - timedelta(days=15), utcnow() - timedelta(minutes=1)
    db.session.commit()
    trainer.goto(f"/appels/{call.id}/informer")
    assert_accessible(trainer, "inform candidates")
    trainer.locator("#coaching_at").fill("2027-04-02T14:00")
    trainer.locator("#coaching_place").fill("https://webinaire.numerique.gouv.fr/coaching")
    tick(trainer.locator("#confirm"))
    trainer.get_by_role("button", name="Envoyer les courriels").click()
    trainer.get_by_text("Courriels envoyés : 1 aux pré-sélectionné·es").wait_for()
    subjects = [message["Subject"] for message in mailbox.messages if message["To"] == "intra@example.gouv.fr"]
    assert "Votre projet est pré-sélectionné : Appel à intrapreneurs 2027" in subjects


def test_axe_on_the_call_forms_and_the_dossier_pages(page):
    make_user(email="a11y-incubateur@example.gouv.fr", roles=[Role.TRAINER])
    call = make_call()
    dossier = make_dossier(call, state="submitted")
    make_dossier_evaluation(dossier)
    browser_login(page, "a11y-incubateur@example.gouv.fr", PASSWORD)
    page.goto("/appels/nouveau")
    assert_accessible(page, "new call")
    page.locator("#criteria").fill("")
    page.get_by_role("button", name="Enregistrer l’appel").click()
    page.get_by_text("Donnez un titre à l’appel.").first.wait_for()
    assert_accessible(page, "new call (errors)")
    for url in (f"/appels/{call.id}", f"/appels/{call.id}/modifier", f"/appels/dossiers/{dossier.id}",
                f"/appels/dossiers/{dossier.id}/evaluation"):
        page.goto(url)
        assert_accessible(page, url)
    page.goto(f"/appels/{call.id}/informer")
    page.get_by_role("button", name="Envoyer les courriels").click()
    page.get_by_text("Cochez la case pour confirmer l’envoi.").first.wait_for()
    assert_accessible(page, "inform (errors)")
