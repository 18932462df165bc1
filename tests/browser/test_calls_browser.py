"""Appel à intrapreneurs in Chromium, from training to incubation: a candidate starts a dossier from her fiche
produit (pre-filled), the autosaved text survives a reload, she files it → a trainer scores it, pre-selects it and
informs the candidates → the jury: a juror invited by address, the session, the pitch slots sent as ICS, the juror
scores the pitch, the deliberation, the lauréat email → the lauréat becomes a product → its first comité, with its
decision. Axe on every page of the way, also in error state."""

import re
import time
from datetime import date, timedelta

import pytest

from beta_training.accounts.models import Role
from beta_training.calls.models import Dossier
from beta_training.core.models import to_paris, utcnow
from beta_training.extensions import db
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick
from tests.factories import PASSWORD, make_call, make_dossier, make_dossier_evaluation, make_product_sheet, make_user

pytestmark = pytest.mark.browser



def paris_today() -> date:
    """Today as the app counts days (Europe/Paris): between 23:00 and midnight UTC, date.today() on a UTC machine
    is already yesterday in Paris, and a jury session « today » would be refused as past."""
    return to_paris(utcnow()).date()

def _page(browser, live_server):
    page = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    page.set_default_timeout(20_000)
    return page


def _attachment(message, content_type: str) -> str:
    return next(part.get_content() for part in message.iter_attachments() if part.get_content_type() == content_type)


def _mail(mailbox, to: str, subject: str, timeout: float = 10.0):
    """The message to `to` with this subject, once the outbox has delivered it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := [m for m in mailbox.to(to) if m["Subject"] == subject]:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no « {subject} » to {to}: {[m['Subject'] for m in mailbox.messages]}")


def test_from_fiche_to_dossier_to_jury_to_product_to_first_comite(browser, live_server, mailbox):
    candidate = make_user(email="intra@example.gouv.fr", first_name="Inès")
    make_user(email="jure@example.gouv.fr", first_name="Jules")
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

    # The jury: a juror by her address, the session, the pitch slots sent as calendar invitations.
    trainer.goto(f"/appels/{call.id}")
    trainer.get_by_role("link", name="Jury", exact=True).click()
    assert_accessible(trainer, "jury page")
    trainer.locator("#email").fill("jure@example.gouv.fr")
    trainer.get_by_role("button", name="Inviter au jury").click()
    trainer.get_by_text("jure@example.gouv.fr est invité·e au jury.").wait_for()
    trainer.get_by_role("button", name="Enregistrer la séance").click()
    trainer.get_by_text("Indiquez la date de la séance.").first.wait_for()
    assert_accessible(trainer, "jury page (errors)")
    jury_day = paris_today()  # the session is today: its decisions are taken after the pitches
    trainer.locator("#jury_on").fill(jury_day.isoformat())
    trainer.locator("#jury_starts_at").fill("14:00")
    trainer.locator("#jury_place").fill("Ségur, salle 4012")
    trainer.get_by_role("button", name="Enregistrer la séance").click()
    trainer.get_by_text("Séance du jury enregistrée").wait_for()
    assert trainer.get_by_role("cell", name="14h00–14h08").is_visible()  # 3 min pitch + 5 min questions
    trainer.get_by_role("button", name="Envoyer les créneaux").click()
    trainer.get_by_text("Créneaux envoyés : 1 aux candidat·es, 1 aux jurés.").wait_for()
    slot = _mail(mailbox, "intra@example.gouv.fr", "Votre créneau de pitch devant le jury : Cantine à 1 €")
    ics = _attachment(slot, "text/calendar")
    assert "METHOD:REQUEST" in ics and f"DTSTART;TZID=Europe/Paris:{jury_day:%Y%m%d}T140000" in ics, ics

    juror = _page(browser, live_server)
    browser_login(juror, "jure@example.gouv.fr", PASSWORD)
    juror.goto("/appels/")
    juror.get_by_role("link", name="Noter les pitchs : Appel à intrapreneurs 2027").click()
    juror.get_by_role("button", name=re.compile("^Enregistrer ma note")).click()
    juror.get_by_text("Donnez une note de 1 à 5.").first.wait_for()
    assert_accessible(juror, "jury scoring (errors)")
    for fieldset, score in zip(juror.get_by_role("radiogroup").all(), ("5", "4", "4")):
        tick(fieldset.get_by_label(score, exact=True))
    juror.get_by_role("button", name=re.compile("^Enregistrer ma note")).click()
    juror.get_by_text("Note de « Cantine à 1 € » enregistrée.").wait_for()
    assert_accessible(juror, "jury scoring")
    assert juror.goto(f"/appels/{call.id}/deliberation").status == 403  # a juror scores; the team decides

    trainer.goto(f"/appels/{call.id}/deliberation")
    assert "4,33" in trainer.locator("table").inner_text()  # (5 + 4 + 4) / 3, in French
    assert_accessible(trainer, "deliberation")
    trainer.get_by_role("link", name="Lauréat : Cantine à 1 €").click()
    assert_accessible(trainer, "decision")
    trainer.locator("#reason").fill("Problème chiffré, terrain connu, solution simple.")
    trainer.get_by_role("button", name="Enregistrer la décision et envoyer le courriel").click()
    trainer.get_by_text("Décision enregistrée et envoyée : « Cantine à 1 € » — Lauréat.").wait_for()
    _mail(mailbox, "intra@example.gouv.fr", "Votre projet est lauréat : Cantine à 1 €")

    # The lauréat becomes a product, carried over from her fiche.
    trainer.get_by_role("link", name="Créer le produit : Cantine à 1 €").click()
    assert_accessible(trainer, "product from a lauréat")
    trainer.locator("#started_on").fill(paris_today().isoformat())
    trainer.locator("#incubator_name").fill("Incubateur de la DINUM")
    trainer.locator("#incubator_id").fill("dinum")
    trainer.locator("#sponsors").fill("Direction interministérielle du numérique ; dinum")
    trainer.get_by_role("button", name="Créer le produit").click()
    trainer.get_by_text("Produit « Cantine à 1 € » créé, en investigation.").wait_for()
    trainer.locator("#held_on").fill(paris_today().isoformat())  # held today: decided once its file is in
    trainer.get_by_role("button", name="Prévoir le comité").click()
    trainer.get_by_text("l’équipe est prévenue").wait_for()
    product_url = trainer.url

    # Its first comité: the team's file, the grille d'arbitrage, the decision.
    page.goto(product_url)
    page.get_by_role("link", name="Comité du").first.click()
    page.get_by_role("link", name="Préparer le dossier").click()
    page.locator("#objectives_reached").fill("Investigation menée : 30 familles rencontrées.")
    page.locator("#priorities-0-title").fill("Ouvrir le service dans deux communes")
    page.locator("#priorities-0-expected").fill("100 familles inscrites")
    page.get_by_role("button", name="Envoyer le dossier au comité").click()
    page.get_by_text("Dossier envoyé au comité").wait_for()
    trainer.goto(page.url)
    trainer.get_by_role("link", name="Noter sur la grille d’arbitrage").click()
    for key in ("bilan", "objectifs", "besoins"):
        tick(trainer.locator(f"#score_{key}-3"))
    trainer.get_by_role("button", name="Enregistrer mes notes").click()
    trainer.get_by_text("Notes enregistrées").wait_for()
    trainer.get_by_role("link", name="Enregistrer la décision").click()
    tick(trainer.get_by_label("Continuité du projet à budget iso ou supérieur"))
    trainer.locator("#next_phase").select_option("construction")
    trainer.locator("#reasons").fill("Le problème est confirmé sur le terrain.")
    trainer.get_by_role("button", name="Enregistrer la décision et l’envoyer à l’équipe").click()
    trainer.get_by_text("Décision enregistrée et envoyée à l’équipe").wait_for()
    page.goto(product_url)
    page.get_by_text("Investigation → Construction").wait_for()
    deadline = time.monotonic() + 10
    while not any(m["Subject"].startswith("Décision du comité d’investissement") for m in mailbox.to("intra@example.gouv.fr")):
        assert time.monotonic() < deadline, [m["Subject"] for m in mailbox.messages]
        time.sleep(0.05)


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
