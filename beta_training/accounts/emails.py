"""Account emails, written to the outbox (delivered after commit)."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from beta_training.accounts import tokens
from beta_training.core.mail import queue_email
from beta_training.core.models import OutboxMessage, utcnow
from beta_training.extensions import db

# The same account email asked for again within this delay is a double click (or a second tab): the first
# one is on its way, a second would only confuse.
REPEAT_WINDOW = timedelta(minutes=1)


def sent_recently(user, subject: str) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(
        OutboxMessage.recipient == user.email, OutboxMessage.subject == subject,
        OutboxMessage.created_at > utcnow() - REPEAT_WINDOW))))


def confirmation_subject() -> str:
    return _("Confirmez votre adresse électronique")


def reset_subject() -> str:
    return _("Réinitialisez votre mot de passe")


def queue_email_confirmation(user, next_url: str | None = None) -> None:
    link = url_for("accounts.confirm_email", token=tokens.email_confirmation_token(user), next=next_url, _external=True)
    queue_email(user.email, confirmation_subject(), "accounts/confirm_email", user=user, link=link)


def queue_signup_attempt_on_existing_account(user) -> None:
    queue_email(
        user.email,
        _("Vous avez déjà un compte"),
        "accounts/existing_account",
        user=user,
        login_link=url_for("accounts.login", _external=True),
        reset_link=url_for("accounts.forgot_password", _external=True),
    )


def queue_password_reset(user) -> None:
    link = url_for("accounts.reset_password", token=tokens.password_reset_token(user), _external=True)
    queue_email(user.email, reset_subject(), "accounts/reset_password", user=user, link=link)


def queue_password_changed(user) -> None:
    queue_email(
        user.email,
        _("Votre mot de passe a été modifié"),
        "accounts/password_changed",
        user=user,
        reset_link=url_for("accounts.forgot_password", _external=True),
    )


def proconnect_link_subject() -> str:
    return _("Associez votre compte à ProConnect")


def queue_proconnect_link(user, identity: dict) -> None:
    link = url_for("accounts.confirm_proconnect_link", token=tokens.proconnect_link_token(user, identity), _external=True)
    queue_email(user.email, proconnect_link_subject(), "accounts/proconnect_link", user=user, link=link)


def queue_proconnect_linked(user, proof: str) -> None:
    """A new way into the account: its owner hears of it, as after a password change (if it was not her, she
    can act at once)."""
    queue_email(
        user.email,
        _("Votre compte est associé à ProConnect"),
        "accounts/proconnect_linked",
        user=user,
        proof=proof,
        login_link=url_for("accounts.login", _external=True),
        reset_link=url_for("accounts.forgot_password", _external=True),
        contact=current_app.config["PRIVACY_CONTACT_EMAIL"],
    )
