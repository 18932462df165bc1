from datetime import timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from beta_training.accounts import services, tokens
from beta_training.accounts.models import Role, RoleEvent, User
from beta_training.core.models import OutboxMessage
from beta_training.extensions import db
from tests.factories import PASSWORD, make_user


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _outbox():
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_passwords_are_hashed_with_argon2id(ctx):
    user = services.create_user(email="A@Example.gouv.fr ", password="une longue phrase", first_name="A", last_name="B")
    assert user.email == "a@example.gouv.fr"
    assert user.password_hash.startswith("$argon2id$")
    assert "une longue phrase" not in user.password_hash


def test_register_creates_unconfirmed_user_and_queues_confirmation(ctx):
    user = services.register(email="new@example.gouv.fr", password="x" * 12, first_name="N", last_name="U")
    assert user.email_confirmed_at is None
    [message] = _outbox()
    assert message.recipient == "new@example.gouv.fr" and "/compte/confirmer/" in message.text_body


def test_register_with_existing_email_creates_nothing_and_warns_owner(ctx):
    existing = make_user(email="deja@example.gouv.fr")
    returned = services.register(email="DEJA@example.gouv.fr", password="y" * 12, first_name="X", last_name="Y")
    assert returned.id == existing.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    [message] = _outbox()
    assert message.subject == "Vous avez déjà un compte"


def test_authenticate(ctx):
    user = make_user(email="login@example.gouv.fr")
    assert services.authenticate("LOGIN@example.gouv.fr", PASSWORD) == user
    assert services.authenticate("login@example.gouv.fr", "wrong password") is None
    assert services.authenticate("nobody@example.gouv.fr", PASSWORD) is None
    user.active = False
    assert services.authenticate("login@example.gouv.fr", PASSWORD) is None


def test_confirmation_token_expires_after_48_hours(ctx):
    user = make_user(confirmed=False)
    with freeze_time() as frozen:
        token = tokens.email_confirmation_token(user)
        assert tokens.user_from_confirmation_token(token) == user
        frozen.tick(timedelta(hours=48, seconds=1))
        assert tokens.user_from_confirmation_token(token) is None


def test_confirmation_token_is_tied_to_the_address(ctx):
    user = make_user(confirmed=False)
    token = tokens.email_confirmation_token(user)
    user.email = "changed@example.gouv.fr"
    assert tokens.user_from_confirmation_token(token) is None
    assert tokens.user_from_confirmation_token(token + "x") is None


def test_reset_token_works_once_and_expires(ctx):
    user = make_user()
    token = tokens.password_reset_token(user)
    assert tokens.user_from_reset_token(token) == user
    services.reset_password(user, "nouvelle phrase secrète", token=token)
    assert tokens.user_from_reset_token(token) is None  # the password changed: the link is spent
    with pytest.raises(services.ResetLinkUsed):
        services.reset_password(user, "une autre phrase encore", token=token)
    with freeze_time() as frozen:
        fresh = tokens.password_reset_token(user)
        frozen.tick(timedelta(hours=1, seconds=1))
        assert tokens.user_from_reset_token(fresh) is None


def test_password_change_rotates_session_token_and_notifies(ctx):
    user = make_user()
    old_token = user.session_token
    with pytest.raises(services.AccountError):
        services.change_password(user, current_password="wrong", new_password="z" * 12)
    services.change_password(user, current_password=PASSWORD, new_password="z" * 12)
    assert user.session_token != old_token
    assert services.authenticate(user.email, "z" * 12) == user
    assert _outbox()[-1].subject == "Votre mot de passe a été modifié"


def test_grant_and_revoke_roles_are_recorded(ctx):
    admin = make_user(roles=[Role.ADMIN])
    user = make_user()
    assert services.grant_role(user, Role.TRAINER, actor=admin) is True
    assert services.grant_role(user, Role.TRAINER, actor=admin) is False
    assert services.revoke_role(user, Role.TRAINER, actor=admin) is True
    events = db.session.scalars(sa.select(RoleEvent).where(RoleEvent.user_id == user.id).order_by(RoleEvent.id)).all()
    assert [(e.action, e.role, e.actor_id) for e in events] == [("grant", "trainer", admin.id), ("revoke", "trainer", admin.id)]


def test_last_admin_cannot_be_removed(ctx):
    admin = make_user(roles=[Role.ADMIN])
    with pytest.raises(services.AccountError):
        services.revoke_role(admin, Role.ADMIN, actor=admin)
    other = make_user(roles=[Role.ADMIN])
    assert services.revoke_role(admin, Role.ADMIN, actor=other) is True


def test_update_profile_strips_and_keeps_other_fields(ctx):
    user = make_user(email="p@example.gouv.fr")
    services.update_profile(user, first_name=" Léa ", administration="DINUM", departement="69", email="x@evil")
    assert (user.first_name, user.administration, user.departement, user.email) == ("Léa", "DINUM", "69", "p@example.gouv.fr")
