"""What the page benchmarks share: a database URL, an app on it, and a p50/p95/max + query-count table."""

import statistics
import tempfile
import time

import sqlalchemy as sa

from beta_training import create_app
from beta_training.config import TestConfig


def bench_app(database: str | None):
    """An app on `database` (a disposable one), or on a new SQLite file; mail goes to files."""
    url = database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "MAIL_DELIVERY": "files",
                                                          "MAIL_FILE_DIR": tempfile.mkdtemp()}))


def measure(client, url: str, repeat: int, engine, warm_up: int = 0) -> tuple[list[float], int]:
    """Timings (ms) of `repeat` GETs after `warm_up` ones, and the SQL statements of the first timed one."""
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    timings = []
    for index in range(warm_up + repeat):
        counted = index == warm_up
        if counted:
            sa.event.listen(engine, "before_cursor_execute", listener)
        start = time.perf_counter()
        response = client.get(url)
        _ = response.data
        if index >= warm_up:
            timings.append((time.perf_counter() - start) * 1000)
        if counted:
            sa.event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200, (url, response.status_code)
    return timings, len(statements)


def print_table(client, pages: dict[str, str], repeat: int, engine, warm_up: int = 0, width: int = 45) -> None:
    print(f"{'page':{width}} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for label, page_url in pages.items():
        timings, queries = measure(client, page_url, repeat, engine, warm_up)
        timings.sort()
        p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
        print(f"{label:{width}} {statistics.median(timings):8.1f} {p95:8.1f} {timings[-1]:8.1f} {queries:8d}")
