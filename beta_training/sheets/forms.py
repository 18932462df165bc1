"""Fiche produit forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations
from wtforms import (
    DateField,
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

from beta_training.core.forms import SubmissionKeyField, choices
from beta_training.core.models import to_paris, utcnow
from beta_training.sheets.models import (
    GRID,
    INDICATOR_COUNT,
    MILESTONE_COUNT,
    PRIORITIES,
    SECTION_HINTS,
    SECTIONS,
    USERTYPES,
    milestone_due_on,
    past_date_problem,
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
    due_on = StringField(_l("Échéance"), description=_l("Format attendu : JJ/MM/AAAA"), validators=[Optional(), Length(max=10)],
                         render_kw={"type": "date"})
    priority = SelectField(_l("Priorité"), choices=choices(((p, _l("Priorité %(n)s", n=p)) for p in PRIORITIES), placeholder="—"),
                           validators=[Optional()], invalid_choice_message=_l("Choisissez la priorité 1, 2 ou 3, ou aucune."))

    def validate_due_on(self, field):
        # Stored as typed (a string in the sheet's JSON): it must be a real, plausible date.
        try:
            milestone_due_on(field.data or "", paris_today())
        except ValueError as error:
            raise ValidationError(str(error)) from None


def _section_field(name):
    label, limit = SECTIONS[name]
    field_class = StringField if name == "name" else TextAreaField
    kw = {"maxlength": limit} if name == "name" else {"maxlength": limit, "rows": 6}
    return field_class(label, description=SECTION_HINTS.get(name), validators=[Optional(), Length(max=limit)], render_kw=kw)


class SheetForm(FlaskForm):
    # The version the text was loaded from (hidden): required, and a number the database can hold.
    base_version = IntegerField(widget=HiddenField.widget, validators=[
        InputRequired(_l("La version de la fiche manque : rechargez la page (copiez d’abord votre texte).")),
        NumberRange(min=0, max=2**31 - 1, message=_l("La version de la fiche est invalide : rechargez la page (copiez d’abord votre texte)."))])
    name = _section_field("name")
    pitch = _section_field("pitch")
    context = _section_field("context")
    problem = _section_field("problem")
    solution = _section_field("solution")
    strategy = _section_field("strategy")
    team = _section_field("team")
    indicators = FieldList(FormField(IndicatorForm), _l("Indicateur"), min_entries=INDICATOR_COUNT, max_entries=INDICATOR_COUNT)
    milestones = FieldList(FormField(MilestoneForm), _l("Jalon"), min_entries=MILESTONE_COUNT, max_entries=MILESTONE_COUNT)
    usertypes = SelectMultipleField(_l("Usagers cibles"), choices=choices(USERTYPES.items()), validators=[Optional()],
                                    widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    thematiques = StringField(_l("Thématiques"), description=_l("Séparées par des virgules, par exemple : emploi, formation"),
                              validators=[Optional(), Length(max=300)])

    def content(self) -> dict:
        data = {name: getattr(self, name).data or "" for name in SECTIONS}
        data["indicators"] = [entry.data for entry in self.indicators]
        data["milestones"] = [entry.data for entry in self.milestones]
        data["usertypes"] = self.usertypes.data or []
        data["thematiques"] = self.thematiques.data or ""
        return data


VERDICTS = {"changes_requested": _l("Demander des modifications"), "approved": _l("Valider la fiche")}
SCORE_CHOICES = choices((n, str(n)) for n in range(1, 6))


class ReviewSheetForm(FlaskForm):
    verdict = RadioField(_l("Décision"), choices=choices(VERDICTS.items()), validators=[InputRequired(_l("Choisissez une décision."))])
    overall_comment = TextAreaField(_l("Commentaire général"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 5})


for _name, (_label, _limit) in SECTIONS.items():
    setattr(ReviewSheetForm, f"comment_{_name}", TextAreaField(_l("Commentaire : %(section)s", section=_label),
                                                               validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}))
for _key, _label in GRID.items():
    setattr(ReviewSheetForm, f"score_{_key}", RadioField(_label, choices=SCORE_CHOICES, validators=[Optional()]))


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
                            validators=[InputRequired(_l("Indiquez la date, par exemple 15/03/2027.")), _not_in_the_future])
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
