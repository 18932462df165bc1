"""One guard for every lifecycle: states are StrEnums, allowed moves are a table, every move is recorded."""

from collections.abc import Mapping, Set
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from beta_training.core.models import StateChange, utcnow
from beta_training.extensions import db


class InvalidTransition(Exception):
    def __init__(self, current: StrEnum, target: StrEnum):
        super().__init__(f"transition {current} → {target} is not allowed")
        self.current = current
        self.target = target


def check_transition(table: Mapping[StrEnum, Set[StrEnum]], current: StrEnum, target: StrEnum) -> None:
    if target not in table.get(current, frozenset()):
        raise InvalidTransition(current, target)


def transition(
    subject, table: Mapping[StrEnum, Set[StrEnum]], target: StrEnum, *, actor=None, reason: str = "",
    now: datetime | None = None, attribute: str = "state",
) -> StateChange:
    """Guard, apply and record one state change of `subject` (its `attribute` holds the state)."""
    current = getattr(subject, attribute)
    check_transition(table, current, target)
    # Read everything that may hit the database before changing the state: an autoflush in between
    # would write the new state without the columns the caller sets with it (CHECK constraints).
    change = record_change(subject, current, target, actor=actor, reason=reason, now=now)
    setattr(subject, attribute, target)
    return change


def transition_once(
    subject, table: Mapping[StrEnum, Set[StrEnum]], current: StrEnum, target: StrEnum, *, actor=None,
    reason: str = "", now: datetime | None = None, attribute: str = "state", values: Mapping | None = None,
) -> StateChange | None:
    """Move `subject` from `current` to `target` only if the database still has it in `current`.

    One conditional UPDATE (which also sets `values`, the columns that go with the move): of two
    requests making the same move at once (a double click, two tabs), one moves and records it, the
    other gets None and `subject` as the first left it.
    """
    check_transition(table, current, target)
    model = type(subject)
    moved = db.session.execute(
        sa.update(model)
        .where(model.id == subject.id, getattr(model, attribute) == current)
        .values({**(values or {}), attribute: target})
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(subject)
    if moved.rowcount != 1:
        return None
    return record_change(subject, current, target, actor=actor, reason=reason, now=now)


def record_change(subject, from_state, to_state, *, actor=None, reason: str = "", now: datetime | None = None) -> StateChange:
    """Record a move already applied (e.g. by an atomic conditional UPDATE)."""
    change = StateChange(
        subject_type=subject.__tablename__,
        subject_id=subject.id,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.id if actor is not None else None,
        reason=reason or "",
        created_at=now or utcnow(),
    )
    db.session.add(change)
    return change


def record_creation(subject, state: StrEnum, *, actor=None, now: datetime | None = None) -> StateChange:
    return record_change(subject, None, state, actor=actor, now=now)


def record_action(subject, *, actor, reason: str, now: datetime | None = None, attribute: str = "state") -> StateChange:
    """Record an action that leaves `subject` in its state (an edit, a register of attendance).

    It goes on the same timeline as the moves, from its state to the same state, so that every write a
    person makes has an author and a date, shown where the moves are shown.
    """
    state = getattr(subject, attribute)
    return record_change(subject, state, state, actor=actor, reason=reason, now=now)
