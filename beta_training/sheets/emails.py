"""Fiche produit emails, written to the outbox (delivered after commit)."""

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from beta_training.accounts.models import Role, User, UserRole
from beta_training.core.i18n import ngettext
from beta_training.core.mail import queue_email
from beta_training.extensions import db
from beta_training.sheets.models import COMMENT_TARGETS, SheetState


def _reviewer_emails() -> list[str]:
    return list(db.session.scalars(
        sa.select(User.email).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_([Role.TRAINER, Role.COURSE_LEAD, Role.ADMIN])).distinct().order_by(User.email)
    ))


def _link(sheet) -> str:
    return url_for("sheets.show_sheet", sheet_id=sheet.id, _external=True)


def _to_owner(sheet, subject, template, **context) -> None:
    """A fiche kept without owner (her account erased) has nobody to write to."""
    if sheet.owner is not None:
        queue_email(sheet.owner.email, subject, template, sheet=sheet, **context)


def queue_submitted(sheet) -> None:
    _to_owner(sheet, _("Fiche produit envoyée : %(title)s", title=sheet.title), "sheets/submitted",
              link=_link(sheet))
    for email in _reviewer_emails():
        queue_email(email, _("Nouvelle fiche produit à relire : %(title)s", title=sheet.title), "sheets/to_review",
                    sheet=sheet, link=url_for("sheets.review_sheet", sheet_id=sheet.id, _external=True))


def _news(sheet) -> tuple[str, str]:
    """The subject and the sentence telling the learner where her sheet now stands, in words (a state's badge
    label, « Modifications demandées », reads oddly in the middle of a sentence)."""
    title = sheet.title or _("Fiche sans titre")
    match SheetState(sheet.state):
        case SheetState.DRAFT:
            return (_("Votre fiche produit est revenue en brouillon"),
                    _("Votre fiche produit « %(t)s » est revenue en brouillon : vous pouvez la modifier.", t=title))
        case SheetState.SUBMITTED:
            return (_("Votre fiche produit attend sa relecture"),
                    _("Votre fiche produit « %(t)s » attend qu’une personne de l’équipe la relise.", t=title))
        case SheetState.IN_REVIEW:
            return (_("Votre fiche produit est en relecture"),
                    _("Votre fiche produit « %(t)s » est en relecture par %(name)s.", t=title,
                      name=sheet.claimed_by.full_name))
        case SheetState.CHANGES_REQUESTED:
            return (_("Votre fiche produit : des modifications sont demandées"),
                    _("Votre fiche produit « %(t)s » a été relue : des modifications sont demandées.", t=title))
        case SheetState.APPROVED:
            return (_("Votre fiche produit est validée"),
                    _("Votre fiche produit « %(t)s » a été relue et validée.", t=title))
        case SheetState.SECOND_REVIEW:
            return (_("Votre fiche produit attend un second avis"),
                    _("Votre fiche produit « %(t)s » a été relue une première fois : une deuxième personne de "
                      "l’équipe va la relire avant la décision.", t=title))


def queue_state_changed(sheet) -> None:
    subject, news = _news(sheet)
    _to_owner(sheet, subject, "sheets/state_changed", news=news, link=_link(sheet))


def queue_reviewed(sheet, review) -> None:
    # The parts commented, named in the fiche's order: the learner knows where to look before opening it.
    commented = [str(label) for key, label in COMMENT_TARGETS.items() if key in review.section_comments]
    subject, news = _news(sheet)
    _to_owner(sheet, subject, "sheets/reviewed", review=review, news=news, commented=commented,
              link=_link(sheet))


def queue_second_opinion(sheet, *, reviewer, reason: str) -> None:
    """The owner is told her sheet waits for a second reviewer; the other trainers, who asked and why."""
    queue_state_changed(sheet)
    queue_link = url_for("sheets.review_queue", etat=SheetState.SECOND_REVIEW.value, _external=True)
    for email in _reviewer_emails():
        if email != reviewer.email and (sheet.owner is None or email != sheet.owner.email):
            queue_email(email, _("Second avis demandé sur une fiche produit : %(title)s", title=sheet.title),
                        "sheets/second_opinion", sheet=sheet, reviewer=reviewer, reason=reason, link=queue_link)


def queue_follow_up_comment(sheet, comment) -> None:
    target = comment.milestone.title if comment.milestone_id else comment.indicator
    _to_owner(sheet, _("Un commentaire sur votre feuille de route : %(title)s", title=sheet.title),
              "sheets/follow_up_comment", comment=comment, target=target,
              link=url_for("sheets.follow_up", sheet_id=sheet.id, _external=True))


def queue_roadmap_reminder(sheet, months: int) -> None:
    _to_owner(sheet, _("Votre feuille de route, %(n)s mois après", n=months), "sheets/roadmap_reminder",
              months=months, link=url_for("sheets.follow_up", sheet_id=sheet.id, _external=True))


def queue_waiting_reminder(sheets, second_opinions=()) -> None:
    """One digest per reviewer. A second opinion cannot come from the trainer whose review asked for it (nor
    from the sheet's owner): she is not reminded of it, and gets no email if nothing else is left for her."""
    for email in _reviewer_emails():
        second = [(sheet, review) for sheet, review in second_opinions
                  if (review.reviewer is None or email != review.reviewer.email) and (sheet.owner is None or email != sheet.owner.email)]
        count = len(sheets) + len(second)
        if not count:
            continue
        queue_email(email, ngettext("%(num)s fiche produit attend une relecture depuis plus de 48 h",
                                      "%(num)s fiches produit attendent une relecture depuis plus de 48 h", count),
                    "sheets/waiting_reminder", sheets=sheets, second_opinions=second,
                    link=url_for("sheets.review_queue", _external=True))
