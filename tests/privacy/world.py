"""One person with one record of every kind the platform keeps, each carrying a distinctive string of hers, and
other people's records that name her: what the export must show and the erasure must remove."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from beta_training.accounts import services as accounts
from beta_training.accounts.models import RetentionWarning, Role, User
from beta_training.calls.models import CallJuror, JuryScore
from beta_training.cohorts.models import AlumniProfile
from beta_training.core.mail import queue_email
from beta_training.core.models import FormSubmission, utcnow
from beta_training.courses.models import CourseInvitation, CourseItem, EnrolmentSheetPart, QuizAnswer
from beta_training.extensions import db
from beta_training.forum import services as forum_services
from beta_training.products.models import IndicatorValue, ProductIndicator
from beta_training.forum.models import (
    ForumDraft,
    ForumNotification,
    ForumPost,
    ForumPostRevision,
    ForumPreference,
    ForumReadMark,
    ForumReport,
    ForumSubscription,
)
from beta_training.sheets.models import IndicatorMeasure, SheetFollowUpComment, SheetMilestone
from tests import factories as f

FIRST, LAST = "Zéphyrine", "Quatremare"
EMAIL = "zephyrine.quatremare@exemple.gouv.fr"
HANDLE = "@zephyrine.quatremare"


@dataclass
class Person:
    user: User
    ids: dict = field(default_factory=dict)
    # Strings that identify her: none may remain anywhere after the erasure.
    personal: tuple = (FIRST, LAST, EMAIL, "zephyrine.quatremare", "Mairie de Quatremare-sur-Mer",
                       "Je m'appelle Zéphyrine", "06 12 34 56 78")


def seed_person(keep_statistics_cohort_past: bool = False) -> Person:
    user = f.make_user(email=EMAIL, first_name=FIRST, last_name=LAST, administration="Mairie de Quatremare-sur-Mer",
                       job_title="Cheffe de projet 06 12 34 56 78")
    ids = {}
    trainer = f.make_user(roles=[Role.TRAINER], first_name="Formatrice", last_name="Relectrice")

    accounts.record_login(user, address="192.0.2.77")
    db.session.commit()

    # Alpha: an application she confirmed (a past session), reviewed, decided, with her answers.
    past = f.make_cohort(status="archived", starts_on=date(2020, 3, 2))
    application = f.make_application(past, user, state="confirmed", problem="Je m'appelle Zéphyrine, 06 12 34 56 78",
                                     motivation=f"{FIRST} {LAST} veut changer les choses.", attended=True)
    f.make_application_review(application, trainer, comment=f"Très bon profil, {FIRST} est motivée.")
    f.make_state_change(application, "confirmed", "accepted", actor=trainer, reason=f"Offre acceptée par {FIRST} {LAST}")
    ids["application"] = application.id
    # An open one in an upcoming session: withdrawn by the erasure, then anonymised.
    upcoming = f.make_application(f.make_cohort(), user, state="submitted", solution="Zéphyrine propose un outil.")
    ids["open_application"] = upcoming.id
    db.session.add(AlumniProfile(user_id=user.id, listed=True, project="Quatremare numérique", contact=EMAIL))

    # MOOC: enrolment, completions, quiz attempt and answers, an attestation, a part sent to the fiche.
    course, run = f.make_mooc(sequences=(1,), kinds=("text", "quiz"))
    enrolment = f.make_enrolment(run, user, completed_at=utcnow(), attestation_code=f"ATT{f._n()}")
    items = db.session.scalars(sa.select(CourseItem).where(CourseItem.course_id == course.id).order_by(CourseItem.id)).all()
    f.make_item_completion(enrolment, items[0])
    attempt = f.make_quiz_attempt(enrolment, items[1], correct=1)
    db.session.add(QuizAnswer(attempt_id=attempt.id, is_correct=True))
    db.session.add(EnrolmentSheetPart(enrolment_id=enrolment.id, sequence_number=1, answered_at=utcnow()))
    ids["enrolment"] = enrolment.id

    # Fiche produit: two versions, a review, a milestone and a measure.
    sheet = f.make_product_sheet(user, state="submitted", content={"name": "Produit de Quatremare",
                                                                   "s1_problem": "Contact : " + EMAIL})
    f.make_sheet_version(sheet, 2, {"name": "Produit de Quatremare", "s1_problem": f"Par {FIRST} {LAST}"}, author=user)
    f.make_sheet_review(sheet, trainer, overall_comment=f"Bravo {FIRST} !", section_comments={"s1": f"{LAST} : à préciser"})
    milestone = SheetMilestone(sheet_id=sheet.id, position=1, title=f"Réunion chez {LAST}")
    db.session.add(milestone)
    db.session.add(IndicatorMeasure(sheet_id=sheet.id, indicator=f"Usagers de {FIRST}", value="12", measured_on=date(2021, 1, 1),
                                    created_at=utcnow()))
    db.session.flush()
    db.session.add(SheetFollowUpComment(sheet_id=sheet.id, milestone_id=milestone.id, author_id=trainer.id,
                                        body=f"Bravo {FIRST}, à dater.", created_at=utcnow()))
    db.session.add(SheetFollowUpComment(sheet_id=sheet.id, indicator=f"Usagers de {FIRST}", author_id=trainer.id,
                                        body="Mesurez chaque mois.", created_at=utcnow()))
    ids["sheet"] = sheet.id

    # Forum: her thread and reply (edited once), someone's reply mentioning her, her subscriptions, preferences,
    # draft and report.
    forum = f.make_forum(run=run)
    other = f.make_forum_member(forum, first_name="Autre", last_name="Membre")
    thread = f.make_forum_thread(forum, user, title=f"Question de {FIRST}", body=f"Bonjour, je suis {FIRST} {LAST}.")
    reply = f.make_forum_post(thread, user, body="Ma réponse, signée Zéphyrine")
    db.session.add(ForumPostRevision(post_id=reply.id, body=f"Ancienne version de {FIRST} {LAST}", created_at=utcnow(),
                                     edited_by_id=user.id))
    mention = f.make_forum_post(thread, other, body=f"Merci {HANDLE} ! Et merci Zéphyrine.")
    elsewhere = f.make_forum_thread(forum, other, title="Un autre sujet", body=f"Voir ce qu'a écrit {FIRST} {LAST}.")
    db.session.add(ForumSubscription(user_id=user.id, thread_id=thread.id, active=True))
    db.session.add(ForumPreference(user_id=user.id, email_frequency="digest"))
    db.session.add(ForumDraft(user_id=user.id, target=f"thread:{thread.id}", body=f"Brouillon de {FIRST}"))
    db.session.add(ForumReport(post_id=mention.id, reporter_id=user.id, reason="Signalé par Zéphyrine"))
    ids.update(thread=thread.id, reply=reply.id, mention=mention.id, elsewhere=elsewhere.id)
    for post in db.session.scalars(sa.select(ForumPost).where(ForumPost.thread_id.in_([thread.id, elsewhere.id]))):
        forum_services.rewrite_post_text(post, body=post.body)  # the factories do not index: the search index too

    # Mail: one to her, one to a trainer naming her; a one-time form key.
    queue_email(user.email, "Candidature reçue", "privacy/erased", origin="self", counts={}, keep_sheets=False)
    queue_email(trainer.email, f"Nouvelle fiche de {FIRST} {LAST}", "privacy/erased", origin="self", counts={},
                keep_sheets=False)
    db.session.add(FormSubmission(user_id=user.id, key="cle-unique", location="/alpha/"))

    # What she wrote as a trainer before her roles were revoked: an evaluation of someone else's application and a
    # review of someone else's fiche (her words name no one).
    candidate = f.make_user(first_name="Candidate", last_name="Évaluée")
    evaluated = f.make_application(past, candidate, state="rejected", problem="Le problème de la candidate évaluée")
    f.make_application_review(evaluated, user, comment="Évaluation écrite : dossier solide, public à préciser.")
    reviewed = f.make_product_sheet(f.make_user(first_name="Autrice", last_name="Relue"), state="changes_requested",
                                    content={"name": "Produit de l’autrice relue"})
    f.make_sheet_review(reviewed, user, overall_comment="Relecture écrite : à compléter.",
                        section_comments={"s3": "Chiffrez les mesures."}, scores={"expected_utility": 4})
    db.session.add(SheetFollowUpComment(sheet_id=reviewed.id, indicator="Usagers servis", author_id=user.id,
                                        body="Commentaire écrit : une mesure par mois.", created_at=utcnow()))
    ids.update(evaluated=evaluated.id, reviewed_sheet=reviewed.id)

    # Appel à intrapreneurs: her dossier, scored by the trainer; her own evaluation of someone else's dossier.
    call = f.make_call()
    dossier = f.make_dossier(call, user, state="submitted", problem=f"Chaque année, {FIRST} {LAST} voit des familles renoncer.")
    f.make_dossier_evaluation(dossier, trainer, scores=(4, 4, 3))
    other_dossier = f.make_dossier(call, f.make_user(first_name="Porteuse", last_name="Évaluée"), state="submitted")
    f.make_dossier_evaluation(other_dossier, user, scores=(3, 3, 3))
    f.make_state_change(dossier, "submitted", "draft", actor=user, reason="Déposé par Zéphyrine")
    # …and the jury: a juror scored her pitch; she sits on another call's jury (invited by her address) and scored.
    jury_call = f.make_call()
    jury_dossier = f.make_dossier(jury_call, user, state="preselected")
    db.session.add(JuryScore(dossier_id=jury_dossier.id, juror_id=trainer.id, average=4.0,
                             scores=[{"criterion": "Critère 1", "score": 4, "comment": "Pitch clair"}]))
    judged = f.make_call()
    judged_dossier = f.make_dossier(judged, f.make_user(first_name="Porteuse", last_name="Pitchée"), state="preselected")
    db.session.add(CallJuror(call_id=judged.id, email=EMAIL.lower()))
    db.session.add(JuryScore(dossier_id=judged_dossier.id, juror_id=user.id, average=3.0,
                             scores=[{"criterion": "Critère 1", "score": 3, "comment": "Note donnée"}]))
    ids.update(dossier=dossier.id, other_dossier=other_dossier.id)

    # Products: she is in a product's team (its shared address is hers), its comité file names her, the trainer's
    # notes and the decision too; she recorded a measure; as a former trainer she scored another product's comité.
    product = f.make_product(team=[user], name="Quatremare Services", contact=EMAIL,
                             pitch=f"Porté par {FIRST} {LAST}.")
    committee = f.make_committee(product, state="decided", objectives_reached=f"{FIRST} a mené 12 entretiens.",
                                 learnings=f"Ce que {LAST} retient.", team_needs="Un développeur.",
                                 priorities=[{"title": f"Former {FIRST}", "expected": "Autonomie"}],
                                 budget={"development": 120000}, decision_reasons=f"Bravo à {FIRST}.")
    team_score = f.make_committee_score(committee, trainer, objectifs=2)
    team_score.comment = f"{FIRST} connaît son terrain."
    f.make_state_change(committee, "decided", "submitted", actor=trainer, reason=f"Bravo à {FIRST}.")
    indicator = db.session.scalars(sa.select(ProductIndicator).where(ProductIndicator.product_id == product.id)).first()
    db.session.add(IndicatorValue(indicator_id=indicator.id, value="42", measured_on=date(2021, 2, 1), author_id=user.id,
                                  created_at=utcnow()))
    other_committee = f.make_committee(f.make_product(name="Produit d’une autre équipe"), state="decided")
    scored = f.make_committee_score(other_committee, user, bilan=5)
    scored.comment = "Note écrite : bilan solide."
    ids.update(product=product.id, committee=committee.id, other_committee=other_committee.id, committee_score=scored.id,
               team_committee_score=team_score.id)

    # Her account's history, forum read marks and a notification waiting, a retention warning, an invitation to
    # a MOOC session sent to her address (spelt with capitals: addresses match whatever their case).
    f.make_state_change(user, "proconnect_linked", "password", actor=user,
                        reason="Identité ProConnect associée (preuve : mot de passe du compte)")
    db.session.add(ForumReadMark(user_id=user.id, thread_id=elsewhere.id, last_read_post_id=mention.id))
    db.session.add(ForumNotification(user_id=user.id, post_id=mention.id, reason="mention"))
    db.session.add(RetentionWarning(user_id=user.id, warned_at=utcnow()))
    db.session.add(CourseInvitation(run_id=f.make_mooc()[1].id, email=EMAIL.upper(), invited_by_id=trainer.id,
                                    created_at=utcnow()))
    db.session.commit()
    return Person(user, ids)
