"""Product and comité emails, written to the outbox in the change's transaction (delivered after commit)."""

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from beta_training.accounts.models import Role, User, UserRole
from beta_training.core.i18n import format_day
from beta_training.core.mail import queue_email
from beta_training.extensions import db


def _manager_emails() -> list[str]:
    return list(db.session.scalars(
        sa.select(User.email).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_([Role.TRAINER, Role.ADMIN])).distinct().order_by(User.email)
    ))


def _to_team(committee, subject: str, template: str, **context) -> None:
    """The team members who have an account here (the others are told by their intrapreneur)."""
    for member in committee.product.members:
        if member.user is not None:
            queue_email(member.user.email, subject, template, member=member, committee=committee,
                        product=committee.product, **context)


def _file_link(committee) -> str:
    return url_for("products.prepare_file", committee_id=committee.id, _external=True)


def queue_committee_scheduled(committee) -> None:
    _to_team(committee, _("Comité d’investissement de « %(p)s » le %(d)s", p=committee.product.name,
                          d=format_day(committee.held_on)), "products/committee_scheduled",
             link=_file_link(committee))


def queue_committee_reminder(committee) -> None:
    _to_team(committee, _("Rappel : comité d’investissement de « %(p)s » le %(d)s", p=committee.product.name,
                          d=format_day(committee.held_on)), "products/committee_reminder",
             link=_file_link(committee))


def queue_file_submitted(committee) -> None:
    link = url_for("products.show_committee", committee_id=committee.id, _external=True)
    for email in _manager_emails():
        queue_email(email, _("Dossier de comité reçu : %(p)s", p=committee.product.name), "products/file_submitted",
                    committee=committee, product=committee.product, link=link)


def queue_file_sent_back(committee, reason: str) -> None:
    _to_team(committee, _("Dossier de comité à compléter : %(p)s", p=committee.product.name), "products/file_sent_back",
             link=_file_link(committee), reason=reason)


def queue_decision(committee) -> None:
    _to_team(committee, _("Décision du comité d’investissement : %(p)s", p=committee.product.name), "products/decision",
             link=url_for("products.show_committee", committee_id=committee.id, _external=True))
