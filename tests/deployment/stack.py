"""The parts of a deployment, started from a test (or a benchmark) on loopback: a PostgreSQL database migrated
by the release step (`flask db upgrade`), gunicorn instances (`web`), workers (`flask worker`), an SMTP server
that can go down or hold a client, and an HTTP client that signs in as a given user.

Every process runs the production configuration (BETA_TRAINING_ENV=production) from environment variables, as
the Procfile's lines do on a PaaS."""

import asyncio
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET_KEY = "deployment-test-secret-key-not-for-production"
SESSION_COOKIE = "__Host-session"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --- Database -------------------------------------------------------------------------------------------


def create_database(server_url: str, name: str) -> str:
    """An empty database `name` on the server of `server_url`; returns its SQLAlchemy URL."""
    server = sa.make_url(server_url)
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    server = sa.make_url(server_url)
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- SMTP -----------------------------------------------------------------------------------------------


class SmtpServer:
    """aiosmtpd on a fixed loopback port, which can be stopped (connections refused) and started again, and
    which can hold a client: a session whose recipient is in `hold` waits, before the server answers its
    RCPT, until `release()` — the message is received only once its DATA is, never for a client gone."""

    def __init__(self):
        self.port = free_port()
        self._lock = threading.Lock()
        self.raw: list[bytes] = []
        self.hold: set[str] = set()
        self.held_peers: list[tuple] = []
        self._released: asyncio.Event | None = None
        self._controller = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.hold:
            with self._lock:
                self.held_peers.append(session.peer)
            await self._released.wait()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.raw.append(envelope.original_content)
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        # server_hostname given: otherwise aiosmtpd looks up the machine's FQDN for each connection, blocking its loop.
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, server_hostname="localhost")
        self._controller.start()
        self._released = asyncio.Event()  # bound to the controller's loop at its first use
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def release(self):
        self.hold.clear()
        self._controller.loop.call_soon_threadsafe(self._released.set)

    @property
    def messages(self):
        with self._lock:
            raw = list(self.raw)
        return [message_from_bytes(data, policy=policy.default) for data in raw]

    def outbox_ids(self) -> list[int]:
        return [int(m["X-Beta-Training-Outbox-Id"]) for m in self.messages]


# --- Processes ------------------------------------------------------------------------------------------


class Stack:
    """The processes of one deployment; everything it started is stopped by `close()`."""

    def __init__(self, database_url: str, smtp_port: int, logs: Path, **settings):
        self.logs = logs
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BETA_TRAINING", "TEST_DATABASE"))},
            "BETA_TRAINING_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": database_url,
            "BASE_URL": "https://formation.example.test",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port),
            "MAIL_TIMEOUT": "20",  # a loaded machine (CI) can leave the test's SMTP server slow to answer
            "JOBS": "procrastinate",
            "PYTHONPATH": str(ROOT),
            "FLASK_APP": "app.py",
            **settings,
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes[name] = process
        return process

    def release(self):
        """The Procfile's `release` line: the migrations."""
        subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=self.env, check=True,
                       capture_output=True)

    def web(self, name: str, config: str | None = None, workers: int = 2, threads: int = 4) -> str:
        port = free_port()
        command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                   "--threads", str(threads), "--timeout", "60"]
        if config:
            command += ["--config", config]
        self._start(name, [*command, "app:app"])
        url = f"127.0.0.1:{port}"
        wait_until(lambda: _answers(url), 60, f"gunicorn {name} on {url}", interval=0.2)
        return url

    def worker(self, name: str) -> subprocess.Popen:
        return self._start(name, [str(BIN / "flask"), "worker"])

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=30)

    def close(self):
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def _answers(host: str) -> bool:
    try:
        return get(host, "/sante-inexistante").status < 500
    except OSError:
        return False


# --- HTTP -----------------------------------------------------------------------------------------------


class Response:
    def __init__(self, status: int, headers: dict, text: str):
        self.status, self.headers, self.text = status, headers, text


def request(host: str, method: str, path: str, *, cookie: str | None = None, form: dict | None = None) -> Response:
    connection = http.client.HTTPConnection(host, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    finally:
        connection.close()


def get(host: str, path: str, cookie: str | None = None) -> Response:
    return request(host, "GET", path, cookie=cookie)


def signed_in_cookie(user_session_id: str) -> tuple[str, str]:
    """The session cookie of a signed-in user (what the login form would set) and its CSRF token, signed with
    the deployment's SECRET_KEY as Flask and Flask-WTF sign them."""
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    raw_token = os.urandom(20).hex()
    app = Flask("signer")
    app.secret_key = SECRET_KEY
    session = SecureCookieSessionInterface().get_signing_serializer(app).dumps(
        {"_user_id": user_session_id, "_fresh": True, "csrf_token": raw_token}
    )
    csrf = URLSafeTimedSerializer(SECRET_KEY, salt="wtf-csrf-token").dumps(raw_token)
    return f"{SESSION_COOKIE}={session}", csrf


def cookie_from(response: Response, fallback: str) -> str:
    """The session cookie the response set (a flashed message travels in it), else the one sent."""
    found = re.search(rf"{re.escape(SESSION_COOKIE)}=([^;]+)", response.headers.get("set-cookie", ""))
    return f"{SESSION_COOKIE}={found.group(1)}" if found else fallback


def job_schedules(cron: str, names) -> str:
    return json.dumps({name: cron for name in names})
