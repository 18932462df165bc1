from beta_training.accounts.models import Role
from tests.factories import make_user


def test_admin_holds_every_role(app):
    admin = make_user(roles=[Role.ADMIN])
    assert admin.has_any_role(Role.TRAINER) and admin.has_any_role(Role.COURSE_LEAD) and admin.is_admin


def test_roles_are_not_inherited_otherwise(app):
    trainer = make_user(roles=[Role.TRAINER])
    assert trainer.has_any_role(Role.TRAINER)
    assert not trainer.has_any_role(Role.COURSE_LEAD) and not trainer.is_admin
    assert not make_user().has_any_role(Role.TRAINER)


def test_login_id_carries_the_session_token(app):
    user = make_user()
    assert user.get_id() == f"{user.id}:{user.session_token}"


def test_only_admins_manage_roles(app):
    target = make_user()
    assert target.can_manage_roles(make_user(roles=[Role.ADMIN]))
    assert not target.can_manage_roles(make_user(roles=[Role.TRAINER]))
    assert not target.can_manage_roles(None)


def test_the_signed_in_user_and_her_roles_are_one_query(app, count_queries):
    """Every signed-in request loads its user, then asks her roles (menus, gates): one query for both."""
    from beta_training.accounts.queries import user_for_session_id
    from beta_training.extensions import db

    session_id = make_user(roles=[Role.TRAINER, Role.COURSE_LEAD]).get_id()
    db.session.expunge_all()  # a new request: nothing in the identity map
    with count_queries() as counted:
        user = user_for_session_id(session_id)
        assert user.has_any_role(Role.COURSE_LEAD) and not user.is_admin
    assert counted.count == 1
