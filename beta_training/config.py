"""Configuration classes. Production reads everything secret from the environment."""

import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _first_env(*names: str) -> str | None:
    """The first of these variables that is set: ours, then the name a PaaS add-on gives (Scalingo, Clever Cloud)."""
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


def _database_url(default: str) -> str:
    url = _first_env("DATABASE_URL", "SCALINGO_POSTGRESQL_URL", "POSTGRESQL_ADDON_URI") or default
    # Heroku-style URLs and the plain "postgresql://" scheme both go through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Production defaults: secure, strict, nothing invented."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE / 'beta_training.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # How long a write waits for another one holding the lock (SQLite busy timeout, PostgreSQL lock_timeout)
    # before the person gets the « réessayez » page (503).
    DATABASE_LOCK_TIMEOUT_MS = int(os.environ.get("DATABASE_LOCK_TIMEOUT_MS", "15000"))
    SERVER_NAME = None  # links come from BASE_URL (beta_training.BetaTraining), not from Flask's SERVER_NAME
    PREFERRED_URL_SCHEME = "https"
    # Public address: every absolute link (emails, reset links, calendars) is built on it, in a request or not.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SEND_HSTS = True

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 12 * 3600  # as long as a session: a form left open all day still posts

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("fr", "en")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "beta.gouv.fr formation <formation@beta.gouv.fr>"
    )
    # "smtp" delivers over SMTP (core/mail.py, smtplib); "files" writes .eml files to MAIL_FILE_DIR (development).
    MAIL_DELIVERY = os.environ.get("MAIL_DELIVERY", "smtp")
    MAIL_FILE_DIR = str(INSTANCE / "mail")
    # The outbox page shows reset links: only ever on a developer's machine.
    MAIL_OUTBOX_PAGE = False
    MAIL_MAX_ATTEMPTS = 8
    # Seconds an SMTP connection may wait for the server (connect, each reply): a silent server fails the
    # attempt, which is retried later, instead of holding a delivery thread forever.
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))

    # Background jobs (core/jobs.py): "procrastinate", a queue in PostgreSQL run by the `worker` process, or
    # "in-process", a thread of the web process after each commit (SQLite, `make run`: no worker, cron).
    JOBS = os.environ.get("JOBS") or ("procrastinate" if SQLALCHEMY_DATABASE_URI.startswith("postgresql") else "in-process")
    # Seconds before each retry of a failed job (one more attempt than delays), then it waits for an admin.
    JOB_RETRY_DELAYS = tuple(int(s) for s in os.environ.get("JOB_RETRY_DELAYS", "60,300,900,3600,10800,21600,43200").split(","))
    JOB_CONCURRENCY = int(os.environ.get("JOB_CONCURRENCY", "4"))  # jobs one worker runs at once (threads)
    # A worker writes its heartbeat every JOB_HEARTBEAT_SECONDS; one silent for JOB_STALLED_AFTER_SECONDS is
    # dead (SIGKILL, machine lost), and the jobs it held run again.
    JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", "10"))
    JOB_STALLED_AFTER_SECONDS = float(os.environ.get("JOB_STALLED_AFTER_SECONDS", "60"))
    # {job name: cron (UTC)} over the defaults of beta_training/schedule.py, e.g. {"cohorts.send_reminders": "0 6 * * *"}
    JOB_SCHEDULES = json.loads(os.environ.get("JOB_SCHEDULES") or "{}")

    # Shared by every process and instance when Redis is there (REDIS_URL); memory:// is one process's own.
    REDIS_URL = _first_env("REDIS_URL", "SCALINGO_REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI")  # unset: REDIS_URL, else memory:// (complete())
    RATELIMIT_KEY_PREFIX = "beta_training"
    # Said in every app: Flask-Limiter keeps an app's « disabled » for the next app the process builds otherwise.
    RATELIMIT_ENABLED = True
    # Redis gone or slow: the limits fall back to each process's memory for a while instead of failing logins.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Players MOOC videos may be embedded from (Content-Security-Policy frame-src).
    VIDEO_EMBED_ORIGINS = ("https://tube.numerique.gouv.fr", "https://www.dailymotion.com", "https://player.vimeo.com")
    # Downloadable files of MOOC resources; a request may be a little larger (the rest of the form).
    RESOURCE_MAX_BYTES = 20 * 1024 * 1024
    MAX_CONTENT_LENGTH = RESOURCE_MAX_BYTES + 1024 * 1024
    # Forum: at most FORUM_POST_LIMIT posts per FORUM_POST_LIMIT_SECONDS per person (staff excepted); with
    # FORUM_HOLD_FIRST_POSTS = N, a new account's first N posts wait for a moderator.
    FORUM_POST_LIMIT = int(os.environ.get("FORUM_POST_LIMIT", "10"))
    FORUM_POST_LIMIT_SECONDS = int(os.environ.get("FORUM_POST_LIMIT_SECONDS", "600"))
    FORUM_MAX_BODY = 10_000
    FORUM_HOLD_FIRST_POSTS = int(os.environ.get("FORUM_HOLD_FIRST_POSTS", "0"))
    # A post's notification emails leave this long after it (or its approval): time for its author to fix it
    # and for a moderator to hide it. A post hidden, deleted or held by then is never emailed.
    FORUM_NOTIFY_GRACE_SECONDS = int(os.environ.get("FORUM_NOTIFY_GRACE_SECONDS", "120"))
    SEAT_LOCKING = True  # switched off only by the test that proves the lock is needed
    # Rate limits: per account first (the signed-in person, or the address typed in the form), then per IP
    # address. The per-account limits stop password guessing; the per-IP ones only stop one machine hammering,
    # and are sized for ministries whose agents all leave through one exit address (a ministry's proxy, the
    # RIE): a whole Alpha session (28) signing up in the same hour, a MOOC opening day where a few hundred
    # agents of one administration log in within 15 minutes, one in four mistyping a password once.
    # Only failed logins (and failed password changes) count.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes; 10 per day"
    LOGIN_LIMIT_PER_IP = "300 per 15 minutes; 3000 per day"
    SIGNUP_LIMIT_PER_ACCOUNT = "3 per hour"
    SIGNUP_LIMIT_PER_IP = "100 per hour; 500 per day"
    RESET_LIMIT_PER_ACCOUNT = "3 per hour; 10 per day"
    RESET_LIMIT_PER_IP = "100 per hour; 500 per day"
    PASSWORD_CHANGE_LIMIT_PER_ACCOUNT = "5 per 15 minutes; 10 per day"

    # ProConnect (README « Déployer »): on when its client id, secret and discovery URL are all set, off (no
    # button, its routes answer 404) when none is; production refuses a half-set one (production_refusal).
    PROCONNECT_CLIENT_ID = os.environ.get("PROCONNECT_CLIENT_ID") or None
    PROCONNECT_CLIENT_SECRET = os.environ.get("PROCONNECT_CLIENT_SECRET") or None
    PROCONNECT_DISCOVERY_URL = os.environ.get("PROCONNECT_DISCOVERY_URL") or None
    PROCONNECT_ACR_VALUES = os.environ.get("PROCONNECT_ACR_VALUES") or None  # e.g. eidas1; not sent when unset
    # Sent as `prompt` when a signed-in person confirms her identity before an erasure (OpenID Connect: `login`
    # asks the provider to identify her again). Empty: not sent, if a provider refuses it.
    PROCONNECT_REAUTHENTICATION_PROMPT = os.environ.get("PROCONNECT_REAUTHENTICATION_PROMPT", "login")
    # What the service asks for, and no more (RGPD minimisation; reference §3.2).
    PROCONNECT_SCOPES = os.environ.get("PROCONNECT_SCOPES") or "openid email given_name usual_name siret uid idp_id"
    # Seconds the provider may take to answer one call (discovery, token, keys, userinfo) before the person
    # gets the « ProConnect ne répond pas » page instead of a worker held for ever.
    PROCONNECT_TIMEOUT = float(os.environ.get("PROCONNECT_TIMEOUT", "10"))
    # Sign-in links that wait in a mailbox (linking a ProConnect identity to an existing account).
    PROCONNECT_LINK_MAX_AGE = 3600
    # The identity ProConnect vouched for waits this long for its owner to prove she holds the account.
    PROCONNECT_PENDING_MAX_AGE = 15 * 60
    # Other origins a form may lead to (CSP form-action): the provider's, derived in complete(). Chromium
    # checks the redirects after a form too: the sign-in button and « Se déconnecter » end up there.
    FORM_ACTION_ORIGINS: tuple = ()

    EMAIL_CONFIRMATION_MAX_AGE = 48 * 3600
    PASSWORD_RESET_MAX_AGE = 3600
    PASSWORD_MIN_LENGTH = 12

    ACCESSIBILITY_STATUS = "non conforme"
    SITE_NAME = "beta.gouv.fr formation"
    DEMO_SEEDING_ALLOWED = False
    USERS_PER_PAGE = 25

    # --- Deployment (README « Déployer ») ---------------------------------------------------------------
    # SQLite in production only for a single-machine install, said out loud (its file must survive redeploys).
    ALLOW_SQLITE_IN_PRODUCTION = _bool("ALLOW_SQLITE_IN_PRODUCTION")
    # How many processes serve: gunicorn's workers per container (the Python buildpack sets WEB_CONCURRENCY
    # from the container's size) times the web containers. More than one needs a shared rate-limit store.
    WEB_CONCURRENCY = _int("WEB_CONCURRENCY", 1)
    WEB_INSTANCES = _int("WEB_INSTANCES", 1)
    # Proxies in front of the app that we trust to say who the client is (werkzeug ProxyFix): the number of
    # hops for each X-Forwarded-* header. 0 ignores the header: a client could write it itself.
    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = _int("PROXY_FIX_X_PROTO", 0)
    PROXY_FIX_X_HOST = _int("PROXY_FIX_X_HOST", 0)
    PROXY_FIX_X_PORT = _int("PROXY_FIX_X_PORT", 0)
    PROXY_FIX_X_PREFIX = _int("PROXY_FIX_X_PREFIX", 0)
    # Host headers the app answers (Flask's TRUSTED_HOSTS); unset: BASE_URL's host alone. Every absolute link
    # is built on BASE_URL whatever the Host header says (beta_training.BetaTraining.create_url_adapter).
    TRUSTED_HOSTS = _list("TRUSTED_HOSTS") or None
    TRUSTED_HOSTS_FROM_BASE_URL = True
    # Static files built by scripts/build_static.py (hashed names, gzip and brotli), served by WhiteNoise.
    STATIC_BUILD = True
    STATIC_ROOT = str(ROOT / "staticfiles")
    STATIC_MAX_AGE = 3600  # files without a hash in their name (hashed ones are cached for a year)
    # Logs on stdout: one JSON object per line in production, plain text on a developer's machine.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    SENTRY_DSN = os.environ.get("SENTRY_DSN")
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
    SENTRY_TRACES_SAMPLE_RATE = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0"))
    # /healthz answers 503 when the oldest job waiting is older than this.
    HEALTH_MAX_QUEUE_LAG_SECONDS = _int("HEALTH_MAX_QUEUE_LAG_SECONDS", 600)

    # --- Page cache (core/page_cache.py, README « Performance ») ------------------------------------------
    # Pages for anonymous visitors (home, Alpha sessions, MOOC presentation, attestation check) rendered once
    # and served before Flask until a write changes them. Off: every request is rendered.
    PAGE_CACHE_ENABLED = _bool("PAGE_CACHE_ENABLED", True)
    # A copy is retired by the writes it shows (exactly) and by the next moment its page changes with the clock;
    # this bound is a safety net for changes no ORM flush sees (a hand-made SQL fix, a migration run while old
    # processes still serve), short enough that such a page is not wrong for long.
    PAGE_CACHE_MAX_AGE = _int("PAGE_CACHE_MAX_AGE", 600)
    PAGE_CACHE_MAX_ENTRIES = _int("PAGE_CACHE_MAX_ENTRIES", 1000)  # per process, ~15 kB each

    # --- Personal data (beta_training/privacy; /donnees-personnelles renders these numbers) ----------------
    # An account nobody signed in to for this many years (since its creation if never) is erased, after a
    # warning email RETENTION_WARNING_DAYS before (the `privacy.purge_retention` job, daily).
    RETENTION_INACTIVE_YEARS = _int("RETENTION_INACTIVE_YEARS", 3)
    RETENTION_WARNING_DAYS = _int("RETENTION_WARNING_DAYS", 30)
    # Sign-in events (date, method, network): the CNIL recommends 6 months to 1 year for such logs.
    SIGN_IN_EVENTS_RETENTION_DAYS = _int("SIGN_IN_EVENTS_RETENTION_DAYS", 365)
    # Emails in the outbox, once sent or given up: what was sent to whom, for support questions.
    OUTBOX_RETENTION_DAYS = _int("OUTBOX_RETENTION_DAYS", 90)
    # Forum drafts (autosaved replies never sent) untouched for this long.
    DRAFTS_RETENTION_DAYS = _int("DRAFTS_RETENTION_DAYS", 90)
    # One-time form keys (what a double click finds): only useful for the minutes after a form is sent.
    FORM_KEYS_RETENTION_DAYS = _int("FORM_KEYS_RETENTION_DAYS", 7)
    # The record of exports made by an admin for someone and of erasures (admin's name, reason): proof that a
    # request was honoured, kept this long, then purged by the same job.
    PRIVACY_ACTIONS_RETENTION_DAYS = _int("PRIVACY_ACTIONS_RETENTION_DAYS", 3 * 365)
    # The data protection officer (DPD) named on /donnees-personnelles; DINUM's is the Prime Minister's services'.
    DPO_EMAIL = os.environ.get("DPO_EMAIL", "dpd@pm.gouv.fr")
    # Who answers questions and requests about personal data (the team's address).
    PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "formation@beta.gouv.fr")
    # The host, named on the legal notice (LCEN art. 6) and among the processors of /donnees-personnelles: its
    # name and address, and where the data is kept. Unset: the pages say it is to be filled in.
    HOSTING_PROVIDER = os.environ.get("HOSTING_PROVIDER", "")
    HOSTING_COUNTRY = os.environ.get("HOSTING_COUNTRY", "France (Union européenne)")

    @classmethod
    def complete(cls, config) -> None:
        """Settings derived from others, once a test's or an operator's overrides are in."""
        config["RATELIMIT_STORAGE_URI"] = config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"
        if config.get("TRUSTED_HOSTS") is None and config.get("TRUSTED_HOSTS_FROM_BASE_URL"):
            host = urlsplit(config.get("BASE_URL") or "").hostname
            config["TRUSTED_HOSTS"] = [host] if host else None
        discovery = urlsplit(config.get("PROCONNECT_DISCOVERY_URL") or "")
        if discovery.scheme and discovery.netloc and not config.get("FORM_ACTION_ORIGINS"):
            config["FORM_ACTION_ORIGINS"] = (f"{discovery.scheme}://{discovery.netloc}",)

    @classmethod
    def check(cls, config) -> None:
        refusal = production_refusal(config)
        if refusal:
            raise StartupRefused(refusal)


class DevConfig(Config):
    ENV_NAME = "development"
    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE / 'beta_training.sqlite3'}")
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SEND_HSTS = False
    PREFERRED_URL_SCHEME = "http"
    MAIL_DELIVERY = os.environ.get("MAIL_DELIVERY", "files")
    MAIL_OUTBOX_PAGE = True
    DEMO_SEEDING_ALLOWED = True
    # `make run`: Flask serves static/ as it is, any Host header (localhost or 127.0.0.1), logs in plain text.
    STATIC_BUILD = False
    TRUSTED_HOSTS_FROM_BASE_URL = False
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")

    @classmethod
    def check(cls, config) -> None:
        return None


class TestConfig(DevConfig):
    ENV_NAME = "testing"
    DEBUG = False
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    MAIL_DELIVERY = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 0  # the SMTP fixture sets its port
    MAIL_OUTBOX_PAGE = False
    RATELIMIT_STORAGE_URI = None  # memory://, or the REDIS_URL a test gives
    SERVER_NAME = None
    LOG_LEVEL = "WARNING"  # not every request of the live server in the test output
    # Nothing from the developer's environment: no Redis, no Sentry, no proxy trusted, any Host.
    REDIS_URL = None
    SENTRY_DSN = None
    TRUSTED_HOSTS = None
    PROXY_FIX_X_FOR = PROXY_FIX_X_PROTO = PROXY_FIX_X_HOST = PROXY_FIX_X_PORT = PROXY_FIX_X_PREFIX = 0
    WEB_CONCURRENCY = WEB_INSTANCES = 1
    JOBS = "in-process"  # on PostgreSQL too: tests/core/test_jobs.py and tests/deployment/ run the worker
    # Off unless a test starts its loopback provider (tests/accounts/oidc_provider.py).
    PROCONNECT_CLIENT_ID = PROCONNECT_CLIENT_SECRET = PROCONNECT_DISCOVERY_URL = PROCONNECT_ACR_VALUES = None


CONFIGS = {"production": Config, "development": DevConfig, "testing": TestConfig}


class StartupRefused(SystemExit):
    """Production refuses to start: one sentence saying what to set. A SystemExit, so `flask …` and gunicorn
    stop with status 1 and print that sentence alone on stderr, without a traceback to read through."""


PROCONNECT_SETTINGS = ("PROCONNECT_CLIENT_ID", "PROCONNECT_CLIENT_SECRET", "PROCONNECT_DISCOVERY_URL")


def serving_processes(config) -> int:
    return max(1, config.get("WEB_CONCURRENCY") or 1) * max(1, config.get("WEB_INSTANCES") or 1)


def production_refusal(config) -> str | None:
    """The first setting that production cannot run without, as one sentence for the operator; None if all is set."""
    if not config.get("SECRET_KEY"):
        return ("SECRET_KEY manque : donnez-lui une longue chaîne aléatoire "
                "(python -c \"import secrets; print(secrets.token_urlsafe(64))\").")
    database = config.get("SQLALCHEMY_DATABASE_URI") or ""
    sqlite_allowed = database.startswith("sqlite") and config.get("ALLOW_SQLITE_IN_PRODUCTION")
    if not (database.startswith("postgresql") or sqlite_allowed):
        return ("DATABASE_URL doit désigner une base PostgreSQL (postgresql://…) : SQLite n'est accepté en production "
                "qu'avec ALLOW_SQLITE_IN_PRODUCTION=1, pour une installation sur une seule machine.")
    base_url = config.get("BASE_URL") or ""
    if not (base_url.startswith("https://") and urlsplit(base_url).hostname):
        return (f"BASE_URL doit être l'adresse publique du service en https:// (par exemple "
                f"https://formation.beta.gouv.fr), pas « {base_url} ».")
    proconnect = {name: config.get(name) for name in PROCONNECT_SETTINGS}
    if any(proconnect.values()) and not all(proconnect.values()):
        missing = ", ".join(name for name, value in proconnect.items() if not value)
        return (f"ProConnect est à moitié configuré : il manque {missing}. Définissez PROCONNECT_CLIENT_ID, "
                "PROCONNECT_CLIENT_SECRET et PROCONNECT_DISCOVERY_URL ensemble, ou aucune des trois.")
    discovery_url = proconnect["PROCONNECT_DISCOVERY_URL"] or ""
    if discovery_url and not (discovery_url.startswith("https://") and urlsplit(discovery_url).hostname):
        return (f"PROCONNECT_DISCOVERY_URL doit être une adresse https:// (par exemple https://auth.agentconnect.gouv.fr"
                f"/api/v2/.well-known/openid-configuration), pas « {discovery_url} ».")
    processes = serving_processes(config)
    if processes > 1 and (config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory"):
        return (f"{processes} processus servent (WEB_CONCURRENCY × WEB_INSTANCES) mais les limites de tentatives "
                "restent dans la mémoire de chacun : définissez REDIS_URL (ou RATELIMIT_STORAGE_URI=redis://…) "
                "pour qu'ils les partagent.")
    return None


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("BETA_TRAINING_ENV", "production")]
