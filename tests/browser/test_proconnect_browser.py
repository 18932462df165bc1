"""ProConnect journeys in Chromium, against the loopback OpenID provider (tests/oidc_provider.py): the button
(a form, whose redirect to the provider our CSP must allow), the provider's page, back, and out again."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from beta_training.accounts.models import User
from beta_training.extensions import db
from tests.a11y import assert_accessible
from tests.conftest import free_port
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

EMAIL = "agnes.durand@interieur.gouv.fr"


@pytest.fixture
def config_overrides(oidc_provider, request):
    return {**oidc_provider.settings, **getattr(request, "param", {})}


@pytest.fixture(autouse=True)
def links_to_the_live_server(app, live_server):
    app.config["BASE_URL"] = live_server.url  # the redirect_uri and post_logout_redirect_uri the provider uses


def proconnect_button(page):
    return page.get_by_role("button", name="S’identifier avec ProConnect")


def at_the_provider_sign_in_as(page, provider, sub):
    page.wait_for_url(provider.url + "/oauth2/authorize**")
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_first_sign_in_profile_logout_and_return_visit(page, live_server, oidc_provider):
    oidc_provider.agent("agent-b1", EMAIL, given_name="Agnès", usual_name="Durand")
    page.goto("/compte/connexion")
    expect(page.get_by_role("link", name="Qu’est-ce que ProConnect ?")).to_have_attribute("target", "_blank")
    assert_accessible(page, "sign-in page with the ProConnect button")
    proconnect_button(page).click()
    at_the_provider_sign_in_as(page, oidc_provider, "agent-b1")

    page.wait_for_url("**/compte/profil/completer**")
    expect(page.get_by_label("Prénom")).to_have_value("Agnès")
    assert_accessible(page, "profile completion")
    page.locator("input[name=administration]").fill("DINUM")
    page.locator("select[name=administration_type]").select_option("etat")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url("**/compte/")
    expect(page.get_by_role("link", name="Définir un mot de passe")).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").click()  # a form whose redirect leads to the provider
    page.wait_for_url(oidc_provider.url + "/oauth2/end_session**")
    [ended] = oidc_provider.end_session_requests
    assert ended["id_token_hint"].count(".") == 2 and len(ended["state"]) >= 32
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(live_server.url + "/")
    expect(page.get_by_text("Vous êtes déconnecté·e, ici et de ProConnect.")).to_be_visible()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()

    page.goto("/compte/connexion")  # return visit: straight to the account, the same one
    proconnect_button(page).click()
    at_the_provider_sign_in_as(page, oidc_provider, "agent-b1")
    page.wait_for_url("**/compte/")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_linking_an_existing_account_asks_for_its_password(page, oidc_provider):
    existing = make_user(email=EMAIL, administration="DINUM", administration_type="etat")
    oidc_provider.agent("agent-b2", EMAIL)
    page.goto("/compte/inscription")
    proconnect_button(page).click()
    at_the_provider_sign_in_as(page, oidc_provider, "agent-b2")
    page.wait_for_url("**/compte/proconnect/associer/**")
    assert_accessible(page, "link page")
    page.locator("input[name=password]").fill("ce n'est pas le bon")
    page.get_by_role("button", name="Associer mon compte").click()
    expect(page.get_by_text("Le mot de passe est incorrect.").first).to_be_visible()
    assert db.session.get(User, existing.id).proconnect_sub is None
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Associer mon compte").click()
    page.wait_for_url("**/compte/")
    db.session.commit()  # a fresh snapshot: the live server wrote it
    assert db.session.get(User, existing.id).proconnect_sub == "agent-b2"


def error_page(page, title, status_label):
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.get_by_role("link", name="Réessayer")).to_be_visible()
    expect(page.get_by_role("link", name="Se connecter avec un mot de passe")).to_be_visible()
    assert_accessible(page, status_label)


def test_tampered_state(page, live_server, oidc_provider):
    oidc_provider.agent("agent-b3", EMAIL)
    page.goto("/compte/connexion")
    proconnect_button(page).click()
    page.wait_for_url(oidc_provider.url + "/oauth2/authorize**")
    response = page.goto(f"{live_server.url}/compte/proconnect/retour?code=abc&state={'x' * 64}")
    assert response.status == 400
    error_page(page, "Connexion inconnue ou expirée", "bad state")


def test_wrong_nonce(page, oidc_provider):
    oidc_provider.nonce_override = "r" * 64
    oidc_provider.agent("agent-b4", EMAIL)
    page.goto("/compte/connexion")
    proconnect_button(page).click()
    at_the_provider_sign_in_as(page, oidc_provider, "agent-b4")
    error_page(page, "Connexion refusée", "wrong nonce")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_denied_consent(page, oidc_provider):
    page.goto("/compte/connexion")
    proconnect_button(page).click()
    page.wait_for_url(oidc_provider.url + "/oauth2/authorize**")
    page.get_by_role("button", name="Deny").click()
    error_page(page, "Connexion annulée", "denied")


@pytest.mark.parametrize("config_overrides", [{"PROCONNECT_DISCOVERY_URL": f"http://127.0.0.1:{free_port()}/x"}],
                         indirect=True)  # nothing listens there
def test_provider_unreachable(page):
    page.goto("/compte/connexion")
    with page.expect_response("**/compte/proconnect/connexion**") as answer:
        proconnect_button(page).click()
    assert answer.value.status == 503
    error_page(page, "ProConnect ne répond pas", "provider unreachable")
