import secrets
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import TimestampMixin, UTCDateTime, utcnow
from beta_training.extensions import db


class Role(StrEnum):
    TRAINER = "trainer"
    COURSE_LEAD = "course_lead"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.TRAINER: _l("Formateur·rice"),
    Role.COURSE_LEAD: _l("Responsable de la formation"),
    Role.ADMIN: _l("Administrateur·rice"),
}


class AdministrationType(StrEnum):
    ETAT = "etat"
    COLLECTIVITE = "collectivite"
    OPERATEUR = "operateur"
    AUTRE = "autre"


ADMINISTRATION_TYPE_LABELS = {
    AdministrationType.ETAT: _l("État (administration centrale ou déconcentrée)"),
    AdministrationType.COLLECTIVITE: _l("Collectivité territoriale"),
    AdministrationType.OPERATEUR: _l("Opérateur de l'État"),
    AdministrationType.AUTRE: _l("Autre"),
}


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, TimestampMixin, db.Model):
    __table_args__ = (sa.UniqueConstraint("proconnect_idp_id", "proconnect_sub", name="uq_users_proconnect_identity"),)
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    administration: Mapped[str | None] = mapped_column(sa.String(200))
    administration_type: Mapped[str | None] = mapped_column(sa.String(20))
    job_title: Mapped[str | None] = mapped_column(sa.String(200))
    departement: Mapped[str | None] = mapped_column(sa.String(3))
    # The establishment ProConnect gives (14 digits), kept to tell the agent's administration.
    siret: Mapped[str | None] = mapped_column(sa.String(14))
    # The person's identity at ProConnect: `sub` for the identity provider she signed in with (`idp_id`; "" when
    # ProConnect does not say). ProConnect gives a `sub` per pair of service and identity provider, so the pair
    # is the key: a return visit signs in by it, never by the email, which the provider may change. One account
    # per identity; signing in through another provider is a new identity, linked as an existing account is.
    proconnect_sub: Mapped[str | None] = mapped_column(sa.String(255))
    proconnect_idp_id: Mapped[str | None] = mapped_column(sa.String(255))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the Flask-Login id: rotating it logs out every session of the user.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True)

    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="UserRole.user_id",
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def has_password(self) -> bool:
        """Whether re-typing a password can prove it is her (erasure). An account signed in only through
        another means (ProConnect) has none: that path re-authenticates with its own provider instead."""
        return bool(self.password_hash)

    @property
    def last_seen_at(self) -> datetime:
        """What « inactive » counts from (retention): the last sign-in, or the creation of the account."""
        return self.last_login_at or self.created_at

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def has_password(self) -> bool:
        """An account created through ProConnect has none until its owner sets one."""
        return bool(self.password_hash)

    @property
    def profile_incomplete(self) -> bool:
        """An agent who came through ProConnect completes her administration and its type before anything
        else (ProConnect gives neither). Password accounts keep these optional, as they always were."""
        return self.proconnect_sub is not None and not (self.administration and self.administration_type)

    @property
    def role_names(self) -> set[str]:
        return {grant.role for grant in self.roles}

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.role_names

    def has_any_role(self, *roles: str) -> bool:
        """Admins hold every role."""
        names = self.role_names
        return Role.ADMIN in names or any(role in names for role in roles)

    def can_manage_roles(self, user: "User | None") -> bool:
        return bool(user is not None and user.is_authenticated and user.is_admin)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    """A role granted to a user: who granted it and when is kept."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])

    @property
    def label(self) -> str:
        return str(ROLE_LABELS.get(Role(self.role), self.role))


class RoleEvent(db.Model):
    """History of role grants and revocations (who, when, what)."""

    __tablename__ = "role_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(10))  # "grant" | "revoke"
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class RetentionWarning(db.Model):
    """The « your account will be erased in 30 days » email was written (privacy.services): sent once; signing
    in deletes the row, so a person warned then back is warned again before a later purge. A table of its own:
    the users table stays as older migrations know it."""

    __tablename__ = "retention_warnings"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    warned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInMethod(StrEnum):
    PASSWORD = "password"
    PROCONNECT = "proconnect"


class SignInEvent(db.Model):
    """One sign-in: who, when, how, from which network. The address is cut to its network (IPv4 /24, IPv6 /48):
    enough to tell « a sign-in from an unusual network » on a security review, not enough to follow a person
    to a machine. Purged after SIGN_IN_EVENTS_RETENTION_DAYS (privacy.retention)."""

    __tablename__ = "sign_in_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(sa.String(20), default=SignInMethod.PASSWORD)
    network: Mapped[str] = mapped_column(sa.String(50), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
