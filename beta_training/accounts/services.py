"""Account write operations. Plain functions: the acting user and values come in as arguments."""

import ipaddress
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

from beta_training.accounts import emails, tokens
from beta_training.accounts.models import (
    RetentionWarning,
    Role,
    RoleEvent,
    SignInEvent,
    SignInMethod,
    User,
    UserRole,
    new_session_token,
)
from beta_training.core.db import lock_for_update
from beta_training.core.models import utcnow
from beta_training.core.states import record_change
from beta_training.extensions import db

# argon2id, t=3, m=64 MiB, p=4 (RFC 9106 low-memory profile; above the ASVS 5.0 minimum).
password_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps login timing the same either way.
_DUMMY_HASH = password_hasher.hash("not-a-real-password")


class AccountError(Exception):
    """A refused account operation; the message is safe to show to the user."""


class ResetLinkUsed(AccountError):
    """The reset link no longer matches the account: its password changed since the link was sent (the same
    link followed twice, or a newer password)."""


def _lock(user: User) -> None:
    """Lock the account's row and re-read it: a second click waits, then sees what the first one did (on
    PostgreSQL the refresh is what makes the first one's commit visible to it)."""
    lock_for_update(User, user.id)
    db.session.refresh(user)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def _verify_password(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash:
        try:
            password_hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return False
    try:
        password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def check_password(user: User, password: str) -> bool:
    """Whether `password` is the account's (a re-authentication before something that cannot be undone)."""
    return _verify_password(user, password)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(
    *, email: str, password: str | None, first_name: str, last_name: str, confirmed: bool = False, **profile
) -> User:
    user = User(
        email=normalize_email(email),
        password_hash=hash_password(password) if password else None,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email_confirmed_at=utcnow() if confirmed else None,
        password_changed_at=utcnow() if password else None,
        **profile,
    )
    db.session.add(user)
    db.session.flush()
    return user


def register(*, email: str, password: str, first_name: str, last_name: str, next_url: str | None = None) -> User:
    """Create an unconfirmed account and mail the confirmation link.

    If the address already has an account, nothing is created and its owner is told by email; the
    caller shows the same page either way so the form never reveals who has an account.
    """
    existing = get_user_by_email(email)
    if existing is None:
        try:
            with db.session.begin_nested():
                user = create_user(email=email, password=password, first_name=first_name, last_name=last_name)
        except sa.exc.IntegrityError:  # the same form sent twice at once: the other request created it
            existing = get_user_by_email(email)
        else:
            emails.queue_email_confirmation(user, next_url=next_url)
            return user
    lock_for_update(User, existing.id)
    if not existing.email_confirmed and emails.sent_recently(existing, emails.confirmation_subject()):
        return existing  # a second click: the confirmation link has just left
    emails.queue_signup_attempt_on_existing_account(existing)
    return existing


def resend_confirmation(email: str) -> None:
    user = get_user_by_email(email)
    if user is not None and not user.email_confirmed:
        lock_for_update(User, user.id)  # two clicks queue here; the second finds the first one's email
        if not emails.sent_recently(user, emails.confirmation_subject()):
            emails.queue_email_confirmation(user)


def confirm_email(user: User, now: datetime | None = None) -> User:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now or utcnow()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the credentials match an active account, else None (one answer for every failure)."""
    user = get_user_by_email(email)
    if not _verify_password(user, password) or not user.is_active:
        return None
    return user


def network_of(address: str | None) -> str:
    """The network an address belongs to, not the address: IPv4 /24, IPv6 /48 ("" if unknown or malformed)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# A double click on « Se connecter » is one sign-in in the log.
SAME_SIGN_IN = timedelta(seconds=10)


def record_login(user: User, *, method: str = SignInMethod.PASSWORD, address: str | None = None,
                 now: datetime | None = None) -> SignInEvent:
    """A successful sign-in: when (last_login_at, what retention counts from), and a sign-in event. Coming
    back cancels a pending retention warning: the account is active again."""
    now = now or utcnow()
    _lock(user)  # the same form sent twice at once: the second waits, then finds the first one's event
    user.last_login_at = now
    db.session.execute(sa.delete(RetentionWarning).where(RetentionWarning.user_id == user.id))
    method, network = SignInMethod(method), network_of(address)
    event = db.session.scalar(sa.select(SignInEvent).where(
        SignInEvent.user_id == user.id, SignInEvent.method == method, SignInEvent.network == network,
        SignInEvent.created_at >= now - SAME_SIGN_IN))
    if event is None:
        event = SignInEvent(user_id=user.id, method=method, network=network, created_at=now)
        db.session.add(event)
    return event


def request_password_reset(email: str) -> None:
    user = get_user_by_email(email)
    if user is not None and user.is_active:
        lock_for_update(User, user.id)  # two clicks queue here; the second finds the first one's email
        if not emails.sent_recently(user, emails.reset_subject()):
            emails.queue_password_reset(user)


def set_password(user: User, new_password: str, now: datetime | None = None) -> User:
    """Set a password and rotate the session token: every other session and reset link dies."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now or utcnow()
    user.session_token = new_session_token()
    emails.queue_password_changed(user)
    return user


def reset_password(user: User, new_password: str, *, token: str) -> User:
    """Set the password chosen through the reset link `token`. The same link sent twice at once: the second
    finds it used (ResetLinkUsed), nothing changes."""
    _lock(user)
    if tokens.user_from_reset_token(token) is None:
        raise ResetLinkUsed(_("Ce lien n’est plus valable."))
    set_password(user, new_password)
    # Following a link from the mailbox proves the address too.
    confirm_email(user)
    return user


def change_password(user: User, *, current_password: str | None, new_password: str) -> User:
    """A second click waits, then checks against the new password (and is refused). An account without a
    password (created through ProConnect) sets its first one: there is no current one to give."""
    _lock(user)
    if user.has_password and not _verify_password(user, current_password or ""):
        raise AccountError(_("Le mot de passe actuel est incorrect."))
    return set_password(user, new_password)


PROFILE_FIELDS = ("first_name", "last_name", "administration", "administration_type", "job_title", "departement")


def update_profile(user: User, **values) -> User:
    for field in PROFILE_FIELDS:
        if field in values:
            value = values[field]
            setattr(user, field, value.strip() if isinstance(value, str) else value)
    return user


def grant_role(user: User, role: Role, *, actor: User | None) -> bool:
    """Grant `role`; False if the user already had it (a second click waits, then finds it granted). `actor`
    is None for the CLI."""
    role = Role(role)
    _lock(user)
    if role in user.role_names:
        return False
    user.roles.append(UserRole(role=role, granted_by=actor))
    db.session.add(RoleEvent(user_id=user.id, role=role, action="grant", actor=actor))
    db.session.flush()
    return True


def count_admins() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(UserRole).where(UserRole.role == Role.ADMIN))


def revoke_role(user: User, role: Role, *, actor: User | None) -> bool:
    """Revoke `role`; False if the user did not have it (a second click waits, then finds it gone)."""
    role = Role(role)
    _lock(user)
    grant = next((g for g in user.roles if g.role == role), None)
    if grant is None:
        return False
    if role == Role.ADMIN and count_admins() <= 1:
        raise AccountError(_("Impossible de retirer le rôle du dernier administrateur."))
    user.roles.remove(grant)
    db.session.add(RoleEvent(user_id=user.id, role=role, action="revoke", actor=actor))
    db.session.flush()
    return True


# --- ProConnect ------------------------------------------------------------------------------------------
# An account's timeline (core StateChange on "users") records how its ProConnect identity came: the account
# created by it, or an existing account linked to it, and with which proof.
PROCONNECT_CREATED = "proconnect_created"
PROCONNECT_LINKED = "proconnect_linked"
LINK_PROOFS = {"password": "mot de passe du compte", "email": "lien envoyé à l’adresse du compte"}


class LinkNeeded(Exception):
    """ProConnect's address is that of an existing account with another (or no) ProConnect identity: its
    owner must prove the account is hers before the two are linked."""

    def __init__(self, user: User):
        super().__init__(user.email)
        self.user = user


def proconnect_key(identity: dict) -> tuple[str, str]:
    """(identity provider, sub): ProConnect's `sub` is only unique for one identity provider."""
    return identity.get("idp_id") or "", identity["sub"]


def holds_proconnect_identity(user: User, identity: dict) -> bool:
    return (user.proconnect_idp_id, user.proconnect_sub) == proconnect_key(identity)


def get_user_by_proconnect(identity: dict) -> User | None:
    idp_id, sub = proconnect_key(identity)
    return db.session.scalar(sa.select(User).where(User.proconnect_idp_id == idp_id, User.proconnect_sub == sub))


def sign_in_with_proconnect(identity: dict, now: datetime | None = None) -> User:
    """The account of this ProConnect identity: found by its identity provider and `sub` (never by its email:
    the provider may change it), else created from what ProConnect gives. Raises LinkNeeded when the email belongs to another
    account, AccountError when the account is deactivated.

    Two callbacks at once (two tabs) race on the unique identity: the second finds the first one's account."""
    user = get_user_by_proconnect(identity)
    if user is None:
        if get_user_by_email(identity["email"]) is not None:
            raise LinkNeeded(get_user_by_email(identity["email"]))
        try:
            with db.session.begin_nested():
                user = create_user(
                    email=identity["email"], password=None, confirmed=True,  # ProConnect vouches for the address
                    first_name=identity.get("given_name") or "", last_name=identity.get("usual_name") or "",
                    siret=identity.get("siret"), proconnect_idp_id=proconnect_key(identity)[0],
                    proconnect_sub=identity["sub"],
                )
                record_change(user, None, PROCONNECT_CREATED, actor=user, reason="Compte créé avec ProConnect", now=now)
        except sa.exc.IntegrityError:
            user = get_user_by_proconnect(identity)
            if user is None:  # the same address, taken by another account meanwhile
                raise LinkNeeded(get_user_by_email(identity["email"])) from None
    if not user.is_active:
        raise AccountError(_("Ce compte est désactivé."))
    return user


def link_proconnect(user: User, identity: dict, *, proof: str, password: str | None = None,
                    now: datetime | None = None) -> bool:
    """Link `user`'s account to this ProConnect identity once its owner has proved the account is hers:
    `proof` is "password" (checked here) or "email" (she followed the link sent to the account's address).
    False when it is already linked to it (a second click, after the first one's commit)."""
    _lock(user)
    if proof == "password":
        if not user.email_confirmed or not _verify_password(user, password or ""):
            raise AccountError(_("Le mot de passe est incorrect."))
    elif proof != "email":
        raise ValueError(proof)
    if holds_proconnect_identity(user, identity):
        return False
    holder = get_user_by_proconnect(identity)
    if holder is not None:
        raise AccountError(_("Cette identité ProConnect est déjà associée à un autre compte."))
    previous = PROCONNECT_LINKED if user.proconnect_sub else "password"
    if proof == "email" and not user.email_confirmed:
        # Its password was never shown to belong to the owner of the address (anyone may sign up with
        # someone else's): it goes, and so do the sessions opened with it.
        user.password_hash = None
        user.session_token = new_session_token()
        confirm_email(user, now)
    user.proconnect_idp_id, user.proconnect_sub = proconnect_key(identity)
    user.siret = user.siret or identity.get("siret")
    record_change(user, previous, PROCONNECT_LINKED, actor=user, now=now,
                  reason=f"Identité ProConnect associée (preuve : {LINK_PROOFS[proof]})")
    emails.queue_proconnect_linked(user, LINK_PROOFS[proof])
    db.session.flush()
    return True


def check_proconnect_link_token(user: User, token: str) -> None:
    """Under the account's lock, the emailed link still holds: the same link followed twice at once, the
    second one finds it used."""
    _lock(user)
    if tokens.emailed_proconnect_link(token) is None:
        raise AccountError(_("Ce lien n’est plus valable."))


def send_proconnect_link(user: User, identity: dict) -> None:
    """Mail the account's address a link that links it to this identity; a second click within a minute
    finds the first one's email."""
    _lock(user)
    if not emails.sent_recently(user, emails.proconnect_link_subject()):
        emails.queue_proconnect_link(user, identity)
