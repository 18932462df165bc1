from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role, User
from beta_training.accounts.services import authenticate
from beta_training.cohorts.models import Cohort, CohortStatus
from beta_training.config import Config
from beta_training.courses.models import Course, CourseRun, Sequence
from beta_training.demo import DEMO_PASSWORD
from beta_training.extensions import db
from tests.factories import make_user


def _snapshot():
    """Every row of every table, as plain tuples."""
    snapshot = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot


def test_seed_demo_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    before = _snapshot()
    assert before["users"] and before["cohorts"] and before["sequences"]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert _snapshot() == before


def test_seed_demo_content(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    cohorts = {c.slug: c for c in db.session.scalars(sa.select(Cohort))}
    first = cohorts["alpha-1"]
    assert (first.starts_on.isoformat(), first.ends_on.isoformat(), first.seats) == ("2017-11-07", "2017-11-09", 28)
    assert first.place_name == "La Fabrique Pôle emploi"
    assert cohorts["alpha-2"].duration_days == 2
    from beta_training.core.models import utcnow

    assert cohorts["alpha-demo"].is_open_for_applications(utcnow())
    titles = [s.title for s in db.session.scalars(sa.select(Sequence).where(Sequence.number.is_not(None)).order_by(Sequence.number))]
    assert titles == [
        "Résoudre les problèmes des usagers", "Trouver ses premiers utilisateurs", "Mesurer son impact dans le réel",
        "Survivre en milieu hostile", "Faire de l’industriel en mode artisanal",
    ]
    runs = {run.slug: run for run in db.session.scalars(sa.select(CourseRun))}
    assert runs["session-demo"].is_registration_open(utcnow()) and runs["session-demo"].is_accessible(utcnow())
    assert runs["session-2018"].is_read_only(utcnow())  # the run of 2018, as it was, is over
    course = db.session.scalar(sa.select(Course))
    assert course.title == "Créer des services publics numériques innovants"
    admin = authenticate("admin@demo.beta.gouv.fr", DEMO_PASSWORD)
    assert admin is not None and admin.is_admin
    assert authenticate("formatrice@demo.beta.gouv.fr", DEMO_PASSWORD).has_any_role(Role.TRAINER)


def test_seed_demo_refused_in_production(app):
    app.config["DEMO_SEEDING_ALLOWED"] = Config.DEMO_SEEDING_ALLOWED
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "refused" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cohort).where(Cohort.status == CohortStatus.ARCHIVED)) == 0


def test_users_grant(app):
    user = make_user(email="grant@example.gouv.fr")
    result = app.test_cli_runner().invoke(args=["users", "grant", "grant@example.gouv.fr", "trainer"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.role_names == {"trainer"}
    assert app.test_cli_runner().invoke(args=["users", "grant", "absent@example.gouv.fr", "trainer"]).exit_code != 0
    assert app.test_cli_runner().invoke(args=["users", "grant", "grant@example.gouv.fr", "king"]).exit_code != 0


def test_users_create_admin(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "chef@example.gouv.fr", "--password", "une phrase assez longue"]
    )
    assert result.exit_code == 0, result.output
    user = authenticate("chef@example.gouv.fr", "une phrase assez longue")
    assert user is not None and user.is_admin and user.email_confirmed
    short = app.test_cli_runner().invoke(args=["users", "create-admin", "x@example.gouv.fr", "--password", "court"])
    assert short.exit_code != 0


@pytest.mark.parametrize("today", [date(2026, 12, 2), date(2027, 4, 3), date(2027, 10, 5)])
def test_the_demo_session_is_a_tuesday_and_wednesday_a_month_away_off_public_holidays(today):
    from beta_training.demo import PUBLIC_HOLIDAYS, upcoming_session_start

    starts_on = upcoming_session_start(today)
    assert starts_on.weekday() == 1 and 28 <= (starts_on - today).days < 28 + 14
    assert not {(d.month, d.day) for d in (starts_on, starts_on + timedelta(days=1))} & PUBLIC_HOLIDAYS
