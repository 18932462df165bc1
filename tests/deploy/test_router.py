"""Behind a PaaS router: who the client is (ProxyFix, a configured number of trusted hops), which Host headers
are answered (TRUSTED_HOSTS), every absolute link on BASE_URL, and rate limits per account before per IP."""

import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import login, text_part
from tests.factories import PASSWORD, make_cohort, make_user

ROUTER = "10.0.0.1"  # every request reaches the app from the router's address
BASE_URL = "https://formation.example.gouv.fr"


def _agent_behind_router(app, n: int):
    """A client of the router: the router's address, and its own address as the router writes it."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=ROUTER, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    return client


def _reset_request(client, email: str):
    # Rate-limited per IP like the login, without a password hash per attempt (the test counts, it does not hash).
    return client.post("/compte/mot-de-passe-oublie", data={"email": email})


@pytest.mark.parametrize("config_overrides", [{"PROXY_FIX_X_FOR": 1, "RESET_LIMIT_PER_IP": "3 per hour"}])
def test_24_clients_behind_one_router_are_each_counted_on_their_own(app):
    clients = [_agent_behind_router(app, n) for n in range(24)]
    for attempt in range(3):
        for n, client in enumerate(clients):  # interleaved, as 24 agents of one ministry at once
            assert _reset_request(client, f"agent{n}.{attempt}@example.gouv.fr").status_code == 302
    for n, client in enumerate(clients):  # each has used its own 3 requests, and only those
        assert _reset_request(client, f"agent{n}.last@example.gouv.fr").status_code == 429


@pytest.mark.parametrize("config_overrides", [{"PROXY_FIX_X_FOR": 0, "RESET_LIMIT_PER_IP": "3 per hour"}])
def test_with_no_trusted_hop_x_forwarded_for_is_ignored(app):
    """Anyone can write X-Forwarded-For: unless a proxy is configured, the limit is on the real address."""
    clients = [_agent_behind_router(app, n) for n in range(4)]
    for n, client in enumerate(clients[:3]):
        assert _reset_request(client, f"agent{n}@example.gouv.fr").status_code == 302
    assert _reset_request(clients[3], "agent3@example.gouv.fr").status_code == 429


@pytest.mark.parametrize("config_overrides", [{"PROXY_FIX_X_FOR": 1, "LOGIN_LIMIT_PER_IP": "2 per 15 minutes"}])
def test_failed_logins_are_counted_per_client_behind_the_router(app):
    first, second = _agent_behind_router(app, 1), _agent_behind_router(app, 2)
    wrong = {"password": "pas le bon mot de passe"}
    for n in range(2):
        assert first.post("/compte/connexion", data={"email": f"a{n}@example.gouv.fr", **wrong}).status_code == 200
    assert first.post("/compte/connexion", data={"email": "a9@example.gouv.fr", **wrong}).status_code == 429
    assert second.post("/compte/connexion", data={"email": "b@example.gouv.fr", **wrong}).status_code == 200


@pytest.mark.parametrize("config_overrides", [{"BASE_URL": BASE_URL}])
def test_a_forged_host_header_does_not_change_the_reset_link(client, mailbox):
    make_user(email="cible@example.gouv.fr")
    forged = "http://evil.example"
    with client.session_transaction(base_url=forged) as session:  # the session cookie of that host, CSRF token in it
        session["csrf_token"] = "0" * 40
    token = URLSafeTimedSerializer(client.application.secret_key, salt="wtf-csrf-token").dumps("0" * 40)
    response = client.post("/compte/mot-de-passe-oublie", base_url=forged, csrf=False,
                           data={"email": "cible@example.gouv.fr", "csrf_token": token})
    assert response.status_code == 302
    link = re.search(r"https?://\S+", text_part(mailbox.wait_for(1)[0])).group(0)
    assert link.startswith(f"{BASE_URL}/compte/reinitialiser/")


@pytest.mark.parametrize("config_overrides", [{"BASE_URL": BASE_URL}])
def test_the_calendar_links_to_base_url_whatever_the_request_said(client):
    """Plain http:// from the router, another Host: the link still is https:// on BASE_URL."""
    cohort = make_cohort()
    response = client.get(f"/alpha/{cohort.slug}/calendrier.ics", base_url="http://10.0.0.7:8000")
    assert response.status_code == 200
    assert f"URL:{BASE_URL}/alpha/{cohort.slug}" in response.text.replace("\r\n ", "")
    assert "10.0.0.7" not in response.text


@pytest.mark.parametrize("config_overrides", [{"BASE_URL": BASE_URL, "TRUSTED_HOSTS": ["formation.example.gouv.fr"]}])
def test_a_host_header_that_is_not_trusted_is_refused(client):
    assert client.get("/", headers={"Host": "formation.example.gouv.fr"}).status_code == 200
    refused = client.get("/compte/connexion", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and "evil.example" not in refused.text


def test_production_trusts_only_base_url_host_unless_told_otherwise():
    from beta_training.config import Config

    settings = {"BASE_URL": BASE_URL, "TRUSTED_HOSTS": None, "TRUSTED_HOSTS_FROM_BASE_URL": True}
    Config.complete(settings)
    assert settings["TRUSTED_HOSTS"] == ["formation.example.gouv.fr"]


@pytest.mark.parametrize("config_overrides", [{"RESET_LIMIT_PER_ACCOUNT": "2 per hour", "RESET_LIMIT_PER_IP": "6 per hour"}])
def test_reset_requests_are_limited_per_address_typed_before_per_ip(client):
    for _ in range(2):
        assert client.post("/compte/mot-de-passe-oublie", data={"email": "une@example.gouv.fr"}).status_code == 302
    assert client.post("/compte/mot-de-passe-oublie", data={"email": "une@example.gouv.fr"}).status_code == 429
    # The same machine may still ask for other accounts (colleagues on one exit address)…
    for n in range(3):
        assert client.post("/compte/mot-de-passe-oublie", data={"email": f"autre{n}@example.gouv.fr"}).status_code == 302
    # …up to its own, larger, limit.
    assert client.post("/compte/mot-de-passe-oublie", data={"email": "derniere@example.gouv.fr"}).status_code == 429


@pytest.mark.parametrize("config_overrides", [{"PASSWORD_CHANGE_LIMIT_PER_ACCOUNT": "3 per 15 minutes"}])
def test_password_changes_are_limited_per_signed_in_account(app, client):
    """Guessing the current password from a session left open: the signed-in person is the key, whichever
    address the attempts come from."""
    user = make_user(email="session@example.gouv.fr")
    login(client, user)
    wrong = {"current_password": "devine", "password": "une phrase de passe solide", "confirm": "une phrase de passe solide"}
    for n in range(3):
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n}"
        assert client.post("/compte/mot-de-passe", data=wrong).status_code == 200
    client.environ_base["REMOTE_ADDR"] = "192.0.2.99"
    assert client.post("/compte/mot-de-passe", data={**wrong, "current_password": PASSWORD}).status_code == 429
    # Another account, same address: not concerned.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.99"
    login(other, make_user(email="voisine@example.gouv.fr"))
    assert other.post("/compte/mot-de-passe", data={**wrong, "current_password": PASSWORD}).status_code == 302
