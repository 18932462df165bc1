"""Transactional outbox: queue_email() writes a row in the transaction of the change that causes it; at commit,
core.db.commit() defers the job that delivers it (core.jobs: the worker, or a thread after the commit), so no
request ever waits on SMTP. deliver_messages() sends each message once, under its row lock."""

import base64
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

import css_inline
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from beta_training.core import jobs
from beta_training.core.models import OutboxMessage, OutboxState, utcnow
from beta_training.core.transactions import lock_for_update  # not core.db, which imports this module
from beta_training.extensions import db

log = logging.getLogger(__name__)

# Where a session keeps the ids of the messages its transaction wrote, for core.db.commit() to deliver.
OUTBOX_IDS_KEY = "outbox_ids"

# Delay before attempt n+1 after n failures (Indico-like backoff, capped).
RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720)]


def queue_email(recipient: str, subject: str, template: str, attachments=None, headers: dict | None = None,
                erase_after_delivery: bool = False, **context) -> OutboxMessage:
    """Render `emails/<template>.txt` and `.html` (its CSS inlined) and write them to the outbox in the current
    transaction. `headers`: extra ones, e.g. List-Unsubscribe: printable ASCII, one line (they are sent as given)."""
    for name, value in (headers or {}).items():
        if not (f"{name}{value}".isascii() and f"{name}{value}".isprintable()):
            raise ValueError(f"header {name!r} must be printable ASCII on one line")
    message = OutboxMessage(
        headers=dict(headers or {}),
        recipient=recipient,
        subject=subject,
        text_body=render_template(f"emails/{template}.txt", subject=subject, **context),
        html_body=inline_css(render_template(f"emails/{template}.html", subject=subject, **context)),
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
        erase_after_delivery=erase_after_delivery,
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(OUTBOX_IDS_KEY, []).append(message.id)
    return message


def outbox_query() -> sa.Select:
    """The outbox page (development): every message the app wrote, newest first."""
    return sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())


def messages_by_id(message_ids) -> dict[int, OutboxMessage]:
    """The messages a failed delivery job was given (its page names them), in one query."""
    return {m.id: m for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(message_ids)))}


def attachment_data(attachment: dict) -> bytes:
    return base64.b64decode(attachment["data"])


def attachment_summary(attachment: dict) -> dict:
    """What the outbox page lists of an attachment: its name, type and size in bytes."""
    return {"filename": attachment["filename"], "content_type": attachment["content_type"],
            "size": len(attachment_data(attachment))}


def _retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


# Generated as SMTP wants it: CRLF, header lines folded at 78 characters (RFC 5322), non-ASCII header words
# encoded (RFC 2047), and bodies in 7 bits (quoted-printable or base64): any relay takes them, 8BITMIME or not.
# refold_source="none": the extra headers, set raw (see build_message), go out as written.
MAIL_POLICY = policy.SMTP.clone(cte_type="7bit", refold_source="none")

# Styles are written in a <style> block of templates/emails/_layout.html, for people; mail clients drop or
# ignore <style> (Gmail's apps, Outlook), so each rule is copied onto the elements' style attributes when the
# message is queued. Nothing is ever fetched: the emails link no stylesheet and carry no remote image.
_inliner = css_inline.CSSInliner(load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    return _inliner.inline(html)


def build_message(message: OutboxMessage) -> EmailMessage:
    """The email of an outbox row, as it goes over SMTP (or into a .eml file): the text and HTML alternatives,
    then the attachments."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = message.subject
    msg["From"] = sender
    msg["To"] = message.recipient
    msg["Date"] = format_datetime(message.created_at or utcnow())  # when it was written, the same at every attempt
    # The same Message-ID at every attempt: a message sent twice (see deliver_messages) is one to a client.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    # Raw, not parsed into header objects: those refold a line over 78 characters, and an unbreakable
    # `<https://…>` (a signed unsubscribe link) then becomes an RFC 2047 encoded word (`=?utf-8?q?=3Chttps…`)
    # that mail clients ignore. queue_email() only lets printable ASCII on one line through.
    for name, value in {**(message.headers or {}), "X-Beta-Training-Outbox-Id": str(message.id)}.items():
        msg.set_raw(name, value)
    msg.set_content(message.text_body)
    msg.add_alternative(message.html_body, subtype="html")
    for attachment in message.attachments or ():
        maintype, subtype, params = _content_type(attachment["content_type"])
        msg.add_attachment(attachment_data(attachment), maintype=maintype, subtype=subtype,
                           filename=attachment["filename"], params=params)
    return msg


def _content_type(value: str) -> tuple[str, str, dict]:
    """`text/calendar; method=REQUEST` → ("text", "calendar", {"method": "REQUEST", "charset": "utf-8"})."""
    header = policy.default.header_factory("Content-Type", value)
    params = dict(header.params)
    if header.maintype == "text":
        params.setdefault("charset", "utf-8")  # our text attachments (ICS, CSV) are UTF-8
    return header.maintype, header.subtype, params


@dataclass(frozen=True)
class Outgoing:
    """What the sender needs of an outbox row, read while its transaction is open."""

    message_id: int
    message: EmailMessage

    @property
    def recipient(self) -> str:
        return self.message["To"]


def _connect() -> smtplib.SMTP:
    """An SMTP connection by the MAIL_* settings. Every step (connect, greeting, each reply) waits at most
    MAIL_TIMEOUT seconds: a server that accepts the connection and never answers fails the attempt, which is
    retried later, instead of holding the deliverer forever. TLS (implicit or STARTTLS) checks the server's
    certificate and name."""
    config = current_app.config
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    try:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except Exception:
        smtp.close()
        raise
    return smtp


class _Sender:
    """One SMTP connection for a batch of messages, opened at the first one (or .eml files in development)."""

    def __init__(self):
        self._connection: smtplib.SMTP | None = None

    @staticmethod
    def prepare(message: OutboxMessage) -> Outgoing:
        """What send() needs, read from the row now (after a commit, reading it would begin a transaction)."""
        return Outgoing(message.id, build_message(message))

    def send(self, outgoing: Outgoing) -> None:
        data = outgoing.message.as_bytes()
        if current_app.config["MAIL_DELIVERY"] == "files":
            folder = Path(current_app.config["MAIL_FILE_DIR"])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{outgoing.message_id:06d}.eml").write_bytes(data)
            return
        if self._connection is None:
            self._connection = _connect()
        try:
            envelope_from = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
            self._connection.sendmail(envelope_from, [outgoing.recipient], data)
        except Exception:
            self.close()  # the next message starts on a fresh connection
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except Exception:  # QUIT to a server gone away: nothing left to do
                connection.close()


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
            if message.erase_after_delivery:  # sent: nothing of it is kept (see OutboxMessage)
                db.session.delete(message)
            else:
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
