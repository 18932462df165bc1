"""Fiche produit in Chromium: write → autosave (reload, the text is there) → submit → the trainer requests
changes with section comments → the learner sees them, edits, resubmits → the trainer sees the diff →
approves → PDF and Markdown exports. Axe on the editor (also in conflict) and the review page."""

import re
from datetime import date
from pathlib import Path

import pytest

from beta_training.accounts.models import Role
from beta_training.extensions import db
from beta_training.sheets.models import SheetMilestone
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick
from tests.factories import PASSWORD, make_product_sheet, make_user

pytestmark = pytest.mark.browser


def _context_page(browser, live_server):
    page = browser.new_context(base_url=live_server.url).new_page()
    page.set_default_timeout(20_000)
    return page


def test_write_autosave_review_loop_and_exports(browser, live_server, mailbox, tmp_path):
    make_user(email="learner@example.gouv.fr", first_name="Léa")
    make_user(email="trainer@example.gouv.fr", roles=[Role.TRAINER])
    learner = _context_page(browser, live_server)
    browser_login(learner, "learner@example.gouv.fr", PASSWORD)
    learner.goto("/fiches/")
    learner.get_by_role("link", name="Commencer une fiche produit").click()
    learner.get_by_role("button", name="Commencer la fiche").click()
    learner.locator("#name").fill("Mon service")
    learner.locator("#problem").fill("Chaque année, des centaines de familles renoncent à une aide.")
    learner.get_by_text("Brouillon enregistré automatiquement").wait_for()
    learner.reload()  # the browser died mid-sentence: the autosaved text is there
    assert learner.locator("#problem").input_value().startswith("Chaque année")
    learner.locator("#solution").fill("Un simulateur en ligne.")
    for index, (name, baseline, target) in enumerate([("Délai de réponse", "30 jours", "5 jours"), ("Familles aidées", "0", "200")]):
        learner.locator(f"#indicators-{index}-name").fill(name)
        learner.locator(f"#indicators-{index}-baseline").fill(baseline)
        learner.locator(f"#indicators-{index}-target").fill(target)
    learner.locator("#milestones-0-title").fill("Premières familles accompagnées")
    learner.locator("#milestones-0-due_on").fill("2027-01-15")
    learner.locator("#milestones-0-priority").select_option("1")
    learner.get_by_role("button", name="Enregistrer", exact=True).click()
    learner.get_by_text("Fiche enregistrée").wait_for()
    learner.get_by_role("link", name="Aperçu et envoi en relecture").click()
    learner.get_by_role("button", name="Envoyer en relecture").click()
    learner.get_by_text("Fiche envoyée en relecture").wait_for()

    trainer = _context_page(browser, live_server)
    browser_login(trainer, "trainer@example.gouv.fr", PASSWORD)
    trainer.goto("/fiches/relecture")
    trainer.get_by_role("button", name=re.compile("^Prendre")).click()
    trainer.locator("#comment_problem").fill("Combien de familles, précisément ?")
    tick(trainer.get_by_label("Demander des modifications"))
    trainer.get_by_role("button", name="Envoyer la relecture").click()
    trainer.get_by_text("Relecture envoyée").wait_for()

    learner.goto(learner.url)
    learner.get_by_text("Combien de familles, précisément ?").first.wait_for()
    learner.get_by_role("link", name="Modifier").click()
    learner.locator("#problem").fill("Chaque année, 3 000 familles du département renoncent à une aide.")
    learner.get_by_role("button", name="Enregistrer", exact=True).click()
    learner.get_by_text("Fiche enregistrée").wait_for()
    learner.get_by_role("link", name="Aperçu et envoi en relecture").click()
    learner.get_by_role("button", name="Envoyer en relecture").click()

    trainer.goto("/fiches/relecture")
    trainer.get_by_role("button", name=re.compile("^Prendre")).click()
    assert trainer.locator(".bt-diff ins").first.inner_text().startswith("ajouté")
    assert "3 000" in trainer.locator(".bt-diff").first.inner_text()
    tick(trainer.get_by_label("Valider la fiche"))
    trainer.get_by_role("button", name="Envoyer la relecture").click()
    trainer.get_by_text("Relecture envoyée").wait_for()

    learner.goto(learner.url)
    learner.get_by_text("Validée").first.wait_for()
    with learner.expect_download() as pdf:
        learner.get_by_role("link", name="Fiche A4 (PDF)").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
    with learner.expect_download() as markdown:
        learner.get_by_role("link", name="Page produit beta.gouv.fr (Markdown)").click()
    assert Path(markdown.value.path()).read_text(encoding="utf-8").startswith("---\ntitle: Mon service\n")
    subjects = [m["Subject"] for m in mailbox.wait_for(5)]
    assert "Relecture de votre fiche produit : Validée" in subjects


def test_axe_on_sheet_pages_including_conflict(page):
    owner = make_user(email="a11y-owner@example.gouv.fr")
    make_user(email="a11y-reviewer@example.gouv.fr", roles=[Role.TRAINER])
    sheet = make_product_sheet(owner)
    submitted = make_product_sheet(owner, state="submitted")
    approved = make_product_sheet(owner, state="approved", content={
        "indicators": [{"name": "Délai", "baseline": "30", "target": "5"}] + [{"name": "", "baseline": "", "target": ""}] * 2})
    db.session.add(SheetMilestone(sheet_id=approved.id, position=1, title="Premiers usagers", due_on=date(2026, 1, 15)))
    db.session.commit()
    browser_login(page, "a11y-owner@example.gouv.fr", PASSWORD)
    for url in ["/fiches/", "/fiches/nouvelle", f"/fiches/{sheet.id}", f"/fiches/{sheet.id}/modifier", f"/fiches/{sheet.id}/apercu", f"/fiches/{approved.id}",
                f"/fiches/{approved.id}/feuille-de-route"]:
        page.goto(url)
        assert_accessible(page, url)
    page.get_by_role("button", name="Ajouter la mesure").click()
    page.get_by_text("Saisissez la valeur mesurée.").first.wait_for()
    assert_accessible(page, "follow-up (errors)")
    # A stale save (another tab saved version 2): the conflict view.
    page.goto(f"/fiches/{sheet.id}/modifier")
    other_tab = page.context.new_page()
    other_tab.goto(f"/fiches/{sheet.id}/modifier")
    other_tab.locator("#context").fill("Depuis l’autre onglet")
    other_tab.get_by_role("button", name="Enregistrer", exact=True).click()
    other_tab.get_by_text("Fiche enregistrée").wait_for()
    page.evaluate("document.querySelector('form[data-autosave-url]').removeAttribute('data-autosave-url')")
    page.locator("#context").fill("Depuis ce premier onglet")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_text("enregistrée ailleurs entre-temps").wait_for()
    assert "Depuis l’autre onglet" in page.content()
    assert_accessible(page, "editor (conflict)")
    page.goto("/compte/")
    page.get_by_role("button", name="Se déconnecter").first.click()
    browser_login(page, "a11y-reviewer@example.gouv.fr", PASSWORD)
    for url in ["/fiches/relecture", f"/fiches/{submitted.id}/relecture", "/fiches/impact"]:
        page.goto(url)
        assert_accessible(page, url)


def test_text_typed_before_the_script_has_loaded_is_autosaved(page):
    """On a slow connection one can type before forms.js runs: those keystrokes fire no listener, and
    the script saves them as soon as it starts."""
    make_user(email="slow@example.gouv.fr")
    browser_login(page, "slow@example.gouv.fr", PASSWORD)
    page.goto("/fiches/nouvelle")
    held = []
    page.route("**/static/js/forms.js", lambda route: held.append(route))  # the script waits for us
    page.get_by_role("button", name="Commencer la fiche").click()
    page.locator("#name").fill("Tapé avant le script")
    assert len(held) == 1 and page.get_by_text("Brouillon enregistré automatiquement").count() == 0
    held[0].continue_()
    page.get_by_text("Brouillon enregistré automatiquement").wait_for()
    page.unroute("**/static/js/forms.js")
    page.reload()
    assert page.locator("#name").input_value() == "Tapé avant le script"
