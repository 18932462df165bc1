"""The dashboard's counts, kept by the services as progress is recorded, always equal what the learners' facts
say (queries.dashboard_counts_from_facts, the scan the dashboard used to run at every view); the dashboard
reads them, and nothing else of the learners."""

import random
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from beta_training.accounts.models import Role
from beta_training.core.models import utcnow
from beta_training.courses import queries, services
from beta_training.courses.models import (
    CourseItem,
    CourseRun,
    Enrolment,
    EnrolmentSequenceCount,
    ItemCompletion,
    ItemKind,
    QuizAttempt,
    RunDayCount,
    RunSequenceCount,
)
from beta_training.extensions import db
from beta_training.privacy import services as privacy
from beta_training.privacy.models import Origin
from tests.conftest import login
from tests.factories import make_enrolment, make_mooc, make_user
from tests.test_migrations import _app_for, _revision_before, empty_database_url  # noqa: F401 — fixture used below


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def assert_counts_match_the_facts(run) -> None:
    db.session.flush()
    assert queries.dashboard_counts(run) == queries.dashboard_counts_from_facts(run)
    # …and each learner's own count of items done per sequence, which decides when she starts or finishes one.
    kept = set(db.session.execute(
        sa.select(EnrolmentSequenceCount.enrolment_id, EnrolmentSequenceCount.sequence_id, EnrolmentSequenceCount.done)
        .join(Enrolment, Enrolment.id == EnrolmentSequenceCount.enrolment_id)
        .where(Enrolment.run_id == run.id, EnrolmentSequenceCount.done > 0)))
    facts = set(db.session.execute(
        sa.select(ItemCompletion.enrolment_id, CourseItem.sequence_id, sa.func.count())
        .join(CourseItem, CourseItem.id == ItemCompletion.item_id).join(Enrolment, Enrolment.id == ItemCompletion.enrolment_id)
        .where(Enrolment.run_id == run.id).group_by(ItemCompletion.enrolment_id, CourseItem.sequence_id)))
    assert kept == facts


def _answers(quiz, right: bool) -> dict:
    return {question.id: next(c.id for c in question.choices if c.is_correct == right) for question in quiz.questions}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_enrolments_progress_quizzes_and_erasures_keep_the_counts_equal_to_the_facts(ctx, seed):
    """Learners enrol, unenrol, come back, do items and quizzes on various days, a trainer changes the pass mark
    and the content, accounts are erased: after each step, the kept counts are those of a scan of the facts."""
    rng = random.Random(seed)
    course, run = make_mooc(sequences=(2, 1), kinds=("text", "video", "quiz"))
    services.save_run(course, run=run, quiz_pass_mark=100)
    db.session.commit()
    users = [make_user() for _ in range(6)]
    start = utcnow()
    counted = set()

    def items():
        return queries.ordered_items(queries.get_course_outline(course.slug))

    def enrolment_of(user):
        return queries.get_enrolment(run, user)

    for step in range(120):
        now = start + timedelta(days=rng.uniform(-9, 9))
        action = rng.choices(["enrol", "unenrol", "complete", "quiz", "pass_mark", "erase", "add_item", "delete_item"],
                             weights=[6, 2, 14, 6, 1, 1, 1, 1])[0]
        user = rng.choice(users)
        enrolment = enrolment_of(user)
        try:
            if action == "enrol":
                services.enrol(run, user, now=now)
            elif action == "unenrol" and enrolment is not None:
                services.unenrol(enrolment, actor=user, now=now)
            elif action == "complete" and enrolment is not None:
                item = rng.choice([item for item in items() if item.kind != ItemKind.QUIZ])
                services.record_progress(enrolment, item, source="button", now=now)
            elif action == "quiz" and enrolment is not None:
                quiz = rng.choice([item for item in items() if item.kind == ItemKind.QUIZ])
                services.submit_quiz_attempt(enrolment, quiz, answers=_answers(quiz, rng.random() < 0.5), now=now)
            elif action == "pass_mark":
                services.save_run(course, run=run, quiz_pass_mark=rng.choice([None, 50, 100]))
            elif action == "erase" and len(users) > 2:
                users.remove(user)
                privacy.erase_account(user, origin=Origin.SELF, now=now)
            elif action == "add_item":
                sequence = rng.choice(items()).sequence
                services.save_item(sequence, key=f"new-{step}", kind="text", title="Nouveau", body="Texte.")
            elif action == "delete_item" and len(items()) > 4:
                services.delete_item(rng.choice(items()))
        except services.CourseError:
            db.session.rollback()
        else:
            db.session.commit()
            counted.add(action)
        assert_counts_match_the_facts(run)
    assert {"enrol", "unenrol", "complete", "quiz"} <= counted
    figures = queries.dashboard_counts(run)
    assert figures.days and figures.sequences and figures.quizzes  # something was counted


def test_a_completion_moves_the_learner_to_the_day_of_her_last_activity(ctx):
    course, run = make_mooc(sequences=(1,), kinds=("text", "video"))
    text, video = queries.ordered_items(queries.get_course_outline(course.slug))
    enrolment = services.enrol(run, make_user())
    now = utcnow()
    services.record_progress(enrolment, text, source="opened", now=now - timedelta(days=8))
    db.session.commit()
    stats = queries.dashboard(run, queries.get_course_outline(course.slug), now)
    assert (stats["active_recently"], stats["funnel"][0]["started"], stats["funnel"][0]["finished"]) == (0, 1, 0)
    services.record_progress(enrolment, video, source="video", now=now)
    db.session.commit()
    stats = queries.dashboard(run, queries.get_course_outline(course.slug), now)
    assert (stats["active_recently"], stats["funnel"][0]["finished"], stats["completed"]) == (1, 1, 1)
    assert sum(row.last_active for row in db.session.scalars(sa.select(RunDayCount))) == 1  # moved, not added


def test_an_erased_learner_leaves_the_counts(ctx):
    course, run = make_mooc(sequences=(1,), kinds=("text", "quiz"))
    text, quiz = queries.ordered_items(queries.get_course_outline(course.slug))
    staying, leaving = (services.enrol(run, make_user()) for _ in range(2))
    for enrolment in (staying, leaving):
        services.record_progress(enrolment, text, source="opened")
        services.submit_quiz_attempt(enrolment, quiz, answers=_answers(quiz, True))
    db.session.commit()
    privacy.erase_account(leaving.user, origin=Origin.SELF)
    db.session.commit()
    stats = queries.dashboard(run, queries.get_course_outline(course.slug), utcnow())
    assert (stats["enrolled"], stats["completed"], stats["funnel"][0]["finished"], stats["quizzes"][0]["learners"]) == (1, 1, 1, 1)
    assert_counts_match_the_facts(run)


def _post_each_at_once(app, posts: list[tuple]) -> list[int]:
    """Each (user, url) POSTed at the same instant, each from a browser of its own; the response statuses."""
    barrier = threading.Barrier(len(posts))
    statuses, errors = [], []

    def post(user_id, url):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
        token = client.csrf_token()
        barrier.wait()
        try:
            statuses.append(client.post(url, data={"csrf_token": token}).status_code)
        except Exception as error:  # noqa: BLE001 — re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=post, args=(user.get_id(), url)) for user, url in posts]
    db.session.commit()  # the test's own snapshot must not span the race
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.commit()
    if errors:
        raise errors[0]
    assert len(statuses) == len(posts)
    return statuses


def _done_url(course, run, item) -> str:
    return f"/mooc/{course.slug}/{run.slug}/contenu/{item.key}/termine"


def test_two_learners_completing_at_the_same_instant_count_two(app):
    course, run = make_mooc(sequences=(1,), kinds=("video",))
    [item] = queries.ordered_items(queries.get_course_outline(course.slug))
    learners = [make_enrolment(run).user for _ in range(2)]

    statuses = _post_each_at_once(app, [(learner, _done_url(course, run, item)) for learner in learners])

    assert statuses == [302, 302]
    assert db.session.execute(sa.select(RunSequenceCount.started, RunSequenceCount.finished)).all() == [(2, 2)]
    day = db.session.scalars(sa.select(RunDayCount)).one()
    assert (day.enrolled, day.last_active, day.completed) == (2, 2, 2)
    assert_counts_match_the_facts(run)


def test_one_learner_finishing_a_sequence_from_two_tabs_at_once_counts_once(app):
    """Her two last items of a sequence at the same instant: she starts it once and finishes it once."""
    course, run = make_mooc(sequences=(1,), kinds=("video", "testimonial"))
    learner = make_enrolment(run).user

    statuses = _post_each_at_once(app, [(learner, _done_url(course, run, item))
                                        for item in queries.ordered_items(queries.get_course_outline(course.slug))])

    assert statuses == [302, 302]
    assert db.session.execute(sa.select(RunSequenceCount.started, RunSequenceCount.finished)).all() == [(1, 1)]
    assert db.session.scalar(sa.select(RunDayCount.completed)) == 1
    assert_counts_match_the_facts(run)


def test_unenrolling_while_completing_in_another_tab_leaves_no_count_behind(app):
    course, run = make_mooc(sequences=(1,), kinds=("video", "testimonial"))
    item = queries.ordered_items(queries.get_course_outline(course.slug))[0]
    learner = make_enrolment(run).user

    _post_each_at_once(app, [(learner, _done_url(course, run, item)),
                             (learner, f"/mooc/{course.slug}/{run.slug}/desinscription")])

    assert queries.dashboard_counts(run) == queries.dashboard_counts_from_facts(run)
    assert queries.dashboard_counts(run).sequences == {}  # unenrolled: her progress, kept, is not counted
    assert_counts_match_the_facts(run)


def test_the_dashboard_reads_only_the_counts(client, count_queries):
    """Whatever the number of learners, the page reads the run's count rows: no statement touches the learners'
    enrolments, completions or attempts."""
    _course, run = make_mooc(sequences=(2,), kinds=("text", "quiz"))
    for _ in range(3):
        make_enrolment(run)
    login(client, make_user(roles=[Role.TRAINER]))
    with count_queries() as counter:
        page = client.get(f"/mooc/gestion/sessions/{run.id}/tableau-de-bord")
    assert page.status_code == 200 and "Apprenants par séquence (sur 3 inscrits)" in page.text
    learners_tables = {Enrolment.__tablename__, ItemCompletion.__tablename__, QuizAttempt.__tablename__}
    touched = [statement for statement in counter.statements
               if any(f" {table}" in statement for table in learners_tables)]
    assert touched == []
    assert any(" course_run_day_counts" in statement for statement in counter.statements)


def test_recompute_dashboard_counts_what_a_bulk_load_wrote(ctx):
    """Facts written without the services (a data generator's INSERTs) are counted once the run is recomputed."""
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    user = make_user()
    item_id = queries.ordered_items(queries.get_course_outline(course.slug))[0].id
    now = utcnow()
    db.session.execute(sa.insert(Enrolment).values(run_id=run.id, user_id=user.id, state="active", enrolled_at=now,
                                                   last_activity_at=now, created_at=now, updated_at=now))
    enrolment_id = db.session.scalar(sa.select(Enrolment.id).where(Enrolment.user_id == user.id))
    db.session.execute(sa.insert(ItemCompletion).values(enrolment_id=enrolment_id, item_id=item_id, source="opened",
                                                        completed_at=now))
    assert queries.dashboard_counts(run) != queries.dashboard_counts_from_facts(run)
    services.recompute_dashboard(run)
    assert_counts_match_the_facts(run)
    assert queries.dashboard_counts(run).sequences != {}


def test_the_refresh_command_rebuilds_every_run(app):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    make_enrolment(run)
    db.session.execute(sa.delete(RunDayCount))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["courses", "refresh-dashboard"])
    assert result.exit_code == 0, result.output
    assert "1 runs" in result.output
    assert_counts_match_the_facts(run)
    assert queries.dashboard_counts(run).days


def test_the_migration_counts_the_progress_already_recorded(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context(), app.test_request_context():
        upgrade()
        course, run = make_mooc(sequences=(1, 1), kinds=("text", "quiz"))
        text, quiz, *_rest = queries.ordered_items(queries.get_course_outline(course.slug))
        learners = [services.enrol(run, make_user(), now=utcnow() - timedelta(days=n)) for n in range(3)]
        services.record_progress(learners[0], text, source="opened")
        services.submit_quiz_attempt(learners[0], quiz, answers=_answers(quiz, True))
        services.submit_quiz_attempt(learners[1], quiz, answers=_answers(quiz, False))
        services.unenrol(learners[2], actor=learners[2].user)
        run_id = run.id
        db.session.commit()

        downgrade(revision=_revision_before("66167470c1b2"))  # the tables go, then come back filled from the facts
        upgrade()
        run = db.session.get(CourseRun, run_id)
        counts = queries.dashboard_counts(run)
        assert counts == queries.dashboard_counts_from_facts(run) and counts.days and counts.quizzes
        assert_counts_match_the_facts(run)
        db.session.remove()
        db.engine.dispose()
