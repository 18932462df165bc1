"""The demo MOOC is the course beta.gouv.fr ran: its table of contents, its 22 videos with their speakers and
transcripts, its testimonies, « Documents utiles » with the fiche produit template. The expected facts are
written here from the reference (../shared/reference/mooc-as-it-ran.md), independently of the content folder."""

import importlib.util
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
import yaml

from beta_training.config import ROOT
from beta_training.courses import queries
from beta_training.courses.content import export_course, import_course
from beta_training.courses.models import CourseItem, CourseModule, CourseRun
from beta_training.demo import MOOC_FOLDER
from beta_training.extensions import db

# Part label → its videos: (Dailymotion id, speaker, testimony?, transcript file). From the reference.
REFERENCE = {
    "Introduction": [("x6xkiia", "Pierre Pezziardi", False, "2-introduction-methode-startup-etat.pdf")],
    "Séquence 1 : Résoudre les problèmes des usagers": [
        ("x6xki7d", "Pierre Pezziardi", False, "4-identifier-probleme.pdf"),
        ("x6xki6j", "Pierre Pezziardi", False, "5-trouver-solution.pdf"),
        ("x6xki43", "Pierre Pezziardi", False, "6-deployer-produit.pdf"),
        ("x6xkhwh", "Clélia Pienne", True, "7-convaincre-sponsor.pdf")],
    "Séquence 2 : Trouver ses premiers utilisateurs": [
        ("x6xkhua", "Ivan Collombet", False, "8-premiers-utilisateurs.pdf"),
        ("x6xkhn8", "Ivan Collombet", False, "9-quatre-conseils-pratiques-1.pdf"),
        ("x6xkhhr", "Ivan Collombet", False, "10-quatre-conseils-pratiques-2.pdf"),
        ("x6xkhdv", "Ivan Collombet", False, "11-premier-open-lab.pdf"),
        ("x6xkh8o", "Pierre de Maulmont", True, "12-strategie-openacademie.pdf")],
    "Séquence 3 : Mesurer son impact dans le réel": [
        ("x6xkh2i", "Ismaël Héry", False, "13-mesure-impact.pdf"),
        ("x6xkgu3", "Ismaël Héry", False, "14-exemples-mesurer-impact.pdf"),
        ("x6xkgn9", "Lauren Michel", True, "15-impact-Maintenant-pole-emploi.pdf")],
    "Séquence 4 : Survivre en milieu hostile": [
        ("x6xkgk5", "Héla Ghariani", False, "16-survivre-milieu-hostile.pdf"),
        ("x6xkgfb", "Héla Ghariani", False, "17-identifier-problemes-imaginaires-1.pdf"),
        ("x6xkgbq", "Héla Ghariani", False, "18-identifier-problemes-imaginaires-2.pdf"),
        ("x6xkg5g", "Héla Ghariani", False, "19-maitriser-imprevus.pdf"),
        ("x6xkfz0", "Daniel Balmy", True, "20-maitriser-imprevus-temoignage-work-in-france.pdf")],
    "Séquence 5 : Faire de l’industriel en mode artisanal": [
        ("x6xkfqf", "Julien Dauphant", False, "21-industriel-mode-artisanal.pdf"),
        ("x6xkfhh", "Julien Dauphant", False, "22-tester-sans-developpeur.pdf"),
        ("x6xkf63", "Philippe Vrignaud", True, "23-lancez-vous-avec-demarches-simplifiees.pdf")],
    "Documents utiles": [("x6xkifc", "Jihane Herizi", False, "3-fiche-produit.pdf")],
}
MODULES = ["Introduction", "Module 1 : Les notions clés de la méthode « Startup d’État »",
           "Module 2 : Construire et tester son produit (sans développeur)", "Documents utiles"]
# « Documents utiles »: address → what its link says it is. The sizes of the two PDFs of beta.gouv.fr are those of
# content/docs/guide.pdf (398,020 bytes) and rapportannuel.pdf (2,457,353) in the site's public repository
# (betagouv/beta.gouv.fr, commit 693fb7c4, 2026-08-20); the ANSSI guide's size was not checked: none is shown.
LINKED_DOCUMENTS = {
    "https://beta.gouv.fr/content/docs/guide.pdf": "PDF – 389 ko – site beta.gouv.fr",
    "https://www.numerique.gouv.fr/uploads/guide_agilite-et-securite-numeriques.pdf": "PDF – site numerique.gouv.fr",
    "https://beta.gouv.fr/content/docs/rapportannuel.pdf": "PDF – 2,3 Mo – site beta.gouv.fr",
    "https://www.fondapol.org/etude/pierre-pezziardi-et-henri-verdier-des-startups-detat-a-letat-plateforme/":
        "Page web – site fondapol.org",
}


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _videos(outline):
    return {sequence.label: [item for item in sequence.items if item.kind == "video"]
            for module in outline.modules for sequence in module.sequences}


def test_the_real_table_of_contents_round_trips(ctx, tmp_path):
    course = import_course(MOOC_FOLDER)
    outline = queries.get_course_outline(course.slug)
    assert [module.label for module in outline.modules] == MODULES
    videos = _videos(outline)
    assert list(videos) == list(REFERENCE)  # 7 parts, in this order
    assert sum(len(items) for items in videos.values()) == 22
    for label, expected in REFERENCE.items():
        got = [(item.video_url, item.person_name, item.is_testimony, item.transcript_url) for item in videos[label]]
        assert got == [(f"https://www.dailymotion.com/embed/video/{video_id}", speaker, testimony,
                        f"https://beta.gouv.fr/content/docs/mooc/{transcript}")
                       for video_id, speaker, testimony, transcript in expected], label
        assert all(item.person_role for item in videos[label]), label
    testimonies = {item.title for items in videos.values() for item in items if item.is_testimony}
    assert len(testimonies) == 5

    export_course(outline, tmp_path / "export")
    source = sorted(path.relative_to(MOOC_FOLDER) for path in Path(MOOC_FOLDER).rglob("*") if path.is_file())
    exported = sorted(path.relative_to(tmp_path / "export") for path in (tmp_path / "export").rglob("*") if path.is_file())
    assert exported == source
    for relative in source:  # written back byte for byte: the folder is what the course is
        assert (tmp_path / "export" / relative).read_bytes() == (MOOC_FOLDER / relative).read_bytes(), relative
    assert import_course(tmp_path / "export").id == course.id


def test_each_sequence_has_a_lesson_a_summary_and_a_quiz_with_feedback(ctx):
    outline = queries.get_course_outline(import_course(MOOC_FOLDER).slug)
    numbered = [sequence for module in outline.modules for sequence in module.sequences if sequence.number]
    assert [sequence.number for sequence in numbered] == [1, 2, 3, 4, 5]
    for sequence in numbered:
        texts = [item for item in sequence.items if item.kind == "text"]
        assert len(texts) == 2 and len(texts[0].body) > 1200, sequence.label  # a lesson of a few paragraphs…
        assert texts[1].title.startswith("À retenir") and texts[1].body.count("\n- ") >= 3  # …and its summary
        (quiz,) = [item for item in sequence.items if item.kind == "quiz"]
        assert quiz.body.strip().endswith("?")
        assert len(quiz.choices) >= 3 and sum(choice.is_correct for choice in quiz.choices) == 1
        assert all(len(choice.feedback) > 40 for choice in quiz.choices), sequence.label


def test_documents_utiles_offers_the_fiche_template_and_the_documents(ctx):
    outline = queries.get_course_outline(import_course(MOOC_FOLDER).slug)
    documents = outline.modules[-1].sequences[0]
    resources = [item for item in documents.items if item.kind == "resource"]
    hosted = [item for item in resources if item.resource_file is not None]
    assert [item.resource_file.filename for item in hosted] == ["fiche-produit-mooc.odt"]
    assert {item.resource_url: item.resource_link_detail for item in resources if item.resource_url} == LINKED_DOCUMENTS


def _generator():
    spec = importlib.util.spec_from_file_location("make_fiche", ROOT / "scripts" / "make_fiche_produit_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _members(data: bytes) -> dict:
    from io import BytesIO

    with zipfile.ZipFile(BytesIO(data)) as archive:
        return {info.filename: (info.compress_type, archive.read(info)) for info in archive.infolist()}


def test_the_fiche_template_is_what_its_script_writes_one_part_per_sequence():
    committed = (MOOC_FOLDER / "files" / "docs-fiche-produit-modele" / "fiche-produit-mooc.odt").read_bytes()
    members = _members(committed)
    assert _members(_generator().odt_bytes()) == members  # regenerate it rather than edit it
    assert list(members)[0] == "mimetype" and members["mimetype"] == (zipfile.ZIP_STORED, b"application/vnd.oasis.opendocument.text")
    root = ElementTree.fromstring(members["content.xml"][1])
    text_ns = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    headings = ["".join(h.itertext()) for h in root.iter(f"{text_ns}h")]
    assert headings == ["Qui êtes-vous ?", "Séquence 1 – Résoudre les problèmes des usagers",
                        "Séquence 2 – Trouver ses premiers utilisateurs", "Séquence 3 – Mesurer son impact dans le réel",
                        "Séquence 4 – Survivre en milieu hostile", "Séquence 5 – Faire de l’industriel en mode artisanal"]
    text = " ".join("".join(p.itertext()) for p in root.iter(f"{text_ns}p"))
    for field in ("Nom :", "Prénom :", "Fonction :", "Organisation :", "Adresse électronique :"):
        assert field in text
    for subject in ("chaque année", "au présent", "six mois", "premiers utilisateurs", "Open Lab",
                    "sans questionnaire en ligne", "équipe de dix", "pire scénario", "petites actions", "sans développeur"):
        assert subject in text, subject


def test_prune_removes_parts_the_folder_no_longer_has(ctx, tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(MOOC_FOLDER, folder)
    course = import_course(folder)
    spec = yaml.safe_load((folder / "course.yml").read_text())
    spec["modules"] = spec["modules"][1:3]  # no more introduction nor « Documents utiles »
    spec["modules"][0]["sequences"] = spec["modules"][0]["sequences"][:3]
    (folder / "course.yml").write_text(yaml.safe_dump(spec, allow_unicode=True))

    import_course(folder)  # without --prune, nothing is deleted
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseItem)) == 43
    import_course(folder, prune=True)
    db.session.expire_all()
    outline = queries.get_course_outline(course.slug)
    assert [module.label for module in outline.modules] == MODULES[1:3]
    assert [s.label for m in outline.modules for s in m.sequences] == [
        "Séquence 1 : Résoudre les problèmes des usagers", "Séquence 2 : Trouver ses premiers utilisateurs",
        "Séquence 3 : Mesurer son impact dans le réel", "Séquence 4 : Faire de l’industriel en mode artisanal"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseModule)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseItem)) == 7 + 8 + 6 + 6


def test_who_signs_a_runs_attestations_goes_out_and_back_with_the_folder(ctx, tmp_path):
    course = import_course(MOOC_FOLDER)
    run = db.session.scalar(sa.select(CourseRun).where(CourseRun.course_id == course.id))
    run.signatory_name, run.signatory_role = "Rachel Dupont", "Responsable de la formation"
    db.session.flush()
    export_course(queries.get_course_outline(course.slug), tmp_path / "export")
    [written] = yaml.safe_load((tmp_path / "export" / "course.yml").read_text(encoding="utf-8"))["runs"]
    assert (written["signatory_name"], written["signatory_role"]) == ("Rachel Dupont", "Responsable de la formation")
    run.signatory_name = run.signatory_role = ""
    db.session.flush()
    import_course(tmp_path / "export")
    assert (run.signatory_name, run.signatory_role) == ("Rachel Dupont", "Responsable de la formation")
