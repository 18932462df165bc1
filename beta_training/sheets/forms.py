"""Fiche produit forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations
from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.form import Form
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from beta_training.core.forms import DateField, SubmissionKeyField, choices
from beta_training.core.models import to_paris, utcnow
from beta_training.sheets.models import (
    COMMENT_TARGETS,
    GRID,
    INDICATOR_COUNT,
    MILESTONE_COUNT,
    PARTS,
    PRIORITIES,
    QUESTIONS,
    RUBRIC,
    LEVEL_NAMES,
    SCORE_LEVELS,
    USERTYPES,
    Question,
    milestone_due_on,
    past_date_problem,
    web_addresses,
)

INVALID_DATE = _l("Saisissez une date réelle, par exemple 15/03/2027.")


def paris_today():
    return to_paris(utcnow()).date()


class SubForm(Form):
    """A row of a FieldList: WTForms' own messages in French too, as in FlaskForm."""

    class Meta:
        def get_translations(self, form):
            return translations


class IndicatorForm(SubForm):
    name = StringField(_l("Indicateur"), validators=[Optional(), Length(max=200)])
    baseline = StringField(_l("Valeur de départ"), validators=[Optional(), Length(max=200)])
    target = StringField(_l("Cible à 6 mois"), validators=[Optional(), Length(max=200)])


class MilestoneForm(SubForm):
    title = StringField(_l("Jalon"), validators=[Optional(), Length(max=200)])
    due_on = StringField(_l("Échéance"), validators=[Optional(), Length(max=10)], render_kw={"type": "date"})
    priority = SelectField(_l("Priorité"), choices=choices(((p, _l("Priorité %(n)s", n=p)) for p in PRIORITIES), placeholder="—"),
                           validators=[Optional()], invalid_choice_message=_l("Choisissez la priorité 1, 2 ou 3, ou aucune."))

    def validate_due_on(self, field):
        # Stored as typed (a string in the sheet's JSON): it must be a real, plausible date.
        try:
            milestone_due_on(field.data or "", paris_today())
        except ValueError as error:
            raise ValidationError(str(error)) from None


class RequiredToSend:
    """Marks a question as required (its label without « optionnel », aria-required) without blocking a draft:
    a fiche is saved as it is typed; the five parts are checked when it is sent for review."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


REQUIRED_TO_SEND = {"name", *(question.key for part in PARTS for question in part.questions)}


def _web_addresses(form, field):
    _addresses, problem = web_addresses(field.data or "")
    if problem:
        raise ValidationError(problem)


def question_field(question: Question):
    """The field of one question of the table (sheets.models): its label, hint, limit and checks."""
    validators = [RequiredToSend()] if question.key in REQUIRED_TO_SEND else []
    validators += [Optional(), Length(max=question.limit)]
    if question.urls:
        validators.append(_web_addresses)
    if question.single_line:
        return StringField(question.label, description=question.hint, validators=validators,
                           render_kw={"maxlength": question.limit})
    return TextAreaField(question.label, description=question.hint, validators=validators,
                         render_kw={"maxlength": question.limit, "rows": question.rows})


class VersionedForm(FlaskForm):
    # The version the text was loaded from (hidden): required, and a number the database can hold.
    base_version = IntegerField(widget=HiddenField.widget, validators=[
        InputRequired(_l("La version de la fiche manque : rechargez la page (copiez d’abord votre texte).")),
        NumberRange(min=0, max=2**31 - 1, message=_l("La version de la fiche est invalide : rechargez la page (copiez d’abord votre texte)."))])

    def answers(self) -> dict:
        """The answers this form holds, by question key."""
        return {key: self[key].data or "" for key in QUESTIONS if key in self}


class _SheetForm(VersionedForm):
    def content(self) -> dict:
        data = self.answers()
        data["indicators"] = [entry.data for entry in self.indicators]
        data["milestones"] = [entry.data for entry in self.milestones]
        data["usertypes"] = self.usertypes.data or []
        data["thematiques"] = self.thematiques.data or ""
        return data


# The whole fiche: the header, every part's questions (in course order), then the roadmap. Built from the
# table, so the fields come in its order (WTForms orders fields by creation).
SheetForm = type("SheetForm", (_SheetForm,), {
    **{key: question_field(question) for key, question in QUESTIONS.items()},
    "indicators": FieldList(FormField(IndicatorForm), _l("Indicateur"), min_entries=INDICATOR_COUNT, max_entries=INDICATOR_COUNT),
    "milestones": FieldList(FormField(MilestoneForm), _l("Jalon"), min_entries=MILESTONE_COUNT, max_entries=MILESTONE_COUNT),
    "usertypes": SelectMultipleField(_l("Usagers cibles"), choices=choices(USERTYPES.items()), validators=[Optional()],
                                     widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()),
    "thematiques": StringField(_l("Thématiques"), description=_l("Séparées par des virgules, par exemple : emploi, formation"),
                               validators=[Optional(), Length(max=300)]),
})

# One part at the end of its sequence: only that part's questions.
PART_FORMS = {
    part.key: type(f"PartForm{part.sequence}", (VersionedForm,), {q.key: question_field(q) for q in part.questions})
    for part in PARTS
}


VERDICTS = {"changes_requested": _l("Demander des modifications"), "approved": _l("Valider la fiche"),
            "second_review": _l("Demander un second avis avant de décider (première relecture du tour seulement)")}


class ReviewSheetForm(FlaskForm):
    verdict = RadioField(_l("Décision"), choices=choices(VERDICTS.items()), validators=[InputRequired(_l("Choisissez une décision."))])
    overall_comment = TextAreaField(_l("Commentaire général"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 5})
    second_opinion_reason = TextAreaField(
        _l("Pourquoi un second avis ? (pour l’équipe)"),
        description=_l("Obligatoire si vous demandez un second avis : l’auteur·e voit seulement qu’un second avis est demandé."),
        validators=[Length(max=500)], render_kw={"rows": 2})

    def validate_second_opinion_reason(self, field):
        if self.verdict.data == "second_review" and not (field.data or "").strip():
            raise ValidationError(_l("Dites à vos collègues pourquoi vous demandez un second avis."))


for _target, _label in COMMENT_TARGETS.items():
    setattr(ReviewSheetForm, f"comment_{_target}", TextAreaField(_l("Commentaire : %(part)s", part=_label),
                                                                 validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}))
# Each level says what it means for this criterion (the rubric's descriptors): the reviewer scores against them.
for _criterion in RUBRIC:
    setattr(ReviewSheetForm, f"score_{_criterion.key}", RadioField(
        _criterion.label, validators=[Optional()], invalid_choice_message=_l("Choisissez un niveau de 1 à 5."),
        choices=choices((n, _l("%(n)s – %(level)s : %(descriptor)s", n=n, level=LEVEL_NAMES[n],
                                  descriptor=_criterion.descriptor(n))) for n in SCORE_LEVELS)))


class RestoreVersionForm(FlaskForm):
    # The latest version the page showed: a save since (another tab) is not overwritten unknowingly.
    base_version = IntegerField(widget=HiddenField.widget, validators=[
        InputRequired(_l("La version de la fiche manque : rechargez la page.")),
        NumberRange(min=0, max=2**31 - 1, message=_l("La version de la fiche est invalide : rechargez la page."))])


class FollowUpCommentForm(FlaskForm):
    target = SelectField(_l("Sur quel jalon ou indicateur ?"), validators=[InputRequired(_l("Choisissez un jalon ou un indicateur."))],
                         invalid_choice_message=_l("Choisissez un jalon ou un indicateur de cette feuille de route."))
    body = TextAreaField(_l("Commentaire"), description=_l("L’auteur·e de la fiche le voit sur sa feuille de route et le reçoit par courriel."),
                         validators=[InputRequired(_l("Écrivez votre commentaire.")), Length(max=2000)], render_kw={"rows": 3})
    submission_key = SubmissionKeyField()


def _not_in_the_future(form, field):
    if field.data is not None:
        problem = past_date_problem(field.data, paris_today())
        if problem:
            raise ValidationError(problem)


class MeasureForm(FlaskForm):
    indicator = SelectField(_l("Indicateur"), validators=[InputRequired(_l("Choisissez un indicateur."))],
                            invalid_choice_message=_l("Choisissez un des indicateurs de la fiche."))
    value = StringField(_l("Valeur mesurée"), description=_l("Par exemple : 12 jours, 340 usagers"),
                        validators=[InputRequired(_l("Saisissez la valeur mesurée.")), Length(max=100)])
    measured_on = DateField(_l("Date de la mesure"), invalid_value_message=INVALID_DATE,
                            validators=[InputRequired(_l("Indiquez la date de la mesure.")), _not_in_the_future])
    submission_key = SubmissionKeyField()


class RoadmapForm(FlaskForm):
    """The follow-up form: milestone states are read by the view from `status-<id>`; the launch date is here."""

    launched_on = DateField(_l("Date de lancement du service"), description=_l("Quand de vrais usagers ont commencé à l’utiliser."),
                            invalid_value_message=INVALID_DATE, validators=[Optional(), _not_in_the_future])


class NewSheetForm(FlaskForm):
    # No Optional(): it would accept a blank " " that is no choice (and no id); "" is the « Aucune » choice.
    enrolment_id = SelectField(_l("Rattacher à une session du MOOC"))
    application_id = SelectField(_l("Rattacher à une candidature Alpha"))
    submission_key = SubmissionKeyField()
