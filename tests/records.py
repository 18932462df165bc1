"""Read back what a service recorded on a subject's timeline (core.models.StateChange), as plain tuples."""

import sqlalchemy as sa

from beta_training.core.models import StateChange
from beta_training.extensions import db


def timeline_of(subject) -> list[tuple]:
    """(from_state, to_state, actor_id, reason, created_at) of each record on `subject`, oldest first."""
    return [
        tuple(row) for row in db.session.execute(
            sa.select(StateChange.from_state, StateChange.to_state, StateChange.actor_id, StateChange.reason,
                      StateChange.created_at)
            .where(StateChange.subject_type == subject.__tablename__, StateChange.subject_id == subject.id)
            .order_by(StateChange.id)
        )
    ]
