"""Product and comité forms (field-level checks; the services check the rest)."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations
from wtforms import FieldList, FormField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.form import Form
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from beta_training.core.forms import DateField, SelectField, SubmissionKeyField, choices
from beta_training.products.models import (
    BUDGET_LINES,
    DECISION_LABELS,
    GRID,
    MAX_BUDGET_LINE,
    MAX_PRIORITIES,
    PHASE_LABELS,
    SITE_ID_PATTERN,
)

INVALID_DATE = _l("Saisissez une date réelle, par exemple 15/03/2027.")
MAX_LINES = 20


def _pairs(text: str, field_name: str, *, check_id: bool) -> list[tuple[str, str]]:
    """« Nom ; identifiant » (or « Nom ; rôle »), one per line."""
    rows = []
    for number, line in enumerate((line.strip() for line in (text or "").splitlines()), start=1):
        if not line:
            continue
        name, separator, second = (part.strip() for part in line.partition(";"))
        if not separator or not name or not second:
            raise ValidationError(_l("Ligne %(n)s : écrivez « %(example)s ».", n=number, example=field_name))
        if check_id and not re.fullmatch(SITE_ID_PATTERN, second):
            raise ValidationError(_l("Ligne %(n)s : « %(id)s » n’est pas un identifiant de beta.gouv.fr (des lettres, "
                                     "des chiffres et des tirets, sans espace, par exemple « dinum » ou « MEFSIN »).", n=number, id=second[:60]))
        rows.append((name, second))
    if len(rows) > MAX_LINES:
        raise ValidationError(_l("%(n)s lignes au plus.", n=MAX_LINES))
    return rows


class ProductFieldsForm(FlaskForm):
    """A product's incubator, sponsors, other team members and contact: set at its creation, edited later."""

    incubator_name = StringField(_l("Incubateur"), description=_l("Par exemple : Incubateur de la DINUM"),
                                 validators=[InputRequired(_l("Indiquez l’incubateur.")), Length(max=200)])
    incubator_id = StringField(_l("Identifiant de l’incubateur sur beta.gouv.fr"), description=_l("Par exemple : dinum"),
                               validators=[InputRequired(_l("Indiquez l’identifiant de l’incubateur.")), Length(max=100)])
    sponsors = TextAreaField(_l("Administrations sponsors"),
                             description=_l("Une par ligne : nom ; identifiant de l’organisation sur beta.gouv.fr. Par "
                                            "exemple : Direction interministérielle du numérique ; dinum"),
                             validators=[InputRequired(_l("Indiquez au moins une administration sponsor.")), Length(max=4000)],
                             render_kw={"rows": 3})
    members = TextAreaField(_l("Autres membres de l’équipe"),
                            description=_l("Un par ligne : nom ; rôle. L’autrice de la fiche en fait partie d’office."),
                            validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})
    contact = StringField(_l("Adresse de contact de l’équipe"),
                          description=_l("Une adresse partagée de l’équipe ; sinon, celle de l’intrapreneur·e."),
                          validators=[Optional(), Length(max=254)])
    # Read by the view once the form validates; an empty optional field is never handed to its validate_ method.
    sponsor_pairs: tuple = ()
    member_pairs: tuple = ()

    def validate_contact(self, field):
        if field.data and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", field.data.strip()):
            raise ValidationError(_l("Saisissez une adresse électronique, par exemple equipe@exemple.gouv.fr."))

    def validate_incubator_id(self, field):
        if field.data and not re.fullmatch(SITE_ID_PATTERN, field.data.strip()):
            raise ValidationError(_l("Des lettres, des chiffres et des tirets, sans espace, par exemple « dinum » ou « DEAL-reunion »."))

    def validate_sponsors(self, field):
        self.sponsor_pairs = _pairs(field.data, _l("Nom ; identifiant"), check_id=True)
        if not self.sponsor_pairs:
            raise ValidationError(_l("Indiquez au moins une administration sponsor."))

    def validate_members(self, field):
        self.member_pairs = _pairs(field.data, _l("Nom ; rôle"), check_id=False)


class ProductDetailsForm(ProductFieldsForm):
    """What a new product needs besides where it comes from (an approved fiche, or a lauréat dossier)."""

    started_on = DateField(_l("Début de l’investigation"), invalid_value_message=INVALID_DATE,
                           validators=[InputRequired(_l("Indiquez la date de début de l’investigation."))])
    submission_key = SubmissionKeyField()


class ProductEditForm(ProductFieldsForm):
    name = StringField(_l("Nom du produit"), validators=[InputRequired(_l("Donnez un nom au produit.")), Length(max=200)])
    pitch = TextAreaField(_l("Pitch"), description=_l("Une ou deux phrases : pour qui, quel problème, quelle solution."),
                          validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    # The product's version the form was filled from (Product.edit_version): a save from a page left open in
    # another tab would otherwise undo a colleague's change unseen.
    loaded_version = HiddenField()


class NewProductForm(ProductDetailsForm):
    sheet_id = SelectField(_l("Fiche produit validée"), validators=[InputRequired(_l("Choisissez une fiche produit."))],
                           invalid_choice_message=_l("Choisissez une des fiches produit validées."))


class PhaseForm(FlaskForm):
    phase = SelectField(_l("Nouvelle phase"), validators=[InputRequired(_l("Choisissez la nouvelle phase."))],
                        invalid_choice_message=_l("Choisissez une des phases proposées."))
    on = DateField(_l("À partir du"), invalid_value_message=INVALID_DATE,
                   validators=[InputRequired(_l("Indiquez la date du changement de phase."))])
    reason = TextAreaField(_l("Pourquoi"), validators=[InputRequired(_l("Dites pourquoi la phase change.")), Length(max=2000)],
                           render_kw={"rows": 3})


class CommitteeForm(FlaskForm):
    held_on = DateField(_l("Date du comité"), invalid_value_message=INVALID_DATE,
                        validators=[InputRequired(_l("Indiquez la date du comité."))])
    submission_key = SubmissionKeyField()


class SubForm(Form):
    class Meta:
        def get_translations(self, form):
            return translations


class PriorityForm(SubForm):
    title = StringField(_l("Priorité"), validators=[Optional(), Length(max=200)])
    expected = TextAreaField(_l("Résultat attendu"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})


class CommitteeFileForm(FlaskForm):
    """The trame: 01. bilan, 02. objectifs (three priorities at most: the form has three rows), 03. besoins."""

    objectives_reached = TextAreaField(_l("Niveau d’atteinte des objectifs"),
                                       description=_l("Les objectifs du dernier comité : atteints, en partie, pas encore ; "
                                                      "avec les chiffres."),
                                       validators=[Optional(), Length(max=5000)], render_kw={"rows": 5})
    learnings = TextAreaField(_l("Réalisations et apprentissages"), validators=[Optional(), Length(max=5000)],
                              render_kw={"rows": 5})
    priorities = FieldList(FormField(PriorityForm), label=_l("Priorité"), min_entries=MAX_PRIORITIES,
                           max_entries=MAX_PRIORITIES)
    team_needs = TextAreaField(_l("L’équipe"), description=_l("Taille et profils de l’équipe pressentie, appuis attendus."),
                               validators=[Optional(), Length(max=3000)], render_kw={"rows": 4})
    base_version = HiddenField()

    def budget(self) -> dict:
        return {key: getattr(self, f"budget_{key}").data for key in BUDGET_LINES}

    def base(self) -> int | None:
        return int(self.base_version.data) if (self.base_version.data or "").isdigit() else None


class EurosField(StringField):
    """Whole euros as people write them: « 12 000 », « 12000 », « 12 000 € » (a type=number input misreads the
    space and the comma). Cents and anything else are refused in words; the amount is shown back « 12 000 »."""

    SPACES = re.compile(r"[\s\u00a0\u202f]+")

    def process_formdata(self, valuelist):
        self.data = None
        text = self.SPACES.sub("", valuelist[0] if valuelist else "").removesuffix("€").removesuffix("euros")
        if not text:
            return
        if re.fullmatch(r"\d+[,.]\d*", text):
            raise ValueError(_l("Un montant en euros entiers, sans centimes : par exemple 12 000."))
        if not text.isdigit() or not text.isascii():
            raise ValueError(_l("Saisissez un montant en euros, en chiffres : par exemple 12 000."))
        self.data = int(text)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:,}".replace(",", " ") if isinstance(self.data, int) else ""


for _key, _label in BUDGET_LINES.items():
    setattr(CommitteeFileForm, f"budget_{_key}", EurosField(
        _label, description=_l("En euros entiers, pour six mois ; par exemple 12 000"),
        validators=[Optional(), NumberRange(0, MAX_BUDGET_LINE, _l("Un nombre d’euros entre 0 et %(max)s.",
                                                                    max=f"{MAX_BUDGET_LINE:,}".replace(",", " ")))],
        render_kw={"inputmode": "numeric"}))


class IndicatorValueForm(FlaskForm):
    indicator_id = SelectField(_l("Indicateur"), validators=[InputRequired(_l("Choisissez un indicateur."))],
                               invalid_choice_message=_l("Choisissez un des indicateurs du produit."))
    value = StringField(_l("Valeur mesurée"), description=_l("Par exemple : 340 usagers"),
                        validators=[InputRequired(_l("Saisissez la valeur mesurée.")), Length(max=100)])
    measured_on = DateField(_l("Date de la mesure"), invalid_value_message=INVALID_DATE,
                            validators=[InputRequired(_l("Indiquez la date de la mesure."))])
    submission_key = SubmissionKeyField()


class IndicatorForm(FlaskForm):
    name = StringField(_l("Indicateur"), description=_l("Ce que vous mesurez, par exemple : nombre de familles inscrites"),
                       validators=[InputRequired(_l("Nommez l’indicateur.")), Length(max=200)])
    baseline = StringField(_l("Point de départ"), description=_l("Par exemple : 0"),
                           validators=[Optional(), Length(max=100)])
    target = StringField(_l("Cible"), description=_l("Par exemple : 600 familles dans six mois"),
                         validators=[Optional(), Length(max=100)])


class MilestoneForm(FlaskForm):
    title = StringField(_l("Jalon"), description=_l("Par exemple : premier usager réel"),
                        validators=[InputRequired(_l("Nommez le jalon.")), Length(max=200)])
    due_on = DateField(_l("Échéance"), invalid_value_message=INVALID_DATE, validators=[Optional()])


SCORE_CHOICES = choices((n, str(n)) for n in range(1, 6))


class ScoreForm(FlaskForm):
    comment = TextAreaField(_l("Commentaire"), validators=[Optional(), Length(max=3000)], render_kw={"rows": 3})

    def scores(self) -> dict:
        return {key: int(getattr(self, f"score_{key}").data) for key in GRID}


for _key, (_label, _criteria) in GRID.items():
    setattr(ScoreForm, f"score_{_key}", RadioField(
        _l("%(part)s : note sur 5", part=_label), choices=SCORE_CHOICES,
        validators=[InputRequired(_l("Donnez une note de 1 à 5 à « %(part)s ».", part=_label))]))


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Décision"), choices=choices(DECISION_LABELS.items()),
                          validators=[InputRequired(_l("Choisissez une décision."))])
    next_phase = SelectField(_l("Phase après le comité (si le projet continue)"), validators=[Optional()],
                             invalid_choice_message=_l("Choisissez une des phases proposées."))
    reasons = TextAreaField(_l("Raisons de la décision"), description=_l("Elles sont envoyées à l’équipe."),
                            validators=[InputRequired(_l("Donnez les raisons de la décision.")), Length(max=5000)],
                            render_kw={"rows": 5})


def phase_choices(phases, placeholder=None):
    return choices(((phase.value, PHASE_LABELS[phase]) for phase in phases), placeholder=placeholder)
