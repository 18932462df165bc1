"""Erasing an account that has no password: its holder confirms who she is through ProConnect (the loopback
provider of tests/oidc_provider.py), then confirms the erasure; another identity, or a confirmation too old, is
not enough."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from beta_training.accounts.models import User
from beta_training.core.models import utcnow
from beta_training.extensions import db
from beta_training.privacy import services
from tests.conftest import login
from tests.factories import make_user
from tests.oidc_provider import path_and_query

ERASE = "/compte/mes-donnees/supprimer"
EMAIL = "agnes.durand@interieur.gouv.fr"


@pytest.fixture
def config_overrides(oidc_provider):
    return oidc_provider.settings


@pytest.fixture
def passwordless(oidc_provider):
    oidc_provider.agent("agent-erase", EMAIL)
    user = make_user(email=EMAIL, proconnect_idp_id="fia1", proconnect_sub="agent-erase",
                     administration="DINUM", administration_type="etat")
    user.password_hash = None
    db.session.commit()
    return user


def confirm_identity(client, provider, sub):
    """« Confirmer mon identité avec ProConnect » from the erasure page: the round trip; our callback's answer."""
    page = BeautifulSoup(client.get(ERASE).text, "html.parser")
    start = page.find("a", string="Confirmer mon identité avec ProConnect")["href"]
    to_provider = client.get(start)
    assert to_provider.status_code == 302
    return client.get(path_and_query(provider.authorize(to_provider.headers["Location"], sub=sub)))


def test_without_a_password_the_erasure_asks_for_proconnect_first(client, passwordless):
    login(client, passwordless)
    page = client.get(ERASE)
    assert "Confirmer mon identité avec ProConnect" in page.text and 'name="password"' not in page.text
    refused = client.post(ERASE, data={"confirm": "y"})
    assert refused.status_code == 422 and "Confirmez d’abord votre identité avec ProConnect" in refused.text
    assert db.session.get(User, passwordless.id) is not None


def test_confirmed_through_proconnect_she_erases_her_account(client, oidc_provider, passwordless):
    user_id = passwordless.id
    login(client, passwordless)
    back = confirm_identity(client, oidc_provider, "agent-erase")
    assert back.status_code == 302 and back.headers["Location"] == ERASE
    page = client.get(ERASE).text
    assert "Votre identité est confirmée avec ProConnect" in page and "Identité confirmée avec ProConnect." in page
    erased = client.post(ERASE, data={"confirm": "y"})
    assert db.session.get(User, user_id) is None
    assert erased.status_code == 302 and erased.headers["Location"] == "/"  # not signed in with ProConnect here


def test_another_proconnect_identity_confirms_nothing(client, oidc_provider, passwordless):
    oidc_provider.agent("quelqu-un-d-autre", "autre@interieur.gouv.fr")
    login(client, passwordless)
    back = confirm_identity(client, oidc_provider, "quelqu-un-d-autre")
    assert back.status_code == 403 and "n’est pas celle de votre compte" in back.text
    assert "Retour à mon compte" in back.text and "Se connecter avec un mot de passe" not in back.text
    assert client.post(ERASE, data={"confirm": "y"}).status_code == 422
    assert db.session.get(User, passwordless.id) is not None


def test_a_confirmation_holds_ten_minutes(app):
    user = make_user()
    user.password_hash = None
    now = utcnow()
    assert services.reauthenticated(user, proconnect_confirmed_at=now - timedelta(minutes=9), now=now)
    assert not services.reauthenticated(user, proconnect_confirmed_at=now - timedelta(minutes=11), now=now)
    assert not services.reauthenticated(user, proconnect_confirmed_at=None, now=now)
    assert not services.reauthenticated(user, "n’importe quoi", now=now)  # no password to type instead


def test_before_completing_her_profile_she_can_see_export_and_erase_her_data(client, oidc_provider):
    """Her rights over what is already kept (name, address, SIRET, ProConnect identity) do not wait for more."""
    oidc_provider.agent("agent-nouvelle", "nouvelle@interieur.gouv.fr")
    to_provider = client.get("/compte/proconnect/connexion")
    client.get(path_and_query(oidc_provider.authorize(to_provider.headers["Location"], sub="agent-nouvelle")))
    assert client.get("/compte/").headers["Location"].startswith("/compte/profil/completer")  # the rest waits
    assert client.get("/compte/mes-donnees").status_code == 200
    assert client.get("/compte/mes-donnees/export.zip").status_code == 200
    assert "Confirmer mon identité avec ProConnect" in client.get(ERASE).text
    back = confirm_identity(client, oidc_provider, "agent-nouvelle")
    assert back.status_code == 302 and back.headers["Location"] == ERASE
    erased = client.post(ERASE, data={"confirm": "y"})
    assert db.session.scalar(sa.select(User).where(User.email == "nouvelle@interieur.gouv.fr")) is None
    # Signed in with ProConnect: the erasure ends that session too (on a shared computer, nothing stays open).
    assert erased.status_code == 302 and erased.headers["Location"].startswith(oidc_provider.url)
    assert "id_token_hint=" in erased.headers["Location"]


def test_the_confirmation_asks_the_provider_to_identify_her_again(client, oidc_provider, passwordless):
    """`prompt=login`: a ProConnect session left open on a shared computer must not be enough. A sign-in does
    not ask it (the person is not signed in here yet: nothing to re-prove)."""
    login(client, passwordless)
    confirm_identity(client, oidc_provider, "agent-erase")
    assert oidc_provider.authorize_requests[-1].get("prompt") == "login"
    client.post("/compte/deconnexion")
    oidc_provider.authorize(client.get("/compte/proconnect/connexion").headers["Location"], sub="agent-erase")
    assert "prompt" not in oidc_provider.authorize_requests[-1]


def test_a_provider_authentication_older_than_ten_minutes_confirms_nothing(client, oidc_provider, passwordless):
    """A provider that ignored `prompt=login` answers with the old `auth_time` of its session: refused, in words."""
    login(client, passwordless)
    oidc_provider.auth_time = int((utcnow() - timedelta(minutes=11)).timestamp())
    back = confirm_identity(client, oidc_provider, "agent-erase")
    assert back.status_code == 403 and "date de plus de 10 minutes" in back.text
    assert client.post(ERASE, data={"confirm": "y"}).status_code == 422
    assert db.session.get(User, passwordless.id) is not None
    oidc_provider.auth_time = int((utcnow() - timedelta(minutes=1)).timestamp())  # she has just identified herself
    assert confirm_identity(client, oidc_provider, "agent-erase").headers["Location"] == ERASE
