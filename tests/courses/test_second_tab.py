"""A learner who unenrolled in another tab and then presses « J'ai terminé », answers a quiz or opens an item
from a page still open: back to the course page (which offers to enrol again) with why, never « Accès
refusé »; nothing is recorded. The video player's fetch gets the 409 its script stops on. Someone never
enrolled stays a 403."""

import pytest
import sqlalchemy as sa

from beta_training.courses.models import ItemCompletion, QuizAttempt
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_enrolment, make_mooc, make_user
from tests.second_tab import assert_led_back

GONE = "Vous n’êtes plus inscrit·e à cette session : rien n’est enregistré."


@pytest.fixture
def mooc(app):
    course, run = make_mooc(sequences=(1,), kinds=("video", "quiz"))
    return {"course": course, "run": run, "base": f"/mooc/{course.slug}/{run.slug}/contenu",
            "course_page": f"/mooc/{course.slug}?run={run.slug}"}


def _recorded() -> int:
    return (db.session.scalar(sa.select(sa.func.count()).select_from(ItemCompletion))
            + db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)))


def test_after_unenrolling_elsewhere_the_item_buttons_lead_back_to_the_course(client, mooc):
    learner = make_enrolment(mooc["run"]).user
    login(client, learner)
    assert client.post(f"/mooc/{mooc['course'].slug}/{mooc['run'].slug}/desinscription").status_code == 302  # tab A
    done = client.post(f"{mooc['base']}/s1-video/termine")  # tab B, opened before
    assert_led_back(client, done, mooc["course_page"], GONE)
    quiz = client.post(f"{mooc['base']}/s1-quiz/quiz", data={"submission_key": "k1"})
    assert_led_back(client, quiz, mooc["course_page"], GONE)
    assert_led_back(client, client.get(f"{mooc['base']}/s1-video"), mooc["course_page"], GONE)
    player = client.post(f"{mooc['base']}/s1-video/termine", data={"source": "video"},
                         headers={"X-Requested-With": "fetch"})
    assert player.status_code == 409
    assert player.json["recorded"] is False and player.json["completed"] is False and GONE in player.json["message"]
    assert _recorded() == 0
    login(client, make_user())  # never enrolled: a stranger to the run, still « Accès refusé »
    assert client.post(f"{mooc['base']}/s1-video/termine").status_code == 403
    assert client.get(f"{mooc['base']}/s1-video").status_code == 403
    assert client.post(f"{mooc['base']}/s1-quiz/quiz", data={"submission_key": "k1"}).status_code == 403
    player = client.post(f"{mooc['base']}/s1-video/termine", data={"source": "video"}, headers={"X-Requested-With": "fetch"})
    assert player.status_code == 403 and player.json["recorded"] is False
    assert _recorded() == 0
