"""JSON endpoints answer JSON errors: a French message and a machine code, never an HTML page a script would
try to parse (and retry forever). Every endpoint marked JSON is checked, so a new one is covered too."""

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from tests.conftest import login
from beta_training.courses.queries import get_course_outline, ordered_items
from tests.factories import make_mooc, make_user


def _json_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if getattr(app.view_functions[rule.endpoint], "json_errors", False)), key=lambda rule: rule.rule)


def _url(app, rule) -> str:
    """The rule's address with ids and slugs that match nothing."""
    values = {name: 999_999 if isinstance(rule._converters[name], IntegerConverter) else "inconnu" for name in rule.arguments}
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def test_every_autosave_endpoint_is_a_json_endpoint(app):
    autosaves = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith("/brouillon")}
    assert autosaves and autosaves <= {rule.endpoint for rule in _json_rules(app)}


@pytest.mark.parametrize("case", ["anonymous", "no_csrf", "unknown"])
def test_json_endpoints_answer_json_errors(app, client, case):
    if case != "anonymous":
        login(client, make_user())
    for rule in _json_rules(app):
        response = client.post(_url(app, rule), data={"body": "Mon texte"}, csrf=case != "no_csrf")
        expected = {"anonymous": (401, "login_required"), "no_csrf": (400, "csrf_expired"), "unknown": (404, "not_found")}[case]
        assert (response.status_code, response.is_json) == (expected[0], True), rule.rule
        assert response.json["error"] == expected[1] and response.json["message"], rule.rule
        assert "<html" not in response.text


def test_a_script_calling_a_page_that_also_answers_html_gets_json_errors(app, client):
    """« J'ai terminé » answers HTML to the button and JSON to the video player (X-Requested-With: fetch)."""
    course, run = make_mooc(sequences=(1,), kinds=("video",))
    [item] = ordered_items(get_course_outline(course.slug))
    url = f"/mooc/{course.slug}/{run.slug}/contenu/{item.key}/termine"
    anonymous = client.post(url, headers={"X-Requested-With": "fetch"})
    assert anonymous.status_code == 401 and anonymous.json["error"] == "login_required"
    assert client.post(url).status_code == 302  # the button, without the header: the login page
    login(client, make_user())  # not enrolled
    refused = client.post(url, headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert refused.json["message"] == "Vous n’êtes pas inscrit·e à cette session : rien n’est enregistré."
    assert client.post(url).status_code == 403 and "<html" in client.post(url).text  # the button still gets the page
