from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.cohorts import queries, services
from beta_training.cohorts.models import ApplicationState, CohortApplication
from beta_training.core.models import OutboxMessage, StateChange, utcnow
from beta_training.core.states import InvalidTransition
from beta_training.extensions import db
from tests.factories import (
    COMPLETE_ANSWERS,
    make_application,
    make_application_review,
    make_cohort,
    make_user,
)
from tests.records import timeline_of


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def trainer(app):
    return make_user(roles=[Role.TRAINER])


def _subjects():
    return [m.subject for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))]


def _states(cohort):
    return {a.user.email: a.state for a in db.session.scalars(sa.select(CohortApplication).where(CohortApplication.cohort_id == cohort.id))}


# --- Applying -------------------------------------------------------------------------------------------


def test_start_prefills_from_the_profile_and_is_idempotent(ctx):
    user = make_user(administration="DINUM", departement="75", job_title="Cheffe de projet")
    cohort = make_cohort()
    first = services.start_application(cohort, user)
    again = services.start_application(cohort, user)
    assert first.id == again.id and first.state == ApplicationState.DRAFT
    assert (first.administration, first.departement, first.job_title) == ("DINUM", "75", "Cheffe de projet")


def test_submit_needs_every_answer(ctx):
    user = make_user()
    application = services.start_application(make_cohort(), user)
    with pytest.raises(services.ApplicationError):
        services.submit_application(application, actor=user)
    assert set(services.missing_answers(application)) >= {"problem", "consent_guide", "consent_share"}
    services.save_answers(application, actor=user, values=COMPLETE_ANSWERS)
    assert services.submit_application(application, actor=user) is True
    assert services.submit_application(application, actor=user) is False  # double submit: nothing more
    assert application.state == ApplicationState.SUBMITTED
    assert _subjects().count(f"Candidature reçue : {application.cohort.title}") == 1


def test_saving_the_form_is_one_step_from_a_draft_to_a_sent_application(ctx):
    """save_application: created on the first save, kept a draft until « Envoyer », not sent while an answer is
    missing, sent once, then edited while it stays complete (a change that empties an answer changes nothing)."""
    user = make_user()
    cohort = make_cohort()
    Saved = services.Saved

    draft = services.save_application(cohort, user, values={"problem": "Un problème"})
    assert (draft.outcome, draft.application.state, draft.application.problem) == (Saved.DRAFT, "draft", "Un problème")

    incomplete = services.save_application(cohort, user, values={"solution": "Une solution"}, send=True)
    assert incomplete.outcome == Saved.INCOMPLETE and incomplete.application.id == draft.application.id
    assert "motivation" in incomplete.missing and "problem" not in incomplete.missing
    assert (incomplete.application.state, incomplete.application.solution) == ("draft", "Une solution")

    sent = services.save_application(cohort, user, values=COMPLETE_ANSWERS, send=True)
    assert (sent.outcome, sent.application.state) == (Saved.SENT, ApplicationState.SUBMITTED)
    updated = services.save_application(cohort, user, values={"motivation": "Plus encore"})  # « Enregistrer » once sent
    assert (updated.outcome, updated.application.state, updated.application.motivation) == (
        Saved.UPDATED, ApplicationState.SUBMITTED, "Plus encore")
    assert _subjects().count(f"Candidature reçue : {cohort.title}") == 1

    with pytest.raises(services.IncompleteAnswers) as refused:
        services.save_application(cohort, user, values={"motivation": " ", "needs": "Rampe d’accès"})
    assert refused.value.missing == ["motivation"]


def test_saving_the_form_is_refused_once_applications_are_closed(ctx):
    cohort = make_cohort()
    now = cohort.applications_close_at + timedelta(seconds=1)
    with pytest.raises(services.ApplicationError, match="closes"):
        services.save_application(cohort, make_user(), values=COMPLETE_ANSWERS, send=True, now=now)


def test_answers_are_cut_to_their_limits(ctx):
    user = make_user()
    application = services.start_application(make_cohort(), user)
    services.save_answers(application, actor=user, values={"problem": "x" * 5000})
    assert len(application.problem) == 1500


@pytest.mark.parametrize("opens,closes,message", [
    (timedelta(minutes=1), timedelta(days=3), "pas encore ouvertes"),
    (-timedelta(days=3), -timedelta(seconds=1), "closes"),
])
def test_window_is_enforced_to_the_second(ctx, opens, closes, message):
    now = utcnow()
    cohort = make_cohort(applications_open_at=now + opens, applications_close_at=now + closes)
    with pytest.raises(services.ApplicationError, match=message):
        services.start_application(cohort, make_user(), now=now)


def test_window_edges(ctx):
    now = utcnow()
    cohort = make_cohort(applications_open_at=now, applications_close_at=now + timedelta(days=1))
    assert services.start_application(cohort, make_user(), now=now)  # opening instant is inside
    with pytest.raises(services.ApplicationError):
        services.start_application(cohort, make_user(), now=now + timedelta(days=1))  # closing instant is outside


# --- Seats ----------------------------------------------------------------------------------------------


def test_accept_offers_a_seat_with_a_deadline_and_mails_it(ctx, trainer):
    cohort = make_cohort(seats=2, confirmation_delay_days=5)
    application = make_application(cohort)
    now = utcnow()
    services.accept_application(application, actor=trainer, now=now)
    assert application.state == ApplicationState.ACCEPTED
    assert application.offer_expires_at == now + timedelta(days=5)
    assert _subjects() == [f"Une place vous est proposée : {cohort.title}"]
    change = db.session.scalars(sa.select(StateChange).where(StateChange.subject_id == application.id)).all()[-1]
    assert (change.from_state, change.to_state, change.actor_id) == ("submitted", "accepted", trainer.id)


def test_accept_refuses_when_seats_are_taken(ctx, trainer):
    cohort = make_cohort(seats=1)
    make_application(cohort, state="confirmed")
    with pytest.raises(services.NoSeatLeft, match="Plus aucune place"):
        services.accept_application(make_application(cohort), actor=trainer)


def test_waitlist_positions_and_ranks(ctx, trainer):
    cohort = make_cohort()
    first, second, third = (make_application(cohort) for _ in range(3))
    for application in (first, second, third):
        services.waitlist_application(application, actor=trainer)
    assert [queries.waitlist_rank(a) for a in (first, second, third)] == [1, 2, 3]
    services.withdraw_application(first, actor=first.user)
    assert [queries.waitlist_rank(a) for a in (second, third)] == [1, 2]


@pytest.mark.parametrize("how", ["decline", "withdraw_accepted", "withdraw_confirmed", "reject_accepted", "expire"])
def test_a_freed_seat_goes_to_the_first_on_the_waiting_list(ctx, trainer, how):
    cohort = make_cohort(seats=1, confirmation_delay_days=3)
    holder = make_application(cohort, state="confirmed" if how == "withdraw_confirmed" else "accepted")
    first = make_application(cohort, state="waitlisted", waitlist_position=1)
    second = make_application(cohort, state="waitlisted", waitlist_position=2)
    now = utcnow()
    if how == "decline":
        services.decline_seat(holder, actor=holder.user, now=now)
    elif how.startswith("withdraw"):
        services.withdraw_application(holder, actor=holder.user, now=now)
    elif how == "reject_accepted":
        services.reject_application(holder, actor=trainer, reason="Absent du territoire", now=now)
    else:
        holder.offer_expires_at = now - timedelta(minutes=1)
        db.session.flush()
        assert services.expire_offers(now=now) == 1
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.state == ApplicationState.ACCEPTED and first.offer_expires_at == now + timedelta(days=3)
    assert first.waitlist_position is None
    assert second.state == ApplicationState.WAITLISTED and queries.waitlist_rank(second) == 1
    assert queries.count_seat_holders(cohort.id) == 1
    assert f"Une place vous est proposée : {cohort.title}" in _subjects()


def test_expire_offers_is_idempotent(ctx):
    cohort = make_cohort(seats=2)
    offer = make_application(cohort, state="accepted")
    offer.offer_expires_at = utcnow() - timedelta(hours=1)
    db.session.flush()
    assert services.expire_offers() == 1
    assert services.expire_offers() == 0
    db.session.refresh(offer)
    assert offer.state == ApplicationState.EXPIRED
    assert _subjects().count(f"Offre expirée : {cohort.title}") == 1


def test_no_promotion_once_the_session_has_started(ctx, trainer):
    cohort = make_cohort(seats=1, starts_on=date.today())
    holder = make_application(cohort, state="accepted")
    waiting = make_application(cohort, state="waitlisted")
    services.decline_seat(holder, actor=holder.user)
    db.session.refresh(waiting)
    assert waiting.state == ApplicationState.WAITLISTED


def test_confirm_before_deadline_only_and_idempotent(ctx):
    cohort = make_cohort()
    application = make_application(cohort, state="accepted")
    services.confirm_seat(application, actor=application.user)
    services.confirm_seat(application, actor=application.user)
    assert application.state == ApplicationState.CONFIRMED
    assert _subjects().count(f"Place confirmée : {cohort.title}") == 1
    late = make_application(cohort, state="accepted")
    late.offer_expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    with pytest.raises(services.ApplicationError, match="délai"):
        services.confirm_seat(late, actor=late.user)


def test_impossible_moves_are_refused(ctx, trainer):
    application = make_application(state="rejected")
    with pytest.raises(InvalidTransition):
        services.accept_application(application, actor=trainer)
    with pytest.raises(InvalidTransition):
        services.confirm_seat(make_application(state="submitted"), actor=trainer)


def test_bulk_decisions_report_each_outcome(ctx, trainer):
    cohort = make_cohort(seats=2)
    applications = [make_application(cohort) for _ in range(3)]
    outcomes = services.decide_in_bulk(applications, "accept", actor=trainer)
    assert [error is None for _, error in outcomes] == [True, True, False]
    assert "Plus aucune place" in outcomes[2][1]
    assert queries.count_seat_holders(cohort.id) == 2


def test_rejection_reason_is_mailed(ctx, trainer):
    application = make_application()
    services.reject_application(application, actor=trainer, reason="Projet hors du champ de la session.")
    message = db.session.scalar(sa.select(OutboxMessage))
    assert "Projet hors du champ de la session." in message.text_body


# --- Reminders, reviews, attendance, alumni, bulk email --------------------------------------------------


def test_reminders_go_once(ctx):
    now = utcnow()
    soon = make_cohort(starts_on=(now + timedelta(days=2)).date())
    expiring = make_application(soon, state="accepted", offer_expires_at=now + timedelta(hours=30))
    make_application(soon, state="accepted", offer_expires_at=now + timedelta(days=5))
    make_application(soon, state="confirmed")
    make_application(make_cohort(starts_on=(now + timedelta(days=10)).date()), state="confirmed")
    assert services.send_reminders(now=now) == {"offers": 1, "sessions": 1}
    assert services.send_reminders(now=now) == {"offers": 0, "sessions": 0}
    assert expiring.offer_reminder_sent_at == now


def test_reviews_are_one_per_reviewer_and_averaged(ctx, trainer):
    application = make_application()
    services.record_review(application, reviewer=trainer, problem_score=5, motivation_score=4, solution_score=3)
    services.record_review(application, reviewer=trainer, problem_score=1, motivation_score=1, solution_score=1, comment="Revu")
    make_application_review(application, problem_score=5, motivation_score=5, solution_score=5)
    scores = queries.application_scores(application.id)
    assert scores.reviews == 2
    assert (scores.problem_score, scores.overall) == (3, 3)


def test_attendance_makes_alumni(ctx, trainer):
    cohort = make_cohort(starts_on=date.today() - timedelta(days=1))  # attendance is marked once it has started
    present, absent = make_application(cohort, state="confirmed"), make_application(cohort, state="confirmed")
    assert services.mark_attendance(cohort, actor=trainer, attended_ids={present.id}) == 1
    assert queries.is_alumni(present.user) and not queries.is_alumni(absent.user)
    services.save_alumni_profile(present.user, listed=True, project="Mon suivi", contact="@moi")
    with pytest.raises(services.ApplicationError):
        services.save_alumni_profile(absent.user, listed=True, project="", contact="")
    found = db.session.scalars(queries.alumni_directory_query("suivi")).all()
    assert [p.user_id for p in found] == [present.user_id]


def test_attendance_records_who_marked_each_presence_and_when(ctx, trainer):
    cohort = make_cohort()
    present, absent = make_application(cohort, state="confirmed"), make_application(cohort, state="confirmed")
    monday, tuesday = datetime(2027, 3, 1, 17, tzinfo=UTC), datetime(2027, 3, 2, 17, tzinfo=UTC)
    services.mark_attendance(cohort, actor=trainer, attended_ids={present.id}, now=monday)
    assert timeline_of(present) == [
        ("confirmed", "confirmed", trainer.id, "Présence à la session : oui.", monday)]
    assert timeline_of(absent) == [("confirmed", "confirmed", trainer.id, "Présence à la session : non.", monday)]
    # The same register sent again changes nothing, so records nothing; a correction is recorded, by its author.
    services.mark_attendance(cohort, actor=trainer, attended_ids={present.id}, now=tuesday)
    other_trainer = make_user(roles=[Role.TRAINER])
    services.mark_attendance(cohort, actor=other_trainer, attended_ids={present.id, absent.id}, now=tuesday)
    assert len(timeline_of(present)) == 1
    assert timeline_of(absent)[1:] == [("confirmed", "confirmed", other_trainer.id, "Présence à la session : oui.", tuesday)]


def test_editing_a_session_records_who_changed_which_fields(ctx, trainer):
    cohort = make_cohort(seats=28, title="Alpha Lyon", status="published")
    when = datetime(2027, 1, 5, 9, tzinfo=UTC)
    services.update_cohort(cohort, actor=trainer, now=when, title="Alpha Lyon 2027", seats=24, edition=cohort.edition)
    assert (cohort.title, cohort.seats) == ("Alpha Lyon 2027", 24)
    assert timeline_of(cohort) == [
        ("published", "published", trainer.id, "Modifiée : Titre, Nombre de places.", when)]
    services.update_cohort(cohort, actor=trainer, now=when, title="Alpha Lyon 2027", seats=24)  # nothing changed
    assert len(timeline_of(cohort)) == 1


def test_bulk_email_reaches_only_the_audience(ctx, trainer):
    cohort = make_cohort()
    make_application(cohort, state="confirmed")
    make_application(cohort, state="confirmed")
    make_application(cohort, state="waitlisted")
    record = services.send_bulk_email(cohort, actor=trainer, audience="confirmed", subject="Infos pratiques", body="**Salle 3**")
    assert (record.recipient_count, record.sender_id, record.audience, record.cohort_id) == (2, trainer.id, "confirmed", cohort.id)
    assert _subjects() == ["Infos pratiques", "Infos pratiques"]
