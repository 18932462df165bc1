"""Appel à intrapreneurs: the call an incubator opens, the dossiers candidates file, the reviewers' evaluations.

The questions, their hints and the selection criteria are those of the model form and launch guide of
beta.gouv.fr's « appel à intrapreneurs » (shared/reference/domain-beta-gouv.md §c.5).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import PARIS, TimestampMixin, UTCDateTime
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
    LAUREATE = "laureate"  # the jury's decisions, after the pitch
    WAITLISTED = "waitlisted"
    NOT_SELECTED = "not_selected"
    WITHDRAWN = "withdrawn"  # by its candidate, filed and not yet decided


# Pre-selection is a choice the trainer may undo (PRESELECTED → SUBMITTED) until she informs the candidates:
# then the dossiers left SUBMITTED become NOT_PRESELECTED, and nothing moves back.
DOSSIER_TRANSITIONS = {
    DossierState.DRAFT: {DossierState.SUBMITTED},
    DossierState.SUBMITTED: {DossierState.PRESELECTED, DossierState.NOT_PRESELECTED, DossierState.WITHDRAWN},
    # The jury decides once: a decision is emailed as it is recorded, so it does not move again.
    DossierState.PRESELECTED: {DossierState.SUBMITTED, DossierState.LAUREATE, DossierState.WAITLISTED,
                               DossierState.NOT_SELECTED, DossierState.WITHDRAWN},
    DossierState.NOT_PRESELECTED: set(),
    DossierState.LAUREATE: set(),
    DossierState.WAITLISTED: set(),
    DossierState.NOT_SELECTED: set(),
    DossierState.WITHDRAWN: set(),
}
WITHDRAWABLE_STATES = (DossierState.SUBMITTED, DossierState.PRESELECTED)
JURY_DECISIONS = (DossierState.LAUREATE, DossierState.WAITLISTED, DossierState.NOT_SELECTED)
JURY_STATES = (DossierState.PRESELECTED, *JURY_DECISIONS)  # the dossiers the jury hears

DOSSIER_STATE_LABELS = {
    DossierState.DRAFT: _l("Brouillon"),
    DossierState.SUBMITTED: _l("Déposé"),
    DossierState.PRESELECTED: _l("Pré-sélectionné"),
    DossierState.NOT_PRESELECTED: _l("Non retenu à la pré-sélection"),
    DossierState.LAUREATE: _l("Lauréat"),
    DossierState.WAITLISTED: _l("Liste complémentaire"),
    DossierState.NOT_SELECTED: _l("Non retenu par le jury"),
    DossierState.WITHDRAWN: _l("Retiré par son auteur ou son autrice"),
}
DOSSIER_STATE_BADGES = {
    DossierState.DRAFT: "", DossierState.SUBMITTED: "fr-badge--info", DossierState.PRESELECTED: "fr-badge--success",
    DossierState.NOT_PRESELECTED: "fr-badge--warning", DossierState.LAUREATE: "fr-badge--success",
    DossierState.WAITLISTED: "fr-badge--info", DossierState.NOT_SELECTED: "fr-badge--warning",
    DossierState.WITHDRAWN: "",
}
REVIEWABLE_STATES = (DossierState.SUBMITTED, DossierState.PRESELECTED, DossierState.NOT_PRESELECTED, *JURY_DECISIONS)
MAX_JURORS = 10  # « jury de 10 personnes au plus » (launch guide, step 6)
DEFAULT_PITCH_MINUTES, DEFAULT_QUESTIONS_MINUTES, DEFAULT_BREAK_MINUTES = 3, 5, 2


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
    # The jury's session: its day and start time (Paris), place or link, and the length of each slot.
    jury_on: Mapped[date | None] = mapped_column(sa.Date)
    jury_starts_at: Mapped[time | None] = mapped_column(sa.Time)
    jury_place: Mapped[str] = mapped_column(sa.String(300), default="")
    pitch_minutes: Mapped[int] = mapped_column(default=DEFAULT_PITCH_MINUTES)
    questions_minutes: Mapped[int] = mapped_column(default=DEFAULT_QUESTIONS_MINUTES)
    break_minutes: Mapped[int] = mapped_column(default=DEFAULT_BREAK_MINUTES)

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

    @property
    def slot_minutes(self) -> int:
        return self.pitch_minutes + self.questions_minutes

    @property
    def has_jury_session(self) -> bool:
        return self.jury_on is not None and self.jury_starts_at is not None

    def is_juror(self, user) -> bool:
        """A juror of this call: invited by her account, or by the address she has since confirmed."""
        if not _is_signed_in(user):
            return False
        return db.session.scalar(sa.select(sa.exists().where(CallJuror.call_id == self.id, juror_clause(user))))

    def can_judge(self, user) -> bool:
        """The jury's scoring page: the call's jurors (and its team, who run the session)."""
        return self.can_manage(user) or self.is_juror(user)

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
    # Bumped by every save that changes an answer: a tab's save based on an older version would overwrite what
    # another tab saved since (autosave's optimistic lock, as for the fiche produit).
    version: Mapped[int] = mapped_column(default=1)
    jury_position: Mapped[int | None] = mapped_column()  # its place in the pitch timetable (then by id)
    # The pitch slot last emailed to its candidate ("start|end|place") and the ICS SEQUENCE it was sent with:
    # sent once, sent again (SEQUENCE + 1) only if the slot changed.
    slot_sent: Mapped[str] = mapped_column(sa.String(400), default="")
    slot_sequence: Mapped[int] = mapped_column(default=0)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")

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

    def can_withdraw(self, user) -> bool:
        """Filed and not yet decided by the jury, its candidate may take it back."""
        return self.owns(user) and self.state in WITHDRAWABLE_STATES

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


def juror_clause(user):
    """The CallJuror rows that are `user`'s: her account's, or her confirmed address's (invited before she had one)."""
    mine = CallJuror.user_id == user.id
    if getattr(user, "email_confirmed_at", None) is not None:
        mine = sa.or_(mine, sa.and_(CallJuror.user_id.is_(None), CallJuror.email == user.email.lower()))
    return mine


class CallJuror(TimestampMixin, db.Model):
    """A juror of a call (10 at most), invited by her email address: the account holding it, or the one she
    creates with it (confirming the address proves it is hers)."""

    __tablename__ = "call_jurors"
    __table_args__ = (sa.UniqueConstraint("call_id", "email", name="uq_call_jurors_call_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))  # lower case
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    slot_sent: Mapped[str] = mapped_column(sa.String(400), default="")  # the session last emailed, as for a dossier
    slot_sequence: Mapped[int] = mapped_column(default=0)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    account = None  # her account, linked or found by the confirmed address (queries.jurors_of)

    @property
    def display_name(self) -> str:
        account = self.account or self.user
        return account.full_name if account is not None else self.email


class JuryScore(TimestampMixin, db.Model):
    """One juror's scores of one pre-selected dossier's pitch: one per juror and dossier (edited in place)."""

    __tablename__ = "call_jury_scores"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "juror_id", name="uq_call_jury_scores_dossier_juror"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("call_dossiers.id", ondelete="CASCADE"), index=True)
    juror_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    scores: Mapped[list] = mapped_column(sa.JSON, default=list)  # as DossierEvaluation.scores
    average: Mapped[float] = mapped_column(sa.Float)

    juror = relationship("User", lazy="joined")


@dataclass(frozen=True)
class Slot:
    """A pitch in the jury's timetable (Paris time)."""

    dossier: "Dossier"
    starts_at: datetime
    questions_at: datetime
    ends_at: datetime


def timetable(call: Call, dossiers: list) -> list[Slot]:
    """The pitches one after the other from the session's start: pitch, questions, break."""
    if not call.has_jury_session:
        return []
    start = datetime.combine(call.jury_on, call.jury_starts_at, tzinfo=PARIS)
    slots = []
    for dossier in dossiers:
        questions = start + timedelta(minutes=call.pitch_minutes)
        end = questions + timedelta(minutes=call.questions_minutes)
        slots.append(Slot(dossier, start, questions, end))
        start = end + timedelta(minutes=call.break_minutes)
    return slots
