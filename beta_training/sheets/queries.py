"""Read-side helpers for fiches produit."""

import difflib
import functools
import html
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer
from markupsafe import Markup

from beta_training.core.models import StateChange
from beta_training.core.templating import format_d
from beta_training.extensions import db
from beta_training.sheets.models import (
    COMMENT_TARGETS,
    FORMER_OWNER,
    QUESTIONS,
    RUBRIC,
    SHEET_STATE_LABELS,
    USERTYPES,
    Criterion,
    IndicatorMeasure,
    MilestoneStatus,
    ProductSheet,
    SheetFollowUpComment,
    SheetMilestone,
    SheetReview,
    SheetState,
    SheetVersion,
    content_label,
    describe_origin,
)


CONTENT_ORDER = [*QUESTIONS, "indicators", "milestones", "usertypes", "thematiques"]


def get_version(sheet: ProductSheet, number: int) -> SheetVersion | None:
    return db.session.scalar(sa.select(SheetVersion).where(SheetVersion.sheet_id == sheet.id, SheetVersion.number == number))


def sheet_for_enrolment(enrolment_id: int, owner_id: int) -> ProductSheet | None:
    """The learner's one fiche produit for this MOOC enrolment (the first one, should older data hold two)."""
    return db.session.scalar(
        sa.select(ProductSheet).where(ProductSheet.enrolment_id == enrolment_id, ProductSheet.owner_id == owner_id)
        .order_by(ProductSheet.id).limit(1)
    )


def enrolments_with_a_sheet(owner_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(ProductSheet.enrolment_id).where(
        ProductSheet.owner_id == owner_id, ProductSheet.enrolment_id.is_not(None))))


def latest_review(sheet: ProductSheet) -> SheetReview | None:
    return db.session.scalar(
        sa.select(SheetReview).where(SheetReview.sheet_id == sheet.id)
        .order_by(SheetReview.created_at.desc(), SheetReview.id.desc()).limit(1)
    )


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


QUEUE_STATES = (SheetState.SUBMITTED, SheetState.IN_REVIEW, SheetState.SECOND_REVIEW, SheetState.CHANGES_REQUESTED)


def review_queue_query(state: str | None = None) -> sa.Select:
    """The ids of the sheets waiting for trainers, oldest submission first: what the queue pages through and
    counts (ix_product_sheets_queue holds all of it); queued_sheets() then reads the page's lines."""
    sheet = ProductSheet.__table__.c  # a Core select (as queued_sheets'): ids need no ORM
    return (
        sa.select(sheet.id)
        .where(sheet.state.in_([state] if state else QUEUE_STATES))
        .order_by(sheet.submitted_at.asc().nulls_last(), sheet.id)
    )


@dataclass(frozen=True, slots=True)
class QueuedSheet:
    """A line of the trainers' queue, as one query reads it: the fiche's own columns and the names it shows.
    Not the mapped fiche with its owner, reviewer, enrolment, run, course and application: loading those
    objects for 25 lines cost more than the rest of the page's queries."""

    id: int
    title: str
    state: str
    submitted_at: datetime | None
    owner_id: int | None
    owner_first_name: str | None
    owner_last_name: str | None
    claimed_by_id: int | None
    reviewer_first_name: str | None
    reviewer_last_name: str | None
    course_title: str | None
    run_name: str | None
    cohort_title: str | None
    # Waiting for a second opinion, nobody holds the fiche: « Relue par » names who gave the first one.
    first_reviewer_first_name: str | None
    first_reviewer_last_name: str | None

    @property
    def owner_name(self) -> str:
        return f"{self.owner_first_name} {self.owner_last_name}".strip() if self.owner_id else str(FORMER_OWNER)

    @property
    def linked_to(self) -> str:
        return describe_origin(self.course_title, self.run_name, self.cohort_title)

    @property
    def state_label(self) -> str:
        return str(SHEET_STATE_LABELS[SheetState(self.state)])


@functools.cache
def _queued_sheets_statement() -> sa.Select:
    """Built once: aliasing the users table for the owner and the reviewer at each view cost more than the query.
    A Core select, of the tables' columns: the ORM's handling of 25 rows of plain values cost more than SQLite
    took to join them."""
    from beta_training.accounts.models import User
    from beta_training.cohorts.models import Cohort, CohortApplication
    from beta_training.courses.models import Course, CourseRun, Enrolment

    sheet, review = ProductSheet.__table__, SheetReview.__table__
    enrolment, run, course = Enrolment.__table__, CourseRun.__table__, Course.__table__
    application, cohort = CohortApplication.__table__, Cohort.__table__
    owner, reviewer, first_reviewer = User.__table__.alias(), User.__table__.alias(), User.__table__.alias()
    return (
        sa.select(
            sheet.c.id, sheet.c.title, sheet.c.state, sheet.c.submitted_at,
            sheet.c.owner_id, owner.c.first_name, owner.c.last_name,
            sheet.c.claimed_by_id, reviewer.c.first_name, reviewer.c.last_name,
            course.c.title, run.c.name, cohort.c.title, first_reviewer.c.first_name, first_reviewer.c.last_name,
        )
        .select_from(sheet)
        .outerjoin(owner, owner.c.id == sheet.c.owner_id)
        .outerjoin(reviewer, reviewer.c.id == sheet.c.claimed_by_id)
        # The review that asked for the second opinion: one per round (a third opinion is refused).
        .outerjoin(review, sa.and_(sheet.c.state == SheetState.SECOND_REVIEW, review.c.sheet_id == sheet.c.id,
                                   review.c.round == sheet.c.review_round, review.c.verdict == SheetState.SECOND_REVIEW))
        .outerjoin(first_reviewer, first_reviewer.c.id == review.c.reviewer_id)
        .outerjoin(enrolment, enrolment.c.id == sheet.c.enrolment_id)
        .outerjoin(run, run.c.id == enrolment.c.run_id)
        .outerjoin(course, course.c.id == run.c.course_id)
        .outerjoin(application, application.c.id == sheet.c.application_id)
        .outerjoin(cohort, cohort.c.id == application.c.cohort_id)
        .where(sheet.c.id.in_(sa.bindparam("sheet_ids", expanding=True)))
    )


def queued_sheets(sheet_ids: list[int]) -> list[QueuedSheet]:
    """The queue's lines of these sheets, in the order of `sheet_ids`, in one query."""
    rows = db.session.execute(_queued_sheets_statement(), {"sheet_ids": list(sheet_ids)})
    position = {sheet_id: index for index, sheet_id in enumerate(sheet_ids)}
    return sorted((QueuedSheet(*row) for row in rows), key=lambda line: position[line.id])


def current_rounds_reviewed_by(user, sheets: list[ProductSheet]) -> set[int]:
    """The ids of those of `sheets` waiting for a second opinion whose current round `user` reviewed already
    (she gave the first opinion): one query for the page."""
    waiting = [sheet for sheet in sheets if sheet.state == SheetState.SECOND_REVIEW]
    if not waiting:
        return set()
    return set(db.session.scalars(
        sa.select(SheetReview.sheet_id).join(ProductSheet, ProductSheet.id == SheetReview.sheet_id)
        .where(SheetReview.sheet_id.in_([sheet.id for sheet in waiting]), SheetReview.reviewer_id == user.id,
               SheetReview.round == ProductSheet.review_round)
    ))


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
    """{content key: diff} between the version last reviewed and the current one (only what changed), in the
    order of the fiche: header, parts, roadmap. Compared and shown paragraph by paragraph as the « comparer »
    page does: a version saved by a browser (\r\n) is not a change, and the paragraphs stay paragraphs."""
    last = db.session.scalar(
        sa.select(SheetReview.version_number).where(SheetReview.sheet_id == sheet.id).order_by(SheetReview.id.desc()).limit(1)
    )
    if last is None:
        return None, {}
    before = get_version(sheet, last).content
    after = get_version(sheet, sheet.current_version).content
    diffs = {}
    for key in sorted(after, key=lambda key: CONTENT_ORDER.index(key) if key in CONTENT_ORDER else len(CONTENT_ORDER)):
        old, new = content_paragraphs(key, before.get(key)), content_paragraphs(key, after.get(key))
        if old != new:
            diffs[key] = Markup("").join(paragraph_diff(old, new))
    return last, diffs


def milestones_of(sheet: ProductSheet) -> list[SheetMilestone]:
    return list(db.session.scalars(sa.select(SheetMilestone).where(SheetMilestone.sheet_id == sheet.id).order_by(SheetMilestone.position)))


def measures_of(sheet: ProductSheet) -> list[IndicatorMeasure]:
    return list(db.session.scalars(
        sa.select(IndicatorMeasure).where(IndicatorMeasure.sheet_id == sheet.id).order_by(IndicatorMeasure.measured_on.desc(), IndicatorMeasure.id.desc())
    ))


def approved_sheets() -> list[ProductSheet]:
    return list(db.session.scalars(sa.select(ProductSheet).where(ProductSheet.state == SheetState.APPROVED)))


def sheets_waiting_since(limit) -> list[ProductSheet]:
    return list(db.session.scalars(
        sa.select(ProductSheet).where(
            ProductSheet.state == SheetState.SUBMITTED, ProductSheet.submitted_at <= limit, ProductSheet.reminder_sent_at.is_(None),
        ).order_by(ProductSheet.submitted_at)
    ))


def sheets_awaiting_second_opinion_since(limit) -> list[sa.Row[tuple[ProductSheet, SheetReview]]]:
    """Sheets waiting for a second opinion since before `limit`, with the first review of the round that asked
    for it. The wait starts with that review: a reminder sent before it (for the first review) does not count."""
    first = (sa.select(SheetReview.sheet_id, SheetReview.round, sa.func.min(SheetReview.id).label("review_id"))
             .group_by(SheetReview.sheet_id, SheetReview.round).subquery())
    return list(db.session.execute(
        sa.select(ProductSheet, SheetReview)
        .join(first, sa.and_(first.c.sheet_id == ProductSheet.id, first.c.round == ProductSheet.review_round))
        .join(SheetReview, SheetReview.id == first.c.review_id)
        .where(ProductSheet.state == SheetState.SECOND_REVIEW, SheetReview.created_at <= limit,
               sa.or_(ProductSheet.reminder_sent_at.is_(None), ProductSheet.reminder_sent_at < SheetReview.created_at))
        .order_by(SheetReview.created_at)
    ).all())


def impact() -> dict:
    """What approved sheets became: milestones done on time, indicators reported, services launched (in SQL)."""
    approved = sa.select(ProductSheet.id).where(ProductSheet.state == SheetState.APPROVED)
    count = lambda query: db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))  # noqa: E731
    milestones = sa.select(SheetMilestone).where(SheetMilestone.sheet_id.in_(approved))
    done = milestones.where(SheetMilestone.status == MilestoneStatus.DONE)
    on_time = done.where(sa.or_(SheetMilestone.due_on.is_(None), SheetMilestone.done_on <= SheetMilestone.due_on))
    return {
        "approved": count(approved),
        "milestones": count(milestones),
        "milestones_done": count(done),
        "milestones_on_time": count(on_time),
        "sheets_with_measures": count(sa.select(IndicatorMeasure.sheet_id).where(IndicatorMeasure.sheet_id.in_(approved)).distinct()),
        "measures": count(sa.select(IndicatorMeasure.id).where(IndicatorMeasure.sheet_id.in_(approved))),
        "launched": count(approved.where(ProductSheet.launched_on.is_not(None))),
    }


def approved_sheets_query() -> sa.Select:
    return sa.select(ProductSheet).where(ProductSheet.state == SheetState.APPROVED).order_by(ProductSheet.approved_at.desc())


def enrolment_has_sent_sheet(enrolment_id: int) -> bool:
    """A fiche produit linked to this MOOC enrolment is sent for review (or further: in review, approved)."""
    return bool(db.session.scalar(sa.select(sa.exists().where(
        ProductSheet.enrolment_id == enrolment_id, ProductSheet.state != SheetState.DRAFT,
    ))))


def reviews_in_round(sheet: ProductSheet, number: int) -> list[SheetReview]:
    return list(db.session.scalars(
        sa.select(SheetReview).where(SheetReview.sheet_id == sheet.id, SheetReview.round == number).order_by(SheetReview.id)
    ))


# --- The rubric, round by round -----------------------------------------------------------------------------


@dataclass
class CriterionRow:
    criterion: Criterion
    scores: list[int | None]  # one per review of the round, in the order of RoundSummary.reviews
    average: float | None  # over the reviewers who scored it


@dataclass
class RoundSummary:
    number: int
    reviews: list[SheetReview]  # oldest first
    rows: list[CriterionRow]
    # The mean of the criteria's averages: each criterion weighs the same, whoever scored it.
    overall: float | None
    reviewer_means: list[float | None]  # each reviewer's own mean over the criteria she scored

    @property
    def scored(self) -> bool:
        return any(row.average is not None for row in self.rows)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def rubric_rounds(reviews: list[SheetReview]) -> list[RoundSummary]:
    """The reviews (as `reviews_of` gives them, any order) grouped by round, newest round first, with each
    criterion's scores and averages. Computed from the rows already loaded: no query."""
    by_round: dict[int, list[SheetReview]] = {}
    for review in sorted(reviews, key=lambda r: (r.created_at, r.id)):
        by_round.setdefault(review.round, []).append(review)
    summaries = []
    for number in sorted(by_round, reverse=True):
        round_reviews = by_round[number]
        rows = []
        for criterion in RUBRIC:
            scores = [(review.scores or {}).get(criterion.key) for review in round_reviews]
            rows.append(CriterionRow(criterion, scores, _mean([s for s in scores if s is not None])))
        means = [_mean([s for s in (review.scores or {}).values() if isinstance(s, int)]) for review in round_reviews]
        summaries.append(RoundSummary(number, round_reviews, rows, _mean([r.average for r in rows if r.average is not None]),
                                      means))
    return summaries


@dataclass
class PastComment:
    round: int
    reviewer: str
    created_at: datetime
    text: str


def comment_history(reviews: list[SheetReview], skip: SheetReview | None = None) -> dict[str, list[PastComment]]:
    """{comment target: its comments, newest first, with their round and reviewer}, but those of `skip` (the
    review already shown beside each section)."""
    history: dict[str, list[PastComment]] = {key: [] for key in COMMENT_TARGETS}
    for review in sorted(reviews, key=lambda r: (r.created_at, r.id), reverse=True):
        if skip is not None and review.id == skip.id:
            continue
        for key, text in (review.section_comments or {}).items():
            if key in history and text:
                history[key].append(PastComment(review.round, review.reviewer_name, review.created_at, text))
    return history


# --- Version history ------------------------------------------------------------------------------------------


def versions_query(sheet: ProductSheet) -> sa.Select:
    """Every version, newest first, without its content (a long autosaved history stays light)."""
    return (sa.select(SheetVersion).where(SheetVersion.sheet_id == sheet.id).options(defer(SheetVersion.content))
            .order_by(SheetVersion.number.desc()))


def content_paragraphs(key: str, value) -> list[str]:
    """A content value as the paragraphs a person reads: a line of an answer, a row of the roadmap."""
    if key == "indicators":
        return [f"{row.get('name', '')} : {row.get('baseline') or '—'} → {row.get('target') or '—'}"
                for row in value or [] if any((row.get(k) or "").strip() for k in ("name", "baseline", "target"))]
    if key == "milestones":
        return [f"{format_d(row.get('due_on')) or '—'} : {row.get('title', '')}" + (f" (priorité {row['priority']})" if row.get("priority") else "")
                for row in value or [] if any((row.get(k) or "").strip() for k in ("title", "due_on", "priority"))]
    if key == "usertypes":
        return [str(USERTYPES.get(u, u)) for u in value or []]
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def _whole(tag: str, label: str, text: str) -> Markup:
    """A paragraph added or removed as a whole: said in visible words, not only by the colour."""
    return Markup('<p class="bt-diff__para"><span class="fr-badge fr-badge--sm {badge}">{label}</span> <{tag}>{text}</{tag}></p>').format(
        badge=Markup("fr-badge--success" if tag == "ins" else "fr-badge--error"), label=label, tag=Markup(tag), text=text)


def paragraph_diff(before: list[str], after: list[str]) -> list[Markup]:
    """Paragraph by paragraph (difflib on the paragraphs), then word by word inside a changed paragraph: the
    diff keeps the text's paragraphs, unchanged ones included."""
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            out += [Markup('<p class="bt-diff__para">{}</p>').format(p) for p in before[i1:i2]]
            continue
        old, new = before[i1:i2], after[j1:j2]
        paired = min(len(old), len(new)) if op == "replace" else 0
        out += [Markup('<p class="bt-diff__para">{}</p>').format(word_diff(a, b)) for a, b in zip(old[:paired], new[:paired])]
        out += [_whole("del", "Paragraphe supprimé", p) for p in old[paired:]]
        out += [_whole("ins", "Paragraphe ajouté", p) for p in new[paired:]]
    return out


def compare_versions(before: SheetVersion, after: SheetVersion) -> list[tuple[str, list[Markup]]]:
    """[(what, its paragraphs with the changes marked)] for every question or roadmap list that differs, in
    the fiche's order."""
    keys = [key for key in CONTENT_ORDER if key in before.content or key in after.content]
    changes = []
    for key in keys:
        old, new = content_paragraphs(key, before.content.get(key)), content_paragraphs(key, after.content.get(key))
        if old != new:
            changes.append((content_label(key), paragraph_diff(old, new)))
    return changes


def follow_up_comments(sheet: ProductSheet) -> list[SheetFollowUpComment]:
    return list(db.session.scalars(
        sa.select(SheetFollowUpComment).where(SheetFollowUpComment.sheet_id == sheet.id)
        .order_by(SheetFollowUpComment.created_at.desc(), SheetFollowUpComment.id.desc())
    ))
