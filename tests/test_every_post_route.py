"""Every POST route, clicked twice at the same instant: never a 5xx, and the state is what one click leaves.

The routes come from `app.url_map`: a POST rule without a scenario in tests/route_scenarios.py fails here,
so a new form is covered without anyone remembering to add it. Each scenario is built twice in the same
database (two worlds that share no row): one request on the first, two simultaneous ones (two clients with
the same session cookie, as two tabs or a double click, released together by a barrier) on the second.
The rows and emails each phase adds must be the same, and so must the watched state of each world.

Routes treated specially, and why:
- Forms that create something carry a one-time `submission_key`, a fresh one each time the page is shown
  (tests/core/test_input.py checks the pages render it); the scenarios send it as the page does: forum new
  thread and reply, programme item, MOOC module, sequence and run, Alpha session, fiche produit, measure, and
  both bulk emails (Alpha session, MOOC run).
- « Monter » / « Descendre » an item send the position the page showed; the scenario moves the last item up
  (the first one down), so a second move would show.
- A sheet's reviewer is compared as « claimed or not »: each world has its own trainer.
- Pages with two forms or two outcomes get one scenario each: the roadmap page (milestones, measure), the
  unsubscribe link (one click, undo).
"""

import threading
import traceback

import pytest
import sqlalchemy as sa

from beta_training.extensions import db
from tests.conftest import login
from tests.route_scenarios import FETCH, SCENARIOS, server_errors, variant_values  # noqa: F401 (a fixture)


@pytest.fixture
def config_overrides(oidc_provider_server):
    # A failing request answers the 500 page, as in production, instead of raising into the test client.
    # ProConnect configured (loopback provider): its forms exist.
    return {"PROPAGATE_EXCEPTIONS": False, **oidc_provider_server.settings}


def post_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def test_every_post_rule_has_its_scenarios(app):
    expected = set()
    for rule in post_rules(app):
        variants = variant_values(rule)
        expected |= {(str(rule), v) for v in variants} if variants else {(str(rule), None)}
    registered = [(s.rule, s.variant) for s in SCENARIOS]
    assert len(registered) == len(set(registered)), "a scenario is registered twice"
    registered = set(registered)
    # Rules without variants may have several named scenarios (e.g. the two forms of one page).
    plain = {rule for rule, variant in expected if variant is None}
    registered_plain = {(rule, None) if rule in plain else (rule, variant) for rule, variant in registered}
    assert sorted(expected - registered_plain, key=str) == [], "POST routes without a scenario"
    assert sorted(registered_plain - expected, key=str) == [], "scenarios for routes that do not exist"


# --- Sending ------------------------------------------------------------------------------------------------


def browser_clients(app, user, count):
    """`count` clients sharing one session cookie (one browser: two tabs, or one tab clicked twice)."""
    first = app.test_client()
    if user is not None:
        login(first, user)
    token = first.csrf_token()
    cookie = first.get_cookie(app.config["SESSION_COOKIE_NAME"])
    clients = [first]
    for _ in range(count - 1):
        other = app.test_client()
        other.set_cookie(cookie.key, cookie.value)
        clients.append(other)
    return clients, token


def send(client, prepared, token):
    kwargs = {"data": {**prepared.data, "csrf_token": token}}
    if prepared.send == FETCH:
        kwargs.update(content_type="multipart/form-data", headers={"X-Requested-With": "fetch"})
    return client.post(prepared.url, **kwargs)


def fire_together(app, prepared, count=2):
    clients, token = browser_clients(app, prepared.user, count)
    barrier = threading.Barrier(count)
    responses = [None] * count

    def click(index):
        barrier.wait(timeout=30)
        try:
            response = send(clients[index], prepared, token)
            responses[index] = response.status_code
        except Exception:  # a request that raises is a 5xx too (the thread must not hide it)
            responses[index] = traceback.format_exc()

    threads = [threading.Thread(target=click, args=(i,)) for i in range(count)]
    db.session.commit()  # no snapshot of ours spans the requests
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return responses


# --- State ------------------------------------------------------------------------------------------------


def snapshot(mailbox) -> dict:
    db.session.commit()
    # Not page_cache_generations: the page cache's counters (a row per cached page, made by the first write that
    # concerns it, then bumped) say that pages changed, not what a submit left.
    counts = {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
              for table in db.metadata.sorted_tables if table.name != "page_cache_generations"}
    counts["emails delivered"] = len(mailbox.messages)
    return counts


def added(before: dict, after: dict) -> dict:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_a_double_submit_leaves_what_one_submit_leaves(app, mailbox, server_errors, scenario):
    once, twice = scenario.build(), scenario.build()
    db.session.commit()

    before = snapshot(mailbox)
    clients, token = browser_clients(app, once.user, 1)
    single = send(clients[0], once, token)
    assert single.status_code < 400, f"the scenario's request is not valid: {single.status_code}\n{single.text[:2000]}"
    middle = snapshot(mailbox)
    one_request, one_watch = added(before, middle), once.watch()

    statuses = fire_together(app, twice)
    after = snapshot(mailbox)

    failures = [s for s in statuses if not isinstance(s, int) or s >= 500]
    assert not failures, f"{statuses}\n" + "\n".join(server_errors)
    assert added(middle, after) == one_request, f"two simultaneous requests ({statuses}) vs one"
    assert twice.watch() == one_watch
