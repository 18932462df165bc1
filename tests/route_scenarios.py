"""One scenario per POST route (and per value of its variable part): the state a valid request needs, who may
send it, and what it sends.

`tests/test_every_post_route.py` checks that every POST rule of the app has its scenarios (a new route fails
until it gets one) and fires each one twice at the same instant; `tests/test_form_fuzz.py` sends random
values to the same routes as every role. A builder runs inside the test's app context, creates its own
rows with the factories (so two builds in one database never share anything) and returns a `Prepared`.
"""

import traceback
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Callable

import pytest
import sqlalchemy as sa
from flask import got_request_exception
from werkzeug.routing.converters import AnyConverter

from beta_training.accounts import tokens
from beta_training.accounts.models import Role, User
from beta_training.calls.models import Call, CallJuror, Dossier, DossierEvaluation, JuryScore
from beta_training.cohorts.models import PLAIN_STATUS_TARGETS, Cohort, CohortApplication, CohortStatus, SpeakerRole
from beta_training.core.models import utcnow
from beta_training.courses.models import CourseItem, CourseModule, Enrolment, EnrolmentSheetPart, Sequence
from beta_training.extensions import db
from beta_training.forum import emails as forum_emails
from beta_training.forum.models import ForumReport, ForumThread, PostState
from beta_training.products.models import (
    Committee,
    CommitteeScore,
    Product,
    ProductIndicator,
    ProductMilestone,
    ProductSponsor,
)
from beta_training.sheets.models import PART_BY_SEQUENCE, ProductSheet
from tests import factories as f

FORM = "form"  # an HTML form submitted by the browser (application/x-www-form-urlencoded)
FETCH = "fetch"  # the page's script: fetch() with a FormData body (multipart) and X-Requested-With: fetch


@dataclass
class Prepared:
    user: User | None  # who sends it (None: anonymous); a role allowed to make the request
    url: str
    data: dict = field(default_factory=dict)  # a list value sends the key once per item
    send: str = FORM
    # What this request changes in its own rows (beyond the row counts every test compares), e.g. the
    # sheet's version number: compared between one request and two simultaneous ones.
    watch: Callable[[], dict] = dict


@dataclass(frozen=True)
class Scenario:
    rule: str  # the url_map rule, as `str(rule)`
    variant: str | None
    build: Callable[[], Prepared]

    @property
    def id(self) -> str:
        return self.rule + (f" [{self.variant}]" if self.variant else "")


SCENARIOS: list[Scenario] = []


def scenario(rule: str, variant: str | None = None):
    def register(build):
        SCENARIOS.append(Scenario(rule, variant, build))
        return build

    return register


# Variable parts of a rule that are not ids: each value is its own route for the user (another button, another
# outcome), so each gets its own scenario. `any(...)` converters are read from the rule itself.
def variant_values(rule) -> set[str] | None:
    named = {
        "target": {s.value for s in PLAIN_STATUS_TARGETS},  # cancelling has its own route (/annuler)
        "role": {r.value for r in Role},
        "direction": {"haut", "bas"},
    }
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            return set(converter.items)
        if name in named:
            return named[name]
    return None


@pytest.fixture
def server_errors(app):
    """Tracebacks of the requests that failed (their response is the 500 page), for the failure message."""
    errors = []

    def record(sender, exception, **extra):
        errors.append("".join(traceback.format_exception(exception))[-2500:])  # the end: where it failed

    got_request_exception.connect(record, app)
    yield errors
    got_request_exception.disconnect(record, app)


# --- Shared helpers --------------------------------------------------------------------------------------


def learner(**values) -> User:
    return f.make_user(**values)


def trainer() -> User:
    return f.make_user(roles=[Role.TRAINER])


def course_lead() -> User:
    return f.make_user(roles=[Role.COURSE_LEAD])


def admin() -> User:
    return f.make_user(roles=[Role.ADMIN])


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def row(model, row_id, *columns) -> dict:
    obj = db.session.get(model, row_id)
    db.session.refresh(obj)
    return {name: getattr(obj, name) for name in columns}


def key() -> str:
    """The one-time key a creating form carries (a new one each time the page is shown)."""
    return f"cle{f._n()}"


def new_password() -> str:
    return "une toute nouvelle phrase de passe"


# --- Accounts ----------------------------------------------------------------------------------------------


@scenario("/admin/utilisateurs/<int:user_id>/roles")
def grant_role():
    target = learner()
    return Prepared(admin(), f"/admin/utilisateurs/{target.id}/roles", {"role": "trainer"})


def _revoke(role):
    target = f.make_user(roles=[role])
    return Prepared(admin(), f"/admin/utilisateurs/{target.id}/roles/{role}/retirer")


for _role in Role:
    scenario("/admin/utilisateurs/<int:user_id>/roles/<role>/retirer", _role.value)(lambda role=_role: _revoke(role))


@scenario("/admin/taches/<int:job_id>/relancer")
def retry_failed_job():
    """A job of the queue that gave up (the queue exists on PostgreSQL only: SQLite runs jobs in-process)."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("no job queue on SQLite: jobs run in the web process, there is no failed job to relaunch")
    job_id = db.session.scalar(sa.text(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, attempts)"
        " VALUES ('default', 'mail.deliver', '{\"message_ids\": []}', 'failed', 8) RETURNING id"
    ))

    def status():
        return {"job status": db.session.scalar(sa.text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id})}

    return Prepared(admin(), f"/admin/taches/{job_id}/relancer", watch=status)


@scenario("/compte/confirmation/renvoyer")
def resend_confirmation():
    user = learner(confirmed=False)
    return Prepared(None, "/compte/confirmation/renvoyer", {"email": user.email})


@scenario("/compte/confirmer/<token>")
def confirm_email():
    user = learner(confirmed=False)
    return Prepared(None, f"/compte/confirmer/{tokens.email_confirmation_token(user)}",
                    watch=lambda: {"confirmed": row(User, user.id, "email_confirmed_at")["email_confirmed_at"] is not None})


@scenario("/compte/connexion")
def login():
    user = learner()
    return Prepared(None, "/compte/connexion", {"email": user.email, "password": f.PASSWORD})


@scenario("/compte/deconnexion")
def logout():
    return Prepared(learner(), "/compte/deconnexion")


@scenario("/compte/inscription")
def register():
    email = f"nouvelle{f._n()}@example.gouv.fr"
    return Prepared(None, "/compte/inscription", {"first_name": "Camille", "last_name": "Durand", "email": email,
                                                   "password": new_password(), "confirm": new_password()})


@scenario("/compte/mot-de-passe")
def change_password():
    return Prepared(learner(), "/compte/mot-de-passe", {"current_password": f.PASSWORD, "password": new_password(),
                                                        "confirm": new_password()})


@scenario("/compte/mot-de-passe-oublie")
def forgot_password():
    return Prepared(None, "/compte/mot-de-passe-oublie", {"email": learner().email})


@scenario("/compte/profil")
def edit_profile():
    return Prepared(learner(), "/compte/profil", {"first_name": "Camille", "last_name": "Durand", "administration": "DINUM",
                                                   "administration_type": "etat", "job_title": "Cheffe de projet",
                                                   "departement": "75"})


@scenario("/compte/reinitialiser/<token>")
def reset_password():
    user = learner()
    return Prepared(None, f"/compte/reinitialiser/{tokens.password_reset_token(user)}",
                    {"password": new_password(), "confirm": new_password()})


def _pending_proconnect(user: User) -> dict:
    """The identity ProConnect vouched for, with the address of `user`'s existing account."""
    return {"sub": f"proconnect-{f._n()}", "email": user.email, "given_name": "Agnès", "usual_name": "Durand",
            "siret": "13002526500013", "uid": None, "idp_id": None}


def _watch_sub(user):
    # Linked or not (each world has its own identity).
    return lambda: {"linked": row(User, user.id, "proconnect_sub")["proconnect_sub"] is not None}


@scenario("/compte/proconnect/associer/<token>")
def link_proconnect():
    user = learner()
    token = tokens.proconnect_pending_token(user, _pending_proconnect(user))
    return Prepared(None, f"/compte/proconnect/associer/{token}", {"password": f.PASSWORD}, watch=_watch_sub(user))


@scenario("/compte/proconnect/associer/<token>/courriel")
def send_proconnect_link():
    user = learner()
    token = tokens.proconnect_pending_token(user, _pending_proconnect(user))
    return Prepared(None, f"/compte/proconnect/associer/{token}/courriel")


@scenario("/compte/proconnect/associer/confirmer/<token>")
def confirm_proconnect_link():
    user = learner()
    token = tokens.proconnect_link_token(user, _pending_proconnect(user))
    return Prepared(None, f"/compte/proconnect/associer/confirmer/{token}", watch=_watch_sub(user))


@scenario("/compte/profil/completer")
def complete_profile():
    user = learner(proconnect_sub=f"proconnect-{f._n()}")
    return Prepared(user, "/compte/profil/completer", {"first_name": "Agnès", "last_name": "Durand",
                                                       "administration": "DINUM", "administration_type": "etat"},
                    watch=lambda: row(User, user.id, "administration", "administration_type"))


# --- Personal data ---------------------------------------------------------------------------------------------

ERASURE_PASSWORD = "la phrase de passe de celle qui part"


@scenario("/compte/mes-donnees/supprimer")
def erase_my_account():
    """Her own password (not the one every factory user shares): anyone else who sends it is refused."""
    return Prepared(learner(password=ERASURE_PASSWORD), "/compte/mes-donnees/supprimer",
                    {"password": ERASURE_PASSWORD, "confirm": "y"})


@scenario("/admin/utilisateurs/<int:user_id>/donnees/export")
def admin_export_data():
    return Prepared(admin(), f"/admin/utilisateurs/{learner().id}/donnees/export",
                    {"export-reason": "Demande reçue par courriel", "export-submission_key": key()})


@scenario("/admin/utilisateurs/<int:user_id>/donnees/supprimer")
def admin_erase_account():
    return Prepared(admin(), f"/admin/utilisateurs/{learner().id}/donnees/supprimer",
                    {"erase-reason": "Demande reçue par courrier", "erase-confirm": "y", "erase-submission_key": key()})


@scenario("/langue")
def set_language():
    return Prepared(None, "/langue", {"lang": "en", "next": "/alpha/"})


# --- Alpha sessions ------------------------------------------------------------------------------------------


def _answers() -> dict:
    return {k: ("y" if v is True else v) for k, v in f.COMPLETE_ANSWERS.items() if v is not False}


def _application_watch(application_id):
    return lambda: row(CohortApplication, application_id, "state")


@scenario("/alpha/<slug>/candidater")
def apply():
    cohort, candidate = f.make_cohort(), learner()
    return Prepared(candidate, f"/alpha/{cohort.slug}/candidater",
                    {**_answers(), "first_name": candidate.first_name, "last_name": candidate.last_name, "action": "submit"})


@scenario("/alpha/<slug>/candidater/brouillon")
def autosave_application():
    cohort, candidate = f.make_cohort(), learner()
    return Prepared(candidate, f"/alpha/{cohort.slug}/candidater/brouillon",
                    {"problem": "Un problème", "motivation": "Une motivation"}, send=FETCH)


@scenario("/alpha/anciens/mon-profil")
def edit_alumni_profile():
    alumnus = learner()
    f.make_application(f.make_cohort(starts_on=date.today() - timedelta(days=60)), alumnus, state="confirmed", attended=True)
    return Prepared(alumnus, "/alpha/anciens/mon-profil", {"listed": "y", "project": "Mon projet", "contact": "moi@example.gouv.fr"})


def _candidate_action(path, state):
    application = f.make_application(state=state)
    return Prepared(db.session.get(User, application.user_id), f"/alpha/candidatures/{application.id}/{path}",
                    watch=_application_watch(application.id))


scenario("/alpha/candidatures/<int:application_id>/confirmer")(lambda: _candidate_action("confirmer", "accepted"))
scenario("/alpha/candidatures/<int:application_id>/decliner")(lambda: _candidate_action("decliner", "accepted"))
scenario("/alpha/candidatures/<int:application_id>/retirer")(lambda: _candidate_action("retirer", "submitted"))


@scenario("/alpha/gestion/<int:cohort_id>/candidatures/decisions")
def bulk_decide():
    cohort = f.make_cohort()
    applications = [f.make_application(cohort) for _ in range(2)]
    return Prepared(trainer(), f"/alpha/gestion/{cohort.id}/candidatures/decisions",
                    {"decision": "accept", "application_ids": [str(a.id) for a in applications]})


@scenario("/alpha/gestion/<int:cohort_id>/courriel")
def bulk_email():
    cohort = f.make_cohort()
    for _ in range(2):
        f.make_application(cohort, state="confirmed")
    return Prepared(trainer(), f"/alpha/gestion/{cohort.id}/courriel",
                    {"audience": "confirmed", "subject": "Informations pratiques", "body": "Rendez-vous à 9 h.",
                     "submission_key": key()})


@scenario("/alpha/gestion/<int:cohort_id>/intervenants")
def add_speaker():
    cohort = f.make_cohort()
    return Prepared(trainer(), f"/alpha/gestion/{cohort.id}/intervenants",
                    {"name": f"Intervenante {f._n()}", "role": SpeakerRole.COACH.value, "organisation": "DINUM"})


def _cohort_form(cohort) -> dict:
    starts = date.today() + timedelta(days=40)
    return {
        "title": "Formation Alpha — Lyon", "slug": f"alpha-lyon-{f._n()}" if cohort is None else cohort.slug,
        "edition": "12", "starts_on": starts.isoformat(), "ends_on": (starts + timedelta(days=2)).isoformat(),
        "day_starts_at": "09:30", "day_ends_at": "17:30", "format": "presentiel", "place_name": "Lyon", "address": "1 rue de la République",
        "access_link": "", "seats": "20", "practical_info": "Repas offerts.",
        "applications_open_at": (date.today() - timedelta(days=1)).isoformat() + "T09:00",
        "applications_close_at": (date.today() + timedelta(days=20)).isoformat() + "T18:00",
        "confirmation_delay_days": "7",
    }


@scenario("/alpha/gestion/<int:cohort_id>/modifier")
def edit_cohort():
    cohort = f.make_cohort()
    return Prepared(trainer(), f"/alpha/gestion/{cohort.id}/modifier", _cohort_form(cohort))


@scenario("/alpha/gestion/<int:cohort_id>/presence")
def attendance():
    cohort = f.make_cohort(starts_on=date.today() - timedelta(days=1))
    present = [f.make_application(cohort, state="confirmed") for _ in range(2)]
    return Prepared(trainer(), f"/alpha/gestion/{cohort.id}/presence", {"attended_ids": [str(a.id) for a in present]},
                    watch=lambda: {"attended": sorted(row(CohortApplication, a.id, "attended")["attended"] for a in present)})


def _programme_item_form(cohort) -> dict:
    return {"day": cohort.starts_on.isoformat(), "starts_at": "09:30", "ends_at": "12:00", "title": "Atelier",
            "description": "Le problème avant la solution."}


@scenario("/alpha/gestion/<int:cohort_id>/programme")
def edit_programme():
    cohort = f.make_cohort()
    speaker = f.make_speaker(cohort)  # speakers belong to one session
    return Prepared(trainer(), f"/alpha/gestion/{cohort.id}/programme",
                    {**_programme_item_form(cohort), "speakers": [str(speaker.id)], "submission_key": key()})


@scenario("/alpha/gestion/<int:cohort_id>/programme/<int:item_id>")
def edit_programme_item():
    item = f.make_programme_item()
    cohort = item.cohort
    return Prepared(trainer(), f"/alpha/gestion/{cohort.id}/programme/{item.id}", _programme_item_form(cohort))


@scenario("/alpha/gestion/<int:cohort_id>/programme/<int:item_id>/supprimer")
def delete_programme_item():
    item = f.make_programme_item()
    return Prepared(trainer(), f"/alpha/gestion/{item.cohort_id}/programme/{item.id}/supprimer")


# The status each target is reached from (COHORT_TRANSITIONS).
STATUS_FROM = {CohortStatus.PUBLISHED: CohortStatus.DRAFT, CohortStatus.DRAFT: CohortStatus.PUBLISHED,
               CohortStatus.CLOSED: CohortStatus.PUBLISHED, CohortStatus.ARCHIVED: CohortStatus.CLOSED}


def _change_status(target):
    cohort = f.make_cohort(status=STATUS_FROM[target])
    return Prepared(trainer(), f"/alpha/gestion/{cohort.id}/statut/{target}", {"reason": "Calendrier revu"})


for _target in sorted(PLAIN_STATUS_TARGETS):
    scenario("/alpha/gestion/<int:cohort_id>/statut/<target>", _target.value)(lambda target=_target: _change_status(target))


@scenario("/alpha/gestion/<int:cohort_id>/annuler")
def cancel_cohort():
    cohort = f.make_cohort()
    f.make_application(cohort, state="confirmed", calendar_sent_at=utcnow())  # her calendar holds the session
    f.make_application(cohort, state="submitted")
    return Prepared(trainer(), f"/alpha/gestion/{cohort.id}/annuler", {"reason": "Salle indisponible.", "confirm": "y"},
                    watch=lambda: row(Cohort, cohort.id, "status", "calendar_sequence"))


@scenario("/alpha/gestion/candidatures/<int:application_id>/decision")
def decide_application():
    application = f.make_application()
    return Prepared(trainer(), f"/alpha/gestion/candidatures/{application.id}/decision", {"decision": "accept", "reason": ""},
                    watch=_application_watch(application.id))


@scenario("/alpha/gestion/candidatures/<int:application_id>/evaluation")
def save_review():
    application = f.make_application()
    return Prepared(trainer(), f"/alpha/gestion/candidatures/{application.id}/evaluation",
                    {"problem_score": "4", "motivation_score": "3", "solution_score": "5", "comment": "Solide."})


@scenario("/alpha/gestion/nouvelle")
def create_cohort():
    return Prepared(trainer(), "/alpha/gestion/nouvelle", {**_cohort_form(None), "submission_key": key()})


# --- Fiches produit ------------------------------------------------------------------------------------------


COMPLETE_SHEET = f.COMPLETE_SHEET


def _sheet_form(sheet) -> dict:
    data = {"base_version": str(sheet.current_version), "name": "Mon suivi de stage", "pitch": "En une phrase.",
            **f.ANSWERED_PARTS, "usertypes": ["etat"], "thematiques": "emploi"}
    for n in range(3):
        data.update({f"indicators-{n}-name": f"Indicateur {n}", f"indicators-{n}-baseline": "1", f"indicators-{n}-target": "2"})
    for n in range(6):
        data.update({f"milestones-{n}-title": f"Jalon {n}", f"milestones-{n}-due_on": "2027-01-0" + str(n + 1),
                     f"milestones-{n}-priority": "1"})
    return data


def _sheet_watch(sheet_id):
    def watch():
        state = row(ProductSheet, sheet_id, "state", "current_version", "claimed_by_id")
        return {**state, "claimed_by_id": state["claimed_by_id"] is not None}  # each world has its own reviewer

    return watch


@scenario("/fiches/<int:sheet_id>/brouillon")
def autosave_sheet():
    sheet = f.make_product_sheet()
    return Prepared(sheet.owner, f"/fiches/{sheet.id}/brouillon", _sheet_form(sheet), send=FETCH, watch=_sheet_watch(sheet.id))


@scenario("/fiches/<int:sheet_id>/modifier")
def edit_sheet():
    sheet = f.make_product_sheet()
    return Prepared(sheet.owner, f"/fiches/{sheet.id}/modifier", _sheet_form(sheet), watch=_sheet_watch(sheet.id))


def _enrolled_part(number=1):
    """A learner enrolled in a run, at the end of sequence `number`, her fiche not created yet."""
    course, run = f.make_mooc(sequences=(1,), kinds=("text",))
    enrolment = f.make_enrolment(run)
    part = PART_BY_SEQUENCE[number]
    data = {"base_version": "0", **{question.key: f.ANSWERED_PARTS[question.key] for question in part.questions}}
    return enrolment, f"/fiches/mooc/{course.slug}/{run.slug}/sequence/{number}", data


def _part_watch(enrolment):
    def watch():
        sheet = db.session.scalar(sa.select(ProductSheet).where(ProductSheet.enrolment_id == enrolment.id))
        answered = db.session.scalars(sa.select(EnrolmentSheetPart.sequence_number)
                                      .where(EnrolmentSheetPart.enrolment_id == enrolment.id)).all()
        return {"version": sheet.current_version if sheet else None, "answered": sorted(answered)}

    return watch


@scenario("/fiches/mooc/<slug>/<run_slug>/sequence/<int:number>")
def answer_part():
    enrolment, url, data = _enrolled_part()
    return Prepared(enrolment.user, url, data, watch=_part_watch(enrolment))


@scenario("/fiches/mooc/<slug>/<run_slug>/sequence/<int:number>/brouillon")
def autosave_part():
    enrolment, url, data = _enrolled_part()
    return Prepared(enrolment.user, url + "/brouillon", data, send=FETCH, watch=_part_watch(enrolment))


@scenario("/fiches/<int:sheet_id>/envoyer")
def submit_sheet():
    sheet = f.make_product_sheet(content=COMPLETE_SHEET)
    return Prepared(sheet.owner, f"/fiches/{sheet.id}/envoyer", watch=_sheet_watch(sheet.id))


def _approved_sheet():
    sheet = f.make_product_sheet(state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    from beta_training.sheets.services import create_milestones

    create_milestones(sheet)
    db.session.commit()
    return sheet


@scenario("/fiches/<int:sheet_id>/feuille-de-route", "mesure")
def record_measure():
    sheet = _approved_sheet()
    return Prepared(sheet.owner, f"/fiches/{sheet.id}/feuille-de-route",
                    {"action": "measure", "indicator": "Indicateur 1", "value": "12 jours", "measured_on": date.today().isoformat(),
                     "submission_key": key()})


@scenario("/fiches/<int:sheet_id>/feuille-de-route", "jalons")
def update_roadmap():
    sheet = _approved_sheet()
    from beta_training.sheets import queries

    milestone = queries.milestones_of(sheet)[0]
    return Prepared(sheet.owner, f"/fiches/{sheet.id}/feuille-de-route",
                    {f"status-{milestone.id}": "done", "launched_on": date.today().isoformat()})


@scenario("/fiches/<int:sheet_id>/prendre")
def claim_sheet():
    sheet = f.make_product_sheet(state="submitted", content=COMPLETE_SHEET)
    return Prepared(trainer(), f"/fiches/{sheet.id}/prendre", watch=_sheet_watch(sheet.id))


def _claimed_sheet():
    reviewer = trainer()
    sheet = f.make_product_sheet(state="in_review", content=COMPLETE_SHEET, claimed_by_id=reviewer.id, claimed_at=utcnow())
    return reviewer, sheet


@scenario("/fiches/<int:sheet_id>/relecture")
def review_sheet():
    reviewer, sheet = _claimed_sheet()
    return Prepared(reviewer, f"/fiches/{sheet.id}/relecture",
                    {"verdict": "approved", "overall_comment": "Très clair.", "comment_s1": "Chiffré.", "comment_roadmap": "Daté.",
                     "score_positioning": "4"},
                    watch=_sheet_watch(sheet.id))


@scenario("/fiches/<int:sheet_id>/relecture", "second avis")
def ask_second_opinion():
    reviewer, sheet = _claimed_sheet()
    return Prepared(reviewer, f"/fiches/{sheet.id}/relecture",
                    {"verdict": "second_review", "second_opinion_reason": "Je connais mal ce domaine.", "score_indicators": "2"},
                    watch=_sheet_watch(sheet.id))


def _second_opinion_sheet():
    """A sheet whose first reviewer asked for a second opinion in its round."""
    first = trainer()
    sheet = f.make_product_sheet(state="second_review", content=COMPLETE_SHEET)
    f.make_sheet_review(sheet, first, verdict="second_review", scores={"positioning": 3})
    return sheet


@scenario("/fiches/<int:sheet_id>/prendre", "second avis")
def claim_for_second_opinion():
    sheet = _second_opinion_sheet()
    return Prepared(trainer(), f"/fiches/{sheet.id}/prendre", watch=_sheet_watch(sheet.id))


def _restorable_sheet():
    """A draft with two versions: the owner restores the first."""
    sheet = f.make_product_sheet(content=COMPLETE_SHEET)
    f.make_sheet_version(sheet, number=2, content={**sheet_content(sheet), "name": "Un autre nom"}, author=sheet.owner)
    sheet.current_version = 2
    db.session.commit()
    return sheet


def sheet_content(sheet) -> dict:
    from beta_training.sheets.queries import get_version

    return dict(get_version(sheet, sheet.current_version).content)


@scenario("/fiches/<int:sheet_id>/versions/<int:number>/restaurer")
def restore_version():
    sheet = _restorable_sheet()
    return Prepared(sheet.owner, f"/fiches/{sheet.id}/versions/1/restaurer", {"base_version": "2"},
                    watch=_sheet_watch(sheet.id))


@scenario("/fiches/<int:sheet_id>/feuille-de-route/commentaires")
def comment_follow_up():
    sheet = _approved_sheet()
    from beta_training.sheets import queries

    milestone = queries.milestones_of(sheet)[0]
    return Prepared(trainer(), f"/fiches/{sheet.id}/feuille-de-route/commentaires",
                    {"target": f"jalon-{milestone.id}", "body": "Pensez à dater la mise en ligne.", "submission_key": key()})


@scenario("/fiches/<int:sheet_id>/rendre")
def release_sheet():
    reviewer, sheet = _claimed_sheet()
    return Prepared(reviewer, f"/fiches/{sheet.id}/rendre", watch=_sheet_watch(sheet.id))


@scenario("/fiches/<int:sheet_id>/retirer")
def withdraw_sheet():
    sheet = f.make_product_sheet(state="submitted", content=COMPLETE_SHEET)
    return Prepared(sheet.owner, f"/fiches/{sheet.id}/retirer", watch=_sheet_watch(sheet.id))


@scenario("/fiches/nouvelle")
def create_sheet():
    _course, run = f.make_mooc(sequences=(1,), kinds=("text",))
    enrolment = f.make_enrolment(run)
    return Prepared(db.session.get(User, enrolment.user_id), "/fiches/nouvelle",
                    {"enrolment_id": str(enrolment.id), "application_id": "", "submission_key": key()})



# --- Appel à intrapreneurs --------------------------------------------------------------------------------------


def _call_form(**values) -> dict:
    return {"title": "Appel à intrapreneurs 2027", "incubator": "Incubateur des territoires",
            "opens_at": "2027-03-01T09:00", "closes_at": "2027-03-15T18:00", "guide": "Le **guide**.",
            "criteria": "Ampleur du problème\nMotivation\nIdée de solution", "preselect_count": "12", **values}


def _dossier_form(**values) -> dict:
    data = {key: value for key, value in f.COMPLETE_DOSSIER.items() if not isinstance(value, bool)}
    data.update({key: "y" for key, value in f.COMPLETE_DOSSIER.items() if value is True})
    return {**data, **values}


def _dossier_watch(dossier_id):
    def watch():
        values = row(Dossier, dossier_id, "state", "problem", "submitted_at")
        return {**values, "submitted_at": values["submitted_at"] is not None}  # each world files at its own instant

    return watch


@scenario("/appels/nouveau")
def create_call():
    return Prepared(trainer(), "/appels/nouveau", {**_call_form(), "submission_key": key()})


@scenario("/appels/<int:call_id>/modifier")
def edit_call():
    call = f.make_call()
    return Prepared(trainer(), f"/appels/{call.id}/modifier", _call_form(title="Appel renommé"),
                    watch=lambda: row(Call, call.id, "title", "closes_at"))


@scenario("/appels/<int:call_id>/deposer")
def start_dossier():
    call = f.make_call()
    sheet = f.make_product_sheet(content=COMPLETE_SHEET)
    return Prepared(sheet.owner, f"/appels/{call.id}/deposer", {"source": str(sheet.id), "submission_key": key()},
                    watch=lambda: {"dossiers": count(Dossier, Dossier.call_id == call.id)})


@scenario("/appels/dossiers/<int:dossier_id>/modifier")
def submit_dossier():
    dossier = f.make_dossier()
    return Prepared(dossier.owner, f"/appels/dossiers/{dossier.id}/modifier", _dossier_form(action="submit"),
                    watch=_dossier_watch(dossier.id))


@scenario("/appels/dossiers/<int:dossier_id>/brouillon")
def autosave_dossier():
    dossier = f.make_dossier()
    return Prepared(dossier.owner, f"/appels/dossiers/{dossier.id}/brouillon", _dossier_form(problem="Tapé en continu"),
                    send=FETCH, watch=_dossier_watch(dossier.id))


@scenario("/appels/dossiers/<int:dossier_id>/evaluation")
def evaluate_dossier():
    dossier = f.make_dossier(state="submitted")
    return Prepared(trainer(), f"/appels/dossiers/{dossier.id}/evaluation",
                    {"score_1": "4", "comment_1": "Chiffré", "score_2": "3", "score_3": "5"},
                    watch=lambda: {"evaluations": count(DossierEvaluation, DossierEvaluation.dossier_id == dossier.id)})


@scenario("/appels/dossiers/<int:dossier_id>/retirer")
def withdraw_dossier():
    dossier = f.make_dossier(state="submitted")
    return Prepared(dossier.owner, f"/appels/dossiers/{dossier.id}/retirer", {"reason": "Projet repris par mon service"},
                    watch=_dossier_watch(dossier.id))


@scenario("/appels/dossiers/<int:dossier_id>/preselection")
def preselect_dossier():
    dossier = f.make_dossier(state="submitted")
    return Prepared(trainer(), f"/appels/dossiers/{dossier.id}/preselection", {"decision": "preselect"},
                    watch=_dossier_watch(dossier.id))


def closed_call_with_dossiers():
    """A call closed yesterday: one dossier pre-selected, one filed and left out."""
    call = f.make_call(opens_at=utcnow() - timedelta(days=15), closes_at=utcnow() - timedelta(days=1))
    f.make_dossier(call, state="preselected")
    f.make_dossier(call, state="submitted")
    return call


@scenario("/appels/<int:call_id>/informer")
def inform_candidates():
    call = closed_call_with_dossiers()
    return Prepared(trainer(), f"/appels/{call.id}/informer",
                    {"coaching_at": "2027-04-02T14:00", "coaching_place": "Ségur, salle 3", "preselected_subject": "Bravo",
                     "preselected_body": "Vous êtes pré-sélectionné·e.", "others_subject": "Merci",
                     "others_body": "Votre dossier n’est pas retenu.", "confirm": "y"},
                    watch=lambda: {"informed": row(Call, call.id, "informed_at")["informed_at"] is not None})



def jury_call():
    """A closed call with its pre-selected dossier, its session set (8 April 2027, 14h), and a juror."""
    call = closed_call_with_dossiers()
    call.jury_on, call.jury_starts_at, call.jury_place = date(2027, 4, 8), time(14), "Ségur"
    juror = learner()
    db.session.add(CallJuror(call_id=call.id, email=juror.email, user_id=juror.id))
    db.session.flush()
    return call, juror


def _preselected_of(call):
    return db.session.scalar(sa.select(Dossier).where(Dossier.call_id == call.id, Dossier.state == "preselected"))


@scenario("/appels/<int:call_id>/jury/jures")
def invite_juror():
    call = closed_call_with_dossiers()
    return Prepared(trainer(), f"/appels/{call.id}/jury/jures", {"email": f"jure{f._n()}@example.gouv.fr"},
                    watch=lambda: {"jurors": count(CallJuror, CallJuror.call_id == call.id)})


@scenario("/appels/<int:call_id>/jury/jures/<int:juror_id>/retirer")
def remove_juror():
    call = closed_call_with_dossiers()
    juror = f._save(CallJuror(call_id=call.id, email=f"jure{f._n()}@example.gouv.fr"))
    return Prepared(trainer(), f"/appels/{call.id}/jury/jures/{juror.id}/retirer", {},
                    watch=lambda: {"jurors": count(CallJuror, CallJuror.call_id == call.id)})


@scenario("/appels/<int:call_id>/jury/seance")
def set_jury_session():
    call = closed_call_with_dossiers()
    return Prepared(trainer(), f"/appels/{call.id}/jury/seance",
                    {"jury_on": "2027-04-08", "jury_starts_at": "14:00", "jury_place": "Ségur, salle 3",
                     "pitch_minutes": "3", "questions_minutes": "5", "break_minutes": "2"},
                    watch=lambda: row(Call, call.id, "jury_on", "jury_starts_at", "jury_place"))


@scenario("/appels/dossiers/<int:dossier_id>/jury/ordre")
def move_pitch():
    call, _juror = jury_call()
    second = f.make_dossier(call, state="preselected")
    return Prepared(trainer(), f"/appels/dossiers/{second.id}/jury/ordre", {"direction": "up", "position": "1"},
                    watch=lambda: {"order": [d.id == second.id for d in db.session.scalars(  # moved up once, not twice
                        sa.select(Dossier).where(Dossier.call_id == call.id, Dossier.state == "preselected")
                        .order_by(sa.func.coalesce(Dossier.jury_position, 1_000_000), Dossier.id))]})


@scenario("/appels/<int:call_id>/jury/envoyer")
def send_timetable():
    call, _juror = jury_call()
    return Prepared(trainer(), f"/appels/{call.id}/jury/envoyer", {},
                    watch=lambda: row(Dossier, _preselected_of(call).id, "slot_sent", "slot_sequence"))


@scenario("/appels/dossiers/<int:dossier_id>/jury/note")
def score_pitch():
    call, juror = jury_call()
    dossier = _preselected_of(call)
    return Prepared(juror, f"/appels/dossiers/{dossier.id}/jury/note",
                    {f"d{dossier.id}-score_1": "4", f"d{dossier.id}-comment_1": "Clair", f"d{dossier.id}-score_2": "3",
                     f"d{dossier.id}-score_3": "5"},
                    watch=lambda: {"scores": count(JuryScore, JuryScore.dossier_id == dossier.id)})


@scenario("/appels/dossiers/<int:dossier_id>/decision")
def decide():
    call = closed_call_with_dossiers()
    dossier = _preselected_of(call)
    return Prepared(trainer(), f"/appels/dossiers/{dossier.id}/decision",
                    {"decision": "laureate", "reason": "Le meilleur pitch", "subject": "Lauréat", "body": "Bravo."},
                    watch=_dossier_watch(dossier.id))

# --- Products and comités d'investissement ------------------------------------------------------------------------


def _team_product(**values):
    """A product whose team has one learner (who prepares the comité's file)."""
    member = learner()
    return member, f.make_product(team=[member], **values)


def _committee_watch(committee_id):
    def watch():
        return row(Committee, committee_id, "state", "file_version", "decision")

    return watch


@scenario("/produits/nouveau")
def create_product():
    sheet = f.make_product_sheet(state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    return Prepared(trainer(), "/produits/nouveau", {
        "sheet_id": str(sheet.id), "started_on": date.today().isoformat(), "incubator_name": "Incubateur de la DINUM",
        "incubator_id": "dinum", "sponsors": "Direction interministérielle du numérique ; dinum",
        "members": "Camille Dev ; développeuse", "submission_key": key()})


@scenario("/produits/nouveau/laureat/<int:dossier_id>")
def create_product_from_laureate():
    sheet = f.make_product_sheet(state="submitted", content=COMPLETE_SHEET)
    dossier = f.make_dossier(f.make_call(), sheet.owner, state="laureate", sheet_id=sheet.id)
    return Prepared(trainer(), f"/produits/nouveau/laureat/{dossier.id}", {
        "started_on": date.today().isoformat(), "incubator_name": "Incubateur de la DINUM", "incubator_id": "dinum",
        "sponsors": "Direction interministérielle du numérique ; dinum", "submission_key": key()})


@scenario("/produits/<int:product_id>/modifier")
def edit_product():
    member, product = _team_product()
    return Prepared(member, f"/produits/{product.id}/modifier", {
        "name": "Cantine à 1 €", "pitch": "Le tarif social sans dossier.", "incubator_name": "Incubateur de la DINUM",
        "incubator_id": "dinum", "sponsors": "Direction interministérielle du numérique ; dinum\nANCT ; anct",
        "members": "Camille Dev ; développeuse", "contact": "", "loaded_version": product.edit_version},
        watch=lambda: {**row(Product, product.id, "name", "pitch"),
                       "sponsors": count(ProductSponsor, ProductSponsor.product_id == product.id)})


@scenario("/produits/<int:product_id>/indicateurs/nouveau")
def add_indicator():
    member, product = _team_product()
    return Prepared(member, f"/produits/{product.id}/indicateurs/nouveau",
                    {"name": "Familles inscrites", "baseline": "0", "target": "600"},
                    watch=lambda: {"indicators": count(ProductIndicator, ProductIndicator.product_id == product.id)})


@scenario("/produits/<int:product_id>/jalons/nouveau")
def add_milestone():
    member, product = _team_product()
    return Prepared(member, f"/produits/{product.id}/jalons/nouveau",
                    {"title": "Premier usager réel", "due_on": (date.today() + timedelta(days=60)).isoformat()},
                    watch=lambda: {"milestones": count(ProductMilestone, ProductMilestone.product_id == product.id)})


@scenario("/produits/<int:product_id>/phase")
def change_product_phase():
    _member, product = _team_product()
    return Prepared(trainer(), f"/produits/{product.id}/phase",
                    {"phase": "construction", "on": date.today().isoformat(), "reason": "Problème confirmé sur le terrain"},
                    watch=lambda: row(Product, product.id, "phase"))


@scenario("/produits/<int:product_id>/comites")
def schedule_committee():
    _member, product = _team_product()
    return Prepared(trainer(), f"/produits/{product.id}/comites",
                    {"held_on": (date.today() + timedelta(days=90)).isoformat(), "submission_key": key()})


@scenario("/produits/<int:product_id>/indicateurs")
def record_indicator_value():
    member, product = _team_product()
    indicator = db.session.scalar(sa.select(ProductIndicator).where(ProductIndicator.product_id == product.id))
    return Prepared(member, f"/produits/{product.id}/indicateurs",
                    {"indicator_id": str(indicator.id), "value": "340 usagers", "measured_on": date.today().isoformat(),
                     "submission_key": key()})


def _file_form(version=0) -> dict:
    data = {"base_version": str(version), "objectives_reached": "Deux objectifs sur trois atteints.",
            "learnings": "Les agents veulent un export.", "team_needs": "Un développeur de plus.",
            "budget_development": "120000", "budget_ux_ui": "40000"}
    for n, title in enumerate(("Ouvrir à trois départements", "Mesurer le temps gagné", "")):
        data.update({f"priorities-{n}-title": title, f"priorities-{n}-expected": "500 usagers" if title else ""})
    return data


@scenario("/produits/comites/<int:committee_id>/dossier")
def prepare_file():
    member, product = _team_product()
    committee = f.make_committee(product)
    return Prepared(member, f"/produits/comites/{committee.id}/dossier", _file_form(), watch=_committee_watch(committee.id))


@scenario("/produits/comites/<int:committee_id>/brouillon")
def autosave_file():
    member, product = _team_product()
    committee = f.make_committee(product)
    return Prepared(member, f"/produits/comites/{committee.id}/brouillon", _file_form(), send=FETCH,
                    watch=_committee_watch(committee.id))


@scenario("/produits/comites/<int:committee_id>/envoyer")
def submit_file():
    member, product = _team_product()
    committee = f.make_committee(product, priorities=[{"title": "Ouvrir à trois départements", "expected": ""}])
    # « Envoyer » is a button of the file form: the page's text is saved, then sent.
    return Prepared(member, f"/produits/comites/{committee.id}/envoyer", _file_form(), watch=_committee_watch(committee.id))


@scenario("/produits/comites/<int:committee_id>/renvoyer")
def send_back_file():
    _member, product = _team_product()
    committee = f.make_committee(product, state="submitted")
    return Prepared(trainer(), f"/produits/comites/{committee.id}/renvoyer",
                    {"reason": "Ajoutez le budget de l’hébergement."}, watch=_committee_watch(committee.id))


@scenario("/produits/comites/<int:committee_id>/notation")
def score_committee():
    _member, product = _team_product()
    committee = f.make_committee(product, state="submitted")
    scorer = trainer()

    def watch():
        score = db.session.scalar(sa.select(CommitteeScore).where(CommitteeScore.committee_id == committee.id))
        return {"scores": score.scores if score else None}

    return Prepared(scorer, f"/produits/comites/{committee.id}/notation",
                    {"score_bilan": "4", "score_objectifs": "3", "score_besoins": "5", "comment": "Bon bilan."}, watch=watch)


@scenario("/produits/comites/<int:committee_id>/decision")
def decide_committee():
    _member, product = _team_product()
    committee = f.make_committee(product, state="submitted")
    return Prepared(trainer(), f"/produits/comites/{committee.id}/decision",
                    {"decision": "continue", "next_phase": "construction", "reasons": "Le problème est confirmé."},
                    watch=lambda: {**_committee_watch(committee.id)(), **row(Product, product.id, "phase")})


# --- Forum ------------------------------------------------------------------------------------------------------


@dataclass
class ForumWorld:
    forum: object
    author: User  # a member who opened the thread (a question)
    member: User
    staff: User
    thread: ForumThread
    reply: object  # the member's reply

    def url(self, path="") -> str:
        return f"/forum/{self.forum.id}/sujets/{self.thread.id}{path}"


def forum_world() -> ForumWorld:
    forum = f.make_forum()
    author, member = f.make_forum_member(forum), f.make_forum_member(forum)
    thread = f.make_forum_thread(forum, author, kind="question")
    reply = f.make_forum_post(thread, member, body="Une réponse utile")
    return ForumWorld(forum, author, member, course_lead(), thread, reply)


@scenario("/forum/<int:forum_id>/nouveau-sujet")
def new_thread():
    w = forum_world()
    return Prepared(w.member, f"/forum/{w.forum.id}/nouveau-sujet",
                    {"category_id": str(w.forum.categories[1].id), "kind": "discussion", "title": "Un retour",
                     "body": "Merci pour la séquence 1.", "submission_key": key()})


@scenario("/forum/<int:forum_id>/nouveau-sujet/brouillon")
def autosave_thread_draft():
    w = forum_world()
    return Prepared(w.member, f"/forum/{w.forum.id}/nouveau-sujet/brouillon",
                    {"category_id": str(w.forum.categories[1].id), "kind": "discussion", "title": "Idée", "body": "Premier jet"},
                    send=FETCH)


@scenario("/forum/<int:forum_id>/suivre")
def follow_forum():
    w = forum_world()
    return Prepared(w.member, f"/forum/{w.forum.id}/suivre", {"suivre": "1"})


def _thread_state(action):
    w = forum_world()
    if action == "rouvrir":
        w.thread.state = "closed"
        db.session.commit()
    thread_id = w.thread.id
    return Prepared(w.staff, w.url(f"/{action}"), {} if action == "rouvrir" else {"reason": "Hors sujet"},
                    watch=lambda: row(ForumThread, thread_id, "state"))


for _action in ("verrouiller", "fermer", "rouvrir"):
    scenario("/forum/<int:forum_id>/sujets/<int:thread_id>/<any(verrouiller, fermer, rouvrir):action>", _action)(
        lambda action=_action: _thread_state(action))


@scenario("/forum/<int:forum_id>/sujets/<int:thread_id>/accepter/<int:post_id>")
def accept_answer():
    w = forum_world()
    return Prepared(w.author, w.url(f"/accepter/{w.reply.id}"))


@scenario("/forum/<int:forum_id>/sujets/<int:thread_id>/brouillon")
def autosave_reply_draft():
    w = forum_world()
    return Prepared(w.member, w.url("/brouillon"), {"body": "Je réponds bient"}, send=FETCH)


@scenario("/forum/<int:forum_id>/sujets/<int:thread_id>/epingler")
def pin_thread():
    w = forum_world()
    return Prepared(w.staff, w.url("/epingler"), {"epingler": "1"})


@scenario("/forum/<int:forum_id>/sujets/<int:thread_id>/repondre")
def post_reply():
    w = forum_world()
    return Prepared(w.member, w.url("/repondre"), {"body": "Merci, c’est plus clair.", "submission_key": key()})


@scenario("/forum/<int:forum_id>/sujets/<int:thread_id>/retirer-acceptation")
def withdraw_acceptance():
    w = forum_world()
    w.thread.accepted_post_id = w.reply.id
    db.session.commit()
    return Prepared(w.author, w.url("/retirer-acceptation"))


@scenario("/forum/<int:forum_id>/sujets/<int:thread_id>/suivre")
def follow_thread():
    w = forum_world()
    return Prepared(w.member, w.url("/suivre"), {"suivre": "1"})


@scenario("/forum/desabonnement/<token>", "un-clic")
def unsubscribe_one_click():
    w = forum_world()
    token = forum_emails.unsubscribe_token(w.member.id, f"thread:{w.thread.id}")
    return Prepared(None, f"/forum/desabonnement/{token}", {"List-Unsubscribe": "One-Click"})


@scenario("/forum/desabonnement/<token>", "annuler")
def unsubscribe_undo():
    w = forum_world()
    token = forum_emails.unsubscribe_token(w.member.id, "all")
    return Prepared(None, f"/forum/desabonnement/{token}", {"annuler": "1"})


def _moderate(action):
    w = forum_world()
    post = w.reply
    if action == "retablir":
        post.state, post.hidden_reason = PostState.HIDDEN, "Hors sujet"
    elif action == "conserver":
        db.session.add(ForumReport(post_id=post.id, reporter_id=w.author.id, reason="Insultant"))
    else:
        post.state = PostState.HELD
    db.session.commit()
    return Prepared(w.staff, f"/forum/messages/{post.id}/{action}")


for _action in ("retablir", "conserver", "approuver"):
    scenario("/forum/messages/<int:post_id>/<any(retablir, conserver, approuver):action>", _action)(
        lambda action=_action: _moderate(action))


@scenario("/forum/messages/<int:post_id>/masquer")
def hide_post():
    w = forum_world()
    return Prepared(w.staff, f"/forum/messages/{w.reply.id}/masquer", {"reason": "Propos hors charte"})


@scenario("/forum/messages/<int:post_id>/modifier")
def edit_post():
    w = forum_world()
    return Prepared(w.member, f"/forum/messages/{w.reply.id}/modifier", {"body": "Une réponse corrigée"})


@scenario("/forum/messages/<int:post_id>/signaler")
def report_post():
    w = forum_world()
    return Prepared(w.author, f"/forum/messages/{w.reply.id}/signaler", {"reason": "Ce message est hors sujet."})


@scenario("/forum/messages/<int:post_id>/supprimer")
def delete_post():
    w = forum_world()
    return Prepared(w.member, f"/forum/messages/{w.reply.id}/supprimer")


@scenario("/forum/preferences")
def forum_preferences():
    return Prepared(learner(), "/forum/preferences", {"email_frequency": "daily"})


# --- MOOC ---------------------------------------------------------------------------------------------------


@dataclass
class MoocWorld:
    course: object
    run: object
    learner: User
    staff: User

    def item(self, key) -> CourseItem:
        return db.session.scalar(sa.select(CourseItem).where(CourseItem.course_id == self.course.id, CourseItem.key == key))

    def learner_url(self, path) -> str:
        return f"/mooc/{self.course.slug}/{self.run.slug}{path}"


def mooc_world(enrolled=True) -> MoocWorld:
    course, run = f.make_mooc(sequences=(2,), kinds=("video", "text", "quiz"))
    person = learner()
    if enrolled:
        f.make_enrolment(run, person)
    return MoocWorld(course, run, person, trainer())


@scenario("/mooc/<slug>/<run_slug>/contenu/<key>/quiz")
def answer_quiz():
    """An attempt, with the form's one-time key: clicked twice, one attempt is recorded (and one completion)."""
    w = mooc_world()
    quiz = w.item("s1-quiz")
    [question] = quiz.questions
    correct = next(c for c in question.choices if c.is_correct)
    return Prepared(w.learner, w.learner_url("/contenu/s1-quiz/quiz"),
                    {f"question_{question.id}": str(correct.id), "submission_key": key()})


@scenario("/mooc/<slug>/<run_slug>/contenu/<key>/termine")
def complete_item():
    w = mooc_world()
    return Prepared(w.learner, w.learner_url("/contenu/s1-video/termine"), {"source": "video"}, send=FETCH)


@scenario("/mooc/<slug>/<run_slug>/desinscription")
def unenrol():
    w = mooc_world()
    return Prepared(w.learner, w.learner_url("/desinscription"))


@scenario("/mooc/<slug>/<run_slug>/inscription")
def enrol():
    w = mooc_world(enrolled=False)
    return Prepared(w.learner, w.learner_url("/inscription"))


def _item_form(item) -> dict:
    return {"key": item.key, "kind": "text", "title": "Une leçon revue", "body": "Le texte de la leçon."}


@scenario("/mooc/gestion/<int:course_id>/elements/<int:item_id>")
def edit_item():
    w = mooc_world()
    item = w.item("s1-text")
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/elements/{item.id}", _item_form(item))


def _move_item(direction):
    w = mooc_world()
    # The last of three items moved up (or the first one down): a second move would take it one place further.
    item = w.item("s1-quiz" if direction == "haut" else "s1-video")
    item_id = item.id
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/elements/{item_id}/deplacer/{direction}",
                    {"position": str(item.position)},  # where the page showed it
                    watch=lambda: row(CourseItem, item_id, "position"))


for _direction in ("haut", "bas"):
    scenario("/mooc/gestion/<int:course_id>/elements/<int:item_id>/deplacer/<direction>", _direction)(
        lambda direction=_direction: _move_item(direction))


@scenario("/mooc/gestion/<int:course_id>/elements/<int:item_id>/supprimer")
def delete_item():
    w = mooc_world()
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/elements/{w.item('s1-text').id}/supprimer")


def _first_module(w) -> CourseModule:
    return db.session.scalar(sa.select(CourseModule).where(CourseModule.course_id == w.course.id).order_by(CourseModule.position))


def _first_sequence(w) -> Sequence:
    return db.session.scalar(sa.select(Sequence).where(Sequence.module_id == _first_module(w).id).order_by(Sequence.position))


@scenario("/mooc/gestion/<int:course_id>/modules")
def add_module():
    w = mooc_world()
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/modules", {"title": "Module 3", "summary": "Après le lancement.",
                                                                           "submission_key": key()})


@scenario("/mooc/gestion/<int:course_id>/modules/<int:module_id>")
def edit_module():
    w = mooc_world()
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/modules/{_first_module(w).id}", {"title": "Module 1 revu", "summary": ""})


@scenario("/mooc/gestion/<int:course_id>/modules/<int:module_id>/sequences")
def add_sequence():
    w = mooc_world()
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/modules/{_first_module(w).id}/sequences",
                    {"title": "Séquence nouvelle", "summary": "", "submission_key": key()})


@scenario("/mooc/gestion/<int:course_id>/sequences/<int:sequence_id>")
def edit_sequence():
    w = mooc_world()
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/sequences/{_first_sequence(w).id}", {"title": "Séquence revue", "summary": "Résumé"})


@scenario("/mooc/gestion/<int:course_id>/sequences/<int:sequence_id>/nouvel-element")
def add_item():
    w = mooc_world()
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/sequences/{_first_sequence(w).id}/nouvel-element",
                    {"key": f"nouvelle-lecon-{f._n()}", "kind": "text", "title": "Nouvelle leçon", "body": "Un texte."})


def _run_form(slug) -> dict:
    today = date.today()
    return {"name": "Session 02", "slug": slug,
            "registration_opens_at": f"{today.isoformat()}T09:00",
            "registration_closes_at": f"{(today + timedelta(days=30)).isoformat()}T18:00",
            "access_starts_at": f"{today.isoformat()}T09:00",
            "access_ends_at": f"{(today + timedelta(days=90)).isoformat()}T18:00", "requires_sheet": "y"}


@scenario("/mooc/gestion/<int:course_id>/sessions/<int:run_id>")
def edit_run():
    w = mooc_world()
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/sessions/{w.run.id}", _run_form(w.run.slug))


@scenario("/mooc/gestion/<int:course_id>/sessions/nouvelle")
def new_run():
    w = mooc_world()
    return Prepared(w.staff, f"/mooc/gestion/{w.course.id}/sessions/nouvelle",
                    {**_run_form(f"session-{f._n()}"), "submission_key": key()})


@scenario("/mooc/gestion/sessions/<int:run_id>/courriel")
def email_learners():
    w = mooc_world()
    f.make_enrolment(w.run)
    return Prepared(w.staff, f"/mooc/gestion/sessions/{w.run.id}/courriel",
                    {"audience": "all", "subject": "La séquence 2 est en ligne", "body": "Bonne lecture.", "stalled_days": "14",
                     "submission_key": key()})


@scenario("/mooc/gestion/sessions/<int:run_id>/inscriptions")
def batch_enrol():
    w = mooc_world(enrolled=False)
    known = learner()
    return Prepared(w.staff, f"/mooc/gestion/sessions/{w.run.id}/inscriptions",
                    {"emails": f"{known.email}\ninvitee{f._n()}@example.gouv.fr"},
                    watch=lambda: {"enrolled": count(Enrolment, Enrolment.run_id == w.run.id)})
