"""Alpha journey in Chromium: apply (autosaved draft survives a reload) → review with scores → accept →
the candidate follows the mailed link and confirms → the ICS arrives. Axe on every Alpha page."""

import re
from urllib.parse import urlsplit

import pytest

from beta_training.accounts.models import Role
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick, text_part
from tests.factories import (
    PASSWORD,
    make_alumni_profile,
    make_application,
    make_application_review,
    make_cohort,
    make_programme_item,
    make_speaker,
    make_user,
)

pytestmark = pytest.mark.browser


def _fill_application(page):
    page.locator("#administration").fill("Pôle emploi")
    page.locator("#administration_type").select_option("operateur")
    page.locator("#job_title").fill("Conseillère")
    page.locator("#departement").select_option("69")
    tick(page.get_by_label("Je souhaite en créer une"))
    page.locator("#problem").fill("Chaque année, des centaines de demandeurs d'emploi renoncent à une formation.")
    page.locator("#solution").fill("Un service qui montre les formations proches.")
    page.locator("#first_users").fill("Les conseillers de Lyon.")
    page.locator("#motivation").fill("Je le vois chaque jour.")
    tick(page.locator("#consent_guide"))
    tick(page.locator("#consent_share"))


def test_apply_review_accept_confirm_and_receive_the_calendar(browser, live_server, mailbox):
    cohort = make_cohort(title="Formation Alpha — parcours", seats=28)
    make_user(email="candidate@example.gouv.fr", first_name="Camille", last_name="Candidate")
    make_user(email="trainer@example.gouv.fr", roles=[Role.TRAINER])

    candidate = browser.new_context(base_url=live_server.url).new_page()
    candidate.set_default_timeout(20_000)
    browser_login(candidate, "candidate@example.gouv.fr", PASSWORD)
    candidate.goto(f"/alpha/{cohort.slug}")
    candidate.get_by_role("link", name="Candidater", exact=True).click()
    candidate.locator("#problem").fill("Texte tapé avant une coupure")
    candidate.get_by_text("Brouillon enregistré automatiquement").wait_for()
    candidate.reload()  # the browser "dies": the autosaved draft is there
    assert candidate.locator("#problem").input_value() == "Texte tapé avant une coupure"
    assert candidate.locator("#problem-counter").inner_text().startswith("28 / 1500")

    _fill_application(candidate)
    candidate.get_by_role("button", name="Envoyer ma candidature").click()
    candidate.get_by_text("Votre candidature est envoyée").wait_for()
    assert mailbox.wait_for(1)[0]["Subject"] == "Candidature reçue : Formation Alpha — parcours"

    trainer = browser.new_context(base_url=live_server.url).new_page()
    trainer.set_default_timeout(20_000)
    browser_login(trainer, "trainer@example.gouv.fr", PASSWORD)
    trainer.goto(f"/alpha/gestion/{cohort.id}/candidatures")
    trainer.get_by_role("link", name="Camille Candidate").click()
    for criterion, score in (("problem_score", "5"), ("motivation_score", "4"), ("solution_score", "4")):
        tick(trainer.locator(f"input[name={criterion}][value='{score}']"))
    trainer.get_by_label("Commentaire").fill("Problème bien documenté")
    trainer.get_by_role("button", name="Enregistrer mon évaluation").click()
    trainer.get_by_text("Votre évaluation est enregistrée").wait_for()
    assert "4,33" in trainer.content()  # the average, in French
    tick(trainer.get_by_label("Accepter (proposer une place)"))
    trainer.get_by_role("button", name="Enregistrer la décision").click()
    trainer.get_by_text("Décision enregistrée").wait_for()

    offer = mailbox.wait_for(2)[1]
    assert offer["Subject"] == "Une place vous est proposée : Formation Alpha — parcours"
    link = urlsplit(re.search(r"https?://\S+", text_part(offer)).group(0)).path
    candidate.goto(link)
    candidate.get_by_role("button", name="Je confirme ma place").click()
    candidate.get_by_text("Votre place est confirmée.").first.wait_for()

    confirmation = mailbox.wait_for(3)[2]
    assert confirmation["Subject"] == "Place confirmée : Formation Alpha — parcours"
    [ics] = list(confirmation.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    body = ics.get_payload(decode=True).decode()
    assert "BEGIN:VEVENT" in body and f"DTSTART;TZID=Europe/Paris:{cohort.starts_on:%Y%m%d}T" in body  # timed, Paris


def _alpha_world():
    cohort = make_cohort(slug="alpha-a11y")
    make_programme_item(cohort, speakers=[make_speaker(cohort)])
    candidate = make_user(email="a11y-candidate@example.gouv.fr")
    application = make_application(cohort, candidate, state="accepted")
    make_application_review(application)
    make_application(cohort, state="waitlisted")
    past = make_cohort(slug="alpha-a11y-passee")
    make_application(past, candidate, state="confirmed", attended=True)
    make_alumni_profile(candidate, project="Un projet", contact="moi@example.gouv.fr")
    make_user(email="a11y-trainer@example.gouv.fr", roles=[Role.TRAINER])
    return cohort, application


def test_axe_on_every_alpha_page(page):
    cohort, application = _alpha_world()
    for url in ["/alpha/", f"/alpha/{cohort.slug}"]:
        page.goto(url)
        assert_accessible(page, url)
    browser_login(page, "a11y-candidate@example.gouv.fr", PASSWORD)
    for url in ["/alpha/mes-candidatures", f"/alpha/candidatures/{application.id}", "/alpha/anciens",
                "/alpha/anciens/mon-profil", "/alpha/alpha-a11y-passee"]:
        page.goto(url)
        assert_accessible(page, url)
    page.goto("/compte/")
    page.get_by_role("button", name="Se déconnecter").first.click()
    browser_login(page, "a11y-trainer@example.gouv.fr", PASSWORD)
    trainer_urls = [
        "/alpha/gestion/", "/alpha/gestion/nouvelle", f"/alpha/gestion/{cohort.id}/modifier",
        f"/alpha/gestion/{cohort.id}/programme", f"/alpha/gestion/{cohort.id}/candidatures",
        f"/alpha/gestion/candidatures/{application.id}", f"/alpha/gestion/{cohort.id}/courriel",
        f"/alpha/gestion/{cohort.id}/presence", f"/alpha/gestion/{cohort.id}/annuler", f"/alpha/{cohort.slug}/candidater",
    ]
    for url in trainer_urls:
        page.goto(url)
        assert_accessible(page, url)
    page.goto(f"/alpha/gestion/{cohort.id}/programme")
    page.get_by_role("link", name=re.compile("^Modifier « ")).first.click()
    assert_accessible(page, "programme item")


def test_axe_on_alpha_forms_in_error_state(page):
    cohort, _application = _alpha_world()
    browser_login(page, "a11y-trainer@example.gouv.fr", PASSWORD)
    page.goto("/alpha/gestion/nouvelle")
    page.get_by_role("button", name="Enregistrer la session").click()
    page.get_by_text("Donnez un titre à la session.").first.wait_for()
    assert_accessible(page, "new session (errors)")
    page.goto(f"/alpha/gestion/{cohort.id}/courriel")
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("Saisissez un objet.").first.wait_for()
    assert_accessible(page, "bulk email (errors)")
    page.goto(f"/alpha/gestion/{cohort.id}/programme")
    page.get_by_role("button", name="Ajouter au programme").click()
    page.get_by_text("Donnez un titre.").first.wait_for()
    assert_accessible(page, "programme (errors)")
    page.goto(f"/alpha/gestion/{cohort.id}/annuler")
    page.get_by_role("button", name="Annuler la session et prévenir les candidat·es").click()
    page.get_by_text("Cochez la case pour confirmer l’annulation.").first.wait_for()
    assert_accessible(page, "cancel session (errors)")
    # A candidate sending an incomplete application.
    make_user(email="incomplete@example.gouv.fr")
    page.goto("/compte/")
    page.get_by_role("button", name="Se déconnecter").first.click()
    browser_login(page, "incomplete@example.gouv.fr", PASSWORD)
    page.goto(f"/alpha/{cohort.slug}/candidater")
    page.get_by_role("button", name="Envoyer ma candidature").click()
    page.get_by_text("il manque des réponses").first.wait_for()
    assert_accessible(page, "application (errors)")


def test_clearing_an_answer_of_a_sent_application_never_reaches_the_trainers(browser, live_server):
    """Autosave on a sent application: clearing « Votre motivation » is refused with a clear message, and the
    trainers keep reading the full answers that were sent."""
    from beta_training.cohorts.models import CohortApplication
    from beta_training.extensions import db
    from tests.factories import COMPLETE_ANSWERS

    cohort = make_cohort()
    user = make_user(email="sent@example.gouv.fr")
    application = make_application(cohort, user, state="submitted")
    make_user(email="reader@example.gouv.fr", roles=[Role.TRAINER])
    candidate = browser.new_context(base_url=live_server.url).new_page()
    candidate.set_default_timeout(20_000)
    browser_login(candidate, "sent@example.gouv.fr", PASSWORD)
    candidate.goto(f"/alpha/{cohort.slug}/candidater")
    candidate.locator("#motivation").fill("")
    candidate.get_by_text("doit rester complète").wait_for()
    assert "« Votre motivation »" in candidate.locator("#autosave-status").inner_text()
    assert candidate.get_by_text("Brouillon enregistré automatiquement").count() == 0

    db.session.commit()  # a fresh read of what the live server kept
    assert db.session.get(CohortApplication, application.id).motivation == COMPLETE_ANSWERS["motivation"]
    trainer = browser.new_context(base_url=live_server.url).new_page()
    trainer.set_default_timeout(20_000)
    browser_login(trainer, "reader@example.gouv.fr", PASSWORD)
    trainer.goto(f"/alpha/gestion/candidatures/{application.id}")
    trainer.get_by_text(COMPLETE_ANSWERS["motivation"]).wait_for()


def test_a_tab_opened_earlier_cannot_replace_the_application_sent_from_another(browser, live_server):
    """Two tabs on the form: the newer one autosaves as she types, then sends (its button carries the version
    its autosaves wrote, so it does not conflict with itself); the older one's autosave is told, and its
    button shows the sent answers next to its own text, which stays in the form."""
    from beta_training.cohorts.models import CohortApplication
    from beta_training.extensions import db

    cohort = make_cohort()
    application = make_application(cohort, make_user(email="tabs@example.gouv.fr"), state="draft", motivation="Au début")
    context = browser.new_context(base_url=live_server.url)
    older, newer = context.new_page(), context.new_page()
    for page in (older, newer):
        page.set_default_timeout(20_000)
    browser_login(older, "tabs@example.gouv.fr", PASSWORD)
    older.goto(f"/alpha/{cohort.slug}/candidater")
    newer.goto(f"/alpha/{cohort.slug}/candidater")
    newer.locator("#motivation").fill("Écrite dans le nouvel onglet")
    newer.get_by_text("Brouillon enregistré automatiquement").wait_for()
    newer.get_by_role("button", name="Envoyer ma candidature").click()
    newer.get_by_text("Votre candidature est envoyée").wait_for()

    older.locator("#motivation").fill("Écrite dans l’ancien onglet")
    older.get_by_text("enregistrée entre-temps").first.wait_for()  # its autosave is refused, and says why
    older.get_by_role("button", name="Envoyer ma candidature").click()
    older.locator(".fr-callout", has_text="Écrite dans le nouvel onglet").wait_for()
    assert older.locator("#motivation").input_value() == "Écrite dans l’ancien onglet"
    db.session.commit()
    assert db.session.get(CohortApplication, application.id).motivation == "Écrite dans le nouvel onglet"
    assert_accessible(older, "candidature modifiée entre-temps")
