"""Odd input gets a clear refusal, never a 500: each case here is one the form fuzz (tests/test_form_fuzz.py)
found answering 500, kept as a plain test so that it stays fixed whatever the fuzz draws."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from beta_training.cohorts.models import CohortApplication
from beta_training.extensions import db

from beta_training.accounts.models import Role
from tests.factories import (
    make_application,
    make_cohort,
    make_course_run,
    make_enrolment,
    make_mooc,
    make_product_sheet,
    make_user,
)
from tests.route_scenarios import _cohort_form, _run_form


@pytest.fixture
def config_overrides():
    return {"PROPAGATE_EXCEPTIONS": False}  # a failure answers the 500 page, as in production


def test_a_json_body_is_refused_with_415(client, login_as):
    """Flask-WTF reads a JSON body as the form's data: `false` crashed it, nested lists reached the fields."""
    cohort = make_cohort()
    login_as(make_user())
    for body in ("false", "[1, [2]]", '{"problem": ["a", {"b": 1}]}'):
        response = client.post(f"/alpha/{cohort.slug}/candidater/brouillon", data=body, content_type="application/json",
                                headers={"X-CSRFToken": client.csrf_token(), "X-Requested-With": "fetch"}, csrf=False)
        assert response.status_code == 415  # a script's call: the answer is JSON, as for every JSON endpoint
        assert response.json["error"] == "unsupported_media_type"
        assert response.json["message"].startswith("Format d’envoi non pris en charge")


def test_a_nul_character_is_refused_with_a_clear_400(client, login_as):
    """PostgreSQL cannot store NUL: the text would have failed deep in the database."""
    login_as(make_user())
    response = client.post("/compte/profil", data={"first_name": "Ca\x00mille", "last_name": "Durand"})
    assert response.status_code == 400
    assert "caractère nul" in response.text
    assert client.get("/alpha/a%00b").status_code == 400


def test_a_field_over_the_form_memory_limit_gets_the_413_page(client, login_as):
    login_as(make_user())
    fields = MultiDict({"csrf_token": client.csrf_token(), "first_name": "a" * 1024 * 1024, "last_name": "Durand"})
    boundary, body = encode_multipart(fields)
    response = client.post("/compte/profil", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.text


def test_ids_that_are_not_numbers_are_a_form_error(client, login_as):
    """A value that is no id crashed WTForms' own choice check (its list was None)."""
    cohort = make_cohort(starts_on=date.today() - timedelta(days=1))
    present = make_application(cohort, state="confirmed", attended=True)
    login_as(make_user(roles=[Role.TRAINER]))
    refused = client.post(f"/alpha/gestion/{cohort.id}/presence", data={"attended_ids": ["abc", str(present.id)]})
    assert refused.status_code == 422 and "Le formulaire contient des erreurs" in refused.text
    assert db.session.get(CohortApplication, present.id).attended is True  # nothing saved
    # An empty value is an empty selection: nobody was there.
    assert client.post(f"/alpha/gestion/{cohort.id}/presence", data={"attended_ids": ""}).status_code == 302
    assert db.session.get(CohortApplication, present.id).attended is False


def test_a_sheet_saved_without_its_base_version_asks_to_reload(client, login_as):
    sheet = make_product_sheet()
    login_as(sheet.owner)
    for version in ("", "99999999999999999999"):
        response = client.post(f"/fiches/{sheet.id}/brouillon", data={"base_version": version, "name": "Nom"},
                               headers={"X-Requested-With": "fetch"})
        assert response.status_code == 422
        assert "rechargez la page" in str(response.json["errors"]["base_version"])


def test_an_edited_run_with_a_date_missing_is_an_error_not_the_stored_value(client, login_as):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    login_as(make_user(roles=[Role.TRAINER]))
    data = {k: v for k, v in _run_form(run.slug).items() if k != "access_starts_at"}
    response = client.post(f"/mooc/gestion/{course.id}/sessions/{run.id}", data=data)
    assert response.status_code == 422
    assert "Indiquez une date." in response.text


def test_an_edited_cohort_with_a_date_missing_is_an_error_not_the_stored_value(client, login_as):
    cohort = make_cohort()
    login_as(make_user(roles=[Role.TRAINER]))
    data = {k: v for k, v in _cohort_form(cohort).items() if k != "applications_open_at"}
    response = client.post(f"/alpha/gestion/{cohort.id}/modifier", data=data)
    assert response.status_code == 422
    assert "Indiquez la date d’ouverture." in response.text


def test_a_blank_choice_for_a_new_sheet_is_a_form_error(client, login_as):
    learner = make_user()
    make_enrolment(make_course_run(), learner)
    login_as(learner)
    response = client.post("/fiches/nouvelle", data={"enrolment_id": " ", "application_id": ""})
    assert response.status_code == 200
    assert "fr-select-group--error" in response.text


@pytest.mark.parametrize("page", [
    "/mooc/gestion/{course}/contenu",  # « Ajouter un module », « Ajouter une séquence » (one form per module)
    "/mooc/gestion/{course}/sessions/nouvelle",
    "/alpha/gestion/nouvelle",
    "/alpha/gestion/{cohort}/programme",
    "/fiches/nouvelle",
])
def test_creating_forms_carry_a_fresh_one_time_key(client, login_as, page):
    """The key is what makes a second click land on the first one's result: a new one each time a page is shown."""
    course, _run = make_mooc(sequences=(1,), kinds=("text",))
    cohort = make_cohort()
    login_as(make_user(roles=[Role.TRAINER]))
    url = page.format(course=course.id, cohort=cohort.id)
    keys = [re.findall(r'name="submission_key" value="(\w+)"', client.get(url).text) for _ in range(2)]
    assert keys[0] and keys[1] and not set(keys[0]) & set(keys[1])
    assert len(set(keys[0])) == len(keys[0])  # one per form on the page, never shared


def test_a_draft_with_a_category_of_no_such_forum_keeps_its_text(client, login_as):
    from tests.factories import make_forum, make_forum_member

    forum = make_forum()
    login_as(make_forum_member(forum))
    response = client.post(f"/forum/{forum.id}/nouveau-sujet/brouillon", data={"category_id": "999999", "body": "Texte"},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200 and response.json["saved"] is True


def test_replies_sent_with_an_empty_form_key_are_two_replies(client, login_as):
    """An empty key is no key: it must not collide with the author's previous keyless reply."""
    from beta_training.forum.models import ForumPost
    from tests.factories import make_forum, make_forum_member, make_forum_thread

    forum = make_forum()
    member = make_forum_member(forum)
    thread = make_forum_thread(forum, member)
    login_as(member)
    for body in ("Première", "Seconde"):
        response = client.post(f"/forum/{forum.id}/sujets/{thread.id}/repondre", data={"body": body, "submission_key": ""})
        assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumPost).where(ForumPost.thread_id == thread.id)) == 3


@pytest.mark.parametrize("path", ["masquer", "signaler"])
def test_a_reason_of_spaces_is_a_form_error(client, login_as, path):
    from tests.route_scenarios import forum_world

    w = forum_world()
    login_as(w.staff if path == "masquer" else w.author)
    response = client.post(f"/forum/messages/{w.reply.id}/{path}", data={"reason": "   "})
    assert response.status_code == 422
    assert "Indiquez la raison." in response.text or "Dites à l’équipe ce qui pose problème." in response.text
