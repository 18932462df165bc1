"""Write side of the appel à intrapreneurs. Services take the acting user and values, flush, never commit."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _

from beta_training.calls import emails
from beta_training.calls.models import (
    DOSSIER_TRANSITIONS,
    QUESTIONS,
    Call,
    Dossier,
    DossierEvaluation,
    DossierState,
)
from beta_training.core.db import earlier_submission, lock_for_update
from beta_training.core.i18n import format_moment, ngettext
from beta_training.core.models import upsert, utcnow
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


def update_call(call: Call, *, actor, title: str, incubator: str, opens_at: datetime, closes_at: datetime, guide: str,
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


def save_dossier(dossier: Dossier, *, actor, values: dict, submit: bool = False, now: datetime | None = None) -> SavedDossier:
    """Save her answers; file the dossier if she asked (`submit`), it is complete and the call is still open
    (its closing second included). After the closing time the answers are kept as a draft (CLOSED): nothing
    she typed is lost, but it is not filed. A second « Déposer » of the same dossier changes nothing."""
    now = now or utcnow()
    lock_for_update(Dossier, dossier.id)  # two clicks of one double click queue here
    db.session.refresh(dossier)
    if dossier.state != DossierState.DRAFT:
        return SavedDossier(dossier, Saved.ALREADY_SUBMITTED)
    for key in ANSWER_KEYS:
        if key in values and getattr(dossier, key) != values[key]:
            setattr(dossier, key, values[key])
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
