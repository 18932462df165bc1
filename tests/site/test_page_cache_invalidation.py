"""Every write that changes a page cached for anonymous visitors retires it at its commit: through the ORM
(a flush) or a bulk statement, in this process or in another one on the same database (core/page_cache.py)."""

import yaml
import pytest

from beta_training import create_app
from beta_training.accounts.models import Role
from beta_training.cohorts import services as cohort_services
from beta_training.config import TestConfig
from beta_training.core import db as core_db
from beta_training.core.models import utcnow
from beta_training.courses import content as course_content
from beta_training.courses import services as course_services
from beta_training.extensions import db
from beta_training.privacy import services as privacy_services
from beta_training.privacy.models import Origin
from tests.factories import (
    make_application,
    make_call,
    make_cohort,
    make_course,
    make_course_item,
    make_course_module,
    make_course_run,
    make_enrolment,
    make_programme_item,
    make_sequence,
    make_speaker,
    make_user,
)

ATTESTATION = "/mooc/attestations/ABCD-EFGH-JK"


@pytest.fixture
def world(app):
    cohort = make_cohort(slug="alpha-cache", title="Session Alpha en cache", seats=3, place_name="Paris")
    speaker = make_speaker(cohort, name="Agnès Intervenante")
    spare_speaker = make_speaker(cohort, name="Bertrand Réserve")
    item = make_programme_item(cohort, title="Atelier découverte", speakers=[speaker])
    course = make_course(slug="mooc-cache", title="Cours en cache", summary="Résumé du cours")
    run = make_course_run(course, slug="printemps", name="Session de printemps")
    sequence = make_sequence(make_course_module(course, title="Premier module"), title="Première séquence")
    course_item = make_course_item(sequence, title="Vidéo d’accueil")
    learner = make_user(first_name="Zoé", last_name="Apprenante")
    make_enrolment(run, learner, completed_at=utcnow(), attestation_code="ABCD-EFGH-JK")
    return {"cohort": cohort, "speaker": speaker, "spare_speaker": spare_speaker, "programme_item": item,
            "application": make_application(cohort, state="submitted"), "course": course, "run": run,
            "sequence": sequence, "course_item": course_item, "learner": learner,
            "trainer": make_user(roles=[Role.TRAINER]), "admin": make_user(roles=[Role.ADMIN]),
            "call": make_call(title="Appel en cache")}


def _rename_call(w, tmp_path):
    w["call"].title = "Appel renommé"


def _rename_cohort(w, tmp_path):
    w["cohort"].title = "Session Alpha renommée"


def _update_cohort(w, tmp_path):
    cohort_services.update_cohort(w["cohort"], actor=w["trainer"], place_name="Lyon")


def _cancel_cohort(w, tmp_path):
    cohort_services.cancel_cohort(w["cohort"], actor=w["trainer"], reason="Salle indisponible")


def _add_programme_item(w, tmp_path):
    cohort_services.save_programme_item(w["cohort"], title="Atelier ajouté", day=w["cohort"].starts_on)


def _link_speaker(w, tmp_path):  # the link table is rewritten by bulk DELETE and INSERT statements
    cohort_services.save_programme_item(w["cohort"], item=w["programme_item"], speaker_ids=[w["spare_speaker"].id])


def _rename_speaker(w, tmp_path):
    w["speaker"].name = "Agnès Renommée"


def _delete_programme_item(w, tmp_path):
    cohort_services.delete_programme_item(w["programme_item"])


def _accept_application(w, tmp_path):  # a conditional bulk UPDATE (core.states.transition_once)
    cohort_services.accept_application(w["application"], actor=w["trainer"])


def _rename_course(w, tmp_path):
    w["course"].title = "Cours renommé"


def _unpublish_course(w, tmp_path):
    w["course"].published = False


def _rename_run(w, tmp_path):
    course_services.save_run(w["course"], run=w["run"], name="Session renommée")


def _rename_sequence(w, tmp_path):
    course_services.rename(w["sequence"], title="Séquence renommée")


def _rename_course_item(w, tmp_path):
    w["course_item"].title = "Vidéo renommée"


def _import_course(w, tmp_path):
    folder = tmp_path / "export"
    course_content.export_course(w["course"], folder)
    spec = yaml.safe_load((folder / "course.yml").read_text(encoding="utf-8"))
    spec["title"] = "Cours importé"
    (folder / "course.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    course_content.import_course(folder)


def _erase_learner(w, tmp_path):  # her enrolments go with her account (ON DELETE CASCADE)
    privacy_services.erase_account(w["learner"], origin=Origin.ADMIN, actor=w["admin"], reason="Demande écrite")


# (write, pages it changes, text shown after it, text gone after it, status after it)
WRITES = [
    (_rename_cohort, ["/", "/alpha/", "/alpha/alpha-cache"], "Session Alpha renommée", "Session Alpha en cache", 200),
    (_update_cohort, ["/alpha/", "/alpha/alpha-cache"], "Lyon", None, 200),
    (_cancel_cohort, ["/alpha/alpha-cache"], "Cette session est annulée", None, 200),
    (_add_programme_item, ["/alpha/alpha-cache"], "Atelier ajouté", None, 200),
    (_link_speaker, ["/alpha/alpha-cache"], "Bertrand Réserve", "Agnès Intervenante", 200),
    (_rename_speaker, ["/alpha/alpha-cache"], "Agnès Renommée", "Agnès Intervenante", 200),
    (_delete_programme_item, ["/alpha/alpha-cache"], None, "Atelier découverte", 200),
    (_accept_application, ["/alpha/", "/alpha/alpha-cache"], "2 places restantes sur 3", "3 places restantes", 200),
    (_rename_course, ["/", "/mooc/", "/mooc/mooc-cache", ATTESTATION], "Cours renommé", "Cours en cache", 200),
    (_unpublish_course, ["/", "/mooc/"], None, "Cours en cache", 200),
    (_unpublish_course, ["/mooc/mooc-cache"], None, None, 404),
    (_rename_run, ["/mooc/mooc-cache", ATTESTATION], "Session renommée", "Session de printemps", 200),
    (_rename_sequence, ["/mooc/mooc-cache"], "Séquence renommée", "Première séquence", 200),
    (_rename_course_item, ["/mooc/mooc-cache"], "Vidéo renommée", "Vidéo d’accueil", 200),
    (_import_course, ["/", "/mooc/", "/mooc/mooc-cache"], "Cours importé", "Cours en cache", 200),
    (_erase_learner, [ATTESTATION], None, None, 404),
    (_rename_call, ["/"], "Appel renommé", "Appel en cache", 200),
]


def _cached(app, path) -> str:
    """The page, rendered then served from the cache (proved by a hit)."""
    first = app.test_client().get(path)
    assert first.status_code == 200
    hits = app.page_cache.stats["hits"]
    second = app.test_client().get(path)
    assert app.page_cache.stats["hits"] == hits + 1
    return second.text


@pytest.mark.parametrize(("write", "paths", "shown", "gone", "status"), WRITES,
                         ids=[f"{w[0].__name__.strip('_')}-{i}" for i, w in enumerate(WRITES)])
def test_every_write_a_cached_page_shows_retires_it(app, world, tmp_path, write, paths, shown, gone, status):
    for path in paths:
        before = _cached(app, path)
        assert shown is None or shown not in before
        assert gone is None or gone in before
    write(world, tmp_path)
    core_db.commit()
    for path in paths:
        page = app.test_client().get(path)
        assert page.status_code == status, path
        assert shown is None or shown in page.text, path
        assert gone is None or gone not in page.text, path


def test_a_write_that_changes_nothing_shown_keeps_the_copies(app, world):
    """A draft's answers (autosaved every few seconds by each candidate) are not on any public page."""
    _cached(app, "/alpha/alpha-cache")
    world["application"].motivation = "Une autre motivation"
    world["learner"].first_name = "Zoéline"  # the attestation prints the name frozen at completion
    core_db.commit()
    rendered = app.page_cache.stats["rendered"]
    app.test_client().get("/alpha/alpha-cache")
    assert app.page_cache.stats["rendered"] == rendered
    assert "Zoé Apprenante" in _cached(app, ATTESTATION)


def test_a_write_rolled_back_bumps_nothing_and_a_later_commit_does(app, world):
    _cached(app, "/alpha/alpha-cache")
    world["cohort"].title = "Jamais enregistré"
    db.session.flush()
    core_db.rollback()
    assert "Session Alpha en cache" in app.test_client().get("/alpha/alpha-cache").text
    world["cohort"].title = "Enregistré"
    core_db.commit()
    assert "Enregistré" in app.test_client().get("/alpha/alpha-cache").text


def test_two_processes_on_one_database_see_each_others_writes(app, world, database_url, smtp_server):
    """Two apps stand for two gunicorn workers or two containers: each keeps its own copies, the generation
    is in the database they share."""
    other = create_app(type("OtherProcess", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "MAIL_PORT": smtp_server.port}))
    for serving in (app, other):
        assert "Session Alpha en cache" in _cached(serving, "/alpha/alpha-cache")

    world["cohort"].title = "Écrit par le premier"
    core_db.commit()
    assert "Écrit par le premier" in other.test_client().get("/alpha/alpha-cache").text

    with other.app_context():
        from beta_training.cohorts.models import Cohort

        cohort = db.session.get(Cohort, world["cohort"].id)
        cohort.title = "Écrit par le second"
        core_db.commit()
    assert "Écrit par le second" in app.test_client().get("/alpha/alpha-cache").text
    assert "Écrit par le second" in other.test_client().get("/alpha/alpha-cache").text
    with other.app_context():
        db.engine.dispose()
