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
    ("intrapreneure@demo.beta.gouv.fr", "Inès", "Intrapreneure", []),
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


# Fixed-date public holidays (France): no demo session falls on one.
PUBLIC_HOLIDAYS = {(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)}


def upcoming_session_start(today: date) -> date:
    """About a month away, on a Tuesday as the first Alpha (7 November 2017), its two days working days."""
    day = today + timedelta(days=28)
    while day.weekday() != 1 or {(d.month, d.day) for d in (day, day + timedelta(days=1))} & PUBLIC_HOLIDAYS:
        day += timedelta(days=1)
    return day


def seed_alpha(today: date) -> None:
    first = cohorts.upsert_cohort(
        slug="alpha-1",
        title="Formation Alpha — 1re édition",
        edition=1,
        starts_on=date(2017, 11, 7),
        ends_on=date(2017, 11, 9),
        day_starts_at=time(9, 0), day_ends_at=time(18, 0),
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
             "title": "Comment faire de l’industriel en mode artisanal",
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
        day_starts_at=time(9, 0), day_ends_at=time(18, 0),
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
    starts_on = upcoming_session_start(today)
    upcoming = cohorts.upsert_cohort(
        slug="alpha-demo",
        title="Formation Alpha — session de démonstration",
        edition=35,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=1),
        day_starts_at=time(9, 0), day_ends_at=time(18, 0),
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
    it, a demonstration run open today, whose quizzes need 70 % to complete the course."""
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
        signatory_name="Rachel Responsable",  # the demo's course lead signs its attestations
        signatory_role="Responsable de la formation, beta.gouv.fr",
        quiz_pass_mark=70,  # the quizzes count: 70 % of right answers each, the best attempt kept
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


# Agnès's fiche produit, written sequence by sequence (our words), sent, and read by Fatou who comments on
# the third part.
DEMO_SHEET = {
    "name": "Cantine à 1 €",
    "pitch": "Permettre aux familles modestes d’obtenir le tarif social de la cantine en deux minutes, sans dossier "
             "papier, afin qu’aucun enfant ne déjeune plus seul chez lui faute de tarif adapté.",
    "s1_problem": "Chaque année, dans notre département, environ 4 000 familles qui y ont droit ne demandent pas le tarif "
                  "social de la cantine : le dossier papier réclame six justificatifs et un passage en mairie aux heures "
                  "de bureau. Leurs enfants rentrent déjeuner seuls ou la famille paie le plein tarif, jusqu’à 600 € par an.",
    "s1_solution": "« Cantine à 1 € » calcule le tarif d’une famille à partir de son quotient familial, avec son accord, et "
                   "l’inscrit directement au bon tarif. La règle ancienne « un justificatif par ressource » cède la place "
                   "à une information que la CAF connaît déjà.",
    "s1_deployment": "Rencontrer dix familles et trois secrétaires de mairie\n"
                     "Ouvrir un formulaire en ligne dans deux communes pilotes\n"
                     "Inscrire les cinquante premières familles au tarif social\n"
                     "Étendre le service aux vingt communes de la communauté de communes",
    "s1_partners": "Les centres sociaux de Bellecombe et de Saint-Aubin, qui voient ces familles chaque semaine et perdent "
                   "des heures à remplir les dossiers avec elles ; les deux mairies pilotes, dont les agents d’accueil "
                   "ressaisissent tout à la main.",
    "s1_scale_up": "Prouver d’abord, sur deux communes, que le taux de recours double sans coût de gestion supplémentaire. "
                   "Puis proposer le service à toutes les communes du département avec l’association des maires, et à "
                   "terme aux autres départements par une convention nationale avec la CNAF.",
    "s2_first_users": "Les 120 familles suivies par les deux centres sociaux pilotes dont les enfants sont scolarisés en "
                      "primaire et qui ne bénéficient pas encore du tarif social.",
    "s2_reach": "Par les travailleurs sociaux des centres, qu’elles connaissent et en qui elles ont confiance, et par un mot "
                "glissé dans le cahier de liaison des écoles. Le message : « Votre enfant peut manger à la cantine pour "
                "1 €. Deux minutes sur votre téléphone suffisent. »",
    "s2_open_lab": "Un goûter à la sortie de l’école, un téléphone prêté pour essayer, et la promesse que leurs remarques "
                   "changeront le service dès la semaine suivante.",
    "s3_impact": "Avant : un dossier de six pièces, trois semaines d’attente, un tarif plein en attendant. Après : deux "
                 "minutes en ligne, le bon tarif dès le lundi suivant.",
    "s3_first_checks": "Appeler dix familles inscrites pour savoir ce qui a changé pour elles\n"
                       "Passer une matinée à l’accueil de chaque mairie pilote\n"
                       "Compter les inscriptions au tarif social avec le service des écoles",
    "s3_measures": "Taux de recours au tarif social dans les communes couvertes\n"
                   "Délai entre la demande et le premier repas au bon tarif\n"
                   "Heures de ressaisie économisées par les mairies",
    "s4_worst_case": "La CNIL ou le service juridique de la CAF bloque la consultation du quotient familial, et les mairies "
                     "pilotes retournent au dossier papier.",
    "s4_small_actions": "Rencontrer le délégué à la protection des données dès le premier mois ; garder une voie sans "
                        "consultation (l’attestation CAF téléversée) ; tenir les élus informés chaque mois avec trois "
                        "chiffres.",
    "s5_tool": "Un formulaire en ligne relié à un tableur : la famille saisit son numéro d’allocataire et son accord, un "
               "agent vérifie le quotient et renvoie le tarif par SMS. Il teste l’hypothèse dont tout dépend : les familles "
               "font-elles la démarche quand elle prend deux minutes ?",
    "s5_urls": "https://cantine-a-1-euro.example.org/",
    "indicators": [{"name": "Familles inscrites au tarif social dans les communes pilotes", "baseline": "35", "target": "150"},
                   {"name": "Délai entre la demande et le bon tarif", "baseline": "21 jours", "target": "3 jours"},
                   {"name": "", "baseline": "", "target": ""}],
    "usertypes": ["particulier", "collectivite-territoriale"],
    "thematiques": "éducation, solidarité",
}
DEMO_REVIEW_COMMENT = ("Vos trois façons de vérifier les premiers succès sont très concrètes. Pour les mesures à deux ans, "
                       "donnez un point de départ : combien de familles ont le tarif social aujourd’hui dans les "
                       "communes pilotes ?")


def seed_sheet(today: date) -> None:
    """Agnès's fiche produit for the demo run, in the structure of the course (a part per sequence), sent for
    review; Fatou asks for a change on the part of sequence 3. Written once: a fiche already linked to her
    enrolment is left as it is."""
    from beta_training.courses import queries as course_queries
    from beta_training.courses.models import CourseRun
    from beta_training.sheets import queries as sheet_queries
    from beta_training.sheets import services as sheets
    from beta_training.sheets.models import SheetState

    run = db.session.scalar(sa.select(CourseRun).where(CourseRun.slug == "session-demo"))
    agent = accounts.get_user_by_email("agent@demo.beta.gouv.fr")
    trainer = accounts.get_user_by_email("formatrice@demo.beta.gouv.fr")
    enrolment = course_queries.get_enrolment(run, agent)
    if sheet_queries.sheet_for_enrolment(enrolment.id, agent.id) is not None:
        return
    milestones = [
        ("Dix familles et trois secrétaires de mairie rencontrées", 30, "1"),
        ("Formulaire en ligne ouvert dans deux communes pilotes", 60, "1"),
        ("Cinquante familles inscrites au tarif social", 120, "2"),
        ("Décision d’extension aux vingt communes", 180, "3"),
    ]
    content = {**DEMO_SHEET, "milestones": [
        {"title": title, "due_on": (today + timedelta(days=days)).isoformat(), "priority": priority}
        for title, days, priority in milestones] + [{"title": "", "due_on": "", "priority": ""}] * 2}
    sheet = sheets.create_sheet(agent, enrolment_id=enrolment.id)
    sheets.save_version(sheet, author=agent, content=content, base_version=sheet.current_version)
    sheets.submit_sheet(sheet, actor=agent)
    sheets.claim_sheet(sheet, reviewer=trainer)
    sheets.review_sheet(
        sheet, reviewer=trainer, verdict=SheetState.CHANGES_REQUESTED,
        overall_comment="Une fiche claire et chiffrée. Un point à préciser avant validation.",
        section_comments={"s3": DEMO_REVIEW_COMMENT},
        scores={"positioning": "4", "expected_utility": "5", "indicators": "3", "roadmap_realism": "4", "go_to_market": "4"},
    )


DEMO_CALL_GUIDE = """L’incubateur cherche des agents publics qui veulent résoudre un problème qu’ils connaissent de
l’intérieur, avec un service numérique construit en équipe autonome.

## Le calendrier

1. Le formulaire est ouvert deux semaines.
2. L’équipe de l’incubateur pré-sélectionne une douzaine de projets et leur propose une **session express de
   coaching**.
3. Les projets pré-sélectionnés pitchent devant un jury (3 minutes de présentation, 5 minutes de questions).

## Ce que nous offrons aux lauréats

Six mois d’investigation avec un coach, un budget pour constituer une petite équipe, et l’appui du réseau
beta.gouv.fr. Une personne peut déposer plusieurs projets.
"""

DEMO_DOSSIERS = [
    # candidate, title, problem, average scores by Fatou
    ("candidat1@demo.beta.gouv.fr", "Cantine pour tous",
     "Chaque année, des centaines de familles lyonnaises ne demandent pas le tarif social de la cantine : le "
     "dossier papier demande six justificatifs.", (5, 4, 4)),
    ("candidat2@demo.beta.gouv.fr", "Mon insertion en un clic",
     "Chaque année, 3 000 personnes accompagnées par la DDETS du Nord attendent plus d’un mois un premier rendez-vous.",
     (4, 4, 3)),
    ("candidat3@demo.beta.gouv.fr", "Trouver un stage",
     "Chaque année, des centaines de collégiens de REP ne trouvent pas de stage de troisième dans leur quartier.",
     (3, 3, 2)),
]


def seed_calls(today: date) -> None:
    """Two appels à intrapreneurs: last season's, closed with three dossiers scored by Fatou (to pre-select), and
    this season's, open, where Agnès has started a dossier from her fiche produit. Written once."""
    from beta_training.calls import services as calls
    from beta_training.calls.models import DEFAULT_CRITERIA, Call
    from beta_training.sheets import queries as sheet_queries

    if db.session.scalar(sa.select(Call.id).where(Call.title.like("%(démo)"))) is not None:
        return
    trainer = accounts.get_user_by_email("formatrice@demo.beta.gouv.fr")
    closed = calls.create_call(
        actor=trainer, title="Appel à intrapreneurs d’automne (démo)", incubator="Incubateur des territoires",
        opens_at=paris(today - timedelta(days=30), 9), closes_at=paris(today - timedelta(days=16), 18),
        guide=DEMO_CALL_GUIDE, criteria=list(DEFAULT_CRITERIA), preselect_count=2)
    for email, title, problem, scores in DEMO_DOSSIERS:
        candidate = accounts.get_user_by_email(email)
        dossier = calls.start_dossier(closed, candidate, now=closed.opens_at + timedelta(days=2))
        calls.save_dossier(dossier, actor=candidate, submit=True, now=closed.closes_at - timedelta(days=1), values={
            "title": title, "problem": problem, "solution": "Un service en ligne, simple, testé avec les usagers.",
            "first_users": "Les agents d’accueil de deux sites pilotes et leurs usagers.", "callback": "non",
            "consent_guide": True, "consent_share": True})
        calls.evaluate_dossier(dossier, reviewer=trainer, scores=[
            {"criterion": criterion, "score": score, "comment": ""} for criterion, score in zip(DEFAULT_CRITERIA, scores)])
    current = calls.create_call(
        actor=trainer, title="Appel à intrapreneurs de printemps (démo)", incubator="Incubateur des territoires",
        opens_at=paris(today - timedelta(days=3), 9), closes_at=paris(today + timedelta(days=11), 18),
        guide=DEMO_CALL_GUIDE, criteria=list(DEFAULT_CRITERIA), preselect_count=12)
    agent = accounts.get_user_by_email("agent@demo.beta.gouv.fr")
    sheets = sheet_queries.list_user_sheets(agent)
    calls.start_dossier(current, agent, sheet=sheets[0] if sheets else None)


DEMO_PRODUCT = "Cantine à 1 € – communes pilotes"


def seed_product(today: date) -> None:
    """A product after selection: Inès's approved fiche « Cantine à 1 € – communes pilotes », sponsored by the
    DINUM and the ANCT, incubated at the DINUM; its first comité (20 days ago) moved it from investigation to
    construction, the next one is in six months. Written once: a product of that name is left as it is."""
    from beta_training.products import queries as product_queries
    from beta_training.products import services as products
    from beta_training.products.models import CommitteeDecision, Product, ProductPhase
    from beta_training.sheets import services as sheets
    from beta_training.sheets.models import SheetState

    if db.session.scalar(sa.select(Product.id).where(Product.name == DEMO_PRODUCT)) is not None:
        return
    agent = accounts.get_user_by_email("intrapreneure@demo.beta.gouv.fr")
    trainer = accounts.get_user_by_email("formatrice@demo.beta.gouv.fr")
    admin = accounts.get_user_by_email("admin@demo.beta.gouv.fr")
    milestones = [("Formulaire ouvert dans deux communes pilotes", 40, "1"), ("Cinquante familles au tarif social", 100, "2")]
    content = {**DEMO_SHEET, "name": DEMO_PRODUCT, "milestones": [
        {"title": title, "due_on": (today + timedelta(days=days)).isoformat(), "priority": priority}
        for title, days, priority in milestones] + [{"title": "", "due_on": "", "priority": ""}] * 4}
    sheet = sheets.create_sheet(agent)
    sheets.save_version(sheet, author=agent, content=content, base_version=sheet.current_version)
    sheets.submit_sheet(sheet, actor=agent)
    sheets.claim_sheet(sheet, reviewer=trainer)
    sheets.review_sheet(sheet, reviewer=trainer, verdict=SheetState.APPROVED, overall_comment="Prête pour l’incubateur.",
                        section_comments={}, scores={})
    product = products.create_product(
        sheet, actor=trainer, incubator_name="Incubateur de la DINUM", incubator_id="dinum",
        sponsors=[("Direction interministérielle du numérique", "dinum"), ("Agence nationale de la cohésion des territoires", "anct")],
        members=[("Camille Martin", "Développeuse"), ("Yanis Benali", "Chargé de déploiement")],
        started_on=today - timedelta(days=200))
    indicators = product_queries.indicators_of(product)
    for days, value in ((180, "0"), (120, "35"), (60, "82"), (25, "140")):
        products.record_indicator_value(product, actor=agent, indicator_id=indicators[0].id, value=f"{value} familles",
                                        measured_on=today - timedelta(days=days))
    held_on = today - timedelta(days=20)
    committee = products.schedule_committee(product, actor=trainer, held_on=held_on)
    products.save_file(
        committee, author=agent, base_version=0, team_needs="Un développeur à temps plein et une designer à mi-temps.",
        objectives_reached="Le problème est confirmé : 40 familles rencontrées, 140 inscrites au tarif social en six mois "
                           "dans les deux communes pilotes (objectif : 50).",
        learnings="Les familles utilisent leur téléphone ; les secrétaires de mairie veulent un export pour leur logiciel.",
        priorities=[{"title": "Ouvrir le service aux vingt communes", "expected": "600 familles inscrites"},
                    {"title": "Brancher l’échange avec la CAF", "expected": "Plus aucun justificatif demandé"}],
        budget={"product_management": 60000, "development": 120000, "ux_ui": 40000, "support": 10000})
    products.submit_file(committee, actor=agent)
    products.score_committee(committee, scorer=trainer, scores={"bilan": 4, "objectifs": 4, "besoins": 3},
                             comment="Un bilan chiffré ; le budget de développement est à justifier.")
    products.score_committee(committee, scorer=admin, scores={"bilan": 5, "objectifs": 4, "besoins": 4})
    products.decide(committee, actor=trainer, decision=CommitteeDecision.CONTINUE, next_phase=ProductPhase.CONSTRUCTION,
                    reasons="L’investigation a confirmé le problème et la solution est utilisée : le produit passe en "
                            "construction, à budget iso.")
    products.schedule_committee(product, actor=trainer, held_on=held_on + timedelta(days=182))


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
    seed_sheet(today)
    seed_calls(today)
    seed_product(today)


def demo_users() -> list[User]:
    emails = [email for email, *_ in DEMO_ACCOUNTS]
    return list(db.session.scalars(sa.select(User).where(User.email.in_(emails))))
