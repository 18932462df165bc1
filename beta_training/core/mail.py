"""Transactional outbox: queue_email() writes a row; after commit, deliver_after_commit() hands it to a background
thread, so no request ever waits on SMTP; deliver_pending() sends (and `flask mail deliver` retries) what is due."""

import base64
import logging
import os
import smtplib
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, render_template
from flask_mail import Connection, Message

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
    for attachment in message.attachments or ():
        msg.attach(
            attachment["filename"], attachment["content_type"], base64.b64decode(attachment["data"])
        )
    return msg


def _send(message: OutboxMessage) -> None:
    msg = _to_flask_mail(message)
    if current_app.config["MAIL_DELIVERY"] == "files":
        folder = Path(current_app.config["MAIL_FILE_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message.id:06d}.eml").write_bytes(msg.as_bytes())
    else:
        with _TimedConnection(current_app.extensions["mail"]) as connection:
            connection.send(msg)


def claim_message(message_id: int, seen_attempts: int, states, now: datetime) -> OutboxMessage | None:
    """Take a message for one attempt; None if another deliverer took it since we read it.

    The transaction starts with the write (SQLite then waits for the write lock instead of failing),
    and the claimed row is read inside it.
    """
    claim = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.attempts == seen_attempts,
            OutboxMessage.state.in_(states),
        )
        .values(
            attempts=seen_attempts + 1,
            state=OutboxState.PENDING,
            next_attempt_at=now + _retry_delay(seen_attempts + 1),
        )
    )
    snapshot = None
    if claim.rowcount == 1:
        # A plain copy (never added to the session): sending it reads nothing more from the database.
        row = db.session.get(OutboxMessage, message_id, populate_existing=True)
        snapshot = OutboxMessage(**{column.key: getattr(row, column.key) for column in sa.inspect(OutboxMessage).column_attrs})
    db.session.commit()
    return snapshot


def _record_outcome(message: OutboxMessage, error: Exception | None) -> None:
    """One UPDATE (a write-first transaction) with the outcome of an attempt."""
    if error is None:
        values = {"state": OutboxState.SENT, "sent_at": utcnow(), "last_error": None}
    else:
        values = {"last_error": f"{type(error).__name__}: {error}"[:2000]}
        if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            values["state"] = OutboxState.FAILED
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values))
    db.session.commit()


def deliver_pending(ids=None, now: datetime | None = None, retry_failed: bool = False) -> dict:
    """Send the due messages (or just `ids`).

    Each message is first claimed by a conditional UPDATE that bumps its attempt count and pushes its
    next attempt into the future, then committed: two deliverers (the background delivery after the commit
    that queued it, and the cron command) never send the same message twice, and a crash mid-send leaves it
    to be retried.
    """
    now = now or utcnow()
    states = [OutboxState.PENDING, OutboxState.FAILED] if retry_failed else [OutboxState.PENDING]
    query = (
        sa.select(OutboxMessage.id, OutboxMessage.attempts)
        .where(OutboxMessage.state.in_(states))
        .order_by(OutboxMessage.id)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if not retry_failed:
        query = query.where(OutboxMessage.next_attempt_at <= now)
    due = db.session.execute(query).all()
    db.session.commit()  # end the read: each claim below starts its own write transaction
    counts = {"sent": 0, "failed": 0}
    for message_id, seen_attempts in due:
        message = claim_message(message_id, seen_attempts, states, now)
        if message is None:
            continue  # another deliverer took it
        try:
            _send(message)
        except Exception as exc:  # any transport error: keep the message, try again later
            log.warning("delivery of outbox message %s failed: %s", message.id, exc)
            _record_outcome(message, exc)
            counts["failed"] += 1
        else:
            _record_outcome(message, None)
            counts["sent"] += 1
    return counts


# --- After commit: delivery beside the request --------------------------------------------------------------


class _BackgroundDelivery:
    """A small pool of threads per process that delivers what a transaction queued, once it is committed: the
    request answers at once whatever the SMTP server does. A message whose delivery fails (or whose process
    dies) stays in the outbox, due again later, for `flask mail deliver` (cron) to retry."""

    def __init__(self, workers: int = 2):
        self._workers = workers
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pid: int | None = None
        self._pending: set[Future] = set()

    def submit(self, app: Flask, ids: list[int]) -> None:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():  # threads do not survive a fork (gunicorn)
                self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="outbox")
                self._pid, self._pending = os.getpid(), set()
            future = self._executor.submit(_deliver_in_app, app, ids)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until what was handed over so far is delivered (or has failed); False on timeout."""
        with self._lock:
            pending = set(self._pending)
        return not wait(pending, timeout).not_done


def _deliver_in_app(app: Flask, ids: list[int]) -> None:
    with app.app_context():  # its own context, hence its own database session
        try:
            deliver_pending(ids=ids)
        except Exception:  # the messages stay in the outbox: the cron run retries them
            log.exception("background delivery of outbox messages %s failed", ids)


_background = _BackgroundDelivery()


def deliver_after_commit(ids: list[int]) -> None:
    """Hand committed messages to the background deliverer (called by core.db.commit)."""
    _background.submit(current_app._get_current_object(), list(ids))


def drain_deliveries(timeout: float | None = None) -> bool:
    """Wait for the background deliveries handed over so far (tests, and whoever must see them done)."""
    return _background.drain(timeout)
