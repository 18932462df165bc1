from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import TimestampMixin, UTCDateTime
from beta_training.extensions import db


class CohortStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"


COHORT_TRANSITIONS = {
    CohortStatus.DRAFT: {CohortStatus.PUBLISHED},
    CohortStatus.PUBLISHED: {CohortStatus.DRAFT, CohortStatus.CLOSED, CohortStatus.CANCELLED},
    CohortStatus.CLOSED: {CohortStatus.PUBLISHED, CohortStatus.ARCHIVED, CohortStatus.CANCELLED},
    CohortStatus.ARCHIVED: set(),
    CohortStatus.CANCELLED: set(),
}

# Cancelling has its own page (a reason, a confirmation, emails to every candidate): the plain status
# buttons offer the other moves.
PLAIN_STATUS_TARGETS = frozenset(CohortStatus) - {CohortStatus.CANCELLED}


COHORT_STATUS_LABELS = {
    CohortStatus.DRAFT: _l("Brouillon"),
    CohortStatus.PUBLISHED: _l("Publiée"),
    CohortStatus.CLOSED: _l("Clôturée"),
    CohortStatus.ARCHIVED: _l("Archivée"),
    CohortStatus.CANCELLED: _l("Annulée"),
}


# What an edit of a session records on its timeline: the fields changed, named as on the form.
COHORT_FIELD_LABELS = {
    "title": _l("Titre"),
    "slug": _l("Identifiant dans l’adresse"),
    "edition": _l("Numéro d’édition"),
    "starts_on": _l("Premier jour"),
    "ends_on": _l("Dernier jour"),
    "day_starts_at": _l("Heure de début, chaque jour"),
    "day_ends_at": _l("Heure de fin, chaque jour"),
    "format": _l("Format"),
    "place_name": _l("Lieu"),
    "address": _l("Adresse"),
    "access_link": _l("Lien de connexion (à distance)"),
    "seats": _l("Nombre de places"),
    "practical_info": _l("Informations pratiques"),
    "applications_open_at": _l("Ouverture des candidatures"),
    "applications_close_at": _l("Clôture des candidatures"),
    "confirmation_delay_days": _l("Délai pour confirmer une place (jours)"),
}


class CohortFormat(StrEnum):
    IN_PERSON = "presentiel"
    REMOTE = "distance"


COHORT_FORMAT_LABELS = {CohortFormat.IN_PERSON: _l("Présentiel"), CohortFormat.REMOTE: _l("À distance")}

# What the participants' calendar event is made of (dates, daily times, place): a change to any of them
# is a new version of the event (SEQUENCE + 1) emailed to every seat holder. Other fields (title,
# practical information, seats…) change nothing in their calendars.
CALENDAR_FIELDS = ("starts_on", "ends_on", "day_starts_at", "day_ends_at", "format", "place_name", "address",
                   "access_link")
DEFAULT_DAY_STARTS_AT = time(9, 30)
DEFAULT_DAY_ENDS_AT = time(17, 30)


class SpeakerRole(StrEnum):
    COACH = "coach"
    INTRAPRENEUR = "intrapreneur"
    DEVELOPER = "developpeur"
    BIZDEV = "business_developer"
    DESIGNER = "designer"
    SPONSOR = "sponsor"
    OTHER = "autre"


SPEAKER_ROLE_LABELS = {
    SpeakerRole.COACH: _l("Coach"),
    SpeakerRole.INTRAPRENEUR: _l("Intrapreneur·e"),
    SpeakerRole.DEVELOPER: _l("Développeur·se"),
    SpeakerRole.BIZDEV: _l("Business developer"),
    SpeakerRole.DESIGNER: _l("Designer"),
    SpeakerRole.SPONSOR: _l("Sponsor"),
    SpeakerRole.OTHER: _l("Intervenant·e"),
}


def _hour(value: time) -> str:
    """9h30, 17h, as French writes times of day."""
    return f"{value.hour}h{value.minute:02d}" if value.minute else f"{value.hour}h"


class Cohort(TimestampMixin, db.Model):
    """One Alpha session (the first one: 7–9 Nov 2017, 28 seats)."""

    __tablename__ = "cohorts"
    __table_args__ = (
        sa.CheckConstraint("seats > 0", name="seats_positive"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        sa.CheckConstraint("applications_close_at > applications_open_at", name="application_window_ordered"),
        sa.CheckConstraint("day_ends_at > day_starts_at", name="day_hours_ordered"),
        sa.CheckConstraint("calendar_sequence >= 0", name="calendar_sequence_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    edition: Mapped[int]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    # Every day of the session, Paris time (the calendar event repeats them from starts_on to ends_on).
    day_starts_at: Mapped[time] = mapped_column(default=DEFAULT_DAY_STARTS_AT)
    day_ends_at: Mapped[time] = mapped_column(default=DEFAULT_DAY_ENDS_AT)
    format: Mapped[str] = mapped_column(sa.String(20), default=CohortFormat.IN_PERSON)
    place_name: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    access_link: Mapped[str] = mapped_column(sa.String(500), default="")
    seats: Mapped[int]
    practical_info: Mapped[str] = mapped_column(sa.Text, default="")
    applications_open_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applications_close_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmation_delay_days: Mapped[int] = mapped_column(default=7)
    status: Mapped[str] = mapped_column(sa.String(20), default=CohortStatus.DRAFT, index=True)
    # The iCalendar SEQUENCE of the session's event: + 1 at each change of CALENDAR_FIELDS and at cancellation,
    # so calendar clients replace the version they hold.
    calendar_sequence: Mapped[int] = mapped_column(default=0)

    programme_items: Mapped[list["ProgrammeItem"]] = relationship(
        back_populates="cohort",
        cascade="all, delete-orphan",
        order_by="(ProgrammeItem.day, ProgrammeItem.starts_at, ProgrammeItem.position)",
        lazy="raise_on_sql",
    )

    @property
    def duration_days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    @property
    def daily_hours(self) -> str:
        """« de 9h30 à 17h30 »: the daily times as pages and emails write them."""
        return _("de %(start)s à %(end)s", start=_hour(self.day_starts_at), end=_hour(self.day_ends_at))

    @property
    def is_remote(self) -> bool:
        return self.format == CohortFormat.REMOTE

    @property
    def format_label(self) -> str:
        return str(COHORT_FORMAT_LABELS.get(CohortFormat(self.format), self.format))

    def is_open_for_applications(self, now: datetime) -> bool:
        return (
            self.status == CohortStatus.PUBLISHED
            and self.applications_open_at <= now < self.applications_close_at
        )

    def is_visible_to(self, user) -> bool:
        # A cancelled session stays readable: its candidates have links to it in their emails.
        if self.status in (CohortStatus.PUBLISHED, CohortStatus.CLOSED, CohortStatus.ARCHIVED, CohortStatus.CANCELLED):
            return True
        return self.can_manage(user)

    @property
    def edit_version(self) -> str:
        """Changes at every save of the session (its updated_at): what an edit form was filled from."""
        return self.updated_at.isoformat() if self.updated_at else ""

    def can_manage(self, user) -> bool:
        """Trainers (and admins) create, edit, review and decide."""
        return bool(user is not None and user.is_authenticated and user.has_any_role("trainer"))

    @property
    def is_cancellable(self) -> bool:
        return CohortStatus.CANCELLED in COHORT_TRANSITIONS[CohortStatus(self.status)]

    @property
    def is_cancelled(self) -> bool:
        return self.status == CohortStatus.CANCELLED

    @property
    def status_label(self) -> str:
        return str(COHORT_STATUS_LABELS[CohortStatus(self.status)])


programme_item_speakers = sa.Table(
    "programme_item_speakers",
    db.metadata,
    sa.Column("programme_item_id", sa.ForeignKey("programme_items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("speaker_id", sa.ForeignKey("speakers.id", ondelete="CASCADE"), primary_key=True),
)


class Speaker(TimestampMixin, db.Model):
    """A speaker as listed by one session. Name, role and organisation belong to that session: the same
    person in another session is another row, so a role given here never rewrites another session's
    programme (archived ones included)."""

    __tablename__ = "speakers"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "name", name="uq_speakers_cohort_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(30), default=SpeakerRole.OTHER)
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")

    @property
    def role_label(self) -> str:
        return str(SPEAKER_ROLE_LABELS.get(SpeakerRole(self.role), self.role))


class ProgrammeItem(db.Model):
    __tablename__ = "programme_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    starts_at: Mapped[time | None]
    ends_at: Mapped[time | None]
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    cohort: Mapped[Cohort] = relationship(back_populates="programme_items")
    speakers: Mapped[list[Speaker]] = relationship(
        secondary=programme_item_speakers, order_by="Speaker.name", lazy="raise_on_sql"
    )


# --- Applications -----------------------------------------------------------------------------------


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WAITLISTED = "waitlisted"
    ACCEPTED = "accepted"  # a seat is offered, to confirm before offer_expires_at
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


APPLICATION_TRANSITIONS = {
    ApplicationState.DRAFT: {ApplicationState.SUBMITTED, ApplicationState.WITHDRAWN},
    ApplicationState.SUBMITTED: {
        ApplicationState.ACCEPTED, ApplicationState.WAITLISTED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN,
    },
    ApplicationState.WAITLISTED: {ApplicationState.ACCEPTED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN},
    ApplicationState.ACCEPTED: {
        ApplicationState.CONFIRMED, ApplicationState.DECLINED, ApplicationState.EXPIRED,
        ApplicationState.REJECTED, ApplicationState.WITHDRAWN,
    },
    ApplicationState.CONFIRMED: {ApplicationState.WITHDRAWN},
    ApplicationState.REJECTED: set(),
    ApplicationState.DECLINED: set(),
    ApplicationState.EXPIRED: set(),
    ApplicationState.WITHDRAWN: set(),
}

# States that hold one of the session's seats (an offer counts until it is declined or expires).
SEAT_HOLDING_STATES = (ApplicationState.ACCEPTED, ApplicationState.CONFIRMED)
OPEN_STATES = tuple(state for state, targets in APPLICATION_TRANSITIONS.items() if targets)
REVIEWABLE_STATES = (ApplicationState.SUBMITTED, ApplicationState.WAITLISTED)

APPLICATION_STATE_LABELS = {
    ApplicationState.DRAFT: _l("Brouillon"),
    ApplicationState.SUBMITTED: _l("Envoyée, en cours d’examen"),
    ApplicationState.WAITLISTED: _l("Sur liste d’attente"),
    ApplicationState.ACCEPTED: _l("Place proposée, à confirmer"),
    ApplicationState.CONFIRMED: _l("Place confirmée"),
    ApplicationState.REJECTED: _l("Non retenue"),
    ApplicationState.DECLINED: _l("Place déclinée"),
    ApplicationState.EXPIRED: _l("Offre expirée"),
    ApplicationState.WITHDRAWN: _l("Retirée"),
}

# The same states in the trainers' review queue, as short as its counters (« 3 à examiner »): a badge there stays
# on one line next to the other columns at 1280 px; the candidate reads the longer labels above.
APPLICATION_STATE_QUEUE_LABELS = {
    ApplicationState.DRAFT: _l("Brouillon"),
    ApplicationState.SUBMITTED: _l("À examiner"),
    ApplicationState.WAITLISTED: _l("Liste d’attente"),
    ApplicationState.ACCEPTED: _l("Place proposée"),
    ApplicationState.CONFIRMED: _l("Confirmée"),
    ApplicationState.REJECTED: _l("Non retenue"),
    ApplicationState.DECLINED: _l("Déclinée"),
    ApplicationState.EXPIRED: _l("Offre expirée"),
    ApplicationState.WITHDRAWN: _l("Retirée"),
}

APPLICATION_STATE_BADGES = {
    ApplicationState.DRAFT: "",
    ApplicationState.SUBMITTED: "fr-badge--info",
    ApplicationState.WAITLISTED: "fr-badge--warning",
    ApplicationState.ACCEPTED: "fr-badge--new",
    ApplicationState.CONFIRMED: "fr-badge--success",
    ApplicationState.REJECTED: "fr-badge--error",
    ApplicationState.DECLINED: "",
    ApplicationState.EXPIRED: "",
    ApplicationState.WITHDRAWN: "",
}


class Situation(StrEnum):
    MEMBER = "member"
    CREATOR = "creator"
    OTHER = "other"


SITUATION_LABELS = {
    Situation.MEMBER: _l("Je fais partie d’une Startup d’État"),
    Situation.CREATOR: _l("Je souhaite en créer une"),
    Situation.OTHER: _l("Autre situation"),
}

# The three selection criteria of beta.gouv.fr calls for intrapreneurs, each scored 0 to 5.
CRITERIA = {
    "problem_score": _l("Ampleur du problème"),
    "motivation_score": _l("Motivation et connaissance du terrain"),
    "solution_score": _l("Idée de solution"),
}

ANSWER_LIMITS = {"problem": 1500, "solution": 1500, "first_users": 1500, "motivation": 1500, "needs": 500}


class CohortApplication(TimestampMixin, db.Model):
    """One person's application to one Alpha session (unique: double submits land on the same row)."""

    __tablename__ = "cohort_applications"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "user_id", name="uq_cohort_applications_cohort_user"),
        sa.CheckConstraint(
            "(state = 'waitlisted') = (waitlist_position IS NOT NULL)", name="waitlist_position_iff_waitlisted"
        ),
        sa.CheckConstraint("(state = 'accepted') <= (offer_expires_at IS NOT NULL)", name="offer_has_deadline"),
        # The trainers' queue of a session: each of its sorts read in order with LIMIT (no sort of the whole
        # session), its counts and waiting list read from an index alone.
        sa.Index("ix_cohort_applications_queue_submitted", "cohort_id", "submitted_at", "id"),
        sa.Index("ix_cohort_applications_queue_score", "cohort_id", "average_score", "id"),
        sa.Index("ix_cohort_applications_queue_name", "cohort_id", "last_name", "first_name", "id"),
        sa.Index("ix_cohort_applications_cohort_state", "cohort_id", "state", "waitlist_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    # None once anonymised: the account was erased, the application stays for statistics (privacy.services).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=ApplicationState.DRAFT, index=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Profile as it was when applying (the account may change later).
    first_name: Mapped[str] = mapped_column(sa.String(100), default="")
    last_name: Mapped[str] = mapped_column(sa.String(100), default="")
    administration: Mapped[str] = mapped_column(sa.String(200), default="")
    administration_type: Mapped[str] = mapped_column(sa.String(20), default="")
    job_title: Mapped[str] = mapped_column(sa.String(200), default="")
    departement: Mapped[str] = mapped_column(sa.String(3), default="")
    situation: Mapped[str] = mapped_column(sa.String(20), default="")
    product_name: Mapped[str] = mapped_column(sa.String(200), default="")

    problem: Mapped[str] = mapped_column(sa.Text, default="")
    solution: Mapped[str] = mapped_column(sa.Text, default="")
    first_users: Mapped[str] = mapped_column(sa.Text, default="")
    motivation: Mapped[str] = mapped_column(sa.Text, default="")
    needs: Mapped[str] = mapped_column(sa.Text, default="")
    consent_guide: Mapped[bool] = mapped_column(default=False)
    consent_share: Mapped[bool] = mapped_column(default=False)

    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the session's event was last emailed to her calendar (invitation or update); None: never. Only
    # then does leaving the seat email her a cancellation of that event.
    calendar_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlist_position: Mapped[int | None]
    rejection_reason: Mapped[str] = mapped_column(sa.Text, default="")
    attended: Mapped[bool | None]

    # Its evaluations summed up, kept by services.record_review in the evaluation's transaction (the queue
    # sorts and filters on them: aggregating every evaluation of the session at each view cost most of the
    # page at 5,000 applications). average_score: the mean of the three criteria over every evaluation,
    # None without any; written by the database's division so that it is exactly the recomputed one.
    review_count: Mapped[int] = mapped_column(default=0, server_default="0")
    problem_score_total: Mapped[int] = mapped_column(default=0, server_default="0")
    motivation_score_total: Mapped[int] = mapped_column(default=0, server_default="0")
    solution_score_total: Mapped[int] = mapped_column(default=0, server_default="0")
    average_score: Mapped[float | None] = mapped_column(sa.Float)

    cohort: Mapped[Cohort] = relationship(lazy="joined", innerjoin=True)
    user = relationship("User", lazy="joined")
    reviews: Mapped[list["ApplicationReview"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", lazy="raise_on_sql",
        order_by="ApplicationReview.created_at",
    )

    @property
    def state_label(self) -> str:
        return str(APPLICATION_STATE_LABELS[ApplicationState(self.state)])

    @property
    def queue_state_label(self) -> str:
        return str(APPLICATION_STATE_QUEUE_LABELS[ApplicationState(self.state)])

    @property
    def state_badge(self) -> str:
        return APPLICATION_STATE_BADGES[ApplicationState(self.state)]

    @property
    def full_name(self) -> str:
        if self.anonymised_at is not None:
            return str(_l("Ancien·ne candidat·e"))
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def _is_owner(self, user) -> bool:
        return bool(user is not None and user.is_authenticated and user.id == self.user_id)

    def can_view(self, user) -> bool:
        return self._is_owner(user) or self.is_reviewer(user)

    @property
    def edit_version(self) -> str:
        """Changes at every save of the application (its updated_at): what the candidate's form was filled from."""
        return self.updated_at.isoformat() if self.updated_at else ""

    def can_edit(self, user, now: datetime) -> bool:
        return (
            self._is_owner(user)
            and self.state in (ApplicationState.DRAFT, ApplicationState.SUBMITTED)
            and self.cohort.is_open_for_applications(now)
        )

    def is_candidate(self, user) -> bool:
        """The person who applied: she may ask to withdraw, confirm or decline whatever the state; the service
        says if it can be done (a second tab after the first one, or after the offer expired, is led back
        to her application with what happened, never « Accès refusé »)."""
        return self._is_owner(user)

    def can_withdraw(self, user) -> bool:
        return self._is_owner(user) and ApplicationState.WITHDRAWN in APPLICATION_TRANSITIONS[ApplicationState(self.state)]

    def can_answer_offer(self, user) -> bool:
        """Shows the « Confirmer » / « Décliner » buttons; the views authorise with is_candidate()."""
        return self._is_owner(user) and self.state == ApplicationState.ACCEPTED

    def is_reviewer(self, user) -> bool:
        """A trainer: she reads every application, an anonymised one too (its scores stay for the statistics)."""
        return bool(user is not None and user.is_authenticated and user.has_any_role("trainer"))

    def can_review(self, user) -> bool:
        """Score, comment, decide: not on an application anonymised at its candidate's erasure, where a comment
        would put words about her back into what the erasure emptied."""
        return self.is_reviewer(user) and self.anonymised_at is None

    def can_decide(self, user) -> bool:
        return self.can_review(user) and self.state != ApplicationState.DRAFT


class ApplicationReview(TimestampMixin, db.Model):
    """One reviewer's scores (0–5 on the three criteria) and comment; a reviewer updates their own."""

    __tablename__ = "application_reviews"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "reviewer_id", name="uq_application_reviews_application_reviewer"),
        *(sa.CheckConstraint(f"{name} BETWEEN 0 AND 5", name=f"{name}_range") for name in CRITERIA),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort_applications.id", ondelete="CASCADE"), index=True)
    # Empty once the reviewer's account is erased: her scores stay a record of the candidate's review.
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    problem_score: Mapped[int]
    motivation_score: Mapped[int]
    solution_score: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    application: Mapped[CohortApplication] = relationship(back_populates="reviews")
    reviewer = relationship("User", lazy="joined")

    @property
    def reviewer_name(self) -> str:
        return self.reviewer.full_name if self.reviewer else str(_l("Ancien·ne formateur·rice"))

    @property
    def average(self) -> float:
        return round(sum(getattr(self, name) for name in CRITERIA) / len(CRITERIA), 2)


class AlumniProfile(TimestampMixin, db.Model):
    """An attendee's opt-in entry in the alumni directory (visible only to other alumni and staff)."""

    __tablename__ = "alumni_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    listed: Mapped[bool] = mapped_column(default=True)
    project: Mapped[str] = mapped_column(sa.String(300), default="")
    contact: Mapped[str] = mapped_column(sa.String(300), default="")

    user = relationship("User", lazy="joined", innerjoin=True)


class CohortBulkEmail(db.Model):
    """One grouped email of a session: who sent it, to which audience, what. The form's one-time key makes
    a double submit send it once (the second click finds this row)."""

    __tablename__ = "cohort_bulk_emails"
    __table_args__ = (sa.UniqueConstraint("sender_id", "submission_key", name="uq_cohort_bulk_emails_sender_submission"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(sa.String(20))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    recipient_count: Mapped[int]
    submission_key: Mapped[str | None] = mapped_column(sa.String(40))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)

    sender = relationship("User", lazy="joined")
