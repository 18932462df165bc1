"""MOOC in Chromium: enrol → open items → the progress bar moves → the video is completed by the player
reaching 95 % → « Cours terminé » → the attestation PDF is downloaded and its code verified. The outline's
sections open and close with the keyboard; the dashboard's charts count people in whole numbers. Axe on every
MOOC page."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader

from beta_training.accounts.models import Role
from beta_training.courses import queries, services
from beta_training.courses.models import CourseItem, Enrolment, Sequence
from beta_training.extensions import db
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick
from tests.factories import PASSWORD, make_enrolment, make_mooc, make_user

pytestmark = pytest.mark.browser

# Wait for the metadata (the duration is NaN before), then jump to 96 % and play, as a learner would.
PLAY_NEAR_THE_END = """v => new Promise(resolve => {
  const go = () => { v.muted = true; v.currentTime = v.duration * 0.96; v.play().then(resolve, resolve); };
  if (v.readyState >= 1 && Number.isFinite(v.duration)) { go(); } else { v.addEventListener('loadedmetadata', go, {once: true}); v.load(); }
})"""


def _progress(page, element_id):
    return int(page.locator(f"#{element_id}").get_attribute("value"))


def test_enrol_progress_complete_and_download_the_attestation(page, tmp_path):
    course, run = make_mooc(sequences=(1, 1), kinds=("video", "text", "quiz"))
    make_user(email="learner@example.gouv.fr", first_name="Léa", last_name="Apprenante")
    browser_login(page, "learner@example.gouv.fr", PASSWORD)
    page.goto(f"/mooc/{course.slug}")
    page.get_by_role("button", name="M’inscrire").click()
    page.get_by_text("Vous êtes inscrit·e").wait_for()
    assert _progress(page, "progress-course") == 0

    page.get_by_role("link", name="Commencer le cours").click()
    # The video: the player reaching 95 % records it (no button pressed).
    page.locator("video").evaluate(PLAY_NEAR_THE_END)
    page.get_by_text("Vidéo terminée").wait_for()
    page.get_by_role("link", name=re.compile("^Suivant")).click()  # a text lesson: opening it is reading it
    page.get_by_role("link", name=re.compile("^Suivant")).click()  # the quiz
    tick(page.get_by_label("Bonne"))
    page.get_by_role("button", name="Valider ma réponse").click()
    page.get_by_text("Bonne réponse").first.wait_for()

    page.goto(f"/mooc/{course.slug}")
    assert _progress(page, "progress-course") == 3
    assert page.locator("progress").count() == 1  # one bar for the course; the sequences have ticks
    assert "50 %" in page.locator("#progress-course-label").inner_text()

    # Second sequence, with the keyboard-friendly « J'ai terminé » for the video.
    page.get_by_role("link", name=re.compile("^Reprendre")).click()
    page.get_by_role("button", name="J’ai terminé").click()
    page.get_by_text("Élément terminé").wait_for()
    page.get_by_role("link", name=re.compile("^Suivant")).click()
    page.get_by_role("link", name=re.compile("^Suivant")).click()
    tick(page.get_by_label("Mauvaise"))
    page.get_by_role("button", name="Valider ma réponse").click()
    page.get_by_text("Pas tout à fait").wait_for()

    page.goto(f"/mooc/{course.slug}")
    page.get_by_role("heading", name="Cours terminé").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger mon attestation de suivi (PDF)").click()
    pdf_path = tmp_path / "attestation.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")

    db.session.commit()
    code = db.session.scalar(sa.select(Enrolment.attestation_code))
    assert code in PdfReader(pdf_path).pages[0].extract_text()  # printed on the attestation
    page.goto(f"/mooc/attestations/{code}")
    page.get_by_text("Attestation authentique").wait_for()
    assert "Léa Apprenante" in page.content()


def test_axe_on_every_mooc_page(page):
    course, run = make_mooc(sequences=(1, 1), kinds=("video", "text", "quiz", "testimonial", "resource"))
    learner = make_user(email="a11y-learner@example.gouv.fr")
    make_enrolment(run, learner)
    make_user(email="a11y-lead@example.gouv.fr", roles=[Role.COURSE_LEAD])
    resource = db.session.scalar(sa.select(CourseItem).where(CourseItem.key == "s1-resource"))
    services.attach_resource_file(resource, filename="guide.pdf", data=b"%PDF-1.4\n%%EOF\n", max_bytes=1024)
    db.session.commit()
    page.goto("/mooc/")
    assert_accessible(page, "/mooc/")
    page.goto(f"/mooc/{course.slug}")
    assert_accessible(page, "course (anonymous)")
    browser_login(page, "a11y-learner@example.gouv.fr", PASSWORD)
    urls = [f"/mooc/{course.slug}", f"/mooc/{course.slug}/{run.slug}/progression"] + [
        f"/mooc/{course.slug}/{run.slug}/contenu/s1-{kind}" for kind in ("video", "text", "quiz", "testimonial", "resource")
    ]
    for url in urls:
        page.goto(url)
        assert_accessible(page, url)
    page.goto(f"/mooc/{course.slug}/{run.slug}/contenu/s1-quiz")
    tick(page.get_by_label("Bonne"))
    page.get_by_role("button", name="Valider ma réponse").click()
    page.get_by_text("Bonne réponse").first.wait_for()
    assert_accessible(page, "quiz feedback")
    page.goto("/mooc/attestations/INCONNU")
    assert_accessible(page, "attestation not found")

    page.goto("/compte/")
    page.get_by_role("button", name="Se déconnecter").first.click()
    browser_login(page, "a11y-lead@example.gouv.fr", PASSWORD)
    staff = ["/mooc/gestion/", f"/mooc/gestion/{course.id}/contenu", f"/mooc/gestion/{course.id}/sessions/nouvelle",
             f"/mooc/gestion/{course.id}/sessions/{run.id}", f"/mooc/gestion/sessions/{run.id}/tableau-de-bord",
             f"/mooc/gestion/sessions/{run.id}/inscriptions", f"/mooc/gestion/sessions/{run.id}/courriel",
             f"/mooc/gestion/{course.id}/sequences/{db.session.scalar(sa.select(Sequence.id))}"]
    for url in staff:
        page.goto(url)
        assert_accessible(page, url)
    page.goto(f"/mooc/gestion/{course.id}/contenu")
    page.get_by_role("link", name=re.compile("^Modifier « ")).first.click()
    assert_accessible(page, "edit item")
    page.locator("#transcript").fill("")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_text("Une vidéo doit avoir sa transcription").first.wait_for()
    assert_accessible(page, "edit item (errors)")
    page.goto(f"/mooc/gestion/{course.id}/elements/{resource.id}")
    page.locator("#resource_upload").set_input_files({"name": "page.html", "mimeType": "text/html", "buffer": b"<h1>x</h1>"})
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_text("Type de fichier refusé").first.wait_for()
    assert_accessible(page, "edit resource (file refused)")
    page.goto(f"/mooc/gestion/sessions/{run.id}/courriel")
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("Saisissez un objet.").first.wait_for()
    assert_accessible(page, "learner email (errors)")


def test_dashboard_draws_dsfr_charts_beside_their_data_tables(page):
    course, run = make_mooc(sequences=(1, 1), kinds=("text",))
    for _ in range(3):
        make_enrolment(run)
    make_user(email="chart-lead@example.gouv.fr", roles=[Role.COURSE_LEAD])
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if message.type == "error" else None)
    browser_login(page, "chart-lead@example.gouv.fr", PASSWORD)
    page.goto(f"/mooc/gestion/sessions/{run.id}/tableau-de-bord")
    charts = page.locator("bar-chart")
    assert charts.count() == 2
    for index in range(2):  # the web component rendered a canvas (Chart.js) inside each element
        charts.nth(index).locator("canvas").first.wait_for()
    assert blocked == []  # nothing refused by the Content-Security-Policy, no script error
    assert page.get_by_role("table", name="Inscriptions par jour").locator("tbody tr").count() == 1
    assert_accessible(page, "dashboard with charts")


def test_the_outline_sections_open_and_close_with_the_keyboard(page):
    course, run = make_mooc(sequences=(2, 1), kinds=("text", "video"))
    learner = make_user(email="outline-learner@example.gouv.fr")
    make_enrolment(run, learner)
    browser_login(page, "outline-learner@example.gouv.fr", PASSWORD)
    page.goto(f"/mooc/{course.slug}")
    current = page.get_by_role("button", name="Séquence 1 : Séquence 1")
    other = page.get_by_role("button", name="Séquence 3 : Séquence 3")
    expect(current).to_have_attribute("aria-expanded", "true")  # where the learner is: open
    expect(page.get_by_role("link", name="S1 text")).to_be_visible()
    expect(other).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="S3 text")).to_be_hidden()
    assert_accessible(page, "course outline")

    other.focus()
    page.keyboard.press("Enter")
    expect(other).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="S3 text")).to_be_visible()
    expect(current).to_have_attribute("aria-expanded", "true")  # each section opens on its own
    page.keyboard.press("Space")
    expect(other).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="S3 text")).to_be_hidden()
    page.keyboard.press("Shift+Tab")  # back to the open section's last link, then its button
    current.focus()
    page.keyboard.press("Enter")
    expect(current).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="S1 text")).to_be_hidden()
    assert_accessible(page, "course outline, sections closed")


VALUE_AXIS_TICKS = """element => {
  const chart = element._instance.proxy.chart;  // the web component's Chart.js chart
  const axis = element.getAttribute('horizontal') === 'true' ? 'x' : 'y';
  return chart.scales[axis].ticks.map(tick => tick.value);
}"""


def test_the_dashboard_charts_count_people_in_whole_numbers(page):
    course, run = make_mooc(sequences=(1, 1), kinds=("text",))
    first, second = queries.ordered_items(queries.get_course_outline(course.slug))
    for started in (first, first, second):  # a few learners: Chart.js alone would step by 0.5 or 0.2
        services.record_progress(make_enrolment(run), started, source="opened")
    db.session.commit()
    make_user(email="ticks-lead@example.gouv.fr", roles=[Role.COURSE_LEAD])
    browser_login(page, "ticks-lead@example.gouv.fr", PASSWORD)
    page.goto(f"/mooc/gestion/sessions/{run.id}/tableau-de-bord")
    charts = page.locator("bar-chart[data-integer-ticks]")
    assert charts.count() == 2
    page.wait_for_function("() => [...document.querySelectorAll('bar-chart')].every(chart => chart.integerTicksApplied)")
    for index in range(2):
        ticks = charts.nth(index).evaluate(VALUE_AXIS_TICKS)
        assert len(ticks) >= 2 and all(float(value).is_integer() for value in ticks), ticks
