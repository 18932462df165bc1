"""Read side of the appel à intrapreneurs."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from beta_training.calls.models import (
    JURY_STATES,
    Call,
    CallJuror,
    Dossier,
    DossierEvaluation,
    DossierState,
    JuryScore,
    is_call_staff,
    juror_clause,
)
from beta_training.accounts.models import User
from beta_training.core.models import StateChange
from beta_training.core.page_cache import earliest_after
from beta_training.extensions import db


def list_calls(user, now: datetime) -> list[Call]:
    """The calls a person may read: those opened (anyone), and those to come for the call's team."""
    select = sa.select(Call).order_by(Call.closes_at.desc(), Call.id.desc())
    if not is_call_staff(user):
        select = select.where(Call.opens_at <= now)
    return list(db.session.scalars(select))


CLOCK_TICK = timedelta(microseconds=1)


def open_calls(now: datetime) -> list[Call]:
    """The calls open now (home page), the one closing first first."""
    return list(db.session.scalars(sa.select(Call).where(Call.opens_at <= now, Call.closes_at >= now)
                                   .order_by(Call.closes_at, Call.id)))


def next_call_change(now: datetime) -> datetime | None:
    """The next moment a call opens or closes (page cache: the home page shows the open ones). A call is open
    through its closing second: it is gone from the page just after it, not at it."""
    opening = earliest_after(now, Call.opens_at)
    closing = earliest_after(now - CLOCK_TICK, Call.closes_at)
    moments = [moment for moment in (opening, closing and closing + CLOCK_TICK) if moment is not None]
    return min(moments) if moments else None


def list_user_dossiers(user) -> list[Dossier]:
    return list(db.session.scalars(
        sa.select(Dossier).where(Dossier.owner_id == user.id).order_by(Dossier.updated_at.desc(), Dossier.id.desc())
    ))


def user_dossiers_in(call: Call, user) -> list[Dossier]:
    if not (user is not None and user.is_authenticated):
        return []
    return list(db.session.scalars(
        sa.select(Dossier).where(Dossier.call_id == call.id, Dossier.owner_id == user.id).order_by(Dossier.id)
    ))


def evaluations_of(dossier: Dossier) -> list[DossierEvaluation]:
    return list(db.session.scalars(
        sa.select(DossierEvaluation).where(DossierEvaluation.dossier_id == dossier.id).order_by(DossierEvaluation.id)
    ))


def get_evaluation(dossier: Dossier, reviewer) -> DossierEvaluation | None:
    return db.session.scalar(sa.select(DossierEvaluation).where(
        DossierEvaluation.dossier_id == dossier.id, DossierEvaluation.reviewer_id == reviewer.id))


def timeline(dossier: Dossier) -> list[StateChange]:
    return list(db.session.scalars(
        sa.select(StateChange).where(StateChange.subject_type == Dossier.__tablename__, StateChange.subject_id == dossier.id)
        .order_by(StateChange.created_at, StateChange.id)
    ))


def state_counts(call: Call) -> dict[str, int]:
    rows = db.session.execute(sa.select(Dossier.state, sa.func.count()).where(Dossier.call_id == call.id)
                              .group_by(Dossier.state))
    return {state: count for state, count in rows}


def queue_query(call: Call, reviewer, *, state: str | None = None, min_score: int | None = None,
                sort: str = "score") -> sa.Select:
    """The call's filed dossiers, one row each: (Dossier, average score or None, number of evaluations, whether
    `reviewer` has evaluated it). One statement whatever the number of dossiers: the scores are aggregated in a
    subquery, sorted and filtered in SQL."""
    scores = (sa.select(DossierEvaluation.dossier_id.label("dossier_id"),
                        sa.func.avg(DossierEvaluation.average).label("average"),
                        sa.func.count(DossierEvaluation.id).label("evaluations"))
              .group_by(DossierEvaluation.dossier_id).subquery())
    mine = (sa.select(DossierEvaluation.id).where(DossierEvaluation.dossier_id == Dossier.id,
                                                  DossierEvaluation.reviewer_id == reviewer.id).exists())
    evaluations = sa.func.coalesce(scores.c.evaluations, 0)
    select = (sa.select(Dossier, scores.c.average, evaluations.label("evaluations"), mine.label("mine"))
              .outerjoin(scores, scores.c.dossier_id == Dossier.id)
              .where(Dossier.call_id == call.id, Dossier.state.notin_((DossierState.DRAFT, DossierState.WITHDRAWN))))
    if state:
        select = select.where(Dossier.state == state)
    if min_score:
        select = select.where(scores.c.average >= min_score)
    # Dossiers nobody has scored yet come last when sorting by score, whichever way.
    unscored_last = sa.case((scores.c.average.is_(None), 1), else_=0)
    order = {
        "score": (unscored_last, scores.c.average.desc()),
        "score_asc": (unscored_last, scores.c.average.asc()),
        "submitted": (Dossier.submitted_at.asc(),),
        "evaluations": (evaluations.asc(), Dossier.submitted_at.asc()),
    }.get(sort, (unscored_last, scores.c.average.desc()))
    return select.order_by(*order, Dossier.id)


# --- Jury ----------------------------------------------------------------------------------------------------


def jurors_of(call: Call) -> list[CallJuror]:
    """The call's jurors, each with `account`: the account invited, or the one since created and confirmed with the
    invited address (which is how she reaches the jury: call.is_juror)."""
    jurors = list(db.session.scalars(sa.select(CallJuror).where(CallJuror.call_id == call.id).order_by(CallJuror.id)))
    unlinked = [juror.email for juror in jurors if juror.user is None]
    by_email = {user.email.lower(): user for user in db.session.scalars(sa.select(User).where(
        sa.func.lower(User.email).in_(unlinked), User.email_confirmed_at.is_not(None)))} if unlinked else {}
    for juror in jurors:
        juror.account = juror.user or by_email.get(juror.email)
    return jurors


def calls_judged_by(user) -> list[Call]:
    """The calls whose jury she sits on."""
    if not (user is not None and user.is_authenticated):
        return []
    return list(db.session.scalars(sa.select(Call).join(CallJuror, CallJuror.call_id == Call.id)
                                   .where(juror_clause(user)).order_by(Call.closes_at.desc())))


def jury_scores_by(call: Call, juror) -> dict[int, JuryScore]:
    """Her scores of the call's pitches, by dossier id (one query)."""
    return {score.dossier_id: score for score in db.session.scalars(
        sa.select(JuryScore).join(Dossier, Dossier.id == JuryScore.dossier_id)
        .where(Dossier.call_id == call.id, JuryScore.juror_id == juror.id))}


def deliberation(call: Call) -> list:
    """The dossiers the jury heard, one row each: (Dossier, average of the jurors' averages, lowest, highest,
    number of scores), the best average first, unscored last. One statement whatever the number of dossiers."""
    scores = (sa.select(JuryScore.dossier_id.label("dossier_id"), sa.func.avg(JuryScore.average).label("average"),
                        sa.func.min(JuryScore.average).label("lowest"), sa.func.max(JuryScore.average).label("highest"),
                        sa.func.count(JuryScore.id).label("count"))
              .group_by(JuryScore.dossier_id).subquery())
    return list(db.session.execute(
        sa.select(Dossier, scores.c.average, scores.c.lowest, scores.c.highest,
                  sa.func.coalesce(scores.c.count, 0).label("count"))
        .outerjoin(scores, scores.c.dossier_id == Dossier.id)
        .where(Dossier.call_id == call.id, Dossier.state.in_(JURY_STATES))
        .order_by(sa.case((scores.c.average.is_(None), 1), else_=0), scores.c.average.desc(), Dossier.id)
        # The candidates' names only: their roles (a batch of selectin queries per 500 owners) are not read here.
        .options(sa.orm.defaultload(Dossier.owner).lazyload(User.roles))))


def all_jury_scores(call: Call) -> list[JuryScore]:
    """Every juror's scores of the call, for the minutes (one query)."""
    return list(db.session.scalars(sa.select(JuryScore).join(Dossier, Dossier.id == JuryScore.dossier_id)
                                   .where(Dossier.call_id == call.id).order_by(JuryScore.dossier_id, JuryScore.id)))
