"""The jury of an appel à intrapreneurs: jurors, pitch timetable (ICS), scoring, deliberation, decisions, minutes."""

import base64
import csv
import io
from datetime import date, time, timedelta

import sqlalchemy as sa
from bs4 import BeautifulSoup
from icalendar import Calendar
from pypdf import PdfReader

from beta_training.accounts.models import Role, User
from beta_training.calls.models import CallJuror, Dossier, JuryScore
from beta_training.core.models import OutboxMessage, StateChange, utcnow
from beta_training.extensions import db
from tests import factories as f
from tests.route_scenarios import closed_call_with_dossiers

SCORES = {"score_1": "4", "comment_1": "Chiffres solides", "score_2": "3", "score_3": "5"}


def _trainer():
    return f.make_user(roles=[Role.TRAINER])


def _messages(recipient=None):
    select = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        select = select.where(OutboxMessage.recipient == recipient)
    return db.session.scalars(select).all()


def _preselected(call, n=2):
    return [f.make_dossier(call, state="preselected", title=f"Projet {i}") for i in range(n)]


def _scored(dossier, prefix=True):
    return {(f"d{dossier.id}-{key}" if prefix else key): value for key, value in SCORES.items()}


def _the_preselected(call) -> Dossier:
    """The one dossier closed_call_with_dossiers() pre-selects."""
    [dossier] = db.session.scalars(sa.select(Dossier).where(Dossier.call_id == call.id, Dossier.state == "preselected")).all()
    return dossier


def _seat(call, user) -> None:
    """`user` on the call's jury (added, not yet committed)."""
    db.session.add(CallJuror(call_id=call.id, email=user.email, user_id=user.id))


def _with_session(call, **values):
    call.jury_on, call.jury_starts_at, call.jury_place = date(2027, 4, 8), time(14, 0), "Ségur, salle 3"
    for key, value in values.items():
        setattr(call, key, value)
    db.session.commit()
    return call


# --- Jurors ----------------------------------------------------------------------------------------------


def test_a_trainer_invites_an_account_holder_and_a_new_person_once_each(client, login_as):
    call = closed_call_with_dossiers()
    known = f.make_user(email="jure@example.gouv.fr")
    login_as(_trainer())
    for email in ("Jure@example.gouv.fr", "nouvelle@example.gouv.fr", "jure@example.gouv.fr"):
        assert client.post(f"/appels/{call.id}/jury/jures", data={"email": email}).status_code == 302
    jurors = db.session.scalars(sa.select(CallJuror).order_by(CallJuror.id)).all()
    assert [(j.email, j.user_id) for j in jurors] == [("jure@example.gouv.fr", known.id), ("nouvelle@example.gouv.fr", None)]
    [to_known] = _messages("jure@example.gouv.fr")  # the second invitation sent nothing
    [to_new] = _messages("nouvelle@example.gouv.fr")
    assert f"/appels/{call.id}/jury/notation" in to_known.text_body
    assert "/compte/inscription?next=" in to_new.text_body and "Créez votre compte" in to_new.text_body


def test_a_jury_holds_ten_people_at_most(client, login_as):
    call = closed_call_with_dossiers()
    for n in range(10):
        db.session.add(CallJuror(call_id=call.id, email=f"j{n}@example.gouv.fr"))
    db.session.commit()
    login_as(_trainer())
    response = client.post(f"/appels/{call.id}/jury/jures", data={"email": "onzieme@example.gouv.fr"})
    assert response.status_code == 422 and "Le jury compte déjà 10 personnes, le maximum." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CallJuror)) == 10


def test_a_new_juror_reaches_the_jury_once_her_address_is_confirmed(client, login_as):
    call = closed_call_with_dossiers()
    db.session.add(CallJuror(call_id=call.id, email="nouvelle@example.gouv.fr"))
    db.session.commit()
    unconfirmed = f.make_user(email="nouvelle@example.gouv.fr", confirmed=False)
    assert not call.is_juror(unconfirmed)
    unconfirmed.email_confirmed_at = utcnow()
    db.session.commit()
    login_as(unconfirmed)
    assert client.get(f"/appels/{call.id}/jury/notation").status_code == 200


def test_a_juror_sees_only_her_call_and_its_preselected_dossiers(client, login_as):
    call, other = closed_call_with_dossiers(), closed_call_with_dossiers()
    juror = f.make_user()
    _seat(call, juror)
    db.session.commit()
    preselected = f.make_dossier(call, state="preselected", title="Projet pré-sélectionné")
    left_out = f.make_dossier(call, state="submitted", title="Projet déposé seulement")
    login_as(juror)
    page = client.get(f"/appels/{call.id}/jury/notation")
    assert page.status_code == 200
    assert preselected.title in page.text and left_out.title not in page.text
    assert client.get(f"/appels/{other.id}/jury/notation").status_code == 403
    [other_dossier] = db.session.scalars(sa.select(Dossier).where(Dossier.call_id == other.id,
                                                                  Dossier.state == "preselected")).all()
    assert client.post(f"/appels/dossiers/{other_dossier.id}/jury/note", data=_scored(other_dossier)).status_code == 403
    assert client.post(f"/appels/dossiers/{left_out.id}/jury/note", data=_scored(left_out)).status_code == 403
    for page in ("jury", "deliberation", "jury/proces-verbal.csv"):  # the trainers' pages
        assert client.get(f"/appels/{call.id}/{page}").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JuryScore)) == 0


# --- Timetable and ICS -----------------------------------------------------------------------------------


def test_the_session_computes_the_timetable_with_the_default_lengths(client, login_as):
    call = f.make_call(opens_at=utcnow().replace(year=2026), closes_at=utcnow())
    first, second, third = _preselected(call, 3)
    login_as(_trainer())
    response = client.post(f"/appels/{call.id}/jury/seance", data={
        "jury_on": "2027-04-08", "jury_starts_at": "14:00", "jury_place": "Ségur, salle 3",
        "pitch_minutes": "3", "questions_minutes": "5", "break_minutes": "2"})
    assert response.status_code == 302
    page = client.get(f"/appels/{call.id}/jury").text
    # 3 min pitch + 5 min questions, a 2 min break: the second pitch at 14h10.
    assert "14h00–14h08" in page and "14h10–14h18" in page
    assert page.index(first.title) < page.index(second.title) < page.index(third.title)
    # « Plus tôt » on the third, clicked twice (a double click, a stale tab): it moves up one place, not two.
    for _ in range(2):
        assert client.post(f"/appels/dossiers/{third.id}/jury/ordre",
                           data={"direction": "up", "position": "2"}).status_code == 302
    page = client.get(f"/appels/{call.id}/jury").text
    assert page.index(first.title) < page.index(third.title) < page.index(second.title)


def _ics(message) -> Calendar:
    [attachment] = message.attachments
    assert attachment["content_type"].startswith("text/calendar; method=REQUEST")
    return Calendar.from_ical(base64.b64decode(attachment["data"]))


def test_slots_are_sent_once_as_ics_and_again_with_a_higher_sequence_when_they_move(client, login_as):
    call = _with_session(closed_call_with_dossiers())
    first = _the_preselected(call)
    second = f.make_dossier(call, state="preselected")
    juror = f.make_user()
    _seat(call, juror)
    db.session.commit()
    login_as(_trainer())
    assert client.post(f"/appels/{call.id}/jury/envoyer").status_code == 302
    assert client.post(f"/appels/{call.id}/jury/envoyer").status_code == 302  # a second click: nothing new
    [to_first] = _messages(first.owner.email)
    [to_second] = _messages(second.owner.email)
    [to_juror] = _messages(juror.email)
    event = _ics(to_second).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 0 and event.decoded("DTSTART").strftime("%H:%M") == "14:10"
    assert str(event["LOCATION"]) == "Ségur, salle 3"
    juror_event = _ics(to_juror).walk("VEVENT")[0]
    assert juror_event.decoded("DTSTART").strftime("%H:%M") == "14:00" and juror_event.decoded("DTEND").strftime("%H:%M") == "14:18"

    client.post(f"/appels/dossiers/{second.id}/jury/ordre", data={"direction": "up", "position": "1"})
    client.post(f"/appels/{call.id}/jury/envoyer")
    updates = [m for m in _messages(second.owner.email) if m.id != to_second.id]
    [update] = updates
    event = _ics(update).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1 and event.decoded("DTSTART").strftime("%H:%M") == "14:00"
    assert str(event["UID"]) == str(_ics(to_second).walk("VEVENT")[0]["UID"])
    assert "a changé" in update.text_body
    assert len(_messages(first.owner.email)) == 2 and len(_messages(juror.email)) == 2


def test_a_juror_taken_off_the_jury_is_told_and_the_session_leaves_her_calendar(client, login_as):
    call = _with_session(closed_call_with_dossiers())
    juror, unsent = f.make_user(), f.make_user()
    _seat(call, juror)
    db.session.commit()
    login_as(_trainer())
    assert client.post(f"/appels/{call.id}/jury/envoyer").status_code == 302
    db.session.add(CallJuror(call_id=call.id, email=unsent.email, user_id=unsent.id))  # invited after the sending
    db.session.commit()
    [invitation] = _messages(juror.email)
    page = client.get(f"/appels/{call.id}/jury").text
    row = db.session.scalar(sa.select(CallJuror).where(CallJuror.email == juror.email))
    action = f"/appels/{call.id}/jury/jures/{row.id}/retirer"
    assert action in page
    for _ in range(2):  # a double click: one removal, one email
        assert client.post(action).status_code == 302
    assert db.session.scalar(sa.select(CallJuror).where(CallJuror.email == juror.email)) is None
    [_invitation, removal] = _messages(juror.email)
    assert removal.subject == f"Vous ne faites plus partie du jury : {call.title}"
    [attachment] = removal.attachments
    assert attachment["content_type"].startswith("text/calendar; method=CANCEL")
    cancel = Calendar.from_ical(base64.b64decode(attachment["data"]))
    event, held = cancel.walk("VEVENT")[0], _ics(invitation).walk("VEVENT")[0]
    assert str(cancel["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == str(held["UID"]) and event["SEQUENCE"] == held["SEQUENCE"] + 1
    assert event.decoded("DTSTART") == held.decoded("DTSTART")
    # Not sent the session: told, with nothing to take out of a calendar.
    other = db.session.scalar(sa.select(CallJuror).where(CallJuror.email == unsent.email))
    assert client.post(f"/appels/{call.id}/jury/jures/{other.id}/retirer").status_code == 302
    [told] = _messages(unsent.email)
    assert told.attachments == [] and "retire la séance" not in told.text_body
    login_as(juror)
    assert client.get(f"/appels/{call.id}/jury/notation").status_code == 403


def test_a_juror_who_scored_stays_on_the_jury(client, login_as):
    call = closed_call_with_dossiers()
    dossier = _the_preselected(call)
    juror = f.make_user(first_name="Jeanne", last_name="Jurée")
    _seat(call, juror)
    db.session.add(JuryScore(dossier_id=dossier.id, juror_id=juror.id, scores=[], average=4.0))
    db.session.commit()
    row = db.session.scalar(sa.select(CallJuror).where(CallJuror.email == juror.email))
    login_as(_trainer())
    response = client.post(f"/appels/{call.id}/jury/jures/{row.id}/retirer", follow_redirects=True)
    assert "Jeanne Jurée a déjà noté des pitchs" in response.text
    assert db.session.get(CallJuror, row.id) is not None and _messages(juror.email) == []
    login_as(juror)  # a juror does not manage the jury
    assert client.post(f"/appels/{call.id}/jury/jures/{row.id}/retirer").status_code == 403


def test_the_text_part_of_the_slot_emails_keeps_its_lines(client, login_as):
    call = _with_session(closed_call_with_dossiers())
    first = _the_preselected(call)
    second = f.make_dossier(call, state="preselected", title="Deuxième projet")
    juror = f.make_user()
    _seat(call, juror)
    db.session.commit()
    login_as(_trainer())
    assert client.post(f"/appels/{call.id}/jury/envoyer").status_code == 302
    [to_juror] = _messages(juror.email)
    lines = to_juror.text_body.splitlines()
    assert "Lieu ou lien : Ségur, salle 3" in lines and "Le 8 avril 2027 (heure de Paris)." in lines
    assert f"- 14h00 : {first.display_title}" in lines and "- 14h10 : Deuxième projet" in lines
    [to_first] = _messages(first.owner.email)
    lines = to_first.text_body.splitlines()
    assert "Voici votre créneau de pitch devant le jury :" in lines
    assert any(line.startswith("le 8 avril 2027") for line in lines), lines


# --- Scoring ---------------------------------------------------------------------------------------------


def test_a_juror_scores_a_pitch_once_edited_in_place(client, login_as):
    call = closed_call_with_dossiers()
    dossier = _the_preselected(call)
    juror = f.make_user()
    _seat(call, juror)
    db.session.commit()
    login_as(juror)
    for _ in range(2):  # a double click
        assert client.post(f"/appels/dossiers/{dossier.id}/jury/note", data=_scored(dossier)).status_code == 302
    [score] = db.session.scalars(sa.select(JuryScore)).all()
    assert score.juror_id == juror.id and score.average == 4.0 and score.scores[0]["comment"] == "Chiffres solides"
    assert "Chiffres solides" in client.get(f"/appels/{call.id}/jury/notation").text


def test_a_score_sent_after_the_decision_keeps_the_text(client, login_as):
    call = closed_call_with_dossiers()
    dossier = _the_preselected(call)
    juror = f.make_user()
    _seat(call, juror)
    dossier.state = "laureate"
    db.session.commit()
    login_as(juror)
    response = client.post(f"/appels/dossiers/{dossier.id}/jury/note",
                           data={**_scored(dossier), f"d{dossier.id}-comment_2": "Un mot tapé tard"})
    assert response.status_code == 409
    assert "Un mot tapé tard" in response.text and "déjà prise" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JuryScore)) == 0


# --- Deliberation and decisions ----------------------------------------------------------------------------


def _score(dossier, juror, *values):
    items = [{"criterion": f"Critère {n}", "score": v, "comment": ""} for n, v in enumerate(values, start=1)]
    db.session.add(JuryScore(dossier_id=dossier.id, juror_id=juror.id, scores=items, average=sum(values) / len(values)))


def test_the_deliberation_sorts_by_average_with_the_spread(client, login_as):
    call = closed_call_with_dossiers()
    low, high = _preselected(call)
    a, b = f.make_user(), f.make_user()
    _score(low, a, 2, 2, 2), _score(low, b, 3, 3, 3), _score(high, a, 5, 4, 3), _score(high, b, 5, 5, 5)
    db.session.commit()
    login_as(_trainer())
    page = client.get(f"/appels/{call.id}/deliberation").text
    assert page.index(high.title) < page.index(low.title)
    assert "4,50" in page and "4,00 – 5,00" in page and "2,50" in page and "2,00 – 3,00" in page


def test_the_deliberation_costs_the_same_queries_for_10_and_1000_dossiers(client, login_as, count_queries):
    call = closed_call_with_dossiers()
    juror = f.make_user()
    login_as(_trainer())
    counts = {}
    for total in (10, 1000):
        now = utcnow()
        owners = [f"delib{total}-{n}@example.gouv.fr" for n in range(total)]
        db.session.execute(sa.insert(User), [{"email": e, "first_name": "P", "last_name": "N", "password_hash": None}
                                             for e in owners])
        ids = db.session.scalars(sa.select(User.id).where(User.email.in_(owners))).all()
        db.session.execute(sa.insert(Dossier), [
            {"call_id": call.id, "owner_id": i, "state": "preselected", "submitted_at": now, "title": f"P{n}",
             "problem": "", "solution": "", "first_users": "", "opinion": "", "callback": "oui", "consent_guide": True,
             "consent_share": True, "created_at": now, "updated_at": now} for n, i in enumerate(ids)])
        for dossier in db.session.scalars(sa.select(Dossier).order_by(Dossier.id.desc()).limit(3)).all():
            _score(dossier, juror, 4, 4, 4)
        db.session.commit()
        with count_queries() as counter:
            response = client.get(f"/appels/{call.id}/deliberation")
        assert response.status_code == 200
        counts[total] = counter.count
    assert counts[10] == counts[1000]


def test_a_decision_is_recorded_with_its_reason_and_emailed_once(client, login_as):
    call = closed_call_with_dossiers()
    dossier = _the_preselected(call)
    trainer = _trainer()
    login_as(trainer)
    form = client.get(f"/appels/dossiers/{dossier.id}/decision?decision=waitlisted")
    assert form.status_code == 200 and "liste complémentaire" in form.text
    data = {"decision": "laureate", "reason": "Problème chiffré, équipe motivée", "subject": "Lauréat !",
            "body": "Bravo, votre projet est **lauréat**."}
    assert client.post(f"/appels/dossiers/{dossier.id}/decision", data=data).status_code == 302
    assert client.post(f"/appels/dossiers/{dossier.id}/decision", data=data).status_code == 302  # a second click
    db.session.refresh(dossier)
    assert dossier.state == "laureate" and dossier.decision_reason == "Problème chiffré, équipe motivée"
    change = db.session.scalar(sa.select(StateChange).where(StateChange.subject_type == "call_dossiers",
                                                            StateChange.subject_id == dossier.id,
                                                            StateChange.to_state == "laureate"))
    assert change.actor_id == trainer.id and change.reason == "Problème chiffré, équipe motivée"
    [message] = _messages(dossier.owner.email)
    assert message.subject == "Lauréat !" and "Bravo, votre projet est" in message.text_body


def _decision_form(page: str) -> dict:
    soup = BeautifulSoup(page, "html.parser")
    data = {field["name"]: field.get("value", "") for field in soup.select("form[method=post] input[name]")
            if field.get("type") not in ("radio",)}
    data["decision"] = soup.select_one("input[name=decision][checked]")["value"]
    data.update({area["name"]: area.get_text() for area in soup.select("form[method=post] textarea[name]")})
    return data


def test_a_decision_changed_after_its_letter_is_not_sent_with_the_other_letter(client, login_as):
    call = closed_call_with_dossiers()
    dossier = _the_preselected(call)
    login_as(_trainer())
    page = client.get(f"/appels/dossiers/{dossier.id}/decision?decision=laureate").text
    data = {**_decision_form(page), "decision": "waitlisted", "reason": "Un projet proche est retenu."}
    assert data["subject"].startswith("Votre projet est lauréat")
    # The untouched lauréat letter with « Liste complémentaire » ticked: nothing sent, the right letter shown.
    shown = client.post(f"/appels/dossiers/{dossier.id}/decision", data=data)
    assert shown.status_code == 422 and "Le message avait été rédigé pour « Lauréat »" in shown.text
    refilled = _decision_form(shown.text)
    assert refilled["subject"].startswith("Votre projet est en liste complémentaire") and refilled["decision"] == "waitlisted"
    assert _messages(dossier.owner.email) == []
    assert client.post(f"/appels/dossiers/{dossier.id}/decision", data=refilled).status_code == 302
    [message] = _messages(dossier.owner.email)
    assert message.subject.startswith("Votre projet est en liste complémentaire")
    db.session.refresh(dossier)
    assert dossier.state == "waitlisted"


def test_a_letter_edited_by_hand_is_kept_when_the_decision_changes(client, login_as):
    call = closed_call_with_dossiers()
    dossier = _the_preselected(call)
    login_as(_trainer())
    data = {**_decision_form(client.get(f"/appels/dossiers/{dossier.id}/decision").text),
            "decision": "not_selected", "reason": "Trop proche d’un service existant.", "body": "Mon message écrit à la main."}
    shown = client.post(f"/appels/dossiers/{dossier.id}/decision", data=data)
    assert shown.status_code == 422 and "Mon message écrit à la main." in shown.text
    assert _messages(dossier.owner.email) == []


def test_a_decision_without_a_reason_is_refused_in_french(client, login_as):
    call = closed_call_with_dossiers()
    dossier = _the_preselected(call)
    login_as(_trainer())
    response = client.post(f"/appels/dossiers/{dossier.id}/decision",
                           data={"decision": "not_selected", "reason": "", "subject": "S", "body": "B"})
    assert response.status_code == 422 and "Indiquez la raison de la décision." in response.text
    db.session.refresh(dossier)
    assert dossier.state == "preselected" and _messages(dossier.owner.email) == []


# --- Minutes ---------------------------------------------------------------------------------------------


def test_the_csv_minutes_hold_jurors_scores_decisions_and_neutralise_formulas(client, login_as):
    call = _with_session(closed_call_with_dossiers())
    dossier = _the_preselected(call)
    dossier.title = "=HYPERLINK(\"http://x\")"
    dossier.state, dossier.decision_reason = "laureate", "Le meilleur pitch"
    juror = f.make_user(first_name="Awa", last_name="Diallo")
    _seat(call, juror)
    _score(dossier, juror, 5, 4, 3)
    db.session.commit()
    login_as(_trainer())
    response = client.get(f"/appels/{call.id}/jury/proces-verbal.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert "Awa Diallo" in cells and "Le meilleur pitch" in cells and "Lauréat" in cells and "4,00" in cells
    assert "'=HYPERLINK(\"http://x\")" in cells and "=HYPERLINK(\"http://x\")" not in cells


def test_the_pdf_minutes_are_a_pdf_with_the_decisions(client, login_as):
    call = _with_session(closed_call_with_dossiers())
    dossier = _the_preselected(call)
    dossier.state, dossier.decision_reason = "waitlisted", "Très proche des lauréats"
    db.session.commit()
    login_as(_trainer())
    response = client.get(f"/appels/{call.id}/jury/proces-verbal.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Très proche des lauréats" in text and "Liste complémentaire" in text


def test_a_juror_finds_her_jury_from_the_calls_page(client, login_as):
    call = closed_call_with_dossiers()
    juror = f.make_user()
    _seat(call, juror)
    db.session.commit()
    login_as(juror)
    assert f"/appels/{call.id}/jury/notation" in client.get("/appels/").text
    assert f"/appels/{call.id}/jury/notation" in client.get(f"/appels/{call.id}").text
    login_as(f.make_user())
    assert "/jury/notation" not in client.get("/appels/").text


# --- Withdrawal ------------------------------------------------------------------------------------------


def test_a_candidate_withdraws_her_filed_dossier_once_with_her_reason(client, login_as):
    call = f.make_call()
    dossier = f.make_dossier(call, state="submitted", title="Projet repris")
    login_as(dossier.owner)
    page = client.get(f"/appels/dossiers/{dossier.id}").text
    assert f"/appels/dossiers/{dossier.id}/retirer" in page and "Retirer mon dossier" in page
    for _ in range(2):  # a double click: one withdrawal, one receipt
        response = client.post(f"/appels/dossiers/{dossier.id}/retirer", data={"reason": "Repris par mon service"})
        assert response.status_code == 302 and response.headers["Location"] == f"/appels/dossiers/{dossier.id}"
    db.session.refresh(dossier)
    assert dossier.state == "withdrawn"
    [change] = db.session.scalars(sa.select(StateChange).where(StateChange.subject_id == dossier.id,
                                                                StateChange.to_state == "withdrawn")).all()
    assert (change.actor_id, change.reason) == (dossier.owner.id, "Repris par mon service")
    [receipt] = _messages(dossier.owner.email)
    assert receipt.subject == "Dossier retiré : Projet repris" and receipt.attachments == []
    page = client.get(f"/appels/dossiers/{dossier.id}").text
    assert "Retiré par son auteur ou son autrice" in page and "/retirer" not in page
    login_as(_trainer())  # the team no longer finds it to score
    assert "Projet repris" not in client.get(f"/appels/{call.id}/preselection").text
    assert client.get(f"/appels/dossiers/{dossier.id}/evaluation").status_code in (302, 403)


def test_a_preselected_candidate_withdrawing_loses_her_pitch_slot_from_her_calendar(client, login_as):
    call = _with_session(closed_call_with_dossiers())
    dossier = _the_preselected(call)
    login_as(_trainer())
    assert client.post(f"/appels/{call.id}/jury/envoyer").status_code == 302
    [slot] = _messages(dossier.owner.email)
    login_as(dossier.owner)
    assert client.post(f"/appels/dossiers/{dossier.id}/retirer").status_code == 302
    [_slot, receipt] = _messages(dossier.owner.email)
    [attachment] = receipt.attachments
    assert attachment["content_type"].startswith("text/calendar; method=CANCEL")
    event, held = Calendar.from_ical(base64.b64decode(attachment["data"])).walk("VEVENT")[0], _ics(slot).walk("VEVENT")[0]
    assert str(event["UID"]) == str(held["UID"]) and event["SEQUENCE"] == held["SEQUENCE"] + 1
    assert str(event["STATUS"]) == "CANCELLED"
    login_as(_trainer())  # off the timetable
    assert dossier.display_title not in client.get(f"/appels/{call.id}/jury").text


def test_a_decided_dossier_or_someone_elses_cannot_be_withdrawn(client, login_as):
    laureate = f.make_dossier(f.make_call(), state="laureate")
    login_as(laureate.owner)
    assert "Retirer mon dossier" not in client.get(f"/appels/dossiers/{laureate.id}").text
    refused = client.post(f"/appels/dossiers/{laureate.id}/retirer", follow_redirects=True)
    assert refused.status_code == 200 and "n’est plus en cours d’examen (Lauréat)" in refused.text
    db.session.refresh(laureate)
    assert laureate.state == "laureate" and _messages(laureate.owner.email) == []
    other = f.make_dossier(f.make_call(), state="submitted")
    assert client.post(f"/appels/dossiers/{other.id}/retirer").status_code == 403
    db.session.refresh(other)
    assert other.state == "submitted"


def test_a_candidate_of_the_call_is_not_invited_to_its_jury_nor_scores_her_own_pitch(client, login_as):
    call = closed_call_with_dossiers()
    dossier = _the_preselected(call)
    login_as(_trainer())
    response = client.post(f"/appels/{call.id}/jury/jures", data={"email": dossier.owner.email.upper()})
    assert response.status_code == 422 and "a déposé un dossier à cet appel" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CallJuror)) == 0
    # Invited before she filed (or by her account's later address): she still never scores her own pitch.
    db.session.add(CallJuror(call_id=call.id, email=dossier.owner.email, user_id=dossier.owner.id))
    db.session.commit()
    login_as(dossier.owner)
    page = client.get(f"/appels/{call.id}/jury/notation").text
    assert "C’est votre propre projet : vous ne le notez pas." in page
    assert f"/appels/dossiers/{dossier.id}/jury/note" not in page
    refused = client.post(f"/appels/dossiers/{dossier.id}/jury/note", data=_scored(dossier))
    assert refused.status_code == 422 and "C’est votre propre projet" in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JuryScore)) == 0


def test_a_juror_invited_before_her_account_is_named_once_she_confirms_it(client, login_as):
    call = closed_call_with_dossiers()
    login_as(_trainer())
    assert client.post(f"/appels/{call.id}/jury/jures", data={"email": "nouvelle@example.gouv.fr"}).status_code == 302
    assert "compte pas encore créé" in client.get(f"/appels/{call.id}/jury").text
    unconfirmed = f.make_user(email="nouvelle@example.gouv.fr", first_name="Nadia", last_name="Nouvelle")
    unconfirmed.email_confirmed_at = None
    db.session.commit()
    assert "compte pas encore créé" in client.get(f"/appels/{call.id}/jury").text  # not proved hers yet
    unconfirmed.email_confirmed_at = utcnow()
    db.session.commit()
    page = client.get(f"/appels/{call.id}/jury").text
    assert "Nadia Nouvelle (nouvelle@example.gouv.fr)" in page and "compte pas encore créé" not in page
    assert "Nadia Nouvelle" in client.get(f"/appels/{call.id}/jury/proces-verbal.csv").text


def test_the_jury_decides_on_or_after_its_session_day(client, login_as):
    call = _with_session(closed_call_with_dossiers())  # the session: 8 April 2027
    dossier = _the_preselected(call)
    login_as(_trainer())
    data = {"decision": "laureate", "reason": "Pitch convaincant", "subject": "Lauréat", "body": "Bravo."}
    early = client.post(f"/appels/dossiers/{dossier.id}/decision", data=data)
    assert early.status_code == 422 and "La séance du jury a lieu le 8 avril 2027" in early.text
    db.session.refresh(dossier)
    assert dossier.state == "preselected" and _messages(dossier.owner.email) == []
    call.jury_on = utcnow().date()
    db.session.commit()
    assert client.post(f"/appels/dossiers/{dossier.id}/decision", data=data).status_code == 302


def test_the_jury_session_and_the_coaching_slot_come_after_the_call(client, login_as):
    call = closed_call_with_dossiers()
    login_as(_trainer())
    early = client.post(f"/appels/{call.id}/jury/seance", data={
        "jury_on": "2020-01-01", "jury_starts_at": "14:00", "jury_place": "Ségur", "pitch_minutes": "3",
        "questions_minutes": "5", "break_minutes": "2"})
    assert early.status_code == 422 and "la séance du jury a lieu ce jour-là ou après" in early.text
    db.session.refresh(call)
    assert call.jury_on is None
    past = client.post(f"/appels/{call.id}/informer", data={
        "coaching_at": "2020-01-01T14:00", "coaching_place": "Salle 1", "preselected_subject": "Bravo",
        "preselected_body": "Bravo", "others_subject": "Merci", "others_body": "Merci", "confirm": "y"})
    assert past.status_code == 422 and "choisissez une date à venir" in past.text
    db.session.refresh(call)
    assert call.informed_at is None


def test_a_decided_pitch_shows_its_decision_instead_of_a_score_form(client, login_as):
    call = closed_call_with_dossiers()
    dossier = _the_preselected(call)
    juror = f.make_user()
    _seat(call, juror)
    dossier.state = "laureate"
    db.session.commit()
    login_as(juror)
    page = client.get(f"/appels/{call.id}/jury/notation").text
    assert "Décision prise : Lauréat. La notation de ce pitch est close." in page
    assert f"/appels/dossiers/{dossier.id}/jury/note" not in page


def test_my_dossiers_say_a_draft_of_a_closed_call_can_no_longer_be_filed(client, login_as):
    closed = f.make_call(opens_at=utcnow() - timedelta(days=20), closes_at=utcnow() - timedelta(days=1))
    draft = f.make_dossier(closed, title="Brouillon tardif")
    login_as(draft.owner)
    page = client.get("/appels/mes-dossiers").text
    assert "ce brouillon ne peut plus être déposé" in page and "à déposer avant" not in page


def test_a_juror_does_not_file_a_dossier_to_the_call_she_judges(client, login_as):
    call = f.make_call()
    juror = f.make_user()
    _seat(call, juror)
    db.session.commit()
    login_as(juror)
    page = client.get(f"/appels/{call.id}/deposer", follow_redirects=True)
    assert "Vous êtes membre du jury de cet appel" in page.text
    response = client.post(f"/appels/{call.id}/deposer", data={"source": "scratch"}, follow_redirects=True)
    assert "Vous êtes membre du jury de cet appel" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dossier).where(Dossier.owner_id == juror.id)) == 0
