"""Read-side helpers for accounts."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

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
    # Roles in the same query (a join), not a second one: every signed-in request loads its user.
    user = db.session.get(User, int(user_id), options=[joinedload(User.roles)])
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user
