"""Fiche produit emails, written to the outbox (delivered after commit)."""

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from beta_training.accounts.models import Role, User, UserRole
from beta_training.core.i18n import ngettext
from beta_training.core.mail import queue_email
from beta_training.extensions import db
from beta_training.sheets.models import COMMENT_TARGETS


def _reviewer_emails() -> list[str]:
    return list(db.session.scalars(
        sa.select(User.email).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_([Role.TRAINER, Role.COURSE_LEAD, Role.ADMIN])).distinct().order_by(User.email)
    ))


def _link(sheet) -> str:
    return url_for("sheets.show_sheet", sheet_id=sheet.id, _external=True)


def queue_submitted(sheet) -> None:
    queue_email(sheet.owner.email, _("Fiche produit envoyée : %(title)s", title=sheet.title), "sheets/submitted",
                sheet=sheet, link=_link(sheet))
    for email in _reviewer_emails():
        queue_email(email, _("Nouvelle fiche produit à relire : %(title)s", title=sheet.title), "sheets/to_review",
                    sheet=sheet, link=url_for("sheets.review_sheet", sheet_id=sheet.id, _external=True))


def queue_state_changed(sheet) -> None:
    queue_email(sheet.owner.email, _("Votre fiche produit : %(state)s", state=sheet.state_label), "sheets/state_changed",
                sheet=sheet, link=_link(sheet))


def queue_reviewed(sheet, review) -> None:
    # The parts commented, named in the fiche's order: the learner knows where to look before opening it.
    commented = [str(label) for key, label in COMMENT_TARGETS.items() if key in review.section_comments]
    queue_email(sheet.owner.email, _("Relecture de votre fiche produit : %(state)s", state=sheet.state_label),
                "sheets/reviewed", sheet=sheet, review=review, commented=commented, link=_link(sheet))


def queue_roadmap_reminder(sheet, months: int) -> None:
    queue_email(sheet.owner.email, _("Votre feuille de route, %(n)s mois après", n=months), "sheets/roadmap_reminder",
                sheet=sheet, months=months, link=url_for("sheets.follow_up", sheet_id=sheet.id, _external=True))


def queue_waiting_reminder(sheets) -> None:
    for email in _reviewer_emails():
        queue_email(email, ngettext("%(num)s fiche produit attend une relecture depuis plus de 48 h",
                                      "%(num)s fiches produit attendent une relecture depuis plus de 48 h", len(sheets)),
                    "sheets/waiting_reminder", sheets=sheets, link=url_for("sheets.review_queue", _external=True))
