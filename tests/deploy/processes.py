"""Start the app the way a PaaS does (`flask …`, `gunicorn app:app` from the repository root) in a process of
its own, with an environment made for the test: nothing of ours leaks in from the developer's."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv's bin/, where flask and gunicorn are

# Every setting the app reads: removed from the inherited environment, so a test says all it sets.
SETTINGS = (
    "BETA_TRAINING_ENV", "SECRET_KEY", "DATABASE_URL", "SCALINGO_POSTGRESQL_URL", "POSTGRESQL_ADDON_URI",
    "BASE_URL", "REDIS_URL", "SCALINGO_REDIS_URL", "RATELIMIT_STORAGE_URI", "WEB_CONCURRENCY", "WEB_INSTANCES",
    "ALLOW_SQLITE_IN_PRODUCTION", "TRUSTED_HOSTS", "SENTRY_DSN", "LOG_FORMAT", "SERVER_NAME", "PORT",
    "PROXY_FIX_X_FOR", "PROXY_FIX_X_PROTO", "PROXY_FIX_X_HOST", "PROXY_FIX_X_PORT", "PROXY_FIX_X_PREFIX",
    "FLASK_APP", "FLASK_DEBUG",
)

# A production environment that starts: each test removes or spoils one setting.
PRODUCTION = {
    "BETA_TRAINING_ENV": "production",
    "SECRET_KEY": "a-long-random-secret-for-this-test-only-0123456789abcdefghijklmnop",
    "DATABASE_URL": "postgresql://beta:secret@127.0.0.1:1/beta_training",  # never connected to at start
    "BASE_URL": "https://formation.example.gouv.fr",
    "WEB_CONCURRENCY": "1",
}


def environment(settings: dict) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS}
    env.update({name: value for name, value in settings.items() if value is not None})
    return env


def run(command: list[str], settings: dict, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=environment(settings), capture_output=True, text=True,
                          timeout=timeout, check=False)


def flask(*args: str, settings: dict) -> subprocess.CompletedProcess:
    return run([str(BIN / "flask"), *args], settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn started by `gunicorn()`: its port, and once stopped, its exit code and its output."""

    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port
        self.returncode: int | None = None
        self.stdout = self.stderr = ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the way a PaaS stops a container
        try:
            self.stdout, self.stderr = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.stdout, self.stderr = self.process.communicate()
        self.returncode = self.process.returncode


@contextmanager
def gunicorn(settings: dict, *args: str, startup_timeout: float = 60):
    """gunicorn app:app with the repository's gunicorn.conf.py, on a loopback port; yields a Server once it
    accepts connections, stops it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "app:app", "--bind", f"127.0.0.1:{port}", *args],
        cwd=ROOT, env=environment(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    server = Server(process, port)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                server.stop()
                raise AssertionError(f"gunicorn stopped ({process.returncode}): {server.stderr}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("gunicorn did not start listening") from None
                time.sleep(0.1)
        yield server
    finally:
        server.stop()


def get(port: int, path: str, host: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


class Visitor:
    """One person's browser against a server started here: keeps its cookies, sends the site's Host header,
    reads the CSRF token of the page it just got, as a browser posting the form would send it."""

    def __init__(self, port: int, host: str):
        self.port, self.host = port, host
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        from urllib.parse import urlencode

        headers = {"Host": self.host}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode({"csrf_token": self.csrf_token, **form})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie_name, _, rest = value.partition("=")
                    self.cookies[cookie_name] = rest.split(";", 1)[0]
            text = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        if field := re.search(r'<input[^>]*name="csrf_token"[^>]*>', text):
            self.csrf_token = re.search(r'value="([^"]+)"', field.group(0)).group(1)
        return response.status, text
