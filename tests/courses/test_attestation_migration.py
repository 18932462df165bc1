"""The migration that freezes the learner's name on completed enrolments (issue #14, attestations)."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from beta_training.core.models import utcnow
from beta_training.extensions import db
from tests.factories import make_enrolment, make_user
from tests.test_migrations import _app_for, _revision_before, empty_database_url  # noqa: F401 — the fixture is used below

REVISION = "4e1a7c9b2d05"


def test_completed_enrolments_get_the_current_name_and_the_others_none(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        completed = make_enrolment(user=make_user(first_name="Łukasz", last_name="Żółć"), completed_at=utcnow(),
                                   attestation_code="AAAA-BBBB-CC")
        ongoing = make_enrolment(user=make_user(first_name="Nguyễn Thị", last_name="Hương"))
        ids, user_id = (completed.id, ongoing.id), completed.user_id
        db.session.commit()

        downgrade(revision=_revision_before(REVISION))  # the column goes, then comes back from the users' names
        db.session.execute(sa.text("UPDATE users SET last_name = 'Kowalski' WHERE id = :id"), {"id": user_id})
        db.session.commit()
        upgrade()
        rows = dict(db.session.execute(sa.text("SELECT id, attestation_name FROM enrolments")).all())
        assert (rows[ids[0]], rows[ids[1]]) == ("Łukasz Kowalski", None)  # the name known when the column came
        signatories = db.session.execute(sa.text("SELECT signatory_name, signatory_role FROM course_runs")).all()
        assert signatories and set(signatories) == {("", "")}  # existing runs: signed by the team
        db.session.remove()
        db.engine.dispose()
