"""A product and its comités d'investissement (domain-beta-gouv.md §c.4)."""

from datetime import date, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import TimestampMixin, UTCDateTime
from beta_training.extensions import db

# Who runs the comités and manages products: trainers (the incubator's team); admins hold every role.
MANAGERS = ("trainer",)


def _is_manager(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_any_role(*MANAGERS))


# --- Phases -------------------------------------------------------------------------------------------------


class ProductPhase(StrEnum):
    INVESTIGATION = "investigation"
    CONSTRUCTION = "construction"
    ACCELERATION = "acceleration"
    TRANSFER = "transfer"
    # Outcomes of a comité that are not a next step of the path.
    MAINTENANCE = "maintenance"
    STOPPED = "stopped"
    PIVOTED = "pivoted"


# The path investigation → construction → accélération → transfert; at any comité a product may also be stopped,
# pivot (its team starts again on another problem: this product ends) or be kept in maintenance. No cycle: a
# phase is lived once, as the site's `phases` want (no duplicated name).
PHASE_TRANSITIONS = {
    ProductPhase.INVESTIGATION: {ProductPhase.CONSTRUCTION, ProductPhase.STOPPED, ProductPhase.PIVOTED},
    ProductPhase.CONSTRUCTION: {ProductPhase.ACCELERATION, ProductPhase.MAINTENANCE, ProductPhase.STOPPED, ProductPhase.PIVOTED},
    ProductPhase.ACCELERATION: {ProductPhase.TRANSFER, ProductPhase.MAINTENANCE, ProductPhase.STOPPED, ProductPhase.PIVOTED},
    ProductPhase.TRANSFER: {ProductPhase.MAINTENANCE, ProductPhase.STOPPED},
    ProductPhase.MAINTENANCE: {ProductPhase.STOPPED},
    ProductPhase.STOPPED: set(),
    ProductPhase.PIVOTED: set(),
}

PHASE_LABELS = {
    ProductPhase.INVESTIGATION: _l("Investigation"),
    ProductPhase.CONSTRUCTION: _l("Construction"),
    ProductPhase.ACCELERATION: _l("Accélération"),
    ProductPhase.TRANSFER: _l("Transfert"),
    ProductPhase.MAINTENANCE: _l("Maintenance"),
    ProductPhase.STOPPED: _l("Arrêté"),
    ProductPhase.PIVOTED: _l("Pivot"),
}

# How long a phase is planned to last (§c.4 and the issue): shown next to the phase, never enforced.
PHASE_DURATIONS = {
    ProductPhase.INVESTIGATION: _l("6 à 9 semaines"),
    ProductPhase.CONSTRUCTION: _l("12 mois"),
    ProductPhase.ACCELERATION: _l("12 mois"),
    ProductPhase.TRANSFER: _l("6 mois"),
}

PHASE_BADGES = {
    ProductPhase.INVESTIGATION: "fr-badge--info", ProductPhase.CONSTRUCTION: "fr-badge--new",
    ProductPhase.ACCELERATION: "fr-badge--success", ProductPhase.TRANSFER: "fr-badge--success",
    ProductPhase.MAINTENANCE: "", ProductPhase.STOPPED: "fr-badge--warning", ProductPhase.PIVOTED: "fr-badge--warning",
}

# The phase names of beta.gouv.fr's startup pages (content/_startups/*.md, their labels in _plugins/phases.rb):
# maintenance is the site's « consolidation », a stop or a pivot its « abandon » (« abandon-investigation »
# when the investigation did not conclude).
SITE_PHASE_NAMES = {
    ProductPhase.INVESTIGATION: "investigation",
    ProductPhase.CONSTRUCTION: "construction",
    ProductPhase.ACCELERATION: "acceleration",
    ProductPhase.TRANSFER: "transfere",
    ProductPhase.MAINTENANCE: "consolidation",
    ProductPhase.STOPPED: "abandon",
    ProductPhase.PIVOTED: "abandon",
}

ENDED = (ProductPhase.STOPPED, ProductPhase.PIVOTED)

# Comités every six months; the team is reminded 45 days before its comité.
COMMITTEE_INTERVAL_MONTHS = 6
REMINDER_DAYS = 45

# beta.gouv.fr ids (organisations, incubators): the names of the site's files, case-sensitive: « dinum », but also
# « DEAL-reunion », « MEFSIN », « Onisep ». Letters of both cases, digits and hyphens, kept as typed.
SITE_ID_PATTERN = r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$"


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    pitch: Mapped[str] = mapped_column(sa.Text, default="")
    phase: Mapped[str] = mapped_column(sa.String(20), default=ProductPhase.INVESTIGATION, index=True)
    contact: Mapped[str] = mapped_column(sa.String(254), default="")  # the team's shared address (optional)
    incubator_name: Mapped[str] = mapped_column(sa.String(200), default="")
    incubator_id: Mapped[str] = mapped_column(sa.String(100), default="")  # beta.gouv.fr incubator id
    # The fiche produit it was created from (read-only there); a later dossier of an appel à intrapreneurs too.
    # Unique: one fiche is one product (two tabs of « Nouveau produit » cannot make two of it).
    sheet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="SET NULL"), index=True,
                                                 unique=True)
    # The lauréat dossier of an appel à intrapreneurs it was created from, if any. Unique for the same reason.
    dossier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("call_dossiers.id", ondelete="SET NULL"), index=True,
                                                   unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))  # the creating form's (sent twice: one product)

    sponsors = relationship("ProductSponsor", order_by="ProductSponsor.position", cascade="all, delete-orphan",
                            lazy="selectin")
    members = relationship("ProductMember", order_by="ProductMember.position", cascade="all, delete-orphan",
                           lazy="selectin")

    @property
    def phase_label(self) -> str:
        return str(PHASE_LABELS[ProductPhase(self.phase)])

    @property
    def contact_email(self) -> str:
        """The page's contact: the team's address, else its first member with an account here (read each time:
        an erased account takes its address with it)."""
        return self.contact or next((m.user.email for m in self.members if m.user is not None), "")

    @property
    def phase_badge(self) -> str:
        return PHASE_BADGES[ProductPhase(self.phase)]

    @property
    def is_over(self) -> bool:
        return self.phase in ENDED

    def is_member(self, user) -> bool:
        return bool(user is not None and user.is_authenticated
                    and any(member.user_id == user.id for member in self.members))

    def can_manage(self, user) -> bool:
        """Trainers (and admins) create products, move their phase and run their comités."""
        return _is_manager(user)

    def can_view(self, user) -> bool:
        """Its team, and those who run the comités: anyone else gets 403."""
        return self.can_manage(user) or self.is_member(user)

    def can_edit(self, user) -> bool:
        """Its name, pitch, incubator, sponsors, team and contact: its team and those who run the comités."""
        return self.can_view(user)

    @property
    def edit_version(self) -> str:
        """Changes at every save of the product (its updated_at): what an edit form was filled from."""
        return self.updated_at.isoformat() if self.updated_at else ""

    def can_record_measure(self, user) -> bool:
        return self.is_member(user) and not self.is_over

    @staticmethod
    def can_create(user) -> bool:
        return _is_manager(user)


class ProductPhasePeriod(db.Model):
    """One phase of the product, with its dates (the site's `phases`: name, start, end) and who decided it, why."""

    __tablename__ = "product_phase_periods"
    __table_args__ = (
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(sa.String(20))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    committee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("committees.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    actor = relationship("User", lazy="joined")

    @property
    def label(self) -> str:
        return str(PHASE_LABELS[ProductPhase(self.phase)])


class ProductSponsor(db.Model):
    """An administration sponsoring the product, and its id among beta.gouv.fr's organisations (« dinum »)."""

    __tablename__ = "product_sponsors"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation_id: Mapped[str] = mapped_column(sa.String(100))


class ProductMember(db.Model):
    """Someone of the team: a person of the app (she then sees the product) and/or a name, with a role."""

    __tablename__ = "product_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[str] = mapped_column(sa.String(200), default="")

    user = relationship("User", lazy="joined")

    @property
    def display_name(self) -> str:
        return self.user.full_name if self.user is not None else self.name


class ProductIndicator(db.Model):
    """An impact indicator, carried over from the fiche (name, starting point, target)."""

    __tablename__ = "product_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    baseline: Mapped[str] = mapped_column(sa.String(100), default="")
    target: Mapped[str] = mapped_column(sa.String(100), default="")


class IndicatorValue(db.Model):
    """A measured value of one indicator, on a day: the indicator's curve over the comités."""

    __tablename__ = "product_indicator_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("product_indicators.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(sa.String(100))
    measured_on: Mapped[date]
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProductMilestone(db.Model):
    """A milestone of the 6-month roadmap, carried over from the fiche."""

    __tablename__ = "product_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(20), default="todo")  # sheets' MilestoneStatus values


# --- Comités d'investissement -------------------------------------------------------------------------------


class CommitteeState(StrEnum):
    PREPARING = "preparing"  # the team writes its file
    SUBMITTED = "submitted"  # the file is sent: members score it
    DECIDED = "decided"


COMMITTEE_TRANSITIONS = {
    CommitteeState.PREPARING: {CommitteeState.SUBMITTED},
    CommitteeState.SUBMITTED: {CommitteeState.PREPARING, CommitteeState.DECIDED},
    CommitteeState.DECIDED: set(),
}

COMMITTEE_STATE_LABELS = {
    CommitteeState.PREPARING: _l("Dossier en préparation"),
    CommitteeState.SUBMITTED: _l("Dossier envoyé"),
    CommitteeState.DECIDED: _l("Décision rendue"),
}

COMMITTEE_STATE_BADGES = {
    CommitteeState.PREPARING: "fr-badge--info", CommitteeState.SUBMITTED: "fr-badge--new",
    CommitteeState.DECIDED: "fr-badge--success",
}


class CommitteeDecision(StrEnum):
    CONTINUE = "continue"
    CONTINUE_REDUCED = "continue_reduced"
    STOP = "stop"
    PIVOT = "pivot"
    MAINTENANCE = "maintenance"


# The sponsor's three questions (§c.4), the third one split into its three outcomes.
DECISION_LABELS = {
    CommitteeDecision.CONTINUE: _l("Continuité du projet à budget iso ou supérieur"),
    CommitteeDecision.CONTINUE_REDUCED: _l("Continuité du projet avec baisse du budget"),
    CommitteeDecision.STOP: _l("Arrêt du projet"),
    CommitteeDecision.PIVOT: _l("Pivot du projet"),
    CommitteeDecision.MAINTENANCE: _l("Mise en maintenance du projet"),
}

# The phase an outcome puts the product in; continuing keeps it or moves it one step along the path.
DECISION_PHASES = {
    CommitteeDecision.STOP: ProductPhase.STOPPED,
    CommitteeDecision.PIVOT: ProductPhase.PIVOTED,
    CommitteeDecision.MAINTENANCE: ProductPhase.MAINTENANCE,
}
NEXT_STEPS = {ProductPhase.CONSTRUCTION, ProductPhase.ACCELERATION, ProductPhase.TRANSFER}

# « Besoins budgétaires par poste » of the trame.
BUDGET_LINES = {
    "product_management": _l("Management produit"),
    "development": _l("Développement"),
    "ux_ui": _l("UX/UI"),
    "growth": _l("Bizdev/growth/communication"),
    "data": _l("Data"),
    "support": _l("Support utilisateur"),
    "infra": _l("Licences/réglementaire/infra"),
}
MAX_BUDGET_LINE = 10_000_000  # euros for six months, per line
MAX_PRIORITIES = 3  # « 3 priorités au plus »

# « Grille d'arbitrage pour le sponsor — Note sur 5 »: each part and what it looks at.
GRID = {
    "bilan": (_l("Bilan"), (
        _l("Positionnement (cible, proposition de valeur)"),
        _l("Utilisable, utile, utilisé"),
        _l("Objectifs d’impact atteints"),
        _l("Coût à l’impact connu et satisfaisant"),
    )),
    "objectifs": (_l("Objectifs"), (
        _l("Pertinence des objectifs d’impact"),
        _l("Coût à l’impact projeté"),
        _l("Priorités produit et déploiement adaptées"),
    )),
    "besoins": (_l("Besoins"), (
        _l("Ressources cohérentes avec les objectifs"),
        _l("Équipe guidée par l’impact"),
        _l("Agilité, autonomie et staffing"),
    )),
}
SCORES = range(1, 6)


class Committee(TimestampMixin, db.Model):
    """One comité d'investissement of a product: its date, the team's file (the trame), the scores, the decision."""

    __tablename__ = "committees"
    __table_args__ = (
        sa.CheckConstraint("(state = 'decided') = (decision IS NOT NULL)", name="decision_iff_decided"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=CommitteeState.PREPARING, index=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))
    # The file: 01. bilan des 6 derniers mois, 02. objectifs des 6 prochains mois, 03. besoins.
    objectives_reached: Mapped[str] = mapped_column(sa.Text, default="")
    learnings: Mapped[str] = mapped_column(sa.Text, default="")
    priorities: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"title", "expected"}], at most 3
    budget: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {BUDGET_LINES key: euros}
    team_needs: Mapped[str] = mapped_column(sa.Text, default="")
    file_version: Mapped[int] = mapped_column(default=0)  # bumped by every save: autosave's optimistic lock
    file_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The decision.
    decision: Mapped[str | None] = mapped_column(sa.String(20))
    decision_reasons: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phase_before: Mapped[str | None] = mapped_column(sa.String(20))
    phase_after: Mapped[str | None] = mapped_column(sa.String(20))

    product = relationship("Product", lazy="joined")
    decided_by = relationship("User", lazy="joined")

    @property
    def state_label(self) -> str:
        return str(COMMITTEE_STATE_LABELS[CommitteeState(self.state)])

    @property
    def state_badge(self) -> str:
        return COMMITTEE_STATE_BADGES[CommitteeState(self.state)]

    @property
    def decision_label(self) -> str:
        return str(DECISION_LABELS[CommitteeDecision(self.decision)]) if self.decision else ""

    @property
    def budget_total(self) -> int:
        return sum(int(value or 0) for value in (self.budget or {}).values())

    @property
    def reminder_due_on(self) -> date:
        return self.held_on - timedelta(days=REMINDER_DAYS)

    def can_view(self, user) -> bool:
        return self.product.can_view(user)

    def can_prepare(self, user) -> bool:
        """The team writes its file until it is sent (a trainer may send it back to them)."""
        return self.product.is_member(user) and self.state == CommitteeState.PREPARING

    def can_score(self, user) -> bool:
        return self.product.can_manage(user) and self.state == CommitteeState.SUBMITTED

    def can_decide(self, user) -> bool:
        return self.product.can_manage(user) and self.state == CommitteeState.SUBMITTED


class CommitteeScore(db.Model):
    """One member's notes sur 5 on the grille d'arbitrage; scoring again replaces her notes."""

    __tablename__ = "committee_scores"
    __table_args__ = (
        sa.UniqueConstraint("committee_id", "scorer_id", name="uq_committee_scores_committee_scorer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("committees.id", ondelete="CASCADE"), index=True)
    # A former trainer's erased account leaves her notes (a decided comité's averages must not change after the
    # fact), signed « Ancien·ne formateur·rice » like the evaluations of Alpha applications.
    scorer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {GRID key: 1..5}
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    scorer = relationship("User", lazy="joined")

    @property
    def scorer_name(self) -> str:
        return self.scorer.full_name if self.scorer is not None else str(_l("Ancien·ne formateur·rice"))
