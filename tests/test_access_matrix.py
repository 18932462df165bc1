"""Every route is in the access matrix (tests/access_matrix.py), and each role gets what the matrix says.

One app and one world for the whole module: entries that change something build their own rows, once per
role, so the shared rows stay as the world made them.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from beta_training.core.mail import drain_deliveries
from beta_training.extensions import db
from tests.access_matrix import ENTRIES, LOGIN, PUBLIC, REFUSED, ROLES, SHOWN_AGAIN, build_world
from tests.conftest import fresh_database_url, login, running_app
from tests.route_scenarios import FETCH

METHODS = ("GET", "POST")
MODULE_CONFIG = {
    "MAIL_OUTBOX_PAGE": True,  # the development outbox pages exist, so who may read them is checked
    # Not access rules: one module sends many forms from one address and one person.
    "RATELIMIT_ENABLED": False,
    "FORUM_POST_LIMIT": 10_000,
}


@pytest.fixture(scope="module")
def app(request, smtp_server, tmp_path_factory, oidc_provider_server):
    directory = tmp_path_factory.mktemp("access-matrix")
    config = {**MODULE_CONFIG, **oidc_provider_server.settings}  # ProConnect's routes answer (loopback provider)
    with running_app(fresh_database_url(request, directory), smtp_server, directory, config) as app:
        yield app


@pytest.fixture(scope="module")
def world(app):
    return build_world()


def routes(app) -> set[tuple[str, str]]:
    """Every (rule, method) the app answers: HEAD and OPTIONS are Flask's own, any other method is a route
    (a PUT or a DELETE too, though the matrix has no entry for one yet: it must fail here, not pass unseen)."""
    return {(str(rule), method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


# --- Every route is declared -------------------------------------------------------------------------------


def test_every_route_is_in_the_access_matrix_or_declared_public(app):
    existing = routes(app)
    declared = {(entry.rule, entry.method) for entry in ENTRIES}
    public = {(rule, method) for rule, method in existing if rule in PUBLIC and method in METHODS}
    problems = {
        # A new route: add it to ENTRIES in tests/access_matrix.py (or to PUBLIC, with the reason).
        "routes in no access matrix": sorted(existing - declared - public),
        "matrix entries for routes that do not exist": sorted(declared - existing),
        "PUBLIC rules that do not exist": sorted(set(PUBLIC) - {rule for rule, _method in existing}),
        "rules both public and in the matrix": sorted({rule for rule, _method in declared} & set(PUBLIC)),
    }
    assert {problem: found for problem, found in problems.items() if found} == {}


def test_entries_are_not_declared_twice():
    ids = [entry.id for entry in ENTRIES]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


@pytest.mark.parametrize("rule", sorted(PUBLIC))
def test_public_routes_answer_anyone(app, rule):
    [found] = [r for r in app.url_map.iter_rules() if str(r) == rule]
    assert not found.arguments, "a public rule with a variable part needs a matrix entry (what to put in it)"
    for method in METHODS:
        if method in found.methods:
            response = app.test_client().open(rule, method=method)
            assert response.status_code < 400 and outcome(response, rule) != LOGIN, f"{method} {rule}: {response.status_code}"


# --- Each role gets what the matrix says ---------------------------------------------------------------


class CommittedWrites:
    """The INSERT, UPDATE and DELETE statements committed while it is open (rolled back ones do not count)."""

    def __init__(self, engine):
        self.engine, self.pending, self.committed = engine, [], []

    def _statement(self, conn, cursor, statement, *args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.pending.append(statement.strip()[:120])

    def _commit(self, conn):
        self.committed += self.pending
        self.pending = []

    def _rollback(self, conn):
        self.pending = []

    def __enter__(self):
        for name, listener in self._listeners():
            sa.event.listen(self.engine, name, listener)
        return self

    def __exit__(self, *exc):
        for name, listener in self._listeners():
            sa.event.remove(self.engine, name, listener)

    def _listeners(self):
        return [("before_cursor_execute", self._statement), ("commit", self._commit), ("rollback", self._rollback)]


def send(client, request, method):
    if method == "GET":
        response = client.get(request.url)
    elif request.send == FETCH:
        response = client.post(request.url, data=request.data, content_type="multipart/form-data",
                               headers={"X-Requested-With": "fetch"})
    else:
        response = client.post(request.url, data=request.data)
    response.get_data()  # a streamed body (CSV exports) runs now, inside this request's context
    response.close()
    return response


def outcome(response, asked: str):
    """The status, or LOGIN for the login page's redirect that brings back to `asked`."""
    location = urlsplit(response.headers.get("Location", ""))
    if response.status_code == 302 and location.path == "/compte/connexion" and "next" in parse_qs(location.query):
        [back] = parse_qs(location.query)["next"]
        return LOGIN if back == asked else f"302 to the login page, next={back!r}"
    return response.status_code


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.id)
def test_each_role_gets_what_the_matrix_says(app, world, entry):
    wrong = []
    for role in ROLES:
        request = entry.build(world, role)  # afresh for each role: its rows are its own
        assert drain_deliveries(timeout=60), "the mail of the build is still being delivered"  # not the request's writes
        client = app.test_client()
        if role != "anonymous":
            login(client, request.owner if role == "owner" and request.owner is not None else world.users[role])
        with CommittedWrites(db.engine) as writes:
            try:
                response = send(client, request, entry.method)
            except Exception as error:  # a 500: the test client raises it
                wrong.append(f"{role}: raised {error!r}")
                db.session.rollback()
                continue
        got, expected = outcome(response, request.url), entry.expected[role]
        if entry.method == "POST" and got == 200 and not writes.committed:
            got = SHOWN_AGAIN
        if got != expected:
            wrong.append(f"{role}: expected {expected}, got {got}")
        elif expected in REFUSED and writes.committed:
            wrong.append(f"{role}: refused ({got}) but wrote {writes.committed}")
        elif expected in REFUSED and (shown := [s for s in world.secrets if s.encode() in response.get_data()]):
            wrong.append(f"{role}: refused ({got}) but the answer shows {shown}")
    assert not wrong, f"{entry.id}:\n" + "\n".join(wrong)
