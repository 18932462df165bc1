"""Quizzes with a score: the share of right answers, retries up to the quiz's limit (each attempt kept, the best
score counts), feedback after each attempt, and the run's pass mark that completion waits for."""

import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.courses import queries, services
from beta_training.courses.forms import format_questions, parse_questions
from beta_training.courses.models import CourseItem, ItemCompletion, QuizAttempt
from beta_training.extensions import db
from tests.conftest import login
from tests.courses.test_views import answer
from tests.factories import make_enrolment, make_mooc, make_user

THREE_QUESTIONS = [
    {"text": "Qui décrit le problème ?", "choices": [
        {"text": "Les usagers", "correct": True, "feedback": "Oui : ils le vivent."},
        {"text": "Le prestataire", "correct": False, "feedback": "Il ne le vit pas."}]},
    {"text": "Quand ouvrir la bêta ?", "choices": [
        {"text": "Dans six mois au plus", "correct": True, "feedback": "Oui."},
        {"text": "Une fois tout fini", "correct": False, "feedback": "Trop tard : on apprend en ouvrant."}]},
    {"text": "Que mesurer d'abord ?", "choices": [
        {"text": "Les visites", "correct": False, "feedback": "L'activité, pas l'impact."},
        {"text": "Ce qui change pour les usagers", "correct": True, "feedback": "Oui."}]},
]


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def course(app):
    """A course of one sequence: a text, then a quiz of three questions; a learner enrolled."""
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    sequence = queries.get_course_outline(course.slug).modules[0].sequences[0]
    with app.test_request_context():
        quiz = services.save_item(sequence, key="s1-bilan", kind="quiz", title="Bilan de la séquence 1",
                                  body="Trois questions pour finir.", questions=THREE_QUESTIONS)
    db.session.commit()
    enrolment = make_enrolment(run)
    return {"course": course, "run": run, "quiz": quiz, "enrolment": enrolment, "learner": enrolment.user,
            "url": f"/mooc/{course.slug}/{run.slug}/contenu/s1-bilan"}


def _right(quiz, count) -> dict:
    """Answers with the first `count` questions right, the others wrong (question id → choice id)."""
    return {q.id: next(c.id for c in q.choices if c.is_correct == (n < count)) for n, q in enumerate(quiz.questions)}


def _completed(enrolment, item) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(
        ItemCompletion.enrolment_id == enrolment.id, ItemCompletion.item_id == item.id)))


# --- Scoring, pass mark, retries (services) -------------------------------------------------------------------------


def test_the_score_is_the_share_of_right_answers_and_the_pass_mark_is_compared_exactly(ctx, course):
    run, quiz, enrolment = course["run"], course["quiz"], course["enrolment"]
    run.quiz_pass_mark = 67  # 2 out of 3 is 66.7 %: shown as 67 %, yet under the mark
    attempt = services.submit_quiz_attempt(enrolment, quiz, answers=_right(quiz, 2))
    assert (attempt.number, attempt.correct, attempt.total, attempt.score) == (1, 2, 3, 67)
    assert [answer.is_correct for answer in attempt.answers] == [True, True, False]
    assert not _completed(enrolment, quiz)
    run.quiz_pass_mark = 66
    services.submit_quiz_attempt(enrolment, quiz, answers=_right(quiz, 2))
    assert _completed(enrolment, quiz)


def test_without_a_pass_mark_any_attempt_completes_the_quiz(ctx, course):
    quiz, enrolment = course["quiz"], course["enrolment"]
    assert course["run"].quiz_pass_mark is None
    assert services.submit_quiz_attempt(enrolment, quiz, answers=_right(quiz, 0)).score == 0
    assert _completed(enrolment, quiz)


def test_retries_up_to_the_limit_then_a_clear_refusal_and_the_best_score_is_kept(ctx, course):
    run, quiz, enrolment = course["run"], course["quiz"], course["enrolment"]
    run.quiz_pass_mark, quiz.max_attempts = 70, 3
    scores = [services.submit_quiz_attempt(enrolment, quiz, answers=_right(quiz, n)).score for n in (1, 2, 0)]
    assert scores == [33, 67, 0]
    with pytest.raises(services.AttemptsExhausted, match="^Vous avez utilisé les 3 tentatives de ce quiz.$"):
        services.submit_quiz_attempt(enrolment, quiz, answers=_right(quiz, 3))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)) == 3  # every attempt recorded
    assert queries.quiz_scores(enrolment)[quiz.id] == queries.QuizScore(best=67, attempts=3)
    assert not _completed(enrolment, quiz)
    quiz.max_attempts = 1
    newcomer = make_enrolment(run)
    services.submit_quiz_attempt(newcomer, quiz, answers=_right(quiz, 0))
    with pytest.raises(services.AttemptsExhausted, match="^Vous avez utilisé votre seule tentative pour ce quiz.$"):
        services.submit_quiz_attempt(newcomer, quiz, answers=_right(quiz, 3))


def test_an_attempt_answers_every_question_and_the_same_form_twice_is_one_attempt(ctx, course):
    quiz, enrolment = course["quiz"], course["enrolment"]
    partial = _right(quiz, 3)
    partial.pop(quiz.questions[1].id)
    with pytest.raises(services.CourseError, match="Répondez à chaque question"):
        services.submit_quiz_attempt(enrolment, quiz, answers=partial)
    other = make_mooc(sequences=(1,), kinds=("quiz",))[0]
    foreign = db.session.scalar(sa.select(CourseItem).where(CourseItem.course_id == other.id)).choices[0]
    with pytest.raises(services.CourseError, match="Répondez à chaque question"):  # a choice of another quiz
        services.submit_quiz_attempt(enrolment, quiz, answers={**_right(quiz, 3), quiz.questions[0].id: foreign.id})
    first = services.submit_quiz_attempt(enrolment, quiz, answers=_right(quiz, 1), submission_key="cle-1")
    again = services.submit_quiz_attempt(enrolment, quiz, answers=_right(quiz, 3), submission_key="cle-1")
    assert again.id == first.id and again.score == 33
    assert queries.attempts_used(enrolment.id, quiz.id) == 1


def test_completion_and_the_attestation_wait_for_every_quiz_to_reach_the_pass_mark(ctx, course):
    run, quiz, enrolment = course["run"], course["quiz"], course["enrolment"]
    run.quiz_pass_mark = 70
    [text] = [item for item in queries.ordered_items(queries.get_course_outline(course["course"].slug)) if item.kind == "text"]
    services.record_progress(enrolment, text, source="opened")
    services.submit_quiz_attempt(enrolment, quiz, answers=_right(quiz, 2))  # 67 %: under the mark
    assert queries.remaining_items(enrolment) == 1
    assert (enrolment.completed_at, enrolment.attestation_code) == (None, None)
    services.submit_quiz_attempt(enrolment, quiz, answers=_right(quiz, 3))
    assert enrolment.completed_at is not None and enrolment.attestation_code


def test_a_quiz_is_never_completed_by_the_done_button(ctx, course):
    with pytest.raises(services.CourseError, match="Un quiz est terminé par une tentative validée"):
        services.record_progress(course["enrolment"], course["quiz"], source="button")
    assert not _completed(course["enrolment"], course["quiz"])


def test_lowering_the_pass_mark_completes_the_quizzes_it_now_reaches_raising_it_takes_nothing_back(ctx, course):
    run, quiz = course["run"], course["quiz"]
    run.quiz_pass_mark = 90
    low, high = course["enrolment"], make_enrolment(run)
    services.submit_quiz_attempt(low, quiz, answers=_right(quiz, 1))  # 33 %
    services.submit_quiz_attempt(high, quiz, answers=_right(quiz, 2))  # 67 %
    services.save_run(course["course"], run=run, quiz_pass_mark=60)
    assert (_completed(low, quiz), _completed(high, quiz)) == (False, True)
    services.save_run(course["course"], run=run, quiz_pass_mark=100)
    assert _completed(high, quiz)  # passed under the rule of the time: kept
    services.save_run(course["course"], run=run, quiz_pass_mark=None)  # self-assessment: every attempt counts
    assert _completed(low, quiz)


# --- The editor and the content folder --------------------------------------------------------------------------------


def test_the_editor_writes_several_questions_and_reads_them_back(ctx, course):
    text = format_questions(course["quiz"])
    assert text.startswith("? Qui décrit le problème ?\n* Les usagers | Oui : ils le vivent.\nLe prestataire | Il ne le vit pas.\n\n")
    assert parse_questions(text) == THREE_QUESTIONS
    # Without « ? » lines, one question asked by the item's body (as every quiz was written so far).
    assert parse_questions("* Oui | Bien\nNon") == [{"text": "", "choices": [
        {"text": "Oui", "correct": True, "feedback": "Bien"}, {"text": "Non", "correct": False, "feedback": ""}]}]


def test_the_quiz_editor_refuses_a_question_without_a_right_answer_and_keeps_the_attempts_limit(client, course):
    quiz = course["quiz"]
    login(client, make_user(roles=[Role.COURSE_LEAD]))
    url = f"/mooc/gestion/{course['course'].id}/elements/{quiz.id}"
    form = {"key": quiz.key, "kind": "quiz", "title": quiz.title, "body": quiz.body, "max_attempts": "3",
            "choices_text": "? Première\n* Oui\nNon\n? Seconde\nPeut-être\nNon"}
    refused = client.post(url, data=form)
    assert refused.status_code == 422
    assert "Chaque question a au moins deux réponses, dont une bonne marquée par « * »." in refused.text
    assert client.post(url, data={**form, "max_attempts": "0"}).status_code == 422
    assert client.post(url, data={**form, "choices_text": "? Première\n* Oui\nNon\n? Seconde\n* Peut-être\nNon"}).status_code == 302
    db.session.expire_all()
    quiz = db.session.get(CourseItem, quiz.id)
    assert quiz.max_attempts == 3
    assert [(q.text, [c.text for c in q.correct_choices]) for q in quiz.questions] == [("Première", ["Oui"]), ("Seconde", ["Peut-être"])]


def test_a_quiz_of_several_questions_and_its_attempts_limit_go_through_the_content_folder(ctx, course, tmp_path):
    from beta_training.courses.content import export_course, import_course

    course["quiz"].max_attempts = 2
    db.session.commit()
    export_course(course["course"], tmp_path)
    written = (tmp_path / "items" / "s1-bilan.md").read_text()
    assert "max_attempts: 2" in written and "questions:" in written and "text: Qui décrit le problème ?" in written
    db.session.delete(db.session.get(CourseItem, course["quiz"].id))
    db.session.commit()
    import_course(tmp_path)
    quiz = db.session.scalar(sa.select(CourseItem).where(CourseItem.key == "s1-bilan"))
    assert quiz.max_attempts == 2
    assert [{"text": q.text, "choices": [{"text": c.text, "correct": c.is_correct, "feedback": c.feedback} for c in q.choices]}
            for q in quiz.questions] == THREE_QUESTIONS


# --- The quiz page (views) --------------------------------------------------------------------------------------------


def _page(client, url):
    return BeautifulSoup(client.get(url).text, "html.parser")


def test_a_wrong_answer_does_not_complete_the_quiz_when_the_run_has_a_pass_mark(client, course):
    run, quiz, enrolment = course["run"], course["quiz"], course["enrolment"]
    run.quiz_pass_mark = 70
    db.session.commit()
    login(client, course["learner"])
    rules = _page(client, course["url"]).find(id="quiz-rules").get_text(" ", strip=True)
    assert "Pour terminer le cours, obtenez au moins 70 % de bonnes réponses à chaque quiz" in rules
    assert "Tentatives illimitées." in rules
    response = client.post(f"{course['url']}/quiz", data=answer(quiz, "Le prestataire", "Dans six mois au plus", "Les visites"))
    assert response.status_code == 302 and response.location.endswith("#feedback")
    assert not _completed(enrolment, quiz)
    page = _page(client, course["url"])
    feedback = page.find(id="feedback").get_text(" ", strip=True)
    assert feedback.startswith("Tentative 1 : 33 % de bonnes réponses")
    assert "1 bonne réponse sur 3." in feedback and "Seuil de 70 % pas encore atteint." in feedback
    assert "Vous avez fait 1 tentative." in feedback
    # Feedback on each answer; the right answers stay hidden while another attempt may find them.
    first = page.find(id=f"answer-{quiz.questions[0].id}").get_text(" ", strip=True)
    assert "Pas tout à fait" in first and "Votre réponse : Le prestataire" in first and "Il ne le vit pas." in first
    assert "Bonne réponse :" not in page.find(id="content").get_text()
    assert page.find(id="quiz-form").find("h2").get_text(strip=True) == "Nouvelle tentative"
    client.post(f"{course['url']}/quiz", data=answer(quiz, "Les usagers", "Dans six mois au plus", "Ce qui change pour les usagers"))
    assert _completed(enrolment, quiz)
    page = _page(client, course["url"])
    assert "Seuil de 70 % atteint : quiz validé." in page.find(id="feedback").get_text(" ", strip=True)
    assert page.find(id="quiz-form") is None  # 100 %: nothing left to improve


def test_retries_up_to_the_limit_then_the_page_says_so_and_refuses_more(client, course):
    run, quiz, enrolment = course["run"], course["quiz"], course["enrolment"]
    run.quiz_pass_mark, quiz.max_attempts = 70, 2
    db.session.commit()
    login(client, course["learner"])
    assert "2 tentatives autorisées." in _page(client, course["url"]).find(id="quiz-rules").get_text()
    wrong = answer(quiz, "Le prestataire", "Une fois tout fini", "Les visites")
    client.post(f"{course['url']}/quiz", data=wrong)
    assert "Il vous reste 1 tentative." in _page(client, course["url"]).find(id="feedback").get_text(" ", strip=True)
    client.post(f"{course['url']}/quiz", data=answer(quiz, "Les usagers", "Une fois tout fini", "Les visites"))
    page = _page(client, course["url"])
    assert page.find(id="quiz-form") is None
    assert "Vous avez fait 2 tentatives." in page.find(id="feedback").get_text(" ", strip=True)
    assert page.find(id="no-attempt-left").get_text(" ", strip=True) == (
        "Vous avez utilisé toutes vos tentatives pour ce quiz : votre meilleur score, 33 %, reste enregistré.")
    assert "Bonne réponse : Dans six mois au plus" in page.find(id="content").get_text(" ", strip=True)  # now shown
    refused = client.post(f"{course['url']}/quiz", data=wrong, follow_redirects=True)
    assert "Vous avez utilisé les 2 tentatives de ce quiz." in refused.text
    assert queries.attempts_used(enrolment.id, quiz.id) == 2
    quiz.max_attempts = 1
    db.session.commit()
    assert "1 tentative autorisée." in _page(client, course["url"]).find(id="quiz-rules").get_text()


def test_a_question_left_unanswered_is_shown_again_with_its_error(client, course):
    quiz = course["quiz"]
    login(client, course["learner"])
    data = answer(quiz, "Les usagers", "Dans six mois au plus", "Les visites")
    data.pop(f"question_{quiz.questions[1].id}")
    response = client.post(f"{course['url']}/quiz", data=data)
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    fieldset = page.find(id=f"question_{quiz.questions[1].id}")
    assert "fr-fieldset--error" in fieldset["class"] and "Choisissez une réponse à cette question." in fieldset.get_text()
    assert page.find(id="error-summary") is not None
    assert queries.attempts_used(course["enrolment"].id, quiz.id) == 0


def test_the_done_button_refuses_a_quiz(client, course):
    login(client, course["learner"])
    response = client.post(f"{course['url']}/termine", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 409 and "Un quiz est terminé par une tentative validée" in response.json["message"]
    assert not _completed(course["enrolment"], course["quiz"])


def test_the_pass_mark_is_edited_with_the_run_and_shown_on_the_outline(client, course):
    run = course["run"]
    login(client, make_user(roles=[Role.TRAINER]))
    url = f"/mooc/gestion/{course['course'].id}/sessions/{run.id}"
    form = BeautifulSoup(client.get(url).text, "html.parser").find(id="content").find("form", attrs={"novalidate": True})
    data = {field["name"]: field.get("value", "") for field in form.find_all("input") if field.get("name")}
    data.pop("requires_sheet", None)
    refused = client.post(url, data={**data, "quiz_pass_mark": "150"})
    assert refused.status_code == 422 and "Indiquez un pourcentage entre 1 et 100." in refused.text
    assert client.post(url, data={**data, "quiz_pass_mark": "70"}).status_code == 302
    db.session.refresh(run)
    assert run.quiz_pass_mark == 70
    login(client, course["learner"])
    programme = _page(client, f"/mooc/{course['course'].slug}").find(id="programme").find_next("p").get_text(" ", strip=True)
    assert programme == ("Pour terminer le cours, obtenez au moins 70 % de bonnes réponses à chaque quiz "
                         "(votre meilleure tentative compte).")


def test_the_dashboard_and_the_progress_page_show_the_scores(client, course):
    run, quiz = course["run"], course["quiz"]
    run.quiz_pass_mark = 70
    db.session.commit()
    with client.application.test_request_context():
        services.submit_quiz_attempt(course["enrolment"], quiz, answers=_right(quiz, 2))  # 67
        services.submit_quiz_attempt(course["enrolment"], quiz, answers=_right(quiz, 1))  # 33: 67 stays the best
        other = make_enrolment(run)
        services.submit_quiz_attempt(other, quiz, answers=_right(quiz, 3))  # 100, passed
    db.session.commit()
    login(client, course["learner"])
    row = _page(client, f"/mooc/{course['course'].slug}/{run.slug}/progression").find(
        "caption", string="Vos scores aux quiz").parent.tbody.tr
    assert [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])] == [
        "Bilan de la séquence 1", "2 tentatives", "67 %", "Seuil pas encore atteint"]
    outline_item = _page(client, f"/mooc/{course['course'].slug}").find(id=f"outline-item-{quiz.id}")
    assert "meilleur score : 67 %" in outline_item.get_text(" ", strip=True)
    login(client, make_user(roles=[Role.TRAINER]))
    table = _page(client, f"/mooc/gestion/sessions/{run.id}/tableau-de-bord").find(
        "caption", string="Scores aux quiz (meilleure tentative de chaque apprenant)").parent
    assert [cell.get_text(" ", strip=True) for cell in table.tbody.tr.find_all(["th", "td"])] == [
        "Bilan de la séquence 1", "2", "84 %", "1,5", "1"]  # best scores 67 and 100; 2 and 1 attempts; one passed
    csv = client.get(f"/mooc/gestion/sessions/{run.id}/apprenants.csv").data.decode("utf-8-sig").splitlines()
    assert csv[0].endswith(";quiz_s1-bilan_meilleur_score_pourcent;quiz_valides_sur_1_seuil_70_pourcent;quiz_s1-bilan_valide")
    by_email = {line.split(";")[2]: line.split(";")[-3:] for line in csv[1:]}
    assert by_email == {course["learner"].email: ["67", "0", "non"], other.user.email: ["100", "1", "oui"]}
    dashboard = _page(client, f"/mooc/gestion/sessions/{run.id}/tableau-de-bord").get_text(" ", strip=True)
    assert "Seuil de réussite de la session : 70 % de bonnes réponses à chaque quiz." in dashboard


def test_the_learners_csv_says_which_quizzes_count_as_passed_as_completion_does(client, course):
    """The CSV's « passed » is the completion rule's: a quiz passed under a lower mark stays passed when the
    mark is raised (its best score no longer reaches it), and without a mark any attempt passes."""
    run, quiz = course["run"], course["quiz"]
    with client.application.test_request_context():
        services.submit_quiz_attempt(course["enrolment"], quiz, answers=_right(quiz, 0))  # no mark: done at 0 %
        run.quiz_pass_mark = 60
        other = make_enrolment(run)
        services.submit_quiz_attempt(other, quiz, answers=_right(quiz, 2))  # 67 %: passed at 60 %
        untried = make_enrolment(run)
    db.session.commit()
    login(client, make_user(roles=[Role.TRAINER]))

    def rows():
        text = client.get(f"/mooc/gestion/sessions/{run.id}/apprenants.csv").data.decode("utf-8-sig").splitlines()
        return text[0].split(";")[-3:], {line.split(";")[2]: line.split(";")[-3:] for line in text[1:]}

    header, by_email = rows()
    assert header == ["quiz_s1-bilan_meilleur_score_pourcent", "quiz_valides_sur_1_seuil_60_pourcent", "quiz_s1-bilan_valide"]
    assert by_email == {course["learner"].email: ["0", "1", "oui"], other.user.email: ["67", "1", "oui"],
                        untried.user.email: ["", "0", ""]}
    run.quiz_pass_mark = 90  # raised: nothing taken back, as the course's completion keeps it
    db.session.commit()
    header, raised = rows()
    assert header[1] == "quiz_valides_sur_1_seuil_90_pourcent" and raised == by_email
    run.quiz_pass_mark = None
    db.session.commit()
    assert rows()[0][1] == "quiz_valides_sur_1_sans_seuil"


def test_the_side_menu_of_an_item_ticks_what_is_done(client, course):
    login(client, course["learner"])
    text_url = re.sub(r"s1-bilan$", "s1-text", course["url"])
    client.get(text_url)  # read
    menu = _page(client, course["url"]).select(".fr-sidemenu__link")
    assert [bool(link.select_one(".fr-icon-check-line[aria-hidden=true]")) for link in menu] == [True, False]
    assert menu[0].select_one(".fr-sr-only").get_text(strip=True) == "(terminé)"
