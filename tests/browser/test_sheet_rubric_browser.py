"""The fiche review as a rubric, in Chromium: a first trainer scores the grid and asks for a second opinion, a
second trainer takes it from the queue and decides; the learner reads the grid round by round, the earlier
comments, compares two versions and restores one; a trainer comments on the follow-up. Axe on every new page."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from beta_training.accounts.models import Role
from beta_training.extensions import db
from beta_training.sheets import services
from beta_training.sheets.models import SheetMilestone
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick
from tests.factories import COMPLETE_SHEET, PASSWORD, make_product_sheet, make_sheet_review, make_sheet_version, make_user

pytestmark = pytest.mark.browser


def _page(browser, live_server, email):
    page = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    page.set_default_timeout(20_000)
    browser_login(page, email, PASSWORD)
    return page


def test_second_opinion_grid_history_and_versions(browser, live_server):
    owner = make_user(email="autrice@example.gouv.fr", first_name="Léa")
    make_user(email="anne@example.gouv.fr", roles=[Role.TRAINER], first_name="Anne", last_name="Relue")
    make_user(email="bruno@example.gouv.fr", roles=[Role.TRAINER], first_name="Bruno", last_name="Second")
    sheet = make_product_sheet(owner, state="submitted", content={**COMPLETE_SHEET, "s1_problem": "Premier paragraphe.\nDeux mille familles."},
                               review_round=2)
    # Round 1 is over (changes requested); the learner edited and sent it again: round 2.
    make_sheet_review(sheet, round=1, section_comments={"s1": "Tour 1 : chiffrez le drame."}, scores={"positioning": 2})
    make_sheet_version(sheet, 2, {**COMPLETE_SHEET, "s1_problem": "Premier paragraphe.\nTrois mille familles.\nUn ajout."}, author=owner)
    sheet.current_version = 2
    db.session.commit()

    anne = _page(browser, live_server, "anne@example.gouv.fr")
    anne.goto("/fiches/relecture")
    anne.get_by_role("button", name=re.compile("^Prendre")).click()
    anne.locator("#comment_s1").fill("Tour 2 : mieux chiffré.")
    tick(anne.locator("#score_positioning-2"))  # the third level: « 3 – Correct : … »
    tick(anne.get_by_label(re.compile("^Demander un second avis")))
    anne.get_by_role("button", name="Envoyer la relecture").click()
    anne.get_by_text("Dites à vos collègues pourquoi vous demandez un second avis.").first.wait_for()
    assert_accessible(anne, "review (second opinion without a reason)")
    anne.locator("#second_opinion_reason").fill("Je connais mal le domaine.")
    anne.get_by_role("button", name="Envoyer la relecture").click()
    anne.get_by_text("Relecture envoyée").wait_for()

    bruno = _page(browser, live_server, "bruno@example.gouv.fr")
    bruno.goto("/fiches/relecture")
    bruno.get_by_role("link", name="En attente d’un second avis").click()
    assert_accessible(bruno, "queue: waiting for a second opinion")
    bruno.get_by_role("button", name=re.compile("^Donner le second avis")).click()
    expect(bruno.locator("#review-s1").locator("xpath=ancestor::section").locator(".bt-comment-history")).to_contain_text(
        "Tour 2, Anne Relue")
    assert_accessible(bruno, "review page with the history and the grid")
    tick(bruno.locator("#score_positioning-3"))
    tick(bruno.get_by_label("Demander des modifications"))
    bruno.get_by_role("button", name="Envoyer la relecture").click()
    bruno.get_by_text("Relecture envoyée").wait_for()

    learner = _page(browser, live_server, "autrice@example.gouv.fr")
    learner.goto(f"/fiches/{sheet.id}")
    round2 = learner.locator("#round-2")
    expect(round2.locator("tbody tr").first).to_contain_text("3 sur 5 : Correct")
    expect(round2.locator("tbody tr").first).to_contain_text("3,5")
    # Two reviewers' levels with their descriptors: the cells wrap, the table does not scroll sideways at 1280 px.
    learner.set_viewport_size({"width": 1280, "height": 900})
    assert learner.evaluate("""() => { const box = document.querySelector('#round-2').closest('.fr-table__container');
                                       return box.scrollWidth <= box.clientWidth + 1; }""")
    learner.get_by_role("button", name="Ce que veut dire chaque niveau de la grille").click()
    expect(learner.locator("#rubric-levels")).to_be_visible()
    expect(learner.locator("#partie-1 .bt-comment-history")).to_contain_text("Tour 1")
    assert_accessible(learner, "sheet with the grid, rounds and history")

    learner.get_by_role("link", name="Historique des versions").click()
    assert_accessible(learner, "versions")
    learner.get_by_role("link", name="Ce qui a changé dans la version 2").click()
    expect(learner.locator("section.bt-diff").first.locator("p")).to_have_count(3)  # paragraphs kept
    expect(learner.locator("section.bt-diff").first).to_contain_text("Paragraphe ajouté")
    assert_accessible(learner, "compare")
    learner.goto(f"/fiches/{sheet.id}/versions/1")
    assert_accessible(learner, "one version")
    learner.get_by_role("button", name="Restaurer cette version").click()
    learner.get_by_text("Version 1 restaurée : c’est maintenant la version 3.").wait_for()
    expect(learner.locator("tbody tr").first).to_contain_text("Restauration (version 1)")


def test_a_trainer_comments_on_the_follow_up_and_the_learner_reads_it(browser, live_server):
    owner = make_user(email="suivi@example.gouv.fr")
    make_user(email="coach@example.gouv.fr", roles=[Role.TRAINER], first_name="Camille", last_name="Coach")
    approved = make_product_sheet(owner, state="approved", content=COMPLETE_SHEET, approved_at=services.utcnow())
    db.session.add(SheetMilestone(sheet_id=approved.id, position=1, title="Premiers usagers", due_on=date(2027, 1, 15)))
    db.session.commit()

    coach = _page(browser, live_server, "coach@example.gouv.fr")
    coach.goto(f"/fiches/{approved.id}/feuille-de-route")
    coach.get_by_role("button", name="Commenter").click()
    coach.get_by_text("Écrivez votre commentaire.").first.wait_for()
    assert_accessible(coach, "follow-up comment (errors)")
    coach.get_by_label("Sur quel jalon ou indicateur ?").select_option(label="Jalon : Premiers usagers")
    coach.locator("#body").fill("Datez la mise en ligne.")
    coach.get_by_role("button", name="Commenter").click()
    coach.get_by_text("Commentaire enregistré").wait_for()

    learner = _page(browser, live_server, "suivi@example.gouv.fr")
    learner.goto(f"/fiches/{approved.id}/feuille-de-route")
    expect(learner.locator("#commentaires").locator("xpath=..")).to_contain_text("Camille Coach")
    expect(learner.locator("#commentaires").locator("xpath=..")).to_contain_text("Datez la mise en ligne.")
    assert_accessible(learner, "follow-up with comments")


def test_at_375_px_the_averages_are_in_sight_without_scrolling_the_grid(browser, live_server):
    owner = make_user(email="autrice@example.gouv.fr", first_name="Léa")
    sheet = make_product_sheet(owner, state="changes_requested", content=COMPLETE_SHEET)
    scores = {"positioning": 3, "indicators": 4, "go_to_market": 5}
    make_sheet_review(sheet, verdict="second_review", scores=scores)
    make_sheet_review(sheet, scores={"positioning": 4, "indicators": 2})
    db.session.commit()

    page = _page(browser, live_server, "autrice@example.gouv.fr")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/fiches/{sheet.id}")
    table = page.locator("#round-1")
    table.scroll_into_view_if_needed()
    # Each reviewer's notes carry their descriptors (wide columns): the averages come before them, in sight.
    for cell in (table.get_by_role("columnheader", name="Moyenne", exact=True),
                 table.get_by_role("row", name=re.compile("^Moyenne générale")).get_by_role("cell").first):
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    expect(table.get_by_role("row", name=re.compile("^Moyenne générale")).get_by_role("cell").first).to_have_text("3,8")  # (3.5 + 3 + 5) / 3
    assert_accessible(page, "the grid at 375 px")
