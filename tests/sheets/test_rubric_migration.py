"""The migration to review rounds (d3b8f5a1c270) numbers the reviews already written: until then each review
decided its round, so a sheet's n-th review is its round n, and a sheet sent again since is in the next round."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from beta_training.extensions import db
from tests.factories import make_user
from tests.test_migrations import _app_for, _revision_before, empty_database_url  # noqa: F401 — the fixture is used below

sheets = sa.table("product_sheets", sa.column("id", sa.Integer), sa.column("owner_id", sa.Integer), sa.column("state", sa.String),
                  sa.column("title", sa.String), sa.column("current_version", sa.Integer),
                  sa.column("roadmap_reminders_sent", sa.Integer), sa.column("created_at", sa.DateTime),
                  sa.column("updated_at", sa.DateTime))
reviews = sa.table("sheet_reviews", sa.column("id", sa.Integer), sa.column("sheet_id", sa.Integer),
                   sa.column("reviewer_id", sa.Integer), sa.column("version_number", sa.Integer), sa.column("verdict", sa.String),
                   sa.column("overall_comment", sa.Text), sa.column("section_comments", sa.JSON), sa.column("scores", sa.JSON),
                   sa.column("created_at", sa.DateTime))


def test_existing_reviews_get_their_round_and_sheets_their_current_round(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        owner_id, reviewer_id = make_user().id, make_user().id
        db.session.commit()
        db.session.remove()
        downgrade(revision=_revision_before("d3b8f5a1c270"))
        start = datetime(2026, 11, 1, 9, 0)
        with db.engine.begin() as connection:
            def sheet(state):
                return connection.execute(sa.insert(sheets).values(
                    owner_id=owner_id, state=state, title="Fiche", current_version=3, roadmap_reminders_sent=0,
                    created_at=start, updated_at=start).returning(sheets.c.id)).scalar_one()

            # Reviewed twice, sent a third time: round 3 is waiting. Reviewed twice and approved. Never sent.
            waiting, approved, draft = sheet("submitted"), sheet("approved"), sheet("draft")
            for sheet_id, verdicts in ((waiting, ("changes_requested", "changes_requested")),
                                       (approved, ("changes_requested", "approved"))):
                for day, verdict in enumerate(verdicts):
                    connection.execute(sa.insert(reviews).values(
                        sheet_id=sheet_id, reviewer_id=reviewer_id, version_number=day + 1, verdict=verdict,
                        overall_comment="", section_comments={}, scores={}, created_at=start + timedelta(days=day)))
        upgrade()
        with db.engine.connect() as connection:
            rounds = connection.execute(sa.text("SELECT sheet_id, round FROM sheet_reviews ORDER BY id")).all()
            current = dict(connection.execute(sa.text("SELECT id, review_round FROM product_sheets")).all())
        assert [tuple(row) for row in rounds] == [(waiting, 1), (waiting, 2), (approved, 1), (approved, 2)]
        assert current == {waiting: 3, approved: 2, draft: 0}
        db.session.remove()
        db.engine.dispose()
