import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from freezegun import freeze_time
from pypdf import PdfReader

from beta_training.accounts.models import Role, User
from beta_training.core.models import utcnow
from beta_training.courses import queries, services
from beta_training.courses.models import CourseItem, Enrolment, ItemCompletion
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import (
    make_course_item,
    make_course_module,
    make_enrolment,
    make_mooc,
    make_sequence,
    make_user,
)
from tests.records import timeline_of


def answer(quiz, *texts) -> dict:
    """The quiz form as the page sends it: for each question in turn, the choice with this text."""
    return {f"question_{question.id}": str(next(c.id for c in question.choices if c.text == text))
            for question, text in zip(quiz.questions, texts, strict=True)}


@pytest.fixture
def world(app):
    course, run = make_mooc()
    users = {
        "learner": make_user(), "other_learner": make_user(), "trainer": make_user(roles=[Role.TRAINER]),
        "course_lead": make_user(roles=[Role.COURSE_LEAD]), "admin": make_user(roles=[Role.ADMIN]),
    }
    enrolment = make_enrolment(run, users["learner"])
    item = db.session.scalar(sa.select(CourseItem).where(CourseItem.course_id == course.id).order_by(CourseItem.id))
    return {"course": course, "run": run, "users": users, "enrolment": enrolment, "item": item}


def test_a_learner_never_sees_another_learners_progress(client, world):
    other = world["users"]["other_learner"]
    login(client, other)
    page = client.get(f"/mooc/{world['course'].slug}")
    assert "Votre progression" not in page.text
    assert client.get(f"/mooc/gestion/sessions/{world['run'].id}/apprenants.csv").status_code == 403
    assert world["users"]["learner"].email not in client.get(f"/mooc/gestion/sessions/{world['run'].id}/tableau-de-bord").text


def test_enrol_from_the_course_page(client, world, mailbox):
    user = make_user()
    login(client, user)
    course, run = world["course"], world["run"]
    assert "M’inscrire" in client.get(f"/mooc/{course.slug}").text
    client.post(f"/mooc/{course.slug}/{run.slug}/inscription")
    client.post(f"/mooc/{course.slug}/{run.slug}/inscription")  # double click: one enrolment, one email
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).where(Enrolment.user_id == user.id)) == 1
    assert [m["Subject"] for m in mailbox.wait_for(1)] == [f"Inscription confirmée : {course.title}"]
    page = client.get(f"/mooc/{course.slug}").text
    assert "Commencer le cours" in page and "<progress" in page


@pytest.mark.parametrize("opens,closes,message", [
    (timedelta(days=1), timedelta(days=5), "Les inscriptions ouvriront le"),
    (-timedelta(days=5), -timedelta(days=1), "Les inscriptions sont closes depuis le"),
])
def test_enrolling_outside_the_window_says_when(client, opens, closes, message):
    now = utcnow()
    course, run = make_mooc()
    run.registration_opens_at, run.registration_closes_at = now + opens, now + closes
    db.session.commit()
    login(client, make_user())
    response = client.post(f"/mooc/{course.slug}/{run.slug}/inscription", follow_redirects=True)
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 0


def test_progress_through_items(client, world):
    course, run, learner = world["course"], world["run"], world["users"]["learner"]
    login(client, learner)
    base = f"/mooc/{course.slug}/{run.slug}/contenu"
    client.get(f"{base}/s1-text")  # opening a text lesson completes it
    client.post(f"{base}/s1-video/termine")  # « J'ai terminé »
    response = client.post(f"{base}/s2-video/termine", data={"source": "video"}, headers={"X-Requested-With": "fetch"})
    assert response.json == {"recorded": True, "completed": True}
    response = client.post(f"{base}/s2-video/termine", data={"source": "video"}, headers={"X-Requested-With": "fetch"})
    assert response.json["recorded"] is False  # a second 95 % event changes nothing
    quiz = db.session.scalar(sa.select(CourseItem).where(CourseItem.key == "s1-quiz"))
    response = client.post(f"{base}/s1-quiz/quiz", data=answer(quiz, "Mauvaise"), follow_redirects=True)
    assert "Pas tout à fait" in response.text and "Non" in response.text
    sources = dict(db.session.execute(sa.select(CourseItem.key, ItemCompletion.source).join(CourseItem)).all())
    assert sources == {"s1-text": "opened", "s1-video": "button", "s2-video": "video", "s1-quiz": "quiz"}
    page = BeautifulSoup(client.get(f"/mooc/{course.slug}/{run.slug}/progression").text, "html.parser")
    first_row = page.find("caption", string="Progression par séquence").parent.tbody.tr
    assert first_row.find_all("td")[-1].get_text(" ", strip=True) == "3 sur 3 (terminée)"  # séquence 1 done
    # The course's bar says what it counts, in the singular for 0 and 1.
    course_label = page.find(id="progress-course-label").get_text(" ", strip=True)
    assert course_label.startswith("Cours :") and "4 éléments terminés sur" in course_label


def test_a_new_learner_progress_counts_elements_in_the_singular(client, world):
    course, run, learner = world["course"], world["run"], world["users"]["learner"]
    login(client, learner)
    page = BeautifulSoup(client.get(f"/mooc/{course.slug}/{run.slug}/progression").text, "html.parser")
    assert "(0 élément terminé sur " in page.find(id="progress-course-label").get_text(" ", strip=True)


def test_course_completed_attestation_and_verification(client, world, mailbox):
    course, run, learner = world["course"], world["run"], world["users"]["learner"]
    login(client, learner)
    base = f"/mooc/{course.slug}/{run.slug}/contenu"
    for item in queries.ordered_items(queries.get_course_outline(course.slug)):
        if item.kind == "quiz":
            client.post(f"{base}/{item.key}/quiz", data=answer(item, "Bonne"))
        else:
            client.post(f"{base}/{item.key}/termine")
    page = client.get(f"/mooc/{course.slug}").text
    assert "Cours terminé" in page
    pdf = client.get(f"/mooc/{course.slug}/{run.slug}/attestation.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert learner.full_name in text and course.title in text
    db.session.refresh(world["enrolment"])
    code = world["enrolment"].attestation_code
    client.post("/compte/deconnexion")
    verified = client.get(f"/mooc/attestations/{code}")
    assert verified.status_code == 200 and learner.full_name in verified.text
    assert client.get("/mooc/attestations/FAUX-CODE-00").status_code == 404
    assert [m["Subject"] for m in mailbox.wait_for(1)] == [f"Cours terminé : {course.title}"]


@freeze_time("2027-03-10 09:00:00")
def test_after_the_access_window_the_course_is_read_only(client, world):
    run = world["run"]
    run.access_ends_at = utcnow() - timedelta(minutes=1)
    run.access_starts_at = utcnow() - timedelta(days=40)
    db.session.commit()
    login(client, world["users"]["learner"])
    page = client.get(f"/mooc/{world['course'].slug}/{run.slug}/contenu/s1-text").text
    notice = BeautifulSoup(page, "html.parser").select_one(".fr-notice__title").get_text(strip=True)
    assert notice == ("Cette session est terminée depuis le 10 mars 2027 : "
                      "les contenus restent consultables, la progression n’est plus enregistrée.")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemCompletion)) == 0


def test_unenrolling_is_recorded_and_a_second_click_changes_nothing(client, world):
    learner, enrolment = world["users"]["learner"], world["enrolment"]
    login(client, learner)
    url = f"/mooc/{world['course'].slug}/{world['run'].slug}/desinscription"
    assert [client.post(url).status_code for _ in range(2)] == [302, 302]
    db.session.refresh(enrolment)
    assert enrolment.state == "unenrolled"
    assert [row[:3] for row in timeline_of(enrolment)] == [("active", "unenrolled", learner.id)]


def test_batch_enrol_page(client, world, mailbox):
    login(client, world["users"]["trainer"])
    make_user(email="deja-compte@example.gouv.fr")
    response = client.post(f"/mooc/gestion/sessions/{world['run'].id}/inscriptions",
                           data={"emails": "deja-compte@example.gouv.fr\ninvitee@example.gouv.fr"})
    assert "1 inscrit·e, 1 invité·e par courriel" in response.text
    assert {m["To"] for m in mailbox.wait_for(2)} == {"deja-compte@example.gouv.fr", "invitee@example.gouv.fr"}


def test_trainer_edits_an_item_and_reorders(client, world):
    login(client, world["users"]["course_lead"])
    item = world["item"]
    data = {"key": item.key, "kind": item.kind, "title": "Nouveau titre", "body": "", "video_url": "/static/media/demo-sequence.webm",
            "transcript": "", "duration_seconds": "4"}
    refused = client.post(f"/mooc/gestion/{world['course'].id}/elements/{item.id}", data=data)
    assert refused.status_code == 422 and "transcription" in refused.text
    ok = client.post(f"/mooc/gestion/{world['course'].id}/elements/{item.id}", data={**data, "transcript": "Texte dit"})
    assert ok.status_code == 302
    db.session.refresh(item)
    assert item.title == "Nouveau titre"
    client.post(f"/mooc/gestion/{world['course'].id}/elements/{item.id}/deplacer/bas")
    db.session.refresh(item)
    assert item.position == 2


def test_learners_csv_streams_progress_per_sequence(client, world):
    login(client, world["users"]["learner"])
    client.get(f"/mooc/{world['course'].slug}/{world['run'].slug}/contenu/s1-text")
    login(client, world["users"]["trainer"])
    text = client.get(f"/mooc/gestion/sessions/{world['run'].id}/apprenants.csv").data.decode("utf-8-sig")
    header, row = text.splitlines()
    assert header.endswith("sequence_1_pourcent;sequence_2_pourcent;sequence_3_pourcent;"
                           "quiz_s1-quiz_meilleur_score_pourcent;quiz_s2-quiz_meilleur_score_pourcent;quiz_s3-quiz_meilleur_score_pourcent;"
                           "quiz_valides_sur_3_sans_seuil;quiz_s1-quiz_valide;quiz_s2-quiz_valide;quiz_s3-quiz_valide")
    assert row.startswith(world["users"]["learner"].first_name) and row.endswith(";33;0;0;;;;0;;;")  # no quiz attempted


def _bulk_learners(run, count):
    """Many learners quickly (plain INSERTs), each with one completion."""
    first_item = db.session.scalar(sa.select(CourseItem.id).where(CourseItem.course_id == run.course_id).order_by(CourseItem.id))
    now = utcnow()
    start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(User.id), 0)))
    db.session.execute(sa.insert(User), [
        {"email": f"bulk{start + n}@example.gouv.fr", "first_name": "B", "last_name": str(n), "session_token": f"t{start + n}",
         "active": True, "created_at": now, "updated_at": now} for n in range(count)])
    user_ids = db.session.scalars(sa.select(User.id).where(User.email.like("bulk%"), User.id > start)).all()
    db.session.execute(sa.insert(Enrolment), [
        {"run_id": run.id, "user_id": uid, "state": "active", "enrolled_at": now, "last_activity_at": now,
         "created_at": now, "updated_at": now} for uid in user_ids])
    enrolment_ids = db.session.scalars(sa.select(Enrolment.id).where(Enrolment.user_id.in_(user_ids))).all()
    db.session.execute(sa.insert(ItemCompletion), [
        {"enrolment_id": eid, "item_id": first_item, "source": "opened", "completed_at": now} for eid in enrolment_ids])
    services.recompute_dashboard(run)  # as after any bulk load: the dashboard's counts, from these facts
    db.session.commit()


def test_queries_per_page_do_not_grow_with_learners_or_items(client, count_queries):
    small_course, small_run = make_mooc(sequences=(1,), kinds=("text", "video"))
    big_course, big_run = make_mooc(sequences=(3, 2), kinds=("text", "video", "quiz", "testimonial", "resource"))
    # …and unnumbered parts, as the real course has: an introduction with a testimony video whose transcript is a
    # link, « Documents utiles » with a hosted file and a link to another site.
    intro = make_sequence(make_course_module(big_course, position=0, number=None, title="Introduction"),
                          position=1, number=None, title="Introduction")
    make_course_item(intro, kind="video", key="intro-video", video_url="https://www.dailymotion.com/embed/video/x6xkiia",
                     transcript="", transcript_url="https://beta.gouv.fr/content/docs/mooc/2-introduction.pdf",
                     is_testimony=True, person_name="Pierre Pezziardi", person_role="Entrepreneur en résidence")
    documents = make_sequence(make_course_module(big_course, position=9, number=None, title="Documents utiles"),
                              position=1, number=None, title="Documents utiles")
    template = make_course_item(documents, kind="resource", key="docs-modele")
    services.attach_resource_file(template, filename="fiche.odt", data=b"PK\x03\x04 une fiche", max_bytes=1024)
    make_course_item(documents, kind="resource", key="docs-guide", resource_url="https://beta.gouv.fr/content/docs/guide.pdf")
    db.session.commit()
    _bulk_learners(small_run, 10)
    _bulk_learners(big_run, 1000)
    trainer = make_user(roles=[Role.TRAINER])
    learner_small, learner_big = make_enrolment(small_run).user, make_enrolment(big_run).user

    def counted(user, url):
        login(client, user)
        with count_queries() as counter:
            assert client.get(url).status_code == 200, url
        return counter.count

    for course, run, learner, video in ((small_course, small_run, learner_small, "s1-video"),
                                        (big_course, big_run, learner_big, "intro-video")):
        first = db.session.scalar(sa.select(CourseItem.key).where(CourseItem.course_id == course.id).order_by(CourseItem.id))
        counts = (
            counted(learner, f"/mooc/{course.slug}"),
            counted(learner, f"/mooc/{course.slug}/{run.slug}/contenu/{video}"),
            counted(learner, f"/mooc/{course.slug}/{run.slug}/progression"),
            counted(learner, f"/mooc/{course.slug}/{run.slug}/contenu/{first}"),
            counted(trainer, f"/mooc/gestion/sessions/{run.id}/tableau-de-bord"),
            counted(trainer, f"/mooc/gestion/{course.id}/contenu"),
        )
        if course is small_course:
            small_counts = counts
    assert counts == small_counts


def test_trainer_adds_a_module_and_a_sequence_numbered_across_the_course(client, world):
    course = world["course"]
    login(client, world["users"]["course_lead"])
    client.post(f"/mooc/gestion/{course.id}/modules", data={"title": "Ouvrir son service"})
    outline = queries.get_course_outline(course.slug)
    module = outline.modules[-1]
    assert module.title == "Ouvrir son service" and module.position == 3
    client.post(f"/mooc/gestion/{course.id}/modules/{outline.modules[0].id}/sequences", data={"title": "Nouvelle"})
    db.session.expire_all()
    titles = [(s.number, s.title) for m in queries.get_course_outline(course.slug).modules for s in m.sequences]
    assert titles == [(1, "Séquence 1"), (2, "Séquence 2"), (3, "Nouvelle"), (4, "Séquence 3")]
    sequence_id = queries.get_course_outline(course.slug).modules[0].sequences[2].id
    client.post(f"/mooc/gestion/{course.id}/sequences/{sequence_id}", data={"title": "Renommée"})
    db.session.expire_all()
    assert queries.get_course_outline(course.slug).modules[0].sequences[2].title == "Renommée"
    assert client.post(f"/mooc/gestion/{course.id}/modules", data={"title": ""}, follow_redirects=True).status_code == 200


def test_a_video_testimonial_is_completed_like_a_video(client, world):
    from tests.factories import make_course_item

    sequence = queries.get_course_outline(world["course"].slug).modules[0].sequences[0]
    testimonial = make_course_item(sequence, kind="testimonial", key="temoin-video", position=9,
                                   video_url="/static/media/demo-sequence.webm", transcript="Ce qu'elle dit")
    login(client, world["users"]["learner"])
    page = client.get(f"/mooc/{world['course'].slug}/{world['run'].slug}/contenu/{testimonial.key}").text
    assert "<video" in page and "Ce qu'elle dit" in page and "J’ai terminé" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemCompletion)) == 0


def test_learner_pages_read_the_questions_of_the_quiz_they_show_only(client, count_queries):
    """The outline comes with every page of the course; the questions and choices of its quizzes are read only
    by the quiz's own page (and only that quiz's). The quiz page still shows them."""
    course, run = make_mooc(sequences=(2, 2), kinds=("video", "quiz"))
    learner = make_enrolment(run).user
    login(client, learner)

    def quiz_reads(url):
        with count_queries() as counter:
            response = client.get(url)
            assert response.status_code == 200
        return response, [s for s in counter.statements if "FROM quiz_questions" in s or "FROM quiz_choices" in s]

    for url in (f"/mooc/{course.slug}?run={run.slug}", f"/mooc/{course.slug}/{run.slug}/progression",
                f"/mooc/{course.slug}/{run.slug}/contenu/s1-video"):
        assert quiz_reads(url)[1] == [], url
    response, reads = quiz_reads(f"/mooc/{course.slug}/{run.slug}/contenu/s3-quiz")
    assert len(reads) == 2 and all("course_items" not in s.split("WHERE")[0] for s in reads)
    assert "Bonne" in response.text and "Mauvaise" in response.text
