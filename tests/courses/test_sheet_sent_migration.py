"""The migration that makes « fiche sent » a fact on the enrolment keeps what the sheets said."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from beta_training.extensions import db
from tests.factories import make_enrolment, make_product_sheet
from tests.test_migrations import _app_for, empty_database_url  # noqa: F401 — the fixture is used below

BEFORE = "80fef9afbc61"


def test_enrolments_with_a_sent_sheet_keep_counting_it(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        sent_on = datetime(2026, 11, 3, 8, 30, tzinfo=UTC)
        with_sent = make_enrolment()
        make_product_sheet(with_sent.user, state="approved", enrolment_id=with_sent.id, submitted_at=sent_on)
        with_draft = make_enrolment()
        make_product_sheet(with_draft.user, state="draft", enrolment_id=with_draft.id)
        without = make_enrolment()
        ids = (with_sent.id, with_draft.id, without.id)
        db.session.commit()

        downgrade(revision=BEFORE)  # the column goes, then comes back computed from the sheets
        upgrade()
        rows = dict(db.session.execute(sa.text("SELECT id, sheet_sent_at FROM enrolments")).all())
        assert rows[ids[1]] is None and rows[ids[2]] is None
        assert str(rows[ids[0]]).startswith("2026-11-03 08:30")
        db.session.remove()
        db.engine.dispose()
