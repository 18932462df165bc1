"""Shared fixtures: app per test (SQLite file per test, or a PostgreSQL database truncated after each
test), a CSRF-aware client, login helper, a real SMTP server on loopback, a live server and Chromium."""

import hashlib
import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from beta_training import create_app
from beta_training.config import TestConfig
from beta_training.core.mail import drain_deliveries
from beta_training.extensions import db as _db
from beta_training.extensions import limiter

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")  # set by `make test` for the PostgreSQL pass
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def is_postgres() -> bool:
    return bool(POSTGRES_URL)


# --- SMTP: a real server on loopback -----------------------------------------------------------------


class Mailbox:
    """What the loopback SMTP server received, parsed into email.message.EmailMessage objects, and the raw
    bytes as they came over the wire (policy.default decodes RFC 2047 words: a header a mail client would
    not understand can still look right once parsed)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._messages = []
        self._raw = []
        self._peers = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self._lock:
            self._raw.append(envelope.original_content)
            self._peers.append(session.peer)  # the client's (address, port): one per SMTP connection
            self._messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        with self._lock:
            return list(self._messages)

    @property
    def raw_messages(self) -> list[bytes]:
        with self._lock:
            return list(self._raw)

    @property
    def peers(self) -> list:
        """Where each message came from: messages sent on one connection share their peer."""
        with self._lock:
            return list(self._peers)

    def clear(self):
        with self._lock:
            self._messages.clear()
            self._raw.clear()
            self._peers.clear()

    def wait_for(self, count: int, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.mailbox = mailbox
    yield controller
    controller.stop()


class SilentSmtpServer:
    """Accepts connections and never says a word, not even the 220 greeting, until released: what a hung or
    black-holed mail relay looks like to a client. Released at the latest after `hold` seconds (so code
    without a timeout ends, and its test fails instead of hanging)."""

    def __init__(self, hold: float = 30.0):
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._connections = []
        self._released = False
        self._lock = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()
        self._timer = threading.Timer(hold, self.release)
        self._timer.daemon = True
        self._timer.start()

    def _accept(self):
        while True:
            try:
                connection, _address = self._socket.accept()
            except OSError:  # released
                return
            with self._lock:
                if self._released:
                    connection.close()
                    return
                self._connections.append(connection)
                self._lock.notify_all()

    @property
    def connection_count(self) -> int:
        with self._lock:
            return len(self._connections)

    def wait_for_connections(self, count: int, timeout: float = 30.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: len(self._connections) >= count, timeout)

    def release(self):
        """Hang up on every client and stop listening."""
        self._timer.cancel()
        with self._lock:
            if self._released:
                return
            self._released = True
            for connection in self._connections:
                connection.close()
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept() (close alone does not)
        except OSError:
            pass
        self._socket.close()


@pytest.fixture
def silent_smtp(app):
    """The app's mail goes to a SilentSmtpServer."""
    server = SilentSmtpServer()
    app.config["MAIL_PORT"] = server.port
    yield server
    server.release()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.mailbox.clear()
    return smtp_server.mailbox


# --- Databases -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One SQLite file migrated to head, copied for each test. Migrations, not create_all: the forum's FTS5
    table exists only in them (test_migrations proves models and migrations agree on the rest)."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    app = create_app(type("TemplateConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema(worker_id):
    """One database per xdist worker (each truncates its own tables after every test)."""
    if not is_postgres():
        return None
    url = POSTGRES_URL if worker_id == "master" else _worker_database(POSTGRES_URL, worker_id)
    app = create_app(type("PgConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        with _db.engine.begin() as connection:  # a fresh schema, then the migrations (search index included)
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        _db.engine.dispose()
    return url


def _worker_database(url: str, worker_id: str) -> str:
    server = sa.make_url(url)
    name = f"{server.database}_{worker_id}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _truncate_all(engine) -> None:
    """Empty every table. DELETE is much faster than TRUNCATE on the handful of rows a test writes."""
    with engine.begin() as connection:
        for table in reversed(_db.metadata.sorted_tables):
            connection.execute(table.delete())


def fresh_database_url(request, directory: Path) -> str:
    """A database at head with no rows: a copy of the SQLite template in `directory`, or the worker's
    PostgreSQL database (emptied when the app that used it goes, see `running_app`)."""
    if is_postgres():
        return request.getfixturevalue("postgres_schema")
    path = directory / "test.sqlite3"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def database_url(request, tmp_path):
    return fresh_database_url(request, tmp_path)


@pytest.fixture
def config_overrides():
    """Override in a test module (or parametrize) to change the app config."""
    return {}


@contextmanager
def running_app(database_url: str, smtp_server, directory: Path, config_overrides: dict):
    """The app on `database_url`, inside its app context; afterwards its mail is delivered and its rows go."""
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        "MAIL_FILE_DIR": str(directory / "mail"),
        **config_overrides,
    }
    # Flask-Limiter keeps « storage dead » on its one extension object across init_app: after an app that met a
    # dead Redis, the next test's app would count in a fallback memory, then switch to its own storage mid-test
    # when a periodic check finds it alive, forgetting the counts (a limit test failed in single-process runs).
    limiter._storage_dead = False
    app = create_app(type("PerTestConfig", (TestConfig,), settings))
    app.test_client_class = CsrfClient
    app.test_cli_runner_class = DrainingCliRunner
    with app.app_context():
        yield app
        assert drain_deliveries(timeout=60), "background mail delivery still running"  # before the data goes
        _db.session.remove()
        if is_postgres():
            _truncate_all(_db.engine)
        _db.engine.dispose()


@pytest.fixture
def app(database_url, smtp_server, config_overrides, tmp_path):
    with running_app(database_url, smtp_server, tmp_path, config_overrides) as app:
        yield app


@pytest.fixture
def db(app):
    return _db


# --- HTTP clients --------------------------------------------------------------------------------------


class CsrfClient(FlaskClient):
    """Test client that sends a valid CSRF token with every form POST, as a browser would.

    CSRF protection stays on in tests: pass `csrf=False` to send a POST without the token.
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf=True, drain=True, **kwargs):
        method = kwargs.get("method", "GET").upper()
        data = kwargs.get("data")
        if csrf and method == "POST" and (data is None or isinstance(data, dict)):
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        # Like a real server: each request gets its own app context (fresh `g`, its own DB session),
        # and sees what the test committed; afterwards the test reads fresh rows.
        in_test_context = has_app_context()  # False in the worker threads of concurrency tests
        if in_test_context:
            _db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if drain:
            assert drain_deliveries(timeout=60), "background mail delivery still running"
        if in_test_context:
            _db.session.expire_all()
        return response


class DrainingCliRunner(FlaskCliRunner):
    """A command's mail leaves in the background after its commit; a cron process waits for it before it
    exits (the pool's threads are joined), so does this runner before it returns."""

    def invoke(self, *args, **kwargs):
        result = super().invoke(*args, **kwargs)
        assert drain_deliveries(timeout=60), "background mail delivery still running"
        return result


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, user) -> None:
    """Log in through the session (the login form itself has its own tests)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def login_as(client):
    def _login(user):
        login(client, user)
        return client

    return _login


# --- Query counting (no N+1) ---------------------------------------------------------------------------


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.statements = []

    def _record(self, conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
            self.statements.append(statement)

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    return lambda: QueryCounter(_db.engine)


# --- Live server + Chromium -----------------------------------------------------------------------------


@contextmanager
def serve(app):
    """`app` served on a free loopback port by a thread; the server's `url` is its address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    with serve(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(20_000)  # generous: CI runs two workers on two cores
    yield page
    context.close()


def tick(control) -> None:
    """Check a DSFR radio button or checkbox as a person does, by clicking its label (DSFR hides the input
    itself), then wait until it is checked. A forced click on the hidden input was flaky under load."""
    from playwright.sync_api import expect

    control.page.locator(f"label[for=\"{control.get_attribute('id')}\"]").click()
    expect(control).to_be_checked()


def browser_login(page, email: str, password: str) -> None:
    page.goto("/compte/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.wait_for_url("**/compte/")


# --- ProConnect: a real OpenID Connect provider on loopback ------------------------------------------------


@pytest.fixture(scope="session")
def oidc_provider_server():
    from tests.oidc_provider import LoopbackProvider

    provider = LoopbackProvider()
    with serve(provider.app) as server:
        provider.url = server.url
        yield provider


@pytest.fixture
def oidc_provider(oidc_provider_server):
    """The loopback provider, its switches reset. Configure the app with `oidc_provider.settings`."""
    oidc_provider_server.reset()
    return oidc_provider_server


# --- Redis: a real server on loopback -------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    from tests.redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The loopback Redis, emptied for this test."""
    client = redis_server.client()
    client.flushall()
    client.close()
    return redis_server.url
