"""The account services lock the account's row and re-read it before they check: two clicks at once queue,
and the second one sees what the first one did (not the account as both requests loaded it)."""

import sqlalchemy as sa

from beta_training.accounts import services, tokens
from beta_training.accounts.models import Role, RoleEvent, User, UserRole
from beta_training.core.models import OutboxMessage
from beta_training.extensions import db
from tests.factories import PASSWORD, make_user
from tests.simultaneous import services_at_once


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_role_granted_twice_at_once_is_granted_once(app):
    admin_id, user_id = make_user(roles=[Role.ADMIN]).id, make_user().id

    def load():
        return db.session.get(User, user_id), db.session.get(User, admin_id)

    outcomes = services_at_once(app, load, lambda loaded: services.grant_role(loaded[0], Role.TRAINER, actor=loaded[1]))

    assert sorted(outcomes, key=repr) == [False, True]  # the second click finds the role granted, and says so
    assert _count(UserRole, UserRole.user_id == user_id) == 1
    assert _count(RoleEvent, RoleEvent.user_id == user_id) == 1


def test_a_password_change_sent_twice_at_once_changes_it_once(app):
    user = make_user()
    user_id, old_hash = user.id, user.password_hash

    def change(loaded):
        return services.change_password(loaded, current_password=PASSWORD, new_password="une toute nouvelle phrase")

    outcomes = services_at_once(app, lambda: db.session.get(User, user_id), change)

    refused = [o for o in outcomes if isinstance(o, services.AccountError)]
    assert len(refused) == 1 and str(refused[0]) == "Le mot de passe actuel est incorrect."
    assert db.session.get(User, user_id).password_hash != old_hash
    assert _count(OutboxMessage, OutboxMessage.subject == "Votre mot de passe a été modifié") == 1


def test_a_reset_link_sent_twice_at_once_is_used_once(app):
    user = make_user()
    user_id = user.id
    with app.test_request_context():
        token = tokens.password_reset_token(user)

    def reset(loaded):
        return services.reset_password(loaded, "une toute nouvelle phrase", token=token)

    outcomes = services_at_once(app, lambda: db.session.get(User, user_id), reset)

    assert [type(o) for o in outcomes].count(services.ResetLinkUsed) == 1
    assert _count(OutboxMessage, OutboxMessage.subject == "Votre mot de passe a été modifié") == 1
