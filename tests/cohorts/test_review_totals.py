"""The evaluation totals each application keeps (count, sum per criterion, average: services.record_review, in the
evaluation's transaction) always equal what its evaluations say; the trainers' queue sorts, filters and counts on
them, with as many queries for 1,000 applications as for 10."""

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask_migrate import downgrade, upgrade

from beta_training.accounts import services as accounts
from beta_training.accounts.models import Role, User
from beta_training.cohorts import services
from beta_training.cohorts.models import CRITERIA, ApplicationReview, ApplicationState, CohortApplication
from beta_training.core.models import utcnow
from beta_training.extensions import db
from beta_training.privacy import services as privacy
from beta_training.privacy.models import Origin
from tests.conftest import is_postgres, login
from tests.factories import make_application, make_application_review, make_cohort, make_user
from tests.simultaneous import services_at_once
from tests.test_migrations import _app_for, _revision_before, empty_database_url  # noqa: F401 — fixture used below

TOTALS = ("review_count", *(f"{name}_total" for name in CRITERIA), "average_score")


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def totals_from_the_evaluations() -> dict[int, tuple]:
    """{application id: totals} summed up here, in Python, from every evaluation: what the kept columns must say."""
    sums: dict[int, list[int]] = {}
    for review in db.session.scalars(sa.select(ApplicationReview)):
        row = sums.setdefault(review.application_id, [0] * (1 + len(CRITERIA)))
        row[0] += 1
        for index, name in enumerate(CRITERIA, start=1):
            row[index] += getattr(review, name)
    totals = {}
    for application_id in db.session.scalars(sa.select(CohortApplication.id)):
        count, *per_criterion = sums.get(application_id, [0] * (1 + len(CRITERIA)))
        average = sum(per_criterion) / (len(CRITERIA) * count) if count else None
        totals[application_id] = (count, *per_criterion, average)
    return totals


def kept_totals() -> dict[int, tuple]:
    columns = [getattr(CohortApplication, name) for name in TOTALS]
    return {application_id: tuple(values) for application_id, *values in
            db.session.execute(sa.select(CohortApplication.id, *columns))}


def assert_totals_match_the_evaluations() -> None:
    db.session.expire_all()
    assert kept_totals() == totals_from_the_evaluations()


def _scores(rng) -> dict:
    return {name: rng.randrange(6) for name in CRITERIA}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_evaluations_decisions_and_erasures_keep_the_totals_equal_to_the_evaluations(ctx, seed):
    """Trainers evaluate, evaluate again, decide; candidates and trainers erase their accounts: after each
    step, every application's kept totals are those summed up from its evaluations."""
    rng = random.Random(seed)
    cohorts = [make_cohort(), make_cohort()]
    trainers = [make_user(roles=[Role.TRAINER]) for _ in range(4)]
    admin = make_user(roles=[Role.ADMIN])
    applications = [make_application(rng.choice(cohorts)) for _ in range(6)]
    done = set()
    for _step in range(60):
        action = rng.choices(["review", "review_again", "decide", "erase_candidate", "erase_trainer"],
                             weights=[10, 6, 2, 1, 1])[0]
        open_ones = [a for a in applications if a.anonymised_at is None]
        if action == "review" and open_ones and trainers:
            services.record_review(rng.choice(open_ones), reviewer=rng.choice(trainers), comment="Avis", **_scores(rng))
        elif action == "review_again":
            reviews = db.session.scalars(sa.select(ApplicationReview).where(
                ApplicationReview.reviewer_id.is_not(None),
                ApplicationReview.application_id.in_([a.id for a in open_ones]))).all()
            if not reviews:
                continue
            review = rng.choice(reviews)
            services.record_review(review.application, reviewer=review.reviewer, **_scores(rng))
        elif action == "decide":
            application = rng.choice(applications)
            if application.state != ApplicationState.SUBMITTED or application.anonymised_at is not None:
                continue
            services.decide(application, rng.choice(["reject", "waitlist"]), actor=admin, reason="")
        elif action == "erase_candidate" and len(open_ones) > 2:
            privacy.erase_account(rng.choice(open_ones).user, origin=Origin.SELF)
        elif action == "erase_trainer" and len(trainers) > 2:
            trainer = trainers.pop(rng.randrange(len(trainers)))
            accounts.revoke_role(trainer, Role.TRAINER, actor=admin)
            privacy.erase_account(trainer, origin=Origin.SELF)  # her evaluations stay, without her name
        else:
            continue
        db.session.commit()
        done.add(action)
        assert_totals_match_the_evaluations()
    assert {"review", "review_again"} <= done
    assert any(count > 1 for count, *_rest in kept_totals().values())  # several trainers on one application


def test_an_evaluation_sent_again_replaces_its_scores_in_the_totals_and_leaves_the_application_unchanged(ctx):
    """The candidate's edit version (updated_at) stays: an evaluation is no change of her application."""
    application = make_application()
    version = application.edit_version
    trainer = make_user(roles=[Role.TRAINER])
    make_application_review(application, trainer, problem_score=5, motivation_score=5, solution_score=5)
    make_application_review(application, trainer, problem_score=1, motivation_score=2, solution_score=3)
    db.session.refresh(application)
    assert (application.review_count, application.problem_score_total, application.motivation_score_total,
            application.solution_score_total, application.average_score) == (1, 1, 2, 3, 2.0)
    assert application.edit_version == version


def test_the_queue_sorts_and_filters_on_the_scores_the_evaluation_form_wrote(client):
    """Through the trainers' pages: evaluations sent with the form, then the queue by average, best first,
    unevaluated last, and « note moyenne minimale » 3."""
    trainers = [make_user(roles=[Role.TRAINER]) for _ in range(2)]
    cohort = make_cohort()
    marks = {"Aubert": [(5, 5, 4), (4, 4, 4)], "Blanc": [(1, 2, 2)], "Carré": [(3, 3, 3), (4, 3, 3)],
             "Dumas": [], "Étienne": [(2, 4, 3)]}
    for name, evaluations in marks.items():
        application = make_application(cohort, last_name=name)
        for trainer, (problem, motivation, solution) in zip(trainers, evaluations):
            login(client, trainer)
            response = client.post(f"/alpha/gestion/candidatures/{application.id}/evaluation", data={
                "problem_score": problem, "motivation_score": motivation, "solution_score": solution, "comment": ""})
            assert response.status_code == 302

    def names(query):
        page = BeautifulSoup(client.get(f"/alpha/gestion/{cohort.id}/candidatures?{query}").text, "html.parser")
        return [row.select("td")[0].get_text(" ", strip=True).split()[-1] for row in page.select("tbody tr[data-row-key]")], \
            page.select_one("caption").get_text(strip=True)

    assert names("sort=score") == (["Aubert", "Carré", "Étienne", "Blanc", "Dumas"], "5 candidatures")
    assert names("sort=score&min_score=3") == (["Aubert", "Carré", "Étienne"], "3 candidatures")
    page = client.get(f"/alpha/gestion/{cohort.id}/candidatures?sort=score").text
    assert "4,33" in page and "3,5" in page  # Aubert's average; Carré's problem score, averaged


def test_two_trainers_evaluating_at_once_are_both_counted(app):
    """Each evaluation sums up the other's: the application's row is locked first (on PostgreSQL the second
    transaction then reads what the first committed)."""
    application = make_application()
    trainer_ids = [make_user(roles=[Role.TRAINER]).id for _ in range(2)]
    application_id = application.id

    outcomes = services_at_once(  # each call takes one of the two trainers (list.pop is atomic)
        app, lambda: (db.session.get(CohortApplication, application_id), db.session.get(User, trainer_ids.pop())),
        lambda loaded: services.record_review(loaded[0], reviewer=loaded[1], problem_score=4, motivation_score=4,
                                              solution_score=1))
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    db.session.expire_all()
    assert db.session.get(CohortApplication, application_id).review_count == 2
    assert_totals_match_the_evaluations()


def _bulk_applications(cohort, count: int, reviewers) -> None:
    """`count` applications, 0 to 2 evaluations each, inserted as flask scale-data does (not through the
    services), then summed up as scale-data does (services.refresh_review_totals)."""
    now = utcnow()
    rows = [{"cohort_id": cohort.id, "user_id": None, "state": "submitted", "first_name": "Prénom",
             "last_name": f"Nom{n}", "submitted_at": now - timedelta(minutes=n), "created_at": now, "updated_at": now}
            for n in range(count)]
    ids = db.session.execute(sa.insert(CohortApplication).returning(CohortApplication.id, sort_by_parameter_order=True),
                             rows).scalars().all()
    db.session.execute(sa.insert(ApplicationReview), [
        {"application_id": application_id, "reviewer_id": reviewer.id, "problem_score": n % 6,
         "motivation_score": (n * 7) % 6, "solution_score": (n * 5) % 6, "comment": "", "created_at": now,
         "updated_at": now}
        for n, application_id in enumerate(ids) for reviewer in reviewers[:n % 3]])
    services.refresh_review_totals()
    db.session.commit()


def test_the_queue_runs_as_many_queries_for_1000_applications_as_for_10(client, count_queries):
    trainer = make_user(roles=[Role.TRAINER])
    reviewers = [trainer, make_user(roles=[Role.TRAINER])]
    cohort = make_cohort(seats=500)
    login(client, trainer)
    urls = [f"/alpha/gestion/{cohort.id}/candidatures?{query}" for query in
            ("", "sort=score", "sort=name&min_score=2", "sort=waitlist&state=submitted")]

    def counted():
        counts = []
        for url in urls:
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return counts

    _bulk_applications(cohort, 10, reviewers)
    assert_totals_match_the_evaluations()  # refresh_review_totals(), as after flask scale-data
    few = counted()
    _bulk_applications(cohort, 990, reviewers)
    assert_totals_match_the_evaluations()
    assert counted() == few
    caption = BeautifulSoup(client.get(urls[0]).text, "html.parser").select_one("caption").get_text(strip=True)
    assert caption == "1000 candidatures"  # the count stays exact


def test_the_migration_sums_up_the_evaluations_already_recorded(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context(), app.test_request_context():
        upgrade()
        cohort = make_cohort()
        applications = [make_application(cohort) for _ in range(3)]
        trainers = [make_user(roles=[Role.TRAINER]) for _ in range(2)]
        make_application_review(applications[0], trainers[0], problem_score=5, motivation_score=4, solution_score=2)
        make_application_review(applications[0], trainers[1], problem_score=1, motivation_score=0, solution_score=3)
        make_application_review(applications[1], trainers[1], problem_score=3, motivation_score=3, solution_score=4)
        db.session.commit()
        expected = totals_from_the_evaluations()
        first, _second, unevaluated = (application.id for application in applications)
        db.session.remove()

        downgrade(revision=_revision_before("c3f8a1d62b57"))  # the columns go, then come back filled
        upgrade()
        assert kept_totals() == expected
        assert expected[first] == (2, 6, 4, 5, 15 / 6) and expected[unevaluated] == (0, 0, 0, 0, None)
        db.session.remove()
        db.engine.dispose()
