"""A MOOC bulk email submitted twice at the same instant goes out once."""

import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.core.models import OutboxMessage
from beta_training.courses.models import RunBulkEmail
from beta_training.extensions import db
from tests.simultaneous import post_at_once, rendered_submission_key
from tests.conftest import login
from tests.factories import make_enrolment, make_mooc, make_user


def test_a_bulk_email_submitted_twice_at_once_goes_out_once(app, client, mailbox):
    _course, run = make_mooc(sequences=(1,), kinds=("text",))
    learners = [make_enrolment(run).user for _ in range(4)]
    lead = make_user(roles=[Role.COURSE_LEAD])
    url = f"/mooc/gestion/sessions/{run.id}/courriel"
    login(client, lead)
    data = {"audience": "all", "subject": "Nouvelle vidéo", "body": "Elle est en ligne.",
            "submission_key": rendered_submission_key(client, url)}

    results = [(r.status_code, r.headers.get("Location")) for r in post_at_once(app, lead, url, data)]
    assert results == [(302, f"/mooc/gestion/sessions/{run.id}/tableau-de-bord")] * 2
    records = db.session.scalars(sa.select(RunBulkEmail)).all()
    assert [(r.sender_id, r.run_id, r.audience, r.recipient_count) for r in records] == [(lead.id, run.id, "all", 4)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 4
    assert sorted(m["To"] for m in mailbox.wait_for(4)) == sorted(learner.email for learner in learners)
    assert len(mailbox.messages) == 4

    replay = client.post(url, data=data)  # the same form again later: still nothing new
    assert replay.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 4
    another = client.post(url, data={**data, "submission_key": rendered_submission_key(client, url)})  # a new form: sent
    assert another.status_code == 302 and db.session.scalar(sa.select(sa.func.count()).select_from(RunBulkEmail)) == 2
    page = client.get(url).text
    assert "Courriels déjà envoyés" in page and lead.full_name in page and "Nouvelle vidéo" in page
