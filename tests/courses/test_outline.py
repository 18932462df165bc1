"""The course outline, as Open edX / FUN-MOOC learners know it: one overall progress bar, a section per sequence
that opens and closes (the one to work on open), a tick per finished item, sequence and module."""

import csv
import io
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.courses import queries, services
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_enrolment, make_mooc, make_user


@pytest.fixture
def course(app):
    """Module 1: séquences 1 and 2, module 2: séquence 3; each a text, a video and a quiz."""
    course, run = make_mooc(sequences=(2, 1), kinds=("text", "video", "quiz"))
    enrolment = make_enrolment(run)
    return {"course": course, "run": run, "enrolment": enrolment, "url": f"/mooc/{course.slug}"}


def _outline(client, url):
    soup = BeautifulSoup(client.get(url).text, "html.parser")
    return soup, soup.find(id="programme").find_parent()


def _sections(programme) -> list[tuple[str, str]]:
    """(what the section's button says, aria-expanded), in order; each button controls its collapsed list."""
    sections = []
    for button in programme.select(".fr-accordion__btn"):
        assert "fr-collapse" in programme.find(id=button["aria-controls"])["class"]
        sections.append((" ".join(button.get_text(" ").split()), button["aria-expanded"]))
    return sections


def _spoken_ticks(element) -> list[str]:
    return [tick.find_next_sibling(class_="fr-sr-only").get_text(strip=True) for tick in element.select(".bt-done")]


def _finish(enrolment, items):
    for item in items:
        if item.kind == "quiz":
            services.submit_quiz_attempt(enrolment, item, answers={
                question.id: question.correct_choices[0].id for question in item.questions})
        else:
            services.record_progress(enrolment, item, source="button")
    db.session.commit()


def test_a_new_learner_sees_one_progress_bar_and_the_first_section_open(client, course):
    login(client, course["enrolment"].user)
    soup, programme = _outline(client, course["url"])
    assert [bar["id"] for bar in soup.select("progress")] == ["progress-course"]
    assert _sections(programme) == [("Séquence 1 : Séquence 1", "true"), ("Séquence 2 : Séquence 2", "false"), ("Séquence 3 : Séquence 3", "false")]
    assert soup.select(".bt-done") == []
    assert [h.get_text(strip=True) for h in programme.select("h3")] == ["Module 1 : Module", "Module 2 : Module"]


def test_finished_items_sequences_and_modules_are_ticked_and_the_next_section_opens(client, course, app):
    outline = queries.get_course_outline(course["course"].slug)
    first, second = outline.modules[0].sequences
    with app.test_request_context():
        _finish(course["enrolment"], first.items + second.items[:1])
    login(client, course["enrolment"].user)
    soup, programme = _outline(client, course["url"])
    assert [bar["id"] for bar in soup.select("progress")] == ["progress-course"]
    assert _sections(programme) == [("Séquence 1 : Séquence 1 (terminée)", "false"), ("Séquence 2 : Séquence 2", "true"),
                                  ("Séquence 3 : Séquence 3", "false")]
    for item in first.items + second.items:
        row = programme.find(id=f"outline-item-{item.id}")
        assert row.a.get_text(strip=True) == item.title
        assert _spoken_ticks(row) == (["(terminé)"] if item in first.items + second.items[:1] else [])
    with app.test_request_context():
        _finish(course["enrolment"], second.items[1:])
    _soup, programme = _outline(client, course["url"])
    assert _spoken_ticks(programme.select("h3")[0]) == ["(module terminé)"]
    assert _spoken_ticks(programme.select("h3")[1]) == []
    assert _sections(programme)[2] == ("Séquence 3 : Séquence 3", "true")


def test_a_finished_course_has_no_bar_left_and_every_section_ticked(client, course, app):
    with app.test_request_context():
        _finish(course["enrolment"], queries.ordered_items(queries.get_course_outline(course["course"].slug)))
    login(client, course["enrolment"].user)
    soup, programme = _outline(client, course["url"])
    assert soup.select("progress") == [] and "Cours terminé" in soup.get_text()
    assert _sections(programme) == [(f"Séquence {n} : Séquence {n} (terminée)", "false") for n in (1, 2, 3)]


def test_visitors_see_the_outline_without_progress_the_first_section_open(client, course):
    soup, programme = _outline(client, course["url"])
    assert soup.select("progress") == [] and soup.select(".bt-done") == []
    assert [state for _label, state in _sections(programme)] == ["true", "false", "false"]
    titles = [row.get_text(" ", strip=True) for row in programme.select(".bt-outline__item")]
    assert len(titles) == 9 and titles[0].startswith("S1 text (Texte)")


def test_the_learners_csv_gives_paris_times_and_says_so(client, course):
    winter = course["enrolment"]
    winter.enrolled_at = datetime(2027, 1, 15, 10, 30, tzinfo=UTC)  # UTC+1 in January
    winter.user.first_name = "=HYPERLINK(\"http://example.org\")"
    summer = make_enrolment(course["run"], enrolled_at=datetime(2027, 7, 15, 10, 30, tzinfo=UTC),  # UTC+2 in July
                            last_activity_at=datetime(2027, 7, 15, 22, 15, tzinfo=UTC),
                            completed_at=datetime(2027, 11, 2, 23, 5, tzinfo=UTC))  # UTC+1 again: the next day
    db.session.commit()
    login(client, make_user(roles=[Role.TRAINER]))
    text = client.get(f"/mooc/gestion/sessions/{course['run'].id}/apprenants.csv").data.decode("utf-8-sig")
    header, *lines = csv.reader(io.StringIO(text), delimiter=";")
    assert header[4:7] == ["inscrit_le_heure_de_paris", "derniere_activite_heure_de_paris", "termine_le_heure_de_paris"]
    rows = {line[2]: line for line in lines}
    assert rows[winter.user.email][4:7] == ["2027-01-15 11:30", "", ""]
    assert rows[summer.user.email][4:7] == ["2027-07-15 12:30", "2027-07-16 00:15", "2027-11-03 00:05"]
    assert rows[winter.user.email][0] == "'=HYPERLINK(\"http://example.org\")"  # still neutralised


def test_dashboard_charts_ask_for_whole_number_ticks(client, course):
    login(client, make_user(roles=[Role.TRAINER]))
    soup = BeautifulSoup(client.get(f"/mooc/gestion/sessions/{course['run'].id}/tableau-de-bord").text, "html.parser")
    charts = soup.select("bar-chart")
    assert len(charts) == 2 and all(chart.has_attr("data-integer-ticks") for chart in charts)
    assert soup.find("script", src="/static/js/integer-chart-ticks.js") is not None
