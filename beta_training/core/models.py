"""Base helpers for models: UTC timestamps and the mail outbox table."""

from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.functions import FunctionElement

from beta_training.extensions import db


PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    return datetime.now(UTC)


def from_paris(naive: datetime) -> datetime:
    """A date-time typed by a user in Paris time (form field) → aware UTC, as stored."""
    return naive.replace(tzinfo=PARIS).astimezone(UTC)


def to_paris(aware: datetime) -> datetime:
    """Stored UTC → naive Paris wall-clock time, to pre-fill a form field."""
    return aware.astimezone(PARIS).replace(tzinfo=None)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite has no time zones, PostgreSQL gets the same values."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use utcnow() or an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class paris_day(FunctionElement):  # noqa: N801 — used like a SQL function: paris_day(Model.created_at)
    """The Paris calendar day ('YYYY-MM-DD') of a stored UTC timestamp, computed by the database.

    PostgreSQL knows the time zone; SQLite gets the same answer from a Python function registered on connect.
    """

    type = sa.String()
    name = "paris_day"
    inherit_cache = True


@compiles(paris_day)
def _paris_day_sqlite(element, compiler, **kw):
    return f"paris_day({compiler.process(element.clauses, **kw)})"


@compiles(paris_day, "postgresql")
def _paris_day_postgresql(element, compiler, **kw):
    utc_value = compiler.process(element.clauses, **kw)
    return f"to_char(timezone('Europe/Paris', timezone('UTC', {utc_value})), 'YYYY-MM-DD')"


def paris_day_of_stored_utc(stored: str | None) -> str | None:
    """SQLite's implementation of paris_day: stored naive-UTC text → Paris day."""
    if stored is None:
        return None
    return datetime.fromisoformat(stored).replace(tzinfo=UTC).astimezone(PARIS).date().isoformat()


def assign_changed(obj, values: dict) -> list[str]:
    """Set only the attributes whose value differs, so an idempotent upsert leaves clean rows untouched.

    Returns the names of the attributes it changed (what an edit records on the timeline)."""
    changed = []
    for key, value in values.items():
        if getattr(obj, key, None) != value:
            setattr(obj, key, value)
            changed.append(key)
    return changed


def upsert(model, lookup: dict, values: dict):
    """Get the row matching `lookup` (or add a new one) and set `values`; idempotent for seeds, imports and
    forms sent twice at once. `lookup` is a unique key: when a simultaneous request inserts the same row
    first, ours waits for it (PostgreSQL), then updates that row instead of failing on the constraint."""
    row = db.session.scalar(sa.select(model).filter_by(**lookup))
    if row is None:
        new = model(**lookup)
        assign_changed(new, values)
        try:
            with db.session.begin_nested():
                db.session.add(new)
            return new
        except sa.exc.IntegrityError:
            row = db.session.scalar(sa.select(model).filter_by(**lookup))
            if row is None:  # another constraint than the lookup's: a real error
                raise
    assign_changed(row, values)
    db.session.flush()
    return row


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # the job's last retry, or MAIL_MAX_ATTEMPTS without a worker; `flask mail deliver --retry-failed` tries again


OUTBOX_STATE_LABELS = {OutboxState.PENDING: _l("à envoyer"), OutboxState.SENT: _l("envoyé"),
                       OutboxState.FAILED: _l("en échec")}


class OutboxMessage(db.Model):
    """An email written in the same transaction as the change that causes it, delivered after commit."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(255))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    # [{"filename": ..., "content_type": ..., "data": base64}] — e.g. the ICS of a session.
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    state: Mapped[str] = mapped_column(sa.String(16), default=OutboxState.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last email to someone whose account is being erased: once sent, the row itself goes (deliver_messages),
    # so the outbox does not keep the address the erasure removed everywhere else.
    erase_after_delivery: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    @property
    def state_label(self) -> str:
        return str(OUTBOX_STATE_LABELS.get(self.state, self.state))


class StateChange(db.Model):
    """Who moved which object from which state to which, when and why: the timeline of every lifecycle."""

    __tablename__ = "state_changes"
    __table_args__ = (sa.Index("ix_state_changes_subject", "subject_type", "subject_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int]
    from_state: Mapped[str | None] = mapped_column(sa.String(30))
    to_state: Mapped[str] = mapped_column(sa.String(30))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", lazy="joined")


class FormSubmission(db.Model):
    """A form's one-time key, claimed by the first request that carries it. A double click, a second tab or
    a resent form finds where the first request led instead of creating the same thing again."""

    __tablename__ = "form_submissions"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_form_submissions_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(40))
    location: Mapped[str] = mapped_column(sa.String(500), default="")  # where the first request led
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeriodicRun(db.Model):
    """Which job ran a periodic job's tick. Procrastinate defers each tick once, except when a worker lags a
    whole period behind the others (it prunes the record of older ticks): the second job of a tick then finds
    this row and does nothing (core.jobs.claim_tick). A retry of the job that claimed the tick runs again."""

    __tablename__ = "periodic_runs"

    task_name: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    tick: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)  # Unix time
    job_id: Mapped[int] = mapped_column(sa.BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PageGeneration(db.Model):
    """How many times the data shown by a page cached for anonymous visitors has changed (core.page_cache).
    Bumped in the very transaction of the write; every cached copy is kept with the generation it was rendered
    at, and each hit reads this row: a write committed by any process on any machine retires every copy at once."""

    __tablename__ = "page_cache_generations"

    page: Mapped[str] = mapped_column(sa.String(120), primary_key=True)  # the view's dotted name
    generation: Mapped[int] = mapped_column(sa.BigInteger, default=0)
