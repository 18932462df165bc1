"""Fiche produit: the MOOC's deliverable (product sheet + 6-month roadmap), its versions and reviews."""

import re
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import TimestampMixin, UTCDateTime
from beta_training.extensions import db


class SheetState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


SHEET_TRANSITIONS = {
    SheetState.DRAFT: {SheetState.SUBMITTED},
    SheetState.SUBMITTED: {SheetState.IN_REVIEW, SheetState.DRAFT},
    SheetState.IN_REVIEW: {SheetState.CHANGES_REQUESTED, SheetState.APPROVED, SheetState.SUBMITTED, SheetState.DRAFT},
    SheetState.CHANGES_REQUESTED: {SheetState.SUBMITTED},
    SheetState.APPROVED: set(),
}

SHEET_STATE_LABELS = {
    SheetState.DRAFT: _l("Brouillon"),
    SheetState.SUBMITTED: _l("Envoyée, en attente de relecture"),
    SheetState.IN_REVIEW: _l("En relecture"),
    SheetState.CHANGES_REQUESTED: _l("Modifications demandées"),
    SheetState.APPROVED: _l("Validée"),
}

SHEET_STATE_BADGES = {
    SheetState.DRAFT: "", SheetState.SUBMITTED: "fr-badge--info", SheetState.IN_REVIEW: "fr-badge--new",
    SheetState.CHANGES_REQUESTED: "fr-badge--warning", SheetState.APPROVED: "fr-badge--success",
}

# Text sections, in the order of the one-pager, with their character limits.
SECTIONS = {
    "name": (_l("Nom du produit"), 80),
    "pitch": (_l("Pitch"), 400),
    "context": (_l("Le contexte"), 1500),
    "problem": (_l("Le problème (« le drame »)"), 1500),
    "solution": (_l("La solution numérique"), 1500),
    "strategy": (_l("La stratégie de mise en marché"), 1500),
    "team": (_l("Équipe et administration sponsor"), 800),
}
SECTION_HINTS = {
    "pitch": _l("Permettre à (cibles) d’obtenir (bénéfices) grâce à (proposition de valeur) afin de (objectif de politique publique)."),
    "problem": _l("Qui est touché, combien de personnes, ce que cela coûte. « Chaque année, des centaines de… »"),
    "strategy": _l("Premiers utilisateurs, prescripteurs, partenaires, effet levier."),
}
INDICATOR_COUNT = 3
MILESTONE_COUNT = 6
PRIORITIES = ("1", "2", "3")  # the roadmap has at most three priorities; each milestone serves one

# Dates typed on a sheet must be plausible: a milestone within a few years, a launch or a measure not
# in the future, and nothing before 2000 (a crafted « 0001-01-01 » or « 2099-12-31 » is refused).
EARLIEST_DATE = date(2000, 1, 1)
MILESTONE_HORIZON_DAYS = 5 * 366


def milestone_due_on(text: str, today: date) -> date | None:
    """The due date typed as YYYY-MM-DD (None if empty); ValueError, with the French message to show,
    if it is not a real date or not a plausible one."""
    if not text:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # fromisoformat also takes 20270315 or 2027-W11-1
            raise ValueError
        due_on = date.fromisoformat(text)
    except ValueError:
        raise ValueError(str(_l("Saisissez une date réelle au format AAAA-MM-JJ, par exemple 2027-03-15."))) from None
    latest = date.fromordinal(today.toordinal() + MILESTONE_HORIZON_DAYS)
    if not EARLIEST_DATE <= due_on <= latest:
        raise ValueError(str(_l("Choisissez une échéance entre le %(start)s et le %(end)s.",
                                start=EARLIEST_DATE.strftime("%d/%m/%Y"), end=latest.strftime("%d/%m/%Y"))))
    return due_on


def past_date_problem(value: date, today: date) -> str | None:
    """Why a launch or measure date cannot be right (in the future, or before 2000), or None."""
    if value > today:
        return str(_l("La date ne peut pas être dans le futur (au plus tard le %(d)s).", d=today.strftime("%d/%m/%Y")))
    if value < EARLIEST_DATE:
        return str(_l("La date ne peut pas être antérieure au %(d)s.", d=EARLIEST_DATE.strftime("%d/%m/%Y")))
    return None


USERTYPES = {
    "particulier": _l("Particulier"), "etat": _l("État"), "collectivite-territoriale": _l("Collectivité territoriale"),
    "entreprise": _l("Entreprise"), "association": _l("Association"), "etablissement-scolaire": _l("Établissement scolaire"),
    "parlement": _l("Parlement"),
}

# Adapted from the comité d'investissement sponsor grid (note sur 5).
GRID = {
    "positioning": _l("Positionnement (cible, proposition de valeur)"),
    "expected_utility": _l("Utilité attendue pour les usagers"),
    "indicators": _l("Pertinence des indicateurs d’impact"),
    "roadmap_realism": _l("Réalisme de la feuille de route à 6 mois"),
    "go_to_market": _l("Stratégie de mise en marché"),
}


class ProductSheet(TimestampMixin, db.Model):
    __tablename__ = "product_sheets"
    __table_args__ = (
        sa.CheckConstraint("(state = 'in_review') = (claimed_by_id IS NOT NULL)", name="claimed_iff_in_review"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=SheetState.DRAFT, index=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    current_version: Mapped[int] = mapped_column(default=0)
    enrolment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="SET NULL"), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohort_applications.id", ondelete="SET NULL"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "waiting more than 48 h" sent to trainers
    roadmap_reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    launched_on: Mapped[date | None]  # the service is live: "mesurer son impact dans le réel"

    owner = relationship("User", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    claimed_by = relationship("User", foreign_keys=[claimed_by_id], lazy="joined")
    enrolment = relationship("Enrolment")
    application = relationship("CohortApplication")

    @property
    def linked_to(self) -> str:
        """Where the sheet comes from: the MOOC run and/or the Alpha session."""
        parts = []
        if self.enrolment is not None:
            parts.append(f"{self.enrolment.run.course.title} ({self.enrolment.run.name})")
        if self.application is not None:
            parts.append(self.application.cohort.title)
        return " · ".join(parts)

    @property
    def state_label(self) -> str:
        return str(SHEET_STATE_LABELS[SheetState(self.state)])

    @property
    def state_badge(self) -> str:
        return SHEET_STATE_BADGES[SheetState(self.state)]

    def _is_owner(self, user) -> bool:
        return bool(user is not None and user.is_authenticated and user.id == self.owner_id)

    def can_review(self, user) -> bool:
        """Trainers review (claim, release, decide) the sheets of others: never their own."""
        return bool(
            user is not None and user.is_authenticated and user.has_any_role("trainer", "course_lead")
            and not self._is_owner(user)
        )

    def can_view(self, user) -> bool:
        return self._is_owner(user) or self.can_review(user)

    def owns(self, user) -> bool:
        return self._is_owner(user)

    def can_edit(self, user) -> bool:
        return self._is_owner(user) and self.state in (SheetState.DRAFT, SheetState.CHANGES_REQUESTED)

    def can_submit(self, user) -> bool:
        """Editable sheets, and sheets already sent: a second click on « Envoyer » lands where the first did."""
        return self._is_owner(user) and self.state != SheetState.APPROVED

    def can_follow_up(self, user) -> bool:
        return self._is_owner(user) and self.state == SheetState.APPROVED

    def can_withdraw(self, user) -> bool:
        return self._is_owner(user) and self.state in (SheetState.SUBMITTED, SheetState.IN_REVIEW)


class SheetVersion(db.Model):
    """Every save (autosave or button) is a version: nothing typed is ever overwritten."""

    __tablename__ = "sheet_versions"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "number", name="uq_sheet_versions_sheet_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(sa.JSON)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SheetReview(db.Model):
    __tablename__ = "sheet_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    version_number: Mapped[int]
    verdict: Mapped[str] = mapped_column(sa.String(20))
    overall_comment: Mapped[str] = mapped_column(sa.Text, default="")
    section_comments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    reviewer = relationship("User", lazy="joined")


# --- After approval: the 6-month roadmap -----------------------------------------------------------------


class MilestoneStatus(StrEnum):
    TODO = "todo"
    DONE = "done"
    LATE = "late"
    ABANDONED = "abandoned"


MILESTONE_STATUS_LABELS = {
    MilestoneStatus.TODO: _l("À faire"),
    MilestoneStatus.DONE: _l("Fait"),
    MilestoneStatus.LATE: _l("En retard"),
    MilestoneStatus.ABANDONED: _l("Abandonné"),
}

# Reminders to update the roadmap, in months after approval.
ROADMAP_REMINDER_MONTHS = (1, 3, 6)


class SheetMilestone(db.Model):
    __tablename__ = "sheet_milestones"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "position", name="uq_sheet_milestones_sheet_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(20), default=MilestoneStatus.TODO)
    done_on: Mapped[date | None]

    @property
    def status_label(self) -> str:
        return str(MILESTONE_STATUS_LABELS[MilestoneStatus(self.status)])

    @property
    def done_on_time(self) -> bool:
        return self.status == MilestoneStatus.DONE and (self.due_on is None or (self.done_on or self.due_on) <= self.due_on)


class IndicatorMeasure(db.Model):
    """A measured value of one of the sheet's impact indicators."""

    __tablename__ = "indicator_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="CASCADE"), index=True)
    indicator: Mapped[str] = mapped_column(sa.String(200))
    value: Mapped[str] = mapped_column(sa.String(100))
    measured_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
