"""The real MOOC in Chromium with Dailymotion unreachable (offline, or a network that blocks it): every video
page still gives its title, its speaker and role, its transcript link, and « J'ai terminé » still records
progress. Axe on the presentation page, a video of the introduction, a testimony and « Documents utiles »."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from beta_training.courses.models import CourseItem, CourseRun, ItemCompletion
from beta_training.demo import MOOC_SLUG, seed_mooc
from beta_training.extensions import db
from tests.a11y import assert_accessible
from tests.conftest import browser_login
from tests.factories import PASSWORD, make_enrolment, make_user

pytestmark = pytest.mark.browser

DAILYMOTION = re.compile(r"^https?://([^/]+\.)?dailymotion\.com/")


def test_offline_video_pages_keep_their_text_and_record_progress(page, app):
    with app.test_request_context():
        seed_mooc(date.today())
    run = db.session.scalar(sa.select(CourseRun).where(CourseRun.slug == "session-demo"))
    enrolment = make_enrolment(run, make_user(email="hors-ligne@example.gouv.fr"))
    refused = []

    def unreachable(route):
        refused.append(route.request.url)
        route.abort("internetdisconnected")

    page.route(DAILYMOTION, unreachable)

    page.goto(f"/mooc/{MOOC_SLUG}")
    expect(page.get_by_role("heading", name="En bref")).to_be_visible()
    assert_accessible(page, "course presentation (anonymous)")

    browser_login(page, "hors-ligne@example.gouv.fr", PASSWORD)
    base = f"/mooc/{MOOC_SLUG}/{run.slug}/contenu"
    page.goto(f"{base}/intro-video")
    expect(page.get_by_role("heading", level=1)).to_have_text("Introduction à la méthode Startup d’État")
    expect(page.locator("#speaker")).to_have_text(re.compile(r"Avec\s+Pierre Pezziardi, Entrepreneur en résidence"))
    transcript = page.get_by_role("link", name=re.compile("^Lire la transcription de la vidéo"))
    expect(transcript).to_have_attribute("href", "https://beta.gouv.fr/content/docs/mooc/2-introduction-methode-startup-etat.pdf")
    assert any(url.startswith("https://www.dailymotion.com/embed/video/x6xkiia") for url in refused)  # the player did not load
    assert_accessible(page, "introduction video, player unreachable")
    page.get_by_role("button", name="J’ai terminé").click()
    page.get_by_text("Élément terminé").wait_for()
    db.session.commit()  # a fresh read: what the live server wrote
    assert db.session.scalars(sa.select(CourseItem.key).join(ItemCompletion)
                              .where(ItemCompletion.enrolment_id == enrolment.id)).all() == ["intro-video"]

    page.goto(f"{base}/s3-temoignage-maintenant")
    expect(page.locator("#content p.fr-badge")).to_have_text("Témoignage")
    expect(page.locator("#speaker")).to_have_text(re.compile(r"Témoignage de\s+Lauren Michel, Intrapreneuse"))
    expect(page.get_by_role("link", name=re.compile("^Lire la transcription"))).to_have_attribute(
        "href", "https://beta.gouv.fr/content/docs/mooc/15-impact-Maintenant-pole-emploi.pdf")
    assert_accessible(page, "testimony, player unreachable")
    page.get_by_role("button", name="J’ai terminé").click()
    page.get_by_text("Élément terminé").wait_for()

    # « Documents utiles »: our template as a file (type and size), the guide on beta.gouv.fr (type, size and site).
    page.goto(f"{base}/docs-fiche-produit-modele")
    expect(page.get_by_role("link", name=re.compile("^Télécharger « fiche-produit-mooc.odt »"))).to_contain_text("ODT – 4 ko")
    assert_accessible(page, "documents utiles: the fiche produit template")
    page.goto(f"{base}/docs-guide-lancement")
    expect(page.get_by_role("link", name=re.compile("^Ouvrir « Le guide de lancement"))).to_contain_text("PDF – 389 ko – site beta.gouv.fr")
    assert_accessible(page, "documents utiles: the launch guide")

    page.goto(f"/mooc/{MOOC_SLUG}")
    expect(page.locator("#progress-course-label")).to_contain_text("4 éléments terminés sur 43")  # two videos, two documents opened
    assert_accessible(page, "course presentation (enrolled)")
