"""Read-side helpers for the MOOC. The dashboard reads counts kept as progress is recorded (courses/tallies.py)."""

from collections import defaultdict
from dataclasses import dataclass, field, make_dataclass
from datetime import date, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import lazyload, selectinload

from beta_training.core.models import paris_day, to_paris
from beta_training.core.page_cache import KeptByGeneration, earliest_after, generation_watching
from beta_training.core.streaming import open_blob
from beta_training.courses.models import (
    Course,
    CourseInvitation,
    CourseItem,
    CourseModule,
    CourseRun,
    Enrolment,
    EnrolmentSheetPart,
    EnrolmentState,
    ItemCompletion,
    ItemKind,
    QuizAttempt,
    ResourceFile,
    RunBulkEmail,
    RunDayCount,
    RunQuizCount,
    RunSequenceCount,
    Sequence,
)
from beta_training.extensions import db

# --- Structure ----------------------------------------------------------------------------------------


def next_public_change(now: datetime) -> datetime | None:
    """The next moment the public MOOC pages change with the clock alone (page cache): a run's registration
    or access window opens or closes (« Inscriptions ouvertes », « Terminée », the run shown by default)."""
    return earliest_after(now, CourseRun.registration_opens_at, CourseRun.registration_closes_at,
                          CourseRun.access_starts_at, CourseRun.access_ends_at)


def list_published_courses() -> list[Course]:
    return list(
        db.session.scalars(
            sa.select(Course).where(Course.published.is_(True)).options(selectinload(Course.runs)).order_by(Course.title)
        )
    )


def list_all_courses() -> list[Course]:
    return list(db.session.scalars(sa.select(Course).options(selectinload(Course.runs)).order_by(Course.title)))


def get_course_outline(slug: str, *, quizzes: bool = True) -> Course | None:
    """The course with its runs, modules, sequences and items (and their files). `quizzes=False` leaves out
    every quiz's questions and choices: a learner's page shows one quiz at most, whose questions are then
    loaded on their own (two queries, as for all of them), instead of every quiz of the course at each page."""
    items = selectinload(Course.modules).selectinload(CourseModule.sequences).selectinload(Sequence.items)
    options = [items, selectinload(Course.runs)]
    if not quizzes:
        options += [items.lazyload(CourseItem.questions), items.lazyload(CourseItem.choices)]
    return db.session.scalar(sa.select(Course).where(Course.slug == slug).options(*options))


# The three reads every learner page makes (its course, its item, the learner's enrolment), built once per
# process with bound parameters: building a statement with loader options, and its cache key, cost SQLAlchemy
# more than the read itself (about 0.2 ms each). Made at first use, once every model is mapped.
@cache
def _course_by_slug() -> sa.Select:
    return sa.select(Course).where(Course.slug == sa.bindparam("slug")).options(selectinload(Course.runs))


@cache
def _item_by_key() -> sa.Select:
    return (sa.select(CourseItem)
            .where(CourseItem.course_id == sa.bindparam("course_id"), CourseItem.key == sa.bindparam("key"))
            .options(lazyload(CourseItem.questions), lazyload(CourseItem.choices)))


@cache
def _enrolment_of() -> sa.Select:
    # Its run and user are the ones given (already loaded): not joined again into the query.
    return (sa.select(Enrolment)
            .where(Enrolment.run_id == sa.bindparam("run_id"), Enrolment.user_id == sa.bindparam("user_id"))
            .options(lazyload(Enrolment.run), lazyload(Enrolment.user)))


def get_course(slug: str) -> Course | None:
    """The course and its runs (what a learner's page checks and links to); its structure: course_structure()."""
    return db.session.scalar(_course_by_slug(), {"slug": slug})


# --- The structure kept per process -----------------------------------------------------------------------
# Every signed-in page of a course shows its modules, sequences and items, the same for everyone: read once
# per process and kept, as plain frozen copies (no ORM object: nothing to lazy-load on a closed session,
# nothing a request could change or attach to its session), until a write to one of these tables bumps the
# generation in its own transaction (core.page_cache). What is a learner's own (completions, scores) is read
# at each request, beside it. A quiz's questions are not in it: the item page reads its one quiz's.


def _frozen_copy_class(model, *children):
    """A frozen dataclass with the model's columns (not the deferred ones: a file's bytes), `children`
    (tuples of copies), and the model's own properties (label, icon…), which read only those columns."""
    # Read from the mapper as it was declared, not `column_attrs`, which configures every mapper: at import
    # time the models of the other domains (a fiche's Alpha application…) may not be imported yet.
    mapper = sa.inspect(model)
    columns = [key for key in mapper.columns.keys() if not mapper.get_property(key, _configure_mappers=False).deferred]
    properties = {name: value for name, value in vars(model).items() if isinstance(value, property)}
    return make_dataclass(f"Kept{model.__name__}", [*columns, *children], frozen=True, namespace=properties)


KeptResourceFile = _frozen_copy_class(ResourceFile)
KeptItem = _frozen_copy_class(CourseItem, "resource_file")
KeptSequence = _frozen_copy_class(Sequence, "items")
KeptModule = _frozen_copy_class(CourseModule, "sequences")


@dataclass(frozen=True)
class CourseStructure:
    course_id: int
    modules: tuple


STRUCTURE = generation_watching("courses.structure", CourseModule, Sequence, CourseItem, ResourceFile)
_kept_structures = KeptByGeneration(STRUCTURE, max_entries=64)


def _copy(instance, kept_class, **children):
    names = [name for name in kept_class.__dataclass_fields__ if name not in children]
    return kept_class(**{name: getattr(instance, name) for name in names}, **children)


def _read_structure(course_id: int) -> CourseStructure:
    items = selectinload(CourseModule.sequences).selectinload(Sequence.items)
    modules = db.session.scalars(
        sa.select(CourseModule).where(CourseModule.course_id == course_id).order_by(CourseModule.position)
        .options(items.lazyload(CourseItem.questions), items.lazyload(CourseItem.choices)))
    return CourseStructure(course_id, tuple(
        _copy(module, KeptModule, sequences=tuple(
            _copy(sequence, KeptSequence, items=tuple(
                _copy(item, KeptItem, resource_file=item.resource_file and _copy(item.resource_file, KeptResourceFile))
                for item in sequence.items))
            for sequence in module.sequences))
        for module in modules))


def course_structure(course_id: int) -> CourseStructure:
    """The course's modules, sequences and items (with their files' names and sizes), as kept by this
    process: one primary-key read when nothing changed."""
    return _kept_structures.get(course_id, lambda: _read_structure(course_id))


def get_course_outline_by_id(course_id: int) -> Course | None:
    slug = db.session.scalar(sa.select(Course.slug).where(Course.id == course_id))
    return get_course_outline(slug) if slug else None


def get_run(course: Course, run_slug: str) -> CourseRun | None:
    return next((run for run in course.runs if run.slug == run_slug), None)


def default_run(course: Course, now: datetime, user=None) -> CourseRun | None:
    """The run a visitor should see when none is named. Runs may overlap, so in this order: the run the
    learner is enrolled in (one still running first, then the latest), the one open for registration,
    the current or next one, else the latest."""
    runs = sorted(course.runs, key=lambda run: run.access_starts_at)
    if not runs:
        return None
    own_ids = _active_run_ids(user, [run.id for run in runs])
    own = [run for run in runs if run.id in own_ids]
    if own:
        running = [run for run in own if not run.is_read_only(now)]
        return running[-1] if running else own[-1]
    open_now = [run for run in runs if run.is_registration_open(now)]
    if open_now:
        return open_now[0]
    current = [run for run in runs if run.access_ends_at > now]
    return current[0] if current else runs[-1]


def _active_run_ids(user, run_ids: list[int]) -> set[int]:
    if user is None or not user.is_authenticated or not run_ids:
        return set()
    return set(db.session.scalars(sa.select(Enrolment.run_id).where(
        Enrolment.user_id == user.id, Enrolment.run_id.in_(run_ids), Enrolment.state == EnrolmentState.ACTIVE)))


def get_item(course: Course, key: str) -> CourseItem | None:
    """The item; a quiz's questions and choices are read when asked for (a video or a text has none to read)."""
    return db.session.scalar(_item_by_key(), {"course_id": course.id, "key": key})


def next_item_position(sequence_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(CourseItem.position), 0) + 1).where(CourseItem.sequence_id == sequence_id)
    )


def neighbour_item(item: CourseItem, direction: int) -> CourseItem | None:
    query = sa.select(CourseItem).where(CourseItem.sequence_id == item.sequence_id)
    if direction < 0:
        query = query.where(CourseItem.position < item.position).order_by(CourseItem.position.desc())
    else:
        query = query.where(CourseItem.position > item.position).order_by(CourseItem.position)
    return db.session.scalar(query.limit(1))


def ordered_items(course) -> list:
    """Every item in reading order (module, sequence, item), from an outline already loaded (a Course or its
    CourseStructure)."""
    return [item for module in course.modules for sequence in module.sequences for item in sequence.items]


# --- Learners -----------------------------------------------------------------------------------------


def resource_file_data(file_id: int) -> bytes:
    return db.session.scalar(sa.select(ResourceFile.data).where(ResourceFile.id == file_id))


def open_resource_file(attached: ResourceFile, *, in_transaction: bool = False):
    """The file of a resource, read from the database a slice at a time: for downloads, each slice on a pooled
    connection; `in_transaction`, in the session's transaction (a course export, which may follow an import)."""
    return open_blob(db.session.connection() if in_transaction else db.engine, ResourceFile.data,
                     (ResourceFile.id == attached.id, ResourceFile.sha256 == attached.sha256), attached.size_bytes)


def get_enrolment(run: CourseRun, user) -> Enrolment | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(_enrolment_of(), {"run_id": run.id, "user_id": user.id})


def list_user_enrolments(user) -> list[Enrolment]:
    return list(db.session.scalars(
        sa.select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.state == EnrolmentState.ACTIVE)
        .order_by(Enrolment.enrolled_at.desc())
    ))


def invitation_for(run: CourseRun, email: str) -> CourseInvitation | None:
    return db.session.scalar(
        sa.select(CourseInvitation).where(CourseInvitation.run_id == run.id, CourseInvitation.email == email)
    )


def completed_item_ids(enrolment: Enrolment | None) -> dict[int, ItemCompletion]:
    if enrolment is None:
        return {}
    return {c.item_id: c for c in db.session.scalars(sa.select(ItemCompletion).where(ItemCompletion.enrolment_id == enrolment.id))}


def answered_sheet_parts(enrolment: Enrolment | None) -> set[int]:
    """The numbers of the sequences whose part of the learner's fiche produit is answered (sheets tell us)."""
    if enrolment is None:
        return set()
    return set(db.session.scalars(
        sa.select(EnrolmentSheetPart.sequence_number).where(EnrolmentSheetPart.enrolment_id == enrolment.id)))


def attempts_used(enrolment_id: int, item_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt).where(
        QuizAttempt.enrolment_id == enrolment_id, QuizAttempt.item_id == item_id))


def attempts_and_best(enrolment_id: int, item_id: int) -> tuple[int, int | None]:
    """The learner's number of attempts at the quiz, and her best score (None before the first)."""
    used, best = db.session.execute(sa.select(sa.func.count(), sa.func.max(QuizAttempt.score)).where(
        QuizAttempt.enrolment_id == enrolment_id, QuizAttempt.item_id == item_id)).one()
    return used, best


def quiz_attempts(enrolment: Enrolment | None, item: CourseItem) -> list[QuizAttempt]:
    """The learner's attempts at the quiz, in order (their answers come with them)."""
    if enrolment is None or item.kind != ItemKind.QUIZ:
        return []
    return list(db.session.scalars(sa.select(QuizAttempt).where(
        QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.item_id == item.id).order_by(QuizAttempt.number)))


@dataclass(frozen=True)
class QuizScore:
    best: int  # the best score, %
    attempts: int


def quiz_scores(enrolment: Enrolment | None) -> dict[int, QuizScore]:
    """Item id → the learner's best score and number of attempts, for every quiz she has attempted."""
    if enrolment is None:
        return {}
    rows = db.session.execute(
        sa.select(QuizAttempt.item_id, sa.func.max(QuizAttempt.score), sa.func.count())
        .where(QuizAttempt.enrolment_id == enrolment.id).group_by(QuizAttempt.item_id))
    return {item_id: QuizScore(best, attempts) for item_id, best, attempts in rows}


def remaining_items(enrolment: Enrolment) -> int:
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(CourseItem).where(CourseItem.course_id == enrolment.run.course_id)
    )
    done = db.session.scalar(
        sa.select(sa.func.count()).select_from(ItemCompletion).join(CourseItem)
        .where(ItemCompletion.enrolment_id == enrolment.id, CourseItem.course_id == enrolment.run.course_id)
    )
    return total - done


@dataclass
class Progress:
    done: int = 0
    total: int = 0
    children: dict = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total


def progress_of(course, completions: dict) -> dict:
    """{"course": Progress, "modules": {id: Progress}, "sequences": {id: Progress}, "resume": item or None}."""
    result = {"course": Progress(), "modules": {}, "sequences": {}, "resume": None}
    for module in course.modules:
        module_progress = result["modules"].setdefault(module.id, Progress())
        for sequence in module.sequences:
            sequence_progress = result["sequences"].setdefault(sequence.id, Progress())
            for item in sequence.items:
                done = item.id in completions
                for progress in (result["course"], module_progress, sequence_progress):
                    progress.total += 1
                    progress.done += done
                if not done and result["resume"] is None:
                    result["resume"] = item
    return result


# --- Trainers' dashboard --------------------------------------------------------------------------------


@dataclass
class DashboardCounts:
    """A run's dashboard figures as counts (zeros left out, so two of them compare equal when they agree):
    days: Paris day → (enrolled, last active, completed that day); sequences: id → (started, finished);
    quizzes: item id → (learners who tried, sum of their best scores, sum of their attempts, done). Among
    the run's active enrolments."""

    days: dict = field(default_factory=dict)
    sequences: dict = field(default_factory=dict)
    quizzes: dict = field(default_factory=dict)


def _non_zero(rows) -> dict:
    return {key: tuple(values) for key, *values in rows if any(values)}


def dashboard_counts(run: CourseRun) -> DashboardCounts:
    """The counts kept as progress is recorded (courses/tallies.py): three reads by primary key, whatever
    the number of learners."""
    return DashboardCounts(
        days=_non_zero(db.session.execute(
            sa.select(RunDayCount.day, RunDayCount.enrolled, RunDayCount.last_active, RunDayCount.completed)
            .where(RunDayCount.run_id == run.id).order_by(RunDayCount.day))),
        sequences=_non_zero(db.session.execute(
            sa.select(RunSequenceCount.sequence_id, RunSequenceCount.started, RunSequenceCount.finished)
            .where(RunSequenceCount.run_id == run.id))),
        quizzes=_non_zero(db.session.execute(
            sa.select(RunQuizCount.item_id, RunQuizCount.learners, RunQuizCount.best_total, RunQuizCount.attempts,
                      RunQuizCount.done).where(RunQuizCount.run_id == run.id))),
    )


def _active_enrolments(run_id: int):
    return sa.select(Enrolment.id).where(Enrolment.run_id == run_id, Enrolment.state == EnrolmentState.ACTIVE)


def dashboard_counts_from_facts(run: CourseRun) -> DashboardCounts:
    """The same counts, computed from the facts (enrolments, completions, attempts): a scan of the run's
    learners. The reference the kept counts must equal; recompute_dashboard() writes it."""
    active = _active_enrolments(run.id)
    days = defaultdict(lambda: [0, 0, 0])
    for position, column in enumerate((Enrolment.enrolled_at, Enrolment.last_activity_at, Enrolment.completed_at)):
        day = paris_day(column)  # a learner enrolling at 00:30 in Paris counts for that day
        for value, count in db.session.execute(sa.select(day, sa.func.count())
                                               .where(Enrolment.id.in_(active), column.is_not(None)).group_by(day)):
            days[date.fromisoformat(value)][position] = count
    # Sequences: learners with at least one item done in it (started), with as many as it has (finished).
    items_per_sequence = (
        sa.select(CourseItem.sequence_id, sa.func.count().label("total"))
        .where(CourseItem.course_id == run.course_id).group_by(CourseItem.sequence_id).subquery()
    )
    done_per_learner = (
        sa.select(ItemCompletion.enrolment_id, CourseItem.sequence_id, sa.func.count().label("done"))
        .join(CourseItem, CourseItem.id == ItemCompletion.item_id)
        .where(ItemCompletion.enrolment_id.in_(active))
        .group_by(ItemCompletion.enrolment_id, CourseItem.sequence_id).subquery()
    )
    sequences = defaultdict(lambda: [0, 0])
    for sequence_id, started, finished in db.session.execute(
        sa.select(done_per_learner.c.sequence_id, sa.func.count(),
                  sa.func.count().filter(done_per_learner.c.done >= items_per_sequence.c.total))
        .join(items_per_sequence, items_per_sequence.c.sequence_id == done_per_learner.c.sequence_id, isouter=True)
        .group_by(done_per_learner.c.sequence_id)
    ):
        sequences[sequence_id] = [started, finished]
    # Quizzes: each learner's best score and attempts, then summed; done: passed, or answered without a pass mark.
    best = (
        sa.select(QuizAttempt.item_id, sa.func.max(QuizAttempt.score).label("best"), sa.func.count().label("attempts"))
        .where(QuizAttempt.enrolment_id.in_(active)).group_by(QuizAttempt.enrolment_id, QuizAttempt.item_id).subquery()
    )
    quizzes = defaultdict(lambda: [0, 0, 0, 0])
    for item_id, learners, best_total, attempts in db.session.execute(
            sa.select(best.c.item_id, sa.func.count(), sa.func.sum(best.c.best), sa.func.sum(best.c.attempts))
            .group_by(best.c.item_id)):
        quizzes[item_id][:3] = [learners, int(best_total), int(attempts)]
    for item_id, done in db.session.execute(
            sa.select(ItemCompletion.item_id, sa.func.count()).join(CourseItem, CourseItem.id == ItemCompletion.item_id)
            .where(ItemCompletion.enrolment_id.in_(active), CourseItem.course_id == run.course_id,
                   CourseItem.kind == ItemKind.QUIZ)
            .group_by(ItemCompletion.item_id)):
        quizzes[item_id][3] = done
    return DashboardCounts(**{name: _non_zero((key, *values) for key, values in sorted(rows.items()))
                              for name, rows in (("days", days), ("sequences", sequences), ("quizzes", quizzes))})


def dashboard(run: CourseRun, course: "CourseStructure", now: datetime, days: int = 7) -> dict:
    """The run's figures, from the counts kept as progress is recorded: a handful of reads, whatever the
    number of learners. « Active in the last `days` days »: last activity on one of the last `days` Paris
    days, today included (whole days: the counts are kept per day)."""
    counts = dashboard_counts(run)
    first_recent_day = to_paris(now).date() - timedelta(days=days - 1)
    enrolled = sum(enrolled for enrolled, _active, _completed in counts.days.values())
    completed = sum(completed for _enrolled, _active, completed in counts.days.values())
    recent = sum(active for day, (_enrolled, active, _completed) in counts.days.items() if day >= first_recent_day)
    funnel = [
        {"sequence": sequence, **dict(zip(("started", "finished"), counts.sequences.get(sequence.id, (0, 0))))}
        for module in course.modules for sequence in module.sequences
    ]
    return {
        "quizzes": _quiz_statistics(course, counts),
        "enrolled": enrolled,
        "completed": completed,
        "completion_rate": round(100 * completed / enrolled) if enrolled else 0,
        "active_recently": recent,
        "per_day": [(day.isoformat(), enrolled) for day, (enrolled, _active, _completed) in sorted(counts.days.items())
                    if enrolled],
        "funnel": funnel,
        "days": days,
    }


def _quiz_statistics(course: "CourseStructure", counts: DashboardCounts) -> list[dict]:
    """Per quiz (in reading order): learners who tried it, their average best score and attempts, and how many
    have it done (passed, or answered when the run has no pass mark)."""
    rows = []
    for item in ordered_items(course):
        if item.kind != ItemKind.QUIZ:
            continue
        learners, best_total, attempts, done = counts.quizzes.get(item.id, (0, 0, 0, 0))
        rows.append({"item": item, "learners": learners, "done": done,
                     "average_best": round(best_total / learners) if learners else None,
                     "average_attempts": attempts / learners if learners else None})
    return rows


def learners_progress_rows(run: CourseRun):
    """Plain rows for the streamed CSV export, ordered by learner: no ORM objects, so 100,000 learners stream
    quickly in constant memory. Each learner has rows of two kinds, from one query: (learner columns,
    sequence_id, items done, None, None, None) per sequence started, and (learner columns, None, None, item_id,
    best score, passed) per quiz attempted. « passed » (1 or 0) is the completion rule's own answer: the quiz
    is done (an attempt reached the run's pass mark when it was made, or any attempt without one), as
    remaining_items() counts it; a pass mark raised later takes nothing back."""
    from beta_training.accounts.models import User

    learner = (Enrolment.id.label("enrolment_id"), User.first_name, User.last_name, User.email, User.administration,
               Enrolment.enrolled_at, Enrolment.last_activity_at, Enrolment.completed_at)
    no_number = sa.cast(sa.null(), sa.Integer)
    progress = (
        sa.select(*learner, CourseItem.sequence_id.label("sequence_id"), sa.func.count(ItemCompletion.id).label("done"),
                  no_number.label("quiz_id"), no_number.label("best_score"), no_number.label("passed"))
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(ItemCompletion, ItemCompletion.enrolment_id == Enrolment.id)
        .outerjoin(CourseItem, CourseItem.id == ItemCompletion.item_id)
        .where(Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.ACTIVE)
        .group_by(Enrolment.id, User.id, CourseItem.sequence_id)
    )
    scores = (
        sa.select(*learner, no_number, no_number, QuizAttempt.item_id, sa.func.max(QuizAttempt.score),
                  sa.case((sa.exists().where(ItemCompletion.enrolment_id == Enrolment.id,
                                             ItemCompletion.item_id == QuizAttempt.item_id), 1), else_=0))
        .join(User, User.id == Enrolment.user_id)
        .join(QuizAttempt, QuizAttempt.enrolment_id == Enrolment.id)
        .where(Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.ACTIVE)
        .group_by(Enrolment.id, User.id, QuizAttempt.item_id)
    )
    rows = sa.union_all(progress, scores).subquery()
    return sa.select(rows).order_by(rows.c.enrolment_id)


def learners_query(run: CourseRun) -> sa.Select:
    return (
        sa.select(Enrolment).where(Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.ACTIVE)
        .order_by(Enrolment.enrolled_at.desc())
    )


def _audience_query(run: CourseRun, audience: str, stalled_since: datetime):
    query = learners_query(run)
    started = sa.select(ItemCompletion.enrolment_id)
    if audience == "not_started":
        query = query.where(Enrolment.id.not_in(started))
    elif audience == "stalled":
        query = query.where(
            Enrolment.completed_at.is_(None), Enrolment.id.in_(started), Enrolment.last_activity_at < stalled_since
        )
    elif audience == "completed":
        query = query.where(Enrolment.completed_at.is_not(None))
    return query


def learners_for_audience(run: CourseRun, audience: str, stalled_since: datetime) -> list[Enrolment]:
    return list(db.session.scalars(_audience_query(run, audience, stalled_since)))


def count_learners_for_audience(run: CourseRun, audience: str, stalled_since: datetime) -> int:
    query = _audience_query(run, audience, stalled_since).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def get_enrolment_by_code(code: str) -> Enrolment | None:
    return db.session.scalar(sa.select(Enrolment).where(Enrolment.attestation_code == code.strip().upper()))


def enrolment_summaries(user_id: int) -> list[dict]:
    """A person's MOOC enrolments with their progress (for the Alpha reviewers' 'history with us')."""
    totals = (
        sa.select(CourseItem.course_id, sa.func.count().label("total")).group_by(CourseItem.course_id).subquery()
    )
    done = (
        sa.select(ItemCompletion.enrolment_id, sa.func.count().label("done")).group_by(ItemCompletion.enrolment_id).subquery()
    )
    rows = db.session.execute(
        sa.select(Enrolment, Course.title, sa.func.coalesce(done.c.done, 0), sa.func.coalesce(totals.c.total, 0))
        .join(CourseRun, CourseRun.id == Enrolment.run_id)
        .join(Course, Course.id == CourseRun.course_id)
        .outerjoin(done, done.c.enrolment_id == Enrolment.id)
        .outerjoin(totals, totals.c.course_id == Course.id)
        .where(Enrolment.user_id == user_id)
        .order_by(Enrolment.enrolled_at.desc())
    ).all()
    return [
        {"course": title, "run": enrolment.run.name, "state": enrolment.state, "done": n_done, "total": n_total,
         "percent": round(100 * n_done / n_total) if n_total else 0, "completed_at": enrolment.completed_at}
        for enrolment, title, n_done, n_total in rows
    ]



def bulk_emails_of(run_id: int, limit: int = 20) -> list[RunBulkEmail]:
    """The run's latest grouped emails, newest first (with their sender)."""
    return list(db.session.scalars(
        sa.select(RunBulkEmail).where(RunBulkEmail.run_id == run_id)
        .order_by(RunBulkEmail.sent_at.desc(), RunBulkEmail.id.desc()).limit(limit)
    ))
