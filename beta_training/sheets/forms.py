"""Fiche produit forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
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
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from beta_training.core.forms import choices
from beta_training.core.submissions import key_field
from beta_training.sheets.models import GRID, INDICATOR_COUNT, MILESTONE_COUNT, PRIORITIES, SECTION_HINTS, SECTIONS, USERTYPES


class IndicatorForm(Form):
    name = StringField(_l("Indicateur"), validators=[Optional(), Length(max=200)])
    baseline = StringField(_l("Valeur de départ"), validators=[Optional(), Length(max=200)])
    target = StringField(_l("Cible à 6 mois"), validators=[Optional(), Length(max=200)])


class MilestoneForm(Form):
    title = StringField(_l("Jalon"), validators=[Optional(), Length(max=200)])
    due_on = StringField(_l("Échéance"), description=_l("Format : AAAA-MM-JJ"), validators=[Optional(), Length(max=10)],
                         render_kw={"type": "date"})
    priority = SelectField(_l("Priorité"), choices=choices(((p, _l("Priorité %(n)s", n=p)) for p in PRIORITIES), placeholder="—"),
                           validators=[Optional()])


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
    indicators = FieldList(FormField(IndicatorForm), min_entries=INDICATOR_COUNT, max_entries=INDICATOR_COUNT)
    milestones = FieldList(FormField(MilestoneForm), min_entries=MILESTONE_COUNT, max_entries=MILESTONE_COUNT)
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


class MeasureForm(FlaskForm):
    indicator = SelectField(_l("Indicateur"), validators=[InputRequired(_l("Choisissez un indicateur."))])
    value = StringField(_l("Valeur mesurée"), description=_l("Par exemple : 12 jours, 340 usagers"),
                        validators=[InputRequired(_l("Saisissez la valeur mesurée.")), Length(max=100)])
    measured_on = DateField(_l("Date de la mesure"), validators=[InputRequired(_l("Indiquez la date, par exemple 15/03/2027."))])
    submission_key = key_field()


class NewSheetForm(FlaskForm):
    # No Optional(): it would accept a blank " " that is no choice (and no id); "" is the « Aucune » choice.
    enrolment_id = SelectField(_l("Rattacher à une session du MOOC"))
    application_id = SelectField(_l("Rattacher à une candidature Alpha"))
    submission_key = key_field()
