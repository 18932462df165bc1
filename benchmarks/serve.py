"""What benchmarks/load.py drives: a Redis server, gunicorn instances, a sign-in over HTTP, wrk, and the CPU the
gunicorn workers spent. Kept apart from load.py so that parse_wrk is tested (tests/test_benchmarks.py)."""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


class BenchmarkFailed(SystemExit):
    """A number that would be false (a page answering 302, 403, 429 or 500; a server that did not start)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(check, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise BenchmarkFailed(f"{what} did not start within {timeout:.0f} s")


@contextmanager
def redis_server():
    """A throwaway redis-server on loopback, nothing saved: the shared rate-limit store production requires
    once more than one process serves."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchmarkFailed("redis-server is missing (make system-deps installs it)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        _wait_until(answers, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Server:
    url: str
    pid: int
    log: Path

    def log_size(self) -> int:
        return self.log.stat().st_size

    def statuses_since(self, offset: int) -> Counter:
        """HTTP statuses of the access log lines written since `offset` (gunicorn.conf.py's format)."""
        with self.log.open("rb") as log:
            log.seek(offset)
            return Counter(re.findall(rb"status=(\d{3})", log.read()))

    def worker_cpu_seconds(self) -> float:
        """utime + stime of the master's worker processes (from /proc/<pid>/stat)."""
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
            if int(fields[1]) == self.pid:  # ppid
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICKS


@contextmanager
def gunicorn(app: str, *, config: Path, env: dict, log: Path, cwd: Path = ROOT, workers: int = 2):
    """`gunicorn -c config -w 2 app` on a free loopback port, until the block ends. max_requests is off: a
    worker replaced in the middle of a measurement would take its CPU time with it."""
    port = free_port()
    env = {**os.environ, **env, "PORT": str(port), "GUNICORN_MAX_REQUESTS": "0"}
    with log.open("ab") as output:
        process = subprocess.Popen([str(GUNICORN), "-c", str(config), "-w", str(workers), "--bind", f"127.0.0.1:{port}",
                                    app], cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = Server(url=f"http://127.0.0.1:{port}", pid=process.pid, log=log)

    def ready() -> bool:
        if process.poll() is not None:
            raise BenchmarkFailed(f"gunicorn {app} stopped (exit {process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=5):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    try:
        _wait_until(ready, f"gunicorn {app}")
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _cookies(response, jar: dict) -> dict:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if "expires=thu, 01 jan 1970" in header.lower() or not value:
            jar.pop(name.strip(), None)
        else:
            jar[name.strip()] = value
    return jar


def cookie_header(jar: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def fetch(url: str, jar: dict | None = None, data: dict | None = None) -> tuple[int, str, dict]:
    """One request, redirects not followed, cookies kept in `jar` (by hand: the session cookie is Secure,
    which urllib would not send back over http)."""
    jar = {} if jar is None else jar
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Cookie": cookie_header(jar)} if jar else {})
    try:
        response = _opener.open(request, timeout=120)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        text = response.read().decode("utf-8", "replace")
        _cookies(response, jar)
        return response.status, text, dict(response.headers)


def sign_in(base_url: str, email: str, password: str) -> dict:
    """The cookies of a session signed in through the sign-in form, CSRF token included, as a browser does;
    then the page it leads to is opened once (its flash message is shown and leaves the session)."""
    jar: dict = {}
    status, page, _headers = fetch(f"{base_url}/compte/connexion", jar)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or token is None:
        raise BenchmarkFailed(f"sign-in page: {status}, CSRF token {'found' if token else 'missing'}")
    status, _page, headers = fetch(f"{base_url}/compte/connexion", jar,
                                   {"csrf_token": token.group(1), "email": email, "password": password})
    if status != 302:
        raise BenchmarkFailed(f"sign-in as {email} answered {status}, not 302: wrong password or rate limit?")
    fetch(urllib.parse.urljoin(base_url, headers["Location"]), jar)
    return jar


def check_page(url: str, jar: dict | None) -> None:
    """The page answers 200 itself (not a redirect to the sign-in page, not 403); its session settles (the
    CSRF token a form writes in it on the first visit), so wrk sends a session that no longer changes."""
    for _ in range(2):
        status, _text, headers = fetch(url, jar)
        if status != 200:
            raise BenchmarkFailed(f"{url} answered {status} ({headers.get('Location', '')}): no number for it")


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    latency_ms: dict[int, float]  # percentile → ms (50, 75, 90, 99)
    non_2xx_3xx: int
    socket_errors: dict[str, int]

    @property
    def p50(self) -> float:
        return self.latency_ms.get(50, float("nan"))  # none when no request finished

    @property
    def p99(self) -> float:
        return self.latency_ms.get(99, float("nan"))


def parse_wrk(text: str) -> WrkResult:
    """The numbers of `wrk --latency` output."""
    def number(pattern: str) -> re.Match:
        match = re.search(pattern, text)
        if match is None:
            raise ValueError(f"not in wrk's output: {pattern}\n{text}")
        return match

    latency = {int(percent): float(value) * UNITS_MS[unit]
               for percent, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)}
    total = number(r"(\d+) requests in ([\d.]+)(us|ms|s|m)")
    if not {50, 99} <= set(latency) and int(total.group(1)):
        raise ValueError(f"no latency distribution in wrk's output (--latency missing?)\n{text}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return WrkResult(
        requests=int(total.group(1)), seconds=float(total.group(2)) * UNITS_MS[total.group(3)] / 1000,
        requests_per_second=float(number(r"Requests/sec:\s+([\d.]+)").group(1)), latency_ms=latency,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()))) if errors else {},
    )


def run_wrk(url: str, *, cookies: dict | None = None, seconds: int = 10, threads: int = 2, connections: int = 32) -> WrkResult:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    if cookies:
        command += ["-H", f"Cookie: {cookie_header(cookies)}"]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    return parse_wrk(output)


@dataclass
class Measure:
    wrk: WrkResult
    cpu_ms_per_request: float


def wait_idle(server: Server, timeout: float = 900.0) -> None:
    """Until the workers stop spending CPU: requests wrk gave up on at the end of a run (a page slower than the
    run is long) would otherwise be counted in the next measurement."""
    deadline = time.monotonic() + timeout
    before = server.worker_cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = server.worker_cpu_seconds()
        if now - before < 0.02:
            return
        before = now
    raise BenchmarkFailed(f"{server.url}: still busy {timeout:.0f} s after the load stopped")


def measure(server: Server, path: str, *, cookies: dict | None = None, seconds: int = 10, threads: int = 2,
            connections: int = 32, required: int = 1) -> Measure:
    """wrk on `path`, with the CPU the server's workers spent per request; every answer must be a 200 (wrk
    counts only statuses >= 400 as errors: the access log says whether a 302 slipped in). At least `required`
    requests must finish within the run (0 for a warm-up, which a slow page may not complete)."""
    wait_idle(server)
    offset, cpu = server.log_size(), server.worker_cpu_seconds()
    result = run_wrk(server.url + path, cookies=cookies, seconds=seconds, threads=threads, connections=connections)
    # The requests wrk left in flight are served all the same: their CPU and their access log lines both count.
    wait_idle(server)
    spent = server.worker_cpu_seconds() - cpu
    statuses = server.statuses_since(offset)
    others = {status.decode(): count for status, count in statuses.items() if status != b"200"}
    if others or result.non_2xx_3xx or any(result.socket_errors.values()) or result.requests < required:
        raise BenchmarkFailed(f"{path}: answers other than 200 {others or ''} / wrk non-2xx {result.non_2xx_3xx}, "
                              f"socket errors {result.socket_errors}, {result.requests} requests: no number for it")
    served = sum(statuses.values())
    return Measure(wrk=result, cpu_ms_per_request=1000 * spent / served if served else float("nan"))


def new_secret() -> str:
    return secrets.token_urlsafe(48)
