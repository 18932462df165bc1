"""core.models.upsert when another request inserts the same row between our look-up and our insert."""

import pytest
import sqlalchemy as sa

from beta_training.cohorts.models import AlumniProfile
from beta_training.core.models import upsert
from beta_training.extensions import db
from tests.conftest import is_postgres
from tests.factories import make_user
from tests.simultaneous import row_inserted_meanwhile


@pytest.mark.skipif(not is_postgres(), reason="SQLite lets one writer at a time: no insert can slip in between")
def test_a_row_inserted_meanwhile_is_updated_instead_of_failing(app):
    user = make_user()
    db.session.commit()
    row = {"user_id": user.id, "listed": True, "project": "Leur projet", "contact": "",
           "created_at": sa.func.now(), "updated_at": sa.func.now()}
    with row_inserted_meanwhile(app, AlumniProfile.__table__, row) as inserted:
        profile = upsert(AlumniProfile, {"user_id": user.id}, {"listed": False, "project": "Mon projet", "contact": ""})
        db.session.commit()
    assert inserted
    rows = db.session.execute(sa.select(AlumniProfile.user_id, AlumniProfile.project, AlumniProfile.listed)).all()
    assert rows == [(user.id, "Mon projet", False)]
    assert profile.project == "Mon projet"
