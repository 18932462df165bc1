"""Read-side helpers for accounts."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from beta_training.accounts.models import RoleEvent, User, UserRole


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
