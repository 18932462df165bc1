from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import TimestampMixin, UTCDateTime
from beta_training.extensions import db


class CohortStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    ARCHIVED = "archived"


COHORT_TRANSITIONS = {
    CohortStatus.DRAFT: {CohortStatus.PUBLISHED},
    CohortStatus.PUBLISHED: {CohortStatus.DRAFT, CohortStatus.CLOSED},
    CohortStatus.CLOSED: {CohortStatus.PUBLISHED, CohortStatus.ARCHIVED},
    CohortStatus.ARCHIVED: set(),
}


class CohortFormat(StrEnum):
    IN_PERSON = "presentiel"
    REMOTE = "distance"


COHORT_FORMAT_LABELS = {CohortFormat.IN_PERSON: _l("Présentiel"), CohortFormat.REMOTE: _l("À distance")}


class SpeakerRole(StrEnum):
    COACH = "coach"
    INTRAPRENEUR = "intrapreneur"
    DEVELOPER = "developpeur"
    BIZDEV = "business_developer"
    DESIGNER = "designer"
    SPONSOR = "sponsor"
    OTHER = "autre"


SPEAKER_ROLE_LABELS = {
    SpeakerRole.COACH: _l("Coach"),
    SpeakerRole.INTRAPRENEUR: _l("Intrapreneur·e"),
    SpeakerRole.DEVELOPER: _l("Développeur·se"),
    SpeakerRole.BIZDEV: _l("Business developer"),
    SpeakerRole.DESIGNER: _l("Designer"),
    SpeakerRole.SPONSOR: _l("Sponsor"),
    SpeakerRole.OTHER: _l("Intervenant·e"),
}


class Cohort(TimestampMixin, db.Model):
    """One Alpha session (the first one: 7–9 Nov 2017, 28 seats)."""

    __tablename__ = "cohorts"
    __table_args__ = (
        sa.CheckConstraint("seats > 0", name="seats_positive"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        sa.CheckConstraint("applications_close_at > applications_open_at", name="application_window_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    edition: Mapped[int]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    daily_hours: Mapped[str] = mapped_column(sa.String(100), default="")
    format: Mapped[str] = mapped_column(sa.String(20), default=CohortFormat.IN_PERSON)
    place_name: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    access_link: Mapped[str] = mapped_column(sa.String(500), default="")
    seats: Mapped[int]
    practical_info: Mapped[str] = mapped_column(sa.Text, default="")
    applications_open_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applications_close_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmation_delay_days: Mapped[int] = mapped_column(default=7)
    status: Mapped[str] = mapped_column(sa.String(20), default=CohortStatus.DRAFT, index=True)

    programme_items: Mapped[list["ProgrammeItem"]] = relationship(
        back_populates="cohort",
        cascade="all, delete-orphan",
        order_by="(ProgrammeItem.day, ProgrammeItem.starts_at, ProgrammeItem.position)",
        lazy="raise_on_sql",
    )

    @property
    def duration_days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    @property
    def format_label(self) -> str:
        return str(COHORT_FORMAT_LABELS.get(CohortFormat(self.format), self.format))

    def is_open_for_applications(self, now: datetime) -> bool:
        return (
            self.status == CohortStatus.PUBLISHED
            and self.applications_open_at <= now < self.applications_close_at
        )

    def is_visible_to(self, user) -> bool:
        if self.status in (CohortStatus.PUBLISHED, CohortStatus.CLOSED, CohortStatus.ARCHIVED):
            return True
        return bool(user is not None and user.is_authenticated and user.has_any_role("trainer"))


programme_item_speakers = sa.Table(
    "programme_item_speakers",
    db.metadata,
    sa.Column("programme_item_id", sa.ForeignKey("programme_items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("speaker_id", sa.ForeignKey("speakers.id", ondelete="CASCADE"), primary_key=True),
)


class Speaker(TimestampMixin, db.Model):
    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    role: Mapped[str] = mapped_column(sa.String(30), default=SpeakerRole.OTHER)
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")

    @property
    def role_label(self) -> str:
        return str(SPEAKER_ROLE_LABELS.get(SpeakerRole(self.role), self.role))


class ProgrammeItem(db.Model):
    __tablename__ = "programme_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    starts_at: Mapped[time | None]
    ends_at: Mapped[time | None]
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    cohort: Mapped[Cohort] = relationship(back_populates="programme_items")
    speakers: Mapped[list[Speaker]] = relationship(
        secondary=programme_item_speakers, order_by="Speaker.name", lazy="raise_on_sql"
    )
