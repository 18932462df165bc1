"""Fiche produit in Chromium: write → autosave (reload, the text is there) → submit → the trainer requests
changes with section comments → the learner sees them, edits, resubmits → the trainer sees the diff →
approves → PDF and Markdown exports. Axe on the editor (also in conflict) and the review page."""

import re
from datetime import date
from pathlib import Path

import pytest

from beta_training.accounts.models import Role
from beta_training.extensions import db
from beta_training.sheets import queries
from beta_training.sheets.models import ProductSheet, SheetMilestone
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick
from tests.factories import ANSWERED_PARTS, PASSWORD, make_product_sheet, make_user

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
    learner.locator("#s1_problem").fill("Chaque année, des centaines de familles renoncent à une aide.")
    learner.get_by_text("Brouillon enregistré automatiquement").wait_for()
    learner.reload()  # the browser died mid-sentence: the autosaved text is there
    assert learner.locator("#s1_problem").input_value().startswith("Chaque année")
    for key, answer in ANSWERED_PARTS.items():
        if key != "s1_problem":
            learner.locator(f"#{key}").fill(answer)
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
    trainer.locator("#comment_s1").fill("Combien de familles, précisément ?")
    tick(trainer.get_by_label("Demander des modifications"))
    trainer.get_by_role("button", name="Envoyer la relecture").click()
    trainer.get_by_text("Relecture envoyée").wait_for()

    learner.goto(learner.url)
    learner.get_by_text("Combien de familles, précisément ?").first.wait_for()
    learner.get_by_role("link", name="Modifier").click()
    learner.locator("#s1_problem").fill("Chaque année, 3 000 familles du département renoncent à une aide.")
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
    assert "Votre fiche produit est validée" in subjects


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
    other_tab.locator("#s4_worst_case").fill("Depuis l’autre onglet")
    other_tab.get_by_role("button", name="Enregistrer", exact=True).click()
    other_tab.get_by_text("Fiche enregistrée").wait_for()
    page.evaluate("document.querySelector('form[data-autosave-url]').removeAttribute('data-autosave-url')")
    page.locator("#s4_worst_case").fill("Depuis ce premier onglet")
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


READY = {
    **ANSWERED_PARTS,
    "indicators": [{"name": "Délai", "baseline": "30 j", "target": "5 j"}, {"name": "Usagers", "baseline": "0", "target": "200"},
                   {"name": "", "baseline": "", "target": ""}],
    "milestones": [{"title": "Premiers usagers", "due_on": "2027-01-15", "priority": "1"}]
                  + [{"title": "", "due_on": "", "priority": ""}] * 5,
}


def _latest_content(sheet_id):
    db.session.commit()  # a fresh read: the live server wrote it
    sheet = db.session.get(ProductSheet, sheet_id)
    return sheet.current_version, queries.get_version(sheet, sheet.current_version).content


def test_two_tabs_conflict_reconcile_then_one_save_keeps_both_texts(page):
    owner = make_user(email="two-tabs@example.gouv.fr")
    sheet = make_product_sheet(owner)
    db.session.commit()
    browser_login(page, "two-tabs@example.gouv.fr", PASSWORD)
    tab_a, tab_b = page, page.context.new_page()
    tab_a.goto(f"/fiches/{sheet.id}/modifier")
    tab_b.goto(f"/fiches/{sheet.id}/modifier")

    tab_a.locator("#s4_worst_case").fill("Écrit dans l’onglet A.")
    tab_a.get_by_role("button", name="Enregistrer", exact=True).click()
    tab_a.get_by_text("Fiche enregistrée").wait_for()
    tab_b.locator("#s4_worst_case").fill("Écrit dans l’onglet B.")
    tab_b.get_by_role("button", name="Enregistrer", exact=True).click()
    tab_b.get_by_text("enregistrée ailleurs entre-temps").wait_for()
    assert tab_b.locator("#s4_worst_case").input_value() == "Écrit dans l’onglet B."  # her text, with A's shown below

    tab_b.locator("#s4_worst_case").fill("Écrit dans l’onglet A.\nÉcrit dans l’onglet B.")  # reconciled
    tab_b.get_by_role("button", name="Enregistrer", exact=True).click()
    tab_b.get_by_text("Fiche enregistrée").wait_for()
    assert tab_b.get_by_text("enregistrée ailleurs entre-temps").count() == 0
    version, content = _latest_content(sheet.id)
    assert version >= 3 and content["s4_worst_case"].splitlines() == ["Écrit dans l’onglet A.", "Écrit dans l’onglet B."]
    tab_b.reload()
    assert tab_b.locator("#s4_worst_case").input_value().splitlines() == ["Écrit dans l’onglet A.", "Écrit dans l’onglet B."]


# Counts the autosave requests the page makes (the fake clock then shows that nothing is retried).
COUNT_AUTOSAVES = """
window.autosaves = 0;
const realFetch = window.fetch;
window.fetch = function (url, options) {
  if (String(url).endsWith("/brouillon")) window.autosaves += 1;
  return realFetch.call(this, url, options);
};
"""


def test_editor_left_open_after_sending_stops_retrying_and_keeps_the_text(page):
    owner = make_user(email="open-editor@example.gouv.fr")
    sheet = make_product_sheet(owner, content=READY)
    db.session.commit()
    browser_login(page, "open-editor@example.gouv.fr", PASSWORD)
    page.add_init_script(COUNT_AUTOSAVES)
    page.clock.install()  # autosave timers run only when the test moves the clock
    page.goto(f"/fiches/{sheet.id}/modifier")

    other_tab = page.context.new_page()
    other_tab.goto(f"/fiches/{sheet.id}")
    other_tab.get_by_role("button", name="Envoyer en relecture").click()
    other_tab.get_by_text("Fiche envoyée en relecture").wait_for()

    page.locator("#s4_worst_case").fill("Tapé dans l’éditeur resté ouvert.")
    with page.expect_response(lambda response: response.url.endswith("/brouillon")) as autosave:
        page.clock.run_for(3_000)
    assert autosave.value.status == 409 and autosave.value.json()["error"] == "not_editable"
    page.get_by_role("alert").filter(has_text="Votre texte n’est plus enregistré automatiquement").wait_for()
    assert "envoyée en relecture" in page.locator("#autosave-status").inner_text()
    assert "Connexion perdue" not in page.content()
    assert_accessible(page, "editor (autosave stopped)")

    page.locator("#s4_small_actions").fill("Et ce mot-là aussi.")
    page.clock.run_for(180_000)  # three minutes of timers: a retry loop would have posted again and again
    assert page.evaluate("window.autosaves") == 1

    copy = page.evaluate(f"localStorage.getItem('beta-training:texte:/fiches/{sheet.id}/brouillon')")
    assert "Tapé dans l’éditeur resté ouvert." in copy and "Et ce mot-là aussi." in copy
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger mon texte").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert re.search(r"== Le pire scénario[^=\n]*==\nTapé dans l’éditeur resté ouvert\.\n", text) and "Et ce mot-là aussi." in text

    page.get_by_role("button", name="Enregistrer", exact=True).click()  # the button too keeps the text
    page.get_by_text("Votre texte n’a pas été enregistré").wait_for()
    assert page.locator("#s4_worst_case").input_value() == "Tapé dans l’éditeur resté ouvert."
    assert page.locator("#s4_small_actions").input_value() == "Et ce mot-là aussi."
    assert_accessible(page, "editor (sheet no longer editable)")
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger mon texte").click()
    assert "Et ce mot-là aussi." in Path(download.value.path()).read_text(encoding="utf-8")
    assert _latest_content(sheet.id)[0] == 1  # the sent version is what trainers read, unchanged

    # Withdrawn from review, the sheet is editable again: this browser offers the text it kept.
    page.get_by_role("link", name="Voir la fiche envoyée").click()
    page.get_by_role("button", name="Retirer de la relecture").click()
    page.get_by_text("Fiche retirée").wait_for()
    page.goto(f"/fiches/{sheet.id}/modifier")
    page.get_by_text("Un texte non enregistré est gardé dans ce navigateur").wait_for()
    page.get_by_role("button", name="Remettre ce texte").click()
    assert page.locator("#s4_worst_case").input_value() == "Tapé dans l’éditeur resté ouvert."
    with page.expect_response(lambda response: response.url.endswith("/brouillon")) as autosave:
        page.clock.run_for(3_000)
    assert autosave.value.status == 200
    # The response reaches the test before the page has read it: wait for the page's own word that it did.
    page.locator("#autosave-status").filter(has_text="Brouillon enregistré automatiquement").wait_for()
    version, content = _latest_content(sheet.id)
    assert version == 2 and content["s4_worst_case"] == "Tapé dans l’éditeur resté ouvert." and content["s4_small_actions"] == "Et ce mot-là aussi."
    assert page.evaluate(f"localStorage.getItem('beta-training:texte:/fiches/{sheet.id}/brouillon')") is None
