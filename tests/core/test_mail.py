"""The outbox: written in the business transaction, delivered over real SMTP after commit, retried."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string

from beta_training.core import db as core_db
from beta_training.core import mail
from beta_training.core.mail import deliver_messages, deliver_pending, drain_deliveries, queue_email
from beta_training.core.models import OutboxMessage, OutboxState, utcnow
from beta_training.extensions import db
from tests.conftest import free_port, html_part, text_part
from tests.factories import make_outbox_message, make_user


def _queue(user, **kwargs):
    return queue_email(
        user.email, "Votre mot de passe a été modifié", "accounts/password_changed",
        user=user, reset_link="https://example.test/reset", **kwargs,
    )


def test_queued_mail_is_delivered_after_commit_with_text_and_html(app, mailbox):
    user = make_user(email="camille@example.gouv.fr", first_name="Camille")
    with app.test_request_context():
        _queue(user)
        assert mailbox.messages == []  # nothing leaves before the commit
        core_db.commit()
    [message] = mailbox.wait_for(1)
    assert message["To"] == "camille@example.gouv.fr"
    assert message["Subject"] == "Votre mot de passe a été modifié"
    assert "Bonjour Camille," in text_part(message)
    assert "Bonjour Camille," in html_part(message)
    assert drain_deliveries(timeout=30)  # the deliverer records the outcome after the server's answer
    stored = db.session.scalar(sa.select(OutboxMessage))
    assert stored.state == OutboxState.SENT and stored.attempts == 1 and stored.sent_at is not None


def test_extra_headers_go_over_the_wire_as_written(app, mailbox):
    """A long List-Unsubscribe (a signed link) must reach the server as `<https://…>`: refolded into an
    RFC 2047 encoded word, mail clients ignore it. The raw bytes say it; a parsed message would decode it."""
    user = make_user()
    link = "https://formation.beta.gouv.fr/forum/desabonnement/" + "eyJ1IjoxMiwicyI6InRocmVhZDozNCJ9." + "a" * 40
    with app.test_request_context():
        _queue(user, headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        core_db.commit()
    mailbox.wait_for(1)
    [raw] = mailbox.raw_messages
    assert f"\r\nList-Unsubscribe: <{link}>\r\n".encode() in raw
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998  # over 78 for this one header, within SMTP's limit


def test_extra_headers_must_be_one_line_of_ascii(app):
    user = make_user()
    with app.test_request_context():
        for value in ("<https://a.test/x>\r\nBcc: victim@example.org", "<https://a.test/désabonnement>"):
            try:
                _queue(user, headers={"List-Unsubscribe": value})
            except ValueError:
                continue
            raise AssertionError(f"accepted {value!r}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_a_silent_smtp_server_fails_the_attempt_after_mail_timeout(app, silent_smtp):
    """It accepts the connection and never answers: the attempt ends after MAIL_TIMEOUT (not when the server
    hangs up) and the message waits for its retry."""
    app.config["MAIL_TIMEOUT"] = 0.5
    message = make_outbox_message()
    assert deliver_pending() == {"sent": 0, "failed": 1}
    assert silent_smtp.connection_count == 1
    db.session.refresh(message)
    assert message.state == OutboxState.PENDING and message.attempts == 1
    assert "timed out" in message.last_error


def test_rolled_back_transaction_sends_nothing(app, mailbox):
    user = make_user()
    with app.test_request_context():
        _queue(user)
        core_db.rollback()
        core_db.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert deliver_pending() == {"sent": 0, "failed": 0}
    assert mailbox.messages == []


def test_attachments_travel_with_the_message(app, mailbox):
    user = make_user()
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    with app.test_request_context():
        _queue(user, attachments=[{"filename": "session.ics", "content_type": "text/calendar", "data": ics}])
        core_db.commit()
    [message] = mailbox.wait_for(1)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "session.ics"
    assert attachment.get_content().encode() == ics or attachment.get_payload(decode=True) == ics


def test_failed_delivery_stays_pending_with_backoff_then_succeeds(app, mailbox):
    message = make_outbox_message()
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nothing listens there: connection refused
    now = utcnow()
    assert deliver_pending(now=now) == {"sent": 0, "failed": 1}
    db.session.refresh(message)
    assert message.state == OutboxState.PENDING
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at == now + timedelta(minutes=1)

    # Not due yet: a run right away does not hammer the server.
    assert deliver_pending(now=now) == {"sent": 0, "failed": 0}

    app.config["MAIL_PORT"] = real_port
    assert deliver_pending(now=now + timedelta(minutes=2)) == {"sent": 1, "failed": 0}
    db.session.refresh(message)
    assert message.state == OutboxState.SENT and message.attempts == 2 and message.last_error is None
    assert len(mailbox.wait_for(1)) == 1


def test_gives_up_after_max_attempts_and_can_be_retried(app, mailbox):
    message = make_outbox_message(attempts=app.config["MAIL_MAX_ATTEMPTS"] - 1)
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()
    deliver_pending()
    db.session.refresh(message)
    assert message.state == OutboxState.FAILED
    app.config["MAIL_PORT"] = real_port
    assert deliver_pending() == {"sent": 0, "failed": 0}  # failed ones wait for a human
    assert deliver_pending(retry_failed=True) == {"sent": 1, "failed": 0}
    assert len(mailbox.wait_for(1)) == 1


def test_two_deliverers_of_one_message_send_it_once(app, mailbox, monkeypatch):
    """A retried job and `flask mail deliver` at the same instant: the second waits on the row lock held through
    the SMTP exchange, then finds the message sent. Sending is slowed so both are surely in at once."""
    import threading
    import time

    message_id = make_outbox_message().id
    db.session.commit()
    send = mail._Sender.send

    def slow_send(self, prepared):
        time.sleep(0.3)
        return send(self, prepared)

    monkeypatch.setattr(mail._Sender, "send", slow_send)
    barrier = threading.Barrier(2)
    outcomes = []

    def deliver():
        with app.app_context():
            barrier.wait(timeout=10)
            outcomes.append(deliver_messages([message_id])["sent"])

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == [0, 1]
    assert len(mailbox.messages) == 1  # each send returned after the server's answer: nothing is in flight
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message.state == OutboxState.SENT and message.attempts == 1


def test_a_message_refused_in_a_batch_spares_the_others(app, mailbox, monkeypatch):
    """Three messages, the second refused by the server (its recipient): the first and third are sent, the
    second keeps its error for the retry."""
    import smtplib

    first, second, third = (make_outbox_message(recipient=f"{n}@example.gouv.fr") for n in ("a", "b", "c"))
    ids = [first.id, second.id, third.id]
    db.session.commit()
    send = mail._Sender.send

    def refuse_b(self, prepared):
        recipient = prepared.recipient
        if recipient.startswith("b@"):
            raise smtplib.SMTPRecipientsRefused({recipient: (550, b"refused for the test")})
        return send(self, prepared)

    monkeypatch.setattr(mail._Sender, "send", refuse_b)
    counts = deliver_messages(ids)
    assert (counts["sent"], counts["failed"]) == (2, 1)
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["a@example.gouv.fr", "c@example.gouv.fr"]
    db.session.expire_all()
    assert [db.session.get(OutboxMessage, i).state for i in ids] == [OutboxState.SENT, OutboxState.PENDING, OutboxState.SENT]
    assert "refused for the test" in db.session.get(OutboxMessage, second.id).last_error
    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))  # its retry is due
    db.session.commit()
    with pytest.raises(mail.DeliveryFailed):  # as a job, it fails: the engine retries it later
        mail.deliver_job(message_ids=ids, final_attempt=True)
    assert db.session.get(OutboxMessage, second.id, populate_existing=True).state == OutboxState.FAILED
    assert len(mailbox.messages) == 2  # the retry sent none of the others again


def test_a_server_down_stops_the_batch_at_its_first_message(app, mailbox):
    """Connection refused: the other messages are not tried (each would wait for the same failure); the job
    fails and its retry takes them all."""
    messages = [make_outbox_message() for _ in range(3)]
    app.config["MAIL_PORT"] = free_port()
    counts = deliver_messages([m.id for m in messages])
    assert (counts["sent"], counts["failed"]) == (0, 1)
    db.session.expire_all()
    assert [m.attempts for m in messages] == [1, 0, 0]
    with pytest.raises(mail.DeliveryFailed):
        mail.deliver_job(message_ids=[m.id for m in messages], final_attempt=False)


def test_the_message_id_is_the_same_at_every_attempt(app, mailbox):
    message = make_outbox_message()
    deliver_messages([message.id])
    [sent] = mailbox.wait_for(1)
    assert sent["Message-ID"] == f"<outbox-{message.id}@beta.gouv.fr>"


def test_cli_delivers_pending_mail(app, mailbox):
    make_outbox_message(recipient="a@example.gouv.fr")
    make_outbox_message(recipient="b@example.gouv.fr")
    result = app.test_cli_runner().invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent: 2" in result.output
    assert {m["To"] for m in mailbox.wait_for(2)} == {"a@example.gouv.fr", "b@example.gouv.fr"}


def test_files_delivery_for_development(app, tmp_path):
    app.config["MAIL_DELIVERY"] = "files"
    message = make_outbox_message(subject="Fichier")
    deliver_pending()
    written = (tmp_path / "mail" / f"{message.id:06d}.eml").read_text()
    assert "Subject: Fichier" in written


def test_email_templates_render_in_french(app):
    with app.test_request_context():
        assert render_template_string("{{ _('Bonjour') }}") == "Bonjour"
