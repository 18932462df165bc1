"""The retention job under frozen time: a warning 30 days before, sent once, cancelled by a sign-in; the erasure
of accounts still inactive after it; old sign-in events, outbox messages, drafts and form keys purged."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from freezegun import freeze_time

from beta_training import schedule  # noqa: F401 — registers the job
from beta_training.accounts import services as accounts
from beta_training.accounts.models import RetentionWarning, Role, SignInEvent, User
from beta_training.core import jobs
from beta_training.core.mail import drain_deliveries
from beta_training.core.models import FormSubmission, OutboxMessage, OutboxState
from beta_training.extensions import db
from beta_training.forum.models import ForumDraft
from beta_training.privacy.models import PrivacyAction
from tests import factories as f

START = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)


def run():
    counts = jobs.run_now("privacy.purge_retention")
    assert drain_deliveries(timeout=30)
    db.session.expire_all()
    return counts


def test_inactive_accounts_are_warned_once_then_erased(app, mailbox):
    with freeze_time(START) as clock:
        idle = f.make_user(email="idle@exemple.gouv.fr")
        back = f.make_user(email="back@exemple.gouv.fr")
        staff = f.make_user(email="staff@exemple.gouv.fr", roles=[Role.TRAINER])
        idle_id, back_id, staff_id = idle.id, back.id, staff.id

        clock.move_to(START + timedelta(days=3 * 365 - 32))  # 3 years minus 31 days: too early to warn
        assert run()["warned"] == 0

        clock.move_to(datetime(2027, 1, 10, 10, 0, tzinfo=UTC) - timedelta(days=30))  # 30 days before the 3 years
        assert run()["warned"] == 2
        assert {m["To"] for m in mailbox.messages} == {"idle@exemple.gouv.fr", "back@exemple.gouv.fr"}
        assert "10/01/2027" in mailbox.to("idle@exemple.gouv.fr")[0]["Subject"]
        assert run()["warned"] == 0 and len(mailbox.messages) == 2  # recorded: sent once

        accounts.record_login(db.session.get(User, back_id))  # she came back: the warning is cancelled
        db.session.commit()
        assert db.session.get(RetentionWarning, back_id) is None

        clock.move_to(datetime(2027, 1, 9, 10, 0, tzinfo=UTC))  # the day before the 3 years
        assert run()["erased"] == 0

        clock.move_to(datetime(2027, 1, 10, 10, 0, tzinfo=UTC))
        counts = run()
        assert counts["erased"] == 1
        assert db.session.get(User, idle_id) is None
        assert db.session.get(User, back_id) is not None and db.session.get(User, staff_id) is not None
        assert "supprimé" in mailbox.to("idle@exemple.gouv.fr")[-1]["Subject"]
        [erasure] = db.session.scalars(sa.select(PrivacyAction)).all()
        assert (erasure.origin, erasure.subject_id) == ("retention", None)

        assert run() == {"warned": 0, "erased": 0, "sign_in_events": 0, "outbox_messages": 0, "forum_drafts": 0,
                         "form_submissions": 0, "privacy_actions": 0, "course_invitations": 0}  # idempotent


def test_warned_but_the_rule_counts_from_the_last_sign_in(app, mailbox):
    with freeze_time(START) as clock:
        user = f.make_user()
        clock.move_to(START + timedelta(days=400))
        accounts.record_login(user)
        db.session.commit()
        clock.move_to(START + timedelta(days=3 * 365 + 10))  # 3 years after creation, not after the sign-in
        assert run()["warned"] == 0


def test_records_are_purged_on_their_own_schedules(app):
    with freeze_time(START) as clock:
        user = f.make_user()
        accounts.record_login(user)
        sent = f.make_outbox_message(state=OutboxState.SENT)
        pending = f.make_outbox_message(state=OutboxState.PENDING)
        db.session.add(ForumDraft(user_id=user.id, target="forum:1", body="brouillon", updated_at=START))
        db.session.add(FormSubmission(user_id=user.id, key="cle", location="/"))
        db.session.commit()
        sent_id, pending_id = sent.id, pending.id

        clock.move_to(START + timedelta(days=8))
        assert run()["form_submissions"] == 1
        clock.move_to(START + timedelta(days=91))
        counts = run()
        assert (counts["outbox_messages"], counts["forum_drafts"], counts["sign_in_events"]) == (1, 1, 0)
        assert db.session.get(OutboxMessage, sent_id) is None
        assert db.session.get(OutboxMessage, pending_id) is not None  # never sent yet: kept
        clock.move_to(START + timedelta(days=366))
        assert run()["sign_in_events"] == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInEvent)) == 0


def test_the_command_runs_the_job(app):
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "warned: 0" in result.output


def test_the_register_of_privacy_requests_is_purged_after_its_duration(app):
    app.config["PRIVACY_ACTIONS_RETENTION_DAYS"] = 100
    with freeze_time(START) as clock:
        admin = f.make_user(roles=[Role.ADMIN])
        subject = f.make_user()
        from beta_training.privacy import services as privacy
        privacy.record_admin_export(subject, actor=admin, reason="demande reçue par courriel")
        db.session.commit()
        clock.move_to(START + timedelta(days=99))
        assert run()["privacy_actions"] == 0
        clock.move_to(START + timedelta(days=101))
        assert run()["privacy_actions"] == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PrivacyAction)) == 0


def test_invitations_go_when_their_session_closes(app):
    """An invited address (perhaps someone without an account) is kept only while the invitation can serve."""
    from beta_training.courses.models import CourseInvitation

    with freeze_time(START) as clock:
        run_ = f.make_course_run(access_starts_at=START - timedelta(days=1), access_ends_at=START + timedelta(days=30))
        db.session.add(CourseInvitation(run_id=run_.id, email="invitee@example.gouv.fr", created_at=START))
        db.session.commit()
        assert run()["course_invitations"] == 0
        clock.move_to(START + timedelta(days=31))
        assert run()["course_invitations"] == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseInvitation)) == 0
