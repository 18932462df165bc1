"""Emails of the Alpha application process, written to the outbox (delivered after commit)."""

from flask import url_for
from flask_babel import gettext as _

from beta_training.cohorts.calendar import cohort_ics
from beta_training.core.i18n import format_moment
from beta_training.core.mail import queue_email


def _application_link(application) -> str:
    return url_for("cohorts.show_application", application_id=application.id, _external=True)


def _send(application, subject: str, template: str, **context) -> None:
    queue_email(
        application.user.email,
        subject,
        f"cohorts/{template}",
        application=application,
        cohort=application.cohort,
        link=_application_link(application),
        **context,
    )


def queue_received(application) -> None:
    _send(application, _("Candidature reçue : %(title)s", title=application.cohort.title), "received")


def queue_offer(application, promoted: bool = False) -> None:
    _send(
        application,
        _("Une place vous est proposée : %(title)s", title=application.cohort.title),
        "offer",
        promoted=promoted,
        deadline=format_moment(application.offer_expires_at, "d MMMM yyyy 'à' HH'h'mm"),
    )


def queue_waitlisted(application, rank: int) -> None:
    _send(application, _("Liste d’attente : %(title)s", title=application.cohort.title), "waitlisted", rank=rank)


def queue_rejected(application) -> None:
    _send(application, _("Votre candidature : %(title)s", title=application.cohort.title), "rejected")


def queue_confirmed(application) -> None:
    cohort = application.cohort
    session_url = url_for("cohorts.show_cohort", slug=cohort.slug, _external=True)
    _send(
        application,
        _("Place confirmée : %(title)s", title=cohort.title),
        "confirmed",
        attachments=[{"filename": f"{cohort.slug}.ics", "content_type": "text/calendar", "data": cohort_ics(cohort, session_url)}],
    )


def queue_offer_expiring(application) -> None:
    _send(
        application,
        _("Plus que 48 heures pour confirmer votre place : %(title)s", title=application.cohort.title),
        "offer_expiring",
        deadline=format_moment(application.offer_expires_at, "d MMMM yyyy 'à' HH'h'mm"),
    )


def queue_offer_expired(application) -> None:
    _send(application, _("Offre expirée : %(title)s", title=application.cohort.title), "offer_expired")


def queue_withdrawn(application) -> None:
    _send(application, _("Candidature retirée : %(title)s", title=application.cohort.title), "withdrawn")


def queue_declined(application) -> None:
    _send(application, _("Place déclinée : %(title)s", title=application.cohort.title), "declined")


def queue_session_reminder(application) -> None:
    _send(application, _("Rappel : %(title)s commence bientôt", title=application.cohort.title), "session_reminder")


def queue_bulk_message(application, subject: str, body: str) -> None:
    _send(application, subject, "bulk_message", body=body)
