"""beta_training: the platform where beta.gouv.fr trains the public agents who build Startups d'État."""

from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.exceptions import SecurityError

from beta_training.config import ROOT, config_from_env


class BetaTraining(Flask):
    """Flask, with every absolute URL (emails, reset links, calendars) built on BASE_URL's scheme and host,
    never on the request's Host header: a forged Host cannot send someone a reset link to another site, and
    a router that talks plain HTTP to the app does not turn links into http://."""

    def create_url_adapter(self, request):
        base_url = self.config.get("BASE_URL")
        if request is None and base_url:
            # No request (a job of the worker or of a thread, a `flask …` command): url_for() builds its links
            # on BASE_URL, path included, instead of failing without SERVER_NAME or needing a made-up request.
            base = urlsplit(base_url)
            return self.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or None, url_scheme=base.scheme)
        try:
            adapter = super().create_url_adapter(request)  # checks the Host header against TRUSTED_HOSTS
        except SecurityError as untrusted_host:
            if request is None or not base_url:
                raise
            # Refused (400), but with the site's own error page, whose links need an adapter.
            request.routing_exception = untrusted_host
            base = urlsplit(base_url)
            return self.url_map.bind(base.netloc, script_name=request.script_root or None, url_scheme=base.scheme,
                                     subdomain="", path_info=request.path, default_method=request.method)
        if request is not None and adapter is not None and base_url:
            base = urlsplit(base_url)
            adapter.url_scheme, adapter.server_name = base.scheme, base.netloc
        return adapter


def create_app(config=None) -> Flask:
    """Build the application. `config` is a config class, or a dict of overrides on top of the env's."""
    app = BetaTraining(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    if config is None or isinstance(config, dict):
        config_class = config_from_env()
        app.config.from_object(config_class)
        app.config.update(config or {})
    else:
        config_class = config
        app.config.from_object(config_class)
    config_class.complete(app.config)
    config_class.check(app.config)  # production: refuses to start, in one sentence, without what it needs
    Path(app.instance_path).mkdir(exist_ok=True)  # holds the SQLite file and the dev mail folder

    register_observability(app)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_handlers(app)
    register_commands(app)
    register_middleware(app)
    return app


def register_observability(app: Flask) -> None:
    from beta_training.core import observability

    observability.configure_logging(app)
    observability.init_sentry(app)
    observability.init_request_id(app)


def register_middleware(app: Flask) -> None:
    """Around the WSGI app: the page cache innermost (core/page_cache.py), WhiteNoise for the built static files,
    then ProxyFix outermost, trusting only the configured number of proxies for each X-Forwarded-* header."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from beta_training.core.page_cache import init_page_cache
    from beta_training.core.static import init_static

    init_page_cache(app)
    init_static(app)
    hops = {name: app.config[f"PROXY_FIX_X_{name.upper()}"] for name in ("for", "proto", "host", "port", "prefix")}
    if any(hops.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops["for"], x_proto=hops["proto"], x_host=hops["host"],
                                x_port=hops["port"], x_prefix=hops["prefix"])


def register_extensions(app: Flask) -> None:
    from beta_training.accounts import proconnect
    from beta_training.accounts.queries import user_for_session_id
    from beta_training.core import auth, i18n, input, security
    from beta_training.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_plurals(app)
    i18n.install_request_domain(app)
    auth.init_login_manager(login_manager, app, load_user=user_for_session_id)
    security.init_security_headers(app)
    proconnect.init_app(app)  # the ProConnect client, when configured
    input.init_input_checks(app)
    from beta_training.core.db import configure_postgresql, configure_sqlite

    lock_timeout_ms = app.config["DATABASE_LOCK_TIMEOUT_MS"]
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, busy_timeout_ms=lock_timeout_ms)
        elif db.engine.dialect.name == "postgresql":
            configure_postgresql(db.engine, lock_timeout_ms=lock_timeout_ms)


def register_blueprints(app: Flask) -> None:
    from beta_training.accounts.views import bp as accounts_bp
    from beta_training.calls.views import bp as calls_bp
    from beta_training.cohorts.views import bp as cohorts_bp
    from beta_training.core.views import bp as core_bp
    from beta_training.courses.views import bp as courses_bp
    from beta_training.forum.views import bp as forum_bp
    from beta_training.privacy.views import bp as privacy_bp
    from beta_training.products.views import bp as products_bp
    from beta_training.sheets.views import bp as sheets_bp
    from beta_training.site.views import bp as site_bp

    for blueprint in (site_bp, core_bp, accounts_bp, cohorts_bp, courses_bp, sheets_bp, calls_bp, products_bp,
                      forum_bp, privacy_bp):
        app.register_blueprint(blueprint)


def register_template_helpers(app: Flask) -> None:
    from beta_training.core import templating
    from beta_training.site.navigation import init_navigation

    templating.init_templating(app)
    init_navigation(app)


def register_error_handlers(app: Flask) -> None:
    from beta_training.core.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from beta_training.cli import register_commands as register

    register(app)
