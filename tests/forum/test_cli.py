"""`flask forum send-digests`, as cron runs it: the digest reaches the SMTP server once."""

import sqlalchemy as sa

from beta_training.extensions import db
from beta_training.forum import services
from beta_training.forum.models import ForumNotification
from tests.factories import make_forum, make_forum_member


def test_digest_run_twice_sends_one_email(app, mailbox):
    forum = make_forum()
    asker, reader = make_forum_member(forum), make_forum_member(forum, email="digest@example.gouv.fr")
    with app.test_request_context():
        services.set_email_frequency(reader.id, "daily")
        thread = services.start_thread(forum, asker, category_id=forum.categories[1].id, kind="discussion",
                                       title="Retour d’expérience", body="Voici comment nous avons fait.")
        services.follow_thread(reader, thread)
        services.reply(thread, asker, body="Et une précision sur les usagers.")
        db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["forum", "send-digests"])
    second = runner.invoke(args=["forum", "send-digests"])
    assert (first.output, second.output) == ("forum digests: 1\n", "forum digests: 0\n")
    runner.invoke(args=["mail", "deliver"])
    digests = [m for m in mailbox.wait_for(1) if m["To"] == "digest@example.gouv.fr"]
    assert [m["Subject"] for m in digests] == ["Forum : 1 nouveau message"]
    body = digests[0].get_body(("plain",)).get_content()
    assert "Et une précision sur les usagers." in body and "/forum/desabonnement/" in body
    assert digests[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumNotification).where(
        ForumNotification.emailed_at.is_(None))) == 0
