"""Where a page's time goes: pyinstrument on each key page of the load benchmark, in-process, on the database
benchmarks/load.py generated, after a warm-up; the heaviest costs per page go into « Où part le temps » of
benchmarks/RESULTS.md.

Usage (after `benchmarks/load.py`, which leaves its SQLite file; `make bench` runs both):
    .venv/bin/python benchmarks/profile_pages.py [--database URL] [--seconds 3]

Two lists per page, each share a percentage of the page's profiled time:
- « notre code »: each sample goes to the innermost function of beta_training/ or template of templates/ on its
  stack, so a query function counts the SQL it runs and a template the rendering it asks for;
- « bibliothèques »: each sample goes to the library whose code was running (SQLAlchemy, Jinja2, the sqlite3
  driver…), the « where exactly » below our code.
"""

import argparse
import os
import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import RESULTS, SQLITE_FILE, app_env, replace_section, uptime  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OURS = (str(ROOT / "beta_training") + os.sep, str(ROOT / "templates") + os.sep)
HTTPS = "https://127.0.0.1"


def owner_of(frame) -> str | None:
    """« courses/queries.py:dashboard » or « courses/dashboard.html » when the frame is ours, else None."""
    path = frame.file_path or ""
    for root in OURS:
        if path.startswith(root):
            relative = path[len(root):]
            return relative if relative.endswith((".html", ".txt")) else f"{relative}:{frame.function}"
    return None


def library_of(frame) -> str:
    """The library a frame's code belongs to: the package under site-packages, « stdlib: module », a C
    built-in by its name, or « notre code »."""
    path = frame.file_path or ""
    if owner_of(frame) is not None:
        return "notre code"
    if "site-packages" + os.sep in path:
        return path.split("site-packages" + os.sep, 1)[1].split(os.sep, 1)[0].removesuffix(".py")
    if path.startswith("<built-in>") or not path:
        return f"built-in {frame.function}"
    match = re.search(r"python3\.\d+" + re.escape(os.sep) + r"(.+?)(?:\.py)?$", path)
    return f"stdlib {match.group(1).split(os.sep)[0]}" if match else path


def app_frames(root) -> list:
    """The calls of Flask's wsgi_app: the server's side of each request, without the test client's."""
    found, stack = [], [root]
    while stack:
        frame = stack.pop()
        if frame.function == "wsgi_app" and f"{os.sep}flask{os.sep}" in (frame.file_path or ""):
            found.append(frame)
        else:
            stack.extend(frame.children)
    return found


def attribute(root) -> tuple[Counter, Counter, float]:
    """Self time of every frame under Flask's wsgi_app, given to its innermost frame of ours and to its own
    library; and the total time of the requests."""
    ours, libraries = Counter(), Counter()
    calls = app_frames(root)
    stack = [(frame, None) for frame in calls]
    while stack:
        frame, owner = stack.pop()
        owner = owner_of(frame) or owner
        spent = frame.total_self_time  # its own time, « [self] » children included (so those are skipped)
        if spent:
            ours[owner or "hors de notre code (Flask…)"] += spent
            libraries[library_of(frame)] += spent
        stack.extend((child, owner) for child in frame.children if not child.is_synthetic)
    return ours, libraries, sum(frame.time for frame in calls)


def top(counter: Counter, total: float, count: int = 5) -> str:
    return "; ".join(f"{name} {100 * seconds / total:.0f} %" for name, seconds in counter.most_common(count))


class Browser:
    """The test client over https (the session cookie is Secure), signed in through the form."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, url: str):
        return self.client.get(url, base_url=HTTPS)

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/compte/connexion").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = self.client.post("/compte/connexion", base_url=HTTPS, headers={"Referer": f"{HTTPS}/compte/connexion"},
                                    data={"csrf_token": token, "email": email, "password": password})
        assert response.status_code == 302, response.status_code
        self.get(response.headers["Location"])


def profile(browser: Browser, url: str, seconds: float):
    from pyinstrument import Profiler

    for _ in range(3):  # warm-up: caches filled, the session's CSRF token written
        response = browser.get(url)
        assert response.status_code == 200, (url, response.status_code)
    profiler = Profiler(interval=0.0005)
    requests = 0
    started = time.perf_counter()
    profiler.start()
    while requests < 3 or time.perf_counter() - started < seconds:
        browser.get(url).get_data()
        requests += 1
    profiler.stop()
    return profiler.last_session.root_frame(), requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=f"sqlite:///{SQLITE_FILE}")
    parser.add_argument("--password", default=None)
    parser.add_argument("--seconds", type=float, default=3.0, help="profiled time per page")
    args = parser.parse_args()
    from benchmarks.load import DEFAULT_PASSWORD

    password = args.password or os.environ.get("SCALE_DATA_PASSWORD", DEFAULT_PASSWORD)
    # The production configuration, as benchmarks/load.py serves it (one process here: no Redis needed).
    os.environ.update({**app_env(args.database, ""), "WEB_CONCURRENCY": "1", "REDIS_URL": "", "LOG_LEVEL": "WARNING",
                       "TRUSTED_HOSTS": "127.0.0.1"})
    from beta_training import create_app, scale_data

    app = create_app()
    database = "PostgreSQL" if "postgresql" in args.database else "SQLite"
    with app.app_context():
        targets = scale_data.targets()
    pages = scale_data.key_pages(targets)
    browsers = {}
    before = uptime()
    lines = [
        f"`.venv/bin/python benchmarks/profile_pages.py`, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, on the data of the load "
        f"benchmark above ({targets.learners - 1:,} learners); pyinstrument (0.5 ms sampling) in-process, production "
        f"configuration, after 3 warm-up requests, about {args.seconds:.0f} s of requests per page. « Notre code »: each "
        "sample of the server's side of the requests (under Flask's wsgi_app, not the test client's) counted for the "
        "innermost function of beta_training/ or template on its stack (a query function counts "
        "the SQL it runs, a template its rendering); « bibliothèques »: the library whose code was running. Shares of "
        "the page's time. The milliseconds are the profiler's (sampling slows the code down) on a shared machine: read "
        "the shares, and the server CPU per request of the table above.",
        "",
        f"Load (`uptime`) before: `{before}`; after: AFTER.",
        "",
        "| page | ms per request (profiled) | notre code, 5 plus lourds | bibliothèques, 5 plus lourdes |",
        "|---|---|---|---|",
    ]
    for page in pages:
        if page.role not in browsers:
            browsers[page.role] = Browser(app)
            if page.role != "anonymous":
                browsers[page.role].sign_in(scale_data.STAFF_EMAILS[page.role], password)
        root, requests = profile(browsers[page.role], page.url, args.seconds)
        ours, libraries, total = attribute(root)
        lines.append(f"| {page.label} | {1000 * total / requests:.1f} | {top(ours, total)} | {top(libraries, total)} |")
        print(lines[-1], flush=True)
    body = ("\n".join(lines) + "\n").replace("AFTER", f"`{uptime()}`")
    heading = f"## Où part le temps, {database} (issue #16)"
    RESULTS.write_text(replace_section(RESULTS.read_text(encoding="utf-8"), heading, body), encoding="utf-8")
    print(f"{RESULTS.relative_to(ROOT)}: « {heading[3:]} » written")


if __name__ == "__main__":
    main()
