"""What an operator sees: /healthz, logs on stdout with time, level and request id (JSON in production), the
request id passed through or made, Sentry when SENTRY_DSN is set (events reach a loopback server)."""

import gzip
import json
import logging
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest

from beta_training.core import health
from tests.deploy.processes import free_port, run

# --- /healthz -----------------------------------------------------------------------------------------------


def test_healthz_says_ok_and_writes_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured",
                             "rate_limit_store": "memory", "queue_lag_seconds": None}
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def config_overrides(request):
    return getattr(request, "param", {})


def test_healthz_is_503_when_the_database_cannot_be_reached():
    from beta_training import create_app
    from beta_training.config import TestConfig

    app = create_app(type("Unreachable", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-dir/x.sqlite3"}))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "error" and response.json["database"] == "error"


def test_healthz_checks_redis_when_there_is_one(app, client, redis_url):
    app.config["REDIS_URL"] = redis_url
    assert client.get("/healthz").json["redis"] == "ok"
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["redis"] == "error"


def test_healthz_reports_the_queue_lag_the_worker_gives(app, client, monkeypatch):
    monkeypatch.setattr(health, "queue_lag_seconds", lambda: 42.04)
    assert client.get("/healthz").json["queue_lag_seconds"] == 42.0
    monkeypatch.setattr(health, "queue_lag_seconds", lambda: app.config["HEALTH_MAX_QUEUE_LAG_SECONDS"] + 1.0)
    assert client.get("/healthz").status_code == 503  # jobs pile up: this instance says so


# --- Request id and logs ----------------------------------------------------------------------------------------


def test_the_router_s_request_id_is_passed_through_or_one_is_made(client):
    assert client.get("/", headers={"X-Request-ID": "3f6c1a2e-router"}).headers["X-Request-ID"] == "3f6c1a2e-router"
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/").headers["X-Request-ID"])
    forged = client.get("/", headers={"X-Request-ID": "x\" level=ERROR " + "y" * 300})  # could forge a log line
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])


def _logging_route(app):
    @app.get("/test-log")
    def test_log():
        logging.getLogger("beta_training.test").warning("something to see")
        return "ok"


def test_logs_go_to_stdout_with_time_level_and_request_id(app, client, capsys):
    _logging_route(app)
    client.get("/test-log", headers={"X-Request-ID": "req-1234"})
    [line] = [line for line in capsys.readouterr().out.splitlines() if "something to see" in line]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING \[req-1234\] beta_training.test: something to see", line)


@pytest.mark.parametrize("config_overrides", [{"LOG_FORMAT": "json"}], indirect=True)
def test_production_logs_are_json_lines(app, client, capsys):
    _logging_route(app)
    client.get("/test-log", headers={"X-Request-ID": "req-5678"})
    [line] = [line for line in capsys.readouterr().out.splitlines() if "something to see" in line]
    record = json.loads(line)
    assert record["level"] == "WARNING" and record["request_id"] == "req-5678"
    assert record["message"] == "something to see" and record["name"] == "beta_training.test"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", record["time"])


# --- Sentry ---------------------------------------------------------------------------------------------------


class _Collector(BaseHTTPRequestHandler):
    """Sentry's ingestion endpoint, on loopback: keeps each envelope it is sent."""

    envelopes: list[bytes] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        self.envelopes.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    _Collector.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


SENTRY_SCRIPT = """
import sys
import sentry_sdk
from beta_training import create_app

app = create_app({"SENTRY_DSN": sys.argv[1], "PROPAGATE_EXCEPTIONS": False})

@app.get("/boom")
def boom():
    raise RuntimeError("boom for the sentry test")

print(app.test_client().get("/boom", headers={"X-Request-ID": "req-sentry-1"}).status_code)
sentry_sdk.flush(timeout=20)
"""


def test_an_error_reaches_sentry_when_a_dsn_is_set(sentry_server):
    """In a process of its own: Sentry's client is global to a process."""
    dsn = f"http://public@127.0.0.1:{sentry_server.server_port}/1"
    result = run([sys.executable, "-c", SENTRY_SCRIPT, dsn], {"BETA_TRAINING_ENV": "testing"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "500"  # the person still gets the error page
    events = [json.loads(line) for envelope in _Collector.envelopes for line in envelope.splitlines()
              if line.startswith(b"{") and b'"exception"' in line]
    assert events, _Collector.envelopes
    [event] = events
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["exception"]["values"][-1]["value"] == "boom for the sentry test"
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert "cookies" not in event.get("request", {}) and "user" not in event  # no personal data


def test_sentry_stays_off_without_a_dsn(app):
    import sentry_sdk

    assert app.config["SENTRY_DSN"] is None
    assert not sentry_sdk.get_client().is_active()
