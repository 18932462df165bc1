"""« Mes données » forms: the erasure's confirmation, and an admin's request made on someone's behalf."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, TextAreaField
from wtforms.validators import InputRequired, Length

from beta_training.core.forms import SubmissionKeyField


class EraseAccountForm(FlaskForm):
    password = PasswordField(
        _l("Votre mot de passe"),
        description=_l("Pour confirmer que c’est bien vous."),
        validators=[InputRequired(_l("Saisissez votre mot de passe pour confirmer la suppression."))],
        render_kw={"autocomplete": "current-password"},
    )
    keep_sheets = BooleanField(
        _l("Laisser mes fiches produit aux formateurs, sans mon nom"),
        description=_l("Sinon, elles sont supprimées avec le compte."),
    )
    confirm = BooleanField(
        _l("Je comprends que la suppression est définitive"),
        validators=[InputRequired(_l("Cochez la case pour confirmer que la suppression est définitive."))],
    )


class AdminRequestForm(FlaskForm):
    """An export or an erasure an admin makes for a request received by mail."""

    reason = TextAreaField(
        _l("Motif de la demande"),
        description=_l("Par exemple : « demande reçue par courriel le 3 mars, identité vérifiée ». "
                       "Ne recopiez pas de données personnelles."),
        validators=[InputRequired(_l("Saisissez le motif de la demande.")), Length(max=1000)],
    )
    submission_key = SubmissionKeyField()


class AdminEraseForm(AdminRequestForm):
    keep_sheets = BooleanField(_l("Garder ses fiches produit pour les formateurs, sans son nom"))
    confirm = BooleanField(
        _l("La suppression est définitive"),
        validators=[InputRequired(_l("Cochez la case pour confirmer que la suppression est définitive."))],
    )
