"""`flask forum send-notifications` and `flask forum send-digests`, as cron runs them: a post's emails leave once
its grace period is over, never if it was hidden or deleted by then, and once only, even from two runs at once."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from beta_training.accounts.models import Role
from beta_training.cli import send_notifications_command
from beta_training.core.models import OutboxMessage
from beta_training.extensions import db
from beta_training.forum import emails, services
from beta_training.forum.models import ForumNotification
from tests.factories import make_forum, make_forum_member, make_user

TITLE = "Retour d’expérience"
REPLY = f"Nouvelle réponse : {TITLE}"


def _outbox(recipient) -> list[str]:
    return list(db.session.scalars(sa.select(OutboxMessage.subject).where(OutboxMessage.recipient == recipient)
                                   .order_by(OutboxMessage.id)))


def _cron(runner, command) -> str:
    result = runner.invoke(args=["forum", command])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def world(app):
    """A thread whose author replies; one follower wants each message, one the daily digest; the course lead
    follows the forum (staff do by default)."""
    forum = make_forum()
    people = {
        "author": make_forum_member(forum, email="autrice@example.gouv.fr"),
        "follower": make_forum_member(forum, email="suiveuse@example.gouv.fr"),
        "daily": make_forum_member(forum, email="resume@example.gouv.fr"),
        "lead": make_user(email="responsable@example.gouv.fr", roles=[Role.COURSE_LEAD]),
    }
    with app.test_request_context():
        services.set_email_frequency(people["daily"].id, "daily")
        thread = services.start_thread(forum, people["author"], category_id=forum.categories[1].id, kind="discussion",
                                       title=TITLE, body="Voici comment nous avons fait.")
        services.follow_thread(people["follower"], thread)
        services.follow_thread(people["daily"], thread)
        db.session.commit()
    return {"forum": forum, "thread": thread, **people}


def _reply(app, world, body):
    with app.test_request_context():
        post = services.reply(world["thread"], world["author"], body=body)
        db.session.commit()
    return post


@pytest.mark.parametrize("withdrawal", ["hidden by a moderator", "deleted by its author"])
def test_a_post_withdrawn_within_the_grace_period_is_never_emailed(app, world, mailbox, withdrawal):
    runner = app.test_cli_runner()
    with freeze_time(world["thread"].created_at, real_asyncio=True) as clock:
        post = _reply(app, world, "Un propos à retirer.")
        clock.tick(60)
        with app.test_request_context():
            if withdrawal == "hidden by a moderator":
                services.hide_post(post, world["lead"], "Contraire à la charte.")
            else:
                services.delete_post(post, world["author"])
            db.session.commit()
        clock.tick(61)  # the grace period (120 s) is over
        assert _cron(runner, "send-notifications") == "forum notifications: 1\n"  # the thread itself, to the lead
        assert _cron(runner, "send-digests") == "forum digests: 0\n"
        clock.tick(timedelta(days=1))  # never: not later, not in tomorrow's digest
        assert _cron(runner, "send-notifications") == "forum notifications: 0\n"
        assert _cron(runner, "send-digests") == "forum digests: 0\n"

    assert _outbox(world["follower"].email) == [] and _outbox(world["daily"].email) == []
    assert _outbox(world["lead"].email) == [f"Nouveau sujet : {TITLE}"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumNotification)
                             .where(ForumNotification.emailed_at.is_(None))) == 0  # dealt with, not waiting
    runner.invoke(args=["mail", "deliver"])
    received = [(m["To"], m["Subject"]) for m in mailbox.messages]
    assert ("responsable@example.gouv.fr", f"Nouveau sujet : {TITLE}") in received
    assert not [to for to, subject in received if subject == REPLY or to in {world["follower"].email, world["daily"].email}]


def test_a_post_is_emailed_once_its_grace_period_is_over_even_by_two_runs_at_once(app, world, mailbox, monkeypatch):
    runner = app.test_cli_runner()
    with freeze_time(world["thread"].created_at, real_asyncio=True) as clock:
        _reply(app, world, "Une précision sur les usagers.")
        clock.tick(119)
        assert _cron(runner, "send-notifications") == "forum notifications: 0\n"  # still in its grace period
        clock.tick(1)

        # Two cron runs at the same instant. Whichever writes an email first waits (up to 2 s) for the other
        # to write one too: only a run that took the same notifications could, and then both would send.
        both_sending = threading.Barrier(2)
        queue_new_post = emails.queue_new_post

        def queue_when_the_other_run_sends_too(*args, **kwargs):
            try:
                both_sending.wait(timeout=2)
            except threading.BrokenBarrierError:
                pass
            queue_new_post(*args, **kwargs)

        monkeypatch.setattr(emails, "queue_new_post", queue_when_the_other_run_sends_too)
        start, errors = threading.Barrier(2), []

        def cron():
            try:
                with app.app_context():
                    start.wait(timeout=30)
                    send_notifications_command.main(args=[], standalone_mode=False)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        runs = [threading.Thread(target=cron) for _ in range(2)]
        for run in runs:
            run.start()
        for run in runs:
            run.join(timeout=120)
        assert errors == [] and not any(run.is_alive() for run in runs)
        monkeypatch.undo()
        clock.tick(3600)
        assert _cron(runner, "send-notifications") == "forum notifications: 0\n"

    db.session.commit()  # end this test's read: see what the runs wrote
    assert _outbox(world["follower"].email) == [REPLY]
    assert _outbox(world["lead"].email) == [f"Nouveau sujet : {TITLE}", REPLY]
    assert _outbox(world["daily"].email) == []  # hers waits for the digest
    assert [m["To"] for m in mailbox.wait_for(3) if m["Subject"] == REPLY].count(world["follower"].email) == 1
    assert len(mailbox.messages) == 3


def test_digest_run_twice_sends_one_email(app, world, mailbox):
    runner = app.test_cli_runner()
    with freeze_time(world["thread"].created_at, real_asyncio=True) as clock:
        _reply(app, world, "Et une précision sur les usagers.")
        clock.tick(121)
        first, second = _cron(runner, "send-digests"), _cron(runner, "send-digests")
        assert (first, second) == ("forum digests: 1\n", "forum digests: 0\n")
    runner.invoke(args=["mail", "deliver"])
    digests = [m for m in mailbox.wait_for(1) if m["To"] == "resume@example.gouv.fr"]
    assert [m["Subject"] for m in digests] == ["Forum : 1 nouveau message"]
    body = digests[0].get_body(("plain",)).get_content()
    assert "Et une précision sur les usagers." in body and "/forum/desabonnement/" in body
    assert digests[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumNotification).where(
        ForumNotification.user_id == world["daily"].id, ForumNotification.emailed_at.is_(None))) == 0
