"""ProConnect sign-in against a real OpenID provider on loopback (tests/oidc_provider.py): the Flask test client
plays the browser, `oidc_provider.authorize()` the person on the provider's page."""

import logging

import pytest
import requests
import sqlalchemy as sa

from beta_training.accounts import services
from beta_training.accounts.models import User
from beta_training.config import Config, production_refusal
from beta_training.core.models import StateChange
from beta_training.extensions import db
from tests.conftest import free_port, text_part
from tests.factories import PASSWORD, make_user
from tests.oidc_provider import CLIENT_ID, SCOPES, path_and_query, query_of

EMAIL = "agnes.durand@interieur.gouv.fr"


@pytest.fixture
def config_overrides(oidc_provider, request):
    """The loopback provider's settings, with a test's own (indirect parametrize); OFF: not configured."""
    extra = getattr(request, "param", {})
    return {} if extra is OFF else {**oidc_provider.settings, **extra}


OFF = {}


def start(client, **params):
    response = client.get("/compte/proconnect/connexion", query_string=params)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def sign_in(client, provider, sub, *, deny=False):
    """The whole round trip; the response of our callback."""
    back = provider.authorize(start(client), sub=sub, deny=deny)
    return client.get(path_and_query(back))


def users(**where):
    return db.session.scalars(sa.select(User).filter_by(**where)).all()


def timeline(user):
    return db.session.scalars(sa.select(StateChange).where(StateChange.subject_type == "users",
                                                          StateChange.subject_id == user.id)).all()


def signed_in_as(client):
    """Signed in (the profile page answers, instead of sending to the login page)."""
    response = client.get("/compte/profil/completer")
    return response.status_code == 200


def fill_profile(client):
    return client.post("/compte/profil/completer", data={
        "first_name": "Agnès", "last_name": "Durand", "administration": "DINUM", "administration_type": "etat",
        "job_title": "", "departement": ""})


# --- The authorization request -------------------------------------------------------------------------


def test_the_authorization_request_uses_pkce_long_state_and_nonce_and_only_documented_parameters(client):
    query = query_of(start(client))
    assert set(query) == {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
                          "code_challenge_method"}
    assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["scope"] == SCOPES and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"].endswith("/compte/proconnect/retour")


@pytest.mark.parametrize("config_overrides", [{"PROCONNECT_ACR_VALUES": "eidas1"}], indirect=True)
def test_acr_values_are_sent_when_configured(client):
    assert query_of(start(client))["acr_values"] == "eidas1"


def test_default_scopes_are_proconnects():
    assert Config.PROCONNECT_SCOPES == "openid email given_name usual_name siret uid idp_id"


# --- First sign-in, return visit ----------------------------------------------------------------------


def test_first_sign_in_creates_the_account_prefilled_then_asks_for_the_profile(client, oidc_provider):
    oidc_provider.agent("agent-1", EMAIL, given_name="Agnès", usual_name="Durand", siret="13002526500013")
    response = sign_in(client, oidc_provider, "agent-1")
    assert response.status_code == 302
    [user] = users(proconnect_sub="agent-1")
    assert (user.email, user.first_name, user.last_name, user.siret) == (EMAIL, "Agnès", "Durand", "13002526500013")
    assert user.email_confirmed and not user.has_password
    assert [c.to_state for c in timeline(user)] == [services.PROCONNECT_CREATED]
    # Before anything else: the profile.
    for page in ("/compte/", "/alpha/", response.headers["Location"]):
        assert client.get(page).headers.get("Location", "").startswith("/compte/profil/completer"), page
    page = client.get("/compte/profil/completer")
    assert "Compléter votre profil" in page.text and 'value="Agnès"' in page.text
    refused = client.post("/compte/profil/completer", data={"first_name": "Agnès", "last_name": "Durand"})
    assert refused.status_code == 200 and "Saisissez votre administration" in refused.text
    assert fill_profile(client).status_code == 302
    assert client.get("/compte/").status_code == 200


def test_return_visit_signs_in_by_sub_even_after_an_email_change_at_the_provider(app, oidc_provider):
    oidc_provider.agent("agent-2", EMAIL)
    first = app.test_client()
    sign_in(first, oidc_provider, "agent-2")
    fill_profile(first)
    someone_else = make_user(email="nouvelle.adresse@interieur.gouv.fr")
    oidc_provider.agent("agent-2", someone_else.email)  # her address changed at the provider: another account's

    second = app.test_client()
    response = sign_in(second, oidc_provider, "agent-2")
    assert response.status_code == 302 and response.headers["Location"] == "/compte/"
    assert second.get("/compte/").status_code == 200
    [user] = users(proconnect_sub="agent-2")
    assert user.email == EMAIL  # not rewritten; the other account untouched and not signed in
    assert db.session.get(User, someone_else.id).proconnect_sub is None
    assert len(users()) == 2
    assert EMAIL in second.get("/compte/").text


@pytest.mark.parametrize("as_jwt", [False, True], ids=["json", "jwt"])
def test_userinfo_about_another_person_than_the_id_token_is_refused(client, oidc_provider, as_jwt):
    oidc_provider.agent("agent-8", EMAIL)
    oidc_provider.userinfo_as_jwt = as_jwt
    oidc_provider.userinfo_sub = "quelqu-un-d-autre"
    response = sign_in(client, oidc_provider, "agent-8")
    assert response.status_code in (400, 502) and "ProConnect" in response.text
    assert users() == [] and client.get("/compte/").status_code == 302


def test_an_email_claim_that_is_not_an_address_creates_no_account(client, oidc_provider):
    oidc_provider.agent("agent-9", "alice")
    response = sign_in(client, oidc_provider, "agent-9")
    assert response.status_code == 502 and "ProConnect n’a pas transmis d’adresse électronique valable" in response.text
    assert users() == []


def test_an_identity_without_an_email_is_told_what_is_missing(client, oidc_provider):
    oidc_provider.set_user("agent-sans-adresse", given_name="Agnès", usual_name="Durand", siret="13002526500013")
    response = sign_in(client, oidc_provider, "agent-sans-adresse")
    assert response.status_code == 502 and "Adresse électronique manquante" in response.text
    assert users() == []


def test_the_same_sub_from_another_identity_provider_is_another_identity(app, oidc_provider):
    """ProConnect gives a `sub` per identity provider: the same string from another provider is not her, so it
    does not sign in to her account (her address leads to the linking page instead, which asks for proof)."""
    oidc_provider.agent("agent-7", EMAIL, idp_id="fia1")
    first = app.test_client()
    sign_in(first, oidc_provider, "agent-7")
    fill_profile(first)
    [user] = users(proconnect_sub="agent-7")
    assert user.proconnect_idp_id == "fia1"

    oidc_provider.agent("agent-7", EMAIL, idp_id="autre-fi")
    second = app.test_client()
    response = sign_in(second, oidc_provider, "agent-7")
    assert response.status_code == 302 and "/compte/proconnect/associer" in response.headers["Location"]
    assert second.get("/compte/").status_code == 302  # not signed in
    assert len(users()) == 1 and db.session.get(User, user.id).proconnect_idp_id == "fia1"


def test_userinfo_given_as_a_signed_jwt_is_read(client, oidc_provider):
    oidc_provider.userinfo_as_jwt = True
    oidc_provider.agent("agent-jwt", EMAIL, given_name="Jeanne", usual_name="Martin")
    assert sign_in(client, oidc_provider, "agent-jwt").status_code == 302
    [user] = users(proconnect_sub="agent-jwt")
    assert (user.first_name, user.last_name) == ("Jeanne", "Martin")


def test_a_deactivated_account_is_refused(client, oidc_provider):
    make_user(email=EMAIL, proconnect_idp_id="fia1", proconnect_sub="agent-off", active=False)
    oidc_provider.agent("agent-off", EMAIL)
    response = sign_in(client, oidc_provider, "agent-off")
    assert response.status_code == 403 and "Compte désactivé" in response.text


# --- Linking an existing password account -------------------------------------------------------------


def test_an_existing_account_is_never_linked_silently(client, oidc_provider):
    existing = make_user(email=EMAIL)
    oidc_provider.agent("agent-3", EMAIL)
    response = sign_in(client, oidc_provider, "agent-3")
    assert response.status_code == 302 and "/compte/proconnect/associer/" in response.headers["Location"]
    assert db.session.get(User, existing.id).proconnect_sub is None
    assert len(users()) == 1
    assert client.get("/compte/").status_code == 302  # not signed in
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Un compte existe déjà" in page.text
    # A way to the forgotten password, and a way out for whom it is not her account.
    assert 'href="/compte/mot-de-passe-oublie"' in page.text
    assert "Ce n’est pas votre compte ?" in page.text and "Annuler et revenir à l’accueil" in page.text


def test_the_linking_links_do_not_show_the_identity_they_carry(client, oidc_provider, mailbox):
    """Server and proxy logs keep URLs: the pending and the emailed links are encrypted, not only signed."""
    import base64
    import zlib

    make_user(email=EMAIL)
    oidc_provider.agent("agent-secret", EMAIL, given_name="Zéphyrine", siret="13002526500013")
    link_page = sign_in(client, oidc_provider, "agent-secret").headers["Location"]
    client.post(link_page + "/courriel")
    [message] = mailbox.wait_for(1)
    [emailed] = [line for line in text_part(message).splitlines() if "/compte/proconnect/associer/confirmer/" in line]
    def decoded(token):
        """Whatever base64 (and zlib, as itsdangerous compresses) would let a log reader see."""
        seen = token
        for part in token.lstrip(".").split("."):
            try:
                raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
            except ValueError:
                continue
            seen += raw.decode("latin-1")
            try:
                seen += zlib.decompress(raw).decode("utf-8", "replace")
            except zlib.error:
                pass
        return seen

    for url in (link_page, emailed):
        readable = decoded(url.rstrip("/").rsplit("/", 1)[-1])
        for secret in ("agnes.durand", "agent-secret", "13002526500013", "fia1"):
            assert secret not in readable, (url, secret)
    assert client.get(link_page).status_code == 200  # and it still works
    assert client.get(link_page[:-3] + "abc").status_code == 400  # tampered


def test_linking_needs_the_accounts_password(client, oidc_provider, mailbox):
    existing = make_user(email=EMAIL)
    oidc_provider.agent("agent-4", EMAIL)
    link_page = sign_in(client, oidc_provider, "agent-4").headers["Location"]

    wrong = client.post(link_page, data={"password": "pas le bon mot de passe"})
    assert wrong.status_code == 200 and "Le mot de passe est incorrect" in wrong.text
    assert db.session.get(User, existing.id).proconnect_sub is None and timeline(existing) == []

    right = client.post(link_page, data={"password": PASSWORD})
    assert right.status_code == 302 and right.headers["Location"] == "/compte/"
    user = db.session.get(User, existing.id)
    assert user.proconnect_sub == "agent-4" and user.has_password
    [change] = timeline(user)
    assert change.to_state == services.PROCONNECT_LINKED and "mot de passe" in change.reason
    assert signed_in_as(client)
    # A new way into the account: its owner is told, with what to do if it was not her.
    [notice] = mailbox.wait_for(1)
    assert notice["To"] == EMAIL and notice["Subject"] == "Votre compte est associé à ProConnect"
    body = text_part(notice)
    assert "preuve donnée : mot de passe du compte" in body and "/compte/mot-de-passe-oublie" in body


def test_linking_by_an_emailed_link(app, client, oidc_provider, mailbox):
    existing = make_user(email=EMAIL)
    oidc_provider.agent("agent-5", EMAIL)
    link_page = sign_in(client, oidc_provider, "agent-5").headers["Location"]
    assert client.post(link_page + "/courriel").status_code == 302
    [message] = mailbox.wait_for(1)
    assert message["To"] == EMAIL and "ProConnect" in message["Subject"]
    [link] = [line for line in text_part(message).splitlines() if "/compte/proconnect/associer/confirmer/" in line]
    mail_page = path_and_query(link.strip())

    other_browser = app.test_client()
    assert other_browser.get(mail_page).status_code == 200
    assert db.session.get(User, existing.id).proconnect_sub is None  # showing the page links nothing
    assert other_browser.post(mail_page).status_code == 302
    assert db.session.get(User, existing.id).proconnect_sub == "agent-5"
    assert "lien envoyé" in timeline(existing)[0].reason
    [_link, notice] = mailbox.wait_for(2)
    assert notice["Subject"] == "Votre compte est associé à ProConnect" and "lien envoyé" in text_part(notice)
    assert other_browser.get("/compte/").status_code == 302  # the link links, it does not sign in
    assert other_browser.post(mail_page).status_code == 400  # once


def test_an_unconfirmed_account_is_linked_only_through_its_mailbox_and_loses_its_unproven_password(client, oidc_provider):
    squatted = make_user(email=EMAIL, confirmed=False)
    oidc_provider.agent("agent-6", EMAIL)
    link_page = sign_in(client, oidc_provider, "agent-6").headers["Location"]
    refused = client.post(link_page, data={"password": PASSWORD})
    assert refused.status_code == 200 and db.session.get(User, squatted.id).proconnect_sub is None
    from beta_training.accounts import tokens

    user = db.session.get(User, squatted.id)
    identity = tokens.pending_proconnect_link(link_page.rsplit("/", 1)[1])[1]
    link = f"/compte/proconnect/associer/confirmer/{tokens.proconnect_link_token(user, identity)}"
    assert client.post(link).status_code == 302
    user = db.session.get(User, squatted.id)
    assert user.proconnect_sub == "agent-6" and not user.has_password and user.email_confirmed


# --- Logout -------------------------------------------------------------------------------------------


def test_logout_ends_the_proconnect_session_too(client, oidc_provider):
    oidc_provider.agent("agent-7", EMAIL)
    sign_in(client, oidc_provider, "agent-7")
    with client.session_transaction() as session:
        id_token = session["proconnect_id_token"]
    response = client.post("/compte/deconnexion")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(oidc_provider.url + "/oauth2/end_session")
    query = query_of(location)
    assert set(query) == {"id_token_hint", "state", "post_logout_redirect_uri"}
    assert query["id_token_hint"] == id_token and len(query["state"]) >= 32
    assert query["post_logout_redirect_uri"].endswith("/compte/proconnect/deconnexion/retour")
    assert client.get("/compte/").status_code == 302  # our session is gone already

    tampered = client.get("/compte/proconnect/deconnexion/retour", query_string={"state": "x" * 64})
    assert tampered.status_code == 400
    assert "Déconnexion de ProConnect non confirmée" in tampered.text and "Recommencez la connexion" not in tampered.text
    back = client.get("/compte/proconnect/deconnexion/retour", query_string={"state": query["state"]})
    assert back.status_code == 302 and back.headers["Location"] == "/"
    assert "ProConnect" in client.get("/").text


def test_a_password_session_logs_out_as_before(client, login_as):
    login_as(make_user())
    response = client.post("/compte/deconnexion")
    assert response.status_code == 302 and response.headers["Location"] == "/"


# --- Errors -------------------------------------------------------------------------------------------


def error_page(response, status, caplog=None):
    assert response.status_code == status, response.text[:1000]
    assert "Réessayer" in response.text and "Se connecter avec un mot de passe" in response.text
    assert users() == []


def test_tampered_state_is_refused(client, oidc_provider, caplog):
    oidc_provider.agent("agent-8", EMAIL)
    back = oidc_provider.authorize(start(client), sub="agent-8")
    tampered = path_and_query(back).replace("state=", "state=x")
    with caplog.at_level(logging.WARNING):
        error_page(client.get(tampered), 400)
    assert "ProConnect sign-in failed (state)" in caplog.text
    error_page(client.get("/compte/proconnect/retour?code=abc"), 400)


def test_a_state_from_another_browser_is_refused(app, client, oidc_provider):
    oidc_provider.agent("agent-9", EMAIL)
    back = oidc_provider.authorize(start(client), sub="agent-9")
    error_page(app.test_client().get(path_and_query(back)), 400)


def test_wrong_nonce_in_the_session_is_refused(client, oidc_provider):
    oidc_provider.agent("agent-10", EMAIL)
    back = oidc_provider.authorize(start(client), sub="agent-10")
    with client.session_transaction() as session:
        [key] = [k for k in session if k.startswith("_state_proconnect_")]
        state = session[key]
        state["data"]["nonce"] = "n" * 64
        session[key] = state
    response = client.get(path_and_query(back))
    error_page(response, 400)
    assert "rejouée" in response.text


def test_an_id_token_with_another_nonce_is_refused(client, oidc_provider):
    oidc_provider.nonce_override = "r" * 64  # a token issued for another request, replayed
    oidc_provider.agent("agent-11", EMAIL)
    error_page(sign_in(client, oidc_provider, "agent-11"), 400)


def test_a_bad_id_token_signature_is_refused(client, oidc_provider):
    oidc_provider.tamper_id_token = True
    oidc_provider.agent("agent-12", EMAIL)
    response = sign_in(client, oidc_provider, "agent-12")
    error_page(response, 502)
    assert "n’a pas pu être vérifiée" in response.text


def test_an_expired_or_used_code_is_refused(client, oidc_provider):
    oidc_provider.agent("agent-13", EMAIL)
    back = oidc_provider.authorize(start(client), sub="agent-13")
    with client.session_transaction() as session:
        [key] = [k for k in session if k.startswith("_state_proconnect_")]
        data = session[key]["data"]
    used = requests.post(oidc_provider.url + "/oauth2/token", timeout=10, data={
        "grant_type": "authorization_code", "code": query_of(back)["code"], "redirect_uri": data["redirect_uri"],
        "client_id": CLIENT_ID, "client_secret": "x", "code_verifier": data["code_verifier"]})
    assert used.status_code == 200  # someone else used it first
    response = client.get(path_and_query(back))
    error_page(response, 400)
    assert "Connexion expirée" in response.text


def test_denied_consent(client, oidc_provider):
    response = sign_in(client, oidc_provider, None, deny=True)
    error_page(response, 403)
    assert "annulée" in response.text


@pytest.mark.parametrize("config_overrides", [{"PROCONNECT_DISCOVERY_URL": f"http://127.0.0.1:{free_port()}/.well-known/x"}],
                         indirect=True)  # nothing listens there
def test_provider_unreachable(client, caplog):
    with caplog.at_level(logging.WARNING):
        response = client.get("/compte/proconnect/connexion")
    error_page(response, 503)
    assert "ProConnect ne répond pas" in response.text and "unreachable at discovery" in caplog.text


# --- Accounts without a password ----------------------------------------------------------------------


def test_an_account_without_password_sets_one_and_is_not_locked_out(client, oidc_provider, mailbox):
    oidc_provider.agent("agent-14", EMAIL)
    sign_in(client, oidc_provider, "agent-14")
    fill_profile(client)
    assert "Définir un mot de passe" in client.get("/compte/").text
    page = client.get("/compte/mot-de-passe")
    assert page.status_code == 200 and "Définir un mot de passe" in page.text and "Mot de passe actuel" not in page.text
    new = "une phrase de passe toute neuve"
    assert client.post("/compte/mot-de-passe", data={"password": new, "confirm": new}).status_code == 302
    assert services.authenticate(EMAIL, new) is not None
    assert "Changer mon mot de passe" in client.get("/compte/").text


def test_password_forms_with_a_passwordless_account_do_not_crash(app, mailbox):
    user = make_user(email=EMAIL, proconnect_sub="agent-15", administration="DINUM", administration_type="etat")
    user.password_hash = None
    db.session.commit()
    client = app.test_client()
    login = client.post("/compte/connexion", data={"email": EMAIL, "password": "nimporte quoi du tout"})
    assert login.status_code == 200 and "incorrect" in login.text
    assert client.post("/compte/mot-de-passe-oublie", data={"email": EMAIL}).status_code == 302
    assert mailbox.wait_for(1)[0]["To"] == EMAIL


# --- Configuration ------------------------------------------------------------------------------------


def test_the_button_is_on_the_sign_in_and_sign_up_pages(client):
    for page in ("/compte/connexion", "/compte/inscription"):
        text = client.get(page).text
        assert 'class="fr-connect"' in text and "Qu’est-ce que ProConnect ?" in text, page
        assert 'action="/compte/proconnect/connexion"' in text


def test_the_csp_lets_forms_lead_to_the_provider(client, oidc_provider):
    csp = client.get("/compte/connexion").headers["Content-Security-Policy"]
    assert f"form-action 'self' {oidc_provider.url};" in csp


@pytest.mark.parametrize("config_overrides", [OFF], indirect=True)
def test_off_when_not_configured(client):
    for page in ("/compte/connexion", "/compte/inscription"):
        assert "fr-connect" not in client.get(page).text
    for url in ("/compte/proconnect/connexion", "/compte/proconnect/retour", "/compte/proconnect/deconnexion/retour",
                "/compte/proconnect/associer/x", "/compte/proconnect/associer/confirmer/x"):
        assert client.get(url).status_code == 404, url
    assert "form-action 'self';" in client.get("/").headers["Content-Security-Policy"]


def _production(**values):
    config = {"SECRET_KEY": "s" * 40, "SQLALCHEMY_DATABASE_URI": "postgresql://x/y", "BASE_URL": "https://f.gouv.fr"}
    return production_refusal({**config, **values})


def test_production_refuses_a_half_set_configuration():
    assert _production() is None
    full = dict(PROCONNECT_CLIENT_ID="id", PROCONNECT_CLIENT_SECRET="secret",
                PROCONNECT_DISCOVERY_URL="https://auth.agentconnect.gouv.fr/api/v2/.well-known/openid-configuration")
    assert _production(**full) is None
    half = _production(PROCONNECT_CLIENT_ID="id", PROCONNECT_DISCOVERY_URL=full["PROCONNECT_DISCOVERY_URL"])
    assert "PROCONNECT_CLIENT_SECRET" in half
    assert "https://" in _production(**{**full, "PROCONNECT_DISCOVERY_URL": "http://auth.example/x"})


def test_the_provider_a_developer_runs_with_make_run_proconnect_answers_discovery():
    """`make run-proconnect` starts this module: it serves the discovery document the Makefile's settings name."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    port = free_port()
    root = Path(__file__).resolve().parents[2]
    makefile = (root / "Makefile").read_text()
    assert "python -m tests.oidc_provider --port $(PROCONNECT_DEV_PORT)" in makefile
    assert "/.well-known/openid-configuration" in makefile and f"PROCONNECT_CLIENT_ID={CLIENT_ID}" in makefile
    process = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider", "--port", str(port)], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                document = requests.get(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=2).json()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the provider did not start"
                time.sleep(0.2)
        assert document["issuer"].startswith(f"http://127.0.0.1:{port}")
        assert process.stdout.readline().strip() == f"PROCONNECT_CLIENT_ID={CLIENT_ID}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_before_completing_her_profile_she_can_read_the_legal_pages_and_sign_out(client, oidc_provider):
    """Marked @profile_not_required, these pages do not send her to the profile form; every other page does."""
    oidc_provider.agent("agent-legal", "legal@interieur.gouv.fr")
    sign_in(client, oidc_provider, "agent-legal")
    for page in ("/accessibilite", "/mentions-legales", "/donnees-personnelles", "/gestion-des-cookies",
                 "/compte/mes-donnees", "/compte/profil/completer", "/static/css/app.css"):
        assert client.get(page).status_code == 200, page
    for page in ("/", "/plan-du-site", "/mooc/", "/compte/"):
        assert client.get(page).headers.get("Location", "").startswith("/compte/profil/completer"), page
    assert client.post("/langue", data={"lang": "en", "next": "/mentions-legales"}).headers["Location"].endswith(
        "/mentions-legales")
    signed_out = client.post("/compte/deconnexion")
    assert not signed_out.headers["Location"].startswith("/compte/profil/completer")
