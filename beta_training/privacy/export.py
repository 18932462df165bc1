"""Everything the platform holds about one person, as a ZIP streamed while it is written: `donnees.json` (every
record, by kind), one CSV per kind (cells neutralised against formulas: core.streaming) and `LISEZMOI.md`.

Each kind is a query read in batches (yield_per): the export never holds all the rows at once, and the ZIP is
handed to the client entry by entry (zipfile writes to an unseekable stream with data descriptors).
Left out on purpose: the password hash and session token (secrets, not information), other people's identities
(which trainer reviewed: the review itself is there), attachments of emails (their file names are there).
"""

import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import url_for

from beta_training.accounts.models import RetentionWarning, RoleEvent, SignInEvent, User, UserRole
from beta_training.calls.models import CallJuror, Dossier, DossierEvaluation, JuryScore
from beta_training.cohorts.models import AlumniProfile, ApplicationReview, Cohort, CohortApplication
from beta_training.core.models import OutboxMessage, OutboxState, StateChange, to_paris, utcnow
from beta_training.core.streaming import CsvStream
from beta_training.courses.models import (
    CourseInvitation,
    CourseRun,
    Enrolment,
    EnrolmentSheetPart,
    ItemCompletion,
    QuizAnswer,
    QuizAttempt,
)
from beta_training.extensions import db
from beta_training.forum.models import (
    ForumDraft,
    ForumNotification,
    ForumPost,
    ForumPostRevision,
    ForumPreference,
    ForumReadMark,
    ForumReport,
    ForumSubscription,
    ForumThread,
)
from beta_training.privacy import readable
from beta_training.privacy.models import PrivacyAction, PrivacyActionKind
from beta_training.products.models import Committee, CommitteeScore, IndicatorValue, Product, ProductIndicator, ProductMember
from beta_training.sheets.models import (
    IndicatorMeasure,
    ProductSheet,
    SheetFollowUpComment,
    SheetMilestone,
    SheetReview,
    SheetVersion,
)

BATCH = 200


@dataclass
class Kind:
    """One kind of record: its file name, its title in LISEZMOI.md, its rows (dicts) for a user, and their columns
    (a list, or a function giving it: models are read once the app is set up), the header of its CSV even when
    she has no such record."""

    name: str
    title: str
    rows: Callable[[User], Iterator[dict]]
    columns: list[str] | Callable[[], list[str]] = field(default_factory=list)

    def header(self) -> list[str]:
        return self.columns() if callable(self.columns) else list(self.columns)


def _columns(model, exclude=(), extra=()) -> Callable[[], list[str]]:
    """The keys _row() gives a row of `model`: its columns less `exclude`, then the `extra` it does not have."""
    def columns():
        keys = [c.key for c in sa.inspect(model).column_attrs if c.key not in exclude]
        return keys + [key for key in extra if key not in keys]
    return columns


def _json_value(value):
    """Rows keep Python values: the JSON writes date-times as ISO 8601 (UTC), the CSV as a French reader reads them
    (privacy/readable.py)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _row(obj, exclude=(), **extra) -> dict:
    values = {c.key: getattr(obj, c.key) for c in sa.inspect(obj).mapper.column_attrs if c.key not in exclude}
    return {**values, **extra}


def _stream(query) -> Iterator:
    yield from db.session.execute(query.execution_options(yield_per=BATCH)).scalars()


def _stream_rows(query) -> Iterator:
    yield from db.session.execute(query.execution_options(yield_per=BATCH))


def _applications(user):
    return sa.select(CohortApplication.id).where(CohortApplication.user_id == user.id)


def _sheets(user):
    return sa.select(ProductSheet.id).where(ProductSheet.owner_id == user.id)


def _enrolments(user):
    return sa.select(Enrolment.id).where(Enrolment.user_id == user.id)


def _account(user):
    yield _row(user, exclude=("password_hash", "session_token"))


def _roles(user):
    for grant in _stream(sa.select(UserRole).where(UserRole.user_id == user.id)):
        yield _row(grant, exclude=("granted_by_id",))


def _role_events(user):
    for event in _stream(sa.select(RoleEvent).where(RoleEvent.user_id == user.id).order_by(RoleEvent.id)):
        yield _row(event, exclude=("actor_id",))


def _account_history(user):
    """Her account's timeline (how its ProConnect identity came, and with which proof); who acted is left out."""
    query = sa.select(StateChange).where(StateChange.subject_type == User.__tablename__,
                                         StateChange.subject_id == user.id).order_by(StateChange.id)
    yield from (_row(change, exclude=("actor_id", "subject_type", "subject_id")) for change in _stream(query))


def _retention_warnings(user):
    yield from (_row(w) for w in _stream(sa.select(RetentionWarning).where(RetentionWarning.user_id == user.id)))


def _invitations(user):
    """Invitations to a MOOC session sent to her address (by a trainer, left unnamed), accepted or not."""
    query = (sa.select(CourseInvitation, CourseRun.name).join(CourseRun, CourseRun.id == CourseInvitation.run_id)
             .where(sa.func.lower(CourseInvitation.email) == user.email.lower()).order_by(CourseInvitation.id))
    for invitation, run in _stream_rows(query):
        yield _row(invitation, exclude=("invited_by_id",), session=run)


def _sign_ins(user):
    yield from (_row(e) for e in _stream(sa.select(SignInEvent).where(SignInEvent.user_id == user.id)
                                        .order_by(SignInEvent.created_at)))


def _applications_rows(user):
    query = (sa.select(CohortApplication, Cohort.title).join(Cohort, Cohort.id == CohortApplication.cohort_id)
             .where(CohortApplication.user_id == user.id).order_by(CohortApplication.id))
    for application, title in _stream_rows(query):
        yield _row(application, session=title)


def _application_reviews(user):
    query = (sa.select(ApplicationReview).where(ApplicationReview.application_id.in_(_applications(user)))
             .order_by(ApplicationReview.id))
    for review in _stream(query):
        yield _row(review, exclude=("reviewer_id",))


DECISION_EXCLUDE = ("actor_id", "subject_type", "subject_id")  # the application's number says what subject_id did


def _application_decisions(user):
    query = sa.select(StateChange).where(StateChange.subject_type == CohortApplication.__tablename__,
                                         StateChange.subject_id.in_(_applications(user))).order_by(StateChange.id)
    for change in _stream(query):
        yield _row(change, exclude=DECISION_EXCLUDE, application_id=change.subject_id)


# What she wrote as a trainer: her evaluations of applications and her reviews of fiches produit are data linked
# to her account (RGPD art. 15). The object each is about is named by its number only: enough for her to point
# at it in a request, while the candidate's or the author's name, answers and fiche are someone else's data
# (art. 15-4: her copy must not harm the rights of others). Her own words are given as she wrote them.


def _evaluations_written(user):
    query = sa.select(ApplicationReview).where(ApplicationReview.reviewer_id == user.id).order_by(ApplicationReview.id)
    yield from (_row(review, exclude=("reviewer_id",)) for review in _stream(query))


def _sheet_reviews_written(user):
    query = sa.select(SheetReview).where(SheetReview.reviewer_id == user.id).order_by(SheetReview.id)
    yield from (_row(review, exclude=("reviewer_id",)) for review in _stream(query))


def _follow_up_comments_written(user):
    query = sa.select(SheetFollowUpComment).where(SheetFollowUpComment.author_id == user.id).order_by(SheetFollowUpComment.id)
    yield from (_row(comment, exclude=("author_id",)) for comment in _stream(query))


def _dossier_rows(user):
    yield from (_row(d, exclude=DOSSIER_EXCLUDE) for d in _stream(
        sa.select(Dossier).where(Dossier.owner_id == user.id).order_by(Dossier.id)))


def _dossier_evaluations(user):
    """The scores and comments of the incubator's team on her dossiers (who scored is the team's data)."""
    mine = sa.select(Dossier.id).where(Dossier.owner_id == user.id)
    yield from (_row(e, exclude=("reviewer_id",)) for e in _stream(
        sa.select(DossierEvaluation).where(DossierEvaluation.dossier_id.in_(mine)).order_by(DossierEvaluation.id)))


def _jury_scores(user):
    """The jurors' scores of her pitches (who scored is the jury's data)."""
    mine = sa.select(Dossier.id).where(Dossier.owner_id == user.id)
    yield from (_row(s, exclude=("juror_id",)) for s in _stream(
        sa.select(JuryScore).where(JuryScore.dossier_id.in_(mine)).order_by(JuryScore.id)))


def _jury_scores_written(user):
    yield from (_row(s, exclude=("juror_id",)) for s in _stream(
        sa.select(JuryScore).where(JuryScore.juror_id == user.id).order_by(JuryScore.id)))


def _juries(user):
    query = sa.select(CallJuror).where(sa.or_(CallJuror.user_id == user.id, CallJuror.email == user.email.lower()))
    yield from (_row(j, exclude=("user_id", "invited_by_id")) for j in _stream(query.order_by(CallJuror.id)))


def _dossier_evaluations_written(user):
    query = sa.select(DossierEvaluation).where(DossierEvaluation.reviewer_id == user.id).order_by(DossierEvaluation.id)
    yield from (_row(e, exclude=("reviewer_id",)) for e in _stream(query))


# Products (comités d'investissement). The comité file has no author column: the team writes it together, each
# member may save it. Her copy is the file of every product whose team she is in (what she wrote or could have,
# and what the comité decided about it), as an Alpha candidate gets the decisions on her application.


def _products(user):
    return sa.select(ProductMember.product_id).where(ProductMember.user_id == user.id)


def _memberships(user):
    query = (sa.select(ProductMember, Product.name, Product.phase).join(Product, Product.id == ProductMember.product_id)
             .where(ProductMember.user_id == user.id).order_by(ProductMember.id))
    for member, product, phase in _stream_rows(query):
        yield _row(member, product=product, phase=phase)


def _committee_files(user):
    query = (sa.select(Committee, Product.name).join(Product, Product.id == Committee.product_id)
             .where(Committee.product_id.in_(_products(user))).order_by(Committee.held_on, Committee.id))
    for committee, product in _stream_rows(query):
        yield _row(committee, exclude=COMMITTEE_EXCLUDE, product=product)


def _committee_scores(user):
    """The notes and comments the comité gave on her teams' comité files (who scored is the comité's data), as her
    dossiers' evaluations: the comité by number and product."""
    query = (sa.select(CommitteeScore, Product.name).join(Committee, Committee.id == CommitteeScore.committee_id)
             .join(Product, Product.id == Committee.product_id)
             .where(Committee.product_id.in_(_products(user))).order_by(CommitteeScore.id))
    for score, product in _stream_rows(query):
        yield _row(score, exclude=("scorer_id",), product=product)


def _indicator_values(user):
    query = (sa.select(IndicatorValue, ProductIndicator.name, ProductIndicator.product_id)
             .join(ProductIndicator, ProductIndicator.id == IndicatorValue.indicator_id)
             .where(IndicatorValue.author_id == user.id).order_by(IndicatorValue.id))
    for value, indicator, product_id in _stream_rows(query):
        yield _row(value, exclude=INDICATOR_VALUE_EXCLUDE, indicator=indicator, product_id=product_id)


def _committee_scores_written(user):
    """Her notes as a member of comités (trainer): the comité named by its number, like her other evaluations."""
    query = sa.select(CommitteeScore).where(CommitteeScore.scorer_id == user.id).order_by(CommitteeScore.id)
    yield from (_row(score, exclude=("scorer_id",)) for score in _stream(query))


def _alumni(user):
    yield from (_row(p) for p in _stream(sa.select(AlumniProfile).where(AlumniProfile.user_id == user.id)))


def _enrolment_rows(user):
    query = (sa.select(Enrolment, CourseRun.name).join(CourseRun, CourseRun.id == Enrolment.run_id)
             .where(Enrolment.user_id == user.id).order_by(Enrolment.id))
    for enrolment, run in _stream_rows(query):
        yield _row(enrolment, session=run)


def _attestations(user):
    query = (sa.select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None))
             .order_by(Enrolment.completed_at))
    for enrolment in _stream(query):
        yield dict(zip(ATTESTATION_COLUMNS, (enrolment.id, enrolment.attestation_code, enrolment.attestation_name,
                                             enrolment.completed_at)))


def _by_enrolment(model, exclude=()):
    def rows(user):
        yield from (_row(r, exclude) for r in _stream(sa.select(model).where(model.enrolment_id.in_(_enrolments(user)))
                                                      .order_by(model.id)))
    return rows


def _quiz_answers(user):
    attempts = sa.select(QuizAttempt.id).where(QuizAttempt.enrolment_id.in_(_enrolments(user)))
    yield from (_row(a) for a in _stream(sa.select(QuizAnswer).where(QuizAnswer.attempt_id.in_(attempts))
                                         .order_by(QuizAnswer.id)))


def _sheet_rows(user):
    yield from (_row(s, exclude=("claimed_by_id",)) for s in _stream(
        sa.select(ProductSheet).where(ProductSheet.owner_id == user.id).order_by(ProductSheet.id)))


def _by_sheet(model, exclude=()):
    def rows(user):
        yield from (_row(r, exclude=exclude) for r in _stream(
            sa.select(model).where(model.sheet_id.in_(_sheets(user))).order_by(model.id)))
    return rows


def _by_user(model, column="user_id", exclude=()):
    def rows(user):
        yield from (_row(r, exclude=exclude) for r in _stream(sa.select(model).where(getattr(model, column) == user.id)))
    return rows


def _posts(user):
    # The one-time form key is a technical guard against double clicks, nothing about her.
    yield from (_row(p, exclude=POST_EXCLUDE) for p in _stream(
        sa.select(ForumPost).where(ForumPost.author_id == user.id).order_by(ForumPost.id)))


def _revisions(user):
    posts = sa.select(ForumPost.id).where(ForumPost.author_id == user.id)
    yield from (_row(r, exclude=("edited_by_id",)) for r in _stream(
        sa.select(ForumPostRevision).where(ForumPostRevision.post_id.in_(posts)).order_by(ForumPostRevision.id)))


def _emails(user):
    query = sa.select(OutboxMessage).where(OutboxMessage.recipient == user.email).order_by(OutboxMessage.id)
    for message in _stream(query):
        # A message sent or given up has no next attempt: the date left in the row means nothing to her.
        pending = message.state not in (OutboxState.SENT, OutboxState.FAILED)
        yield _row(message, exclude=EMAIL_EXCLUDE,
                   next_attempt_at=message.next_attempt_at if pending else None,
                   attachments=", ".join(a.get("filename", "") for a in message.attachments or ()))


def _requests(user):
    query = sa.select(PrivacyAction).where(PrivacyAction.subject_id == user.id,
                                           PrivacyAction.kind == PrivacyActionKind.EXPORT).order_by(PrivacyAction.id)
    yield from (_row(r, exclude=REQUEST_EXCLUDE) for r in _stream(query))


ATTESTATION_COLUMNS = ["enrolment_id", "code", "name", "completed_at"]
POST_EXCLUDE = ("body_html", "search_text", "submission_key")
EMAIL_EXCLUDE = ("attachments", "headers", "html_body", "last_error")
REQUEST_EXCLUDE = ("actor_id", "submission_key", "subject_id", "counts")
DOSSIER_EXCLUDE = ("submission_key", "version")  # technical guards (double clicks, two tabs), nothing about her
COMMITTEE_EXCLUDE = ("submission_key", "decided_by_id", "file_version")  # guards and who decided: not hers
INDICATOR_VALUE_EXCLUDE = ("submission_key", "author_id")

KINDS = [
    Kind("compte", "Votre compte (profil)", _account, _columns(User, ("password_hash", "session_token"))),
    Kind("roles", "Vos rôles", _roles, _columns(UserRole, ("granted_by_id",))),
    Kind("roles_historique", "L’historique de vos rôles", _role_events, _columns(RoleEvent, ("actor_id",))),
    Kind("compte_historique", "L’historique de votre compte (identité ProConnect associée)", _account_history,
         _columns(StateChange, ("actor_id", "subject_type", "subject_id"))),
    Kind("compte_avertissements", "Les avertissements avant suppression d’un compte inactif", _retention_warnings,
         _columns(RetentionWarning)),
    Kind("connexions", "Vos connexions (date, moyen, réseau)", _sign_ins, _columns(SignInEvent)),
    Kind("candidatures", "Vos candidatures aux sessions Alpha et vos réponses", _applications_rows,
         _columns(CohortApplication, extra=("session",))),
    Kind("candidatures_evaluations", "Les notes et commentaires des formateurs sur vos candidatures",
         _application_reviews, _columns(ApplicationReview, ("reviewer_id",))),
    Kind("candidatures_decisions", "Les décisions sur vos candidatures (historique)", _application_decisions,
         _columns(StateChange, DECISION_EXCLUDE, ("application_id",))),
    Kind("candidatures_evaluations_ecrites", "Les évaluations de candidatures que vous avez écrites (formation)",
         _evaluations_written, _columns(ApplicationReview, ("reviewer_id",))),
    Kind("ancienne_participante", "Votre fiche dans l’annuaire des anciens", _alumni, _columns(AlumniProfile)),
    Kind("mooc_inscriptions", "Vos inscriptions aux MOOC", _enrolment_rows, _columns(Enrolment, extra=("session",))),
    Kind("mooc_elements_termines", "Votre progression : éléments terminés", _by_enrolment(ItemCompletion),
         _columns(ItemCompletion)),
    Kind("mooc_quiz_tentatives", "Vos tentatives aux quiz", _by_enrolment(QuizAttempt, ("submission_key",)),
         _columns(QuizAttempt, ("submission_key",))),
    Kind("mooc_quiz_reponses", "Vos réponses aux quiz", _quiz_answers, _columns(QuizAnswer)),
    Kind("mooc_parties_fiche", "Les parties de fiche produit envoyées depuis le MOOC", _by_enrolment(EnrolmentSheetPart),
         _columns(EnrolmentSheetPart)),
    Kind("mooc_invitations", "Les invitations à un MOOC envoyées à votre adresse", _invitations,
         _columns(CourseInvitation, ("invited_by_id",), ("session",))),
    Kind("attestations", "Vos attestations de suivi", _attestations, ATTESTATION_COLUMNS),
    Kind("fiches_produit", "Vos fiches produit", _sheet_rows, _columns(ProductSheet, ("claimed_by_id",))),
    Kind("fiches_produit_versions", "Chaque version de vos fiches produit", _by_sheet(SheetVersion),
         _columns(SheetVersion)),
    Kind("fiches_produit_relectures", "Les relectures de vos fiches produit", _by_sheet(SheetReview, ("reviewer_id",)),
         _columns(SheetReview, ("reviewer_id",))),
    Kind("fiches_produit_jalons", "Les jalons de vos feuilles de route", _by_sheet(SheetMilestone),
         _columns(SheetMilestone)),
    Kind("fiches_produit_mesures", "Les mesures de vos indicateurs", _by_sheet(IndicatorMeasure),
         _columns(IndicatorMeasure)),
    Kind("fiches_produit_commentaires_suivi", "Les commentaires de l’équipe sur les jalons et indicateurs de vos fiches",
         _by_sheet(SheetFollowUpComment, ("author_id",)), _columns(SheetFollowUpComment, ("author_id",))),
    Kind("fiches_produit_relectures_ecrites", "Les relectures de fiches produit que vous avez écrites (formation)",
         _sheet_reviews_written, _columns(SheetReview, ("reviewer_id",))),
    Kind("fiches_produit_commentaires_suivi_ecrits",
         "Les commentaires de feuilles de route que vous avez écrits (formation)", _follow_up_comments_written,
         _columns(SheetFollowUpComment, ("author_id",))),
    Kind("appels_dossiers", "Vos dossiers déposés aux appels à intrapreneurs", _dossier_rows,
         _columns(Dossier, DOSSIER_EXCLUDE)),
    Kind("appels_dossiers_evaluations", "Les notes et commentaires de l’incubateur sur vos dossiers",
         _dossier_evaluations, _columns(DossierEvaluation, ("reviewer_id",))),
    Kind("appels_evaluations_ecrites", "Les évaluations de dossiers d’appel à intrapreneurs que vous avez écrites",
         _dossier_evaluations_written, _columns(DossierEvaluation, ("reviewer_id",))),
    Kind("appels_dossiers_notes_jury", "Les notes du jury sur vos pitchs", _jury_scores,
         _columns(JuryScore, ("juror_id",))),
    Kind("appels_jurys", "Les jurys d’appel à intrapreneurs auxquels vous êtes invité·e", _juries,
         _columns(CallJuror, ("user_id", "invited_by_id"))),
    Kind("appels_notes_jury_donnees", "Les notes de pitch que vous avez données comme juré·e", _jury_scores_written,
         _columns(JuryScore, ("juror_id",))),
    Kind("produits_equipe", "Les produits (Startups d’État) dont vous êtes dans l’équipe", _memberships,
         _columns(ProductMember, extra=("product", "phase"))),
    Kind("produits_comites_dossiers", "Les dossiers de comité d’investissement des produits de votre équipe",
         _committee_files, _columns(Committee, COMMITTEE_EXCLUDE, ("product",))),
    Kind("produits_comites_notes", "Les notes et commentaires du comité sur les dossiers de comité de vos produits",
         _committee_scores, _columns(CommitteeScore, ("scorer_id",), ("product",))),
    Kind("produits_mesures", "Les mesures d’indicateurs d’impact que vous avez enregistrées", _indicator_values,
         _columns(IndicatorValue, INDICATOR_VALUE_EXCLUDE, ("indicator", "product_id"))),
    Kind("produits_comites_notes_donnees", "Les notes de comité d’investissement que vous avez données (formation)",
         _committee_scores_written, _columns(CommitteeScore, ("scorer_id",))),
    Kind("forum_sujets", "Les sujets que vous avez ouverts", _by_user(ForumThread, "author_id"), _columns(ForumThread)),
    Kind("forum_messages", "Vos messages sur les forums", _posts, _columns(ForumPost, POST_EXCLUDE)),
    Kind("forum_messages_versions", "Les versions précédentes de vos messages", _revisions,
         _columns(ForumPostRevision, ("edited_by_id",))),
    Kind("forum_abonnements", "Vos abonnements aux forums et sujets", _by_user(ForumSubscription),
         _columns(ForumSubscription)),
    Kind("forum_lectures", "Le dernier message que vous avez lu dans chaque sujet", _by_user(ForumReadMark),
         _columns(ForumReadMark)),
    Kind("forum_notifications", "Les messages du forum à vous signaler par courriel (en attente ou traités)",
         _by_user(ForumNotification), _columns(ForumNotification)),
    Kind("forum_preferences", "Vos préférences de courriels du forum", _by_user(ForumPreference),
         _columns(ForumPreference)),
    Kind("forum_brouillons", "Vos brouillons de messages", _by_user(ForumDraft), _columns(ForumDraft)),
    Kind("forum_signalements", "Les messages que vous avez signalés", _by_user(ForumReport, "reporter_id",
                                                                               ("resolved_by_id",)),
         _columns(ForumReport, ("resolved_by_id",))),
    Kind("courriels", "Les courriels qui vous ont été envoyés", _emails,
         _columns(OutboxMessage, EMAIL_EXCLUDE, ("next_attempt_at", "attachments"))),
    Kind("demandes", "Les exports de vos données faits par un administrateur", _requests,
         _columns(PrivacyAction, REQUEST_EXCLUDE)),
]


class _Pipe:
    """What zipfile writes to: the bytes wait here until the response takes them."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def _readme(user: User, counts: dict[str, int]) -> str:
    lines = [
        "# Vos données sur beta.gouv.fr formation",
        "",
        f"Export de toutes les données que la plateforme conserve sur {user.full_name} ({user.email}).",
        "",
        "- `donnees.json` : toutes les données, par nature, pour un programme : noms de colonnes et codes tels que "
        "la base les enregistre, dates et heures au format ISO 8601 en temps universel (UTC) ;",
        "- un fichier CSV (séparateur « ; ») par nature de données, à lire dans un tableur : colonnes et valeurs "
        "en français, « oui » / « non », dates et heures de Paris au format JJ/MM/AAAA HH:MM ; les réponses d’une "
        "fiche produit et les commentaires d’une relecture y sont écrits « Partie : texte », un paragraphe chacun ; "
        "un fichier sans enregistrement n’a que sa ligne d’en-tête.",
        "",
        "| Fichier | Contenu | Enregistrements |",
        "|---|---|---|",
    ]
    lines += [f"| `{kind.name}.csv` | {kind.title} | {counts.get(kind.name, 0)} |" for kind in KINDS]
    # Full addresses (on BASE_URL): the file is read away from the site, where a bare path leads nowhere.
    lines += ["", f"La page « Données personnelles » ({url_for('site.personal_data', _external=True)}) explique ce que "
              f"nous faisons de ces données ; la page « Mes données » de votre compte "
              f"({url_for('privacy.my_data', _external=True)}) permet de les télécharger à nouveau ou de supprimer "
              "le compte.", ""]
    return "\n".join(lines)


def export_zip(user: User) -> Iterator[bytes]:
    """The ZIP of everything about `user`, in pieces, as it is written."""
    pipe = _Pipe()
    counts: dict[str, int] = {}
    moment = to_paris(utcnow()).timetuple()[:6]
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(_entry("donnees.json", moment), "w") as entry:
            entry.write(b"{")
            for index, kind in enumerate(KINDS):
                entry.write((("," if index else "") + f"\n{json.dumps(kind.name)}: [").encode())
                count = 0
                for row in kind.rows(user):
                    entry.write((("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False, default=_json_value)).encode())
                    count += 1
                    if count % BATCH == 0:
                        yield pipe.take()
                counts[kind.name] = count
                entry.write(b"\n]")
                yield pipe.take()
            entry.write(b"\n}\n")
        for kind in KINDS:
            with archive.open(_entry(f"{kind.name}.csv", moment), "w") as entry:
                # The header even without a row: an empty file still says what it would hold (LISEZMOI.md counts 0).
                csv = CsvStream()
                columns = kind.header()
                entry.write(csv.header([readable.header(kind.name, c) for c in columns]).encode())
                for row in kind.rows(user):
                    entry.write(csv.line([readable.cell(kind.name, c, row.get(c)) for c in columns]).encode())
            yield pipe.take()
        archive.writestr(_entry("LISEZMOI.md", moment), _readme(user, counts))
    yield pipe.take()


def _entry(name: str, moment: tuple) -> zipfile.ZipInfo:
    """An entry dated now (Paris time, as ZIP dates are local), not 1980 as zipfile dates what it opens by name."""
    info = zipfile.ZipInfo(name, date_time=moment)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def export_filename(user: User, today: date, *, for_admin: bool = False) -> str:
    """An admin's download says whose data it is, by the account's number (a name has no place in a file name
    left in a downloads folder); the person's own is « mes-donnees »."""
    who = f"donnees-{user.id}" if for_admin else "mes-donnees"
    return f"{who}-beta-formation-{today.isoformat()}.zip"


def summary(user: User) -> list[tuple[str, int]]:
    """How many records of each kind there are (the « Mes données » page)."""
    return [(kind.title, sum(1 for _ in kind.rows(user))) for kind in KINDS]
