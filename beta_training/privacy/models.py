"""The record of what was done with people's data: erasures (no personal data: the trainers see that one took
place, when, by whom and how much it touched) and exports made by an admin on someone's behalf."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import UTCDateTime, utcnow
from beta_training.extensions import db


class PrivacyActionKind(StrEnum):
    EXPORT = "export"
    ERASURE = "erasure"


class Origin(StrEnum):
    SELF = "self"  # the person herself, from « Mes données »
    ADMIN = "admin"  # an admin, for a request received by mail
    RETENTION = "retention"  # the retention job (inactive account)


ORIGIN_LABELS = {
    Origin.SELF: _l("la personne elle-même"),
    Origin.ADMIN: _l("un administrateur"),
    Origin.RETENTION: _l("la purge automatique (compte inactif)"),
}


class PrivacyAction(db.Model):
    """An erasure, or an admin's export for someone. `subject_id` names the person while her account exists (an
    export); an erasure never names her: its row keeps the date, the origin, the admin and the counts."""

    __tablename__ = "privacy_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    origin: Mapped[str] = mapped_column(sa.String(20))
    subject_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    submission_key: Mapped[str | None] = mapped_column(sa.String(40))  # an admin's form sent twice records once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User", foreign_keys=[actor_id], lazy="joined")

    @property
    def origin_label(self) -> str:
        return str(ORIGIN_LABELS.get(self.origin, self.origin))


def can_handle_data_of(subject, actor) -> bool:
    """Who may export or erase `subject`'s data: the person herself, or an admin (a request made by mail)."""
    return bool(actor is not None and actor.is_authenticated and (actor.id == subject.id or actor.is_admin))
