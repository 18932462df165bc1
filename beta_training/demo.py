"""Demo content from beta.gouv.fr's own training material. Idempotent: a second run changes nothing."""

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from beta_training.accounts import services as accounts
from beta_training.accounts.models import Role, User
from beta_training.cohorts import services as cohorts
from beta_training.cohorts.models import Cohort, CohortFormat, CohortStatus, SpeakerRole
from beta_training.courses import services as courses
from beta_training.config import ROOT
from beta_training.core.models import PARIS
from beta_training.extensions import db

DEMO_PASSWORD = "beta-training-demo"  # printed in the README; seeding is refused in production

DEMO_ACCOUNTS = [
    # email, first name, last name, roles
    ("admin@demo.beta.gouv.fr", "Alex", "Admin", [Role.ADMIN]),
    ("formatrice@demo.beta.gouv.fr", "Fatou", "Formatrice", [Role.TRAINER]),
    ("responsable@demo.beta.gouv.fr", "Rachel", "Responsable", [Role.COURSE_LEAD, Role.TRAINER]),
    ("agent@demo.beta.gouv.fr", "Agnès", "Agent", []),
]

MOOC_SLUG = "creer-des-services-publics-numeriques-innovants"


def paris(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A Paris wall-clock time as an aware UTC datetime (how every date-time is stored)."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def seed_accounts() -> None:
    for email, first_name, last_name, roles in DEMO_ACCOUNTS:
        user = accounts.get_user_by_email(email)
        if user is None:
            user = accounts.create_user(
                email=email,
                password=DEMO_PASSWORD,
                first_name=first_name,
                last_name=last_name,
                confirmed=True,
                administration="beta.gouv.fr (démo)",
                administration_type="etat",
                departement="75",
            )
        for role in roles:
            accounts.grant_role(user, role, actor=None)


def _speaker(name: str, role: SpeakerRole) -> dict:
    return {"name": name, "role": role, "organisation": "beta.gouv.fr"}


def seed_alpha(today: date) -> None:
    first = cohorts.upsert_cohort(
        slug="alpha-1",
        title="Formation Alpha — 1re édition",
        edition=1,
        starts_on=date(2017, 11, 7),
        ends_on=date(2017, 11, 9),
        daily_hours="de 9h à 18h",
        format=CohortFormat.IN_PERSON,
        place_name="La Fabrique Pôle emploi",
        address="Paris",
        seats=28,
        practical_info="Trois jours pour 28 acteurs de l'innovation du secteur public, avec 14 intervenant·es.",
        applications_open_at=paris(date(2017, 10, 2)),
        applications_close_at=paris(date(2017, 10, 23)),
        status=CohortStatus.ARCHIVED,
    )
    day1, day2, day3 = (date(2017, 11, 7), date(2017, 11, 8), date(2017, 11, 9))
    cohorts.replace_programme(
        first,
        [
            {"day": day1, "starts_at": time(9, 30), "ends_at": time(12, 30),
             "title": "Écouter ses utilisateurs tout le temps",
             "speakers": [_speaker("Camille Coach (démo)", SpeakerRole.COACH),
                          _speaker("Inès Intrapreneure (démo)", SpeakerRole.INTRAPRENEUR)]},
            {"day": day1, "starts_at": time(14, 0), "ends_at": time(17, 30),
             "title": "Comment trouver son premier client",
             "speakers": [_speaker("Bastien Bizdev (démo)", SpeakerRole.BIZDEV)]},
            {"day": day2, "starts_at": time(9, 30), "ends_at": time(12, 30),
             "title": "Comment faire de l'industriel en mode artisanal",
             "speakers": [_speaker("Dominique Développeuse (démo)", SpeakerRole.DEVELOPER),
                          _speaker("Camille Coach (démo)", SpeakerRole.COACH)]},
            {"day": day3, "starts_at": time(9, 30), "ends_at": time(12, 30),
             "title": "Survivre en milieu hostile",
             "speakers": [_speaker("Sacha Sponsor (démo)", SpeakerRole.SPONSOR),
                          _speaker("Inès Intrapreneure (démo)", SpeakerRole.INTRAPRENEUR)]},
        ],
    )
    second = cohorts.upsert_cohort(
        slug="alpha-2",
        title="Formation Alpha — 2e édition",
        edition=2,
        starts_on=date(2018, 2, 6),
        ends_on=date(2018, 2, 7),
        daily_hours="de 9h à 18h",
        format=CohortFormat.IN_PERSON,
        place_name="Paris",
        address="Paris",
        seats=28,
        practical_info="Deux jours de formation.",
        applications_open_at=paris(date(2018, 1, 8)),
        applications_close_at=paris(date(2018, 1, 26)),
        status=CohortStatus.ARCHIVED,
    )
    cohorts.replace_programme(
        second,
        [
            {"day": date(2018, 2, 6), "starts_at": time(9, 0), "ends_at": time(12, 30),
             "title": "Résoudre les problèmes des usagers",
             "speakers": [_speaker("Camille Coach (démo)", SpeakerRole.COACH)]},
            {"day": date(2018, 2, 7), "starts_at": time(9, 0), "ends_at": time(12, 30),
             "title": "Mesurer son impact dans le réel",
             "speakers": [_speaker("Inès Intrapreneure (démo)", SpeakerRole.INTRAPRENEUR)]},
        ],
    )
    # An upcoming session, open for applications today, so the demo can be used end to end.
    starts_on = today + timedelta(days=30)
    upcoming = cohorts.upsert_cohort(
        slug="alpha-demo",
        title="Formation Alpha — session de démonstration",
        edition=35,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=1),
        daily_hours="de 9h à 18h",
        format=CohortFormat.IN_PERSON,
        place_name="CNFPT Paris",
        address="Paris 12e",
        seats=28,
        practical_info=(
            "Déjeuner pris en charge pour tous. Dîner, hôtel et transports uniquement "
            "pour les agents publics territoriaux."
        ),
        applications_open_at=paris(today - timedelta(days=7)),
        applications_close_at=paris(today + timedelta(days=14), 23, 59),
        status=CohortStatus.PUBLISHED,
    )
    cohorts.replace_programme(
        upcoming,
        [
            {"day": starts_on, "starts_at": time(9, 0), "ends_at": time(12, 30),
             "title": "Écouter ses utilisateurs tout le temps",
             "speakers": [_speaker("Camille Coach (démo)", SpeakerRole.COACH)]},
            {"day": starts_on, "starts_at": time(14, 0), "ends_at": time(18, 0),
             "title": "Comment trouver son premier client",
             "speakers": [_speaker("Bastien Bizdev (démo)", SpeakerRole.BIZDEV)]},
            {"day": starts_on + timedelta(days=1), "starts_at": time(9, 0), "ends_at": time(12, 30),
             "title": "Survivre en milieu hostile",
             "speakers": [_speaker("Sacha Sponsor (démo)", SpeakerRole.SPONSOR)]},
        ],
    )


DEMO_APPLICANTS = [
    # email, first name, last name, administration, type, département, state of the application
    ("candidat1@demo.beta.gouv.fr", "Yasmine", "Benali", "Ville de Lyon", "collectivite", "69", "submitted"),
    ("candidat2@demo.beta.gouv.fr", "Thomas", "Leroy", "DDETS du Nord", "etat", "59", "submitted"),
    ("candidat3@demo.beta.gouv.fr", "Nadia", "Moreau", "Pôle emploi", "operateur", "33", "waitlisted"),
]

DEMO_ANSWERS = dict(
    job_title="Cheffe de projet (démo)",
    situation="creator",
    problem="Chaque année, des centaines d’usagers renoncent à un droit faute de savoir qu’il existe (réponse de démonstration).",
    solution="Un simulateur qui dit en deux minutes à quoi l’on a droit.",
    first_users="Les travailleurs sociaux d’un département pilote.",
    motivation="Je reçois ces usagers chaque semaine.",
    consent_guide=True,
    consent_share=True,
)


def seed_applications() -> None:
    """A few applications to the demo session, so the trainers' queue is not empty. Created once."""
    from beta_training.cohorts import queries as cohort_queries
    from beta_training.cohorts.models import CohortApplication

    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.slug == "alpha-demo"))
    for position, (email, first_name, last_name, administration, kind, departement, state) in enumerate(DEMO_APPLICANTS, 1):
        user = accounts.get_user_by_email(email) or accounts.create_user(
            email=email, password=DEMO_PASSWORD, first_name=first_name, last_name=last_name, confirmed=True,
            administration=administration, administration_type=kind, departement=departement,
        )
        if cohort_queries.get_application_for(cohort, user) is not None:
            continue
        db.session.add(CohortApplication(
            cohort_id=cohort.id, user_id=user.id, state=state, first_name=first_name, last_name=last_name,
            administration=administration, administration_type=kind, departement=departement,
            submitted_at=cohort.applications_open_at, waitlist_position=position if state == "waitlisted" else None,
            **DEMO_ANSWERS,
        ))
    db.session.flush()


MOOC_FOLDER = ROOT / "content" / "courses" / MOOC_SLUG


def seed_mooc(today: date) -> None:
    """The course comes from its content folder (as `flask courses import` would load it), with the run of
    2018 as it was (registration 1 Oct → 15 Nov, access 15 Oct → 30 Nov 2018, Paris time), now over; beside
    it, a demonstration run open today."""
    from beta_training.courses.content import import_course

    course = import_course(MOOC_FOLDER)
    # The same windows as in 2018, shifted so that today is 26 October (registration and access both open).
    shift = today - date(today.year, 10, 26)
    registration_opens = date(today.year, 10, 1) + shift
    access_starts = date(today.year, 10, 15) + shift
    courses.upsert_run(
        course,
        slug="session-demo",
        name="Session de démonstration",
        registration_opens_at=paris(registration_opens),
        registration_closes_at=paris(registration_opens + timedelta(days=45)),
        access_starts_at=paris(access_starts),
        access_ends_at=paris(access_starts + timedelta(days=46)),
    )


def seed_forum() -> None:
    """The demo run's forum: Agnès (enrolled) asks the course lead, who answers; an announcement; a discussion
    in « Séquence 2 : Trouver ses premiers utilisateurs ». Written once: a forum that already has threads is left as it is."""
    from beta_training.courses.models import CourseRun
    from beta_training.forum import services as forum_services
    from beta_training.forum.models import ForumThread

    run = db.session.scalar(sa.select(CourseRun).where(CourseRun.slug == "session-demo"))
    agent = db.session.scalar(sa.select(User).where(User.email == "agent@demo.beta.gouv.fr"))
    lead = db.session.scalar(sa.select(User).where(User.email == "responsable@demo.beta.gouv.fr"))
    courses.enrol(run, agent, invited=True)
    forum = forum_services.forum_for_run(run)
    if db.session.scalar(sa.select(sa.exists().where(ForumThread.forum_id == forum.id))):
        return
    lead_questions, general = forum.categories[0], forum.categories[1]
    first_users = next(c for c in forum.categories if c.sequence_id == _sequence_id(run.course_id, number=2))
    forum_services.start_thread(
        forum, lead, category_id=general.id, kind="discussion", announcement=True,
        title="Bienvenue dans le forum de la session",
        body="Posez ici vos questions à tout moment : je réponds dans la journée.\n\n"
             "- **Questions à la responsable de la formation** : ce qui bloque votre projet ;\n"
             "- **Général** : tout le reste ;\n- une catégorie par séquence pour en discuter.\n\nRachel")
    question = forum_services.start_thread(
        forum, agent, category_id=lead_questions.id, kind="question",
        title="Faut-il un développeur dès le début ?",
        body="Ma direction me demande un budget de développement avant même d'avoir rencontré des usagers. "
             "Comment présenter la démarche autrement ?")
    answer = forum_services.reply(
        question, lead,
        body="Non : commencez par faire le service **à la main** pour quelques usagers (formulaire, tableur, "
             "téléphone). C'est le sujet de la séquence 5. Vous arriverez au comité avec des usagers servis, "
             "pas seulement un besoin supposé.")
    forum_services.accept_answer(question, agent, answer)
    forum_services.start_thread(
        forum, agent, category_id=first_users.id, kind="discussion",
        title="Vos premiers usagers, vous les avez trouvés où ?",
        body="Pour ma part : au guichet, en passant une matinée avec les agents d'accueil. Et vous ?")


def _sequence_id(course_id: int, *, number: int) -> int:
    from beta_training.courses.models import CourseModule, Sequence

    return db.session.scalar(sa.select(Sequence.id).join(CourseModule)
                             .where(CourseModule.course_id == course_id, Sequence.number == number))


def seed_demo(today: date | None = None) -> None:
    today = today or date.today()
    seed_accounts()
    seed_alpha(today)
    seed_applications()
    seed_mooc(today)
    seed_forum()


def demo_users() -> list[User]:
    emails = [email for email, *_ in DEMO_ACCOUNTS]
    return list(db.session.scalars(sa.select(User).where(User.email.in_(emails))))
