"""The trainers' dashboard counts (RunDayCount, RunSequenceCount, RunQuizCount, EnrolmentSequenceCount): kept in
step with the facts by the services that change them, in the same transaction, and rebuilt from the facts by
recompute() (after a bulk load, a content change, or `flask courses refresh-dashboard`).

Concurrency. Every change is an atomic increment (INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n, on
SQLite and PostgreSQL alike): two requests at the same instant both count, neither fails on the missing row.
What decides *whether* to count is read under the learner's own lock (her enrolment row: lock_learner), or
comes from an atomic statement (her done count of a sequence, returned by its increment; a completion or a
state change made by a conditional UPDATE), so a double click counts once and an unenrolment in another tab
never leaves a count behind.

Hot rows. The run's rows are shared by all its learners: on PostgreSQL an increment holds its row until the
transaction commits, so the writes that meet on one row queue there. They rarely meet: a completion increments
only the learner's own EnrolmentSequenceCount row, and the run's rows only when she starts or finishes a
sequence (twice per learner and sequence), completes a quiz or the course; the last-activity day moves once per
learner and day; an enrolment and a quiz attempt increment one row each. So of the ~10 progress writes of a
learner, a few touch a shared row, and then for the last statements of a transaction that commits at once
(Tally.apply runs at its end): at the opening-day rate of a MOOC (tens of thousands of learners in a few hours:
a few writes per second) they hardly ever wait (`benchmarks/mooc_dashboard.py --writers 1,8` measures it).
The run's rows of a transaction are always incremented in the same order (quizzes, sequences, days; each by
id or date), after the learner's lock, so two transactions never wait for each other crosswise (no deadlock).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from beta_training.core.models import PARIS
from beta_training.courses.models import (
    CourseItem,
    CourseRun,
    Enrolment,
    EnrolmentSequenceCount,
    EnrolmentState,
    ItemCompletion,
    ItemKind,
    QuizAttempt,
    RunDayCount,
    RunQuizCount,
    RunSequenceCount,
    Sequence,
    CourseModule,
)
from beta_training.extensions import db


def paris_date(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _increment(model, keys: dict, deltas: dict):
    """INSERT the row with `deltas`, or add them to the row already there: one atomic statement."""
    insert = (postgresql.insert if _is_postgresql() else sqlite.insert)(model).values(**keys, **deltas)
    table = model.__table__
    return insert.on_conflict_do_update(index_elements=list(keys),
                                        set_={name: table.c[name] + insert.excluded[name] for name in deltas})


@dataclass
class Tally:
    """What a transaction changes in one run's rows, written together by apply(), in a fixed order."""

    run_id: int
    quizzes: dict = field(default_factory=lambda: defaultdict(Counter))
    sequences: dict = field(default_factory=lambda: defaultdict(Counter))
    days: dict = field(default_factory=lambda: defaultdict(Counter))

    def quiz(self, item_id: int, **deltas) -> None:
        self.quizzes[item_id].update(deltas)

    def sequence(self, sequence_id: int, **deltas) -> None:
        self.sequences[sequence_id].update(deltas)

    def day(self, day: date, **deltas) -> None:
        self.days[day].update(deltas)

    def apply(self) -> None:
        for model, key, rows in ((RunQuizCount, "item_id", self.quizzes), (RunSequenceCount, "sequence_id", self.sequences),
                                 (RunDayCount, "day", self.days)):
            for value in sorted(rows):
                deltas = {name: delta for name, delta in rows[value].items() if delta}
                if deltas:
                    db.session.execute(_increment(model, {"run_id": self.run_id, key: value}, deltas))
            rows.clear()


# --- Kept in step by the services --------------------------------------------------------------------------


def lock_learner(enrolment: Enrolment) -> tuple[str, datetime | None] | None:
    """Hold the learner's enrolment row until commit (her progress writes queue there), and read its state and
    last activity as committed; None if it is gone (her account erased meanwhile). SQLite has no row locks: a
    write transaction holds the database's from its start (requests, jobs: core.db.configure_sqlite), and one
    that read before another's commit cannot write (« database is locked »), so it never counts from a stale read."""
    row = db.session.execute(sa.select(Enrolment.state, Enrolment.last_activity_at)
                             .where(Enrolment.id == enrolment.id).with_for_update()).one_or_none()
    return None if row is None else (row.state, row.last_activity_at)


def activity(tally: Tally, enrolment: Enrolment, *, before: datetime | None, now: datetime, active: bool = True) -> None:
    """Her last activity becomes `now` (`before` as read under lock_learner): she moves to the row of that day."""
    enrolment.last_activity_at = now
    if not active:
        return
    old, new = (paris_date(before) if before else None), paris_date(now)
    if old != new:
        if old is not None:
            tally.day(old, last_active=-1)
        tally.day(new, last_active=1)


def completion_added(tally: Tally, enrolment_id: int, item: CourseItem) -> None:
    """A new completion of `item` by an active learner: one more item done in its sequence (her own row, whose
    increment returns the new count, so two completions at once see 1 then 2); the run's sequence row when
    she has just started or finished it; the quiz row when it is a quiz."""
    done = db.session.execute(
        _increment(EnrolmentSequenceCount, {"enrolment_id": enrolment_id, "sequence_id": item.sequence_id}, {"done": 1})
        .returning(EnrolmentSequenceCount.done)).scalar_one()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(CourseItem).where(CourseItem.sequence_id == item.sequence_id))
    if item.kind == ItemKind.QUIZ:
        tally.quiz(item.id, done=1)
    tally.sequence(item.sequence_id, started=int(done == 1), finished=int(done == total))


def attempt_added(run_id: int, item_id: int, *, score: int, attempts_before: int, best_before: int | None) -> None:
    """A new attempt at a quiz by an active learner (`attempts_before` and `best_before`: hers until now, read
    under lock_learner). Written at once: the quiz row comes first in the order of Tally.apply."""
    tally = Tally(run_id)
    tally.quiz(item_id, learners=int(attempts_before == 0), attempts=1,
               best_total=score if best_before is None else max(score - best_before, 0))
    tally.apply()


def course_completed(tally: Tally, enrolment: Enrolment, *, now: datetime) -> None:
    tally.day(paris_date(now), completed=1)


def enrolment_counted(enrolment_id: int, sign: int) -> None:
    """Add (`sign` 1: she enrols again) or take away (-1: she unenrols, her account is erased) everything an
    enrolment counts for, from its facts as committed (call it after the state change, which locks its row)."""
    row = db.session.execute(
        sa.select(Enrolment.run_id, Enrolment.enrolled_at, Enrolment.last_activity_at, Enrolment.completed_at,
                  CourseRun.course_id).join(CourseRun, CourseRun.id == Enrolment.run_id).where(Enrolment.id == enrolment_id)
    ).one()
    tally = Tally(row.run_id)
    tally.day(paris_date(row.enrolled_at), enrolled=sign)
    if row.last_activity_at is not None:
        tally.day(paris_date(row.last_activity_at), last_active=sign)
    if row.completed_at is not None:
        tally.day(paris_date(row.completed_at), completed=sign)
    totals = dict(db.session.execute(sa.select(CourseItem.sequence_id, sa.func.count())
                                     .where(CourseItem.course_id == row.course_id).group_by(CourseItem.sequence_id)).all())
    for sequence_id, done in db.session.execute(sa.select(EnrolmentSequenceCount.sequence_id, EnrolmentSequenceCount.done)
                                                .where(EnrolmentSequenceCount.enrolment_id == enrolment_id,
                                                       EnrolmentSequenceCount.done > 0)):
        finished = sequence_id in totals and done >= totals[sequence_id]
        tally.sequence(sequence_id, started=sign, finished=sign if finished else 0)
    for item_id, best, attempts in db.session.execute(
            sa.select(QuizAttempt.item_id, sa.func.max(QuizAttempt.score), sa.func.count())
            .where(QuizAttempt.enrolment_id == enrolment_id).group_by(QuizAttempt.item_id)):
        tally.quiz(item_id, learners=sign, best_total=sign * best, attempts=sign * attempts)
    for item_id in db.session.scalars(sa.select(ItemCompletion.item_id).join(CourseItem, CourseItem.id == ItemCompletion.item_id)
                                      .where(ItemCompletion.enrolment_id == enrolment_id, CourseItem.kind == ItemKind.QUIZ)):
        tally.quiz(item_id, done=sign)
    tally.apply()


def lock_learners(enrolment_ids: list[int]) -> list[int]:
    """Lock several learners' enrolment rows (in id order, as any two callers do); the ids still there."""
    return db.session.scalars(sa.select(Enrolment.id).where(Enrolment.id.in_(enrolment_ids))
                              .order_by(Enrolment.id).with_for_update()).all()


def learner_leaves(user_id: int) -> None:
    """Her account is about to be erased (its enrolments and progress go with it): her active enrolments stop
    counting. Locked first, so progress she records at the same instant is counted, then taken away."""
    enrolment_ids = db.session.scalars(sa.select(Enrolment.id).where(Enrolment.user_id == user_id)
                                       .order_by(Enrolment.id).with_for_update()).all()
    active = db.session.scalars(sa.select(Enrolment.id).where(Enrolment.id.in_(enrolment_ids),
                                                              Enrolment.state == EnrolmentState.ACTIVE)).all()
    for enrolment_id in active:
        enrolment_counted(enrolment_id, -1)


# --- Rebuilt from the facts -----------------------------------------------------------------------------------

COUNT_TABLES = (RunDayCount, RunSequenceCount, RunQuizCount, EnrolmentSequenceCount)


def recompute(run: CourseRun) -> None:
    """The run's counts, rebuilt from its facts (queries.dashboard_counts_from_facts, the reference).

    On PostgreSQL the count tables are locked against writes (reads go on) until the commit: a learner's
    increment made meanwhile waits, then adds to the rebuilt rows, which do not include her uncommitted fact."""
    from beta_training.courses import queries

    if _is_postgresql():
        names = ", ".join(model.__tablename__ for model in COUNT_TABLES)
        db.session.execute(sa.text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
    counts = queries.dashboard_counts_from_facts(run)
    run_enrolments = sa.select(Enrolment.id).where(Enrolment.run_id == run.id)
    for model in (RunDayCount, RunSequenceCount, RunQuizCount):
        db.session.execute(sa.delete(model).where(model.run_id == run.id))
    db.session.execute(sa.delete(EnrolmentSequenceCount).where(EnrolmentSequenceCount.enrolment_id.in_(run_enrolments)))
    db.session.execute(sa.insert(EnrolmentSequenceCount).from_select(
        ["enrolment_id", "sequence_id", "done"],
        sa.select(ItemCompletion.enrolment_id, CourseItem.sequence_id, sa.func.count())
        .join(CourseItem, CourseItem.id == ItemCompletion.item_id)
        .where(ItemCompletion.enrolment_id.in_(run_enrolments))
        .group_by(ItemCompletion.enrolment_id, CourseItem.sequence_id)))
    # Every sequence and quiz gets its row, zero or not: the learners' increments then find it there.
    sequence_ids = db.session.scalars(sa.select(Sequence.id).join(CourseModule).where(CourseModule.course_id == run.course_id)).all()
    quiz_ids = db.session.scalars(sa.select(CourseItem.id).where(CourseItem.course_id == run.course_id,
                                                                 CourseItem.kind == ItemKind.QUIZ)).all()
    rows = {
        RunDayCount: [{"run_id": run.id, "day": day, "enrolled": enrolled, "last_active": last_active, "completed": completed}
                      for day, (enrolled, last_active, completed) in counts.days.items()],
        RunSequenceCount: [{"run_id": run.id, "sequence_id": sequence_id,
                            **dict(zip(("started", "finished"), counts.sequences.get(sequence_id, (0, 0))))}
                           for sequence_id in sequence_ids],
        RunQuizCount: [{"run_id": run.id, "item_id": item_id,
                        **dict(zip(("learners", "best_total", "attempts", "done"), counts.quizzes.get(item_id, (0, 0, 0, 0))))}
                       for item_id in quiz_ids],
    }
    for model, values in rows.items():
        if values:
            db.session.execute(sa.insert(model), values)
    db.session.flush()


def item_leaves_sequence(item_id: int, sequence_id: int) -> None:
    """Before an item of `sequence_id` is deleted (its completions with it): those who did it have one item less
    done there. Their own rows, one atomic decrement each."""
    db.session.execute(sa.update(EnrolmentSequenceCount).where(
        EnrolmentSequenceCount.sequence_id == sequence_id,
        EnrolmentSequenceCount.enrolment_id.in_(sa.select(ItemCompletion.enrolment_id).where(ItemCompletion.item_id == item_id)),
    ).values(done=EnrolmentSequenceCount.done - 1))


def recount_sequences(course_id: int) -> None:
    """The runs' « started » and « finished » of every sequence, from the learners' own counts, after a sequence
    gained or lost an item (a scan of those counts, not of the completions). The table is locked against
    writes meanwhile, as in recompute()."""
    if _is_postgresql():
        db.session.execute(sa.text(f"LOCK TABLE {RunSequenceCount.__tablename__} IN EXCLUSIVE MODE"))
    totals = (sa.select(CourseItem.sequence_id, sa.func.count().label("total")).where(CourseItem.course_id == course_id)
              .group_by(CourseItem.sequence_id).subquery())
    for run_id in db.session.scalars(sa.select(CourseRun.id).where(CourseRun.course_id == course_id).order_by(CourseRun.id)):
        db.session.execute(sa.delete(RunSequenceCount).where(RunSequenceCount.run_id == run_id))
        db.session.execute(sa.insert(RunSequenceCount).from_select(
            ["run_id", "sequence_id", "started", "finished"],
            sa.select(sa.literal(run_id), totals.c.sequence_id,
                      sa.func.count(EnrolmentSequenceCount.enrolment_id).filter(EnrolmentSequenceCount.done > 0),
                      sa.func.count(EnrolmentSequenceCount.enrolment_id).filter(EnrolmentSequenceCount.done >= totals.c.total))
            .select_from(totals)
            .outerjoin(EnrolmentSequenceCount, sa.and_(
                EnrolmentSequenceCount.sequence_id == totals.c.sequence_id,
                EnrolmentSequenceCount.enrolment_id.in_(sa.select(Enrolment.id).where(
                    Enrolment.run_id == run_id, Enrolment.state == EnrolmentState.ACTIVE))))
            .group_by(totals.c.sequence_id)))
    db.session.flush()


def recompute_course(course_id: int) -> None:
    """Every run of a course, after a change of its content that changes what is counted: the number of items
    of a sequence (an item added, deleted or moved to another sequence), an item becoming a quiz or no longer
    one."""
    for run in db.session.scalars(sa.select(CourseRun).where(CourseRun.course_id == course_id).order_by(CourseRun.id)):
        recompute(run)


def content_signature(course_id: int) -> list[tuple]:
    """What of a course's content the counts depend on: each item's sequence and whether it is a quiz."""
    return db.session.execute(sa.select(CourseItem.id, CourseItem.sequence_id, CourseItem.kind == ItemKind.QUIZ)
                              .where(CourseItem.course_id == course_id).order_by(CourseItem.id)).all()
