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


def queue_email(recipient: str, subject: str, template: str, attachments=None, **context) -> OutboxMessage:
    """Render `emails/<template>.txt` and `.html` and write them to the outbox in the current transaction."""
    message = OutboxMessage(
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
        extra_headers={"X-Beta-Training-Outbox-Id": str(message.id)},
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


def claim_message(message_id: int, seen_attempts: int, states, now: datetime) -> bool:
    """Take a message for one attempt; False if another deliverer took it since we read it."""
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
    db.session.commit()
    return claim.rowcount == 1


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
    counts = {"sent": 0, "failed": 0}
    for message_id, seen_attempts in db.session.execute(query).all():
        if not claim_message(message_id, seen_attempts, states, now):
            continue  # another deliverer took it
        message = db.session.get(OutboxMessage, message_id)
        try:
            _send(message)
        except Exception as exc:  # any transport error: keep the message, try again later
            log.warning("delivery of outbox message %s failed: %s", message.id, exc)
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
                message.state = OutboxState.FAILED
            counts["failed"] += 1
        else:
            message.state = OutboxState.SENT
            message.sent_at = utcnow()
            message.last_error = None
            counts["sent"] += 1
        db.session.commit()
    return counts
