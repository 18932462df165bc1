"""Rate limits kept in Redis (REDIS_URL): a limit reached through one instance of the app holds on another,
as it must with several web containers behind the router. Two gunicorn instances (production configuration)
on one database, and a real redis-server on loopback (tests/redis_server.py)."""

import pytest

from tests.deploy.processes import PRODUCTION, Visitor, gunicorn

HOST = "formation.example.gouv.fr"
WRONG = {"email": "cible@example.gouv.fr", "password": "pas le bon mot de passe"}


@pytest.fixture
def production(database_url):
    """Both instances on one database: PostgreSQL in the PostgreSQL pass, else SQLite (allowed, one machine)."""
    settings = {**PRODUCTION, "DATABASE_URL": database_url}
    if database_url.startswith("sqlite"):
        settings["ALLOW_SQLITE_IN_PRODUCTION"] = "1"
    return settings


def _failed_login(port: int) -> int:
    visitor = Visitor(port, HOST)
    assert visitor.request("GET", "/compte/connexion")[0] == 200
    status, _page = visitor.request("POST", "/compte/connexion", form=WRONG)
    return status


def test_the_limit_store_is_redis_when_redis_url_is_set(redis_url):
    from beta_training import create_app
    from beta_training.config import TestConfig

    app = create_app(type("WithRedis", (TestConfig,), {"REDIS_URL": redis_url}))
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_url


def test_a_login_limit_reached_on_one_instance_holds_on_the_other(production, redis_url):
    settings = {**production, "REDIS_URL": redis_url, "WEB_CONCURRENCY": "2"}
    with gunicorn(settings, "--workers", "2") as first, gunicorn(settings, "--workers", "2") as second:
        for _ in range(5):  # LOGIN_LIMIT_PER_ACCOUNT: 5 failures per 15 minutes
            assert _failed_login(first.port) == 200
        assert _failed_login(second.port) == 429
        assert _failed_login(first.port) == 429


def test_without_redis_each_instance_would_count_alone(production):
    """What REDIS_URL is for: with each process's memory (one worker each, so production accepts it), the
    second instance starts from zero and a password guesser gets twice the attempts."""
    with gunicorn(production, "--workers", "1") as first, gunicorn(production, "--workers", "1") as second:
        for _ in range(5):
            assert _failed_login(first.port) == 200
        assert _failed_login(second.port) == 200
        assert _failed_login(first.port) == 429


def test_logins_still_answer_while_redis_is_down(app_without_redis):
    """Redis unreachable: the limits fall back to the process's memory for a while, nobody gets a 500."""
    client = app_without_redis.test_client()
    for _ in range(5):
        assert client.post("/compte/connexion", data=WRONG).status_code == 200
    assert client.post("/compte/connexion", data=WRONG).status_code == 429  # and they still hold


@pytest.fixture
def app_without_redis(database_url, smtp_server, tmp_path):
    from tests.conftest import running_app
    from tests.deploy.processes import free_port

    with running_app(database_url, smtp_server, tmp_path, {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}) as app:
        yield app
