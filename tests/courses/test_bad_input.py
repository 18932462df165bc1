"""The MOOC refuses what could not work (issue #10, section 5): run windows where one would register for a
course already over, enrolments in a finished run, the wrong run shown when runs overlap, and a
« terminé » answer that claims a completion nothing recorded."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import yaml

from beta_training.accounts.models import Role
from beta_training.core.models import utcnow
from beta_training.courses import queries, services
from beta_training.courses.content import ContentError, export_course, import_course
from beta_training.courses.models import CourseRun, Enrolment, ItemCompletion
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_course_invitation, make_course_run, make_enrolment, make_mooc, make_user


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def lead(app):
    return make_user(roles=[Role.COURSE_LEAD])


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'id="{field}-message-error-1">([^<]*)<', page)
    return match.group(1) if match else ""


# --- Run windows --------------------------------------------------------------------------------------------

ACCESS_BEFORE_REGISTRATION = {"registration_opens_at": "2027-03-01T09:00", "registration_closes_at": "2027-03-10T18:00",
                              "access_starts_at": "2027-01-01T09:00", "access_ends_at": "2027-02-01T18:00"}
REGISTRATION_AFTER_ACCESS = {"registration_opens_at": "2027-01-01T09:00", "registration_closes_at": "2027-06-01T18:00",
                             "access_starts_at": "2027-01-15T09:00", "access_ends_at": "2027-03-01T18:00"}
VALID = {"registration_opens_at": "2027-01-01T09:00", "registration_closes_at": "2027-01-31T18:00",
         "access_starts_at": "2027-01-15T09:00", "access_ends_at": "2027-03-01T18:00"}
TOO_LATE = "Les inscriptions doivent fermer au plus tard à la fin de l’accès aux contenus : sinon on s’inscrirait à un cours déjà terminé."


@pytest.mark.parametrize("dates,errors", [
    (ACCESS_BEFORE_REGISTRATION, {"access_ends_at": "L’accès aux contenus doit se terminer après l’ouverture des inscriptions.",
                                  "registration_closes_at": TOO_LATE}),
    (REGISTRATION_AFTER_ACCESS, {"registration_closes_at": TOO_LATE}),
    ({**VALID, "registration_closes_at": "2026-12-01T09:00"}, {"registration_closes_at": "La clôture doit suivre l’ouverture."}),
    ({**VALID, "access_ends_at": "2027-01-15T09:00"}, {"access_ends_at": "La fin doit suivre le début."}),
], ids=["access-ends-before-registration-opens", "registration-open-after-access-ended", "registration-inverted", "access-inverted"])
def test_a_run_that_could_not_work_is_refused_on_its_fields(client, lead, dates, errors):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    login(client, lead)
    created = client.post(f"/mooc/gestion/{course.id}/sessions/nouvelle", data={"name": "Session 02", "slug": "session-02", **dates})
    assert created.status_code == 422
    assert {field: _field_error(created.text, field) for field in errors} == errors
    edited = client.post(f"/mooc/gestion/{course.id}/sessions/{run.id}", data={"name": run.name, "slug": run.slug, **dates})
    assert edited.status_code == 422
    assert {field: _field_error(edited.text, field) for field in errors} == errors
    assert db.session.scalars(sa.select(CourseRun.slug).where(CourseRun.course_id == course.id)).all() == [run.slug]
    stored = db.session.get(CourseRun, run.id)
    assert stored.registration_closes_at <= stored.access_ends_at


def test_a_run_that_works_is_saved(client, lead):
    course, _run = make_mooc(sequences=(1,), kinds=("text",))
    login(client, lead)
    response = client.post(f"/mooc/gestion/{course.id}/sessions/nouvelle", data={"name": "Session 02", "slug": "session-02", **VALID})
    assert response.status_code == 302


def _window(days: dict):
    now = utcnow()
    return {name: now + timedelta(days=offset) for name, offset in days.items()}


@pytest.mark.parametrize("days,field", [
    ({"registration_opens_at": 20, "registration_closes_at": 30, "access_starts_at": 0, "access_ends_at": 10}, "registration_closes_at"),
    ({"registration_opens_at": 0, "registration_closes_at": 60, "access_starts_at": 5, "access_ends_at": 30}, "registration_closes_at"),
    ({"registration_opens_at": 0, "registration_closes_at": -1, "access_starts_at": 5, "access_ends_at": 30}, "registration_closes_at"),
    ({"registration_opens_at": 0, "registration_closes_at": 5, "access_starts_at": 30, "access_ends_at": 29}, "access_ends_at"),
])
def test_the_run_services_guard_windows_too(ctx, days, field):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    for save in (lambda: services.save_run(course, name="Nouvelle", slug="nouvelle", **_window(days)),
                 lambda: services.save_run(course, run=db.session.get(CourseRun, run.id), **_window(days)),
                 lambda: services.upsert_run(course, slug="importee", name="Importée", **_window(days))):
        with pytest.raises(services.InvalidRunWindow) as refused:
            save()
        assert refused.value.field == field
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseRun).where(CourseRun.course_id == course.id)) == 1


def test_a_course_folder_with_an_impossible_run_is_refused_clearly(ctx, tmp_path):
    course, _run = make_mooc(sequences=(1,), kinds=("text",))
    export_course(queries.get_course_outline(course.slug), tmp_path)
    spec = yaml.safe_load((tmp_path / "course.yml").read_text(encoding="utf-8"))
    [run] = spec["runs"]
    run["registration_closes_at"] = run["access_ends_at"] + timedelta(days=30)
    (tmp_path / "course.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError, match="fermer au plus tard"):
        import_course(tmp_path)


# --- Nobody enrols in a run that is over ----------------------------------------------------------------------


def _finished_run():
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    now = utcnow()
    run.registration_opens_at, run.registration_closes_at = now - timedelta(days=60), now - timedelta(days=40)
    run.access_starts_at, run.access_ends_at = now - timedelta(days=50), now - timedelta(days=1)
    db.session.commit()
    return course, run


def test_enrolling_in_a_finished_run_is_refused_even_with_an_invitation(ctx):
    _course, run = _finished_run()
    learner = make_user(email="invitee@example.gouv.fr")
    make_course_invitation(run, email=learner.email)
    with pytest.raises(services.CourseError, match="Cette session est terminée"):
        services.enrol(run, learner)
    with pytest.raises(services.CourseError, match="Cette session est terminée"):
        services.enrol(run, learner, invited=True)


def test_batch_enrolment_in_a_finished_run_says_why(client, lead):
    _course, run = _finished_run()
    make_user(email="someone@example.gouv.fr")
    login(client, lead)
    response = client.post(f"/mooc/gestion/sessions/{run.id}/inscriptions", data={"emails": "someone@example.gouv.fr\nnew@example.gouv.fr"})
    assert response.status_code == 422
    assert _field_error(response.text, "emails").startswith("Cette session est terminée depuis le")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 0


def test_the_enrol_button_of_a_finished_run_enrols_nobody(client):
    course, run = _finished_run()
    learner = make_user()
    make_course_invitation(run, email=learner.email)
    login(client, learner)
    response = client.post(f"/mooc/{course.slug}/{run.slug}/inscription", follow_redirects=True)
    assert "Cette session est terminée" in response.text
    assert queries.get_enrolment(run, learner) is None


# --- Overlapping runs: the learner's own first, then the open one --------------------------------------------


@pytest.fixture
def overlapping(app):
    """A long run started earlier, registration closed; a shorter one inside it, registration open."""
    course, long_run = make_mooc(sequences=(1,), kinds=("text",))
    now = utcnow()
    long_run.name = "Session longue"
    long_run.registration_opens_at, long_run.registration_closes_at = now - timedelta(days=40), now - timedelta(days=20)
    long_run.access_starts_at, long_run.access_ends_at = now - timedelta(days=30), now + timedelta(days=60)
    db.session.commit()
    spring = make_course_run(course, name="Session de printemps", registration_opens_at=now - timedelta(days=5),
                             registration_closes_at=now + timedelta(days=10), access_starts_at=now - timedelta(days=3),
                             access_ends_at=now + timedelta(days=40))
    return course, long_run, spring


def _run_shown(client, course) -> str:
    page = client.get(f"/mooc/{course.slug}").text
    return re.search(r"<p>[^<]* · ([^<]*)</p>", page).group(1)


def test_a_learner_sees_her_own_run_among_overlapping_runs(client, overlapping):
    course, long_run, spring = overlapping
    learner = make_user()
    make_enrolment(spring, learner)
    login(client, learner)
    assert _run_shown(client, course) == "Session de printemps"
    page = client.get(f"/mooc/{course.slug}").text
    assert "Me désinscrire de cette session" in page  # her enrolment, not the other run's closed registration
    assert "Les inscriptions à cette session ont fermé" not in page


def test_a_learner_enrolled_in_the_closed_run_still_sees_hers(client, overlapping):
    course, long_run, _spring = overlapping
    learner = make_user()
    make_enrolment(long_run, learner)
    login(client, learner)
    assert _run_shown(client, course) == "Session longue"


def test_visitors_see_the_run_open_for_registration(client, overlapping):
    course, _long_run, _spring = overlapping
    assert _run_shown(client, course) == "Session de printemps"
    login(client, make_user())
    assert _run_shown(client, course) == "Session de printemps"


def test_an_unenrolled_learner_is_shown_the_open_run(client, overlapping):
    course, long_run, _spring = overlapping
    learner = make_user()
    make_enrolment(long_run, learner, state="unenrolled")
    login(client, learner)
    assert _run_shown(client, course) == "Session de printemps"


# --- « J'ai terminé » tells the truth ------------------------------------------------------------------------

FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def learning(app):
    course, run = make_mooc(sequences=(1,), kinds=("video", "text"))
    learner = make_user()
    enrolment = make_enrolment(run, learner)
    return course, run, learner, enrolment


def _completions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ItemCompletion))


def test_completing_in_a_finished_run_records_nothing_and_says_so(client, learning):
    course, run, learner, _enrolment = learning
    run.access_ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login(client, learner)
    url = f"/mooc/{course.slug}/{run.slug}/contenu/s1-video/termine"
    response = client.post(url, data={"source": "video"}, headers=FETCH)
    assert response.status_code == 409
    assert response.json == {"error": "conflict", "recorded": False, "completed": False,
                             "message": "Le cours est en lecture seule : la progression n’est plus enregistrée."}
    page = client.post(url, follow_redirects=True).text
    assert "la progression n’est plus enregistrée" in page and "Élément terminé." not in page
    assert _completions() == 0


def test_completing_before_the_run_opens_is_refused(client, learning):
    course, run, learner, _enrolment = learning
    run.access_starts_at = utcnow() + timedelta(days=1)
    db.session.commit()
    login(client, learner)
    response = client.post(f"/mooc/{course.slug}/{run.slug}/contenu/s1-video/termine", headers=FETCH)
    assert response.status_code == 409 and response.json["completed"] is False and response.json["recorded"] is False
    assert _completions() == 0


@pytest.mark.parametrize("who", ["stranger", "staff"])
def test_completing_without_an_enrolment_is_a_json_403(client, learning, who):
    course, run, _learner, _enrolment = learning
    login(client, make_user(roles=[Role.TRAINER] if who == "staff" else []))
    response = client.post(f"/mooc/{course.slug}/{run.slug}/contenu/s1-video/termine", headers=FETCH)
    assert response.status_code == 403
    assert response.json == {"error": "forbidden", "recorded": False, "completed": False,
                             "message": "Vous n’êtes pas inscrit·e à cette session : rien n’est enregistré."}
    assert _completions() == 0


def test_completing_after_unenrolling_in_another_tab_is_a_json_409(client, learning):
    """Her enrolment, no longer active: a state, not a right (tests/courses/test_second_tab.py has the page)."""
    course, run, learner, enrolment = learning
    enrolment.state = "unenrolled"
    db.session.commit()
    login(client, learner)
    response = client.post(f"/mooc/{course.slug}/{run.slug}/contenu/s1-video/termine", headers=FETCH)
    assert response.status_code == 409
    assert response.json == {"error": "unenrolled", "recorded": False, "completed": False,
                             "message": "Vous n’êtes plus inscrit·e à cette session : rien n’est enregistré. "
                                        "Réinscrivez-vous pour reprendre là où vous en étiez."}
    assert _completions() == 0


def test_an_item_already_done_is_completed_but_not_recorded_again(client, learning):
    course, run, learner, _enrolment = learning
    login(client, learner)
    url = f"/mooc/{course.slug}/{run.slug}/contenu/s1-video/termine"
    assert client.post(url, headers=FETCH).json == {"recorded": True, "completed": True}
    again = client.post(url, headers=FETCH)
    assert again.status_code == 200 and again.json == {"recorded": False, "completed": True}
    assert _completions() == 1


def test_an_item_of_another_course_is_not_found(client, learning):
    course, run, learner, _enrolment = learning
    other_course, _other_run = make_mooc(sequences=(1,), kinds=("quiz",))
    login(client, learner)
    response = client.post(f"/mooc/{course.slug}/{run.slug}/contenu/s1-quiz/termine", headers=FETCH)
    assert response.status_code == 404
    assert _completions() == 0
