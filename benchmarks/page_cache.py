"""CPU per request of the anonymous pages, in process (no network, no server): a bare Flask app returning 15 kB
of constant HTML, each cached page served by the page cache (core/page_cache.py, a WSGI middleware), the same
page served from a very early before_request hook instead (the other place the copy could be served from), and
rendered by Flask (PAGE_CACHE_ENABLED off). A first-time visitor (no cookie: what wrk sends; the cache makes her
session) and a returning one (her session cookie).

    .venv/bin/python benchmarks/page_cache.py                       # SQLite file in a temp dir, demo data
    scripts/with-postgres.sh sh -c '.venv/bin/python benchmarks/page_cache.py --database "$TEST_DATABASE_URL"'

CPU time (time.process_time) of this process over --repeat calls of the WSGI app, per call. The machine may be
shared: the script prints `uptime` first.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, Response, g, request  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from beta_training import create_app  # noqa: E402
from beta_training.config import TestConfig  # noqa: E402

BARE_BODY = ("<!doctype html><html><body>" + "<p>Lorem ipsum dolor sit amet, consectetur.</p>" * 320
             + "</body></html>").encode()[:15 * 1024]


def bare_app() -> Flask:
    app = Flask("bare")

    @app.get("/")
    def home():
        return BARE_BODY

    return app


def app_on(url: str, cached: bool):
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_app(type("BenchConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": url, "MAIL_DELIVERY": "files", "MAIL_FILE_DIR": tempfile.mkdtemp(),
        "PAGE_CACHE_ENABLED": cached, "LOG_LEVEL": "ERROR"}))


def seed(url: str) -> None:
    from flask_migrate import upgrade

    from beta_training.core.db import commit
    from beta_training.demo import seed_demo

    app = app_on(url, cached=False)
    with app.app_context():
        upgrade()
        seed_demo()
        commit()


def early_hook_app(url: str):
    """The other design, for comparison: Flask's full stack (request context, session, routing, after_request
    hooks, session save) with a before_request hook, first of all, that returns the kept copy."""
    from beta_training.core.page_cache import PageCacheMiddleware

    app = app_on(url, cached=False)
    middleware = PageCacheMiddleware(app, app.wsgi_app)  # its reader engine, serializers and placeholder
    copies = {}

    def serve_copy():
        page = getattr(app.view_functions.get(request.endpoint), "cached_page", None)
        if page is None or request.method != "GET":
            return None
        generation = middleware._generation(page.page)
        copy = copies.get(request.full_path)
        if copy is None or copy[0] != generation:
            return None
        from flask import session
        from flask_wtf.csrf import generate_csrf

        return Response(copy[1].replace(middleware.placeholder_bytes, generate_csrf().encode()),
                        content_type="text/html; charset=utf-8")

    def keep(response):
        page = getattr(app.view_functions.get(request.endpoint), "cached_page", None)
        if page is not None and "csrf_token" in g and response.status_code == 200:
            copies[request.full_path] = (middleware._generation(page.page),
                                         response.get_data().replace(g.csrf_token.encode(), middleware.placeholder_bytes))
        return response

    app.before_request_funcs.setdefault(None, []).insert(0, serve_copy)
    app.after_request_funcs.setdefault(None, []).append(keep)
    return app


def cpu_per_request(wsgi_app, path: str, cookie: str | None, repeat: int) -> float:
    builder = EnvironBuilder(path=path, base_url="http://127.0.0.1:5000",
                             headers={"Cookie": cookie} if cookie else {})
    environ = builder.get_environ()
    status = []

    def start_response(status_line, headers, exc_info=None):
        status[:] = [status_line]

    def call():
        body = wsgi_app(dict(environ), start_response)
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()

    for _ in range(5):  # warm up: first render, caches
        call()
    assert status[0].startswith("200"), (path, status)
    start = time.process_time()
    for _ in range(repeat):
        call()
    return (time.process_time() - start) / repeat * 1000


def session_cookie(app, path: str) -> str:
    client = app.test_client()
    client.get(path)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    seed(url)
    cached, uncached, early = app_on(url, cached=True), app_on(url, cached=False), early_hook_app(url)
    with cached.app_context():
        from beta_training.cohorts.models import Cohort
        from beta_training.courses.models import Course, Enrolment
        from beta_training.extensions import db

        cohort = db.session.scalar(db.select(Cohort).order_by(Cohort.starts_on.desc()))
        course = db.session.scalar(db.select(Course))
        code = db.session.scalar(db.select(Enrolment.attestation_code).where(Enrolment.attestation_code.isnot(None)))
    pages = {"home": "/", "Alpha sessions": "/alpha/", "Alpha session": f"/alpha/{cohort.slug}",
             "MOOC list": "/mooc/", "MOOC presentation": f"/mooc/{course.slug}"}
    if code:
        pages["attestation check"] = f"/mooc/attestations/{code}"
    bare = bare_app()
    bare_ms = cpu_per_request(bare.wsgi_app, "/", None, args.repeat)
    print(f"database: {url.split('://')[0]}; {args.repeat} requests each; CPU ms per request (ratio: bare ÷ page)")
    print(f"{'bare Flask, 15 kB constant':34} {bare_ms:7.3f} ms")
    print(f"{'page':22} {'cached new':>12} {'cached back':>12} {'early hook':>12} {'uncached':>10}")
    for label, path in pages.items():
        fresh = cpu_per_request(cached.wsgi_app, path, None, args.repeat)
        back = cpu_per_request(cached.wsgi_app, path, session_cookie(cached, path), args.repeat)
        hook = cpu_per_request(early.wsgi_app, path, session_cookie(early, path), args.repeat)
        rendered = cpu_per_request(uncached.wsgi_app, path, session_cookie(uncached, path), max(args.repeat // 10, 50))
        print(f"{label:22} {fresh:7.3f} ({bare_ms / fresh:4.2f}) {back:7.3f} ({bare_ms / back:4.2f}) "
              f"{hook:7.3f} ({bare_ms / hook:4.2f}) {rendered:6.2f} ({bare_ms / rendered:4.2f})")
    print(f"page cache: {cached.page_cache.stats}")


if __name__ == "__main__":
    main()
