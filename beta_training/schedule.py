"""The background jobs. Periodic ones: what the worker runs on a schedule (cron, UTC; JOB_SCHEDULES may change it), and what
the `flask …` commands run by hand, or from cron on an install without a worker. Each one is idempotent:
run twice for one tick (it is not: Procrastinate defers each tick once), the second run finds nothing to do.

The retention purge (personal data kept past its retention period) is `privacy.purge_retention`, daily.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from beta_training.core import db as core_db
from beta_training.core.jobs import job


# --- Deferred by a request ---------------------------------------------------------------------------------


@job("courses.write_bulk_messages", label=_l("Écriture d’un message groupé aux apprenants"))
def write_bulk_messages(bulk_email_id: int, final_attempt: bool = True) -> int:
    from beta_training.courses.services import write_bulk_messages as run

    written = run(bulk_email_id)
    core_db.commit()  # the messages and their delivery jobs
    return written


# --- Periodic -----------------------------------------------------------------------------------------------


@job("cohorts.expire_offers", label=_l("Expiration des places proposées non confirmées"), cron="*/15 * * * *")
def expire_offers(final_attempt: bool = True) -> int:
    from beta_training.cohorts.services import expire_offers as run

    expired = run()  # commits once per session (its lock, its emails)
    core_db.commit()
    return expired


@job("cohorts.send_reminders", label=_l("Rappels des offres et des sessions Alpha"), cron="0 7 * * *")
def send_reminders(final_attempt: bool = True) -> dict:
    from beta_training.cohorts.services import send_reminders as run

    counts = run()
    core_db.commit()
    return counts


@job("sheets.remind", label=_l("Fiches produit en attente de relecture"), cron="0 7 * * *")
def remind_sheets(final_attempt: bool = True) -> int:
    from beta_training.sheets.services import remind_waiting_sheets

    count = remind_waiting_sheets()
    core_db.commit()
    return count


@job("sheets.roadmap_reminders", label=_l("Rappels de mise à jour des feuilles de route"), cron="0 7 * * *")
def roadmap_reminders(final_attempt: bool = True) -> int:
    from beta_training.sheets.services import send_roadmap_reminders

    count = send_roadmap_reminders()
    core_db.commit()
    return count


@job("products.committee_reminders", label=_l("Rappels des comités d’investissement (45 jours avant)"), cron="0 7 * * *")
def committee_reminders(final_attempt: bool = True) -> int:
    from beta_training.products.services import send_committee_reminders

    count = send_committee_reminders()
    core_db.commit()
    return count


def _notify_grace() -> timedelta:
    return timedelta(seconds=current_app.config["FORUM_NOTIFY_GRACE_SECONDS"])


@job("forum.send_notifications", label=_l("Courriels des nouveaux messages du forum"), cron="* * * * *")
def forum_notifications(final_attempt: bool = True) -> int:
    from beta_training.forum.services import send_notifications

    count = send_notifications(grace=_notify_grace())
    core_db.commit()
    return count


@job("forum.send_digests", label=_l("Résumé quotidien du forum"), cron="0 6 * * *")
def forum_digests(final_attempt: bool = True) -> int:
    from beta_training.forum.services import send_digests

    count = send_digests(grace=_notify_grace())
    core_db.commit()
    return count


# --- Personal data ------------------------------------------------------------------------------------------


@job("privacy.purge_retention", label=_l("Purge des données personnelles arrivées au terme de leur conservation"),
     cron="30 3 * * *")
def purge_retention(final_attempt: bool = True) -> dict:
    """Warn the accounts inactive for RETENTION_INACTIVE_YEARS minus RETENTION_WARNING_DAYS (once each), erase
    those warned RETENTION_WARNING_DAYS ago and still inactive, then purge sign-in events, old outbox messages,
    forum drafts and one-time form keys past their own durations. One commit per account: an account that
    fails leaves the others done; a second run finds nothing left to do."""
    from beta_training.core.models import utcnow
    from beta_training.privacy import services as privacy

    now = utcnow()
    counts = {"warned": 0, "erased": 0}
    for user_id in privacy.accounts_to_warn(now):
        counts["warned"] += privacy.warn_of_erasure(user_id, now)
        core_db.commit()
    for user_id in privacy.accounts_to_erase(now):
        counts["erased"] += privacy.erase_inactive(user_id, now) is not None
        core_db.commit()
    counts.update(privacy.purge_expired_records(now))
    core_db.commit()
    return counts
