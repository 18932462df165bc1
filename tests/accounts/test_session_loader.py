"""Flask-Login's user loader (accounts.queries.user_for_session_id), on every signed-in request: its one query
(tests/accounts/test_models.py), none when the request's session already holds the person, and the session
token checked as strictly as ever."""

from beta_training.accounts import services
from beta_training.accounts.queries import user_for_session_id
from beta_training.extensions import db
from tests.factories import make_user


def test_a_person_the_session_holds_costs_no_query(app, count_queries):
    user = make_user()
    assert user.role_names == set()  # read again after its commit: what a view that loaded her holds
    with count_queries() as counter:
        assert user_for_session_id(user.get_id()) is user
    assert counter.count == 0


def test_a_stale_token_or_a_deactivated_account_is_signed_out(app):
    user, other = make_user(), make_user()
    old_id = user.get_id()
    services.set_password(user, "Un nouveau mot de passe 2027")
    other.active = False
    db.session.commit()
    new_id, other_id, user_id = user.get_id(), other.get_id(), user.id
    db.session.expunge_all()  # a new request: nothing in the identity map
    assert user_for_session_id(old_id) is None and user_for_session_id(other_id) is None
    assert user_for_session_id(new_id).id == user_id
    assert user_for_session_id(f"{user_id}:") is None and user_for_session_id("x:y") is None
    assert user_for_session_id(f"{user_id + 1000}:token") is None
