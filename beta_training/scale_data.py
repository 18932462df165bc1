"""`flask scale-data`: a MOOC's opening at full scale, for the load benchmark (benchmarks/load.py).

Into the configured (disposable) database: the demo course imported from its folder as `flask seed-demo` does,
one open run with 100,000 learners and 1,000,000 progress rows (item completions and quiz attempts), its forum
with 200,000 posts (one thread of 1,000 replies, many others), 5,000 applications to one Alpha session, 2,000
fiches produit (most sent for review), and the accounts the benchmark signs in as. Minutes, not hours: rows go
in by bulk INSERTs of chunks of plain dicts, one commit per chunk, never an ORM object per row. What the
services keep denormalised is written consistent with the rows (an enrolment's completion and last activity,
a thread's counts and last post, SQLite's forum search index, a fiche's sent date on its enrolment).
"""

import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from beta_training.accounts.models import Role, User, UserRole
from beta_training.accounts.services import hash_password
from beta_training.cohorts import services as cohorts
from beta_training.cohorts.models import (
    ApplicationReview,
    ApplicationState,
    Cohort,
    CohortApplication,
    CohortFormat,
    CohortStatus,
)
from beta_training.config import ROOT
from beta_training.core.markdown import render_markdown
from beta_training.core.models import StateChange, utcnow
from beta_training.courses import services as courses
from beta_training.courses.models import (
    CourseItem,
    CourseRun,
    Enrolment,
    EnrolmentSheetPart,
    EnrolmentState,
    ItemCompletion,
    ItemKind,
    QuizAnswer,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
)
from beta_training.extensions import db
from beta_training.forum import search
from beta_training.forum import services as forum_services
from beta_training.forum.models import Forum, ForumPost, ForumThread, PostState
from beta_training.sheets.models import PARTS, ProductSheet, SheetMilestone, SheetReview, SheetState, SheetVersion
from beta_training.sheets.services import clean_content, empty_content

MOOC_FOLDER = ROOT / "content" / "courses" / "creer-des-services-publics-numeriques-innovants"
RUN_SLUG = "session-charge"
COHORT_SLUG = "alpha-charge"
DOMAIN = "charge.beta.gouv.fr"
# The accounts the benchmark signs in as, by role.
STAFF_EMAILS = {"trainer": f"formatrice@{DOMAIN}", "learner": f"apprenante@{DOMAIN}", "admin": f"admin@{DOMAIN}"}
REVIEWER_COUNT = 3  # trainers who scored applications (the benchmark's trainer is the first)
DEFAULTS = {"learners": 100_000, "progress": 1_000_000, "posts": 200_000, "long_thread": 1_000,
            "applications": 5_000, "sheets": 2_000}
SENTENCES = [
    "Nous avons rencontré des usagers au guichet de la CAF.",
    "Le sponsor veut un budget avant d'avoir vu un usager.",
    "Faire le service **à la main** pendant trois semaines nous a appris beaucoup.",
    "Quels indicateurs d'impact avez-vous retenus pour le comité ?",
    "Merci pour ce retour : nous allons essayer la même chose dans notre service.",
    "La séquence 5 montre comment tester sans développeur, c'est exactement notre cas.",
]
TITLES = ["Trouver ses premiers usagers", "Convaincre son sponsor", "Mesurer l'impact", "Tester sans développeur",
          "Recruter une équipe", "Parler aux agents d'accueil", "Préparer le comité d'investissement"]


@dataclass
class Sizes:
    learners: int
    progress: int
    posts: int
    long_thread: int
    applications: int
    sheets: int


class Loader:
    """Inserts chunks of rows, one commit per chunk, and says how long each phase took."""

    def __init__(self, chunk: int, echo: Callable[[str], None]):
        self.chunk, self.echo = chunk, echo
        self.timings: dict[str, float] = {}

    def insert(self, model, rows, returning=None) -> list:
        """Insert `rows` (an iterable of dicts, all with the same keys) in chunks; the ids, if asked, in order."""
        table = model.__table__
        ids = []
        for batch in _batches(rows, self.chunk):
            if returning is not None:
                statement = sa.insert(table).returning(returning, sort_by_parameter_order=True)
                ids.extend(db.session.execute(statement, batch).scalars().all())
            else:
                db.session.execute(sa.insert(table), batch)
            db.session.commit()
        return ids

    @contextmanager
    def phase(self, name: str):
        started = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - started
        self.echo(f"  {name}: {self.timings[name]:.1f} s")


def _batches(rows, size: int) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(sizes: Sizes, *, password: str, seed: int = 16, chunk: int = 5000,
             echo: Callable[[str], None] = print) -> dict[str, float]:
    """Write everything; returns the seconds each phase took. Refused (ValueError) if already generated here."""
    if db.session.scalar(sa.select(sa.exists().where(User.email == STAFF_EMAILS["trainer"]))):
        raise ValueError("Cette base contient déjà des données générées : partez d’une base vide.")
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    load = Loader(chunk, echo)
    with load.phase("course, run, forum, session"):
        run, cohort, forum = _structure(now)
    with load.phase("accounts"):
        password_hash = hash_password(password)  # argon2 once (about 0.1 s each): every account shares it
        staff = _staff(load, password_hash, now)
        learner_ids = load.insert(User, (_user_row(f"apprenant{n}@{DOMAIN}", "Apprenant", str(n), password_hash, now)
                                         for n in range(sizes.learners)), returning=User.id)
    with load.phase("enrolments and progress"):
        enrolments = _enrolments(load, run, [staff["learner"], *learner_ids], rng, now)
        _progress(load, run, enrolments, sizes.progress, rng, now)
    with load.phase("forum"):
        _forum(load, forum, learner_ids, staff, sizes, rng, now)
    with load.phase("applications"):
        _applications(load, cohort, learner_ids[:sizes.applications], staff, rng, now)
    with load.phase("fiches produit"):
        _sheets(load, enrolments[1:sizes.sheets + 1], staff, rng, now)
    with load.phase("derived data"):
        _recompute_derived(run)
    return load.timings


def _structure(now: datetime) -> tuple[CourseRun, Cohort, Forum]:
    from beta_training.courses.content import import_course

    course = import_course(MOOC_FOLDER)
    run = courses.upsert_run(
        course, slug=RUN_SLUG, name="Session de charge",
        registration_opens_at=now - timedelta(days=30), registration_closes_at=now + timedelta(days=30),
        access_starts_at=now - timedelta(days=25), access_ends_at=now + timedelta(days=60),
        signatory_name="Rachel Responsable", signatory_role="Responsable de la formation, beta.gouv.fr",
        quiz_pass_mark=70,
    )
    starts_on = (now + timedelta(days=40)).date()
    cohort = cohorts.upsert_cohort(
        slug=COHORT_SLUG, title="Formation Alpha — session de charge", edition=99, starts_on=starts_on,
        ends_on=starts_on + timedelta(days=1), format=CohortFormat.IN_PERSON, place_name="CNFPT Paris",
        address="Paris 12e", seats=28, practical_info="Déjeuner pris en charge pour tous.",
        applications_open_at=now - timedelta(days=20), applications_close_at=now + timedelta(days=20),
        status=CohortStatus.PUBLISHED,
    )
    cohorts.replace_programme(cohort, [
        {"day": starts_on, "starts_at": None, "ends_at": None, "title": "Écouter ses utilisateurs tout le temps",
         "speakers": [{"name": "Camille Coach", "role": "coach", "organisation": "beta.gouv.fr"}]},
    ])
    forum = forum_services.forum_for_run(run)
    db.session.commit()
    return run, cohort, forum


def _user_row(email: str, first_name: str, last_name: str, password_hash: str, now: datetime) -> dict:
    return {"email": email, "password_hash": password_hash, "first_name": first_name, "last_name": last_name,
            "administration": "Ministère de la charge", "administration_type": "etat", "departement": "75",
            "email_confirmed_at": now, "password_changed_at": now, "session_token": secrets.token_urlsafe(24),
            "active": True, "created_at": now - timedelta(days=31), "updated_at": now - timedelta(days=31)}


def _staff(load: Loader, password_hash: str, now: datetime) -> dict:
    """The benchmark's three accounts, and the other reviewers of applications."""
    people = [("trainer", "Fatou", "Formatrice"), ("learner", "Agnès", "Apprenante"), ("admin", "Alex", "Admin")]
    people += [(f"reviewer{n}", "Relectrice", str(n)) for n in range(1, REVIEWER_COUNT)]
    emails = [STAFF_EMAILS.get(key, f"{key}@{DOMAIN}") for key, *_ in people]
    ids = load.insert(User, (_user_row(email, first, last, password_hash, now)
                             for email, (_key, first, last) in zip(emails, people)), returning=User.id)
    staff = {key: user_id for (key, *_), user_id in zip(people, ids)}
    staff["reviewers"] = [staff["trainer"]] + [staff[f"reviewer{n}"] for n in range(1, REVIEWER_COUNT)]
    grants = [(staff["trainer"], Role.TRAINER), (staff["admin"], Role.ADMIN)]
    grants += [(user_id, Role.TRAINER) for user_id in staff["reviewers"][1:]]
    load.insert(UserRole, ({"user_id": user_id, "role": role, "granted_at": now} for user_id, role in grants))
    return staff


def _enrolments(load: Loader, run: CourseRun, user_ids: list[int], rng: random.Random, now: datetime) -> list[dict]:
    """One active enrolment each, over the registration period so far; with the timeline row enrol() writes."""
    opened = run.registration_opens_at
    span = int((now - timedelta(hours=2) - opened).total_seconds())
    rows = [{"run_id": run.id, "user_id": user_id, "state": EnrolmentState.ACTIVE.value,
             "enrolled_at": opened + timedelta(seconds=rng.randrange(span)), "last_activity_at": None,
             "completed_at": None, "attestation_code": None, "attestation_name": None, "sheet_sent_at": None,
             "created_at": now, "updated_at": now} for user_id in user_ids]
    ids = load.insert(Enrolment, rows, returning=Enrolment.id)
    load.insert(StateChange, ({"subject_type": "enrolments", "subject_id": enrolment_id, "from_state": None,
                               "to_state": EnrolmentState.ACTIVE.value, "actor_id": row["user_id"], "reason": "",
                               "created_at": row["enrolled_at"]} for enrolment_id, row in zip(ids, rows)))
    for enrolment_id, row in zip(ids, rows):
        row["id"] = enrolment_id
    return rows


@dataclass
class Quiz:
    questions: list[tuple[int, int, int]]  # (question id, right choice id, wrong choice id)


def _quizzes(run: CourseRun) -> tuple[list[CourseItem], dict[int, Quiz]]:
    items = _ordered(run)
    quizzes = {}
    for item in items:
        if item.kind != ItemKind.QUIZ:
            continue
        questions = []
        for question in db.session.scalars(sa.select(QuizQuestion).where(QuizQuestion.item_id == item.id)
                                           .order_by(QuizQuestion.position)):
            choices = list(db.session.scalars(sa.select(QuizChoice).where(QuizChoice.question_id == question.id)
                                              .order_by(QuizChoice.position)))
            right = next(c.id for c in choices if c.is_correct)
            wrong = next((c.id for c in choices if not c.is_correct), right)
            questions.append((question.id, right, wrong))
        quizzes[item.id] = Quiz(questions)
    return items, quizzes


def _ordered(run: CourseRun) -> list[CourseItem]:
    """The course's items in the order a learner meets them (module, sequence, item)."""
    from beta_training.courses.models import CourseModule, Sequence

    return list(db.session.scalars(
        sa.select(CourseItem).join(Sequence, Sequence.id == CourseItem.sequence_id)
        .join(CourseModule, CourseModule.id == Sequence.module_id)
        .where(CourseItem.course_id == run.course_id)
        .order_by(CourseModule.position, Sequence.position, CourseItem.position)))


def _progress(load: Loader, run: CourseRun, enrolments: list[dict], target: int, rng: random.Random,
              now: datetime) -> None:
    """Each learner has done the first k items of the course (a long tail: many stop early, some finish), each
    quiz passed by an attempt reaching the pass mark, some after a failed one. About `target` rows in all
    (completions + attempts), exactly when the top-up of failed attempts allows it."""
    items, quizzes = _quizzes(run)
    count = len(items)
    # rows(k): completions plus one passing attempt per quiz among the first k items
    rows_for = [0] * (count + 1)
    for k in range(1, count + 1):
        rows_for[k] = rows_for[k - 1] + 1 + (1 if items[k - 1].id in quizzes else 0)
    shapes = [rng.expovariate(1.0) for _ in enrolments]
    # 3 % finish the course (as far as the rows asked for allow), whatever the others do
    finishers = set(rng.sample(range(1, len(enrolments)), min(len(enrolments) - 1, len(enrolments) * 3 // 100 + 1,
                                                              target // (2 * rows_for[count] + 2))))
    fails = [rng.random() < 0.3 for _ in enrolments]  # a failed attempt before the first quiz passed

    def prefix(scale: float, index: int) -> int:
        if index == 0:
            return count // 2  # the benchmark's learner: about half the course (a real, partial progress)
        return count if index in finishers else min(count, int(shapes[index] * scale))

    def total(scale: float) -> int:
        done = 0
        for index in range(len(enrolments)):
            k = prefix(scale, index)
            done += rows_for[k] + (1 if fails[index] and _has_quiz(items, quizzes, k) else 0)
        return done

    low, high = 0.0, float(count)
    while total(high) < target and high < count * 64:
        high *= 2
    for _ in range(30):
        middle = (low + high) / 2
        low, high = (middle, high) if total(middle) <= target else (low, middle)
    prefixes = [prefix(low, index) for index in range(len(enrolments))]
    # Extra failed attempts (one row each) bring the total to `target` exactly, on learners who took a quiz.
    extra = [0] * len(enrolments)
    missing = target - total(low)
    takers = [index for index, k in enumerate(prefixes) if _has_quiz(items, quizzes, k)]
    for turn in range(missing if takers else 0):
        extra[takers[turn % len(takers)]] += 1
    completions, attempts = [], []
    for index, enrolment in enumerate(enrolments):
        k = prefixes[index]
        moment = enrolment["enrolled_at"]
        step = (now - moment) / (k + 2 + extra[index] + (1 if fails[index] else 0))
        failed_before = (1 if fails[index] else 0) + extra[index]
        for item in items[:k]:
            quiz = quizzes.get(item.id)
            if quiz is not None:
                for number in range(1, failed_before + 2):
                    moment += step
                    attempts.append((enrolment["id"], item.id, number, number <= failed_before, quiz, moment))
                failed_before = 0
            moment += step
            completions.append({"enrolment_id": enrolment["id"], "item_id": item.id,
                                "source": "quiz" if quiz else ("video" if item.kind == ItemKind.VIDEO else "opened"),
                                "choice_id": None, "completed_at": moment})
        if k:
            enrolment["last_activity_at"] = moment
        if k == count:
            enrolment["completed_at"] = moment
            enrolment["attestation_code"] = courses.new_attestation_code()
    load.insert(ItemCompletion, completions)
    attempt_ids = load.insert(QuizAttempt, (
        {"enrolment_id": enrolment_id, "item_id": item_id, "number": number, "correct": 0 if failed else len(quiz.questions),
         "total": len(quiz.questions), "score": 0 if failed else 100, "submitted_at": moment, "submission_key": None}
        for enrolment_id, item_id, number, failed, quiz, moment in attempts), returning=QuizAttempt.id)
    load.insert(QuizAnswer, (
        {"attempt_id": attempt_id, "question_id": question_id, "choice_id": wrong if failed else right,
         "is_correct": not failed}
        for attempt_id, (_e, _i, _n, failed, quiz, _m) in zip(attempt_ids, attempts)
        for question_id, right, wrong in quiz.questions))
    _update_enrolments(load, [e for e in enrolments if e["last_activity_at"] is not None])


def _has_quiz(items, quizzes, k: int) -> bool:
    return any(item.id in quizzes for item in items[:k])


def _update_enrolments(load: Loader, enrolments: list[dict]) -> None:
    """What record_progress and check_completion write on the enrolment: its last activity, and once every item
    is done, the completion with its attestation code and the name it prints."""
    names = dict(db.session.execute(sa.select(Enrolment.id, User.first_name + " " + User.last_name)
                                    .join(User, User.id == Enrolment.user_id)).all())
    table = Enrolment.__table__
    statement = sa.update(table).where(table.c.id == sa.bindparam("key")).values(
        last_activity_at=sa.bindparam("last"), completed_at=sa.bindparam("done"),
        attestation_code=sa.bindparam("code"), attestation_name=sa.bindparam("name"))
    for batch in _batches(({"key": e["id"], "last": e["last_activity_at"], "done": e["completed_at"],
                            "code": e["attestation_code"], "name": names[e["id"]] if e["completed_at"] else None}
                           for e in enrolments), load.chunk):
        db.session.connection().execute(statement, batch)
        db.session.commit()


def _forum(load: Loader, forum: Forum, learner_ids: list[int], staff: dict, sizes: Sizes, rng: random.Random,
           now: datetime) -> None:
    """One thread of `long_thread` replies, then threads of 0 to 40 replies until `posts` posts in all; the
    trainer answers in some. Counts, last post and (SQLite) the search index as the services write them."""
    authors = learner_ids or [staff["learner"]]
    categories = [category.id for category in forum.categories]
    sizes_of_threads = [sizes.long_thread]
    left = sizes.posts - (sizes.long_thread + 1)
    while left > 0:
        replies = min(rng.randrange(0, 41), left - 1)
        sizes_of_threads.append(replies)
        left -= replies + 1
    started = now - timedelta(days=24)
    span = int((now - timedelta(hours=1) - started).total_seconds())
    openings = sorted(started + timedelta(seconds=rng.randrange(span)) for _ in sizes_of_threads)
    openings[0] = started  # the long thread is the oldest: its replies fill the weeks since
    threads = [{"forum_id": forum.id, "category_id": categories[n % len(categories)],
                "author_id": authors[rng.randrange(len(authors))], "kind": "question" if n % 3 else "discussion",
                "title": f"{TITLES[n % len(TITLES)]} ({n + 1})" if n else "Présentez-vous : qui êtes-vous, d’où venez-vous ?",
                "state": "open", "state_reason": "", "pinned": False, "is_announcement": False,
                "opening_state": PostState.PUBLISHED.value, "accepted_post_id": None, "reply_count": 0,
                "has_staff_reply": False, "last_post_id": 0, "last_post_at": opening, "created_at": opening}
               for n, opening in enumerate(openings)]
    thread_ids = load.insert(ForumThread, threads, returning=ForumThread.id)
    rendered = {sentence: str(render_markdown(sentence)) for sentence in SENTENCES}
    plain = {sentence: forum_services._plain_text(html) for sentence, html in rendered.items()}

    def posts():
        for thread_id, thread, replies in zip(thread_ids, threads, sizes_of_threads):
            gap = (now - thread["created_at"]) / (replies + 2)
            for number in range(replies + 1):
                sentence = SENTENCES[rng.randrange(len(SENTENCES))]
                staff_post = number > 0 and rng.random() < 0.05
                opening = number == 0
                yield {"thread_id": thread_id, "parent_id": None,
                       "author_id": staff["trainer"] if staff_post else (thread["author_id"] if opening else
                                                                         authors[rng.randrange(len(authors))]),
                       "is_opening": opening, "submission_key": None, "author_is_staff": staff_post,
                       "body": sentence, "body_html": rendered[sentence],
                       "search_text": f"{thread['title']}\n{plain[sentence]}" if opening else plain[sentence],
                       "created_at": thread["created_at"] + gap * number, "edited_at": None,
                       "state": PostState.PUBLISHED.value, "hidden_reason": ""}

    sqlite = db.engine.dialect.name == "sqlite"
    stems = {}
    for batch in _batches(posts(), load.chunk):
        ids = db.session.execute(sa.insert(ForumPost.__table__).returning(ForumPost.__table__.c.id,
                                                                          sort_by_parameter_order=True), batch).scalars().all()
        if sqlite:  # what forum.services._index writes for each post: its French stems in the FTS5 table
            db.session.execute(sa.text(f"INSERT INTO {search.FTS_TABLE} (rowid, stems) VALUES (:id, :stems)"), [
                {"id": post_id, "stems": stems.get(row["search_text"]) or stems.setdefault(
                    row["search_text"], " ".join(search.stems(row["search_text"])))} for post_id, row in zip(ids, batch)])
        db.session.commit()
    _refresh_thread_counts(forum.id)


def _refresh_thread_counts(forum_id: int) -> None:
    """forum.services.refresh_thread_counts for every thread of the forum, in one UPDATE."""
    post = ForumPost.__table__.alias("post")
    threads = ForumThread.__table__
    visible = sa.and_(post.c.thread_id == threads.c.id, post.c.state == PostState.PUBLISHED.value)
    replies = sa.and_(visible, post.c.is_opening.is_(False))
    db.session.execute(sa.update(threads).where(threads.c.forum_id == forum_id).values(
        reply_count=sa.select(sa.func.count()).where(replies).scalar_subquery(),
        has_staff_reply=sa.exists().where(replies, post.c.author_is_staff.is_(True)),
        last_post_id=sa.select(sa.func.coalesce(sa.func.max(post.c.id), 0)).where(visible).scalar_subquery(),
        last_post_at=sa.select(sa.func.max(post.c.created_at)).where(visible).scalar_subquery(),
    ))
    db.session.commit()


APPLICATION_ANSWERS = {
    "job_title": "Cheffe de projet", "situation": "creator", "product_name": "Simulateur de droits",
    "problem": "Chaque année, des centaines d’usagers renoncent à un droit faute de savoir qu’il existe.",
    "solution": "Un simulateur qui dit en deux minutes à quoi l’on a droit.",
    "first_users": "Les travailleurs sociaux d’un département pilote.",
    "motivation": "Je reçois ces usagers chaque semaine.", "needs": "", "consent_guide": True, "consent_share": True,
}


def _applications(load: Loader, cohort: Cohort, user_ids: list[int], staff: dict, rng: random.Random,
                  now: datetime) -> None:
    """Mostly submitted; a waiting list in order; the seats offered or confirmed (never more than the session
    has); some rejected or withdrawn. Each scored by none to all of the reviewers."""
    seats = cohort.seats
    open_for = int((now - cohort.applications_open_at).total_seconds())
    rows = []
    waitlisted = 0
    for index, user_id in enumerate(user_ids):
        if index < seats // 2:
            state = ApplicationState.CONFIRMED
        elif index < seats:
            state = ApplicationState.ACCEPTED
        else:
            state = rng.choices([ApplicationState.SUBMITTED, ApplicationState.WAITLISTED, ApplicationState.REJECTED,
                                 ApplicationState.WITHDRAWN], weights=[70, 15, 10, 5])[0]
        submitted = cohort.applications_open_at + timedelta(seconds=rng.randrange(open_for))
        decided = state not in (ApplicationState.SUBMITTED, ApplicationState.WITHDRAWN)
        waitlisted += state == ApplicationState.WAITLISTED
        rows.append({
            "cohort_id": cohort.id, "user_id": user_id, "state": state.value, "anonymised_at": None,
            "first_name": "Apprenant", "last_name": str(index), "administration": "Ministère de la charge",
            "administration_type": "etat", "departement": f"{1 + index % 95:02d}", **APPLICATION_ANSWERS,
            "submitted_at": submitted, "decided_at": now if decided else None,
            "offer_expires_at": now + timedelta(days=7) if state == ApplicationState.ACCEPTED else None,
            "confirmed_at": now if state == ApplicationState.CONFIRMED else None,
            "offer_reminder_sent_at": None, "session_reminder_sent_at": None, "calendar_sent_at": None,
            "waitlist_position": waitlisted if state == ApplicationState.WAITLISTED else None,
            "rejection_reason": "Le projet ne correspond pas à cette session." if state == ApplicationState.REJECTED else "",
            "attended": None, "created_at": submitted, "updated_at": now})
    ids = load.insert(CohortApplication, rows, returning=CohortApplication.id)
    load.insert(StateChange, ({"subject_type": "cohort_applications", "subject_id": application_id, "from_state": None,
                               "to_state": row["state"], "actor_id": row["user_id"], "reason": "",
                               "created_at": row["submitted_at"]} for application_id, row in zip(ids, rows)))
    load.insert(ApplicationReview, (
        {"application_id": application_id, "reviewer_id": reviewer, "problem_score": rng.randrange(6),
         "motivation_score": rng.randrange(6), "solution_score": rng.randrange(6), "comment": "",
         "created_at": now, "updated_at": now}
        for application_id in ids for reviewer in staff["reviewers"][:rng.randrange(len(staff["reviewers"]) + 1)]))


def _sheet_content(index: int, today: date) -> dict:
    """A fiche produit that can be sent: its name, every part answered, two indicators, dated milestones."""
    content = {key: f"Réponse {index} : {key}" for key, blank in empty_content().items() if isinstance(blank, str)}
    content.update(name=f"Produit {index}", s5_urls="https://exemple.beta.gouv.fr/", thematiques="solidarité",
                   usertypes=["particulier"],
                   indicators=[{"name": f"Indicateur {n}", "baseline": "10", "target": "100"} for n in (1, 2)],
                   milestones=[{"title": f"Jalon {n}", "due_on": (today + timedelta(days=30 * n)).isoformat(),
                                "priority": str(n)} for n in (1, 2, 3)])
    return clean_content(content, today)


def _sheets(load: Loader, enrolments: list[dict], staff: dict, rng: random.Random, now: datetime) -> None:
    """One fiche per learner among the first ones: a good share sent for review (the trainers' queue is full),
    some in review, sent back or approved, the rest drafts. Versions: the empty one create_sheet saves, then
    the saves of the filled text."""
    today = now.date()
    states = rng.choices([SheetState.DRAFT, SheetState.SUBMITTED, SheetState.IN_REVIEW, SheetState.CHANGES_REQUESTED,
                          SheetState.APPROVED], weights=[15, 55, 10, 12, 8], k=len(enrolments))
    versions_of = [rng.randrange(2, 5) for _ in enrolments]
    sheets = []
    for index, (enrolment, state) in enumerate(zip(enrolments, states)):
        sent = state != SheetState.DRAFT
        submitted = now - timedelta(hours=rng.randrange(1, 24 * 20)) if sent else None
        sheets.append({
            "owner_id": enrolment["user_id"], "state": state.value, "title": f"Produit {index}",
            "current_version": versions_of[index], "enrolment_id": enrolment["id"], "application_id": None,
            "submitted_at": submitted, "claimed_by_id": staff["trainer"] if state == SheetState.IN_REVIEW else None,
            "claimed_at": now if state == SheetState.IN_REVIEW else None,
            "approved_at": now if state == SheetState.APPROVED else None, "reminder_sent_at": None,
            "roadmap_reminders_sent": 0, "launched_on": None, "created_at": now - timedelta(days=20), "updated_at": now})
    ids = load.insert(ProductSheet, sheets, returning=ProductSheet.id)
    contents = [_sheet_content(index, today) for index in range(len(sheets))]
    load.insert(SheetVersion, (
        {"sheet_id": sheet_id, "number": number, "content": empty_content() if number == 1 else contents[index],
         "author_id": sheet["owner_id"], "saved_at": now - timedelta(days=20) + timedelta(hours=number)}
        for index, (sheet_id, sheet) in enumerate(zip(ids, sheets)) for number in range(1, sheet["current_version"] + 1)))
    reviewed = [(sheet_id, sheet) for sheet_id, sheet in zip(ids, sheets)
                if sheet["state"] in (SheetState.CHANGES_REQUESTED, SheetState.APPROVED)]
    load.insert(SheetReview, ({"sheet_id": sheet_id, "reviewer_id": staff["trainer"],
                               "version_number": sheet["current_version"], "verdict": sheet["state"],
                               "overall_comment": "Une fiche claire et chiffrée.", "section_comments": {},
                               "scores": {"positioning": 4}, "created_at": now} for sheet_id, sheet in reviewed))
    load.insert(SheetMilestone, ({"sheet_id": sheet_id, "position": position, "title": milestone["title"],
                                  "due_on": date.fromisoformat(milestone["due_on"]), "status": "todo", "done_on": None}
                                 for sheet_id, sheet in zip(ids, sheets) if sheet["state"] == SheetState.APPROVED
                                 for position, milestone in enumerate(contents[0]["milestones"][:3], start=1)))
    # What the sheets domain tells the course (record_sheet_parts, record_sheet_sent): every part answered,
    # and since when a fiche is sent (a draft has none).
    load.insert(EnrolmentSheetPart, ({"enrolment_id": sheet["enrolment_id"], "sequence_number": part.sequence,
                                      "answered_at": now - timedelta(days=19)} for sheet in sheets for part in PARTS))
    table = Enrolment.__table__
    statement = sa.update(table).where(table.c.id == sa.bindparam("key")).values(sheet_sent_at=sa.bindparam("sent"))
    for batch in _batches(({"key": sheet["enrolment_id"], "sent": sheet["submitted_at"]} for sheet in sheets
                           if sheet["submitted_at"] is not None), load.chunk):
        db.session.connection().execute(statement, batch)
        db.session.commit()


def _recompute_derived(run: CourseRun) -> None:
    """Derived data the services keep up to date as each row is written, recomputed once after the bulk load
    (rows inserted here never went through those services): the MOOC dashboard's counts, the applications'
    evaluation totals. The other columns are written consistent as the rows go in. On PostgreSQL the planner
    is also given statistics, as autovacuum would after such a load.
    """
    courses.recompute_dashboard(run)
    cohorts.refresh_review_totals()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE"))


@dataclass
class Targets:
    """What the benchmark opens: the generated run, session, forum and a few rows of each kind."""

    course_slug: str
    run_slug: str
    run_id: int
    cohort_slug: str
    cohort_id: int
    forum_id: int
    long_thread_id: int
    long_thread_replies: int
    long_thread_pages: int
    item_key: str
    attestation_code: str | None
    learners: int
    applications: int
    sheets: int


def targets() -> Targets:
    from beta_training.forum.queries import REPLIES_PER_PAGE

    run = db.session.scalar(sa.select(CourseRun).where(CourseRun.slug == RUN_SLUG))
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.slug == COHORT_SLUG))
    forum = db.session.scalar(sa.select(Forum).where(Forum.course_run_id == run.id))
    thread = db.session.scalar(sa.select(ForumThread).where(ForumThread.forum_id == forum.id)
                               .order_by(ForumThread.reply_count.desc(), ForumThread.id).limit(1))
    video = db.session.scalar(sa.select(CourseItem.key).where(CourseItem.course_id == run.course_id,
                                                              CourseItem.kind == ItemKind.VIDEO).order_by(CourseItem.id).limit(1))
    code = db.session.scalar(sa.select(Enrolment.attestation_code).where(
        Enrolment.run_id == run.id, Enrolment.attestation_code.is_not(None)).order_by(Enrolment.id).limit(1))
    count = lambda model, *where: db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))  # noqa: E731
    return Targets(course_slug=run.course.slug, run_slug=run.slug, run_id=run.id, cohort_slug=cohort.slug,
                   cohort_id=cohort.id, forum_id=forum.id, long_thread_id=thread.id,
                   long_thread_replies=thread.reply_count,
                   long_thread_pages=max(1, -(-thread.reply_count // REPLIES_PER_PAGE)), item_key=video,
                   attestation_code=code, learners=count(Enrolment, Enrolment.run_id == run.id),
                   applications=count(CohortApplication, CohortApplication.cohort_id == cohort.id),
                   sheets=count(ProductSheet))


@dataclass(frozen=True)
class Page:
    label: str
    role: str  # "anonymous", or a key of STAFF_EMAILS
    url: str
    group: str  # which target of issue #16 it answers to: anonymous, learner, trainer, dashboard


def key_pages(t: Targets) -> list[Page]:
    """The pages the load benchmark measures, each as the role that opens it. The item is a video: opening a
    text or resource item records its completion (a GET that writes), which a load test would turn into a
    write benchmark."""
    mooc = f"/mooc/{t.course_slug}"
    learn = f"{mooc}/{t.run_slug}"
    thread = f"/forum/{t.forum_id}/sujets/{t.long_thread_id}"
    return [
        Page("home", "anonymous", "/", "anonymous"),
        Page("Alpha session page", "anonymous", f"/alpha/{t.cohort_slug}", "anonymous"),
        Page("MOOC presentation", "anonymous", f"{mooc}?run={t.run_slug}", "anonymous"),
        Page("attestation verification", "anonymous", f"/mooc/attestations/{t.attestation_code}", "anonymous"),
        Page("MOOC outline", "learner", f"{mooc}?run={t.run_slug}", "learner"),
        Page("MOOC item (video)", "learner", f"{learn}/contenu/{t.item_key}", "learner"),
        Page("progress", "learner", f"{learn}/progression", "learner"),
        Page("forum thread list", "learner", f"/forum/{t.forum_id}", "learner"),
        Page(f"thread of {t.long_thread_replies:,} replies, page 1", "learner", thread, "learner"),
        Page(f"thread of {t.long_thread_replies:,} replies, last page", "learner", f"{thread}?page={t.long_thread_pages}",
             "learner"),
        Page(f"Alpha review queue, {t.applications:,} applications", "trainer",
             f"/alpha/gestion/{t.cohort_id}/candidatures", "trainer"),
        Page(f"fiche review queue, {t.sheets:,} fiches", "trainer", "/fiches/relecture", "trainer"),
        Page(f"MOOC dashboard, {t.learners:,} learners", "trainer", f"/mooc/gestion/sessions/{t.run_id}/tableau-de-bord",
             "dashboard"),
    ]
