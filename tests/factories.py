"""One factory per model. Each builds a valid row with sensible defaults, commits it and returns it."""

import itertools
from datetime import date, time, timedelta

from beta_training.accounts.models import Role, RoleEvent, User, UserRole
from beta_training.accounts.services import hash_password
from beta_training.cohorts.models import (
    AlumniProfile,
    ApplicationReview,
    Cohort,
    CohortApplication,
    CohortStatus,
    ProgrammeItem,
    Speaker,
)
from beta_training.core.models import OutboxMessage, StateChange, utcnow
from beta_training.courses.models import Course, CourseModule, CourseRun, Sequence
from beta_training.extensions import db

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = None
_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def _save(obj):
    db.session.add(obj)
    db.session.commit()
    return obj


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:  # argon2 is slow on purpose: hash the shared test password once
        _PASSWORD_HASH = hash_password(PASSWORD)
    return _PASSWORD_HASH


def make_user(email=None, roles=(), confirmed=True, password=None, **values) -> User:
    n = _n()
    user = User(
        email=email or f"agent{n}@example.gouv.fr",
        password_hash=hash_password(password) if password else _password_hash(),
        first_name=values.pop("first_name", f"Prénom{n}"),
        last_name=values.pop("last_name", f"Nom{n}"),
        email_confirmed_at=utcnow() if confirmed else None,
        **values,
    )
    for role in roles:
        user.roles.append(make_user_role(role, commit=False))
    return _save(user)


def make_user_role(role=Role.TRAINER, user=None, commit=True) -> UserRole:
    grant = UserRole(role=Role(role))
    if user is not None:
        user.roles.append(grant)
    return _save(grant) if commit and user is not None else grant


def make_role_event(user, role=Role.TRAINER, action="grant", actor=None) -> RoleEvent:
    return _save(RoleEvent(user_id=user.id, role=role, action=action, actor=actor))


def make_outbox_message(recipient="someone@example.gouv.fr", **values) -> OutboxMessage:
    defaults = dict(subject="Sujet de test", text_body="Bonjour", html_body="<p>Bonjour</p>", attachments=[])
    defaults.update(values)
    return _save(OutboxMessage(recipient=recipient, **defaults))


def make_cohort(**values) -> Cohort:
    n = _n()
    starts_on = values.pop("starts_on", date.today() + timedelta(days=30))
    now = utcnow()
    defaults = dict(
        slug=f"alpha-test-{n}",
        title=f"Formation Alpha — test {n}",
        edition=n,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=1),
        daily_hours="de 9h à 18h",
        place_name="Paris",
        seats=28,
        applications_open_at=now - timedelta(days=7),
        applications_close_at=now + timedelta(days=7),
        status=CohortStatus.PUBLISHED,
    )
    defaults.update(values)
    return _save(Cohort(**defaults))


def make_speaker(**values) -> Speaker:
    n = _n()
    return _save(Speaker(**{"name": f"Intervenant {n}", "role": "coach", **values}))


def make_programme_item(cohort=None, speakers=(), **values) -> ProgrammeItem:
    cohort = cohort or make_cohort()
    item = ProgrammeItem(
        cohort_id=cohort.id,
        day=values.pop("day", cohort.starts_on),
        starts_at=values.pop("starts_at", time(9, 30)),
        ends_at=values.pop("ends_at", time(12, 0)),
        title=values.pop("title", f"Atelier {_n()}"),
        **values,
    )
    item.speakers = list(speakers)
    return _save(item)


def make_course(**values) -> Course:
    n = _n()
    return _save(Course(**{"slug": f"cours-{n}", "title": f"Cours {n}", "published": True, **values}))


def make_course_run(course=None, **values) -> CourseRun:
    course = course or make_course()
    now = utcnow()
    defaults = dict(
        slug=f"session-{_n()}",
        name="Session 01",
        registration_opens_at=now - timedelta(days=10),
        registration_closes_at=now + timedelta(days=10),
        access_starts_at=now - timedelta(days=5),
        access_ends_at=now + timedelta(days=30),
    )
    defaults.update(values)
    return _save(CourseRun(course_id=course.id, **defaults))


def make_course_module(course=None, **values) -> CourseModule:
    course = course or make_course()
    return _save(CourseModule(course_id=course.id, **{"position": _n(), "title": "Module", **values}))


def make_sequence(module=None, **values) -> Sequence:
    module = module or make_course_module()
    n = _n()
    return _save(Sequence(module_id=module.id, **{"position": n, "number": n, "title": f"Séquence {n}", **values}))


COMPLETE_ANSWERS = dict(
    administration="Pôle emploi",
    administration_type="operateur",
    job_title="Conseillère",
    departement="69",
    situation="creator",
    product_name="",
    problem="Chaque année, des centaines de demandeurs d'emploi renoncent à une formation faute d'information.",
    solution="Un service qui montre les formations financées près de chez soi.",
    first_users="Les conseillers de l'agence de Lyon Part-Dieu.",
    motivation="Je vois ce problème chaque jour à l'accueil.",
    needs="",
    consent_guide=True,
    consent_share=True,
)


def make_application(cohort=None, user=None, state="submitted", **values) -> CohortApplication:
    cohort = cohort or make_cohort()
    user = user or make_user()
    now = utcnow()
    defaults = dict(first_name=user.first_name, last_name=user.last_name, **COMPLETE_ANSWERS)
    if state != "draft":
        defaults["submitted_at"] = now
    if state == "accepted":
        defaults["offer_expires_at"] = now + timedelta(days=cohort.confirmation_delay_days)
    if state == "waitlisted":
        defaults["waitlist_position"] = values.pop("waitlist_position", _n())
    defaults.update(values)
    return _save(CohortApplication(cohort_id=cohort.id, user_id=user.id, state=state, **defaults))


def make_application_review(application=None, reviewer=None, **values) -> ApplicationReview:
    application = application or make_application()
    reviewer = reviewer or make_user(roles=[Role.TRAINER])
    scores = {"problem_score": 4, "motivation_score": 3, "solution_score": 2, "comment": "", **values}
    return _save(ApplicationReview(application_id=application.id, reviewer_id=reviewer.id, **scores))


def make_alumni_profile(user=None, **values) -> AlumniProfile:
    user = user or make_user()
    return _save(AlumniProfile(user_id=user.id, **{"listed": True, "project": "", "contact": "", **values}))


def make_state_change(subject, to_state, from_state=None, actor=None, reason="") -> StateChange:
    return _save(StateChange(subject_type=subject.__tablename__, subject_id=subject.id, from_state=from_state,
                             to_state=to_state, actor_id=actor.id if actor else None, reason=reason))
