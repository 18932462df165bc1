"""Write side of the appel à intrapreneurs. Services take the acting user and values, flush, never commit."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from beta_training.accounts.models import User
from beta_training.calls import emails
from beta_training.calls.models import (
    DOSSIER_TRANSITIONS,
    JURY_DECISIONS,
    JURY_STATES,
    MAX_JURORS,
    QUESTIONS,
    WITHDRAWABLE_STATES,
    Call,
    CallJuror,
    Dossier,
    DossierEvaluation,
    DossierState,
    JuryScore,
    timetable,
)
from beta_training.core.db import earlier_submission, lock_for_update
from beta_training.core.i18n import format_day, format_moment, ngettext
from beta_training.core.models import PARIS, to_paris, upsert, utcnow
from beta_training.core.states import record_creation, transition
from beta_training.extensions import db
from beta_training.sheets import queries as sheet_queries


class CallError(Exception):
    """A refusal the person can understand (French message); `field`: the form field it is about, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Calls -------------------------------------------------------------------------------------------------


def create_call(*, actor, title: str, incubator: str, opens_at: datetime, closes_at: datetime, guide: str,
                criteria: list[str], preselect_count: int) -> Call:
    call = Call(title=title, incubator=incubator, opens_at=opens_at, closes_at=closes_at, guide=guide,
                criteria=list(criteria), preselect_count=preselect_count, created_by_id=actor.id if actor else None)
    db.session.add(call)
    db.session.flush()
    return call


def update_call(call: Call, *, title: str, incubator: str, opens_at: datetime, closes_at: datetime, guide: str,
                criteria: list[str], preselect_count: int) -> Call:
    """Change the call's settings. Once a dossier is scored, its criteria are those of the scores (changing them
    would leave scores on criteria that no longer exist); the pre-selection number never drops below the
    dossiers already pre-selected."""
    lock_for_update(Call, call.id)  # pre-selecting counts under this lock too
    db.session.refresh(call)
    if list(criteria) != list(call.criteria) and criteria_locked(call):
        raise CallError(_("Des dossiers sont déjà évalués sur ces critères : ils ne peuvent plus changer."),
                        field="criteria")
    preselected = count_preselected(call.id)
    if preselect_count < preselected:
        raise CallError(ngettext("%(num)s projet est déjà pré-sélectionné : indiquez au moins %(num)s, ou retirez-le "
                                 "d’abord de la pré-sélection.",
                                 "%(num)s projets sont déjà pré-sélectionnés : indiquez au moins %(num)s, ou retirez-en "
                                 "d’abord de la pré-sélection.", preselected), field="preselect_count")
    call.title, call.incubator, call.guide = title, incubator, guide
    call.opens_at, call.closes_at = opens_at, closes_at
    call.criteria = list(criteria)
    call.preselect_count = preselect_count
    db.session.flush()
    return call


def criteria_locked(call: Call) -> bool:
    """Whether a dossier of the call has been scored: its criteria are then fixed."""
    return db.session.scalar(sa.select(sa.exists().where(DossierEvaluation.dossier_id == Dossier.id,
                                                         Dossier.call_id == call.id)))


# --- Dossiers ----------------------------------------------------------------------------------------------


def closed_message(call: Call) -> str:
    """Filing a draft after the closing time."""
    return _("L’appel « %(title)s » est clos depuis le %(date)s (heure de Paris) : votre dossier n’a pas pu être déposé. "
             "Votre brouillon est conservé.", title=call.title, date=format_moment(call.closes_at))


def closed_to_new_message(call: Call) -> str:
    """Starting a dossier after the closing time: there is no draft to speak of."""
    return _("L’appel « %(title)s » est clos depuis le %(date)s (heure de Paris) : il ne reçoit plus de dossiers.",
             title=call.title, date=format_moment(call.closes_at))


def _from_sheet(sheet) -> dict:
    """The answers of her fiche produit that the model form asks for: the name, « le drame », the solution, the
    first users and partners (both parts of the fiche that speak of them)."""
    content = sheet_queries.get_version(sheet, sheet.current_version).content if sheet.current_version else {}
    first_users = "\n\n".join(text.strip() for text in (content.get("s2_first_users"), content.get("s1_partners"))
                              if (text or "").strip())
    return {"title": (content.get("name") or sheet.title or "").strip(), "problem": content.get("s1_problem") or "",
            "solution": content.get("s1_solution") or "", "first_users": first_users}


JUROR_CANNOT_FILE = _l("Vous êtes membre du jury de cet appel : vous ne pouvez pas y déposer de projet.")


def start_dossier(call: Call, user, *, sheet=None, submission_key: str | None = None,
                  now: datetime | None = None) -> Dossier:
    """A new draft dossier of `user` to `call`, pre-filled from her fiche produit `sheet` if given (the link kept).
    The same « Commencer » form sent twice starts one dossier (its one-time key)."""
    now = now or utcnow()
    earlier = earlier_submission(Dossier, submission_key, lock=(Call, call.id), owner_id=user.id)
    if earlier is not None:
        return earlier
    if not call.is_open(now):
        raise CallError(closed_to_new_message(call) if now > call.closes_at else _("Cet appel n’est pas encore ouvert."))
    if sheet is not None and sheet.owner_id != user.id:
        raise CallError(_("Choisissez une de vos fiches produit."))
    if call.is_juror(user):
        raise CallError(JUROR_CANNOT_FILE)
    dossier = Dossier(call_id=call.id, owner_id=user.id, sheet_id=sheet.id if sheet else None,
                      submission_key=submission_key, state=DossierState.DRAFT,
                      **(_from_sheet(sheet) if sheet is not None else {}))
    db.session.add(dossier)
    db.session.flush()
    record_creation(dossier, DossierState.DRAFT, actor=user, now=now)
    return dossier


class Saved(StrEnum):
    DRAFT = "draft"  # saved, not filed
    INCOMPLETE = "incomplete"  # saved, but filing it needs more answers
    CLOSED = "closed"  # saved as a draft; filing it came after the closing time
    SUBMITTED = "submitted"  # filed now
    ALREADY_SUBMITTED = "already_submitted"  # a second click: filed by the first one, nothing changed


@dataclass
class SavedDossier:
    dossier: Dossier
    outcome: Saved
    missing: tuple = ()


ANSWER_KEYS = ("title", "problem", "solution", "first_users", "opinion", "callback", "consent_guide", "consent_share")


def missing_answers(dossier: Dossier) -> list[str]:
    required = ["title", *(q.key for q in QUESTIONS if q.required), "callback", "consent_guide", "consent_share"]
    return [key for key in required if not (getattr(dossier, key).strip() if isinstance(getattr(dossier, key), str)
                                            else getattr(dossier, key))]


class StaleDossier(CallError):
    """Saved from a page older than the dossier: another tab or device saved other answers since."""

    def __init__(self, latest: int):
        super().__init__(_("Ce dossier a été enregistré depuis un autre onglet ou appareil : ce que vous venez de taper "
                           "n’a pas été enregistré, pour ne pas effacer l’autre version. Il reste sur cette page : "
                           "téléchargez-le, puis rechargez la page pour reprendre la dernière version."))
        self.latest = latest


def save_dossier(dossier: Dossier, *, actor, values: dict, submit: bool = False, base_version: int | None = None,
                 now: datetime | None = None) -> SavedDossier:
    """Save her answers; file the dossier if she asked (`submit`), it is complete and the call is still open
    (its closing second included). After the closing time the answers are kept as a draft (CLOSED): nothing
    she typed is lost, but it is not filed. A second « Déposer » of the same dossier changes nothing.
    `base_version`: the version the page was showing; behind the dossier's, answers that differ from the saved
    ones are refused (StaleDossier) rather than written over another tab's (the same answers pass: a double
    click)."""
    now = now or utcnow()
    lock_for_update(Dossier, dossier.id)  # two clicks of one double click queue here
    db.session.refresh(dossier)
    if dossier.state != DossierState.DRAFT:
        return SavedDossier(dossier, Saved.ALREADY_SUBMITTED)
    changed = [key for key in ANSWER_KEYS if key in values and getattr(dossier, key) != values[key]]
    if changed and base_version is not None and base_version != dossier.version:
        raise StaleDossier(dossier.version)
    for key in changed:
        setattr(dossier, key, values[key])
    if changed:
        dossier.version += 1
    db.session.flush()
    if not submit:
        return SavedDossier(dossier, Saved.DRAFT)
    missing = missing_answers(dossier)
    if missing:
        return SavedDossier(dossier, Saved.INCOMPLETE, tuple(missing))
    if not dossier.call.is_open(now):
        return SavedDossier(dossier, Saved.CLOSED)
    with db.session.no_autoflush:  # state and submitted_at go together (CHECK constraint)
        transition(dossier, DOSSIER_TRANSITIONS, DossierState.SUBMITTED, actor=actor, now=now)
        dossier.submitted_at = now
    db.session.flush()
    emails.queue_submitted(dossier)
    return SavedDossier(dossier, Saved.SUBMITTED)


# --- Pre-selection -----------------------------------------------------------------------------------------


def evaluate_dossier(dossier: Dossier, *, reviewer, scores: list[dict]) -> DossierEvaluation:
    """Her scores (1–5 per criterion, with a comment) of the dossier: one evaluation per reviewer, edited in place."""
    if not scores or any(not 1 <= item["score"] <= 5 for item in scores):
        raise CallError(_("Donnez une note de 1 à 5 à chaque critère."))
    average = sum(item["score"] for item in scores) / len(scores)
    return upsert(DossierEvaluation, {"dossier_id": dossier.id, "reviewer_id": reviewer.id},
                  {"scores": scores, "average": average})


def count_preselected(call_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Dossier)
                             .where(Dossier.call_id == call_id, Dossier.state == DossierState.PRESELECTED))


def _locked_call(dossier: Dossier) -> Call:
    lock_for_update(Call, dossier.call_id)  # the pre-selection count is checked and changed under this lock
    db.session.refresh(dossier)
    call = db.session.get(Call, dossier.call_id, populate_existing=True)
    if call.informed_at is not None:
        raise CallError(_("Les candidat·es ont déjà été informé·es du résultat de la pré-sélection : elle ne change plus."))
    return call


def preselect_dossier(dossier: Dossier, *, actor, now: datetime | None = None) -> bool:
    """Pre-select the dossier, up to the call's number. False if it already was (a second click)."""
    call = _locked_call(dossier)
    if dossier.state == DossierState.PRESELECTED:
        return False
    if count_preselected(call.id) >= call.preselect_count:
        raise CallError(_("Vous avez déjà pré-sélectionné %(n)s projets, le nombre prévu pour cet appel : retirez-en un "
                          "d’abord, ou changez ce nombre dans les réglages de l’appel.", n=call.preselect_count))
    transition(dossier, DOSSIER_TRANSITIONS, DossierState.PRESELECTED, actor=actor, now=now)
    db.session.flush()
    return True


def unselect_dossier(dossier: Dossier, *, actor, now: datetime | None = None) -> bool:
    """Take the dossier out of the pre-selection (before the candidates are informed). False if it was not in it."""
    _locked_call(dossier)
    if dossier.state == DossierState.SUBMITTED:
        return False
    transition(dossier, DOSSIER_TRANSITIONS, DossierState.SUBMITTED, actor=actor, now=now)
    db.session.flush()
    return True


@dataclass
class Informed:
    preselected: int
    others: int
    already: bool = False


def inform_candidates(call: Call, *, actor, coaching_at: datetime, coaching_place: str, preselected_subject: str,
                      preselected_body: str, others_subject: str, others_body: str,
                      now: datetime | None = None) -> Informed:
    """Tell every candidate the outcome, once: the pre-selected are offered the express coaching slot, the filed
    dossiers left out become « non retenus ». Sent a second time (double click), it does nothing."""
    now = now or utcnow()
    lock_for_update(Call, call.id)
    db.session.refresh(call)
    if call.informed_at is not None:
        return Informed(0, 0, already=True)
    if now <= call.closes_at:  # a candidate may still file: the outcome is not known yet
        raise CallError(_("L’appel est ouvert jusqu’au %(date)s : informez les candidat·es après sa clôture.",
                          date=format_moment(call.closes_at)))
    if coaching_at <= now:
        raise CallError(_("La session de coaching est proposée aux pré-sélectionné·es : choisissez une date à venir."),
                        field="coaching_at")
    dossiers = list(db.session.scalars(
        sa.select(Dossier).where(Dossier.call_id == call.id,
                                 Dossier.state.in_([DossierState.PRESELECTED, DossierState.SUBMITTED]))
        .order_by(Dossier.id)
    ))
    if not any(d.state == DossierState.PRESELECTED for d in dossiers):
        raise CallError(_("Aucun dossier n’est pré-sélectionné : pré-sélectionnez d’abord les projets retenus."))
    call.informed_at, call.coaching_at, call.coaching_place = now, coaching_at, coaching_place
    counts = Informed(0, 0)
    for dossier in dossiers:
        if dossier.state == DossierState.PRESELECTED:
            emails.queue_preselected(dossier, subject=preselected_subject, body=preselected_body)
            counts.preselected += 1
        else:
            transition(dossier, DOSSIER_TRANSITIONS, DossierState.NOT_PRESELECTED, actor=actor, now=now)
            emails.queue_not_preselected(dossier, subject=others_subject, body=others_body)
            counts.others += 1
    db.session.flush()
    return counts


# --- Jury ----------------------------------------------------------------------------------------------------


def invite_juror(call: Call, *, actor, email: str) -> tuple[CallJuror, bool]:
    """Make `email` a juror of the call (10 at most): her account if she has one, else an invitation to create
    it with this address. False if she already was (a second click): nothing is sent twice."""
    from beta_training.accounts.services import get_user_by_email, normalize_email

    email = normalize_email(email)
    lock_for_update(Call, call.id)  # the count of jurors is checked and changed under this lock
    existing = db.session.scalar(sa.select(CallJuror).where(CallJuror.call_id == call.id, CallJuror.email == email))
    if existing is not None:
        return existing, False
    if db.session.scalar(sa.select(sa.exists().where(
            Dossier.call_id == call.id, Dossier.state != DossierState.DRAFT, Dossier.owner_id == User.id,
            sa.func.lower(User.email) == email))):
        raise CallError(_("%(e)s a déposé un dossier à cet appel : cette personne ne peut pas en être membre du jury.", e=email),
                        field="email")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(CallJuror).where(CallJuror.call_id == call.id))
    if count >= MAX_JURORS:
        raise CallError(_("Le jury compte déjà %(n)s personnes, le maximum.", n=MAX_JURORS), field="email")
    user = get_user_by_email(email)
    juror = CallJuror(call_id=call.id, email=email, user_id=user.id if user is not None else None,
                      invited_by_id=actor.id if actor else None)
    db.session.add(juror)
    db.session.flush()
    emails.queue_juror_invitation(juror, call, has_account=user is not None)
    return juror, True


def remove_juror(call: Call, juror_id: int, *, now: datetime | None = None) -> CallJuror | None:
    """Take her off the jury (a wrong address, a juror who cannot come): she is told, and the session she was
    sent comes out of her calendar. Refused once she has scored a pitch: her scores are part of the deliberation.
    None if she is no longer on it (a second click)."""
    lock_for_update(Call, call.id)
    juror = db.session.scalar(sa.select(CallJuror).where(CallJuror.id == juror_id, CallJuror.call_id == call.id))
    if juror is None:
        return None
    if juror.user_id is not None and db.session.scalar(sa.select(sa.exists().where(
            JuryScore.juror_id == juror.user_id, JuryScore.dossier_id == Dossier.id, Dossier.call_id == call.id))):
        raise CallError(_("%(name)s a déjà noté des pitchs : ses notes comptent dans la délibération, elle reste au jury.",
                          name=juror.display_name))
    emails.queue_juror_removal(juror, call, sent_session=_sent_session(juror), now=now)
    db.session.delete(juror)
    db.session.flush()
    return juror


def _sent_session(row: CallJuror | Dossier) -> tuple | None:
    """The session's (a juror's) or the pitch's (a candidate's) start and end last emailed to her, if any
    (send_timetable's signature)."""
    if not row.slot_sent:
        return None
    starts, ends = row.slot_sent.split("|")[:2]  # ISO moments with their offset: back to the Paris zone
    return datetime.fromisoformat(starts).astimezone(PARIS), datetime.fromisoformat(ends).astimezone(PARIS)


def jury_dossiers(call: Call) -> list[Dossier]:
    """The dossiers the jury hears, in the timetable's order."""
    return list(db.session.scalars(
        sa.select(Dossier).where(Dossier.call_id == call.id, Dossier.state.in_(JURY_STATES))
        .order_by(sa.func.coalesce(Dossier.jury_position, 1_000_000), Dossier.id)))


def set_jury_session(call: Call, *, jury_on, jury_starts_at, jury_place: str, pitch_minutes: int,
                     questions_minutes: int, break_minutes: int) -> Call:
    """The jury hears the pre-selected projects after the call has closed: on its closing day at the earliest."""
    closing_day = to_paris(call.closes_at).date()
    if jury_on < closing_day:
        raise CallError(_("L’appel se clôt le %(d)s : la séance du jury a lieu ce jour-là ou après.",
                          d=format_day(closing_day)), field="jury_on")
    call.jury_on, call.jury_starts_at, call.jury_place = jury_on, jury_starts_at, jury_place
    call.pitch_minutes, call.questions_minutes, call.break_minutes = pitch_minutes, questions_minutes, break_minutes
    db.session.flush()
    return call


def move_in_timetable(dossier: Dossier, *, direction: str, position: int) -> bool:
    """Swap the dossier with the one before (up) or after (down) it in the timetable, if it still is at
    `position` (where the page showed it: a second click finds it moved). False at either end, or if moved."""
    lock_for_update(Call, dossier.call_id)
    order = jury_dossiers(dossier.call)
    index = next(i for i, d in enumerate(order) if d.id == dossier.id)
    if index != position:
        return False
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        return False
    order[index], order[other] = order[other], order[index]
    for position, item in enumerate(order):
        item.jury_position = position
    db.session.flush()
    return True


@dataclass
class TimetableSent:
    candidates: int
    jurors: int


def _mark_sent(row: Dossier | CallJuror, signature: str) -> bool | None:
    """None if `row` was already sent this very slot; else whether this sending is an update (the same event,
    SEQUENCE + 1) — the row is marked sent."""
    if row.slot_sent == signature:
        return None
    update = bool(row.slot_sent)
    row.slot_sequence += 1 if update else 0
    row.slot_sent = signature
    return update


def _signature(*parts) -> str:
    return "|".join(str(part) for part in parts)[:400]


def send_timetable(call: Call, *, now: datetime | None = None) -> TimetableSent:
    """Email each candidate her pitch slot and each juror the session, as ICS: once, and again (SEQUENCE + 1)
    to those whose slot changed since. Sent twice, the second sending finds nothing changed."""
    lock_for_update(Call, call.id)
    db.session.refresh(call)
    if not call.has_jury_session:
        raise CallError(_("Indiquez d’abord la date, l’heure et le lieu de la séance du jury."))
    slots = timetable(call, jury_dossiers(call))
    if not slots:
        raise CallError(_("Aucun dossier n’est pré-sélectionné : il n’y a pas de créneau à envoyer."))
    sent = TimetableSent(0, 0)
    for slot in slots:
        dossier = slot.dossier
        if dossier.owner is None:
            continue
        update = _mark_sent(dossier, _signature(slot.starts_at.isoformat(), slot.ends_at.isoformat(), call.jury_place))
        if update is not None:
            emails.queue_pitch_slot(dossier, call, slot, update=update, now=now)
            sent.candidates += 1
    start, end = slots[0].starts_at, slots[-1].ends_at
    signature = _signature(start.isoformat(), end.isoformat(), call.jury_place,
                           ",".join(str(slot.dossier.id) for slot in slots))  # the order is in the juror's event
    for juror in db.session.scalars(sa.select(CallJuror).where(CallJuror.call_id == call.id).order_by(CallJuror.id)):
        update = _mark_sent(juror, signature)
        if update is not None:
            emails.queue_jury_session(juror, call, slots, update=update, now=now)
            sent.jurors += 1
    db.session.flush()
    return sent


class StaleScore(CallError):
    """The pitch's scoring is over (the decision recorded): what the juror typed is shown back, not saved."""


def score_pitch(dossier: Dossier, *, juror, scores: list[dict]) -> JuryScore:
    """Her scores (1–5 per criterion, with a comment) of the pitch: one per juror and dossier, edited in place
    until the decision is recorded."""
    lock_for_update(Dossier, dossier.id)
    db.session.refresh(dossier)
    if dossier.state != DossierState.PRESELECTED:
        raise StaleScore(_("La décision sur « %(t)s » est déjà prise : votre note n’a pas été enregistrée. Votre texte "
                           "reste affiché ci-dessous pour que vous puissiez le copier.", t=dossier.display_title))
    if dossier.owner_id == juror.id:
        raise CallError(_("C’est votre propre projet : vous ne le notez pas."))
    if not scores or any(not 1 <= item["score"] <= 5 for item in scores):
        raise CallError(_("Donnez une note de 1 à 5 à chaque critère."))
    average = sum(item["score"] for item in scores) / len(scores)
    return upsert(JuryScore, {"dossier_id": dossier.id, "juror_id": juror.id}, {"scores": scores, "average": average})


def withdraw_dossier(dossier: Dossier, *, actor, reason: str = "", now: datetime | None = None) -> bool:
    """Its candidate takes a filed dossier back (recorded, with her reason if she gives one); she is emailed a
    receipt, and a pitch slot she was sent comes out of her calendar. False if it already was (a second click)."""
    lock_for_update(Dossier, dossier.id)
    db.session.refresh(dossier)
    if dossier.state == DossierState.WITHDRAWN:
        return False
    if dossier.state not in WITHDRAWABLE_STATES:
        raise CallError(_("Ce dossier n’est plus en cours d’examen (%(state)s) : il ne peut plus être retiré.",
                          state=dossier.state_label))
    transition(dossier, DOSSIER_TRANSITIONS, DossierState.WITHDRAWN, actor=actor,
               reason=reason.strip()[:300] or _("Retiré par son auteur ou son autrice"), now=now)
    db.session.flush()
    emails.queue_withdrawn(dossier, sent_slot=_sent_session(dossier), now=now)
    return True


def decide(dossier: Dossier, *, actor, decision: DossierState, reason: str, subject: str, body: str,
           now: datetime | None = None) -> bool:
    """Record the jury's decision on a pre-selected dossier with its reason (the state's move, who, when, why)
    and email it to the candidate, once: a second click finds it decided and sends nothing. False then."""
    if decision not in JURY_DECISIONS:
        raise CallError(_("Choisissez une décision."))
    lock_for_update(Dossier, dossier.id)
    db.session.refresh(dossier)
    if dossier.state == decision:
        return False
    if dossier.call.jury_on is not None and dossier.call.jury_on > to_paris(now or utcnow()).date():
        raise CallError(_("La séance du jury a lieu le %(d)s : ses décisions se prennent ce jour-là ou après, une fois "
                          "les pitchs entendus.", d=format_day(dossier.call.jury_on)))
    if not reason.strip():
        raise CallError(_("Indiquez la raison de la décision."), field="reason")
    transition(dossier, DOSSIER_TRANSITIONS, decision, actor=actor, reason=reason.strip(), now=now)
    dossier.decision_reason = reason.strip()
    db.session.flush()
    emails.queue_decision(dossier, subject=subject, body=body)
    return True
