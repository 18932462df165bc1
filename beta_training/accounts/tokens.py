"""Signed, expiring links. A reset link dies once the password changes (its fingerprint is in the token)."""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from beta_training.accounts.models import User
from beta_training.extensions import db

CONFIRM_SALT = "accounts.confirm-email"
RESET_SALT = "accounts.reset-password"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    material = f"{user.password_hash or ''}|{user.session_token}".encode()
    return hashlib.sha256(material).hexdigest()[:16]


def email_confirmation_token(user: User) -> str:
    return _serializer(CONFIRM_SALT).dumps({"uid": user.id, "email": user.email})


def password_reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def user_from_confirmation_token(token: str) -> User | None:
    try:
        data = _serializer(CONFIRM_SALT).loads(token, max_age=current_app.config["EMAIL_CONFIRMATION_MAX_AGE"])
    except BadSignature:  # includes SignatureExpired
        return None
    user = db.session.get(User, data.get("uid"))
    return user if user is not None and user.email == data.get("email") else None


def user_from_reset_token(token: str) -> User | None:
    try:
        data = _serializer(RESET_SALT).loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except BadSignature:
        return None
    user = db.session.get(User, data.get("uid"))
    return user if user is not None and _password_fingerprint(user) == data.get("fp") else None
