"""Emails of the Alpha application process, written to the outbox (delivered after commit)."""

from flask import url_for
from flask_babel import gettext as _

from beta_training.cohorts.calendar import Invitee, Method, cohort_ics, mime_type
from beta_training.cohorts.models import ApplicationState
from beta_training.core.i18n import format_moment
from beta_training.core.mail import queue_email


def _application_link(application) -> str:
    return url_for("cohorts.show_application", application_id=application.id, _external=True)


def _calendar_attachment(application, method: Method) -> dict:
    """The session's event for this seat holder's calendar: the invitation or its update (REQUEST), or its
    removal (CANCEL)."""
    cohort = application.cohort
    invitee = Invitee(email=application.user.email, name=application.full_name,
                      confirmed=application.state == ApplicationState.CONFIRMED)
    data = cohort_ics(cohort, url_for("cohorts.show_cohort", slug=cohort.slug, _external=True), method=method,
                      invitee=invitee)
    return {"filename": f"{cohort.slug}.ics", "content_type": mime_type(method), "data": data}


def _send(application, subject: str, template: str, calendar: Method | None = None, **context) -> None:
    """`calendar`: attach the session's event (REQUEST) or its cancellation (CANCEL); the templates say so."""
    if application.user is None:  # anonymised (her account erased): nobody to write to
        return
    queue_email(
        application.user.email,
        subject,
        f"cohorts/{template}",
        attachments=[_calendar_attachment(application, calendar)] if calendar else None,
        application=application,
        cohort=application.cohort,
        link=_application_link(application),
        calendar=calendar,
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


def _cancel(in_calendar: bool) -> Method | None:
    return Method.CANCEL if in_calendar else None


def queue_rejected(application, in_calendar: bool = False) -> None:
    """`in_calendar`: the session was in her calendar (she held a seat and was sent its event): it goes."""
    _send(application, _("Votre candidature : %(title)s", title=application.cohort.title), "rejected",
          calendar=_cancel(in_calendar))


def queue_confirmed(application) -> None:
    _send(application, _("Place confirmée : %(title)s", title=application.cohort.title), "confirmed",
          calendar=Method.REQUEST)


def queue_calendar_updated(application, changes: list[str]) -> None:
    """The session's dates, daily times or place changed: the new version of the event (same UID, next
    SEQUENCE) replaces the one in her calendar. `changes`: what changed, named as on the session form."""
    _send(application, _("Changement de dates, d’horaires ou de lieu : %(title)s", title=application.cohort.title),
          "calendar_updated", calendar=Method.REQUEST, changes=changes)


def queue_cohort_cancelled(application, reason: str, in_calendar: bool) -> None:
    _send(application, _("Session annulée : %(title)s", title=application.cohort.title), "cancelled",
          calendar=_cancel(in_calendar), reason=reason,
          sessions_link=url_for("cohorts.list_cohorts", _external=True))


def queue_offer_expiring(application) -> None:
    _send(
        application,
        _("Plus que 48 heures pour confirmer votre place : %(title)s", title=application.cohort.title),
        "offer_expiring",
        deadline=format_moment(application.offer_expires_at, "d MMMM yyyy 'à' HH'h'mm"),
    )


def queue_offer_expired(application, in_calendar: bool = False) -> None:
    _send(application, _("Offre expirée : %(title)s", title=application.cohort.title), "offer_expired",
          calendar=_cancel(in_calendar))


def queue_withdrawn(application, in_calendar: bool = False) -> None:
    _send(application, _("Candidature retirée : %(title)s", title=application.cohort.title), "withdrawn",
          calendar=_cancel(in_calendar))


def queue_declined(application, in_calendar: bool = False) -> None:
    _send(application, _("Place déclinée : %(title)s", title=application.cohort.title), "declined",
          calendar=_cancel(in_calendar))


def queue_session_reminder(application) -> None:
    _send(application, _("Rappel : %(title)s commence bientôt", title=application.cohort.title), "session_reminder")


def queue_bulk_message(application, subject: str, body: str) -> None:
    _send(application, subject, "bulk_message", body=body)
