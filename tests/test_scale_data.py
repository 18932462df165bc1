"""`flask scale-data` at a tiny scale: the counts asked for, the denormalised columns consistent with the rows,
and every page of the load benchmark answering 200 to the role that opens it. Never timed (benchmarks/ is)."""

import re

import pytest
import sqlalchemy as sa

from beta_training import scale_data
from beta_training.accounts.models import User
from beta_training.cohorts.models import ApplicationReview, ApplicationState, CohortApplication
from beta_training.config import Config
from beta_training.courses.models import CourseItem, CourseRun, Enrolment, ItemCompletion, QuizAnswer, QuizAttempt
from beta_training.extensions import db
from beta_training.forum.models import ForumPost, ForumThread
from beta_training.sheets.models import ProductSheet, SheetState, SheetVersion
from tests.conftest import is_postgres

PASSWORD = "un mot de passe de charge"
SIZES = {"learners": 60, "progress": 700, "posts": 300, "long-thread": 45, "applications": 40, "sheets": 25}


def _generate(app, **sizes):
    args = ["scale-data", "--password", PASSWORD]
    for name, value in {**SIZES, **sizes}.items():
        args += [f"--{name}", str(value)]
    return app.test_cli_runner().invoke(args=args)


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def generated(app):
    result = _generate(app)
    assert result.exit_code == 0, result.output
    return result


def test_counts_asked_for(generated):
    for phase in ("accounts", "enrolments and progress", "forum", "applications", "fiches produit"):
        assert re.search(rf"{phase}: \d+\.\d s", generated.output)  # the time of each phase is printed
    t = scale_data.targets()
    assert _count(Enrolment, Enrolment.run_id == t.run_id) == SIZES["learners"] + 1  # and the benchmark's learner
    assert _count(ItemCompletion) + _count(QuizAttempt) == SIZES["progress"]
    assert _count(ForumPost) == SIZES["posts"]
    assert t.long_thread_replies == SIZES["long-thread"]
    assert _count(ForumThread) > 2  # many other threads
    assert _count(CohortApplication, CohortApplication.cohort_id == t.cohort_id) == SIZES["applications"]
    assert _count(ProductSheet) == SIZES["sheets"]
    assert _count(SheetVersion) > SIZES["sheets"]  # with versions
    queue = (SheetState.SUBMITTED, SheetState.IN_REVIEW, SheetState.CHANGES_REQUESTED)
    assert _count(ProductSheet, ProductSheet.state.in_(queue)) > SIZES["sheets"] / 2  # the review queue is full
    # every account shares one argon2 hash of the password given
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(User.password_hash)))) == 1


def test_the_dashboard_counts_are_those_of_the_generated_progress(generated):
    """Rows written by bulk inserts never went through the services: the generator recomputes the counts."""
    from beta_training.courses import queries as course_queries
    from beta_training.courses.models import CourseRun

    run = db.session.get(CourseRun, scale_data.targets().run_id)
    counts = course_queries.dashboard_counts(run)
    assert counts == course_queries.dashboard_counts_from_facts(run)


def test_progress_is_consistent(generated):
    t = scale_data.targets()
    run_items = _count(CourseItem, CourseItem.course_id == db.session.get(CourseRun, t.run_id).course_id)
    assert run_items > 10
    done = (sa.select(ItemCompletion.enrolment_id, sa.func.count().label("done"), sa.func.max(ItemCompletion.completed_at)
                      .label("last")).group_by(ItemCompletion.enrolment_id).subquery())
    rows = db.session.execute(sa.select(Enrolment, done.c.done, done.c.last).outerjoin(done, done.c.enrolment_id == Enrolment.id)
                              .where(Enrolment.run_id == t.run_id)).all()
    completed = [enrolment for enrolment, count, _last in rows if count == run_items]
    assert completed, "some learners finish the course"
    for enrolment, count, last in rows:
        # completed exactly when every item is done, with its attestation; last activity = the last thing done
        assert (enrolment.completed_at is not None) == (count == run_items)
        assert (enrolment.attestation_code is not None) == (count == run_items)
        if count == run_items:
            assert enrolment.attestation_name == enrolment.user.full_name
        if count:
            assert enrolment.last_activity_at is not None and enrolment.last_activity_at >= last
        else:
            assert enrolment.last_activity_at is None
    # a quiz is done only by an attempt reaching the pass mark, and each attempt has one answer per question
    quiz_done = db.session.execute(sa.select(ItemCompletion).where(ItemCompletion.source == "quiz")).scalars().all()
    assert quiz_done
    for completion in quiz_done:
        best = db.session.scalar(sa.select(sa.func.max(QuizAttempt.score)).where(
            QuizAttempt.enrolment_id == completion.enrolment_id, QuizAttempt.item_id == completion.item_id))
        assert best is not None and best >= 70
    assert _count(QuizAttempt, QuizAttempt.score < 70) > 0  # some failed first
    per_attempt = db.session.execute(sa.select(QuizAnswer.attempt_id, sa.func.count(), sa.func.max(QuizAttempt.total))
                                     .join(QuizAttempt).group_by(QuizAnswer.attempt_id)).all()
    assert len(per_attempt) == _count(QuizAttempt) and all(answers == total for _id, answers, total in per_attempt)


def test_forum_applications_and_sheets_are_consistent(generated):
    for thread in db.session.scalars(sa.select(ForumThread)):
        posts = db.session.scalars(sa.select(ForumPost).where(ForumPost.thread_id == thread.id).order_by(ForumPost.id)).all()
        assert posts[0].is_opening and not any(post.is_opening for post in posts[1:])
        assert thread.reply_count == len(posts) - 1
        assert thread.last_post_id == posts[-1].id
        assert thread.last_post_at == max(post.created_at for post in posts)
        assert thread.has_staff_reply == any(post.author_is_staff for post in posts[1:])
    if not is_postgres():  # SQLite's search index holds every post (PostgreSQL indexes search_text itself)
        assert db.session.scalar(sa.text("SELECT count(*) FROM forum_search")) == SIZES["posts"]
    t = scale_data.targets()
    applications = db.session.scalars(sa.select(CohortApplication)).all()
    waitlist = sorted(a.waitlist_position for a in applications if a.state == ApplicationState.WAITLISTED)
    assert waitlist == list(range(1, len(waitlist) + 1))
    seats = sum(a.state in (ApplicationState.ACCEPTED, ApplicationState.CONFIRMED) for a in applications)
    assert 0 < seats <= applications[0].cohort.seats
    assert _count(ApplicationReview) > 0 and t.applications == SIZES["applications"]
    for sheet in db.session.scalars(sa.select(ProductSheet)):
        enrolment = db.session.get(Enrolment, sheet.enrolment_id)
        assert (enrolment.sheet_sent_at is not None) == (sheet.state != SheetState.DRAFT)
        assert (sheet.claimed_by_id is not None) == (sheet.state == SheetState.IN_REVIEW)
        assert _count(SheetVersion, SheetVersion.sheet_id == sheet.id) == sheet.current_version


def _sign_in(client, role: str) -> None:
    response = client.post("/compte/connexion", data={"email": scale_data.STAFF_EMAILS[role], "password": PASSWORD})
    assert response.status_code == 302, (role, response.status_code)


def test_every_benchmarked_page_answers_its_role(generated, app):
    pages = scale_data.key_pages(scale_data.targets())
    assert {page.role for page in pages} == {"anonymous", "learner", "trainer"}
    for role in ("anonymous", "learner", "trainer", "admin"):
        client = app.test_client()
        if role != "anonymous":
            _sign_in(client, role)
        for page in pages:
            if page.role == role or (role == "admin" and page.role == "trainer"):
                response = client.get(page.url)
                assert response.status_code == 200, (role, page.label, page.url, response.status_code)
    # the learner the benchmark signs in as has real progress: half the course, a quiz attempted
    learner = db.session.scalar(sa.select(Enrolment).join(User).where(User.email == scale_data.STAFF_EMAILS["learner"]))
    items = _count(CourseItem, CourseItem.course_id == learner.run.course_id)
    assert _count(ItemCompletion, ItemCompletion.enrolment_id == learner.id) == items // 2
    assert _count(QuizAttempt, QuizAttempt.enrolment_id == learner.id) > 0


def test_refused_twice_and_in_production(app):
    assert _generate(app, learners=5, progress=20, posts=10, **{"long-thread": 3}, applications=2, sheets=2).exit_code == 0
    again = _generate(app, learners=5, progress=20, posts=10, **{"long-thread": 3}, applications=2, sheets=2)
    assert again.exit_code != 0 and "déjà des données générées" in again.output
    app.config["DEMO_SEEDING_ALLOWED"] = Config.DEMO_SEEDING_ALLOWED
    users = _count(User)
    refused = _generate(app, learners=5, progress=20, posts=10, **{"long-thread": 3}, applications=2, sheets=2)
    assert refused.exit_code != 0 and "refused with the production configuration" in refused.output
    assert _count(User) == users
