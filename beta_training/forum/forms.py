"""Forms of the forum. Lengths are checked here for the message next to the field, and again by the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from beta_training.core.forms import SubmissionKeyField, choices
from beta_training.forum.models import EMAIL_FREQUENCY_LABELS, THREAD_KIND_LABELS

BODY_HINT = _l("Markdown : **gras**, *italique*, listes, [lien](https://…). Mentionnez quelqu’un avec @prénom.nom.")
MAX_BODY = 10_000


class ThreadForm(FlaskForm):
    category_id = SelectField(_l("Catégorie"), coerce=int, validators=[InputRequired(_l("Choisissez une catégorie."))])
    kind = RadioField(_l("Type de sujet"), choices=choices(THREAD_KIND_LABELS.items()), default="question",
                      validators=[InputRequired(_l("Choisissez le type de sujet."))])
    title = StringField(_l("Titre"), validators=[InputRequired(_l("Donnez un titre.")), Length(max=200)])
    body = TextAreaField(_l("Message"), description=BODY_HINT,
                         validators=[InputRequired(_l("Écrivez votre message.")), Length(max=MAX_BODY)], render_kw={"rows": 8})
    announcement = BooleanField(_l("Annonce : épinglée et envoyée par courriel à tous les membres"))
    submission_key = SubmissionKeyField()


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Votre réponse"), description=BODY_HINT,
                         validators=[InputRequired(_l("Écrivez votre message.")), Length(max=MAX_BODY)], render_kw={"rows": 6})
    parent_id = HiddenField()
    submission_key = SubmissionKeyField()


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Votre commentaire"), validators=[InputRequired(_l("Écrivez votre message.")), Length(max=MAX_BODY)],
                         render_kw={"rows": 3})
    parent_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    submission_key = SubmissionKeyField()


class EditPostForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[Optional(), Length(max=200)])
    body = TextAreaField(_l("Message"), description=BODY_HINT,
                         validators=[InputRequired(_l("Écrivez votre message.")), Length(max=MAX_BODY)], render_kw={"rows": 8})
    # The post's edit version the text was loaded from (forum.queries.edit_version): a save from a tab left
    # open after another edit is refused instead of silently undoing it. Absent (an old page): not checked.
    loaded_version = IntegerField(widget=HiddenInput(), validators=[
        Optional(), NumberRange(min=0, max=2**31 - 1, message=_l("La version du message est invalide : rechargez la page "
                                                                 "(copiez d’abord votre texte)."))])


# DataRequired, not InputRequired: a reason of spaces only is no reason (the service refuses it, the form says so).
class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Raison"), validators=[DataRequired(_l("Indiquez la raison.")), Length(max=500)], render_kw={"rows": 3})


class ReportForm(FlaskForm):
    reason = TextAreaField(_l("Ce qui pose problème"), description=_l("Seule l’équipe lit votre signalement."),
                           validators=[DataRequired(_l("Dites à l’équipe ce qui pose problème.")), Length(max=1000)],
                           render_kw={"rows": 4})


class PreferencesForm(FlaskForm):
    email_frequency = RadioField(_l("Courriels du forum"), choices=choices(EMAIL_FREQUENCY_LABELS.items()),
                                 validators=[InputRequired(_l("Choisissez une option."))])


class UnsubscribeForm(FlaskForm):
    """The unsubscribe page's one button: confirm (no `undo`), or, once done, undo (`undo` carries the signed
    choice to put back)."""

    undo = HiddenField()


class DraftForm(FlaskForm):
    """What the autosave script posts while someone types: everything optional, lengths capped."""

    category_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    kind = StringField(validators=[Optional(), Length(max=20)])
    title = StringField(validators=[Optional(), Length(max=200)])
    body = TextAreaField(validators=[Optional(), Length(max=MAX_BODY)])
