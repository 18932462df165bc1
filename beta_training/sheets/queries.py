"""Read-side helpers for fiches produit."""

import difflib
import html

import sqlalchemy as sa
from markupsafe import Markup

from beta_training.core.models import StateChange
from beta_training.extensions import db
from beta_training.sheets.models import ProductSheet, SheetReview, SheetState, SheetVersion


def get_version(sheet: ProductSheet, number: int) -> SheetVersion | None:
    return db.session.scalar(sa.select(SheetVersion).where(SheetVersion.sheet_id == sheet.id, SheetVersion.number == number))


def list_user_sheets(user) -> list[ProductSheet]:
    return list(db.session.scalars(
        sa.select(ProductSheet).where(ProductSheet.owner_id == user.id).order_by(ProductSheet.updated_at.desc())
    ))


def reviews_of(sheet: ProductSheet) -> list[SheetReview]:
    return list(db.session.scalars(
        sa.select(SheetReview).where(SheetReview.sheet_id == sheet.id).order_by(SheetReview.created_at.desc(), SheetReview.id.desc())
    ))


def timeline(sheet: ProductSheet) -> list[StateChange]:
    return list(db.session.scalars(
        sa.select(StateChange)
        .where(StateChange.subject_type == ProductSheet.__tablename__, StateChange.subject_id == sheet.id)
        .order_by(StateChange.created_at, StateChange.id)
    ))


QUEUE_STATES = (SheetState.SUBMITTED, SheetState.IN_REVIEW, SheetState.CHANGES_REQUESTED)


def review_queue_query(state: str | None = None) -> sa.Select:
    """Sheets waiting for trainers, oldest submission first."""
    query = sa.select(ProductSheet).where(ProductSheet.state.in_([state] if state else QUEUE_STATES))
    return query.order_by(ProductSheet.submitted_at.asc().nulls_last(), ProductSheet.id)


def word_diff(before: str, after: str) -> Markup:
    """Word-level diff as <del>/<ins>, each with a text label for screen readers."""
    old, new = before.split(), after.split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(html.escape(" ".join(old[i1:i2])))
            continue
        if op in ("delete", "replace"):
            parts.append(f'<del><span class="fr-sr-only">supprimé : </span>{html.escape(" ".join(old[i1:i2]))}</del>')
        if op in ("insert", "replace"):
            parts.append(f'<ins><span class="fr-sr-only">ajouté : </span>{html.escape(" ".join(new[j1:j2]))}</ins>')
    return Markup(" ".join(parts))


def changes_since_last_review(sheet: ProductSheet) -> tuple[int | None, dict]:
    """{section: diff} between the version last reviewed and the current one (only changed sections)."""
    last = db.session.scalar(
        sa.select(SheetReview.version_number).where(SheetReview.sheet_id == sheet.id).order_by(SheetReview.id.desc()).limit(1)
    )
    if last is None:
        return None, {}
    before = get_version(sheet, last).content
    after = get_version(sheet, sheet.current_version).content
    diffs = {}
    for key in after:
        old, new = _as_text(before.get(key)), _as_text(after.get(key))
        if old != new:
            diffs[key] = word_diff(old, new)
    return last, diffs


def _as_text(value) -> str:
    if isinstance(value, list):
        return " ; ".join(" / ".join(str(v) for v in row.values()) if isinstance(row, dict) else str(row) for row in value)
    return value or ""
