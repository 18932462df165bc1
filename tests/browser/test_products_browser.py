"""Products in Chromium: a trainer makes a product of an approved fiche and plans its comité → the team prepares
its file (autosaved: reloaded, the text is there), sends it → the trainer scores it on the grille d'arbitrage
and records the decision → the team is emailed, the product is in construction. Axe on every product page."""

from datetime import date, timedelta

import pytest

from beta_training.accounts.models import Role
from beta_training.extensions import db
from beta_training.core.models import utcnow
from beta_training.sheets.services import create_milestones
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick
from tests.factories import COMPLETE_SHEET, PASSWORD, make_committee, make_product, make_product_sheet, make_user

pytestmark = pytest.mark.browser


def _context_page(browser, live_server):
    page = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    page.set_default_timeout(20_000)
    return page


def test_from_approved_fiche_to_a_decided_comite(browser, live_server, mailbox):
    intra = make_user(email="intra@example.gouv.fr", first_name="Inès")
    make_user(email="trainer@example.gouv.fr", roles=[Role.TRAINER])
    sheet = make_product_sheet(intra, state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    create_milestones(sheet)
    db.session.commit()

    trainer = _context_page(browser, live_server)
    browser_login(trainer, "trainer@example.gouv.fr", PASSWORD)
    trainer.goto("/produits/")
    assert_accessible(trainer, "products list (empty)")
    trainer.get_by_role("link", name="Créer un produit").click()
    trainer.locator("#sheet_id").select_option(str(sheet.id))
    trainer.locator("#started_on").fill((date.today() - timedelta(days=60)).isoformat())
    trainer.locator("#incubator_name").fill("Incubateur de la DINUM")
    trainer.locator("#incubator_id").fill("dinum")
    trainer.locator("#sponsors").fill("Direction interministérielle du numérique ; /organisations/dinum")
    trainer.get_by_role("button", name="Créer le produit").click()
    trainer.get_by_text("n’est pas un identifiant de beta.gouv.fr").first.wait_for()
    assert_accessible(trainer, "new product (errors)")
    trainer.locator("#sponsors").fill("Direction interministérielle du numérique ; dinum")
    trainer.get_by_role("button", name="Créer le produit").click()
    trainer.get_by_text("en investigation").first.wait_for()
    trainer.locator("#held_on").fill(date.today().isoformat())  # held today: decided once its file is in
    trainer.get_by_role("button", name="Prévoir le comité").click()
    trainer.get_by_text("l’équipe est prévenue").wait_for()
    assert_accessible(trainer, "product page")
    product_url = trainer.url

    team = _context_page(browser, live_server)
    browser_login(team, "intra@example.gouv.fr", PASSWORD)
    team.goto(product_url)
    team.get_by_role("link", name="Comité du").first.click()
    team.get_by_role("link", name="Préparer le dossier").click()
    team.locator("#objectives_reached").fill("Deux objectifs sur trois atteints : 140 familles inscrites.")
    team.get_by_text("Brouillon enregistré automatiquement").wait_for()
    team.reload()  # the browser closed mid-sentence: the autosaved text is there
    assert team.locator("#objectives_reached").input_value().startswith("Deux objectifs")
    team.locator("#priorities-0-title").fill("Ouvrir le service aux vingt communes")
    team.locator("#priorities-0-expected").fill("600 familles inscrites")
    team.locator("#budget_development").fill("120000")
    team.get_by_role("button", name="Enregistrer", exact=True).click()
    team.get_by_text("Dossier enregistré").wait_for()
    assert_accessible(team, "committee file")
    team.get_by_role("button", name="Envoyer le dossier au comité").click()
    team.get_by_text("Dossier envoyé au comité").wait_for()
    assert_accessible(team, "committee page (sent)")

    trainer.goto(team.url)
    trainer.get_by_role("link", name="Noter sur la grille d’arbitrage").click()
    trainer.get_by_role("button", name="Enregistrer mes notes").click()
    trainer.get_by_text("Donnez une note de 1 à 5").first.wait_for()
    assert_accessible(trainer, "grille d'arbitrage (errors)")
    for key, index in (("bilan", 3), ("objectifs", 3), ("besoins", 4)):
        tick(trainer.locator(f"#score_{key}-{index}"))
    trainer.get_by_role("button", name="Enregistrer mes notes").click()
    trainer.get_by_text("Notes enregistrées").wait_for()
    trainer.get_by_role("link", name="Enregistrer la décision").click()
    assert_accessible(trainer, "decision page")
    tick(trainer.get_by_label("Continuité du projet à budget iso ou supérieur"))
    trainer.locator("#next_phase").select_option("construction")
    trainer.locator("#reasons").fill("Le problème est confirmé par 40 entretiens.")
    trainer.get_by_role("button", name="Enregistrer la décision et l’envoyer à l’équipe").click()
    trainer.get_by_text("Décision enregistrée et envoyée à l’équipe").wait_for()
    assert_accessible(trainer, "committee page (decided)")

    team.goto(product_url)
    team.get_by_text("Investigation → Construction").wait_for()
    subjects = [m["Subject"] for m in mailbox.wait_for(3)]
    assert any(subject.startswith("Décision du comité d’investissement") for subject in subjects), subjects


def test_axe_on_the_other_product_pages(page):
    member = make_user(email="a11y-team@example.gouv.fr")
    make_user(email="a11y-trainer@example.gouv.fr", roles=[Role.TRAINER])
    product = make_product(team=[member])
    make_committee(product, state="decided", held_on=date.today() - timedelta(days=10))
    browser_login(page, "a11y-trainer@example.gouv.fr", PASSWORD)
    for url in ["/produits/", "/produits/impact", "/produits/nouveau", f"/produits/{product.id}"]:
        page.goto(url)
        assert_accessible(page, url)
    page.goto(f"/produits/{product.id}")
    page.get_by_role("button", name="Changer de phase").click()
    page.get_by_text("Choisissez la nouvelle phase.").first.wait_for()
    assert_accessible(page, "product page (phase form errors)")
