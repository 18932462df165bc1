"""Unnumbered parts and their labels, videos whose transcript is a link, testimonies, and the course's
presentation page (the facts of the launch, every run's windows, the programme), on the real course."""

from datetime import date

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from beta_training.core.i18n import format_range_start
from beta_training.core.templating import format_d
from beta_training.courses import queries, services
from beta_training.courses.content import import_course
from beta_training.courses.models import CourseItem, CourseModule, CourseRun, ItemCompletion, Sequence
from beta_training.demo import MOOC_FOLDER, MOOC_SLUG, seed_mooc
from beta_training.extensions import db
from beta_training.forum.services import forum_for_run
from tests.conftest import login
from tests.factories import make_course_item, make_enrolment, make_mooc, make_sequence, make_user

LINK = "https://beta.gouv.fr/content/docs/mooc/7-convaincre-sponsor.pdf"
PARTS = ["Introduction", "Séquence 1 : Résoudre les problèmes des usagers", "Séquence 2 : Trouver ses premiers utilisateurs",
         "Séquence 3 : Mesurer son impact dans le réel", "Séquence 4 : Survivre en milieu hostile",
         "Séquence 5 : Faire de l’industriel en mode artisanal", "Documents utiles"]


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def real_course(app):
    """The demo MOOC as `flask seed-demo` loads it: the 2018 run, over, and one open today."""
    with app.test_request_context():
        seed_mooc(date.today())
    db.session.commit()
    course = queries.get_course_outline(MOOC_SLUG)
    return course, {run.slug: run for run in course.runs}


def test_labels_number_the_numbered_parts_and_name_the_others(ctx):
    assert CourseModule(number=1, title="Les notions clés").label == "Module 1 : Les notions clés"
    assert CourseModule(number=1, title="Les notions clés").short_label == "Module 1"
    assert CourseModule(number=None, title="Introduction").label == "Introduction"
    assert CourseModule(number=None, title="Introduction").short_label == "Introduction"
    assert Sequence(number=3, title="Mesurer son impact").label == "Séquence 3 : Mesurer son impact"
    assert Sequence(number=3, title="Mesurer son impact").short_label == "Séquence 3"
    assert Sequence(number=None, title="Documents utiles").label == "Documents utiles"
    assert Sequence(number=None, title="Documents utiles").short_label == "Documents utiles"


def test_new_parts_are_numbered_past_the_unnumbered_ones(ctx):
    course = import_course(MOOC_FOLDER)
    intro, first, second, documents = queries.get_course_outline(course.slug).modules
    assert services.add_sequence(intro, title="Avant de commencer").number is None  # an unnumbered part stays so
    added = services.add_sequence(first, title="Nouvelle")
    module = services.add_module(course, title="Ouvrir son service")
    db.session.expire_all()
    outline = queries.get_course_outline(course.slug)
    assert [(m.number, m.title) for m in outline.modules][-1] == (3, "Ouvrir son service") == (module.number, module.title)
    assert [s.number for m in outline.modules for s in m.sequences] == [None, None, 1, 2, 3, 4, 5, 6, None]
    assert added.label == "Séquence 5 : Nouvelle"


def test_the_database_wants_a_transcript_text_or_link_for_a_video(app):
    sequence = make_sequence()
    make_course_item(sequence, kind="video", key="lien", transcript="", transcript_url=LINK)
    make_course_item(sequence, kind="video", key="texte", transcript="Ce qui est dit.", transcript_url="")
    with pytest.raises(sa.exc.IntegrityError, match="video_has_transcript"):
        make_course_item(sequence, kind="video", key="rien", transcript="", transcript_url="")
    db.session.rollback()
    assert db.session.scalars(sa.select(CourseItem.key).order_by(CourseItem.key)).all() == ["lien", "texte"]


def test_the_service_and_the_form_want_a_transcript_text_or_link(ctx, client):
    course, _run = make_mooc(sequences=(1,), kinds=("text",))
    sequence = queries.get_course_outline(course.slug).modules[0].sequences[0]
    with pytest.raises(services.CourseError, match="en texte ou en lien"):
        services.save_item(sequence, key="rien", kind="video", title="V", video_url="https://www.dailymotion.com/embed/video/x",
                           transcript="", transcript_url="")
    db.session.rollback()  # as the views do after a refusal
    sequence = queries.get_course_outline(course.slug).modules[0].sequences[0]
    linked = services.save_item(sequence, key="lien", kind="video", title="V", video_url="https://www.dailymotion.com/embed/video/x",
                                transcript="", transcript_url=LINK, is_testimony=True, person_name="Clélia Pienne")
    assert (linked.transcript_url, linked.is_testimony) == (LINK, True)
    db.session.commit()

    login(client, make_user(roles=["course_lead"]))
    data = {"key": "temoignage", "kind": "video", "title": "Convaincre son sponsor", "video_url": "https://www.dailymotion.com/embed/video/x6xkhwh",
            "transcript": "", "transcript_url": "", "person_name": "Clélia Pienne", "person_role": "Sponsor", "is_testimony": "y"}
    refused = client.post(f"/mooc/gestion/{course.id}/sequences/{sequence.id}/nouvel-element", data=data)
    assert refused.status_code == 422 and "en texte ou en lien" in refused.text
    assert client.post(f"/mooc/gestion/{course.id}/sequences/{sequence.id}/nouvel-element",
                       data={**data, "transcript_url": LINK}).status_code == 302
    saved = db.session.scalar(sa.select(CourseItem).where(CourseItem.key == "temoignage"))
    assert (saved.transcript, saved.transcript_url, saved.is_testimony) == ("", LINK, True)


def test_the_presentation_page_says_the_facts_and_every_runs_windows(client, real_course):
    course, runs = real_course
    soup = BeautifulSoup(client.get(f"/mooc/{MOOC_SLUG}").text, "html.parser")
    facts = soup.find(id="course-facts").parent.get_text(" ", strip=True)
    for fact in ("environ 1 h 30 de vidéos", "(22 vidéos)", "aucune compétence informatique requise",
                 "beta.gouv.fr (DINSIC) avec le CNFPT"):
        assert fact in facts, fact
    rows = {row.th.get_text(" ", strip=True).split(" (")[0]: [td.get_text(" ", strip=True) for td in row.find_all("td")]
            for row in soup.find("caption", string="Sessions du cours (heure de Paris)").parent.tbody.find_all("tr")}
    assert rows["Session 2018"] == ["du 1er octobre au 15 novembre 2018", "du 15 octobre au 30 novembre 2018", "Terminée"]
    demo = runs["session-demo"]
    with client.application.test_request_context():
        expected = [f"du {format_range_start(demo.registration_opens_at, demo.registration_closes_at)} au "
                    f"{format_d(demo.registration_closes_at)}",
                    f"du {format_range_start(demo.access_starts_at, demo.access_ends_at)} au {format_d(demo.access_ends_at)}",
                    "Inscriptions ouvertes"]
    assert rows["Session de démonstration"] == expected
    # The programme by module and sequence; an unnumbered part of one sequence is named once.
    assert [h.get_text(strip=True) for h in soup.select("h3[id^=module-]")] == [
        "Introduction", "Module 1 : Les notions clés de la méthode « Startup d’État »",
        "Module 2 : Construire et tester son produit (sans développeur)", "Documents utiles"]
    assert [h.get_text(" ", strip=True) for h in soup.select("h4[id^=sequence-]")] == PARTS[1:-1]
    programme = soup.find(id="programme").find_parent().get_text(" ", strip=True)
    for detail in ("Pierre Pezziardi", "(Témoignage, Clélia Pienne)", "ODT – 4 ko", "PDF – 389 ko – site beta.gouv.fr",
                   "PDF – site numerique.gouv.fr", "Page web – site fondapol.org"):
        assert detail in programme, detail


def test_a_video_shows_its_speaker_role_and_transcript_link_and_is_done_by_a_click(client, real_course):
    course, runs = real_course
    enrolment = make_enrolment(runs["session-demo"])
    login(client, enrolment.user)
    base = f"/mooc/{MOOC_SLUG}/session-demo/contenu"
    soup = BeautifulSoup(client.get(f"{base}/s1-temoignage-sponsor").text, "html.parser")
    main = soup.find(id="content")
    assert main.find("p", class_="fr-badge").get_text(strip=True) == "Témoignage"
    assert main.find(id="speaker").get_text(" ", strip=True) == "Témoignage de Clélia Pienne , Sponsor"
    link = main.find("a", href=LINK)
    assert "PDF – site beta.gouv.fr" in link.get_text(" ", strip=True) and link["target"] == "_blank"
    assert main.find("iframe")["src"] == "https://www.dailymotion.com/embed/video/x6xkhwh"
    assert "Vidéo hébergée par dailymotion.com" in main.get_text()

    intro = BeautifulSoup(client.get(f"{base}/intro-video").text, "html.parser").find(id="content")
    assert intro.find("p", class_="fr-badge").get_text(strip=True) == "Vidéo"
    assert intro.find(id="speaker").get_text(" ", strip=True) == "Avec Pierre Pezziardi , Entrepreneur en résidence"
    assert client.post(f"{base}/intro-video/termine").status_code == 302  # « J'ai terminé »
    done = db.session.scalars(sa.select(CourseItem.key).join(ItemCompletion).where(ItemCompletion.enrolment_id == enrolment.id))
    assert done.all() == ["intro-video"]


def test_forum_categories_are_named_by_the_part_labels(ctx, real_course):
    _course, runs = real_course
    forum = forum_for_run(db.session.get(CourseRun, runs["session-demo"].id))
    assert [category.title for category in forum.categories][2:] == PARTS


def test_the_content_editor_names_each_rename_link_distinctly(client, real_course):
    course, _runs = real_course
    login(client, make_user(roles=["course_lead"]))
    page = BeautifulSoup(client.get(f"/mooc/gestion/{course.id}/contenu").text, "html.parser")
    renames = [link.get_text(strip=True) for link in page.find_all("a", string=lambda text: text and text.startswith("Renommer"))]
    assert renames[:2] == ["Renommer le module « Introduction »", "Renommer la séquence « Introduction »"]
    assert "Renommer le module « Module 1 »" in renames and "Renommer la séquence « Documents utiles »" in renames
    assert len(renames) == len(set(renames)) == 4 + 7  # 4 modules, 7 sequences: one name each


def test_the_learners_csv_names_every_part(client, real_course):
    _course, runs = real_course
    make_enrolment(runs["session-demo"])
    login(client, make_user(roles=["trainer"]))
    header = client.get(f"/mooc/gestion/sessions/{runs['session-demo'].id}/apprenants.csv").text.splitlines()[0]
    assert header.split(";")[7:] == ["introduction_pourcent"] + [f"sequence_{n}_pourcent" for n in range(1, 6)] + [
        "documents_utiles_pourcent"] + [f"quiz_s{n}-quiz_meilleur_score_pourcent" for n in range(1, 6)] + [
        "quiz_valides_sur_5_seuil_70_pourcent"] + [f"quiz_s{n}-quiz_valide" for n in range(1, 6)]  # the demo's 70 %


def test_a_linked_document_says_its_size_when_the_editor_gives_one(client):
    """A DSFR download link says its type and its size: a link to a document on another site says its size
    when the editor gives it (checked where the file is published), its type and site only otherwise."""
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    sequence = queries.get_course_outline(course.slug).modules[0].sequences[0]
    login(client, make_user(roles=["course_lead"]))
    new_item = f"/mooc/gestion/{course.id}/sequences/{sequence.id}/nouvel-element"
    data = {"key": "guide", "kind": "resource", "title": "Le guide de lancement",
            "resource_url": "https://beta.gouv.fr/content/docs/guide.pdf", "resource_size_bytes": "0"}
    refused = BeautifulSoup(client.post(new_item, data=data).text, "html.parser")
    assert refused.select_one("#resource_size_bytes-messages").get_text(strip=True) == (
        "Indiquez un poids en octets, un nombre entier positif.")
    assert client.post(new_item, data={**data, "resource_size_bytes": "398020"}).status_code == 302
    guide = db.session.scalar(sa.select(CourseItem).where(CourseItem.key == "guide"))
    assert (guide.resource_size_bytes, guide.resource_link_detail) == (398020, "PDF – 389 ko – site beta.gouv.fr")
    # A page has no size, and a link without one says its type and site.
    assert client.post(new_item, data={**data, "key": "page", "resource_url": "https://beta.gouv.fr/",
                                       "resource_size_bytes": "1000"}).status_code == 302
    page = db.session.scalar(sa.select(CourseItem).where(CourseItem.key == "page"))
    assert page.resource_link_detail == "Page web – site beta.gouv.fr"
    assert client.post(new_item, data={**data, "key": "sans-poids", "resource_size_bytes": ""}).status_code == 302
    unsized = db.session.scalar(sa.select(CourseItem).where(CourseItem.key == "sans-poids"))
    assert (unsized.resource_size_bytes, unsized.resource_link_detail) == (None, "PDF – site beta.gouv.fr")
    # What the learner reads on the item's page.
    login(client, make_enrolment(run).user)
    shown = BeautifulSoup(client.get(f"/mooc/{course.slug}/{run.slug}/contenu/guide").text, "html.parser")
    assert shown.find("a", href="https://beta.gouv.fr/content/docs/guide.pdf").select_one(
        ".fr-link__detail").get_text(strip=True) == "PDF – 389 ko – site beta.gouv.fr"
