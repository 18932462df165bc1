"""Signed, expiring links. A reset link dies once the password changes (its fingerprint is in the token)."""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
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


# --- ProConnect -----------------------------------------------------------------------------------------

PROCONNECT_PENDING_SALT = "accounts.proconnect-pending"
PROCONNECT_LINK_SALT = "accounts.proconnect-link"


def _link_fingerprint(user: User) -> str:
    # Dies once the account is linked (or its password or sessions change): the emailed link works once.
    material = f"{user.password_hash or ''}|{user.session_token}|{user.proconnect_sub or ''}".encode()
    return hashlib.sha256(material).hexdigest()[:16]


def _sealed(salt: str) -> Fernet:
    """Encrypted and signed (Fernet), not only signed: these tokens carry the person's ProConnect identity (name,
    address, SIRET, sub) in a URL, which servers and proxies write to their logs."""
    key = HKDF(algorithm=SHA256(), length=32, salt=None, info=salt.encode()).derive(
        current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(salt: str, data: dict) -> str:
    return _sealed(salt).encrypt(json.dumps(data).encode()).decode()


def proconnect_pending_token(user: User, identity: dict) -> str:
    """The identity ProConnect has just vouched for, waiting for proof that `user`'s account is hers."""
    return _seal(PROCONNECT_PENDING_SALT, {"uid": user.id, "identity": identity})


def proconnect_link_token(user: User, identity: dict) -> str:
    return _seal(PROCONNECT_LINK_SALT, {"uid": user.id, "identity": identity, "fp": _link_fingerprint(user)})


def _load(salt: str, token: str, max_age_setting: str) -> dict | None:
    try:
        data = json.loads(_sealed(salt).decrypt(token.encode(), ttl=current_app.config[max_age_setting]))
    except (InvalidToken, ValueError):
        return None
    return data if isinstance(data, dict) else None


def pending_proconnect_link(token: str) -> tuple[User, dict] | None:
    data = _load(PROCONNECT_PENDING_SALT, token, "PROCONNECT_PENDING_MAX_AGE")
    user = db.session.get(User, data.get("uid")) if data else None
    return (user, data["identity"]) if user is not None else None


def emailed_proconnect_link(token: str) -> tuple[User, dict] | None:
    data = _load(PROCONNECT_LINK_SALT, token, "PROCONNECT_LINK_MAX_AGE")
    user = db.session.get(User, data.get("uid")) if data else None
    if user is None or _link_fingerprint(user) != data.get("fp"):
        return None
    return user, data["identity"]
