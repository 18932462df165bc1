"""The pure parts of the load benchmark (benchmarks/serve.py, benchmarks/load.py): reading wrk's output and
writing one section of RESULTS.md. The measuring itself is run by hand (`make bench`), never in tests."""

import pytest

from types import SimpleNamespace

from benchmarks.load import quietest_pair, replace_section
from benchmarks.serve import Server, parse_wrk

# Captured from wrk 4.1.0 (Debian) against benchmarks/bare_app.py under gunicorn -w 2.
WRK_BARE = """Running 5s test @ http://127.0.0.1:18765/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.29ms    7.23ms  78.76ms   87.06%
    Req/Sec     2.68k     1.35k    5.06k    56.00%
  Latency Distribution
     50%    6.83ms
     75%    9.86ms
     90%   16.35ms
     99%   32.20ms
  26697 requests in 5.02s, 395.17MB read
Requests/sec:   5316.19
Transfer/sec:     78.69MB
"""

# Captured too: the same server asked for a page it does not have.
WRK_404 = """Running 2s test @ http://127.0.0.1:18765/absent
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.50ms    6.77ms  56.16ms   78.87%
    Req/Sec     2.42k     1.24k    4.29k    62.50%
  Latency Distribution
     50%    7.98ms
     75%   10.97ms
     90%   15.46ms
     99%   29.37ms
  9657 requests in 2.02s, 3.44MB read
  Non-2xx or 3xx responses: 9657
Requests/sec:   4790.28
Transfer/sec:      1.70MB
"""
# Written by hand in wrk's format: the units (s, us) and the socket errors the captured runs did not show.
WRK_SLOW = """Running 10s test @ http://127.0.0.1:8000/slow
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.81s     2.10s    9.93s    60.00%
    Req/Sec     0.50      1.00     4.00     90.00%
  Latency Distribution
     50%    4.80s
     75%    6.50s
     90%    8.90s
     99%  950.00us
  40 requests in 10.01s, 1.20MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
Requests/sec:      4.00
Transfer/sec:    122.00KB
"""


def test_parse_wrk_reads_the_numbers():
    result = parse_wrk(WRK_BARE)
    assert (result.requests, result.seconds, result.requests_per_second) == (26697, 5.02, 5316.19)
    assert result.latency_ms == {50: 6.83, 75: 9.86, 90: 16.35, 99: 32.2}
    assert (result.p50, result.p99) == (6.83, 32.2)
    assert (result.non_2xx_3xx, result.socket_errors) == (0, {})


def test_parse_wrk_reads_errors_and_units():
    assert parse_wrk(WRK_404).non_2xx_3xx == 9657
    slow = parse_wrk(WRK_SLOW)
    assert slow.p50 == 4800.0 and slow.latency_ms[99] == pytest.approx(0.95)
    assert slow.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 3}
    assert (slow.requests, slow.requests_per_second) == (40, 4.0)


def test_parse_wrk_refuses_an_output_without_latency_distribution():
    without = "\n".join(line for line in WRK_BARE.splitlines() if "%  " not in line and "Distribution" not in line)
    with pytest.raises(ValueError, match="--latency"):
        parse_wrk(without)


RESULTS = """# Benchmark results

## Bulk email (issue #13)

Kept as it is.

## Load benchmark, SQLite (issue #16)

old numbers

## Later section

Also kept.
"""


def test_replace_section_keeps_the_other_sections():
    replaced = replace_section(RESULTS, "## Load benchmark, SQLite (issue #16)", "new numbers\n")
    assert replaced == RESULTS.replace("old numbers", "new numbers")
    appended = replace_section(RESULTS, "## Load benchmark, PostgreSQL (issue #16)", "pg numbers\n")
    assert appended == RESULTS + "\n## Load benchmark, PostgreSQL (issue #16)\n\npg numbers\n"
    last = replace_section(appended, "## Load benchmark, PostgreSQL (issue #16)", "pg again\n")
    assert last == appended.replace("pg numbers", "pg again")


def test_statuses_come_from_the_access_log(tmp_path):
    """wrk does not count a 302 as an error: the access log (gunicorn.conf.py's format) says what was answered."""
    log = tmp_path / "app.log"
    line = '{{"message": "request_id=abc remote=127.0.0.1 \\"GET /forum/1 HTTP/1.1\\" status={} bytes=10 duration_ms=3"}}\n'
    log.write_text(line.format(200))
    server = Server(url="http://127.0.0.1:1", pid=0, log=log)
    offset = server.log_size()
    log.write_text(line.format(200) + line.format(200) + line.format(302) + line.format(200))
    assert server.statuses_since(offset) == {b"200": 2, b"302": 1}


def _pair(bare_rate: float, page_rate: float):
    return (SimpleNamespace(wrk=SimpleNamespace(requests_per_second=bare_rate)),
            SimpleNamespace(wrk=SimpleNamespace(requests_per_second=page_rate)))


def test_a_pair_measured_on_a_busy_machine_is_measured_again_and_the_quietest_kept():
    """The machine is shared: a bare run far under the best one so far (1,830 against 7,000 req/s, as seen) gave a
    ratio of 0.24 for a page at 0.04. The pair is measured again and the one whose bare run is fastest is kept."""
    runs = iter([_pair(1830, 430), _pair(6900, 300)])
    (bare, page), attempts, best = quietest_pair(lambda: next(runs), best_bare=7000)
    assert (bare.wrk.requests_per_second, page.wrk.requests_per_second, attempts, best) == (6900, 300, 2, 7000)


def test_a_quiet_pair_is_measured_once_and_a_busy_machine_at_most_three_times():
    runs = iter([_pair(6000, 300)])
    assert quietest_pair(lambda: next(runs), best_bare=7000)[1:] == (1, 7000)
    runs = iter([_pair(2000, 100), _pair(1900, 90), _pair(2100, 95), _pair(7000, 300)])
    (bare, _page), attempts, _best = quietest_pair(lambda: next(runs), best_bare=7000)
    assert (bare.wrk.requests_per_second, attempts) == (2100, 3)
