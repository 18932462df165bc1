"""Read-side helpers for accounts."""

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from beta_training.accounts.models import RoleEvent, User, UserRole
from beta_training.extensions import db


def users_query(search: str | None = None, role: str | None = None) -> sa.Select:
    query = sa.select(User).order_by(User.last_name, User.first_name, User.id)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            sa.or_(
                User.email.like(pattern),
                sa.func.lower(User.first_name).like(pattern),
                sa.func.lower(User.last_name).like(pattern),
                sa.func.lower(User.first_name + " " + User.last_name).like(pattern),
            )
        )
    if role:
        query = query.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    return query


def role_history_query(user: User) -> sa.Select:
    return (
        sa.select(RoleEvent)
        .where(RoleEvent.user_id == user.id)
        .options(selectinload(RoleEvent.actor))
        .order_by(RoleEvent.created_at.desc(), RoleEvent.id.desc())
    )


def user_for_session_id(session_id: str) -> User | None:
    """Flask-Login's user loader. The id carries the user's session token: changing the password rotates it,
    which logs out every other session (and remember-me cookie) of that user."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = _session_user(int(user_id))
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


# Roles in the same query (a join), not a second one: every signed-in request loads its user. The statement is
# built once per process (its id is a bound parameter): building it and its options' cache key on each request
# cost about as much as running it.
_USER_WITH_ROLES = (sa.select(User).where(User.id == sa.bindparam("user_id", type_=sa.Integer))
                    .options(joinedload(User.roles)))


def _session_user(user_id: int) -> User | None:
    """The row as it is now, with its roles; a user this session already holds is taken from it, as
    `Session.get` does (no second query, nothing refreshed behind the back of whoever changed it)."""
    if db.session.identity_map.get(Session.identity_key(User, user_id)) is not None:
        return db.session.get(User, user_id, options=[joinedload(User.roles)])
    return db.session.execute(_USER_WITH_ROLES, {"user_id": user_id}).unique().scalar_one_or_none()
