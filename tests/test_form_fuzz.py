"""Every POST route, sent odd values by every role: never a 5xx.

Each scenario of tests/route_scenarios.py gives a valid request; Hypothesis then mutates it field by field
(random Unicode, NUL, right-to-left marks, 1 MB strings, values at the edge of integer, date and time
fields, a field missing, sent twice or as a list, unknown fields) and sends it as each role (the one the
scenario names, anonymous, a learner, a trainer, a course lead, an admin), as a form, as the multipart body
of the page's scripts, or as a JSON body of the wrong shape. A refusal (4xx) is fine; a 5xx never is.

Deterministic for CI (derandomize, no example database); FUZZ_EXAMPLES=500 explores further locally.
"""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from beta_training.accounts.models import Role, User
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_user
from tests.route_scenarios import FETCH, SCENARIOS, server_errors  # noqa: F401 (a fixture)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,  # nothing written to .hypothesis/
    deadline=None,  # a request on a loaded CI machine may take a while: not a failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    print_blob=False,
)

MEGABYTE = "a" * 1024 * 1024  # 1 MiB: above the form memory limit (ASCII: percent-decoding é is slow in tests)
LARGE = "Ab " * 40_000  # 120 kB: under the limit, over every field's length

ODD_STRINGS = [
    "", " ", "\x00", "a\x00b", "\u202e\u200fmot\u200e", "\ufeff", "\u0000\u0001\u001f\u007f", "𝕏🙂" * 20,
    "\r\n\r\nX-Injected: 1", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd", "=HYPERLINK(\"x\")",
    "ß" * 300, "\t", "null", "true", "[]", "{}",
]
EDGE_VALUES = [
    "-1", "0", "1", "2147483648", "99999999999999999999999", "-99999999999999999999", "1e309", "NaN", "inf", "1.5",
    "0001-01-01", "9999-12-31", "2027-02-30", "0000-00-00", "0001-01-01T00:00", "9999-12-31T23:59", "2027-13-01T25:61",
    "24:00", "23:59:60", "-0", "٣", "１２",
]

odd_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),  # any Unicode but lone surrogates
    st.sampled_from(ODD_STRINGS),
    st.sampled_from(EDGE_VALUES),
    st.sampled_from([MEGABYTE, LARGE]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)


@st.composite
def mutated(draw, valid: dict) -> list[tuple[str, str]]:
    """The valid form, each field kept, dropped, replaced, repeated or turned into a list; maybe extra fields."""
    pairs = []
    for name, value in valid.items():
        values = value if isinstance(value, list) else [value]
        action = draw(st.sampled_from(["keep", "drop", "odd", "odd", "repeat", "list"]))
        if action == "keep":
            pairs += [(name, v) for v in values]
        elif action == "odd":
            pairs.append((name, draw(odd_text)))
        elif action == "repeat":
            pairs += [(name, v) for v in values] + [(name, draw(odd_text))]
        elif action == "list":
            pairs += [(name, v) for v in draw(st.lists(odd_text, min_size=2, max_size=4))]
    names = st.sampled_from(["action", "next", "id", "submission_key", "parent_id", "csrf_token", "source"]) | st.text(max_size=8)
    return pairs + draw(st.lists(st.tuples(names, odd_text), max_size=2))


@pytest.fixture
def config_overrides(oidc_provider_server):
    # 500 pages instead of exceptions; no rate limit, so that each request reaches the form; ProConnect on.
    return {"PROPAGATE_EXCEPTIONS": False, "RATELIMIT_ENABLED": False, **oidc_provider_server.settings}


def send(client, url, body, how, token):
    headers = {"X-CSRFToken": token}
    if how == "json":
        return client.post(url, data=json.dumps(body), content_type="application/json",
                           headers={**headers, "X-Requested-With": "fetch"}, csrf=False)
    pairs = body if any(name == "csrf_token" for name, _ in body) else [("csrf_token", token), *body]
    if how == FETCH:
        # Encoded here, in memory: the test client would spool a large body to a file it never closes.
        boundary, payload = encode_multipart(MultiDict(pairs))
        return client.post(url, data=payload, content_type=f"multipart/form-data; boundary={boundary}",
                           headers={**headers, "X-Requested-With": "fetch"}, csrf=False)
    return client.post(url, data=MultiDict(pairs), csrf=False)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_odd_input_never_gets_a_server_error(app, mailbox, server_errors, scenario):
    prepared = scenario.build()
    people = {"as the scenario says": prepared.user, "anonymous": None, "learner": make_user(),
              "trainer": make_user(roles=[Role.TRAINER]), "course lead": make_user(roles=[Role.COURSE_LEAD]),
              "admin": make_user(roles=[Role.ADMIN])}
    clients = {name: app.test_client() for name in people}
    db.session.commit()
    ids = {name: user.id if user is not None else None for name, user in people.items()}

    @FUZZ
    @given(st.data())
    def run(data):
        role = data.draw(st.sampled_from(["as the scenario says"] * 3 + list(people)[1:]), label="role")
        client = clients[role]
        # Again each time: a previous example may have logged out, or erased the account (« Mes données »): then
        # this one is sent without a session.
        if ids[role] is not None and db.session.get(User, ids[role]) is not None:
            login(client, people[role])
        token = client.csrf_token()
        how = data.draw(st.sampled_from([prepared.send, prepared.send, "json" if prepared.send == FETCH else FETCH]), label="sent as")
        body = data.draw(json_values if how == "json" else mutated(prepared.data), label="body")
        del server_errors[:]
        response = send(client, prepared.url, body, how, token)
        assert response.status_code < 500, "\n".join(server_errors)

    run()
