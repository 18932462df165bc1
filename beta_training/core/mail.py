"""Transactional outbox: queue_email() writes a row in the transaction of the change that causes it; at commit,
core.db.commit() defers the job that delivers it (core.jobs: the worker, or a thread after the commit), so no
request ever waits on SMTP. deliver_messages() sends each message once, under its row lock."""

import base64
import logging
import smtplib
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_mail import Connection, Message

from beta_training.core import jobs
from beta_training.core.models import OutboxMessage, OutboxState, utcnow
from beta_training.extensions import db

log = logging.getLogger(__name__)

# Where a session keeps the ids of the messages its transaction wrote, for core.db.commit() to deliver.
OUTBOX_IDS_KEY = "outbox_ids"

# Delay before attempt n+1 after n failures (Indico-like backoff, capped).
RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720)]


def queue_email(recipient: str, subject: str, template: str, attachments=None, headers: dict | None = None,
                **context) -> OutboxMessage:
    """Render `emails/<template>.txt` and `.html` and write them to the outbox in the current transaction.
    `headers`: extra ones, e.g. List-Unsubscribe: printable ASCII, one line (they are sent as given)."""
    for name, value in (headers or {}).items():
        if not (f"{name}{value}".isascii() and f"{name}{value}".isprintable()):
            raise ValueError(f"header {name!r} must be printable ASCII on one line")
    message = OutboxMessage(
        headers=dict(headers or {}),
        recipient=recipient,
        subject=subject,
        text_body=render_template(f"emails/{template}.txt", subject=subject, **context),
        html_body=render_template(f"emails/{template}.html", subject=subject, **context),
        attachments=[
            {
                "filename": a["filename"],
                "content_type": a["content_type"],
                "data": base64.b64encode(a["data"]).decode("ascii"),
            }
            for a in attachments or ()
        ],
        state=OutboxState.PENDING,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(OUTBOX_IDS_KEY, []).append(message.id)
    return message


def _retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


class _OutboxMail(Message):
    """Flask-Mail's message, generated without refolding the headers we set. Under policy.SMTP a header line
    longer than 78 characters is refolded, and an unbreakable `<https://…>` (a signed unsubscribe link) then
    becomes an RFC 2047 encoded word (`=?utf-8?q?=3Chttps…`) that mail clients ignore. Flask-Mail encodes and
    folds its own headers (Subject, From, To) itself, and queue_email() only accepts ASCII one-line extras."""

    _policy = policy.SMTP.clone(refold_source="none")

    def _message(self):
        msg = super()._message()
        msg.policy = self._policy
        return msg


class _TimedConnection(Connection):
    """Flask-Mail's connection opens smtplib without a timeout: a server that accepts the connection and never
    answers would hold the deliverer forever. Same steps as Connection.configure_host, with MAIL_TIMEOUT."""

    def configure_host(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT"])
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def _to_flask_mail(message: OutboxMessage) -> Message:
    msg = _OutboxMail(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.text_body,
        html=message.html_body,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={**(message.headers or {}), "X-Beta-Training-Outbox-Id": str(message.id)},
    )
    # The same Message-ID at every attempt: a message sent twice (see deliver_messages) is one to a client.
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].strip(" >") or "localhost"
    msg.msgId = f"<outbox-{message.id}@{domain}>"
    for attachment in message.attachments or ():
        msg.attach(
            attachment["filename"], attachment["content_type"], base64.b64decode(attachment["data"])
        )
    return msg


class _Sender:
    """One SMTP connection for a batch of messages, opened at the first one (or .eml files in development)."""

    def __init__(self):
        self._connection = None

    @staticmethod
    def prepare(message: OutboxMessage) -> tuple[int, Message]:
        """What send() needs, read from the row now (after a commit, reading it would begin a transaction)."""
        return message.id, _to_flask_mail(message)

    def send(self, prepared: tuple[int, Message]) -> None:
        message_id, msg = prepared
        if current_app.config["MAIL_DELIVERY"] == "files":
            folder = Path(current_app.config["MAIL_FILE_DIR"])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{message_id:06d}.eml").write_bytes(msg.as_bytes())
            return
        if self._connection is None:
            self._connection = _TimedConnection(current_app.extensions["mail"]).__enter__()
        try:
            self._connection.send(msg)
        except Exception:
            self.close()  # the next message starts on a fresh connection
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.__exit__(None, None, None)
            except Exception:  # QUIT to a server gone away: nothing left to do
                pass


def _server_failure(error: Exception) -> bool:
    """The SMTP server failed (not one message): connection refused or lost, no answer in time."""
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


class DeliveryFailed(Exception):
    """Some messages of a batch could not be sent: the job fails, and its retry sends only those."""


def deliver_messages(message_ids, *, final_attempt: bool = False, give_up_after: int | None = None,
                     now: datetime | None = None) -> dict:
    """Send the messages `message_ids` that are not sent yet, each at most once.

    PostgreSQL: each message is handled in its own transaction: its row is locked (SELECT … FOR UPDATE),
    re-read, skipped if already sent, sent over SMTP, then marked sent, and the commit releases the lock. A
    second deliverer of the same message (a retried job, `flask mail deliver`) waits for the first one, then
    finds it sent. What remains: a deliverer that dies after the SMTP server accepted the message and before
    the commit (a few milliseconds) leaves it unsent in the database, and its retry sends it again. The
    Message-ID is the same both times (outbox id), for clients that spot duplicates.

    SQLite has no row lock, only the database's write lock, which must not be held while an SMTP server takes
    its time (every write of the site would wait): the message is claimed instead (its attempt counted, its
    next attempt pushed back, committed), sent, then marked; a deliverer skips a message not due yet.

    A failure is recorded on the message (attempts, last error, when it is due again for `flask mail
    deliver`; FAILED on the job's final attempt — the engine's retries decide — or, without a worker, after
    `give_up_after` attempts). A refusal of one message (a recipient,
    its content) does not stop the others; a failure of the server itself (refused, silent past MAIL_TIMEOUT,
    gone) does: the rest of the batch waits for the retry instead of each waiting for the same timeout.
    """
    from beta_training.core.db import lock_for_update  # core.db imports this module

    now = now or utcnow()
    row_locks = db.session.get_bind().dialect.name == "postgresql"

    def locked(message_id):
        lock_for_update(OutboxMessage, message_id)
        return db.session.get(OutboxMessage, message_id, populate_existing=True)

    counts = {"sent": 0, "failed": 0, "skipped": 0, "errors": []}
    sender = _Sender()
    try:
        for message_id in message_ids:
            message = locked(message_id)
            in_flight = not row_locks and message is not None and (
                message.state == OutboxState.PENDING and message.next_attempt_at > now)  # claimed, or not due
            if message is None or message.state == OutboxState.SENT or in_flight:
                db.session.commit()
                counts["skipped"] += 1
                continue
            message.attempts += 1
            message.state = OutboxState.PENDING
            message.next_attempt_at = now + _retry_delay(message.attempts)
            prepared = sender.prepare(message)
            if not row_locks:
                db.session.commit()  # claimed: the database's write lock is released before SMTP
            try:
                sender.send(prepared)
            except Exception as exc:  # any transport error: recorded, tried again later
                log.warning("delivery of outbox message %s failed: %s", message_id, exc)
                message = message if row_locks else locked(message_id)
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if final_attempt or (give_up_after is not None and message.attempts >= give_up_after):
                    message.state = OutboxState.FAILED
                else:
                    message.state = OutboxState.PENDING
                db.session.commit()
                counts["failed"] += 1
                counts["errors"].append(f"{message_id}: {message.last_error}")
                if _server_failure(exc):
                    break
                continue
            message = message if row_locks else locked(message_id)
            message.state, message.sent_at, message.last_error = OutboxState.SENT, utcnow(), None
            db.session.commit()
            counts["sent"] += 1
    finally:
        sender.close()
    return counts


# Before any other due job: someone may be waiting for this mail (a reset link, an offer).
@jobs.job("mail.deliver", label=_l("Envoi de courriels"), priority=10)
def deliver_job(message_ids: list[int], final_attempt: bool) -> None:
    """Fails (for the engine to retry, after its delay) if any message could not be sent; the retry sends only
    those: the others are marked sent."""
    counts = deliver_messages(message_ids, final_attempt=final_attempt)
    if counts["failed"] or counts["sent"] + counts["skipped"] < len(message_ids):
        raise DeliveryFailed("; ".join(counts["errors"][:5]))


# Messages per delivery job: a bulk email of 10,000 is 200 jobs the workers share, each on one SMTP connection.
BATCH = 50


def defer_delivery(message_ids: list[int]) -> None:
    """The jobs that deliver these messages, in the current transaction (called by core.db.commit)."""
    for start in range(0, len(message_ids), BATCH):
        jobs.defer("mail.deliver", message_ids=message_ids[start:start + BATCH])


def deliver_pending(ids=None, now: datetime | None = None, retry_failed: bool = False) -> dict:
    """Send the messages that are due (`flask mail deliver`, cron, where no worker runs): pending ones whose
    next attempt has come, and with `retry_failed` those that gave up too."""
    now = now or utcnow()
    states = [OutboxState.PENDING, OutboxState.FAILED] if retry_failed else [OutboxState.PENDING]
    query = sa.select(OutboxMessage.id).where(OutboxMessage.state.in_(states)).order_by(OutboxMessage.id)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if not retry_failed:
        query = query.where(OutboxMessage.next_attempt_at <= now)
    due = list(db.session.scalars(query))
    db.session.commit()  # end the read: each message is then handled in its own write transaction
    counts = deliver_messages(due, now=now, give_up_after=current_app.config["MAIL_MAX_ATTEMPTS"])
    return {"sent": counts["sent"], "failed": counts["failed"]}


def drain_deliveries(timeout: float | None = None) -> bool:
    """Wait for the in-process jobs handed over so far (tests, and whoever must see them done)."""
    return jobs.drain(timeout)
