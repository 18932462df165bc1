"""In headless Chromium: sign-up and password reset through real mail, axe on every foundation page,
forms in their error state, and keyboard use."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from beta_training.accounts.models import Role
from beta_training.cohorts.models import CohortStatus
from tests.a11y import assert_accessible
from tests.conftest import browser_login, text_part
from tests.factories import PASSWORD, make_cohort, make_course, make_course_module, make_course_run, make_programme_item, make_sequence, make_speaker, make_user

pytestmark = pytest.mark.browser
NEW_PASSWORD = "une phrase de passe solide"


def _mailed_path(message) -> str:
    return urlsplit(re.search(r"https?://\S+", text_part(message)).group(0)).path


def test_sign_up_confirm_and_log_in(page, mailbox):
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").first.click()
    page.get_by_label("Prénom").fill("Inès")
    page.get_by_label("Nom", exact=True).fill("Intrapreneure")
    page.get_by_label("Adresse électronique").fill("ines@example.gouv.fr")
    page.locator("input[name=password]").fill(NEW_PASSWORD)
    page.locator("input[name=confirm]").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()

    [message] = mailbox.wait_for(1)
    assert message["To"] == "ines@example.gouv.fr"
    page.goto(_mailed_path(message))
    page.get_by_role("button", name="Confirmer mon adresse").click()
    page.get_by_text("Votre adresse est confirmée").wait_for()

    page.get_by_label("Adresse électronique").fill("ines@example.gouv.fr")
    page.locator("input[name=password]").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.wait_for_url("**/compte/")
    assert page.get_by_role("heading", name="Mon compte").is_visible()
    assert "Inès Intrapreneure" in page.content()


def test_password_reset_by_mail(page, mailbox):
    make_user(email="oubli@example.gouv.fr")
    page.goto("/compte/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Adresse électronique").fill("oubli@example.gouv.fr")
    page.get_by_role("button", name="Recevoir le lien").click()
    page.get_by_text("Si un compte existe pour cette adresse").wait_for()

    [message] = mailbox.wait_for(1)
    assert (message["To"], message["Subject"]) == ("oubli@example.gouv.fr", "Réinitialisez votre mot de passe")
    link = _mailed_path(message)
    assert link.startswith("/compte/reinitialiser/")
    page.goto(link)
    page.locator("input[name=password]").fill(NEW_PASSWORD)
    page.locator("input[name=confirm]").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.get_by_text("Votre mot de passe a été modifié").wait_for()
    assert urlsplit(page.url).path == "/compte/connexion"

    # The old password no longer opens the account; the link has served once and is dead.
    page.get_by_label("Adresse électronique").fill("oubli@example.gouv.fr")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_text("Adresse électronique ou mot de passe incorrect.").first).to_be_visible()
    assert urlsplit(page.url).path == "/compte/connexion"
    assert page.goto(link).status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien expiré ou invalide")

    browser_login(page, "oubli@example.gouv.fr", NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")


def test_log_in_with_the_keyboard_only(page):
    make_user(email="clavier@example.gouv.fr")
    page.goto("/compte/connexion")
    page.keyboard.press("Tab")  # first stop: the skip links
    assert page.evaluate("document.activeElement.textContent.trim()") == "Contenu"
    assert_accessible(page, "skip links shown on focus")
    page.keyboard.press("Enter")
    page.locator("#id-email, input[name=email]").first.focus()
    page.keyboard.type("clavier@example.gouv.fr")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/compte/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")


def _world():
    cohort = make_cohort(slug="alpha-a11y")
    make_programme_item(cohort, speakers=[make_speaker(cohort)], description="Avec **des usagers**.")
    make_cohort(slug="alpha-ancienne", starts_on=cohort.starts_on.replace(year=2017), status=CohortStatus.ARCHIVED)
    course = make_course(slug="mooc-a11y")
    make_course_run(course)
    make_sequence(make_course_module(course))
    return make_user(email="admin-a11y@example.gouv.fr", roles=[Role.ADMIN])


ANONYMOUS_PAGES = [
    "/", "/accessibilite", "/mentions-legales", "/donnees-personnelles", "/gestion-des-cookies", "/plan-du-site",
    "/alpha/", "/alpha/alpha-a11y", "/mooc/", "/mooc/mooc-a11y", "/compte/connexion", "/compte/inscription",
    "/compte/mot-de-passe-oublie", "/compte/inscription/verifiez-vos-courriels", "/compte/confirmer/invalide",
    "/page-inexistante",
]
SIGNED_IN_PAGES = ["/compte/", "/compte/profil", "/compte/mot-de-passe", "/admin/utilisateurs", "/admin/utilisateurs/{admin}"]


def test_axe_on_every_foundation_page(page):
    admin = _world()
    for url in ANONYMOUS_PAGES:
        page.goto(url)
        assert_accessible(page, url)
    browser_login(page, "admin-a11y@example.gouv.fr", PASSWORD)
    for url in SIGNED_IN_PAGES:
        page.goto(url.format(admin=admin.id))
        assert_accessible(page, url)


FORMS_IN_ERROR = [
    ("/compte/inscription", "Créer mon compte", "Saisissez votre prénom."),
    ("/compte/connexion", "Se connecter", "Saisissez votre adresse électronique."),
    ("/compte/mot-de-passe-oublie", "Recevoir le lien", "Saisissez votre adresse électronique."),
]


@pytest.mark.parametrize("url,button,error", FORMS_IN_ERROR)
def test_axe_on_forms_in_error_state(page, url, button, error):
    page.goto(url)
    page.get_by_role("button", name=button, exact=True).click()
    page.get_by_text(error).first.wait_for()
    assert page.locator('[aria-invalid="true"]').count() >= 1
    assert_accessible(page, f"{url} (erreurs)")


def test_axe_on_signed_in_forms_in_error_state(page):
    make_user(email="erreurs@example.gouv.fr")
    browser_login(page, "erreurs@example.gouv.fr", PASSWORD)
    page.goto("/compte/mot-de-passe")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Saisissez votre mot de passe actuel.").first.wait_for()
    assert_accessible(page, "/compte/mot-de-passe (erreurs)")
    page.goto("/compte/profil")
    page.get_by_label("Prénom").fill("")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Saisissez votre prénom.").first.wait_for()
    assert_accessible(page, "/compte/profil (erreurs)")


def test_error_summary_links_to_the_field(page):
    page.goto("/compte/inscription")
    page.get_by_role("button", name="Créer mon compte").click()
    page.locator("#error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "first_name"
