"""One factory per model. Each builds a valid row with sensible defaults, commits it and returns it."""

import itertools
from datetime import date, time, timedelta

import sqlalchemy as sa

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
from beta_training.calls.models import Call, Dossier, DossierEvaluation
from beta_training.core.models import OutboxMessage, StateChange, utcnow
from beta_training.courses.models import (
    Course,
    CourseInvitation,
    CourseItem,
    CourseModule,
    CourseRun,
    Enrolment,
    ItemCompletion,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    Sequence,
)
from beta_training.extensions import db
from beta_training.forum.models import Forum, ForumCategory, ForumPost, ForumThread
from beta_training.products.models import (
    Committee,
    CommitteeScore,
    Product,
    ProductIndicator,
    ProductMember,
    ProductPhasePeriod,
    ProductSponsor,
)
from beta_training.sheets.models import ProductSheet, SheetReview, SheetVersion
from beta_training.sheets.services import empty_content

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
        place_name="Paris",
        seats=28,
        applications_open_at=now - timedelta(days=7),
        applications_close_at=now + timedelta(days=7),
        status=CohortStatus.PUBLISHED,
    )
    defaults.update(values)
    return _save(Cohort(**defaults))


def make_speaker(cohort=None, **values) -> Speaker:
    """A speaker of `cohort` (speakers belong to one session)."""
    cohort = cohort or make_cohort()
    n = _n()
    return _save(Speaker(cohort_id=cohort.id, **{"name": f"Intervenant {n}", "role": "coach", **values}))


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
        access_starts_at=now - timedelta(days=30),
        access_ends_at=now + timedelta(days=30),
    )
    defaults.update(values)
    return _save(CourseRun(course_id=course.id, **defaults))


def make_course_module(course=None, **values) -> CourseModule:
    """Numbered like its position (Module 1, 2…) unless `number` says otherwise (None: an unnumbered part)."""
    course = course or make_course()
    values.setdefault("position", _n())
    values.setdefault("number", values["position"])
    return _save(CourseModule(course_id=course.id, **{"title": "Module", **values}))


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
    # Through the service: it keeps the application's totals, which the queue reads.
    from beta_training.cohorts.services import record_review

    review = record_review(application, reviewer=reviewer, **scores)
    db.session.commit()
    return review


def make_alumni_profile(user=None, **values) -> AlumniProfile:
    user = user or make_user()
    return _save(AlumniProfile(user_id=user.id, **{"listed": True, "project": "", "contact": "", **values}))


def make_state_change(subject, to_state, from_state=None, actor=None, reason="") -> StateChange:
    return _save(StateChange(subject_type=subject.__tablename__, subject_id=subject.id, from_state=from_state,
                             to_state=to_state, actor_id=actor.id if actor else None, reason=reason))


def make_course_item(sequence=None, kind="text", **values) -> CourseItem:
    sequence = sequence or make_sequence()
    course_id = db.session.get(CourseModule, sequence.module_id).course_id
    n = _n()
    defaults = dict(key=f"item-{n}", title=f"Élément {n}", body="Un texte.", position=n)
    if kind == "video":
        defaults.update(video_url="/static/media/demo-sequence.webm", transcript="Transcription.", duration_seconds=4)
    defaults.update(values)
    item = _save(CourseItem(course_id=course_id, sequence_id=sequence.id, kind=kind, **defaults))
    _recount(course_id=course_id)
    return item


def make_quiz_question(item=None, **values) -> QuizQuestion:
    item = item or make_course_item(kind="quiz")
    return _save(QuizQuestion(item_id=item.id, **{"position": _n(), "text": "", **values}))


def make_quiz_choice(item=None, question=None, **values) -> QuizChoice:
    """A choice of `question`, by default the quiz's first question (made, without text, if it has none)."""
    item = item or (db.session.get(CourseItem, question.item_id) if question else make_course_item(kind="quiz"))
    if question is None:
        question = db.session.scalar(sa.select(QuizQuestion).where(QuizQuestion.item_id == item.id)
                                     .order_by(QuizQuestion.position)) or make_quiz_question(item, position=1)
    return _save(QuizChoice(item_id=item.id, question_id=question.id,
                            **{"position": _n(), "text": "Une réponse", "is_correct": False, **values}))


def make_quiz_attempt(enrolment, item, *, correct, total=1, number=1, **values) -> QuizAttempt:
    attempt = _save(QuizAttempt(enrolment_id=enrolment.id, item_id=item.id, number=number, correct=correct, total=total,
                                score=round(100 * correct / total), **{"submitted_at": utcnow(), **values}))
    _recount(run_id=enrolment.run_id)
    return attempt


def _recount(*, run_id=None, course_id=None) -> None:
    """Facts written here bypass the services, which keep the dashboard's counts: rebuild them from the facts,
    as a bulk load does (only where there are learners to count)."""
    from beta_training.courses import services as course_services
    from beta_training.courses.models import CourseRun

    runs = sa.select(CourseRun).where(CourseRun.id == run_id if run_id is not None else CourseRun.course_id == course_id,
                                      sa.exists().where(Enrolment.run_id == CourseRun.id))
    for run in db.session.scalars(runs).all():
        course_services.recompute_dashboard(run)
    db.session.commit()


def make_enrolment(run=None, user=None, **values) -> Enrolment:
    run = run or make_course_run()
    user = user or make_user()
    if values.get("completed_at"):  # as the completion does: the name printed on the attestation
        values.setdefault("attestation_name", user.full_name)
    enrolment = _save(Enrolment(run_id=run.id, user_id=user.id, **{"enrolled_at": utcnow(), "state": "active", **values}))
    _recount(run_id=run.id)
    return enrolment


def make_item_completion(enrolment=None, item=None, **values) -> ItemCompletion:
    enrolment = enrolment or make_enrolment()
    item = item or make_course_item()
    completion = _save(ItemCompletion(enrolment_id=enrolment.id, item_id=item.id,
                                      **{"source": "button", "completed_at": utcnow(), **values}))
    _recount(run_id=enrolment.run_id)
    return completion


def make_course_invitation(run=None, email="invitee@example.gouv.fr", **values) -> CourseInvitation:
    run = run or make_course_run()
    return _save(CourseInvitation(run_id=run.id, email=email, **{"created_at": utcnow(), **values}))


def make_mooc(sequences=(2, 1), kinds=("video", "text", "quiz")):
    """A published course with a run open today: modules → sequences → items (a quiz has two choices)."""
    course = make_course()
    run = make_course_run(course)
    number = 0
    for module_position, count in enumerate(sequences, start=1):
        module = make_course_module(course, position=module_position)
        for position in range(1, count + 1):
            number += 1
            sequence = make_sequence(module, position=position, number=number, title=f"Séquence {number}")
            for item_position, kind in enumerate(kinds, start=1):
                item = make_course_item(sequence, kind=kind, key=f"s{number}-{kind}", position=item_position,
                                        title=f"S{number} {kind}")
                if kind == "quiz":
                    make_quiz_choice(item, position=1, text="Bonne", is_correct=True, feedback="Bravo")
                    make_quiz_choice(item, position=2, text="Mauvaise", is_correct=False, feedback="Non")
    return course, run


# Every question of the five parts answered (a fiche that may be sent for review, with a roadmap).
ANSWERED_PARTS = {
    "s1_problem": "Chaque année, 3 000 familles renoncent à une aide.", "s1_solution": "Un simulateur, au présent.",
    "s1_deployment": "Rencontrer dix familles\nOuvrir le service dans une commune", "s1_partners": "Le centre social.",
    "s1_scale_up": "Le département, puis le pays.", "s2_first_users": "Les familles du centre social.",
    "s2_reach": "Par les travailleurs sociaux.", "s2_open_lab": "Un goûter et un téléphone prêté.",
    "s3_impact": "Avant trois semaines, après deux minutes.", "s3_first_checks": "Appeler dix familles",
    "s3_measures": "Taux de recours", "s4_worst_case": "Un refus juridique.", "s4_small_actions": "Voir le DPO tôt.",
    "s5_tool": "Un formulaire en ligne.", "s5_urls": "https://formulaire.example.org/",
}
COMPLETE_SHEET = {
    "name": "Mon suivi de stage", "pitch": "Trouver un stage sans perdre de temps.", **ANSWERED_PARTS,
    "indicators": [{"name": f"Indicateur {n}", "baseline": "10", "target": "20"} for n in (1, 2)]
    + [{"name": "", "baseline": "", "target": ""}],
    "milestones": [{"title": "Premier usager", "due_on": "2027-03-01", "priority": "1"}]
    + [{"title": "", "due_on": "", "priority": ""} for _ in range(5)],
}


def make_product_sheet(owner=None, state="draft", content=None, **values) -> ProductSheet:
    owner = owner or make_user()
    body = {**empty_content(), "name": "Mon produit", "s1_problem": "Un problème", "s1_solution": "Une solution",
            **(content or {})}
    values.setdefault("submitted_at", utcnow() if state != "draft" else None)
    values.setdefault("review_round", 0 if state == "draft" else 1)
    sheet = _save(ProductSheet(owner_id=owner.id, state=state, title=body["name"], current_version=1, **values))
    make_sheet_version(sheet, number=1, content=body, author=owner)
    return sheet


def make_sheet_version(sheet, number, content, author=None) -> SheetVersion:
    return _save(SheetVersion(sheet_id=sheet.id, number=number, content=content, author_id=author.id if author else None,
                              saved_at=utcnow()))


def make_sheet_review(sheet, reviewer=None, **values) -> SheetReview:
    reviewer = reviewer or make_user(roles=[Role.TRAINER])
    return _save(SheetReview(sheet_id=sheet.id, reviewer_id=reviewer.id, **{
        "version_number": sheet.current_version, "verdict": "changes_requested", "overall_comment": "",
        "section_comments": {}, "scores": {}, "created_at": utcnow(), "round": max(sheet.review_round, 1), **values}))


# --- Products ---------------------------------------------------------------------------------------------


def make_product(team=(), phase="investigation", started_on=None, indicators=("Usagers actifs",), **values) -> Product:
    """A product in `phase` since `started_on` (a phase period), sponsored by the DINUM, with `team` (users) as
    members; no fiche behind it unless `sheet_id` is given."""
    values.setdefault("name", f"Produit {_n()}")
    product = Product(phase=phase, pitch=values.pop("pitch", "Permettre aux usagers de gagner du temps."),
                      contact=values.pop("contact", "equipe@example.gouv.fr"),
                      incubator_name=values.pop("incubator_name", "Incubateur de la DINUM"),
                      incubator_id=values.pop("incubator_id", "dinum"), **values)
    product.sponsors = [ProductSponsor(position=0, name="Direction interministérielle du numérique", organisation_id="dinum")]
    product.members = [ProductMember(position=i, user_id=user.id, role="Intrapreneur·e") for i, user in enumerate(team)]
    _save(product)
    db.session.add(ProductPhasePeriod(product_id=product.id, phase=phase, started_on=started_on or date.today() - timedelta(days=30),
                                      reason="", created_at=utcnow()))
    for position, name in enumerate(indicators, start=1):
        db.session.add(ProductIndicator(product_id=product.id, position=position, name=name, baseline="0", target="100"))
    db.session.commit()
    return product


def make_committee(product=None, state="preparing", held_on=None, **values) -> Committee:
    product = product or make_product()
    if state == "decided":
        values.setdefault("decision", "continue")
        values.setdefault("decision_reasons", "Bon bilan.")
        values.setdefault("decided_at", utcnow())
        values.setdefault("phase_before", product.phase)
        values.setdefault("phase_after", product.phase)
    if state != "preparing":
        values.setdefault("priorities", [{"title": "Ouvrir à trois départements", "expected": "500 usagers"}])
        values.setdefault("submitted_at", utcnow())
    # A comité still preparing is ahead; one whose file is sent is held (it is decided on or after its day).
    held_on = held_on or (date.today() + timedelta(days=60) if state == "preparing" else date.today())
    return _save(Committee(product_id=product.id, state=state, held_on=held_on,
                           **{"priorities": [], "budget": {}, **values}))


def make_committee_score(committee, scorer=None, **scores) -> CommitteeScore:
    scorer = scorer or make_user(roles=[Role.TRAINER])
    return _save(CommitteeScore(committee_id=committee.id, scorer_id=scorer.id,
                                scores={"bilan": 4, "objectifs": 3, "besoins": 4, **scores}, comment="",
                                created_at=utcnow(), updated_at=utcnow()))


# --- Forum ------------------------------------------------------------------------------------------------


def make_forum(run=None, cohort=None) -> Forum:
    """A forum with its two fixed categories (« Questions à la responsable », « Général »)."""
    if run is None and cohort is None:
        _course, run = make_mooc(sequences=(1,), kinds=("text",))
    forum = Forum(kind="course_run" if run is not None else "cohort", course_run_id=run.id if run else None,
                  cohort_id=cohort.id if cohort else None, title=f"Forum {_n()}")
    forum.categories = [
        ForumCategory(kind="lead_questions", title="Questions à la responsable de la formation", position=1),
        ForumCategory(kind="general", title="Général", position=2),
    ]
    return _save(forum)


def make_forum_member(forum, **values) -> User:
    """A learner enrolled in the forum's run (or a confirmed participant of its session)."""
    user = make_user(**values)
    if forum.course_run_id is not None:
        make_enrolment(db.session.get(CourseRun, forum.course_run_id), user)
    else:
        make_application(db.session.get(Cohort, forum.cohort_id), user, state="confirmed")
    return user


def make_forum_thread(forum, author, *, category=None, title="Une question", body="Comment fait-on ?", kind="question",
                      **values) -> ForumThread:
    """A thread with its opening post, written directly (no notification)."""
    now = utcnow()
    thread = _save(ForumThread(forum_id=forum.id, category_id=(category or forum.categories[0]).id, author_id=author.id,
                               kind=kind, title=title, created_at=now, last_post_at=now, **values))
    make_forum_post(thread, author, body=body, is_opening=True)
    return thread


def make_forum_post(thread, author, body="Une réponse", **values) -> ForumPost:
    now = utcnow()
    post = _save(ForumPost(thread_id=thread.id, author_id=author.id, body=body, body_html=f"<p>{body}</p>",
                           search_text=body, author_is_staff=author.has_any_role("trainer", "course_lead"),
                           created_at=now, **values))
    thread.last_post_id, thread.last_post_at = post.id, now
    if not post.is_opening:
        thread.reply_count += 1
    db.session.commit()
    return post


# --- Appel à intrapreneurs -----------------------------------------------------------------------------------


def make_call(**values) -> Call:
    """Open now (since yesterday, for two weeks) unless told otherwise."""
    now = utcnow()
    values.setdefault("opens_at", now - timedelta(days=1))
    values.setdefault("closes_at", values["opens_at"] + timedelta(days=14))
    return _save(Call(**{"title": f"Appel à intrapreneurs {_n()}", "incubator": "Incubateur des territoires",
                         "guide": "## Le calendrier\n\nDeux semaines pour déposer.", **values}))


COMPLETE_DOSSIER = {
    "title": "Aide en un clic", "problem": "Chaque année, des centaines de familles renoncent à une aide.",
    "solution": "Un formulaire unique qui vérifie les droits.", "first_users": "Les CAF de deux départements.",
    "opinion": "", "callback": "non", "consent_guide": True, "consent_share": True,
}


def make_dossier(call=None, owner=None, state="draft", **values) -> Dossier:
    call = call or make_call()
    owner = owner or make_user()
    values.setdefault("submitted_at", None if state == "draft" else utcnow())
    return _save(Dossier(call_id=call.id, owner_id=owner.id, state=state, **{**COMPLETE_DOSSIER, **values}))


def make_dossier_evaluation(dossier, reviewer=None, scores=(4, 3, 5), **values) -> DossierEvaluation:
    reviewer = reviewer or make_user(roles=[Role.TRAINER])
    items = [{"criterion": f"Critère {n}", "score": score, "comment": ""} for n, score in enumerate(scores, start=1)]
    return _save(DossierEvaluation(dossier_id=dossier.id, reviewer_id=reviewer.id, scores=items,
                                   average=sum(scores) / len(scores), **values))
