"""Forms of the appel à intrapreneurs. Field-level validation only; the call's window is the service's."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from beta_training.calls.models import (
    ANSWER_LIMIT,
    ANSWER_LINES,
    CALLBACK_CHOICES,
    CRITERION_LIMIT,
    DEFAULT_BREAK_MINUTES,
    DEFAULT_PITCH_MINUTES,
    DEFAULT_PRESELECT_COUNT,
    DEFAULT_QUESTIONS_MINUTES,
    DOSSIER_STATE_LABELS,
    JURY_DECISIONS,
    MAX_CRITERIA,
    OPINION_LIMIT,
    QUESTION_BY_KEY,
    SCORES,
    TITLE_LIMIT,
    DossierState,
)
from beta_training.core.forms import DateField, DateTimeLocalField, SelectField, SubmissionKeyField, TimeField, choices


class CallForm(FlaskForm):
    title = StringField(_l("Titre de l’appel"), validators=[InputRequired(_l("Donnez un titre à l’appel.")), Length(max=200)],
                        description=_l("Par exemple : Appel à intrapreneurs 2027"))
    incubator = StringField(_l("Incubateur"), validators=[InputRequired(_l("Indiquez l’incubateur qui lance l’appel.")),
                                                         Length(max=200)],
                            description=_l("Par exemple : Incubateur des ministères sociaux"))
    opens_at = DateTimeLocalField(_l("Ouverture du formulaire"), description=_l("Heure de Paris"),
                                  validators=[InputRequired(_l("Indiquez la date d’ouverture."))])
    closes_at = DateTimeLocalField(_l("Clôture du formulaire"),
                                   description=_l("Heure de Paris ; un dossier est reçu jusqu’à cette heure pile, refusé dès la seconde qui suit"),
                                   validators=[InputRequired(_l("Indiquez la date de clôture."))])
    guide = TextAreaField(_l("Guide de l’appel"), description=_l("Calendrier, déroulé, ce que l’incubateur offre aux "
                                                               "lauréats… (Markdown : **gras**, listes, liens)"),
                          validators=[Optional(), Length(max=20_000)], render_kw={"rows": 12})
    criteria = TextAreaField(_l("Critères de sélection"),
                             description=_l("Un critère par ligne ; chacun est noté de 1 à 5 par les personnes qui "
                                            "examinent les dossiers"),
                             validators=[InputRequired(_l("Indiquez au moins un critère."))], render_kw={"rows": 4})
    preselect_count = IntegerField(_l("Nombre de projets à pré-sélectionner"), default=DEFAULT_PRESELECT_COUNT,
                                   validators=[InputRequired(_l("Indiquez un nombre.")),
                                               NumberRange(min=1, max=100, message=_l("Indiquez un nombre entre 1 et 100."))])
    submission_key = SubmissionKeyField()  # « Enregistrer » clicked twice on a new call creates one call

    def criteria_list(self) -> list[str]:
        return [line.strip() for line in (self.criteria.data or "").splitlines() if line.strip()]

    def validate_criteria(self, field):
        criteria = self.criteria_list()
        if not criteria:
            raise ValidationError(_l("Indiquez au moins un critère."))
        if len(criteria) > MAX_CRITERIA:
            raise ValidationError(_l("Indiquez au plus %(n)s critères.", n=MAX_CRITERIA))
        if any(len(criterion) > CRITERION_LIMIT for criterion in criteria):
            raise ValidationError(_l("Un critère tient en %(n)s caractères au plus.", n=CRITERION_LIMIT))
        if len({c.casefold() for c in criteria}) != len(criteria):
            raise ValidationError(_l("Chaque critère n’apparaît qu’une fois."))

    def validate_closes_at(self, field):
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("La clôture doit suivre l’ouverture."))

    def values(self) -> dict:
        return {"title": self.title.data.strip(), "incubator": self.incubator.data.strip(), "guide": self.guide.data or "",
                "criteria": self.criteria_list(), "preselect_count": self.preselect_count.data}


SCRATCH = "scratch"


class StartDossierForm(FlaskForm):
    """Start a dossier from one of her fiches produit (its answers copied in) or from a blank page."""

    source = RadioField(_l("Point de départ"), validators=[InputRequired(_l("Choisissez un point de départ."))],
                        invalid_choice_message=_l("Choisissez une de vos fiches produit, ou la page blanche."))
    submission_key = SubmissionKeyField()  # « Commencer » clicked twice starts one dossier


class RequiredToSubmit:
    """Shown as required (no « optionnel », aria-required) without blocking a draft: the service checks
    completeness when the candidate files the dossier."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


TO_SUBMIT = RequiredToSubmit()


def at_most_lines(form, field):
    """« 10 lignes au plus » counts the lines she typed too, not only the characters (ten short lines
    and a list of thirty items are both within the character limit)."""
    lines = len((field.data or "").strip().splitlines())
    if lines > ANSWER_LINES:
        raise ValidationError(_l("%(max)s lignes au plus : votre réponse en compte %(n)s, raccourcissez-la.",
                                 max=ANSWER_LINES, n=lines))


def _answer(key: str, limit: int):
    question = QUESTION_BY_KEY[key]
    marks = [TO_SUBMIT] if question.required else []
    return TextAreaField(question.label, description=question.hint,
                         validators=[*marks, Optional(), Length(max=limit, message=_l(
                             "10 lignes au plus : %(max)s caractères, raccourcissez votre réponse.", max=limit)),
                                     at_most_lines],
                         render_kw={"maxlength": limit, "rows": 8})


class DossierForm(FlaskForm):
    """Nothing blocks a draft; what TO_SUBMIT marks must be there when the candidate files it."""

    title = StringField(_l("Nom du projet"), description=_l("Un nom court, qui dit ce que l’usager y gagne."),
                        validators=[TO_SUBMIT, Optional(), Length(max=TITLE_LIMIT)])
    problem = _answer("problem", ANSWER_LIMIT)
    solution = _answer("solution", ANSWER_LIMIT)
    first_users = _answer("first_users", ANSWER_LIMIT)
    opinion = _answer("opinion", OPINION_LIMIT)
    callback = RadioField(_l("Souhaitez-vous être rappelé(e) par l’équipe de l’incubateur avant de finaliser votre "
                             "dossier ?"), choices=choices(CALLBACK_CHOICES), validators=[TO_SUBMIT, Optional()],
                          invalid_choice_message=_l("Répondez oui ou non."))
    consent_guide = BooleanField(_l("J’ai lu le guide de l’appel à intrapreneurs."), validators=[TO_SUBMIT])
    consent_share = BooleanField(_l("J’accepte que les informations de ce dossier soient partagées avec les personnes qui "
                                    "examinent les candidatures (équipe de l’incubateur et jury)."), validators=[TO_SUBMIT])
    base_version = HiddenField()  # the version the page shows (autosave replaces it after each save)

    def base(self) -> int | None:
        return int(self.base_version.data) if (self.base_version.data or "").isdigit() else None

    def answers(self) -> dict:
        return {"title": (self.title.data or "").strip(), "problem": self.problem.data or "",
                "solution": self.solution.data or "", "first_users": self.first_users.data or "",
                "opinion": self.opinion.data or "", "callback": self.callback.data or "",
                "consent_guide": bool(self.consent_guide.data), "consent_share": bool(self.consent_share.data)}


SCORE_CHOICES = choices((n, str(n)) for n in SCORES)


def evaluation_form(criteria: list[str], formdata=None, data=None, prefix: str = "") -> FlaskForm:
    """One 1–5 score and one comment per criterion of the call (criteria are the call's, so the form is built
    for it). Fields are named score_<n> and comment_<n>, n from 1 in the call's order."""

    class EvaluationForm(FlaskForm):
        def scores(self) -> list[dict]:
            return [{"criterion": criterion, "score": int(self[f"score_{n}"].data),
                     "comment": (self[f"comment_{n}"].data or "").strip()}
                    for n, criterion in enumerate(criteria, start=1)]

    for n, criterion in enumerate(criteria, start=1):
        setattr(EvaluationForm, f"score_{n}", RadioField(
            criterion, choices=SCORE_CHOICES, validators=[InputRequired(_l("Donnez une note de 1 à 5."))],
            invalid_choice_message=_l("Donnez une note de 1 à 5.")))
        setattr(EvaluationForm, f"comment_{n}", TextAreaField(
            _l("Commentaire sur « %(c)s »", c=criterion), validators=[Optional(), Length(max=2000)],
            render_kw={"rows": 3, "maxlength": 2000}))
    kwargs = {"data": data} if data is not None else {}
    kwargs["prefix"] = prefix  # the jury's page holds one form per pitch: distinct ids
    return EvaluationForm(formdata=formdata, **kwargs) if formdata is not None else EvaluationForm(**kwargs)


class PreselectForm(FlaskForm):
    decision = RadioField(_l("Décision"), choices=choices((("preselect", _l("Pré-sélectionner")),
                                                          ("unselect", _l("Retirer de la pré-sélection")))),
                          validators=[InputRequired(_l("Choisissez une décision."))],
                          invalid_choice_message=_l("Choisissez une décision."))


QUEUE_STATES = [DossierState.SUBMITTED, DossierState.PRESELECTED, DossierState.NOT_PRESELECTED]


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET filters

    state = SelectField(_l("État"), choices=choices(((s.value, DOSSIER_STATE_LABELS[s]) for s in QUEUE_STATES),
                                                    placeholder=_l("Tous")), validators=[Optional()])
    min_score = SelectField(_l("Note moyenne minimale"), choices=choices(((str(n), f"{n}/5") for n in SCORES),
                                                                         placeholder=_l("Toutes")), validators=[Optional()])
    sort = SelectField(_l("Trier par"), choices=choices([("score", _l("Note moyenne, la meilleure d’abord")),
                                                         ("score_asc", _l("Note moyenne, la plus basse d’abord")),
                                                         ("submitted", _l("Date de dépôt")),
                                                         ("evaluations", _l("Nombre d’évaluations, le plus petit d’abord"))]),
                       default="score", validators=[Optional()])


class InformForm(FlaskForm):
    """The two emails of the pre-selection's outcome, edited before they go, and the coaching slot offered."""

    coaching_at = DateTimeLocalField(_l("Session express de coaching"), description=_l("Heure de Paris"),
                                     validators=[InputRequired(_l("Indiquez la date et l’heure de la session de coaching."))])
    coaching_place = StringField(_l("Lieu ou lien de la session de coaching"),
                                 description=_l("Une adresse, ou le lien de la visioconférence"),
                                 validators=[InputRequired(_l("Indiquez le lieu ou le lien de la session.")), Length(max=300)])
    preselected_subject = StringField(_l("Objet du courriel aux pré-sélectionné·es"),
                                      validators=[InputRequired(_l("Saisissez un objet.")), Length(max=200)])
    preselected_body = TextAreaField(_l("Message aux pré-sélectionné·es"),
                                     description=_l("Markdown. La date et le lieu de la session de coaching sont ajoutés "
                                                    "sous le message."),
                                     validators=[InputRequired(_l("Saisissez un message.")), Length(max=5000)],
                                     render_kw={"rows": 10})
    others_subject = StringField(_l("Objet du courriel aux autres candidat·es"),
                                 validators=[InputRequired(_l("Saisissez un objet.")), Length(max=200)])
    others_body = TextAreaField(_l("Message aux autres candidat·es"), description=_l("Markdown."),
                                validators=[InputRequired(_l("Saisissez un message.")), Length(max=5000)],
                                render_kw={"rows": 10})
    confirm = BooleanField(_l("J’ai relu les deux messages : les envoyer maintenant. Les dossiers non pré-sélectionnés "
                              "seront alors marqués « non retenus »."),
                           validators=[InputRequired(_l("Cochez la case pour confirmer l’envoi."))])


# --- Jury ----------------------------------------------------------------------------------------------------


class JurorForm(FlaskForm):
    email = EmailField(_l("Adresse électronique du juré ou de la jurée"),
                       description=_l("Une personne sans compte reçoit un lien pour le créer avec cette adresse."),
                       validators=[InputRequired(_l("Indiquez une adresse électronique.")), Length(max=254),
                                   Email(_l("Indiquez une adresse électronique valide, par exemple nom@exemple.gouv.fr."))])


class JurySessionForm(FlaskForm):
    jury_on = DateField(_l("Date de la séance"), validators=[InputRequired(_l("Indiquez la date de la séance."))])
    jury_starts_at = TimeField(_l("Heure du premier pitch"), description=_l("Heure de Paris"),
                               validators=[InputRequired(_l("Indiquez l’heure du premier pitch."))])
    jury_place = StringField(_l("Lieu ou lien"), description=_l("Une adresse, ou le lien de la visioconférence"),
                             validators=[InputRequired(_l("Indiquez le lieu ou le lien de la séance.")), Length(max=300)])
    pitch_minutes = IntegerField(_l("Durée du pitch (minutes)"), default=DEFAULT_PITCH_MINUTES, validators=[
        InputRequired(_l("Indiquez une durée.")), NumberRange(min=1, max=60, message=_l("Entre 1 et 60 minutes."))])
    questions_minutes = IntegerField(_l("Questions-réponses (minutes)"), default=DEFAULT_QUESTIONS_MINUTES, validators=[
        InputRequired(_l("Indiquez une durée.")), NumberRange(min=0, max=60, message=_l("Entre 0 et 60 minutes."))])
    break_minutes = IntegerField(_l("Pause entre deux pitchs (minutes)"), default=DEFAULT_BREAK_MINUTES, validators=[
        InputRequired(_l("Indiquez une durée.")), NumberRange(min=0, max=60, message=_l("Entre 0 et 60 minutes."))])

    def values(self) -> dict:
        return {"jury_on": self.jury_on.data, "jury_starts_at": self.jury_starts_at.data,
                "jury_place": self.jury_place.data.strip(), "pitch_minutes": self.pitch_minutes.data,
                "questions_minutes": self.questions_minutes.data, "break_minutes": self.break_minutes.data}


class MoveForm(FlaskForm):
    # Where the dossier was on the page: a second click (or a stale tab) finds it moved already and moves nothing.
    position = IntegerField(validators=[InputRequired(), NumberRange(min=0)])
    direction = RadioField(_l("Déplacer"), choices=choices((("up", _l("Plus tôt")), ("down", _l("Plus tard")))),
                           validators=[InputRequired(_l("Choisissez un sens."))],
                           invalid_choice_message=_l("Choisissez un sens."))


DECISION_CHOICES = choices((s.value, DOSSIER_STATE_LABELS[s]) for s in JURY_DECISIONS)


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Décision du jury"), choices=DECISION_CHOICES,
                          validators=[InputRequired(_l("Choisissez une décision."))],
                          invalid_choice_message=_l("Choisissez une décision."))
    reason = TextAreaField(_l("Raison de la décision"), description=_l("Elle figure au procès-verbal du jury."),
                           validators=[InputRequired(_l("Indiquez la raison de la décision.")), Length(max=2000)],
                           render_kw={"rows": 3})
    subject = StringField(_l("Objet du courriel au candidat ou à la candidate"),
                          validators=[InputRequired(_l("Saisissez un objet.")), Length(max=200)])
    body = TextAreaField(_l("Message"), description=_l("Markdown. Pré-rempli selon la décision ; modifiable."),
                         validators=[InputRequired(_l("Saisissez un message.")), Length(max=5000)], render_kw={"rows": 8})
    # The decision the subject and message were written for: a decision changed after them is not sent with
    # another decision's letter (« lauréat » to a project on the waiting list).
    texts_for = HiddenField()
