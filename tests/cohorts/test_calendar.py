"""The session's calendar event, read back with icalendar as a calendar client would: the downloadable file,
the invitation, its updates when dates, daily times or place change, its cancellation when a seat is given
up or the session is cancelled. Emails are read as the loopback SMTP server received them."""

import re
from datetime import date, datetime, time, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from dateutil.rrule import rrulestr
from icalendar import Calendar

from beta_training.accounts.models import Role
from beta_training.cohorts import services
from beta_training.cohorts.models import ApplicationState, Cohort, CohortApplication, CohortStatus
from beta_training.core import db as core_db
from beta_training.core.models import StateChange, to_paris, utcnow
from beta_training.extensions import db
from tests.conftest import html_part, login, text_part
from tests.factories import make_application, make_cohort, make_user
from tests.records import timeline_of
from tests.simultaneous import post_at_once

PARIS = ZoneInfo("Europe/Paris")


# --- Reading an ICS back ----------------------------------------------------------------------------------


def parse(data: bytes):
    """(calendar, its one event)."""
    calendar = Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def occurrences(event) -> list[tuple[datetime, datetime]]:
    """Each day's (start, end), as a client expands the event's RRULE."""
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    if "RRULE" not in event:
        return [(start, end)]
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    return [(day, day + (end - start)) for day in rule]


def assert_timed_in_paris(calendar, event) -> None:
    for name in ("DTSTART", "DTEND"):
        assert event[name].params.get("TZID") == "Europe/Paris", name
        assert event[name].params.get("VALUE") != "DATE", name  # timed, not an all-day event
        assert isinstance(event.decoded(name), datetime), name
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


def uid_of(cohort, app) -> str:
    return f"alpha-{cohort.id}@{urlsplit(app.config['BASE_URL']).hostname}"


def calendar_part(message):
    """The text/calendar attachment of a received email (None if it has none)."""
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) <= 1
    return parts[0] if parts else None


def calendar_of(message):
    part = calendar_part(message)
    assert part is not None, f"no calendar in « {message['Subject']} »"
    calendar, event = parse(part.get_payload(decode=True))
    # iMIP: the MIME type names the METHOD the calendar holds.
    assert part.get_param("method").upper() == str(calendar["METHOD"])
    return calendar, event


def one_message_to(mailbox, email: str):
    [message] = mailbox.to(email)
    return message


# --- Fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def trainer(app):
    return make_user(roles=[Role.TRAINER])


@pytest.fixture
def session_with_people(app):
    """A three-day session with a confirmed participant (invited), an offered seat, a submitted application
    and a draft."""
    starts_on = date.today() + timedelta(days=30)
    cohort = make_cohort(starts_on=starts_on, ends_on=starts_on + timedelta(days=2), place_name="Ségur",
                         address="20 avenue de Ségur, Paris", title="Formation Alpha, Paris")
    people = {}
    for name, state, extra in (("confirmee", "confirmed", {"calendar_sent_at": utcnow()}),
                               ("proposee", "accepted", {}), ("envoyee", "submitted", {}), ("brouillon", "draft", {})):
        user = make_user(email=f"{name}@example.gouv.fr")
        people[name] = make_application(cohort, user, state=state, **extra)
    return cohort, people


def cohort_form(cohort, **values) -> dict:
    fmt = "%Y-%m-%dT%H:%M"
    return {
        "title": cohort.title, "slug": cohort.slug, "edition": str(cohort.edition),
        "starts_on": cohort.starts_on.isoformat(), "ends_on": cohort.ends_on.isoformat(),
        "day_starts_at": f"{cohort.day_starts_at:%H:%M}", "day_ends_at": f"{cohort.day_ends_at:%H:%M}",
        "format": cohort.format, "place_name": cohort.place_name, "address": cohort.address,
        "access_link": cohort.access_link, "seats": str(cohort.seats), "practical_info": cohort.practical_info,
        "applications_open_at": to_paris(cohort.applications_open_at).strftime(fmt),
        "applications_close_at": to_paris(cohort.applications_close_at).strftime(fmt),
        "confirmation_delay_days": str(cohort.confirmation_delay_days), **values,
    }


# --- The downloadable file --------------------------------------------------------------------------------


def test_the_event_says_its_dates_in_french(client):
    cohort = make_cohort(starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 2))
    _calendar, event = parse(client.get(f"/alpha/{cohort.slug}/calendrier.ics").data)
    assert "\nDu 1er au 2 mars 2027," in str(event["DESCRIPTION"])  # the month and year said once


def test_the_file_is_one_timed_event_a_day_in_paris_time(client, app):
    # 26–29 March 2027: Paris moves to summer time on the 28th; every day still starts at 9:30 Paris time.
    cohort = make_cohort(starts_on=date(2027, 3, 26), ends_on=date(2027, 3, 29), title="Formation Alpha, Lyon",
                         day_starts_at=time(9, 30), day_ends_at=time(17, 30), place_name="Hôtel de ville",
                         address="1 place de la Comédie, Lyon")
    response = client.get(f"/alpha/{cohort.slug}/calendrier.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar, event = parse(response.data)
    assert_timed_in_paris(calendar, event)
    assert str(calendar["METHOD"]) == "PUBLISH" and "ATTENDEE" not in event
    days = occurrences(event)
    assert [(start.date(), start.timetz(), end.timetz()) for start, end in days] == [
        (date(2027, 3, day), time(9, 30, tzinfo=PARIS), time(17, 30, tzinfo=PARIS)) for day in (26, 27, 28, 29)]
    assert [start.utcoffset() for start, _end in days] == [timedelta(hours=h) for h in (1, 1, 2, 2)]
    assert str(event["UID"]) == uid_of(cohort, app) and event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == "Formation Alpha, Lyon"
    assert str(event["LOCATION"]) == "Hôtel de ville, 1 place de la Comédie, Lyon"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == f"mailto:{parseaddr(app.config['MAIL_DEFAULT_SENDER'])[1]}"


def test_a_one_day_session_has_no_repetition_and_its_own_times(client):
    cohort = make_cohort(starts_on=date(2027, 6, 1), ends_on=date(2027, 6, 1), day_starts_at=time(14),
                         day_ends_at=time(18, 15))
    calendar, event = parse(client.get(f"/alpha/{cohort.slug}/calendrier.ics").data)
    assert "RRULE" not in event
    assert occurrences(event) == [(datetime(2027, 6, 1, 14, tzinfo=PARIS), datetime(2027, 6, 1, 18, 15, tzinfo=PARIS))]


def test_the_public_file_never_shows_the_connection_link(client):
    cohort = make_cohort(format="distance", place_name="", access_link="https://webinaire.numerique.gouv.fr/secret")
    body = client.get(f"/alpha/{cohort.slug}/calendrier.ics").data
    _calendar, event = parse(body)
    assert str(event["LOCATION"]) == "À distance" and b"secret" not in body


def test_who_may_download_the_file(client, trainer):
    draft = make_cohort(status=CohortStatus.DRAFT)
    assert client.get(f"/alpha/{draft.slug}/calendrier.ics").status_code == 404
    login(client, trainer)
    calendar, event = parse(client.get(f"/alpha/{draft.slug}/calendrier.ics").data)
    assert_timed_in_paris(calendar, event)


# --- The invitation ---------------------------------------------------------------------------------------


def test_confirming_a_seat_sends_the_invitation(client, app, mailbox):
    cohort = make_cohort(format="distance", place_name="", access_link="https://webinaire.numerique.gouv.fr/alpha")
    user = make_user(email="nguyen@example.gouv.fr")
    application = make_application(cohort, user, state="accepted", first_name="Thị Hương", last_name="Nguyễn")
    login(client, user)
    assert client.post(f"/alpha/candidatures/{application.id}/confirmer").status_code == 302

    calendar, event = calendar_of(one_message_to(mailbox, "nguyen@example.gouv.fr"))
    assert_timed_in_paris(calendar, event)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == uid_of(cohort, app) and event["SEQUENCE"] == 0
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:nguyen@example.gouv.fr"
    assert (attendee.params["CN"], attendee.params["PARTSTAT"], attendee.params["RSVP"]) == (
        "Thị Hương Nguyễn", "ACCEPTED", "FALSE")
    assert str(event["ORGANIZER"]) == f"mailto:{parseaddr(app.config['MAIL_DEFAULT_SENDER'])[1]}"
    assert str(event["LOCATION"]) == "https://webinaire.numerique.gouv.fr/alpha"  # a participant's own event
    db.session.refresh(application)
    assert application.calendar_sent_at is not None


# --- Updates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    {"starts_on": 1, "ends_on": 1},
    {"day_starts_at": "10:00"},
    {"day_ends_at": "16:45"},
    {"place_name": "Station F"},
    {"address": "5 parvis Alan Turing, Paris"},
])
def test_a_change_of_dates_times_or_place_emails_the_new_event_to_each_seat_holder(
        client, app, mailbox, trainer, session_with_people, change):
    cohort, people = session_with_people
    before = parse(client.get(f"/alpha/{cohort.slug}/calendrier.ics").data)[1]
    values = {name: (getattr(cohort, name) + timedelta(days=value)).isoformat() if isinstance(value, int) else value
              for name, value in change.items()}
    login(client, trainer)
    response = client.post(f"/alpha/gestion/{cohort.id}/modifier", data=cohort_form(cohort, **values))
    assert response.status_code == 302

    assert sorted(m["To"] for m in mailbox.messages) == ["confirmee@example.gouv.fr", "proposee@example.gouv.fr"]
    for name, partstat in (("confirmee", "ACCEPTED"), ("proposee", "NEEDS-ACTION")):
        message = one_message_to(mailbox, f"{name}@example.gouv.fr")
        assert message["Subject"] == f"Changement de dates, d’horaires ou de lieu : {cohort.title}"
        calendar, event = calendar_of(message)
        assert_timed_in_paris(calendar, event)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == str(before["UID"]) == uid_of(cohort, app)  # the same event, updated
        assert event["SEQUENCE"] == before["SEQUENCE"] + 1
        assert event["ATTENDEE"].params["PARTSTAT"] == partstat
        assert "\nVoir ma candidature : https://" in text_part(message) or "\nVoir ma candidature : http://" in text_part(message)
    db.session.refresh(cohort)
    expected = {name: (date.fromisoformat(value) if name.endswith("_on") else
                       time.fromisoformat(value) if name.startswith("day_") else value) for name, value in values.items()}
    assert {name: getattr(cohort, name) for name in values} == expected
    assert cohort.calendar_sequence == 1
    first = occurrences(event)[0]
    assert (first[0].date(), first[0].time(), first[1].time()) == (cohort.starts_on, cohort.day_starts_at, cohort.day_ends_at)
    db.session.refresh(people["proposee"])
    assert people["proposee"].calendar_sent_at is not None  # her calendar holds it now: giving up the seat cancels it


def test_the_update_email_lists_what_changed_then_the_session_as_it_is_now(client, mailbox, trainer, session_with_people):
    cohort, _people = session_with_people
    login(client, trainer)
    form = cohort_form(cohort, day_starts_at="10:00", place_name="Station F")
    assert client.post(f"/alpha/gestion/{cohort.id}/modifier", data=form).status_code == 302

    message = one_message_to(mailbox, "confirmee@example.gouv.fr")
    text = text_part(message).replace("\r\n", "\n")
    assert f"Des informations de la session « {cohort.title} » ont changé :\n" in text
    changed = text.split("ont changé :\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert sorted(changed) == ["- Heure de début, chaque jour", "- Lieu"]
    assert "La session, à jour :\nDu " in text and "chaque jour de 10h à" in text and "Station F" in text
    assert re.findall(r"<li[^>]*>([^<]+)</li>", html_part(message)) == [line[2:] for line in changed]


def test_other_changes_send_nothing_and_keep_the_sequence(client, mailbox, trainer, session_with_people):
    cohort, _people = session_with_people
    login(client, trainer)
    response = client.post(f"/alpha/gestion/{cohort.id}/modifier", data=cohort_form(
        cohort, title="Formation Alpha — Paris, 3e édition", practical_info="Déjeuner offert.", seats="30",
        confirmation_delay_days="5"))
    assert response.status_code == 302
    db.session.refresh(cohort)
    assert (cohort.title, cohort.seats) == ("Formation Alpha — Paris, 3e édition", 30)
    assert mailbox.messages == [] and cohort.calendar_sequence == 0


def test_the_same_change_sent_twice_at_once_emails_each_seat_holder_once(app, mailbox, trainer, session_with_people):
    cohort, _people = session_with_people
    data = cohort_form(cohort, day_starts_at="09:00")
    responses = post_at_once(app, trainer, f"/alpha/gestion/{cohort.id}/modifier", data)
    assert sorted(r.status_code for r in responses) == [302, 302]
    mailbox.wait_for(2)
    assert sorted(m["To"] for m in mailbox.messages) == ["confirmee@example.gouv.fr", "proposee@example.gouv.fr"]
    assert db.session.get(Cohort, cohort.id).calendar_sequence == 1


def test_daily_times_are_checked_in_the_form(client, trainer, session_with_people):
    cohort, _people = session_with_people
    login(client, trainer)
    response = client.post(f"/alpha/gestion/{cohort.id}/modifier", data=cohort_form(cohort, day_ends_at="09:00"))
    assert response.status_code == 422 and "L’heure de fin doit suivre l’heure de début." in response.text
    missing = client.post(f"/alpha/gestion/{cohort.id}/modifier", data=cohort_form(cohort, day_starts_at=""))
    assert missing.status_code == 422 and "Indiquez l’heure de début" in missing.text


def test_the_service_refuses_a_day_that_ends_before_it_starts(app, mailbox, trainer, session_with_people):
    cohort, _people = session_with_people
    with app.test_request_context(), pytest.raises(services.InvalidValue) as refused:
        services.update_cohort(cohort, actor=trainer, day_starts_at=time(14), day_ends_at=time(9))
    assert refused.value.field == "day_ends_at"
    with app.test_request_context(), pytest.raises(services.InvalidValue):
        services.create_cohort(actor=trainer, slug="alpha-nuit", title="Nuit", edition=1, starts_on=cohort.starts_on,
                               ends_on=cohort.ends_on, seats=10, applications_open_at=cohort.applications_open_at,
                               applications_close_at=cohort.applications_close_at, day_starts_at=time(18),
                               day_ends_at=time(18))
    db.session.rollback()
    assert db.session.get(Cohort, cohort.id).day_starts_at == time(9, 30) and mailbox.messages == []


def test_a_new_session_gets_the_default_times(client, trainer):
    login(client, trainer)
    page = client.get("/alpha/gestion/nouvelle").text
    assert 'name="day_starts_at"' in page and 'value="09:30"' in page and 'value="17:30"' in page


# --- Giving up a seat -------------------------------------------------------------------------------------


def test_withdrawing_a_confirmed_seat_cancels_the_event(client, app, mailbox, session_with_people):
    cohort, people = session_with_people
    application = people["confirmee"]
    login(client, db.session.get(CohortApplication, application.id).user)
    assert client.post(f"/alpha/candidatures/{application.id}/retirer").status_code == 302

    message = one_message_to(mailbox, "confirmee@example.gouv.fr")
    assert message["Subject"] == f"Candidature retirée : {cohort.title}"
    calendar, event = calendar_of(message)
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == uid_of(cohort, app) and event["SEQUENCE"] == cohort.calendar_sequence + 1
    assert str(event["ATTENDEE"]) == "mailto:confirmee@example.gouv.fr"
    assert_timed_in_paris(calendar, event)
    db.session.refresh(cohort)
    assert cohort.calendar_sequence == 0  # the others keep their event as it is


def test_an_application_never_invited_gets_no_cancellation(client, mailbox, session_with_people):
    _cohort, people = session_with_people
    application = people["envoyee"]
    login(client, db.session.get(CohortApplication, application.id).user)
    client.post(f"/alpha/candidatures/{application.id}/retirer")
    assert calendar_part(one_message_to(mailbox, "envoyee@example.gouv.fr")) is None


def test_an_offered_seat_that_was_sent_an_update_is_cancelled_when_rejected(app, mailbox, trainer, session_with_people):
    cohort, people = session_with_people
    with app.test_request_context():
        services.update_cohort(cohort, actor=trainer, place_name="Station F")
        services.reject_application(people["proposee"], actor=trainer, reason="Place reprise.")
        core_db.commit()
    offered = [m for m in mailbox.wait_for(3) if m["To"] == "proposee@example.gouv.fr"]
    methods = [str(calendar_of(m)[0]["METHOD"]) for m in offered]
    assert methods == ["REQUEST", "CANCEL"]
    assert calendar_of(offered[1])[1]["SEQUENCE"] == 2


# --- Cancelling the session -------------------------------------------------------------------------------


def test_the_cancellation_page_says_who_is_told(client, trainer, session_with_people):
    cohort, _people = session_with_people
    login(client, trainer)
    page = client.get(f"/alpha/gestion/{cohort.id}/annuler")
    assert page.status_code == 200
    assert "2 personnes ont une place (proposée ou confirmée)" in page.text
    assert "1 candidature est en cours d’examen ou en liste d’attente." in page.text
    assert f'href="/alpha/gestion/{cohort.id}/annuler"' in client.get(f"/alpha/gestion/{cohort.id}/modifier").text


def test_cancelling_needs_a_reason_and_a_ticked_confirmation(client, mailbox, trainer, session_with_people):
    cohort, _people = session_with_people
    login(client, trainer)
    unconfirmed = client.post(f"/alpha/gestion/{cohort.id}/annuler", data={"reason": "Salle indisponible."})
    assert unconfirmed.status_code == 422 and "Cochez la case pour confirmer l’annulation." in unconfirmed.text
    no_reason = client.post(f"/alpha/gestion/{cohort.id}/annuler", data={"confirm": "y"})
    assert no_reason.status_code == 422 and "Indiquez le motif de l’annulation." in no_reason.text
    db.session.refresh(cohort)
    assert cohort.status == CohortStatus.PUBLISHED and mailbox.messages == []


def test_cancelling_the_session_tells_every_candidate_and_cancels_the_event(client, app, mailbox, trainer,
                                                                            session_with_people):
    cohort, people = session_with_people
    login(client, trainer)
    response = client.post(f"/alpha/gestion/{cohort.id}/annuler",
                           data={"reason": "Salle indisponible.", "confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(cohort)
    assert cohort.status == CohortStatus.CANCELLED and cohort.calendar_sequence == 1
    change = timeline_of(cohort)[-1]
    assert change[:4] == (CohortStatus.PUBLISHED, CohortStatus.CANCELLED, trainer.id, "Salle indisponible.")
    for application in people.values():
        db.session.refresh(application)
        assert application.state == ApplicationState.WITHDRAWN
        assert timeline_of(application)[-1][3] == "Session annulée : Salle indisponible."

    # Everyone who had sent an application is told, once; the draft was never sent.
    assert sorted(m["To"] for m in mailbox.messages) == [
        "confirmee@example.gouv.fr", "envoyee@example.gouv.fr", "proposee@example.gouv.fr"]
    for message in mailbox.messages:
        assert message["Subject"] == f"Session annulée : {cohort.title}"
        assert "Salle indisponible." in message.get_body(preferencelist=("plain",)).get_content()
    calendar, event = calendar_of(one_message_to(mailbox, "confirmee@example.gouv.fr"))
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == uid_of(cohort, app) and event["SEQUENCE"] == 1
    # Never sent the event: nothing to remove from their calendars.
    assert calendar_part(one_message_to(mailbox, "proposee@example.gouv.fr")) is None
    assert calendar_part(one_message_to(mailbox, "envoyee@example.gouv.fr")) is None

    # The file now says cancelled too, and the session page says so.
    _calendar, published = parse(client.get(f"/alpha/{cohort.slug}/calendrier.ics").data)
    assert str(published["STATUS"]) == "CANCELLED" and published["SEQUENCE"] == 1
    assert "Cette session est annulée" in client.get(f"/alpha/{cohort.slug}").text


def test_cancelling_twice_at_once_tells_each_candidate_once(app, mailbox, trainer, session_with_people):
    cohort, _people = session_with_people
    responses = post_at_once(app, trainer, f"/alpha/gestion/{cohort.id}/annuler",
                             {"reason": "Salle indisponible.", "confirm": "y"})
    assert sorted(r.status_code for r in responses) == [302, 302]
    mailbox.wait_for(3)
    assert len(mailbox.messages) == 3
    changes = db.session.scalars(sa.select(StateChange).where(
        StateChange.subject_type == "cohorts", StateChange.subject_id == cohort.id,
        StateChange.to_state == CohortStatus.CANCELLED)).all()
    assert len(changes) == 1 and db.session.get(Cohort, cohort.id).calendar_sequence == 1


def test_a_started_or_archived_session_cannot_be_cancelled(client, app, trainer):
    started = make_cohort(starts_on=date.today() - timedelta(days=1), status=CohortStatus.CLOSED)
    with app.test_request_context(), pytest.raises(services.ApplicationError, match="commencée"):
        services.cancel_cohort(started, actor=trainer, reason="Trop tard.")
    db.session.rollback()
    archived = make_cohort(status=CohortStatus.ARCHIVED)
    login(client, trainer)
    response = client.post(f"/alpha/gestion/{archived.id}/annuler", data={"reason": "Erreur.", "confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(archived)
    assert archived.status == CohortStatus.ARCHIVED
    assert "ne peut pas être annulée" in client.get(response.headers["Location"]).text


def test_the_plain_status_buttons_cannot_cancel(client, trainer, session_with_people):
    cohort, _people = session_with_people
    login(client, trainer)
    assert client.post(f"/alpha/gestion/{cohort.id}/statut/cancelled").status_code == 404
    assert "statut/cancelled" not in client.get(f"/alpha/gestion/{cohort.id}/modifier").text
    db.session.refresh(cohort)
    assert cohort.status == CohortStatus.PUBLISHED


def test_a_form_left_open_in_a_second_tab_does_not_undo_a_saved_change(client, mailbox, trainer, session_with_people):
    """Two tabs on the edit page: the first saves a new place; the second, filled before, changes the seats.
    Saving it would put the old place back and email everyone twice: it is refused, its values kept in the form,
    and sending it again (now from the current version) saves them."""
    cohort, _people = session_with_people
    login(client, trainer)
    url = f"/alpha/gestion/{cohort.id}/modifier"
    loaded = re.search(r'name="loaded_version" type="hidden" value="([^"]+)"', client.get(url).text).group(1)
    first = client.post(url, data={**cohort_form(cohort, place_name="Salle Monge"), "loaded_version": loaded})
    assert first.status_code == 302 and len(mailbox.messages) == 2  # each seat holder told of the new place

    second = client.post(url, data={**cohort_form(cohort, seats="30"), "loaded_version": loaded})
    assert second.status_code == 422 and "modifiée entre-temps" in second.text
    db.session.refresh(cohort)
    assert (cohort.place_name, cohort.seats) == ("Salle Monge", 28) and len(mailbox.messages) == 2
    assert re.search(r'<input[^>]*name="seats"[^>]*value="30"', second.text)  # what was typed is kept
    current = re.search(r'name="loaded_version" type="hidden" value="([^"]+)"', second.text).group(1)
    assert current == cohort.edit_version != loaded

    again = client.post(url, data={**cohort_form(cohort, seats="30"), "loaded_version": current})
    assert again.status_code == 302
    db.session.refresh(cohort)
    assert (cohort.place_name, cohort.seats) == ("Salle Monge", 30)
