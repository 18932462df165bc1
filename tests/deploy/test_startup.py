"""Production refuses to start without what it needs, in one sentence and with a non-zero exit, whether it is
started by `flask …` (the release step, cron) or by gunicorn (the web containers)."""

import json
import sys

import pytest

from tests.deploy.processes import BIN, PRODUCTION, flask, get, gunicorn, run

REFUSALS = {
    "no secret key": ({"SECRET_KEY": None}, "SECRET_KEY manque"),
    "no database": ({"DATABASE_URL": None}, "DATABASE_URL doit désigner une base PostgreSQL"),
    "sqlite not allowed": ({"DATABASE_URL": "sqlite:////tmp/beta.sqlite3"}, "DATABASE_URL doit désigner une base PostgreSQL"),
    "no base url": ({"BASE_URL": None}, "BASE_URL doit être l'adresse publique du service en https://"),
    "http base url": ({"BASE_URL": "http://formation.example.gouv.fr"}, "BASE_URL doit être l'adresse publique"),
    "memory limits, 4 processes": ({"WEB_CONCURRENCY": "4"}, "4 processus servent"),
    "memory limits, 2 containers": ({"WEB_INSTANCES": "2"}, "2 processus servent"),
}


def _one_sentence(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one sentence, got:\n{stderr}"
    assert lines[0].endswith(".") and "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("settings,sentence", REFUSALS.values(), ids=REFUSALS.keys())
def test_flask_refuses_to_start_with_one_sentence(settings, sentence):
    result = flask("routes", settings={**PRODUCTION, **settings})
    assert result.returncode == 1
    assert sentence in _one_sentence(result.stderr)


@pytest.mark.parametrize("settings,sentence", [REFUSALS["no secret key"], REFUSALS["memory limits, 4 processes"]],
                         ids=["no secret key", "memory limits, 4 processes"])
def test_gunicorn_refuses_to_start_with_one_sentence(settings, sentence):
    result = run([str(BIN / "gunicorn"), "app:app", "--bind", "127.0.0.1:0"], {**PRODUCTION, **settings})
    assert result.returncode == 1
    assert sentence in _one_sentence(result.stderr)


def test_gunicorn_counts_the_workers_it_was_given_on_its_command_line():
    """WEB_CONCURRENCY says 1, `--workers 3` says otherwise: three processes would keep their own limits."""
    result = run([str(BIN / "gunicorn"), "app:app", "--bind", "127.0.0.1:0", "--workers", "3"], PRODUCTION)
    assert result.returncode == 1
    assert "3 processus servent" in _one_sentence(result.stderr)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"DATABASE_URL": "sqlite:////tmp/beta.sqlite3", "ALLOW_SQLITE_IN_PRODUCTION": "1"},  # one machine
        {"WEB_CONCURRENCY": "4", "WEB_INSTANCES": "2", "REDIS_URL": "redis://127.0.0.1:1/0"},  # shared limits
    ],
    ids=["postgresql", "sqlite allowed", "redis for 8 processes"],
)
def test_production_starts_when_everything_is_set(settings):
    result = flask("routes", settings={**PRODUCTION, **settings})
    assert result.returncode == 0, result.stderr
    assert "/healthz" in result.stdout


@pytest.mark.parametrize("variable", ["DATABASE_URL", "SCALINGO_POSTGRESQL_URL", "POSTGRESQL_ADDON_URI"])
def test_paas_postgres_urls_go_through_psycopg(variable):
    """PaaS add-ons give postgres://…, which SQLAlchemy does not know: it becomes postgresql+psycopg://…"""
    script = ("from beta_training import create_app; from beta_training.extensions import db; app = create_app()\n"
              "with app.app_context(): print(app.config['SQLALCHEMY_DATABASE_URI'], db.engine.driver)")
    settings = {**PRODUCTION, "DATABASE_URL": None, variable: "postgres://beta:secret@db.example:5432/beta_training"}
    result = run([sys.executable, "-c", script], settings)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["postgresql+psycopg://beta:secret@db.example:5432/beta_training", "psycopg"]


def test_gunicorn_serves_healthz_with_a_request_id_and_json_logs(database_url):
    """The whole production start (gunicorn.conf.py, the app loaded once in the master), one worker, on
    PostgreSQL in the PostgreSQL pass (SQLite, allowed, otherwise), answering only its own host name."""
    # The other tests leave jobs in PostgreSQL's queue that no worker runs: their age must not fail this start.
    settings = {**PRODUCTION, "DATABASE_URL": database_url, "HEALTH_MAX_QUEUE_LAG_SECONDS": "31536000"}
    if database_url.startswith("sqlite"):
        settings["ALLOW_SQLITE_IN_PRODUCTION"] = "1"
    with gunicorn(settings, "--workers", "1") as server:
        status, headers, body = get(server.port, "/healthz", host="formation.example.gouv.fr",
                                    headers={"X-Request-ID": "router-id-42"})
        assert status == 200
        report = json.loads(body)
        lag = report.pop("queue_lag_seconds")
        assert report == {"status": "ok", "database": "ok", "redis": "not configured", "rate_limit_store": "memory"}
        # PostgreSQL: the production jobs run on its queue, whose lag is measured; SQLite: no queue.
        assert lag is None if database_url.startswith("sqlite") else lag >= 0
        assert headers["x-request-id"] == "router-id-42" and headers["cache-control"] == "no-store"
        assert "set-cookie" not in headers
        forged, _headers, _body = get(server.port, "/healthz", host="evil.example")
        assert forged == 400  # TRUSTED_HOSTS: BASE_URL's host only
    assert server.returncode == 0  # stopped cleanly by SIGTERM
    access = [json.loads(line) for line in server.stdout.splitlines() if line.startswith("{") and "router-id-42" in line]
    assert access and {"time", "level", "message"} <= access[0].keys()
    assert "request_id=router-id-42" in access[0]["message"] and "status=200" in access[0]["message"]
