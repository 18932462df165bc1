"""Write operations on Alpha sessions and applications. Plain functions: actor and values are arguments.

Seats: every operation that can change who holds a seat locks the session row first
(`lock_for_update`), then re-reads and checks, then writes, all in one transaction, so offered +
confirmed seats never exceed the session's seats under concurrent requests.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from beta_training.cohorts import emails, queries
from beta_training.cohorts.models import (
    ANSWER_LIMITS,
    APPLICATION_STATE_LABELS,
    APPLICATION_TRANSITIONS,
    CALENDAR_FIELDS,
    COHORT_FIELD_LABELS,
    COHORT_TRANSITIONS,
    CRITERIA,
    OPEN_STATES,
    PLAIN_STATUS_TARGETS,
    SEAT_HOLDING_STATES,
    AlumniProfile,
    ApplicationReview,
    ApplicationState,
    Cohort,
    CohortApplication,
    CohortBulkEmail,
    CohortStatus,
    ProgrammeItem,
    Speaker,
    programme_item_speakers,
)
from beta_training.core import db as core_db
from beta_training.core.db import delete_once, earlier_submission, lock_for_update
from beta_training.core.i18n import format_day, format_range_start, ngettext
from beta_training.core.models import assign_changed, to_paris, upsert, utcnow
from beta_training.core.states import (
    InvalidTransition, check_transition, record_action, record_creation, transition, transition_once,
)
from beta_training.extensions import db


class ApplicationError(Exception):
    """A refused operation; the message is safe to show to the user."""


class NoSeatLeft(ApplicationError):
    pass


class EditedMeanwhile(ApplicationError):
    """The form was filled from a version of the session (or application) that has changed since."""

    def __init__(self, message: str, *, current_version: str):
        super().__init__(message)
        self.current_version = current_version


class InvalidValue(ApplicationError):
    """A value refused by a rule that the form checks too; `field` names the form field it belongs to, so
    the view shows the message there (the service guards callers that skip the form)."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


class IncompleteAnswers(ApplicationError):
    """A sent application must stay complete: the write is refused and nothing changes (trainers keep reading
    the full answers)."""

    def __init__(self, missing: list[str]):
        super().__init__(_("Votre candidature est envoyée : elle doit rester complète. Rien n’a été modifié."))
        self.missing = missing


# --- Sessions and programme ---------------------------------------------------------------------------


def upsert_cohort(*, slug: str, **values) -> Cohort:
    """Create or update the session with this slug (idempotent: used by seeding and imports)."""
    return upsert(Cohort, {"slug": slug}, values)


def _check_day_hours(starts_at: time | None, ends_at: time | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise InvalidValue(_("L’heure de fin doit suivre l’heure de début."), field="day_ends_at")


def create_cohort(*, actor, **values) -> Cohort:
    _check_day_hours(values.get("day_starts_at"), values.get("day_ends_at"))
    cohort = Cohort(status=CohortStatus.DRAFT, **values)
    db.session.add(cohort)
    db.session.flush()
    record_creation(cohort, CohortStatus.DRAFT, actor=actor)
    return cohort


def update_cohort(cohort: Cohort, *, actor, now: datetime | None = None, loaded_version: str | None = None,
                  **values) -> Cohort:
    """Save the edited fields; the session's timeline says who changed which of them, and when.

    Refused (InvalidValue) if fewer seats than people already holding one are left, or if the new dates
    leave programme items outside the session. The row is locked and re-read first, as every offer does:
    no offer slips in between the count and the save, and the same form sent twice at once records one change.

    A change of dates, daily times or place (CALENDAR_FIELDS) is a new version of the session's calendar
    event (SEQUENCE + 1), emailed with the event to every seat holder in this transaction."""
    now = now or utcnow()
    lock_for_update(Cohort, cohort.id)
    db.session.refresh(cohort)
    if loaded_version and loaded_version != cohort.edit_version and any(
            getattr(cohort, name) != value for name, value in values.items()):
        # Filled from an older version (a second tab, a colleague): saving it would undo their change unseen.
        # The same values again (a double click) are no change at all, and pass.
        raise EditedMeanwhile(_("Cette session a été modifiée entre-temps (dans un autre onglet ou par une autre "
                                "personne) : rien n’est enregistré. Vérifiez la session enregistrée, puis envoyez de "
                                "nouveau ce formulaire pour la remplacer par vos valeurs."),
                              current_version=cohort.edit_version)
    if values.get("seats") is not None and values["seats"] < cohort.seats:
        holders = queries.count_seat_holders(cohort.id)
        if values["seats"] < holders:
            raise InvalidValue(ngettext(
                "%(num)s personne a déjà une place (proposée ou confirmée) : indiquez au moins %(num)s place.",
                "%(num)s personnes ont déjà une place (proposée ou confirmée) : indiquez au moins %(num)s places.",
                holders), field="seats")
    _check_programme_fits(cohort, values.get("starts_on", cohort.starts_on), values.get("ends_on", cohort.ends_on))
    _check_day_hours(values.get("day_starts_at", cohort.day_starts_at), values.get("day_ends_at", cohort.day_ends_at))
    changed = assign_changed(cohort, values)
    if changed:  # saving an unchanged form records nothing
        fields = ", ".join(str(COHORT_FIELD_LABELS.get(name, name)) for name in changed)
        record_action(cohort, actor=actor, reason=_("Modifiée : %(fields)s.", fields=fields), now=now,
                      attribute="status")
    calendar_changes = [name for name in changed if name in CALENDAR_FIELDS]
    if calendar_changes:
        cohort.calendar_sequence += 1
        labels = [str(COHORT_FIELD_LABELS[name]) for name in calendar_changes]
        for application in queries.applications_in_states(cohort.id, SEAT_HOLDING_STATES):
            application.calendar_sent_at = now
            emails.queue_calendar_updated(application, labels)
    db.session.flush()
    return cohort


def change_cohort_status(cohort: Cohort, target: CohortStatus, *, actor, reason: str = "") -> Cohort:
    if target not in PLAIN_STATUS_TARGETS:
        raise ValueError(f"{target}: see cancel_cohort()")  # cancelling closes the applications and tells them
    lock_for_update(Cohort, cohort.id)  # a second click waits, then finds the status already changed
    db.session.refresh(cohort)
    if cohort.status == target:
        return cohort  # a second click: already done
    transition(cohort, COHORT_TRANSITIONS, CohortStatus(target), actor=actor, reason=reason, attribute="status")
    db.session.flush()
    return cohort


def cancel_cohort(cohort: Cohort, *, actor, reason: str, now: datetime | None = None) -> Cohort:
    """Cancel the session: its status moves to « Annulée » (recorded with the reason), every open application
    is closed (withdrawn, with the same reason on its timeline) and every candidate who had sent one gets an
    email with the reason; the seat holders whose calendar holds the session get its cancellation (METHOD:
    CANCEL, SEQUENCE + 1). Refused once the session has started. A second click finds it cancelled: nothing
    more happens."""
    now = now or utcnow()
    reason = reason.strip()
    lock_for_update(Cohort, cohort.id)
    db.session.refresh(cohort)
    if cohort.status == CohortStatus.CANCELLED:
        return cohort
    if to_paris(now).date() >= cohort.starts_on:
        raise ApplicationError(_("Une session commencée ne peut plus être annulée."))
    transition(cohort, COHORT_TRANSITIONS, CohortStatus.CANCELLED, actor=actor, reason=reason, now=now,
               attribute="status")
    cohort.calendar_sequence += 1
    for application in queries.applications_in_states(cohort.id, OPEN_STATES):
        was_draft = application.state == ApplicationState.DRAFT
        in_calendar = application.calendar_sent_at is not None
        with db.session.no_autoflush:
            transition(application, APPLICATION_TRANSITIONS, ApplicationState.WITHDRAWN, actor=actor, now=now,
                       reason=_("Session annulée : %(reason)s", reason=reason))
            application.waitlist_position = None
            application.calendar_sent_at = None
        if not was_draft:  # a draft was never sent: nobody is waiting for an answer
            emails.queue_cohort_cancelled(application, reason, in_calendar=in_calendar)
    db.session.flush()
    return cohort


def upsert_speaker(cohort: Cohort, *, name: str, role: str, organisation: str = "") -> Speaker:
    """The session's speaker of that name, created or updated. Other sessions keep their own rows."""
    return upsert(Speaker, {"cohort_id": cohort.id, "name": name}, {"role": role, "organisation": organisation})


def _check_programme_item(cohort: Cohort, day: date | None, starts_at: time | None, ends_at: time | None) -> None:
    if day is None or not cohort.starts_on <= day <= cohort.ends_on:
        raise InvalidValue(_("Choisissez un jour de la session, du %(start)s au %(end)s.",
                             start=format_range_start(cohort.starts_on, cohort.ends_on),
                             end=format_day(cohort.ends_on, "d MMMM yyyy")), field="day")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise InvalidValue(_("L’heure de fin doit suivre l’heure de début."), field="ends_at")


def _check_programme_fits(cohort: Cohort, starts_on: date, ends_on: date) -> None:
    """New session dates must keep every programme item inside them."""
    outside = db.session.scalars(
        sa.select(ProgrammeItem.day).where(
            ProgrammeItem.cohort_id == cohort.id, sa.or_(ProgrammeItem.day < starts_on, ProgrammeItem.day > ends_on)
        )
    ).all()
    if outside:
        field = "starts_on" if min(outside) < starts_on else "ends_on"
        raise InvalidValue(ngettext(
            "%(num)s élément du programme serait hors de ces dates : déplacez-le ou retirez-le d’abord.",
            "%(num)s éléments du programme seraient hors de ces dates : déplacez-les ou retirez-les d’abord.",
            len(outside)), field=field)


def save_programme_item(cohort: Cohort, *, item: ProgrammeItem | None = None, speaker_ids=(), **values) -> ProgrammeItem:
    """Refused (InvalidValue) if the item is not on a day of the session or ends before it starts."""
    current = {name: getattr(item, name, None) for name in ("day", "starts_at", "ends_at")}
    checked = {**current, **{k: v for k, v in values.items() if k in current}}
    _check_programme_item(cohort, checked["day"], checked["starts_at"], checked["ends_at"])
    if item is None:
        position = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(ProgrammeItem.position), -1) + 1).where(
                ProgrammeItem.cohort_id == cohort.id
            )
        )
        item = ProgrammeItem(cohort_id=cohort.id, position=position)
        db.session.add(item)
    assign_changed(item, values)
    db.session.flush()
    _set_speakers(item, set(speaker_ids))
    return item


def delete_programme_item(item: ProgrammeItem) -> bool:
    """False if it is already gone: a second click waits for the first (the session's row is locked), then
    finds the item deleted."""
    return delete_once(item, lock=(Cohort, item.cohort_id))


def replace_programme(cohort: Cohort, items: list[dict]) -> None:
    """Make the programme equal to `items`, keeping rows that already match (no churn on re-seed)."""
    existing = {
        (item.day, item.position): item
        for item in db.session.scalars(sa.select(ProgrammeItem).where(ProgrammeItem.cohort_id == cohort.id))
    }
    wanted_keys = set()
    for position, data in enumerate(items):
        _check_programme_item(cohort, data["day"], data.get("starts_at"), data.get("ends_at"))
        key = (data["day"], position)
        wanted_keys.add(key)
        item = existing.get(key)
        if item is None:
            item = ProgrammeItem(cohort_id=cohort.id, day=data["day"], position=position)
            db.session.add(item)
        assign_changed(
            item,
            {
                "starts_at": data.get("starts_at"),
                "ends_at": data.get("ends_at"),
                "title": data["title"],
                "description": data.get("description", ""),
            },
        )
        speakers = [upsert_speaker(cohort, **speaker) for speaker in data.get("speakers", ())]
        db.session.flush()
        _set_speakers(item, {speaker.id for speaker in speakers})
    for key, item in existing.items():
        if key not in wanted_keys:
            db.session.delete(item)
    db.session.flush()


def _set_speakers(item: ProgrammeItem, speaker_ids: set[int]) -> None:
    own = set(db.session.scalars(sa.select(Speaker.id).where(Speaker.cohort_id == item.cohort_id, Speaker.id.in_(speaker_ids))))
    if own != speaker_ids:
        raise InvalidValue(_("Choisissez des intervenant·es de cette session."), field="speakers")
    link = programme_item_speakers
    current = set(db.session.scalars(sa.select(link.c.speaker_id).where(link.c.programme_item_id == item.id)))
    if current == speaker_ids:
        return
    db.session.execute(sa.delete(link).where(link.c.programme_item_id == item.id))
    if speaker_ids:
        db.session.execute(
            sa.insert(link), [{"programme_item_id": item.id, "speaker_id": sid} for sid in sorted(speaker_ids)]
        )
    db.session.expire(item, ["speakers"])


# --- Applying -----------------------------------------------------------------------------------------

PROFILE_FIELDS = ("first_name", "last_name", "administration", "administration_type", "job_title", "departement")
ANSWER_FIELDS = (
    *PROFILE_FIELDS, "situation", "product_name", "problem", "solution", "first_users", "motivation", "needs",
    "consent_guide", "consent_share",
)
REQUIRED_FOR_SUBMISSION = (
    "first_name", "last_name", "administration", "administration_type", "job_title", "departement", "situation",
    "problem", "solution", "first_users", "motivation", "consent_guide", "consent_share",
)


def _check_window(cohort: Cohort, now: datetime) -> None:
    if cohort.is_open_for_applications(now):
        return
    if cohort.status == CohortStatus.PUBLISHED and now < cohort.applications_open_at:
        raise ApplicationError(_("Les candidatures ne sont pas encore ouvertes pour cette session."))
    raise ApplicationError(_("Les candidatures sont closes pour cette session."))


def start_application(cohort: Cohort, user, now: datetime | None = None) -> CohortApplication:
    """The user's application to `cohort`: the existing one, or a new draft pre-filled from the profile.

    Two tabs creating it at once end on the same row (unique cohort + user).
    """
    return _start_application(cohort, user, now)[0]


def _start_application(cohort: Cohort, user, now: datetime | None) -> tuple[CohortApplication, bool]:
    """start_application(), and whether this call created it (else another request or an earlier page did)."""
    existing = queries.get_application_for(cohort, user)
    if existing is not None:
        return existing, False
    _check_window(cohort, now or utcnow())
    application = CohortApplication(
        cohort_id=cohort.id,
        user_id=user.id,
        state=ApplicationState.DRAFT,
        **{field: getattr(user, field) or "" for field in PROFILE_FIELDS},
    )
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except sa.exc.IntegrityError:
        return queries.get_application_for(cohort, user), False
    record_creation(application, ApplicationState.DRAFT, actor=user)
    return application, True


def save_answers(application: CohortApplication, *, actor, values: dict, now: datetime | None = None,
                 loaded_version: str | None = None) -> CohortApplication:
    """Write the answers. `loaded_version`: the application's edit_version the form was filled from ("" if
    it did not exist yet; None: not checked). Saved since (another tab) and these answers differ from the
    saved ones: EditedMeanwhile, nothing is written."""
    now = now or utcnow()
    # Locked and re-read: an autosave racing « Envoyer » sees the sent application, and its rule, before writing.
    lock_for_update(CohortApplication, application.id)
    db.session.refresh(application)
    if not application.can_edit(actor, now):
        raise ApplicationError(_("Cette candidature ne peut plus être modifiée."))
    cleaned = {}
    for field in ANSWER_FIELDS:
        if field in values:
            value = values[field]
            if isinstance(value, str):
                value = value.strip()[: ANSWER_LIMITS.get(field, 300)]
            cleaned[field] = value
    if loaded_version is not None and loaded_version != application.edit_version and any(
            getattr(application, name) != value for name, value in cleaned.items()):
        # Filled before another tab saved (or sent) it: writing would replace the newer answers unseen. The
        # same answers again (a double click) are no change at all, and pass.
        raise EditedMeanwhile(_("Votre candidature a été enregistrée entre-temps depuis un autre onglet : rien n’a "
                                "été modifié. Les réponses enregistrées sont affichées sous chaque question qui "
                                "diffère, les vôtres sont restées dans le formulaire : relisez-les, puis envoyez de "
                                "nouveau pour remplacer les réponses enregistrées par les vôtres."),
                              current_version=application.edit_version)
    if application.state != ApplicationState.DRAFT:  # the rule of « Envoyer » holds for every later write
        missing = [field for field in REQUIRED_FOR_SUBMISSION
                   if not (cleaned[field] if field in cleaned else getattr(application, field))]
        if missing:
            raise IncompleteAnswers(missing)
    assign_changed(application, cleaned)
    db.session.flush()
    return application


def missing_answers(application: CohortApplication) -> list[str]:
    return [field for field in REQUIRED_FOR_SUBMISSION if not getattr(application, field)]


def submit_application(application: CohortApplication, *, actor, now: datetime | None = None) -> bool:
    """Send the application. Idempotent: a second submit (double click, replay) changes nothing → False."""
    now = now or utcnow()
    if application.state != ApplicationState.DRAFT:
        return False
    _check_window(application.cohort, now)
    if missing_answers(application):
        raise ApplicationError(_("Complétez toutes les réponses obligatoires avant d’envoyer votre candidature."))
    # Conditional: of two « Envoyer » at the same instant (double click, two tabs), one sends, once.
    if not transition_once(application, APPLICATION_TRANSITIONS, ApplicationState.DRAFT, ApplicationState.SUBMITTED,
                           actor=actor, now=now, values={"submitted_at": now}):
        return False
    emails.queue_received(application)
    db.session.flush()
    return True


class Saved(StrEnum):
    """What saving the application form did."""

    DRAFT = "draft"  # kept as a draft
    INCOMPLETE = "incomplete"  # « Envoyer » on a draft that still misses answers: kept as a draft, not sent
    SENT = "sent"  # sent now (the confirmation email is queued)
    UPDATED = "updated"  # already sent: the changes are saved, it stays sent


@dataclass(frozen=True)
class SavedApplication:
    application: CohortApplication
    outcome: Saved
    missing: tuple[str, ...] = ()  # with INCOMPLETE: the fields sending it still needs


def save_application(cohort: Cohort, user, *, values: dict, send: bool = False, now: datetime | None = None,
                     loaded_version: str | None = None) -> SavedApplication:
    """The candidate's form, saved in one step: her application (created on the first save, pre-filled from
    her profile) gets the answers, and is sent if she asked (`send`) and nothing required is missing.

    An application already sent stays sent and complete: a save that would empty a required answer is
    refused (IncompleteAnswers) and nothing changes. Refused too (ApplicationError) once it can no longer be
    edited or before/after the application window, and (EditedMeanwhile) when the form was filled from an
    older version of it (`loaded_version`, see save_answers) than another tab has saved since."""
    now = now or utcnow()
    application, created = _start_application(cohort, user, now)
    # Created by this very save: nothing newer can be lost, whatever the form was loaded from.
    save_answers(application, actor=user, values=values, now=now,  # locks and re-reads the application
                 loaded_version=None if created else loaded_version)
    if not (send or application.state == ApplicationState.SUBMITTED):
        return SavedApplication(application, Saved.DRAFT)
    missing = missing_answers(application)
    if missing:  # only a draft can miss answers: the draft keeps what was typed
        return SavedApplication(application, Saved.INCOMPLETE, tuple(missing))
    sent_now = submit_application(application, actor=user, now=now)
    return SavedApplication(application, Saved.SENT if sent_now else Saved.UPDATED)


# --- Seats: decisions, offers, waiting list -------------------------------------------------------------


def _lock_seats(cohort_id: int) -> None:
    if current_app.config.get("SEAT_LOCKING", True):
        lock_for_update(Cohort, cohort_id)


def _reload(application: CohortApplication) -> CohortApplication:
    """Re-read the application inside the locked transaction (another request may have moved it)."""
    db.session.refresh(application)
    return application


def _leaves_seat(application: CohortApplication, target: ApplicationState, *, actor, reason="", now) -> bool:
    """Move out of a state; if that frees a seat, the waiting list gets it. True if the session was in her
    calendar (she was sent its event): the caller's email then takes it out (METHOD:CANCEL)."""
    held_seat = application.state in SEAT_HOLDING_STATES
    in_calendar = application.calendar_sent_at is not None
    with db.session.no_autoflush:
        transition(application, APPLICATION_TRANSITIONS, target, actor=actor, reason=reason, now=now)
        application.waitlist_position = None
        application.calendar_sent_at = None
    db.session.flush()
    if held_seat:
        promote_from_waitlist(application.cohort, now=now)
    return in_calendar


def _offer_seat(application: CohortApplication, *, actor, reason: str, now: datetime) -> None:
    cohort = application.cohort
    if queries.count_seat_holders(cohort.id) >= cohort.seats:
        raise NoSeatLeft(
            _("Plus aucune place n’est disponible (%(n)s sur %(n)s) : placez la candidature en liste d’attente.", n=cohort.seats)
        )
    with db.session.no_autoflush:  # state and its companion columns are written together
        transition(application, APPLICATION_TRANSITIONS, ApplicationState.ACCEPTED, actor=actor, reason=reason, now=now)
        application.waitlist_position = None
        application.decided_at = now
        application.offer_expires_at = now + timedelta(days=cohort.confirmation_delay_days)
        application.offer_reminder_sent_at = None
    db.session.flush()


def accept_application(application: CohortApplication, *, actor, reason: str = "", now: datetime | None = None) -> CohortApplication:
    now = now or utcnow()
    _lock_seats(application.cohort_id)
    _reload(application)
    if application.state == ApplicationState.ACCEPTED:
        return application  # a second click on "accept": already done
    check_transition(APPLICATION_TRANSITIONS, ApplicationState(application.state), ApplicationState.ACCEPTED)
    was_waitlisted = application.state == ApplicationState.WAITLISTED
    _offer_seat(application, actor=actor, reason=reason, now=now)
    emails.queue_offer(application, promoted=was_waitlisted)
    return application


def waitlist_application(application: CohortApplication, *, actor, reason: str = "", now: datetime | None = None) -> CohortApplication:
    now = now or utcnow()
    _lock_seats(application.cohort_id)
    _reload(application)
    if application.state == ApplicationState.WAITLISTED:
        return application
    check_transition(APPLICATION_TRANSITIONS, ApplicationState(application.state), ApplicationState.WAITLISTED)
    position = queries.next_waitlist_position(application.cohort_id)
    with db.session.no_autoflush:
        transition(application, APPLICATION_TRANSITIONS, ApplicationState.WAITLISTED, actor=actor, reason=reason, now=now)
        application.waitlist_position = position
        application.decided_at = now
    db.session.flush()
    emails.queue_waitlisted(application, queries.waitlist_rank(application))
    return application


def reject_application(application: CohortApplication, *, actor, reason: str = "", now: datetime | None = None) -> CohortApplication:
    now = now or utcnow()
    _lock_seats(application.cohort_id)
    _reload(application)
    if application.state == ApplicationState.REJECTED:
        return application
    check_transition(APPLICATION_TRANSITIONS, ApplicationState(application.state), ApplicationState.REJECTED)
    application.rejection_reason = reason.strip()
    application.decided_at = now
    in_calendar = _leaves_seat(application, ApplicationState.REJECTED, actor=actor, reason=reason, now=now)
    emails.queue_rejected(application, in_calendar=in_calendar)
    return application


def confirm_seat(application: CohortApplication, *, actor, now: datetime | None = None) -> CohortApplication:
    now = now or utcnow()
    _lock_seats(application.cohort_id)
    _reload(application)
    if application.state == ApplicationState.CONFIRMED:
        return application
    if application.state == ApplicationState.ACCEPTED and application.offer_expires_at <= now:
        raise ApplicationError(_("Le délai pour confirmer cette place est dépassé."))
    check_transition(APPLICATION_TRANSITIONS, ApplicationState(application.state), ApplicationState.CONFIRMED)
    transition(application, APPLICATION_TRANSITIONS, ApplicationState.CONFIRMED, actor=actor, now=now)
    application.confirmed_at = now
    application.calendar_sent_at = now  # the confirmation email carries the invitation
    db.session.flush()
    emails.queue_confirmed(application)
    return application


def decline_seat(application: CohortApplication, *, actor, now: datetime | None = None) -> CohortApplication:
    now = now or utcnow()
    _lock_seats(application.cohort_id)
    _reload(application)
    if application.state == ApplicationState.DECLINED:
        return application
    check_transition(APPLICATION_TRANSITIONS, ApplicationState(application.state), ApplicationState.DECLINED)
    in_calendar = _leaves_seat(application, ApplicationState.DECLINED, actor=actor, now=now)
    emails.queue_declined(application, in_calendar=in_calendar)
    return application


def withdraw_application(application: CohortApplication, *, actor, reason: str = "", now: datetime | None = None) -> CohortApplication:
    now = now or utcnow()
    _lock_seats(application.cohort_id)
    _reload(application)
    if application.state == ApplicationState.WITHDRAWN:
        return application
    check_transition(APPLICATION_TRANSITIONS, ApplicationState(application.state), ApplicationState.WITHDRAWN)
    was_draft = application.state == ApplicationState.DRAFT
    in_calendar = _leaves_seat(application, ApplicationState.WITHDRAWN, actor=actor, reason=reason, now=now)
    application.attended = None  # someone who withdrew is not an alumna of this session
    db.session.flush()
    if not was_draft:
        emails.queue_withdrawn(application, in_calendar=in_calendar)
    return application


def promote_from_waitlist(cohort: Cohort, now: datetime | None = None) -> list[CohortApplication]:
    """Offer free seats to the waiting list in order. The caller holds the session lock."""
    now = now or utcnow()
    if cohort.status != CohortStatus.PUBLISHED or cohort.starts_on <= now.date():
        return []
    promoted = []
    free = cohort.seats - queries.count_seat_holders(cohort.id)
    for application in queries.first_waitlisted(cohort.id, limit=max(free, 0)):
        _offer_seat(application, actor=None, reason=_("Place libérée : première personne de la liste d’attente."), now=now)
        emails.queue_offer(application, promoted=True)
        promoted.append(application)
    return promoted


def expire_offers(now: datetime | None = None) -> int:
    """Expire the offers past their deadline and pass their seats on. Idempotent (cron-safe)."""
    now = now or utcnow()
    expired = 0
    for cohort_id in queries.cohorts_with_expired_offers(now):
        _lock_seats(cohort_id)
        for application in queries.expired_offers(cohort_id, now):
            in_calendar = _leaves_seat(application, ApplicationState.EXPIRED, actor=None,
                                       reason=_("Délai de confirmation dépassé."), now=now)
            emails.queue_offer_expired(application, in_calendar=in_calendar)
            expired += 1
        core_db.commit()  # one session at a time: its lock is released, its emails leave
    return expired


def send_reminders(now: datetime | None = None) -> dict:
    """48 h before an offer expires, and 3 days before the session: one email each, never twice."""
    now = now or utcnow()
    counts = {"offers": 0, "sessions": 0}
    for application in queries.offers_expiring_before(now + timedelta(hours=48), now):
        application.offer_reminder_sent_at = now
        emails.queue_offer_expiring(application)
        counts["offers"] += 1
    for application in queries.confirmed_starting_before((now + timedelta(days=3)).date(), now.date()):
        application.session_reminder_sent_at = now
        emails.queue_session_reminder(application)
        counts["sessions"] += 1
    db.session.flush()
    return counts


DECISIONS = {
    "accept": accept_application,
    "waitlist": waitlist_application,
    "reject": reject_application,
}


def decide(application, decision: str, *, actor, reason: str = "", now: datetime | None = None):
    return DECISIONS[decision](application, actor=actor, reason=reason, now=now)


def decide_in_bulk(applications, decision: str, *, actor, reason: str = "", now: datetime | None = None) -> list[tuple]:
    """Apply one decision to several applications; each outcome is reported, none blocks the others."""
    outcomes = []
    for application in applications:
        try:
            decide(application, decision, actor=actor, reason=reason, now=now)
            core_db.commit()  # through core.db: the emails of this decision leave, a refused one's are dropped
            outcomes.append((application, None))
        except (ApplicationError, InvalidTransition) as error:
            core_db.rollback()
            outcomes.append((application, describe_error(error)))
    return outcomes


def describe_error(error: Exception) -> str:
    if isinstance(error, InvalidTransition) and isinstance(error.target, ApplicationState):  # (the current state may be a plain str)
        # Mostly a second tab: say where the application stands now, so she sees what happened.
        return _("Cette candidature est désormais « %(state)s » : cette action n’est plus possible, rien n’a été "
                 "modifié.", state=APPLICATION_STATE_LABELS[ApplicationState(error.current)])
    if isinstance(error, InvalidTransition):  # a session's move
        return _("Action impossible pour une session dans cet état : la page a peut-être changé entre-temps. Rechargez-la.")
    return str(error)


# --- Reviews, attendance, alumni, bulk email ------------------------------------------------------------


def record_review(application: CohortApplication, *, reviewer, comment: str = "", **scores) -> ApplicationReview:
    """One evaluation per trainer and application: sent again (or twice at once), it is updated, never doubled.
    The application's kept totals follow in the same transaction; its row is locked first, so two trainers
    evaluating at once each sum up the other's evaluation too (PostgreSQL reads what was committed meanwhile)."""
    application_id = application.id  # read before the lock (on SQLite outside a request, it commits and expires)
    lock_for_update(CohortApplication, application_id)
    values = {name: int(scores[name]) for name in CRITERIA}
    values["comment"] = comment.strip()
    review = upsert(ApplicationReview, {"application_id": application_id, "reviewer_id": reviewer.id}, values)
    refresh_review_totals(application_id)
    db.session.expire(application, REVIEW_TOTALS)
    return review


REVIEW_TOTALS = ("review_count", *(f"{name}_total" for name in CRITERIA), "average_score")


def refresh_review_totals(*application_ids: int) -> None:
    """Sum up the evaluations of these applications (of every application when none is given: after a bulk
    load, flask scale-data) on their rows, in one statement. Their updated_at stays: it is the candidate's
    edit version, which a trainer's evaluation does not change."""
    def of_its_reviews(aggregate):
        return sa.select(aggregate).where(ApplicationReview.application_id == CohortApplication.id).scalar_subquery()

    criteria_sum = sum(getattr(ApplicationReview, name) for name in CRITERIA)
    statement = sa.update(CohortApplication).values(
        review_count=of_its_reviews(sa.func.count()),
        **{f"{name}_total": of_its_reviews(sa.func.coalesce(sa.func.sum(getattr(ApplicationReview, name)), 0))
           for name in CRITERIA},
        average_score=of_its_reviews(
            sa.cast(sa.func.sum(criteria_sum), sa.Float) / sa.func.nullif(len(CRITERIA) * sa.func.count(), 0)),
        updated_at=CohortApplication.updated_at,
    )
    if application_ids:
        statement = statement.where(CohortApplication.id.in_(application_ids))
    db.session.execute(statement.execution_options(synchronize_session=False))


def mark_attendance(cohort: Cohort, *, actor, attended_ids: set[int], now: datetime | None = None) -> int:
    """Refused before the session's first day (Paris time): nobody can have attended yet. Each participant
    whose presence changes gets a line on the timeline of her application: who marked her present or absent,
    and when. The session row is locked so that two registers sent at once record each change once."""
    now = now or utcnow()
    if to_paris(now).date() < cohort.starts_on:
        raise ApplicationError(_("Les présences se marquent à partir du premier jour de la session, le %(date)s.",
                                 date=format_day(cohort.starts_on, "d MMMM yyyy")))
    lock_for_update(Cohort, cohort.id)
    db.session.expire_all()  # read the presences a register sent just before this one committed
    confirmed = queries.confirmed_applications(cohort.id)
    for application in confirmed:
        attended = application.id in attended_ids
        if application.attended != attended:
            application.attended = attended
            record_action(application, actor=actor, now=now,
                          reason=_("Présence à la session : oui.") if attended else _("Présence à la session : non."))
    db.session.flush()
    return sum(1 for application in confirmed if application.attended)


def save_alumni_profile(user, *, listed: bool, project: str, contact: str) -> AlumniProfile:
    if not queries.is_alumni(user):
        raise ApplicationError(_("Le réseau des anciens est réservé aux personnes ayant suivi une session."))
    return upsert(AlumniProfile, {"user_id": user.id}, {"listed": listed, "project": project.strip(), "contact": contact.strip()})


AUDIENCES = {
    "confirmed": (ApplicationState.CONFIRMED,),
    "accepted": (ApplicationState.ACCEPTED,),
    "waitlisted": (ApplicationState.WAITLISTED,),
}


def send_bulk_email(cohort: Cohort, *, actor, audience: str, subject: str, body: str, submission_key: str | None = None,
                    now: datetime | None = None) -> CohortBulkEmail:
    """Write to an audience of the session; the record says who sent what to how many.

    Idempotent per rendered form: the same `submission_key` again (double click, replay) sends nothing and
    returns the first record.
    """
    earlier = earlier_submission(CohortBulkEmail, submission_key, lock=(Cohort, cohort.id), sender_id=actor.id)
    if earlier is not None:
        return earlier
    recipients = queries.applications_in_states(cohort.id, AUDIENCES[audience])
    record = CohortBulkEmail(cohort_id=cohort.id, sender_id=actor.id, audience=audience, subject=subject.strip(),
                             body=body.strip(), recipient_count=len(recipients), submission_key=submission_key,
                             sent_at=now or utcnow())
    db.session.add(record)
    for application in recipients:
        emails.queue_bulk_message(application, record.subject, record.body)
    db.session.flush()
    return record
