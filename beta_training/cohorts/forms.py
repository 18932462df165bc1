"""Forms of the Alpha training. Field-level validation only."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, ValidationError

from beta_training.accounts.models import ADMINISTRATION_TYPE_LABELS
from beta_training.cohorts.models import (
    ANSWER_LIMITS,
    APPLICATION_STATE_LABELS,
    COHORT_FORMAT_LABELS,
    CRITERIA,
    SITUATION_LABELS,
    SPEAKER_ROLE_LABELS,
    DEFAULT_DAY_ENDS_AT,
    DEFAULT_DAY_STARTS_AT,
    ApplicationState,
)
from beta_training.core.forms import DateField, DateTimeLocalField, SelectField, SubmissionKeyField, TimeField, choices
from beta_training.core.i18n import format_day, format_range_start
from beta_training.core.territories import DEPARTEMENTS

SELECT = _l("Sélectionnez une option")


class RequiredToSubmit:
    """Marks a field as required (label without « optionnel », aria-required) without blocking a draft:
    completeness is checked when the candidate sends the application."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


TO_SUBMIT = RequiredToSubmit()
DEPARTEMENT_CHOICES = [(code, f"{code} – {name}") for code, name in DEPARTEMENTS]


class CohortForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[InputRequired(_l("Donnez un titre à la session.")), Length(max=200)],
                        description=_l("Par exemple : Formation Alpha — session de Lyon"))
    slug = StringField(
        _l("Identifiant dans l’adresse"),
        description=_l("Lettres minuscules, chiffres et tirets, par exemple : alpha-lyon-2027"),
        validators=[InputRequired(_l("Choisissez un identifiant.")), Length(max=120)],
    )
    edition = IntegerField(_l("Numéro d’édition"), validators=[InputRequired(_l("Indiquez le numéro d’édition.")),
                                                             NumberRange(min=1, max=10_000, message=_l("Indiquez un numéro entre 1 et 10 000."))])
    starts_on = DateField(_l("Premier jour"), validators=[InputRequired(_l("Indiquez le premier jour."))])
    ends_on = DateField(_l("Dernier jour"), validators=[InputRequired(_l("Indiquez le dernier jour."))])
    day_starts_at = TimeField(_l("Heure de début, chaque jour"), default=DEFAULT_DAY_STARTS_AT,
                              description=_l("Heure de Paris"),
                              validators=[InputRequired(_l("Indiquez l’heure de début."))])
    day_ends_at = TimeField(_l("Heure de fin, chaque jour"), default=DEFAULT_DAY_ENDS_AT,
                            description=_l("Heure de Paris"),
                            validators=[InputRequired(_l("Indiquez l’heure de fin."))])
    format = RadioField(_l("Format"), choices=choices(COHORT_FORMAT_LABELS.items()), default="presentiel",
                        validators=[InputRequired(_l("Choisissez un format."))])
    place_name = StringField(_l("Lieu"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=300)])
    access_link = StringField(_l("Lien de connexion (à distance)"), validators=[Optional(), URL(message=_l("Saisissez une adresse web complète, par exemple https://webinaire.numerique.gouv.fr/…")), Length(max=500)])
    seats = IntegerField(_l("Nombre de places"), validators=[InputRequired(_l("Indiquez le nombre de places.")), NumberRange(min=1, max=500)])
    practical_info = TextAreaField(_l("Informations pratiques"), description=_l("Repas, frais de transport pris en charge pour qui… (Markdown)"),
                                   validators=[Optional(), Length(max=3000)])
    applications_open_at = DateTimeLocalField(_l("Ouverture des candidatures"),
                                              validators=[InputRequired(_l("Indiquez la date d’ouverture."))])
    applications_close_at = DateTimeLocalField(_l("Clôture des candidatures"),
                                               validators=[InputRequired(_l("Indiquez la date de clôture."))])
    confirmation_delay_days = IntegerField(_l("Délai pour confirmer une place (jours)"), default=7,
                                           validators=[InputRequired(_l("Indiquez un délai.")), NumberRange(min=1, max=60)])
    # The version of the session the form was filled from (Cohort.edit_version): a save from a page left open
    # while someone else saved is refused instead of silently undoing their change.
    loaded_version = HiddenField()

    def validate_slug(self, field):
        import re

        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", field.data or ""):
            raise ValidationError(_l("Utilisez des lettres minuscules, des chiffres et des tirets, par exemple : alpha-lyon-2027"))

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Le dernier jour doit suivre le premier."))

    def validate_day_ends_at(self, field):
        if self.day_starts_at.data and field.data and field.data <= self.day_starts_at.data:
            raise ValidationError(_l("L’heure de fin doit suivre l’heure de début."))

    def validate_applications_close_at(self, field):
        if self.applications_open_at.data and field.data and field.data <= self.applications_open_at.data:
            raise ValidationError(_l("La clôture doit suivre l’ouverture."))


class StatusForm(FlaskForm):
    reason = StringField(_l("Motif"), validators=[Optional(), Length(max=300)])  # the form says « (optionnel) »


class CancelCohortForm(FlaskForm):
    reason = TextAreaField(_l("Motif de l’annulation"), description=_l("Il figure dans le courriel envoyé aux candidat·es."),
                           validators=[InputRequired(_l("Indiquez le motif de l’annulation.")), Length(max=300)],
                           render_kw={"maxlength": 300, "rows": 3})
    confirm = BooleanField(_l("Je confirme l’annulation de cette session. Elle est définitive."),
                           validators=[InputRequired(_l("Cochez la case pour confirmer l’annulation."))])


class SpeakerForm(FlaskForm):
    name = StringField(_l("Nom de l’intervenant·e"), validators=[InputRequired(_l("Saisissez un nom.")), Length(max=200)])
    role = SelectField(_l("Rôle"), choices=choices(SPEAKER_ROLE_LABELS.items()))
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])


class ProgrammeItemForm(FlaskForm):
    day = DateField(_l("Jour"), validators=[InputRequired(_l("Indiquez le jour."))])
    starts_at = TimeField(_l("Début"), validators=[Optional()])
    ends_at = TimeField(_l("Fin"), validators=[Optional()])
    title = StringField(_l("Titre"), validators=[InputRequired(_l("Donnez un titre.")), Length(max=200)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=2000)])
    speakers = SelectMultipleField(_l("Intervenant·es"), coerce=int, default=list, validators=[Optional()],
                                   description=_l("Ctrl ou Cmd pour en choisir plusieurs"))
    submission_key = SubmissionKeyField()  # adding an item: a double click adds it once

    def __init__(self, *args, cohort=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort  # the session: the day must be one of its days (the service checks it too)
        if cohort is not None:
            self.day.render_kw = {"min": cohort.starts_on.isoformat(), "max": cohort.ends_on.isoformat()}

    def validate_day(self, field):
        if self.cohort is not None and field.data and not self.cohort.starts_on <= field.data <= self.cohort.ends_on:
            raise ValidationError(_("Choisissez un jour de la session, du %(start)s au %(end)s.",
                                    start=format_range_start(self.cohort.starts_on, self.cohort.ends_on),
                                    end=format_day(self.cohort.ends_on, "d MMMM yyyy")))

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("L’heure de fin doit suivre l’heure de début."))


def _answer(label, limit_key, hint=None, required=True):
    marks = [TO_SUBMIT] if required else []
    return TextAreaField(label, description=hint, validators=[*marks, Optional(), Length(max=ANSWER_LIMITS[limit_key])],
                         render_kw={"maxlength": ANSWER_LIMITS[limit_key], "rows": 6})


class ApplicationForm(FlaskForm):
    """Nothing blocks a draft; fields marked TO_SUBMIT must be filled when the candidate sends it."""

    first_name = StringField(_l("Prénom"), validators=[TO_SUBMIT, Optional(), Length(max=100)], render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Nom"), validators=[TO_SUBMIT, Optional(), Length(max=100)], render_kw={"autocomplete": "family-name"})
    administration = StringField(_l("Administration"), description=_l("Par exemple : Pôle emploi, DINUM, Ville de Lyon"),
                                 validators=[TO_SUBMIT, Optional(), Length(max=200)], render_kw={"autocomplete": "organization"})
    administration_type = SelectField(_l("Type d’administration"), choices=choices(ADMINISTRATION_TYPE_LABELS.items(), placeholder=SELECT),
                                      validators=[TO_SUBMIT, Optional()])
    job_title = StringField(_l("Fonction"), validators=[TO_SUBMIT, Optional(), Length(max=200)], render_kw={"autocomplete": "organization-title"})
    departement = SelectField(_l("Département"), choices=choices(DEPARTEMENT_CHOICES, placeholder=SELECT), validators=[TO_SUBMIT, Optional()])
    situation = RadioField(_l("Votre situation"), choices=choices(SITUATION_LABELS.items()), validators=[TO_SUBMIT, Optional()])
    product_name = StringField(_l("Nom du produit ou du projet, s’il en a un"), validators=[Optional(), Length(max=200)])
    problem = _answer(_l("Quel est le problème que vous souhaitez résoudre ?"), "problem",
                      _l("Commencez par « Chaque année, des centaines de… » et donnez des chiffres. 10 lignes au plus."))
    solution = _answer(_l("Quelle est votre solution potentielle ?"), "solution", _l("Au présent, 10 lignes au plus."))
    first_users = _answer(_l("Qui seront vos premiers utilisateurs et les partenaires à mobiliser ?"), "first_users",
                          _l("Une cible très précise et la façon de la toucher. 10 lignes au plus."))
    motivation = _answer(_l("Votre motivation"), "motivation", _l("Pourquoi vous, pourquoi maintenant ?"))
    needs = _answer(_l("Besoins d’accessibilité ou régime alimentaire"), "needs", required=False)
    consent_guide = BooleanField(validators=[TO_SUBMIT], label=_l("J’ai lu la présentation de la formation et je m’engage à y participer entièrement si ma candidature est retenue."))
    consent_share = BooleanField(validators=[TO_SUBMIT], label=_l("J’accepte que mes réponses soient lues par l’équipe de formation de beta.gouv.fr pour la sélection."))

    # The application's version the form was filled from (CohortApplication.edit_version; "" before it
    # existed), kept current by each autosave: a tab left open after another one saved or sent is refused
    # instead of silently replacing the newer answers. Absent (an old page): not checked.
    loaded_version = HiddenField()

    def answers(self) -> dict:
        """Every answer, empty ones as "" (a draft may be incomplete, never NULL)."""
        return {field.name: ("" if field.data is None else field.data) for field in self
                if field.name not in ("csrf_token", "loaded_version")}


SCORE_CHOICES = choices((n, str(n)) for n in range(6))


class ReviewForm(FlaskForm):
    problem_score = RadioField(CRITERIA["problem_score"], coerce=int, choices=SCORE_CHOICES,
                               validators=[InputRequired(_l("Donnez une note de 0 à 5."))])
    motivation_score = RadioField(CRITERIA["motivation_score"], coerce=int, choices=SCORE_CHOICES,
                                  validators=[InputRequired(_l("Donnez une note de 0 à 5."))])
    solution_score = RadioField(CRITERIA["solution_score"], coerce=int, choices=SCORE_CHOICES,
                                validators=[InputRequired(_l("Donnez une note de 0 à 5."))])
    comment = TextAreaField(_l("Commentaire"), validators=[Optional(), Length(max=3000)])


DECISION_LABELS = {"accept": _l("Accepter (proposer une place)"), "waitlist": _l("Mettre en liste d’attente"), "reject": _l("Refuser")}


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Décision"), choices=choices(DECISION_LABELS.items()), validators=[InputRequired(_l("Choisissez une décision."))])
    reason = TextAreaField(_l("Motif"), description=_l("En cas de refus, il figure dans le courriel envoyé à la personne."),
                           validators=[Optional(), Length(max=2000)])


class BulkDecisionForm(DecisionForm):
    application_ids = SelectMultipleField(_l("Candidatures sélectionnées"), coerce=int, default=list,
                                          validators=[InputRequired(_l("Sélectionnez au moins une candidature."))])


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET filters

    state = SelectField(_l("État"), choices=choices(
        ((s.value, label) for s, label in APPLICATION_STATE_LABELS.items() if s != ApplicationState.DRAFT),
        placeholder=_l("Tous")), validators=[Optional()])
    administration_type = SelectField(_l("Type d’administration"), choices=choices(ADMINISTRATION_TYPE_LABELS.items(), placeholder=_l("Tous")),
                                      validators=[Optional()])
    departement = SelectField(_l("Département"), choices=choices(DEPARTEMENT_CHOICES, placeholder=_l("Tous")), validators=[Optional()])
    min_score = SelectField(_l("Note moyenne minimale"), choices=choices(((str(n), f"{n}/5") for n in range(1, 6)), placeholder=_l("Toutes")),
                            validators=[Optional()])
    sort = SelectField(_l("Trier par"), choices=choices([("submitted", _l("Date d’envoi")), ("score", _l("Note moyenne")),
                                                          ("name", _l("Nom")), ("waitlist", _l("Rang en liste d’attente"))]),
                       default="submitted", validators=[Optional()])


AUDIENCE_LABELS = {"confirmed": _l("Places confirmées"), "accepted": _l("Places proposées, non confirmées"),
                   "waitlisted": _l("Liste d’attente")}


class BulkEmailForm(FlaskForm):
    audience = RadioField(_l("Destinataires"), choices=choices(AUDIENCE_LABELS.items()), validators=[InputRequired(_l("Choisissez les destinataires."))])
    subject = StringField(_l("Objet"), validators=[InputRequired(_l("Saisissez un objet.")), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[InputRequired(_l("Saisissez un message.")), Length(max=5000)], render_kw={"rows": 10})
    submission_key = SubmissionKeyField()  # a double submit sends once


class AttendanceForm(FlaskForm):
    # default=list: ids that do not coerce are reported as an error (without it, WTForms' choice check
    # meets None and raises).
    attended_ids = SelectMultipleField(_l("Présent·es"), coerce=int, default=list, validators=[Optional()])


class AlumniProfileForm(FlaskForm):
    listed = BooleanField(_l("Apparaître dans l’annuaire des anciens (visible seulement par les autres anciens)"))
    project = StringField(_l("Projet"), description=_l("Par exemple : Mon suivi de stage, startup d’État au ministère de…"),
                          validators=[Optional(), Length(max=300)])
    contact = StringField(_l("Contact"), description=_l("Adresse électronique, numéro ou lien à partager avec les anciens"),
                          validators=[Optional(), Length(max=300)])


class AlumniSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Rechercher (nom, administration, projet)"), validators=[Optional(), Length(max=100)])
    departement = SelectField(_l("Département"), choices=choices(DEPARTEMENT_CHOICES, placeholder=_l("Tous")), validators=[Optional()])
