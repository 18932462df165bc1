from datetime import timedelta

import pytest
import sqlalchemy as sa

from beta_training.cohorts.models import ApplicationState, CohortApplication
from beta_training.core.models import utcnow
from beta_training.extensions import db
from tests.conftest import text_part
from tests.factories import make_application, make_cohort


@pytest.mark.parametrize("config_overrides", [{"BASE_URL": "https://formation.beta.gouv.fr"}])  # before the app context
def test_expire_offers_command_promotes_and_is_idempotent(app, mailbox):
    cohort = make_cohort(seats=1)
    make_application(cohort, state="accepted", offer_expires_at=utcnow() - timedelta(minutes=5))
    waiting = make_application(cohort, state="waitlisted")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["cohorts", "expire-offers"])
    assert first.exit_code == 0 and "expired offers: 1" in first.output
    assert runner.invoke(args=["cohorts", "expire-offers"]).output.strip() == "expired offers: 0"
    db.session.refresh(waiting)
    assert waiting.state == ApplicationState.ACCEPTED
    offer = next(m for m in mailbox.wait_for(2) if m["To"] == waiting.user.email)
    assert f"https://formation.beta.gouv.fr/alpha/candidatures/{waiting.id}" in text_part(offer)


def test_send_reminders_command(app, mailbox):
    cohort = make_cohort(starts_on=(utcnow() + timedelta(days=2)).date())
    make_application(cohort, state="confirmed")
    runner = app.test_cli_runner()
    assert "session reminders: 1" in runner.invoke(args=["cohorts", "send-reminders"]).output
    assert "session reminders: 0" in runner.invoke(args=["cohorts", "send-reminders"]).output
    assert mailbox.wait_for(1)[0]["Subject"].startswith("Rappel :")


def test_demo_seed_has_a_queue_for_trainers(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    states = sorted(db.session.scalars(sa.select(CohortApplication.state)))
    assert states == ["submitted", "submitted", "waitlisted"]
