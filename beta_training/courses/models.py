from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import TimestampMixin, UTCDateTime
from beta_training.extensions import db


class Course(TimestampMixin, db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    partners: Mapped[str] = mapped_column(sa.String(200), default="")
    published: Mapped[bool] = mapped_column(default=False)

    modules: Mapped[list["CourseModule"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseModule.position", lazy="raise_on_sql"
    )
    runs: Mapped[list["CourseRun"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseRun.access_starts_at", lazy="raise_on_sql"
    )


class CourseRun(TimestampMixin, db.Model):
    """A session of a course with its own registration and access windows."""

    __tablename__ = "course_runs"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "slug", name="uq_course_runs_course_slug"),
        sa.CheckConstraint("registration_closes_at > registration_opens_at", name="registration_window_ordered"),
        sa.CheckConstraint("access_ends_at > access_starts_at", name="access_window_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(60))
    name: Mapped[str] = mapped_column(sa.String(120))
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    access_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    access_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(back_populates="runs")

    def is_registration_open(self, now: datetime) -> bool:
        return self.registration_opens_at <= now < self.registration_closes_at

    def is_accessible(self, now: datetime) -> bool:
        return self.access_starts_at <= now < self.access_ends_at


class CourseModule(db.Model):
    __tablename__ = "course_modules"
    __table_args__ = (sa.UniqueConstraint("course_id", "position", name="uq_course_modules_course_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")

    course: Mapped[Course] = relationship(back_populates="modules")
    sequences: Mapped[list["Sequence"]] = relationship(
        back_populates="module", cascade="all, delete-orphan", order_by="Sequence.position", lazy="raise_on_sql"
    )


class Sequence(db.Model):
    """Numbered across the course (Séquence 1 … 5), ordered inside its module."""

    __tablename__ = "sequences"
    __table_args__ = (sa.UniqueConstraint("module_id", "position", name="uq_sequences_module_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("course_modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")

    module: Mapped[CourseModule] = relationship(back_populates="sequences")
