"""Configuration classes. Production reads everything secret from the environment."""

import json
import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
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
    SERVER_NAME = os.environ.get("SERVER_NAME")
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")
    # Public address, for links in emails sent by cron commands (no request to take it from).
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
    MAIL_SUPPRESS_SEND = False
    # "smtp" delivers through Flask-Mail; "files" writes .eml files to MAIL_FILE_DIR (development).
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

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
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
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes; 10 per day"
    LOGIN_LIMIT_PER_IP = "30 per 15 minutes"
    SIGNUP_LIMIT_PER_IP = "10 per hour"
    RESET_LIMIT_PER_IP = "10 per hour"

    EMAIL_CONFIRMATION_MAX_AGE = 48 * 3600
    PASSWORD_RESET_MAX_AGE = 3600
    PASSWORD_MIN_LENGTH = 12

    ACCESSIBILITY_STATUS = "non conforme"
    SITE_NAME = "beta.gouv.fr formation"
    DEMO_SEEDING_ALLOWED = False
    USERS_PER_PAGE = 25

    @classmethod
    def check(cls, config) -> None:
        if not config.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in the environment for production.")


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
    RATELIMIT_STORAGE_URI = "memory://"
    SERVER_NAME = None
    JOBS = "in-process"  # on PostgreSQL too: tests/core/test_jobs.py and tests/deployment/ run the worker


CONFIGS = {"production": Config, "development": DevConfig, "testing": TestConfig}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("BETA_TRAINING_ENV", "production")]
