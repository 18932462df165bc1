"""Appel à intrapreneurs: the call an incubator opens, the dossiers candidates file, the reviewers' evaluations.

The questions, their hints and the selection criteria are those of the model form and launch guide of
beta.gouv.fr's « appel à intrapreneurs » (shared/reference/domain-beta-gouv.md §c.5).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import TimestampMixin, UTCDateTime
from beta_training.extensions import db
# A dossier's relationship names ProductSheet: its mapper must be known whoever imports this module first (some
# modules inspect the mappers while they are imported, courses.queries for one).
from beta_training.sheets import models as _sheet_models  # noqa: F401

TRAINER_ROLES = ("trainer",)  # an incubator's team: trainers (admins hold every role)

DEFAULT_CRITERIA = (
    "L’ampleur du problème que vous souhaitez résoudre",
    "Votre motivation et votre connaissance du terrain",
    "Votre idée de solution",
)
DEFAULT_PRESELECT_COUNT = 12
MAX_CRITERIA = 8
CRITERION_LIMIT = 200
SCORES = range(1, 6)  # each criterion is scored from 1 to 5

# « 10 lignes maximum » in the model form: about 120 characters a line.
ANSWER_LIMIT = 1200
ANSWER_LINES = 10
OPINION_LIMIT = 1200
TITLE_LIMIT = 200


@dataclass(frozen=True)
class Question:
    key: str  # the dossier's column and its form field's name
    label: str
    hint: str
    required: bool = True


QUESTIONS = (
    Question("problem", _l("Quel est le problème que vous souhaitez résoudre ?"),
             _l("La notation portera principalement sur cette question. Commencez par « Chaque année, des centaines "
                "de… » et donnez des chiffres. 10 lignes au plus.")),
    Question("solution", _l("Quelle est votre solution potentielle ?"),
             _l("Décrivez-la au présent, comme si elle existait déjà. 10 lignes au plus.")),
    Question("first_users", _l("Qui seront vos premiers utilisateurs et les partenaires à mobiliser pour faire connaître "
                               "votre solution ?"),
             _l("Une cible très précise, et votre stratégie pour la toucher. 10 lignes au plus.")),
    Question("opinion", _l("Avez-vous une opinion, un message ou des idées à partager au sujet de l’incubateur et de son "
                           "appel à candidatures ?"), _l("10 lignes au plus."), required=False),
)
QUESTION_BY_KEY = {question.key: question for question in QUESTIONS}
CALLBACK_CHOICES = (("oui", _l("Oui")), ("non", _l("Non")))


class DossierState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PRESELECTED = "preselected"
    NOT_PRESELECTED = "not_preselected"


# Pre-selection is a choice the trainer may undo (PRESELECTED → SUBMITTED) until she informs the candidates:
# then the dossiers left SUBMITTED become NOT_PRESELECTED, and nothing moves back.
DOSSIER_TRANSITIONS = {
    DossierState.DRAFT: {DossierState.SUBMITTED},
    DossierState.SUBMITTED: {DossierState.PRESELECTED, DossierState.NOT_PRESELECTED},
    DossierState.PRESELECTED: {DossierState.SUBMITTED},
    DossierState.NOT_PRESELECTED: set(),
}

DOSSIER_STATE_LABELS = {
    DossierState.DRAFT: _l("Brouillon"),
    DossierState.SUBMITTED: _l("Déposé"),
    DossierState.PRESELECTED: _l("Pré-sélectionné"),
    DossierState.NOT_PRESELECTED: _l("Non retenu à la pré-sélection"),
}
DOSSIER_STATE_BADGES = {
    DossierState.DRAFT: "", DossierState.SUBMITTED: "fr-badge--info", DossierState.PRESELECTED: "fr-badge--success",
    DossierState.NOT_PRESELECTED: "fr-badge--warning",
}
REVIEWABLE_STATES = (DossierState.SUBMITTED, DossierState.PRESELECTED, DossierState.NOT_PRESELECTED)


def _is_signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def is_call_staff(user) -> bool:
    return _is_signed_in(user) and user.has_any_role(*TRAINER_ROLES)


class Call(TimestampMixin, db.Model):
    __tablename__ = "calls"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint("preselect_count >= 1", name="preselect_count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    incubator: Mapped[str] = mapped_column(sa.String(200))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    guide: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown, rendered through core.markdown
    criteria: Mapped[list] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_CRITERIA))
    preselect_count: Mapped[int] = mapped_column(default=DEFAULT_PRESELECT_COUNT)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The candidates were told the outcome of the pre-selection (once: the emails go out once).
    informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    coaching_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the express coaching slot offered
    coaching_place: Mapped[str] = mapped_column(sa.String(300), default="")

    def is_open(self, now: datetime) -> bool:
        """Open from its opening to its closing time, that second included."""
        return self.opens_at <= now <= self.closes_at

    def has_opened(self, now: datetime) -> bool:
        return self.opens_at <= now

    def can_manage(self, user) -> bool:
        return is_call_staff(user)

    def can_view(self, user, now: datetime) -> bool:
        """Anyone reads a call once it has opened; before that only its team."""
        return self.has_opened(now) or self.can_manage(user)

    def can_file(self, user, now: datetime) -> bool:
        return _is_signed_in(user) and self.is_open(now)

    def status_label(self, now: datetime) -> str:
        if now < self.opens_at:
            return str(_l("À venir"))
        return str(_l("Ouvert") if now <= self.closes_at else _l("Clos"))


class Dossier(TimestampMixin, db.Model):
    """A candidate's project, filed to a call. She may file several (one per project)."""

    __tablename__ = "call_dossiers"
    __table_args__ = (
        sa.CheckConstraint("(state = 'draft') = (submitted_at IS NULL)", name="submitted_iff_not_draft"),
        sa.UniqueConstraint("owner_id", "submission_key", name="uq_call_dossiers_owner_submission_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The fiche produit it started from (kept if the fiche goes: the dossier is its own text).
    sheet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=DossierState.DRAFT, index=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_LIMIT), default="")
    problem: Mapped[str] = mapped_column(sa.Text, default="")
    solution: Mapped[str] = mapped_column(sa.Text, default="")
    first_users: Mapped[str] = mapped_column(sa.Text, default="")
    opinion: Mapped[str] = mapped_column(sa.Text, default="")
    callback: Mapped[str] = mapped_column(sa.String(3), default="")  # « Souhaitez-vous être rappelé(e) ? » oui / non
    consent_guide: Mapped[bool] = mapped_column(default=False)
    consent_share: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    submission_key: Mapped[str | None] = mapped_column(sa.String(40))  # the « Commencer » form that created it

    call = relationship("Call", lazy="joined")
    owner = relationship("User", lazy="joined")
    sheet = relationship("ProductSheet")

    @property
    def state_label(self) -> str:
        return str(DOSSIER_STATE_LABELS[DossierState(self.state)])

    @property
    def state_badge(self) -> str:
        return DOSSIER_STATE_BADGES[DossierState(self.state)]

    @property
    def owner_name(self) -> str:
        return self.owner.full_name if self.owner is not None else str(_l("Ancien·ne candidat·e"))

    @property
    def display_title(self) -> str:
        return self.title or str(_l("Projet sans titre"))

    def owns(self, user) -> bool:
        return _is_signed_in(user) and user.id == self.owner_id

    def can_view(self, user) -> bool:
        """Its candidate, and the call's team once it is filed (a draft is hers alone)."""
        return self.owns(user) or (is_call_staff(user) and self.state != DossierState.DRAFT)

    def can_edit(self, user) -> bool:
        return self.owns(user) and self.state == DossierState.DRAFT

    def can_evaluate(self, user) -> bool:
        """The call's team scores filed dossiers; nobody scores her own."""
        return is_call_staff(user) and not self.owns(user) and self.state in REVIEWABLE_STATES

    def can_preselect(self, user) -> bool:
        return is_call_staff(user) and not self.owns(user)


class DossierEvaluation(TimestampMixin, db.Model):
    """One reviewer's scores of one dossier on the call's criteria: one per reviewer and dossier (edited in place)."""

    __tablename__ = "dossier_evaluations"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "reviewer_id", name="uq_dossier_evaluations_dossier_reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("call_dossiers.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # [{"criterion": label, "score": 1..5, "comment": text}], in the call's order of criteria
    scores: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The mean of the scores, kept as a column so the queue sorts and filters in SQL.
    average: Mapped[float] = mapped_column(sa.Float)

    reviewer = relationship("User", lazy="joined")
