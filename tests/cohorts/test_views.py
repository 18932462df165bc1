import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from markupsafe import escape

from beta_training.accounts.models import Role
from beta_training.cohorts.models import ApplicationState, Cohort, CohortApplication, CohortStatus, ProgrammeItem
from beta_training.courses.models import CourseItem as CourseItemModel
from beta_training.core.models import OutboxMessage, StateChange, utcnow
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import (
    COMPLETE_ANSWERS,
    make_alumni_profile,
    make_application,
    make_application_review,
    make_cohort,
    make_programme_item,
    make_speaker,
    make_user,
)
from tests.records import timeline_of
from tests.simultaneous import post_at_once


@pytest.fixture
def world(app):
    candidate = make_user(email="candidate@example.gouv.fr")
    other = make_user(email="other@example.gouv.fr")
    users = {
        "candidate": candidate,
        "other_candidate": other,
        "trainer": make_user(roles=[Role.TRAINER]),
        "admin": make_user(roles=[Role.ADMIN]),
    }
    cohort = make_cohort(slug="alpha-ouverte")
    item = make_programme_item(cohort, speakers=[make_speaker(cohort)])
    application = make_application(cohort, candidate, state="accepted")
    make_application(cohort, other, state="submitted")
    past = make_cohort(slug="alpha-passee", status=CohortStatus.ARCHIVED,
                       applications_open_at=utcnow() - timedelta(days=90), applications_close_at=utcnow() - timedelta(days=60))
    alumni_application = make_application(past, candidate, state="confirmed", attended=True)
    return {"users": users, "cohort": cohort, "item": item, "application": application, "alumni": alumni_application}


def test_other_candidate_cannot_read_an_application_through_any_page(client, world):
    login(client, world["users"]["other_candidate"])
    application = world["application"]
    for url in (f"/alpha/candidatures/{application.id}", f"/alpha/gestion/candidatures/{application.id}"):
        response = client.get(url)
        assert response.status_code == 403 and COMPLETE_ANSWERS["problem"] not in response.text


# --- Applying through the pages -----------------------------------------------------------------------


def test_apply_save_draft_then_submit_once(client, mailbox):
    cohort = make_cohort()
    user = make_user()
    login(client, user)
    draft = {"problem": "Un brouillon commencé", "first_name": user.first_name, "last_name": user.last_name}
    response = client.post(f"/alpha/{cohort.slug}/candidater", data={**draft, "action": "save"})
    assert response.status_code == 302
    assert "Un brouillon commencé" in client.get(f"/alpha/{cohort.slug}/candidater").text

    # Sending an incomplete draft keeps it and says what is missing.
    response = client.post(f"/alpha/{cohort.slug}/candidater", data={**draft, "action": "submit"})
    assert response.status_code == 422 and "Cette réponse est obligatoire" in response.text
    assert 'aria-invalid="true"' in response.text

    # A double click on « Envoyer »: both requests reach the server at the same instant.
    complete = {**draft, **{k: ("y" if v is True else v) for k, v in COMPLETE_ANSWERS.items()}, "action": "submit"}
    responses = post_at_once(client.application, user, f"/alpha/{cohort.slug}/candidater", complete)
    assert [r.status_code for r in responses] == [302, 302]
    [application] = db.session.scalars(sa.select(CohortApplication).where(CohortApplication.user_id == user.id)).all()
    assert application.state == ApplicationState.SUBMITTED and application.problem == COMPLETE_ANSWERS["problem"]
    assert [r.headers["Location"] for r in responses] == [f"/alpha/candidatures/{application.id}"] * 2
    moves = db.session.execute(
        sa.select(StateChange.from_state, StateChange.to_state, StateChange.actor_id)
        .where(StateChange.subject_type == "cohort_applications", StateChange.subject_id == application.id)
        .order_by(StateChange.id)
    ).all()
    assert moves == [(None, "draft", user.id), ("draft", "submitted", user.id)]  # sent once, by her
    assert [m["Subject"] for m in mailbox.wait_for(1)] == [f"Candidature reçue : {cohort.title}"]
    assert db.session.scalars(sa.select(OutboxMessage.subject)).all() == [f"Candidature reçue : {cohort.title}"]


def test_autosave_endpoint_saves_without_sending(client):
    cohort = make_cohort()
    login(client, make_user())
    response = client.post(f"/alpha/{cohort.slug}/candidater/brouillon", data={"problem": "Tapé puis navigateur fermé"})
    assert response.status_code == 200 and response.json["saved"] is True
    application = db.session.scalar(sa.select(CohortApplication))
    assert application.problem == "Tapé puis navigateur fermé" and application.state == ApplicationState.DRAFT
    assert client.post(f"/alpha/{cohort.slug}/candidater/brouillon", data={"problem": "x"}, csrf=False).status_code == 400


@pytest.mark.parametrize("opens,closes,message", [
    (timedelta(hours=1), timedelta(days=2), "ouvriront le"),
    (-timedelta(days=2), -timedelta(minutes=1), "sont closes depuis"),
])
def test_applying_outside_the_window_is_refused_clearly(client, opens, closes, message):
    now = utcnow()
    cohort = make_cohort(applications_open_at=now + opens, applications_close_at=now + closes)
    login(client, make_user())
    response = client.get(f"/alpha/{cohort.slug}/candidater")
    assert response.status_code == 403 and message in response.text
    response = client.post(f"/alpha/{cohort.slug}/candidater/brouillon", data={"problem": "trop tard"})
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CohortApplication)) == 0


def test_draft_cohort_is_invisible_to_candidates(client):
    cohort = make_cohort(status=CohortStatus.DRAFT)
    login(client, make_user())
    assert client.get(f"/alpha/{cohort.slug}").status_code == 404
    assert client.get(f"/alpha/{cohort.slug}/candidater").status_code == 404


def test_candidate_sees_waitlist_position(client):
    cohort = make_cohort()
    make_application(cohort, state="waitlisted", waitlist_position=1)
    mine = make_application(cohort, state="waitlisted", waitlist_position=5)
    login(client, mine.user)
    assert "position 2 sur la liste d’attente" in client.get(f"/alpha/candidatures/{mine.id}").text
    assert "position 2" in client.get("/alpha/mes-candidatures").text


def test_confirm_and_withdraw_from_the_candidate_page(client, mailbox):
    cohort = make_cohort(seats=1)
    mine = make_application(cohort, state="accepted")
    waiting = make_application(cohort, state="waitlisted")
    login(client, mine.user)
    client.post(f"/alpha/candidatures/{mine.id}/confirmer")
    db.session.refresh(mine)
    assert mine.state == ApplicationState.CONFIRMED
    client.post(f"/alpha/candidatures/{mine.id}/retirer")
    db.session.refresh(mine)
    db.session.refresh(waiting)
    assert mine.state == ApplicationState.WITHDRAWN and waiting.state == ApplicationState.ACCEPTED
    subjects = {m["Subject"] for m in mailbox.wait_for(3)}
    assert f"Une place vous est proposée : {cohort.title}" in subjects

    # The same button in a second tab, opened before: back to her application, not « Accès refusé ».
    again = client.post(f"/alpha/candidatures/{mine.id}/retirer")
    assert again.status_code == 302 and again.headers["Location"] == f"/alpha/candidatures/{mine.id}"
    assert len(mailbox.messages) == 3  # and nothing sent twice
    other = make_application(cohort, state="waitlisted")
    assert client.post(f"/alpha/candidatures/{other.id}/retirer").status_code == 403  # someone else's


# --- Trainers --------------------------------------------------------------------------------------------


def test_trainer_creates_edits_and_publishes_a_session(client):
    trainer = make_user(roles=[Role.TRAINER])
    login(client, trainer)
    data = {
        "title": "Formation Alpha — Lyon", "slug": "alpha-lyon", "edition": "40", "starts_on": "2027-03-02",
        "ends_on": "2027-03-03", "day_starts_at": "09:30", "day_ends_at": "17:30", "format": "presentiel", "place_name": "Lyon",
        "address": "", "access_link": "", "seats": "28", "practical_info": "", "applications_open_at": "2027-01-10T09:00",
        "applications_close_at": "2027-02-10T23:59", "confirmation_delay_days": "7",
    }
    response = client.post("/alpha/gestion/nouvelle", data=data)
    assert response.status_code == 302
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.slug == "alpha-lyon"))
    assert cohort.status == CohortStatus.DRAFT
    assert cohort.applications_close_at.isoformat() == "2027-02-10T22:59:00+00:00"  # Paris winter time → UTC
    bad = client.post("/alpha/gestion/nouvelle", data={**data, "ends_on": "2027-03-01"})
    assert bad.status_code == 422 and "Le dernier jour doit suivre le premier." in bad.text
    taken = client.post("/alpha/gestion/nouvelle", data=data)
    assert taken.status_code == 422 and "déjà pris" in taken.text
    client.post(f"/alpha/gestion/{cohort.id}/programme", data={"day": "2027-03-02", "starts_at": "09:30", "title": "Écouter ses utilisateurs"})
    assert db.session.scalar(sa.select(ProgrammeItem.title).where(ProgrammeItem.cohort_id == cohort.id)) == "Écouter ses utilisateurs"
    client.post(f"/alpha/gestion/{cohort.id}/statut/published", data={"reason": "Programme prêt"})
    db.session.refresh(cohort)
    assert cohort.status == CohortStatus.PUBLISHED
    assert "Programme prêt" in client.get(f"/alpha/gestion/{cohort.id}/modifier").text
    assert client.post(f"/alpha/gestion/{cohort.id}/statut/archived").status_code == 302
    db.session.refresh(cohort)
    assert cohort.status == CohortStatus.PUBLISHED  # published → archived is not a move


def test_review_queue_filters_and_sorts(client):
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort()
    high = make_application(cohort, departement="69", administration_type="etat", last_name="Zuberbuhler")
    low = make_application(cohort, departement="75", administration_type="collectivite", last_name="Quennehen")
    make_application(cohort, state="draft", last_name="Brouillonne")
    make_application_review(high, problem_score=5, motivation_score=5, solution_score=5)
    make_application_review(low, problem_score=1, motivation_score=1, solution_score=1)
    login(client, trainer)
    page = client.get(f"/alpha/gestion/{cohort.id}/candidatures?sort=score").text
    assert page.index("Zuberbuhler") < page.index("Quennehen") and "Brouillon" not in page
    assert "Quennehen" not in client.get(f"/alpha/gestion/{cohort.id}/candidatures?departement=69").text
    assert "Zuberbuhler" not in client.get(f"/alpha/gestion/{cohort.id}/candidatures?administration_type=collectivite").text
    assert "Quennehen" not in client.get(f"/alpha/gestion/{cohort.id}/candidatures?min_score=3").text


def test_review_and_decide_from_the_application_page(client, mailbox):
    trainer = make_user(roles=[Role.TRAINER])
    application = make_application()
    login(client, trainer)
    client.post(f"/alpha/gestion/candidatures/{application.id}/evaluation",
                data={"problem_score": "4", "motivation_score": "5", "solution_score": "4", "comment": "Solide"})
    page = client.get(f"/alpha/gestion/candidatures/{application.id}").text
    assert "4,33" in page and "4.33" not in page and "Solide" in page  # the average, written in French
    client.post(f"/alpha/gestion/candidatures/{application.id}/decision", data={"decision": "reject", "reason": "Session complète"})
    db.session.refresh(application)
    assert application.state == ApplicationState.REJECTED
    [message] = mailbox.wait_for(1)
    assert "Session complète" in message.get_body(preferencelist=("plain",)).get_content()
    assert "Session complète" in client.get(f"/alpha/gestion/candidatures/{application.id}").text  # timeline keeps why


def test_seats_and_scores_are_written_in_french(client):
    """« 0 place », « 1 place », « 2 places » (0 and 1 are singular in French); averages « 3,5 »."""
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort(seats=2)
    reviewed = make_application(cohort, state="accepted", last_name="Évaluée")
    make_application_review(reviewed, problem_score=4, motivation_score=3, solution_score=4)
    make_application_review(reviewed, problem_score=3, motivation_score=4, solution_score=4)
    assert "1 place restante sur 2" in client.get(f"/alpha/{cohort.slug}").text
    make_application(cohort, state="confirmed")
    assert "0 place restante sur 2" in client.get(f"/alpha/{cohort.slug}").text
    assert "2 places restantes sur 2" in client.get(f"/alpha/{make_cohort(seats=2).slug}").text
    login(client, trainer)
    queue = BeautifulSoup(client.get(f"/alpha/gestion/{cohort.id}/candidatures").text, "html.parser")
    assert queue.select_one("caption").get_text(strip=True) == "2 candidatures"
    [row] = [tr for tr in queue.select("tbody tr") if "Évaluée" in tr.get_text()]
    # Problem 3,5, motivation 3,5, solution 4, overall 3,67 (two reviews).
    # The number of reviews sits under the average (one column less, so the queue fits at 1280 px).
    assert [td.get_text(" ", strip=True) for td in row.select("td")][-4:] == ["3,5", "3,5", "4", "3,67 2 évaluations"]
    assert "0 place libre sur 2" in queue.get_text(" ", strip=True)


def test_bulk_decision(client):
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort()
    first, second = make_application(cohort), make_application(cohort)
    login(client, trainer)
    client.post(f"/alpha/gestion/{cohort.id}/candidatures/decisions",
                data={"application_ids": [str(first.id), str(second.id)], "decision": "waitlist"})
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.state, second.state) == ("waitlisted", "waitlisted")
    assert (first.waitlist_position, second.waitlist_position) == (1, 2)


def test_csv_export_has_answers_scores_and_decisions(client):
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort()
    application = make_application(cohort, state="rejected", rejection_reason="Hors champ", last_name="Éloïse")
    make_application_review(application, problem_score=4, motivation_score=4, solution_score=1, comment="Idée floue")
    login(client, trainer)
    response = client.get(f"/alpha/gestion/{cohort.id}/candidatures.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    [row] = rows
    assert row["nom"] == "Éloïse" and row["etat"] == "Non retenue" and row["motif_decision"] == "Hors champ"
    assert row["probleme"] == COMPLETE_ANSWERS["problem"] and row["note_moyenne"] == "3,00"
    assert "Idée floue" in row["evaluations"]


def test_bulk_email_and_attendance(client, mailbox):
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort(starts_on=utcnow().date() - timedelta(days=1))  # attendance is marked once it has started
    confirmed = make_application(cohort, state="confirmed")
    make_application(cohort, state="waitlisted")
    login(client, trainer)
    client.post(f"/alpha/gestion/{cohort.id}/courriel", data={"audience": "confirmed", "subject": "Salle", "body": "Salle 3"})
    assert [m["To"] for m in mailbox.wait_for(1)] == [confirmed.user.email]
    client.post(f"/alpha/gestion/{cohort.id}/presence", data={"attended_ids": [str(confirmed.id)]})
    db.session.refresh(confirmed)
    assert confirmed.attended is True
    [(_, _, marked_by, reason, _)] = timeline_of(confirmed)
    assert (marked_by, reason) == (trainer.id, "Présence à la session : oui.")


def test_one_register_sent_twice_at_once_records_each_presence_once(app):
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort(starts_on=utcnow().date() - timedelta(days=1))
    present, absent = make_application(cohort, state="confirmed"), make_application(cohort, state="confirmed")
    responses = post_at_once(app, trainer, f"/alpha/gestion/{cohort.id}/presence", {"attended_ids": [str(present.id)]})
    assert [r.status_code for r in responses] == [302, 302]
    assert [(to, actor, reason) for _, to, actor, reason, _ in timeline_of(present) + timeline_of(absent)] == [
        ("confirmed", trainer.id, "Présence à la session : oui."), ("confirmed", trainer.id, "Présence à la session : non.")]


def test_the_session_timeline_shows_who_edited_it(client):
    trainer = make_user(roles=[Role.TRAINER], first_name="Camille", last_name="Formatrice")
    opens = utcnow().replace(second=0, microsecond=0)  # the form shows minutes: what it sends back is unchanged
    cohort = make_cohort(seats=28, applications_open_at=opens, applications_close_at=opens + timedelta(days=20))
    login(client, trainer)
    form = BeautifulSoup(client.get(f"/alpha/gestion/{cohort.id}/modifier").text, "html.parser").find(
        "form", action=f"/alpha/gestion/{cohort.id}/modifier")
    data = {field["name"]: field.get("value", "") for field in form.find_all("input") if field.get("type") not in ("radio", "submit")}
    data.update({"format": cohort.format, "practical_info": "", "seats": "20"})
    assert client.post(f"/alpha/gestion/{cohort.id}/modifier", data=data).status_code == 302
    [(_, _, editor, reason, _)] = timeline_of(cohort)
    assert (editor, reason) == (trainer.id, "Modifiée : Nombre de places.")
    page = BeautifulSoup(client.get(f"/alpha/gestion/{cohort.id}/modifier").text, "html.parser")
    [line] = page.find("h2", string="Historique").find_next("ol").find_all("li")
    assert " ".join(line.get_text(" ", strip=True).split()).endswith(
        "— Modification (Camille Formatrice) Modifiée : Nombre de places.")


def test_alumni_directory_is_searchable_and_limited_to_alumni(client, world):
    alumni = world["users"]["candidate"]
    make_alumni_profile(alumni, project="Mon suivi de stage", contact="lea@example.gouv.fr")
    hidden = make_application(world["alumni"].cohort, make_user(last_name="Cachée"), state="confirmed", attended=True)
    make_alumni_profile(hidden.user, listed=False)
    login(client, alumni)
    page = client.get("/alpha/anciens?q=stage").text
    assert "Mon suivi de stage" in page and "Cachée" not in page
    assert "Mon suivi de stage" not in client.get("/alpha/anciens?q=inconnu").text
    response = client.post("/alpha/anciens/mon-profil", data={"listed": "y", "project": "Nouveau projet", "contact": ""})
    assert response.status_code == 302
    assert "Nouveau projet" in client.get("/alpha/anciens").text


def test_queries_per_page_do_not_grow_with_applications(client, count_queries):
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort(seats=500)
    login(client, trainer)

    def counted(url):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    urls = [f"/alpha/gestion/{cohort.id}/candidatures", "/alpha/gestion/", "/alpha/", f"/alpha/{cohort.slug}"]
    for _ in range(3):
        make_application_review(make_application(cohort, state="waitlisted"))
    few = [counted(url) for url in urls]
    for _ in range(40):
        make_application_review(make_application(cohort, state="accepted"))
    assert [counted(url) for url in urls] == few


def test_csv_export_of_an_empty_session_still_has_its_header(client):
    login(client, make_user(roles=[Role.TRAINER]))
    cohort = make_cohort()
    text = client.get(f"/alpha/gestion/{cohort.id}/candidatures.csv").data.decode("utf-8-sig")
    assert text.splitlines() == [
        "id;etat;envoyee_le;prenom;nom;email;administration;type_administration;fonction;departement;situation;"
        "produit;probleme;solution;premiers_utilisateurs;motivation;besoins;problem_score;motivation_score;"
        "solution_score;note_moyenne;nombre_evaluations;rang_liste_attente;motif_decision;evaluations"
    ]


def test_review_page_shows_the_candidates_mooc_progress(client):
    from tests.factories import make_enrolment, make_item_completion, make_mooc

    course, run = make_mooc(sequences=(1,), kinds=("text", "video", "quiz", "testimonial"))
    application = make_application()
    enrolment = make_enrolment(run, application.user)
    first_item = db.session.scalar(sa.select(CourseItemModel.id).where(CourseItemModel.course_id == course.id))
    make_item_completion(enrolment, db.session.get(CourseItemModel, first_item))
    login(client, make_user(roles=[Role.TRAINER]))
    page = client.get(f"/alpha/gestion/candidatures/{application.id}").text
    assert f"{course.title} (Session 01) — 25 % des contenus suivis" in page


# --- A sent application is never weakened (issue #10) -----------------------------------------------------


def _form_of(application, **changes) -> dict:
    """What the application page posts: every answer, as the browser sends it."""
    answers = {name: getattr(application, name) for name in COMPLETE_ANSWERS}
    answers.update(first_name=application.first_name, last_name=application.last_name, **changes)
    return {name: ("y" if value is True else value) for name, value in answers.items() if value is not False}


def test_autosave_never_weakens_a_sent_application(client):
    cohort = make_cohort()
    trainer = make_user(roles=[Role.TRAINER])
    application = make_application(cohort, state="submitted")
    login(client, application.user)
    autosave = f"/alpha/{cohort.slug}/candidater/brouillon"

    cleared = client.post(autosave, data=_form_of(application, motivation=""))  # « Votre motivation » emptied, then a pause
    assert cleared.status_code == 422 and cleared.json["error"] == "incomplete" and cleared.json["missing"] == ["motivation"]
    assert "« Votre motivation »" in cleared.json["message"] and cleared.json["saved"] is False
    partial = client.post(autosave, data={"problem": "Seulement ce champ"})  # a partial POST blanks nothing either
    assert partial.status_code == 422 and partial.json["error"] == "incomplete"
    db.session.refresh(application)
    assert application.motivation == COMPLETE_ANSWERS["motivation"] and application.problem == COMPLETE_ANSWERS["problem"]
    assert application.state == ApplicationState.SUBMITTED

    # The trainers read the full sent answers, on the review page and in the export.
    login(client, trainer)
    assert str(escape(COMPLETE_ANSWERS["motivation"])) in client.get(f"/alpha/gestion/candidatures/{application.id}").text
    assert COMPLETE_ANSWERS["motivation"] in client.get(f"/alpha/gestion/{cohort.id}/candidatures.csv").text

    # A complete edit of a sent application is still saved, as the page promises.
    login(client, application.user)
    edited = client.post(autosave, data=_form_of(application, motivation="Une motivation reformulée."))
    assert edited.status_code == 200 and edited.json["saved"] is True
    db.session.refresh(application)
    assert application.motivation == "Une motivation reformulée." and application.state == ApplicationState.SUBMITTED


def test_autosave_errors_are_json(client):
    cohort = make_cohort()
    application = make_application(cohort, state="accepted")  # no longer editable
    login(client, application.user)
    refused = client.post(f"/alpha/{cohort.slug}/candidater/brouillon", data=_form_of(application))
    assert refused.status_code == 409 and refused.json["error"] == "not_editable" and refused.json["message"]
    missing = client.post("/alpha/session-inconnue/candidater/brouillon", data={"problem": "x"})
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    expired = client.post(f"/alpha/{cohort.slug}/candidater/brouillon", data={"problem": "x"}, csrf=False)
    assert expired.status_code == 400 and expired.json["error"] == "csrf_expired" and "rechargez" in expired.json["message"]
