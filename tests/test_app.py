from pathlib import Path

import pytest

from beta_training import create_app
from beta_training.config import Config, StartupRefused, TestConfig


def test_app_py_only_creates_the_app():
    source = (Path(__file__).parent.parent / "app.py").read_text()
    code = [line for line in source.splitlines() if line.strip() and not line.startswith(("from ", "import "))]
    assert code == ["app = create_app()"]


def test_production_config_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setattr(Config, "SECRET_KEY", None)
    with pytest.raises(StartupRefused, match="SECRET_KEY"):
        create_app(Config)


def test_production_cookies_are_secure():
    assert Config.SESSION_COOKIE_SECURE and Config.SESSION_COOKIE_HTTPONLY
    assert Config.SESSION_COOKIE_SAMESITE == "Lax"
    assert Config.SESSION_COOKIE_NAME.startswith("__Host-")
    assert Config.REMEMBER_COOKIE_SECURE and Config.REMEMBER_COOKIE_HTTPONLY
    assert Config.WTF_CSRF_ENABLED and Config.DEMO_SEEDING_ALLOWED is False


def test_testing_config_keeps_csrf_on():
    assert TestConfig.WTF_CSRF_ENABLED is True


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'self'"):
        assert directive in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_hsts_sent_only_when_configured(app, client):
    # A page the page cache does not keep: a kept copy has the headers of its render, and the setting changes
    # here while the app runs.
    assert "Strict-Transport-Security" not in client.get("/mentions-legales").headers
    app.config["SEND_HSTS"] = True
    assert client.get("/mentions-legales").headers["Strict-Transport-Security"].startswith("max-age=31536000")
