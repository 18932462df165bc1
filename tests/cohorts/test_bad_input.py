"""Alpha sessions refuse values that would publish something false (issue #10, section 5): programme items
outside their session, a speaker's role rewritten in other sessions, fewer seats than people holding one,
attendance before the session, and alumni who withdrew. Each rule is shown through the pages a trainer
or candidate uses, and at the service level (which guards callers that skip the form)."""

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.cohorts import queries, services
from beta_training.cohorts.models import Cohort, CohortStatus, ProgrammeItem, Speaker
from beta_training.core.models import to_paris, utcnow
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import (
    make_alumni_profile,
    make_application,
    make_cohort,
    make_programme_item,
    make_speaker,
    make_user,
)


@pytest.fixture
def trainer(app):
    return make_user(roles=[Role.TRAINER])


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _field_error(page: str, field: str) -> str:
    """The first error message shown under a form field (DSFR markup of _macros/forms.html)."""
    match = re.search(rf'id="{field}-message-error-1">([^<]*)<', page)
    return match.group(1) if match else ""


def _today():
    return to_paris(utcnow()).date()


# --- Programme items: on a day of the session, ending after they start -------------------------------------


def _item_data(cohort, **values):
    return {"day": cohort.starts_on.isoformat(), "starts_at": "09:30", "ends_at": "12:00", "title": "Atelier", **values}


@pytest.mark.parametrize("values,field,message", [
    ({"day": "before"}, "day", "Choisissez un jour de la session"),
    ({"day": "after"}, "day", "Choisissez un jour de la session"),
    ({"starts_at": "14:00", "ends_at": "12:00"}, "ends_at", "L’heure de fin doit suivre l’heure de début."),
    ({"starts_at": "14:00", "ends_at": "14:00"}, "ends_at", "L’heure de fin doit suivre l’heure de début."),
])
def test_a_programme_item_outside_its_session_is_refused_with_a_field_error(client, trainer, values, field, message):
    cohort = make_cohort()
    days = {"before": (cohort.starts_on - timedelta(days=40)).isoformat(), "after": (cohort.ends_on + timedelta(days=1)).isoformat()}
    values = {k: days.get(v, v) for k, v in values.items()}
    existing = make_programme_item(cohort, title="Déjà là")
    login(client, trainer)

    added = client.post(f"/alpha/gestion/{cohort.id}/programme", data=_item_data(cohort, **values))
    assert added.status_code == 422 and _field_error(added.text, field).startswith(message)
    edited = client.post(f"/alpha/gestion/{cohort.id}/programme/{existing.id}", data=_item_data(cohort, title="Changé", **values))
    assert edited.status_code == 422 and _field_error(edited.text, field).startswith(message)

    items = db.session.execute(sa.select(ProgrammeItem.title, ProgrammeItem.day).where(ProgrammeItem.cohort_id == cohort.id)).all()
    assert items == [("Déjà là", cohort.starts_on)]


def test_the_last_day_and_an_item_without_end_are_accepted(client, trainer):
    cohort = make_cohort()
    login(client, trainer)
    response = client.post(f"/alpha/gestion/{cohort.id}/programme",
                           data=_item_data(cohort, day=cohort.ends_on.isoformat(), ends_at=""))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(ProgrammeItem.day).where(ProgrammeItem.cohort_id == cohort.id)) == cohort.ends_on


def test_the_programme_service_guards_dates_too(ctx):
    cohort = make_cohort()
    with pytest.raises(services.InvalidValue) as refused:
        services.save_programme_item(cohort, day=cohort.starts_on - timedelta(days=1), starts_at=None, ends_at=None, title="Avant")
    assert refused.value.field == "day"
    item = make_programme_item(cohort)
    with pytest.raises(services.InvalidValue) as refused:
        services.save_programme_item(cohort, item=item, starts_at=time(11), ends_at=time(10))
    assert refused.value.field == "ends_at"
    db.session.rollback()
    with pytest.raises(services.InvalidValue):
        services.replace_programme(cohort, [{"day": cohort.ends_on + timedelta(days=3), "title": "Après"}])


def test_new_session_dates_cannot_leave_programme_items_outside(client, trainer):
    cohort = make_cohort()
    make_programme_item(cohort, day=cohort.ends_on)
    login(client, trainer)
    data = _cohort_form(cohort, ends_on=cohort.starts_on.isoformat())
    response = client.post(f"/alpha/gestion/{cohort.id}/modifier", data=data)
    assert response.status_code == 422
    assert _field_error(response.text, "ends_on") == (
        "1 élément du programme serait hors de ces dates : déplacez-le ou retirez-le d’abord.")
    db.session.refresh(cohort)
    assert cohort.ends_on == cohort.starts_on + timedelta(days=1)


# --- Speakers: a role given in one session stays in that session ------------------------------------------


def test_adding_a_speaker_whose_name_exists_elsewhere_leaves_other_sessions_unchanged(client, trainer):
    archived = make_cohort(status=CohortStatus.ARCHIVED, starts_on=_today() - timedelta(days=400))
    make_programme_item(archived, speakers=[make_speaker(archived, name="Camille Martin", role="designer", organisation="DINUM")])
    upcoming = make_cohort()
    login(client, trainer)

    response = client.post(f"/alpha/gestion/{upcoming.id}/intervenants",
                           data={"name": "Camille Martin", "role": "sponsor", "organisation": "Pôle emploi"})
    assert response.status_code == 302

    assert "Camille Martin (Designer)" in client.get(f"/alpha/{archived.slug}").text
    rows = db.session.execute(sa.select(Speaker.cohort_id, Speaker.role, Speaker.organisation)
                              .where(Speaker.name == "Camille Martin").order_by(Speaker.cohort_id)).all()
    assert rows == [(archived.id, "designer", "DINUM"), (upcoming.id, "sponsor", "Pôle emploi")]
    # The upcoming session's programme offers its own speaker only, with the role given there.
    page = client.get(f"/alpha/gestion/{upcoming.id}/programme").text
    assert "Camille Martin (Sponsor)" in page and "Camille Martin (Designer)" not in page


def test_adding_the_same_name_again_in_a_session_updates_that_session_only(ctx):
    first, second = make_cohort(), make_cohort()
    services.upsert_speaker(first, name="Inès", role="coach")
    services.upsert_speaker(second, name="Inès", role="coach")
    services.upsert_speaker(second, name="Inès", role="sponsor")
    db.session.commit()
    roles = dict(db.session.execute(sa.select(Speaker.cohort_id, Speaker.role).where(Speaker.name == "Inès")).all())
    assert roles == {first.id: "coach", second.id: "sponsor"}


def test_a_programme_item_cannot_list_another_sessions_speaker(client, trainer, ctx):
    cohort, other = make_cohort(), make_cohort()
    stranger = make_speaker(other, name="D’une autre session")
    login(client, trainer)
    response = client.post(f"/alpha/gestion/{cohort.id}/programme", data={**_item_data(cohort), "speakers": [str(stranger.id)]})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeItem).where(ProgrammeItem.cohort_id == cohort.id)) == 0
    with pytest.raises(services.InvalidValue) as refused:
        services.save_programme_item(cohort, speaker_ids=[stranger.id], day=cohort.starts_on, title="Atelier")
    assert refused.value.field == "speakers"


# --- Seats: never fewer than the people already holding one -----------------------------------------------


def _cohort_form(cohort, **values):
    fmt = "%Y-%m-%dT%H:%M"
    return {
        "title": cohort.title, "slug": cohort.slug, "edition": str(cohort.edition), "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(), "day_starts_at": f"{cohort.day_starts_at:%H:%M}", "day_ends_at": f"{cohort.day_ends_at:%H:%M}",
        "format": cohort.format,
        "place_name": cohort.place_name, "address": "", "access_link": "", "seats": str(cohort.seats), "practical_info": "",
        "applications_open_at": to_paris(cohort.applications_open_at).strftime(fmt),
        "applications_close_at": to_paris(cohort.applications_close_at).strftime(fmt),
        "confirmation_delay_days": str(cohort.confirmation_delay_days), **values,
    }


def test_seats_cannot_go_below_the_people_holding_one(client, trainer):
    cohort = make_cohort(seats=10)
    for state in ("accepted", "accepted", "accepted", "confirmed", "confirmed", "waitlisted", "submitted"):
        make_application(cohort, state=state)
    login(client, trainer)

    response = client.post(f"/alpha/gestion/{cohort.id}/modifier", data=_cohort_form(cohort, seats="4"))
    assert response.status_code == 422
    assert _field_error(response.text, "seats") == (
        "5 personnes ont déjà une place (proposée ou confirmée) : indiquez au moins 5 places.")
    db.session.refresh(cohort)
    assert cohort.seats == 10

    assert client.post(f"/alpha/gestion/{cohort.id}/modifier", data=_cohort_form(cohort, seats="5")).status_code == 302
    db.session.refresh(cohort)
    assert cohort.seats == 5 and queries.seats_left(cohort) == 0


def test_the_session_service_guards_seats_too(ctx, trainer):
    cohort = make_cohort(seats=3)
    make_application(cohort, state="confirmed")
    make_application(cohort, state="accepted")
    with pytest.raises(services.InvalidValue) as refused:
        services.update_cohort(cohort, actor=trainer, seats=1)
    assert refused.value.field == "seats" and "2 personnes" in str(refused.value)
    db.session.rollback()
    assert db.session.get(Cohort, cohort.id).seats == 3
    services.update_cohort(db.session.get(Cohort, cohort.id), actor=trainer, seats=2)
    db.session.commit()
    assert db.session.get(Cohort, cohort.id).seats == 2


# --- Attendance and the alumni network ----------------------------------------------------------------------


def test_attendance_cannot_be_marked_before_the_session_starts(client, trainer):
    cohort = make_cohort(starts_on=_today() + timedelta(days=40))
    confirmed = make_application(cohort, state="confirmed")
    login(client, trainer)
    page = client.get(f"/alpha/gestion/{cohort.id}/presence").text
    assert "Les présences se marquent à partir du premier jour de la session" in page
    assert "Enregistrer les présences" not in page

    response = client.post(f"/alpha/gestion/{cohort.id}/presence", data={"attended_ids": [str(confirmed.id)]}, follow_redirects=True)
    assert "Les présences se marquent à partir du premier jour de la session" in response.text
    db.session.refresh(confirmed)
    assert confirmed.attended is None and not queries.is_alumni(confirmed.user)


@pytest.mark.parametrize("days_after_start,allowed", [(-1, False), (0, True), (1, True), (200, True)])
def test_attendance_opens_on_the_first_day(ctx, trainer, days_after_start, allowed):
    cohort = make_cohort(starts_on=_today() - timedelta(days=days_after_start))
    confirmed = make_application(cohort, state="confirmed")
    if allowed:
        assert services.mark_attendance(cohort, actor=trainer, attended_ids={confirmed.id}) == 1
    else:
        with pytest.raises(services.ApplicationError):
            services.mark_attendance(cohort, actor=trainer, attended_ids={confirmed.id})


def test_a_person_who_withdraws_leaves_the_alumni_network(client, trainer):
    cohort = make_cohort(starts_on=_today() - timedelta(days=1))
    leaving, staying = make_application(cohort, state="confirmed"), make_application(cohort, state="confirmed")
    login(client, trainer)
    client.post(f"/alpha/gestion/{cohort.id}/presence", data={"attended_ids": [str(leaving.id), str(staying.id)]})
    for application in (leaving, staying):
        make_alumni_profile(application.user, project="Mon projet")
    assert queries.is_alumni(leaving.user)

    login(client, leaving.user)
    assert client.post(f"/alpha/candidatures/{leaving.id}/retirer").status_code == 302
    db.session.refresh(leaving)
    assert leaving.state == "withdrawn" and leaving.attended is None
    assert not queries.is_alumni(leaving.user) and queries.is_alumni(staying.user)
    assert client.get("/alpha/anciens").status_code == 403
    login(client, staying.user)
    directory = client.get("/alpha/anciens")
    assert directory.status_code == 200 and leaving.user.last_name not in directory.text


def test_an_application_withdrawn_after_attendance_never_counts_as_alumni(ctx):
    """Rows written before withdrawal cleared `attended` stay out of the network too."""
    cohort = make_cohort(starts_on=_today() - timedelta(days=10))
    withdrawn = make_application(cohort, state="withdrawn", attended=True)
    make_alumni_profile(withdrawn.user)
    assert not queries.is_alumni(withdrawn.user)
    listed = [p.user_id for p in db.session.scalars(queries.alumni_directory_query())]
    assert withdrawn.user_id not in listed


# --- Dates typed by hand: the French way is accepted, anything else is a French error, never a 500 --------------


def test_a_session_typed_the_french_way_is_saved_as_the_picker_would_send_it(client, trainer):
    """A browser without a picker (or a person typing) sends « 07/11/2027 », « 9h30 », « 10/10/2027 09:00 »."""
    cohort = make_cohort(status=CohortStatus.DRAFT)
    login(client, trainer)
    response = client.post(f"/alpha/gestion/{cohort.id}/modifier", data=_cohort_form(
        cohort, starts_on="07/11/2027", ends_on="09/11/2027", day_starts_at="9h30", day_ends_at="17 h 30",
        applications_open_at="10/10/2027 09:00", applications_close_at="31/10/2027 23:59"))
    assert response.status_code == 302, _field_error(response.text, "starts_on") or response.text[:2000]
    db.session.refresh(cohort)
    assert (cohort.starts_on.isoformat(), cohort.ends_on.isoformat()) == ("2027-11-07", "2027-11-09")
    assert (cohort.day_starts_at, cohort.day_ends_at) == (time(9, 30), time(17, 30))
    assert to_paris(cohort.applications_open_at).strftime("%Y-%m-%d %H:%M") == "2027-10-10 09:00"
    assert to_paris(cohort.applications_close_at).strftime("%Y-%m-%d %H:%M") == "2027-10-31 23:59"


@pytest.mark.parametrize("field, value, message", [
    ("starts_on", "31/02/2027", "Saisissez une date réelle au format JJ/MM/AAAA, par exemple 07/11/2027."),
    ("starts_on", "11/07/2027x", "Saisissez une date réelle au format JJ/MM/AAAA, par exemple 07/11/2027."),
    ("starts_on", "demain", "Saisissez une date réelle au format JJ/MM/AAAA, par exemple 07/11/2027."),
    ("ends_on", "2027-13-01", "Saisissez une date réelle au format JJ/MM/AAAA, par exemple 07/11/2027."),
    ("day_starts_at", "25h00", "Saisissez une heure au format hh:mm, par exemple 09:30."),
    ("day_ends_at", "9:30 PM", "Saisissez une heure au format hh:mm, par exemple 09:30."),
    ("applications_open_at", "10/31/2027 09:00",
     "Saisissez une date et une heure au format JJ/MM/AAAA hh:mm, par exemple 07/11/2027 09:30."),
    ("applications_close_at", "é" * 5000,
     "Saisissez une date et une heure au format JJ/MM/AAAA hh:mm, par exemple 07/11/2027 09:30."),
])
def test_a_date_that_is_no_date_is_a_french_error(client, trainer, field, value, message):
    cohort = make_cohort(status=CohortStatus.DRAFT)
    login(client, trainer)
    response = client.post(f"/alpha/gestion/{cohort.id}/modifier", data=_cohort_form(cohort, **{field: value}))
    assert response.status_code == 422
    assert _field_error(response.text, field) == message
