"""The fiche produit, sequence by sequence, in Chromium: at the end of each sequence the learner answers its
questions (autosaved), the outline ticks the part; she has the roadmap proposed from her answers, completes
and sends the fiche; a trainer comments one part; the learner sees the comment beside that part. Axe on the
new pages (part page, show, editor, review) at 1280 and 375 px."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from beta_training.accounts.models import Role
from beta_training.extensions import db
from beta_training.sheets.models import PARTS, ProductSheet
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick
from tests.factories import ANSWERED_PARTS, PASSWORD, make_enrolment, make_mooc, make_user

pytestmark = pytest.mark.browser

WIDTHS = ((1280, 900), (375, 812))
PART_TITLES = ["Séquence 1 : Résoudre les problèmes des usagers", "Séquence 2 : Trouver ses premiers utilisateurs",
               "Séquence 3 : Mesurer son impact dans le réel", "Séquence 4 : Survivre en milieu hostile",
               "Séquence 5 : Faire de l’industriel en mode artisanal"]


def _new_page(browser, live_server):
    page = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    page.set_default_timeout(20_000)
    return page


def _accessible_at_every_width(page, label):
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page, f"{label} at {width} px")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_learner_answers_each_sequence_at_its_end_sends_and_reads_the_comment_beside_its_part(browser, live_server):
    course, run = make_mooc(sequences=(4, 1), kinds=("text",))
    learner_user = make_user(email="parts-learner@example.gouv.fr", first_name="Léa")
    enrolment = make_enrolment(run, learner_user)
    make_user(email="parts-trainer@example.gouv.fr", roles=[Role.TRAINER])
    db.session.commit()
    outline = f"/mooc/{course.slug}?run={run.slug}"

    learner = _new_page(browser, live_server)
    browser_login(learner, "parts-learner@example.gouv.fr", PASSWORD)
    for part in PARTS:
        # The sequence's last item (its only one here) leads to its questions.
        learner.goto(f"/mooc/{course.slug}/{run.slug}/contenu/s{part.sequence}-text")
        learner.get_by_role("link", name=f"Suivant : votre fiche produit, séquence {part.sequence}").click()
        learner.get_by_role("heading", level=1, name=re.compile(f"Séquence {part.sequence} :")).wait_for()
        for question in part.questions:
            learner.locator(f"#{question.key}").fill(ANSWERED_PARTS[question.key])
        if part.sequence == 1:  # the first one by autosave: the fiche is created with it
            learner.get_by_text("Brouillon enregistré automatiquement").wait_for()
            learner.reload()
            assert learner.locator("#s1_problem").input_value() == ANSWERED_PARTS["s1_problem"]
            _accessible_at_every_width(learner, "part page")
        else:
            learner.get_by_role("button", name="Enregistrer mes réponses").click()
            learner.get_by_text(f"Vos réponses à la séquence {part.sequence} sont enregistrées").wait_for()
        learner.goto(outline)
        entry = learner.locator(f"#fiche-sequence-{part.sequence}")
        expect(entry).to_contain_text("répondue")  # in its section of the outline, closed once the sequence is done
        if part.sequence < 5:
            assert learner.locator(f"#fiche-sequence-{part.sequence + 1}").get_by_text("répondue").count() == 0

    # The whole fiche: the name, then the roadmap proposed from her answers, which she completes.
    learner.goto(f"/fiches/mooc/{course.slug}/{run.slug}/sequence/5")
    learner.get_by_role("link", name="Voir toute ma fiche produit").click()
    headings = [" ".join(h.text_content().split()) for h in learner.locator("section h2.fr-h4").all()]
    assert headings[:6] == [f"{title} répondue" for title in PART_TITLES] + ["Feuille de route à 6 mois"]
    _accessible_at_every_width(learner, "show")
    learner.get_by_role("link", name="Modifier").click()
    learner.locator("#name").fill("Trouve ta cantine")
    learner.get_by_role("button", name="Proposer à partir de mes réponses").click()
    learner.get_by_text("propositions ajoutées à la feuille de route").wait_for()
    assert learner.locator("#milestones-0-title").input_value() == "Rencontrer dix familles"
    assert learner.locator("#indicators-0-name").input_value() == "Taux de recours"
    _accessible_at_every_width(learner, "editor with proposals")
    learner.locator("#milestones-0-due_on").fill("2027-01-15")
    for index, (baseline, target) in enumerate([("20 %", "60 %"), ("0", "10")]):
        learner.locator(f"#indicators-{index}-baseline").fill(baseline)
        learner.locator(f"#indicators-{index}-target").fill(target)
    learner.get_by_role("button", name="Enregistrer", exact=True).click()
    learner.get_by_text("Fiche enregistrée").wait_for()
    learner.get_by_role("link", name="Aperçu et envoi en relecture").click()
    learner.get_by_role("button", name="Envoyer en relecture").click()
    learner.get_by_text("Fiche envoyée en relecture").wait_for()
    learner.goto(f"/fiches/mooc/{course.slug}/{run.slug}/sequence/4")  # sent: her answers, read only
    learner.get_by_text("Votre fiche n’est plus modifiable pour le moment").wait_for()
    assert learner.locator("#part-form").count() == 0 and ANSWERED_PARTS["s4_worst_case"] in learner.content()
    _accessible_at_every_width(learner, "part page (sent)")

    trainer = _new_page(browser, live_server)
    browser_login(trainer, "parts-trainer@example.gouv.fr", PASSWORD)
    trainer.goto("/fiches/relecture")
    trainer.get_by_role("button", name=re.compile("^Prendre")).click()
    _accessible_at_every_width(trainer, "review")
    trainer.get_by_label("Commentaire : Séquence 3 : Mesurer son impact dans le réel").fill("Donnez un point de départ chiffré.")
    tick(trainer.get_by_label("Demander des modifications"))
    trainer.get_by_role("button", name="Envoyer la relecture").click()
    trainer.get_by_text("Relecture envoyée").wait_for()

    learner.goto(f"/fiches/mooc/{course.slug}/{run.slug}/sequence/3")
    assert "Donnez un point de départ chiffré." in learner.locator(".bt-feedback").inner_text()
    learner.goto(f"/fiches/mooc/{course.slug}/{run.slug}/sequence/2")
    assert learner.locator(".bt-feedback").count() == 0
    db.session.commit()  # a fresh read: the live server wrote it
    sheet_id = db.session.scalar(sa.select(ProductSheet.id).where(ProductSheet.enrolment_id == enrolment.id))
    learner.goto(f"/fiches/{sheet_id}")
    assert "Donnez un point de départ chiffré." in learner.locator("#partie-3 .bt-feedback").inner_text()
    assert learner.locator("#partie-2 .bt-feedback").count() == 0
    learner.get_by_role("link", name="Modifier").click()
    assert "Donnez un point de départ chiffré." in learner.locator("fieldset#partie-3 .bt-feedback").inner_text()
    _accessible_at_every_width(learner, "editor with a comment")
