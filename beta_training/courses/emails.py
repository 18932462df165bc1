"""MOOC emails, written to the outbox (delivered after commit)."""

from flask import url_for
from flask_babel import gettext as _

from beta_training.core.mail import queue_email


def _course_link(run) -> str:
    return url_for("courses.show_course", slug=run.course.slug, run=run.slug, _external=True)


def queue_enrolled(enrolment) -> None:
    run = enrolment.run
    queue_email(enrolment.user.email, _("Inscription confirmée : %(title)s", title=run.course.title),
                "courses/enrolled", enrolment=enrolment, run=run, link=_course_link(run))


def queue_invitation(run, email: str) -> None:
    queue_email(email, _("Vous êtes invité·e au MOOC « %(title)s »", title=run.course.title), "courses/invitation",
                run=run, link=_course_link(run), register_link=url_for("accounts.register", _external=True))


def queue_course_completed(enrolment) -> None:
    run = enrolment.run
    queue_email(enrolment.user.email, _("Cours terminé : %(title)s", title=run.course.title), "courses/completed",
                enrolment=enrolment, run=run, link=_course_link(run),
                verify_link=url_for("courses.verify_attestation", code=enrolment.attestation_code, _external=True))


def queue_bulk_message(enrolment, subject: str, body: str) -> None:
    run = enrolment.run
    queue_email(enrolment.user.email, subject, "courses/bulk_message", enrolment=enrolment, run=run, body=body,
                link=_course_link(run))
