"""core.actions.confirmed_action and form_action: the guard, the form check, the refusal path and the one commit."""

import pytest
from flask import get_flashed_messages
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, Forbidden

from beta_training.accounts.models import User
from beta_training.core.actions import authorise, confirmed_action, form_action
from beta_training.core.forms import ConfirmForm
from beta_training.core.states import InvalidTransition
from beta_training.extensions import db
from tests.factories import make_user


class Refused(Exception):
    pass


@pytest.fixture
def post(app):
    with app.test_request_context(method="POST"):
        yield ConfirmForm(formdata=MultiDict({"csrf_token": generate_csrf()}))


def _rename(user, name):
    def act():
        user.first_name = name
    return act


def _first_name(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).first_name


def test_an_allowed_confirmed_action_commits_flashes_and_redirects(post):
    user = make_user(first_name="Avant")
    db.session.commit()
    response = confirmed_action(lambda: True, _rename(user, "Après"), to="/fait", done="C’est fait.", form=post)
    db.session.rollback()  # what the commit kept stays
    assert (response.status_code, response.location) == (302, "/fait")
    assert _first_name(user.id) == "Après"
    assert get_flashed_messages(with_categories=True) == [("success", "C’est fait.")]


def test_a_forbidden_action_is_403_and_runs_nothing(post):
    ran = []
    with pytest.raises(Forbidden):
        confirmed_action(lambda: False, lambda: ran.append(1), to="/", form=post)
    assert ran == []


def test_without_a_valid_form_token_the_action_is_400_and_runs_nothing(app):
    ran = []
    with app.test_request_context(method="POST"):
        generate_csrf()
        forged = ConfirmForm(formdata=MultiDict({"csrf_token": "forged"}))
        with pytest.raises(BadRequest):
            confirmed_action(lambda: True, lambda: ran.append(1), to="/", form=forged)
    assert ran == []


@pytest.mark.parametrize("error, words", [
    (Refused("Plus de place."), "Plus de place."),
    (InvalidTransition("draft", "approved"), "Action impossible dans l’état actuel"),
])
def test_a_refusal_rolls_back_says_why_and_leads_back(post, error, words):
    user = make_user(first_name="Avant")
    db.session.commit()

    def act():
        user.first_name = "À moitié"
        db.session.flush()
        raise error

    response = confirmed_action(lambda: True, act, to="/fait", refused_to="/retour", done="C’est fait.", form=post,
                                refusals=(Refused, InvalidTransition))
    assert (response.status_code, response.location) == (302, "/retour")
    assert _first_name(user.id) == "Avant"
    [(category, message)] = get_flashed_messages(with_categories=True)
    assert category == "error" and message.startswith(words)


def test_an_error_that_is_not_a_refusal_is_not_swallowed(post):
    def act():
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        confirmed_action(lambda: True, act, to="/", refusals=(Refused,), form=post)


@pytest.mark.parametrize("renamed, flashed", [(True, [("success", "Renommé·e : Après.")]), (False, [])])
def test_the_done_message_can_be_worded_from_what_the_service_returned(post, renamed, flashed):
    """The message may depend on the outcome (a new state's label; nothing when a second click found the work
    done): `done` is then called, after the commit, with what the service returned."""
    user = make_user(first_name="Avant")
    db.session.commit()

    def act():
        if renamed:
            user.first_name = "Après"
        return renamed

    response = confirmed_action(lambda: True, act, to="/fait", form=post,
                                done=lambda changed: f"Renommé·e : {_first_name(user.id)}." if changed else None)
    assert (response.status_code, response.location) == (302, "/fait")
    assert get_flashed_messages(with_categories=True) == flashed


# --- authorise(): who is a 403, state is said ------------------------------------------------------------


def test_authorise_lets_the_allowed_through_and_refuses_a_stranger_with_403(app):
    with app.test_request_context():
        assert authorise(True, rightful=False, changed="jamais lu", to="/") is None
        with pytest.raises(Forbidden):
            authorise(False, rightful=False, changed=lambda: pytest.fail("not worded for a stranger"), to="/")


def test_the_rightful_person_refused_by_the_state_is_told_why_and_led_back(app):
    """StateChanged, raised from any view, is answered by core.errors: rolled back, flashed, 303 to the object;
    a JSON request gets 409 with the words and the view's extra fields."""
    user = make_user(first_name="Avant")
    db.session.commit()

    @app.post("/essai-onglet")
    def stale_tab():
        user.first_name = "À moitié"
        db.session.flush()
        authorise(False, rightful=True, changed=lambda: "Déjà fait dans un autre onglet.", to="/objet", saved=False)

    client = app.test_client()
    response = client.post("/essai-onglet")
    assert (response.status_code, response.headers["Location"]) == (303, "/objet")
    with client.session_transaction() as session:
        assert session["_flashes"] == [("info", "Déjà fait dans un autre onglet.")]
    assert _first_name(user.id) == "Avant"
    response = client.post("/essai-onglet", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 409
    assert response.json == {"error": "conflict", "message": "Déjà fait dans un autre onglet.", "saved": False}


def test_a_form_action_commits_flashes_and_redirects_worded_from_its_result(post):
    user = make_user(first_name="Avant")
    db.session.commit()

    def act():
        _rename(user, "Après")()
        return user

    response = form_action(post, act, to=lambda u: f"/personnes/{u.id}", done=lambda u: f"{u.first_name} enregistrée.")
    db.session.rollback()
    assert (response.status_code, response.location) == (302, f"/personnes/{user.id}")
    assert _first_name(user.id) == "Après"
    assert get_flashed_messages(with_categories=True) == [("success", "Après enregistrée.")]


def test_a_refused_form_action_rolls_back_and_says_why_on_the_form(post):
    user = make_user(first_name="Avant")
    db.session.commit()

    def act():
        _rename(user, "Après")()
        db.session.flush()
        raise Refused("Pas maintenant.")

    assert form_action(post, act, to="/", refusals=(Refused,), describe=str) is None
    assert post.form_errors == ["Pas maintenant."]
    assert _first_name(user.id) == "Avant" and get_flashed_messages() == []
