"""Read-side helpers for products and comités."""

import re
from collections import defaultdict
from datetime import date
from statistics import mean

import sqlalchemy as sa

from beta_training.core.models import StateChange
from beta_training.extensions import db
from beta_training.products.models import (
    GRID,
    MANAGERS,
    Committee,
    CommitteeScore,
    CommitteeState,
    IndicatorValue,
    Product,
    ProductIndicator,
    ProductMember,
    ProductMilestone,
    ProductPhase,
    ProductPhasePeriod,
)
from beta_training.sheets import queries as sheet_queries
from beta_training.sheets.models import ProductSheet


def list_products_query(user) -> sa.Select:
    """The products a person may open: all of them for those who run the comités, her team's for anyone else."""
    query = sa.select(Product).order_by(Product.name, Product.id)
    if not user.has_any_role(*MANAGERS):
        query = query.where(Product.id.in_(sa.select(ProductMember.product_id).where(ProductMember.user_id == user.id)))
    return query


def next_committees(product_ids: list[int]) -> dict[int, date]:
    """The date of each product's comité not decided yet (one query for a page of products)."""
    return dict(db.session.execute(
        sa.select(Committee.product_id, sa.func.min(Committee.held_on))
        .where(Committee.product_id.in_(product_ids), Committee.state != CommitteeState.DECIDED)
        .group_by(Committee.product_id)).all())


def phase_counts() -> dict[str, int]:
    """How many products are in each phase (every phase listed, zero included)."""
    counted = dict(db.session.execute(sa.select(Product.phase, sa.func.count()).group_by(Product.phase)).all())
    return {phase: counted.get(phase, 0) for phase in ProductPhase}


def periods_of(product: Product) -> list[ProductPhasePeriod]:
    return list(db.session.scalars(sa.select(ProductPhasePeriod).where(ProductPhasePeriod.product_id == product.id)
                                   .order_by(ProductPhasePeriod.started_on, ProductPhasePeriod.id)))


def start_day(product: Product) -> date | None:
    """The day the product started (its first phase)."""
    return db.session.scalar(sa.select(sa.func.min(ProductPhasePeriod.started_on))
                             .where(ProductPhasePeriod.product_id == product.id))


def current_period(product: Product) -> ProductPhasePeriod | None:
    return db.session.scalar(sa.select(ProductPhasePeriod).where(
        ProductPhasePeriod.product_id == product.id, ProductPhasePeriod.ended_on.is_(None))
        .order_by(ProductPhasePeriod.id.desc()).limit(1))


def committees_of(product: Product) -> list[Committee]:
    """Its comités, the latest first: the product's page is their history."""
    return list(db.session.scalars(sa.select(Committee).where(Committee.product_id == product.id)
                                   .order_by(Committee.held_on.desc(), Committee.id.desc())))


def open_committee(product: Product) -> Committee | None:
    return db.session.scalar(sa.select(Committee).where(
        Committee.product_id == product.id, Committee.state != CommitteeState.DECIDED).limit(1))


def previous_committee(committee: Committee) -> Committee | None:
    """The comité before this one: its priorities are what this bilan reports on."""
    return db.session.scalar(sa.select(Committee).where(
        Committee.product_id == committee.product_id, Committee.id != committee.id,
        Committee.held_on <= committee.held_on, Committee.state == CommitteeState.DECIDED)
        .order_by(Committee.held_on.desc(), Committee.id.desc()).limit(1))


def indicators_of(product: Product) -> list[ProductIndicator]:
    return list(db.session.scalars(sa.select(ProductIndicator).where(ProductIndicator.product_id == product.id)
                                   .order_by(ProductIndicator.position)))


def indicator_series(product: Product) -> list[tuple[ProductIndicator, list[IndicatorValue]]]:
    """Each indicator with its values in time order (two queries)."""
    indicators = indicators_of(product)
    values = defaultdict(list)
    for value in db.session.scalars(sa.select(IndicatorValue).where(
            IndicatorValue.indicator_id.in_([i.id for i in indicators]))
            .order_by(IndicatorValue.measured_on, IndicatorValue.id)):
        values[value.indicator_id].append(value)
    return [(indicator, values[indicator.id]) for indicator in indicators]


def numeric(text: str) -> float | None:
    """A measured value as a number, for the curve (« 1 200 », « 12,5 % », « 30 jours »), or None."""
    match = re.search(r"-?\d[\d\s\u202f\u00a0]*(?:[.,]\d+)?", text or "")
    if not match:
        return None
    try:
        return float(re.sub(r"[\s\u202f\u00a0]", "", match.group()).replace(",", "."))
    except ValueError:
        return None


def milestones_of(product: Product) -> list[ProductMilestone]:
    """By due date (those without one last), then in the order they were written."""
    return list(db.session.scalars(sa.select(ProductMilestone).where(ProductMilestone.product_id == product.id)
                                   .order_by(ProductMilestone.due_on.is_(None), ProductMilestone.due_on,
                                             ProductMilestone.position)))


def scores_of(committee: Committee) -> list[CommitteeScore]:
    return list(db.session.scalars(sa.select(CommitteeScore).where(CommitteeScore.committee_id == committee.id)
                                   .order_by(CommitteeScore.created_at, CommitteeScore.id)))


def score_of(committee: Committee, user) -> CommitteeScore | None:
    return db.session.scalar(sa.select(CommitteeScore).where(CommitteeScore.committee_id == committee.id,
                                                             CommitteeScore.scorer_id == user.id))


def averages(scores: list[CommitteeScore]) -> dict[str, float | None]:
    """The mean note of each part of the grid, and « overall » (the mean of the parts), over the members who scored."""
    parts = {key: round(mean(s.scores[key] for s in scores if key in s.scores), 1)
             if any(key in s.scores for s in scores) else None for key in GRID}
    given = [value for value in parts.values() if value is not None]
    return {**parts, "overall": round(mean(given), 1) if given else None}


def committees_to_remind(today: date, limit: date) -> list[Committee]:
    """Comités from today to `limit` (45 days ahead) whose file is being prepared and whose team was not reminded."""
    return list(db.session.scalars(sa.select(Committee).where(
        Committee.held_on >= today, Committee.held_on <= limit, Committee.reminder_sent_at.is_(None),
        Committee.state == CommitteeState.PREPARING).order_by(Committee.held_on, Committee.id)))


def team_emails(product: Product) -> list[str]:
    return sorted({member.user.email for member in product.members if member.user is not None})


def timeline(product: Product) -> list[StateChange]:
    return list(db.session.scalars(sa.select(StateChange).where(
        StateChange.subject_type == Product.__tablename__, StateChange.subject_id == product.id)
        .order_by(StateChange.created_at, StateChange.id)))


def product_of_sheet(sheet_id: int) -> Product | None:
    return db.session.scalar(sa.select(Product).where(Product.sheet_id == sheet_id))


def sent_back(committee: Committee) -> StateChange | None:
    """The last time the comité's team sent the file back to the product's team (with what to complete)."""
    return db.session.scalar(
        sa.select(StateChange).where(StateChange.subject_type == Committee.__tablename__,
                                     StateChange.subject_id == committee.id, StateChange.to_state == CommitteeState.PREPARING,
                                     StateChange.from_state == CommitteeState.SUBMITTED)  # not its creation
        .order_by(StateChange.created_at.desc(), StateChange.id.desc()).limit(1))


def product_of_dossier(dossier_id: int) -> Product | None:
    return db.session.scalar(sa.select(Product).where(Product.dossier_id == dossier_id))


def earlier_product(submission_key: str | None, user) -> Product | None:
    """The product this very form (its one-time key) created already: a second click lands on it."""
    if not submission_key:
        return None
    return db.session.scalar(sa.select(Product).where(Product.submission_key == submission_key,
                                                      Product.created_by_id == user.id))


def sheets_without_product_query() -> sa.Select:
    """Approved fiches not yet made a product (one fiche, one product)."""
    return sheet_queries.approved_sheets_query().where(
        ~sa.exists().where(Product.sheet_id == ProductSheet.id))
