"""Transactional outbox: queue_email() writes a row; deliver_pending() sends it after commit, with retries."""

import base64
import logging
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mail import Message

from beta_training.core.db import OUTBOX_IDS_KEY
from beta_training.core.models import OutboxMessage, OutboxState, utcnow
from beta_training.extensions import db, mail

log = logging.getLogger(__name__)

# Delay before attempt n+1 after n failures (Indico-like backoff, capped).
RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720)]


def queue_email(recipient: str, subject: str, template: str, attachments=None, headers: dict | None = None,
                **context) -> OutboxMessage:
    """Render `emails/<template>.txt` and `.html` and write them to the outbox in the current transaction.
    `headers`: extra ones, e.g. List-Unsubscribe."""
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


def _to_flask_mail(message: OutboxMessage) -> Message:
    msg = Message(
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
        mail.send(msg)


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
    next attempt into the future, then committed: two deliverers (the request that queued it and the
    cron command) never send the same message twice, and a crash mid-send leaves it to be retried.
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
