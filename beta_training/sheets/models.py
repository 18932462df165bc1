"""Fiche produit: the MOOC's deliverable (product sheet + 6-month roadmap), its versions and reviews."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import TimestampMixin, UTCDateTime
from beta_training.extensions import db


class SheetState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    # The first reviewer of the round asked for a second opinion: her review is recorded, the decision waits
    # for a second trainer's review (a trainer other than her and the owner claims the sheet again).
    SECOND_REVIEW = "second_review"


SHEET_TRANSITIONS = {
    SheetState.DRAFT: {SheetState.SUBMITTED},
    SheetState.SUBMITTED: {SheetState.IN_REVIEW, SheetState.DRAFT},
    SheetState.IN_REVIEW: {SheetState.CHANGES_REQUESTED, SheetState.APPROVED, SheetState.SUBMITTED, SheetState.DRAFT,
                           SheetState.SECOND_REVIEW},
    SheetState.SECOND_REVIEW: {SheetState.IN_REVIEW, SheetState.DRAFT},
    SheetState.CHANGES_REQUESTED: {SheetState.SUBMITTED},
    SheetState.APPROVED: set(),
}

SHEET_STATE_LABELS = {
    SheetState.DRAFT: _l("Brouillon"),
    SheetState.SUBMITTED: _l("Envoyée, en attente de relecture"),
    SheetState.IN_REVIEW: _l("En relecture"),
    SheetState.CHANGES_REQUESTED: _l("Modifications demandées"),
    SheetState.APPROVED: _l("Validée"),
    SheetState.SECOND_REVIEW: _l("En attente d’un second avis"),
}

SHEET_STATE_BADGES = {
    SheetState.DRAFT: "", SheetState.SUBMITTED: "fr-badge--info", SheetState.IN_REVIEW: "fr-badge--new",
    SheetState.CHANGES_REQUESTED: "fr-badge--warning", SheetState.APPROVED: "fr-badge--success",
    SheetState.SECOND_REVIEW: "fr-badge--new",
}

# --- The fiche produit, part by part ---------------------------------------------------------------------
#
# One table says what a fiche asks: the header (it titles the sheet and its exports), then one part per
# sequence of the MOOC, in course order, each with its questions (our wording of the subjects of the fiche
# produit template the MOOC's learners filled and emailed). Forms, pages, the review, the exports and the
# cleaning of what is saved are all driven from it.


@dataclass(frozen=True)
class Question:
    key: str  # its key in a version's content (and its form field's name)
    label: str
    hint: str
    limit: int  # characters
    single_line: bool = False
    urls: bool = False  # web addresses, one per line (http or https only)
    rows: int = 5


@dataclass(frozen=True)
class Part:
    key: str  # also the key of its review comment
    sequence: int  # the number of the course's sequence it follows (Sequence.number)
    title: str  # that sequence's title, as the course names it
    questions: tuple[Question, ...]

    @property
    def label(self):
        """« Séquence 1 : Résoudre les problèmes des usagers » (lazy: translated where it is shown)."""
        return _l("Séquence %(n)s : %(title)s", n=self.sequence, title=self.title)

    @property
    def short_label(self):
        return _l("Séquence %(n)s", n=self.sequence)

    def is_answered(self, content: dict) -> bool:
        """Every question of the part has its answer."""
        return all((content.get(question.key) or "").strip() for question in self.questions)

    def has_answers(self, content: dict) -> bool:
        return any((content.get(question.key) or "").strip() for question in self.questions)


HEADER = (
    Question("name", _l("Nom du produit"), _l("Un nom court, qui dit ce que l’usager y gagne."), 80, single_line=True),
    Question("pitch", _l("Pitch"), _l("Permettre à (cibles) d’obtenir (bénéfices) grâce à (proposition de valeur) afin de "
                                      "(objectif de politique publique)."), 400, rows=3),
)

# Limits: a fiche written before the parts existed moves here without losing a word (see the migration
# 7c2e5a9d41b8): « le drame » receives the old problem and context (1,500 each), the solution, the reach
# and the partners the old solution, strategy and team.
PARTS = (
    Part("s1", 1, _l("Résoudre les problèmes des usagers"), (
        Question("s1_problem", _l("Le drame : quel problème, vécu par combien de personnes chaque année ?"),
                 _l("Chiffrez-le : « Chaque année, 4 000 familles… ». Dites qui est touché et ce que cela lui coûte "
                    "(du temps, de l’argent, un droit perdu)."), 3200, rows=6),
        Question("s1_solution", _l("La solution, décrite au présent"),
                 _l("Donnez-lui un nom qui frappe, dites ce que l’usager fait avec elle aujourd’hui, et la règle ancienne "
                    "qu’elle cesse de suivre."), 1500, rows=6),
        Question("s1_deployment", _l("Son déploiement dans les 6 mois"),
                 _l("Les étapes qui mènent à un premier service utilisé par de vrais usagers d’ici six mois, une par "
                    "ligne : elles pourront devenir les jalons de votre feuille de route."), 1000),
        Question("s1_partners", _l("Vos premiers utilisateurs et partenaires, et pourquoi ils seraient volontaires"),
                 _l("Nommez-les (un service, une agence, une association) et dites ce qu’ils y gagnent."), 1000),
        Question("s1_scale_up", _l("Du premier périmètre à un service public national"),
                 _l("Comment passer d’un territoire ou d’un public pilote à tout le pays : ce qu’il faudra prouver, qui "
                    "décidera, qui financera."), 1000),
    )),
    Part("s2", 2, _l("Trouver ses premiers utilisateurs"), (
        Question("s2_first_users", _l("Qui sont vos premiers utilisateurs ?"),
                 _l("Des personnes que vous pouvez nommer et rencontrer cette semaine, pas « les usagers » en général."), 800),
        Question("s2_reach", _l("Comment les atteindre : par quel canal, avec quel message ?"),
                 _l("Le lieu ou le réseau où vous les trouvez, et la phrase qui leur donne envie d’essayer."), 1500, rows=6),
        Question("s2_open_lab", _l("Vos arguments pour les faire venir à un premier Open Lab"),
                 _l("Ce qui les décidera à passer deux heures avec vous pour essayer le service et dire ce qui manque."), 800),
    )),
    Part("s3", 3, _l("Mesurer son impact dans le réel"), (
        Question("s3_impact", _l("L’impact concret : qu’est-ce qui change pour l’usager, avant et après ?"),
                 _l("Décrivez la situation d’un usager avant le service, puis avec lui."), 1000),
        Question("s3_first_checks", _l("Après 3 mois de version bêta, trois façons de vérifier vos premiers succès, sans "
                                       "questionnaire en ligne"),
                 _l("Par exemple : appeler dix usagers, passer une matinée au guichet, compter les dossiers traités. Une "
                    "façon par ligne."), 800),
        Question("s3_measures", _l("Trois mesures de votre impact en régime de croisière, dans deux ans"),
                 _l("Celles qui justifieraient une équipe de dix personnes et un nouveau financement. Une mesure par "
                    "ligne : elles pourront devenir les indicateurs de votre feuille de route."), 800),
    )),
    Part("s4", 4, _l("Survivre en milieu hostile"), (
        Question("s4_worst_case", _l("Le pire scénario : ce qui, dans les 6 mois, vous ferait regretter d’avoir commencé"),
                 _l("Soyez concret : une décision, un refus, un départ, un incident."), 1000),
        Question("s4_small_actions", _l("Les petites actions qui permettraient de le surmonter"),
                 _l("Des gestes simples, à votre portée, que vous pouvez faire dès maintenant."), 1000),
    )),
    Part("s5", 5, _l("Faire de l’industriel en mode artisanal"), (
        Question("s5_tool", _l("Votre premier outil de test, construit sans développeur"),
                 _l("Avec un constructeur de site sans code ou un outil de formulaire : ce qu’il fait, et l’hypothèse "
                    "qu’il vous permet de vérifier."), 1000),
        Question("s5_urls", _l("Son adresse (ou ses adresses)"),
                 _l("Une adresse par ligne, qui commence par https:// ou http://."), 1000, urls=True, rows=3),
    )),
)
PART_BY_KEY = {part.key: part for part in PARTS}
PART_BY_SEQUENCE = {part.sequence: part for part in PARTS}
QUESTIONS = {question.key: question for question in (*HEADER, *(q for part in PARTS for q in part.questions))}

# What a reviewer comments on: the header, each part, the roadmap.
HEADER_KEY = "header"
ROADMAP_KEY = "roadmap"
COMMENT_TARGETS = {HEADER_KEY: _l("Nom et pitch"), **{part.key: part.label for part in PARTS},
                   ROADMAP_KEY: _l("Feuille de route à 6 mois")}

MAX_URLS = 5
URL_LIMIT = 500


def web_addresses(text: str) -> tuple[list[str], str | None]:
    """The addresses of a « one address per line » answer, and what is wrong with them (a French message), if
    anything: only http and https addresses with a host, at most MAX_URLS."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_URLS:
        return lines, str(_l("Donnez au plus %(n)s adresses.", n=MAX_URLS))
    for number, line in enumerate(lines, start=1):
        try:
            parts = urlsplit(line)
            host = parts.hostname
        except ValueError:
            parts, host = None, None
        if (parts is None or parts.scheme not in ("http", "https") or not host or len(line) > URL_LIMIT
                or any(character.isspace() for character in line)):
            return lines, str(_l("Ligne %(n)s : « %(text)s » n’est pas une adresse web. Saisissez une adresse qui commence "
                                 "par https:// ou http://, une par ligne.", n=number, text=line[:80]))
    return lines, None


def safe_links(text: str) -> list[str]:
    """The addresses of an answer that may be shown as links (what passes the check above), else none."""
    lines, problem = web_addresses(text)
    return [] if problem else lines


def content_label(key: str) -> str:
    """How a key of a version's content is named to people (the diff of the review page)."""
    if key in QUESTIONS:
        part = next((part for part in PARTS if key in (q.key for q in part.questions)), None)
        return f"{part.short_label} – {QUESTIONS[key].label}" if part else str(QUESTIONS[key].label)
    return str({"indicators": _l("Indicateurs d’impact"), "milestones": _l("Jalons de la feuille de route"),
                "usertypes": _l("Usagers cibles"), "thematiques": _l("Thématiques")}.get(key, key))


def _roadmap_rows(text: str) -> list[str]:
    """One line, or (if the answer is one line) one sentence, is one row; list markers are dropped."""
    lines = [re.sub(r"^\s*(?:[-*•–]\s*|\d+[.)]\s+)", "", line).strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) == 1:
        lines = [sentence.strip() for sentence in re.split(r"(?<=[.!?;])\s+", lines[0]) if sentence.strip()]
    return [line.rstrip(" .;")[:200] for line in lines if line.rstrip(" .;")]


def propose_roadmap(content: dict) -> tuple[dict, dict]:
    """Roadmap rows proposed from the parts' answers, for the learner to confirm: the deployment in 6 months
    gives milestones, the impact measures (then the ways to check the first successes) give indicators. Only
    rows left entirely empty are filled; a row she typed, or a proposal already there, is never changed.
    Returns (indicators, milestones) as new lists, and {"indicators": [rows], "milestones": [rows]} filled."""
    indicators = [dict(row) for row in content["indicators"]]
    milestones = [dict(row) for row in content["milestones"]]
    filled = {"indicators": [], "milestones": []}

    def fill(rows, key, proposals, name, blank):
        taken = {str(row.get(name) or "").strip().casefold() for row in rows} - {""}
        waiting = [p for p in dict.fromkeys(proposals) if p.casefold() not in taken]
        for index, row in enumerate(rows):
            if waiting and all(not str(row.get(field) or "").strip() for field in blank):
                row[name] = waiting.pop(0)
                filled[key].append(index)

    fill(milestones, "milestones", _roadmap_rows(content.get("s1_deployment")), "title", ("title", "due_on", "priority"))
    fill(indicators, "indicators", _roadmap_rows(content.get("s3_measures")) + _roadmap_rows(content.get("s3_first_checks")),
         "name", ("name", "baseline", "target"))
    return {"indicators": indicators, "milestones": milestones}, filled


INDICATOR_COUNT = 3
MILESTONE_COUNT = 6
PRIORITIES = ("1", "2", "3")  # the roadmap has at most three priorities; each milestone serves one

# Dates typed on a sheet must be plausible: a milestone within a few years, a launch or a measure not
# in the future, and nothing before 2000 (a crafted « 0001-01-01 » or « 2099-12-31 » is refused).
EARLIEST_DATE = date(2000, 1, 1)
MILESTONE_HORIZON_DAYS = 5 * 366


def milestone_due_on(text: str, today: date) -> date | None:
    """The due date (None if empty), as a date picker sends it (YYYY-MM-DD) or as a person types it where there is
    no picker (JJ/MM/AAAA); ValueError, with the French message to show, if it is not a real date or not a
    plausible one."""
    if not text:
        return None
    try:
        # Exact shapes only: fromisoformat also takes 20270315 or 2027-W11-1.
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            due_on = date.fromisoformat(text)
        elif match := re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text):
            day, month, year = (int(part) for part in match.groups())
            due_on = date(year, month, day)
        else:
            raise ValueError
    except ValueError:
        raise ValueError(str(_l("Saisissez une date réelle au format JJ/MM/AAAA, par exemple 15/03/2027."))) from None
    latest = date.fromordinal(today.toordinal() + MILESTONE_HORIZON_DAYS)
    if not EARLIEST_DATE <= due_on <= latest:
        raise ValueError(str(_l("Choisissez une échéance entre le %(start)s et le %(end)s.",
                                start=EARLIEST_DATE.strftime("%d/%m/%Y"), end=latest.strftime("%d/%m/%Y"))))
    return due_on


def past_date_problem(value: date, today: date) -> str | None:
    """Why a launch or measure date cannot be right (in the future, or before 2000), or None."""
    if value > today:
        return str(_l("La date ne peut pas être dans le futur (au plus tard le %(d)s).", d=today.strftime("%d/%m/%Y")))
    if value < EARLIEST_DATE:
        return str(_l("La date ne peut pas être antérieure au %(d)s.", d=EARLIEST_DATE.strftime("%d/%m/%Y")))
    return None


USERTYPES = {
    "particulier": _l("Particulier"), "etat": _l("État"), "collectivite-territoriale": _l("Collectivité territoriale"),
    "entreprise": _l("Entreprise"), "association": _l("Association"), "etablissement-scolaire": _l("Établissement scolaire"),
    "parlement": _l("Parlement"),
}

# --- The review rubric -------------------------------------------------------------------------------------
#
# Adapted from the comité d'investissement sponsor grid (note sur 5). Every level of every criterion says what
# it looks like, so that a learner reads why she got a 3 and what a 4 would take, and two reviewers mean the
# same thing by the same note. Reviewers see the descriptors on the form; learners and trainers beside the notes.

SCORE_LEVELS = (1, 2, 3, 4, 5)
LEVEL_NAMES = {1: _l("Insuffisant"), 2: _l("Fragile"), 3: _l("Correct"), 4: _l("Solide"), 5: _l("Exemplaire")}


@dataclass(frozen=True)
class Criterion:
    key: str  # its key in SheetReview.scores (and its form field: score_<key>)
    label: str
    levels: tuple[str, ...]  # what the sheet shows at level 1, 2, 3, 4, 5

    def descriptor(self, level: int) -> str:
        return self.levels[level - 1]


RUBRIC = (
    Criterion("positioning", _l("Positionnement (cible, proposition de valeur)"), (
        _l("La cible et le problème ne sont pas identifiés ; la proposition de valeur manque."),
        _l("La cible reste générale (« les usagers ») et le bénéfice vague."),
        _l("Une cible nommée et un bénéfice clair, encore peu chiffrés."),
        _l("Une cible précise, un problème chiffré, un bénéfice dit du point de vue de l’usager."),
        _l("Cible, problème chiffré et proposition de valeur convaincants, appuyés sur des rencontres d’usagers."),
    )),
    Criterion("expected_utility", _l("Utilité attendue pour les usagers"), (
        _l("On ne voit pas ce qui change pour l’usager."),
        _l("Le changement est affirmé mais pas décrit."),
        _l("L’avant et l’après sont décrits pour un usager type."),
        _l("L’avant et l’après sont décrits et chiffrés (temps, argent, droits)."),
        _l("Le gain est chiffré, vérifié auprès d’usagers et important à l’échelle du service public."),
    )),
    Criterion("indicators", _l("Pertinence des indicateurs d’impact"), (
        _l("Aucun indicateur, ou seulement des indicateurs d’activité (visites, téléchargements)."),
        _l("Des indicateurs sans valeur de départ ni cible."),
        _l("Des indicateurs d’impact avec départ et cible, encore difficiles à mesurer."),
        _l("Des indicateurs d’impact mesurables, avec départ, cible à 6 mois et façon de les mesurer."),
        _l("Des indicateurs d’impact mesurables sans questionnaire en ligne, reliés au problème chiffré."),
    )),
    Criterion("roadmap_realism", _l("Réalisme de la feuille de route à 6 mois"), (
        _l("Aucun jalon daté."),
        _l("Des jalons datés mais irréalistes ou sans priorité."),
        _l("Des jalons datés et priorisés ; des étapes manquent."),
        _l("Une feuille de route datée et priorisée qui mène à un premier service utilisé dans les 6 mois."),
        _l("Réaliste et priorisée, avec les risques nommés et les actions pour les surmonter."),
    )),
    Criterion("go_to_market", _l("Stratégie de mise en marché"), (
        _l("Aucun premier utilisateur identifié."),
        _l("Des premiers utilisateurs décrits en général, sans canal pour les atteindre."),
        _l("Des premiers utilisateurs nommés et un canal pour les atteindre."),
        _l("Des premiers utilisateurs nommés, un canal, un message et un premier Open Lab prévu."),
        _l("Des premiers utilisateurs engagés, des partenaires volontaires et un chemin vers l’échelle nationale."),
    )),
)
assert all(len(criterion.levels) == len(SCORE_LEVELS) for criterion in RUBRIC)
GRID = {criterion.key: criterion.label for criterion in RUBRIC}

# What a review decided: the two verdicts, or (first review of a round only) a second opinion asked for.
REVIEW_VERDICT_LABELS = {
    SheetState.CHANGES_REQUESTED: _l("Modifications demandées"),
    SheetState.APPROVED: _l("Validée"),
    SheetState.SECOND_REVIEW: _l("Second avis demandé"),
}

# The states whose recorded reason is the team's words, kept from the author's « Historique »: why a reviewer
# asked for a second opinion (the form promises the author only sees that one is asked).
TEAM_ONLY_REASONS = frozenset({SheetState.SECOND_REVIEW.value})


# The owner of a fiche kept after she erased her account (privacy.services).
FORMER_OWNER = _l("Ancien·ne participant·e")


def describe_origin(course_title: str | None, run_name: str | None, cohort_title: str | None) -> str:
    """« MOOC (session) · Alpha session »: where a sheet comes from, either or both."""
    parts = [f"{course_title} ({run_name})"] if course_title is not None else []
    if cohort_title is not None:
        parts.append(cohort_title)
    return " · ".join(parts)


class SaveKind(StrEnum):
    """How a version was saved (None: saved before this was recorded)."""

    MANUAL = "manual"
    AUTOSAVE = "autosave"
    RESTORE = "restore"


SAVE_KIND_LABELS = {SaveKind.MANUAL: _l("Enregistrement"), SaveKind.AUTOSAVE: _l("Enregistrement automatique"),
                    SaveKind.RESTORE: _l("Restauration")}


class ProductSheet(TimestampMixin, db.Model):
    __tablename__ = "product_sheets"
    __table_args__ = (
        sa.CheckConstraint("(state = 'in_review') = (claimed_by_id IS NOT NULL)", name="claimed_iff_in_review"),
        # The trainers' queue: its page of fiches picked, and counted, in this index alone.
        sa.Index("ix_product_sheets_queue", "state", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: kept, anonymised, for the trainers when its owner erased her account (privacy.services).
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=SheetState.DRAFT, index=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    current_version: Mapped[int] = mapped_column(default=0)
    enrolment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="SET NULL"), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohort_applications.id", ondelete="SET NULL"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "waiting more than 48 h" sent to trainers
    roadmap_reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    launched_on: Mapped[date | None]  # the service is live: "mesurer son impact dans le réel"
    # The review round: 1 at the first submission, +1 at each submission after a round that got a review. Its
    # reviews (one, or two with a second opinion) carry its number.
    review_round: Mapped[int] = mapped_column(default=0, server_default="0")

    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    claimed_by = relationship("User", foreign_keys=[claimed_by_id], lazy="joined")
    enrolment = relationship("Enrolment")
    application = relationship("CohortApplication")

    @property
    def linked_to(self) -> str:
        """Where the sheet comes from: the MOOC run and/or the Alpha session."""
        run = self.enrolment.run if self.enrolment is not None else None
        return describe_origin(run.course.title if run else None, run.name if run else None,
                               self.application.cohort.title if self.application is not None else None)

    @property
    def owner_name(self) -> str:
        return self.owner.full_name if self.owner is not None else str(FORMER_OWNER)

    @property
    def state_label(self) -> str:
        return str(SHEET_STATE_LABELS[SheetState(self.state)])

    @property
    def state_badge(self) -> str:
        return SHEET_STATE_BADGES[SheetState(self.state)]

    def _is_owner(self, user) -> bool:
        return bool(user is not None and user.is_authenticated and user.id == self.owner_id)

    def can_review(self, user) -> bool:
        """Trainers review (claim, release, decide, ask for a second opinion, comment on the follow-up) the
        sheets of others: never their own."""
        return bool(
            user is not None and user.is_authenticated and user.has_any_role("trainer", "course_lead")
            and not self._is_owner(user)
        )

    def can_view(self, user) -> bool:
        return self._is_owner(user) or self.can_review(user)

    def owns(self, user) -> bool:
        return self._is_owner(user)

    def can_edit(self, user) -> bool:
        return self._is_owner(user) and self.state in (SheetState.DRAFT, SheetState.CHANGES_REQUESTED)

    def can_submit(self, user) -> bool:
        """Editable sheets, and sheets already sent: a second click on « Envoyer » lands where the first did."""
        return self._is_owner(user) and self.state != SheetState.APPROVED

    def can_follow_up(self, user) -> bool:
        return self._is_owner(user) and self.state == SheetState.APPROVED

    def can_withdraw(self, user) -> bool:
        return self._is_owner(user) and self.state in (SheetState.SUBMITTED, SheetState.IN_REVIEW, SheetState.SECOND_REVIEW)

    def can_comment_follow_up(self, user) -> bool:
        """Trainers comment on the milestones and indicators of an approved sheet (not their own)."""
        return self.can_review(user) and self.state == SheetState.APPROVED

    def can_restore(self, user) -> bool:
        """An earlier version comes back as a new one: the owner, while she may edit."""
        return self.can_edit(user)


class SheetVersion(db.Model):
    """Every save (autosave or button) is a version: nothing typed is ever overwritten."""

    __tablename__ = "sheet_versions"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "number", name="uq_sheet_versions_sheet_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(sa.JSON)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str | None] = mapped_column(sa.String(20))  # SaveKind; None: saved before it was recorded
    restored_from: Mapped[int | None]  # the number of the version it restores (kind « restore »)

    author = relationship("User", lazy="joined")

    @property
    def kind_label(self) -> str:
        return str(SAVE_KIND_LABELS[SaveKind(self.kind)]) if self.kind else str(_l("Non précisé"))


class SheetReview(db.Model):
    __tablename__ = "sheet_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    version_number: Mapped[int]
    verdict: Mapped[str] = mapped_column(sa.String(20))
    overall_comment: Mapped[str] = mapped_column(sa.Text, default="")
    section_comments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    round: Mapped[int] = mapped_column(default=1, server_default="1")  # the sheet's review_round it belongs to

    reviewer = relationship("User", lazy="joined")

    @property
    def reviewer_name(self) -> str:
        return self.reviewer.full_name if self.reviewer is not None else str(_l("Ancien·ne formateur·rice"))

    @property
    def verdict_label(self) -> str:
        return str(REVIEW_VERDICT_LABELS.get(self.verdict, self.verdict))


# --- After approval: the 6-month roadmap -----------------------------------------------------------------


class MilestoneStatus(StrEnum):
    TODO = "todo"
    DONE = "done"
    LATE = "late"
    ABANDONED = "abandoned"


MILESTONE_STATUS_LABELS = {
    MilestoneStatus.TODO: _l("À faire"),
    MilestoneStatus.DONE: _l("Fait"),
    MilestoneStatus.LATE: _l("En retard"),
    MilestoneStatus.ABANDONED: _l("Abandonné"),
}

# Reminders to update the roadmap, in months after approval.
ROADMAP_REMINDER_MONTHS = (1, 3, 6)


class SheetMilestone(db.Model):
    __tablename__ = "sheet_milestones"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "position", name="uq_sheet_milestones_sheet_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(20), default=MilestoneStatus.TODO)
    done_on: Mapped[date | None]

    @property
    def status_label(self) -> str:
        return str(MILESTONE_STATUS_LABELS[MilestoneStatus(self.status)])

    @property
    def done_on_time(self) -> bool:
        return self.status == MilestoneStatus.DONE and (self.due_on is None or (self.done_on or self.due_on) <= self.due_on)


class IndicatorMeasure(db.Model):
    """A measured value of one of the sheet's impact indicators."""

    __tablename__ = "indicator_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="CASCADE"), index=True)
    indicator: Mapped[str] = mapped_column(sa.String(200))
    value: Mapped[str] = mapped_column(sa.String(100))
    measured_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SheetFollowUpComment(db.Model):
    """A trainer's comment on one milestone or one indicator of an approved sheet's roadmap, for its owner."""

    __tablename__ = "sheet_follow_up_comments"
    __table_args__ = (
        sa.CheckConstraint("(milestone_id IS NULL) <> (indicator IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("product_sheets.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sheet_milestones.id", ondelete="CASCADE"))
    indicator: Mapped[str | None] = mapped_column(sa.String(200))  # an indicator's name, as in the sheet's content
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    author = relationship("User", lazy="joined")
    milestone = relationship("SheetMilestone")

    @property
    def author_name(self) -> str:
        return self.author.full_name if self.author is not None else str(_l("Ancien·ne formateur·rice"))
