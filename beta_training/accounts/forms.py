"""Account forms. Field-level validation only; messages in French with an example where it helps."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, ValidationError

from beta_training.accounts.models import ADMINISTRATION_TYPE_LABELS, ROLE_LABELS
from beta_training.core.forms import choices
from beta_training.core.territories import DEPARTEMENTS

EMAIL_HINT = _l("Format attendu : nom@domaine.gouv.fr")
EMAIL_ERROR = _l("Saisissez une adresse électronique valide, par exemple : prenom.nom@interieur.gouv.fr")


def email_field(label=None):
    return EmailField(
        label or _l("Adresse électronique"),
        description=EMAIL_HINT,
        validators=[InputRequired(_l("Saisissez votre adresse électronique.")), Email(EMAIL_ERROR), Length(max=254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def name_fields():
    first_name = StringField(
        _l("Prénom"),
        validators=[InputRequired(_l("Saisissez votre prénom.")), Length(max=100)],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        _l("Nom"),
        validators=[InputRequired(_l("Saisissez votre nom.")), Length(max=100)],
        render_kw={"autocomplete": "family-name"},
    )
    return first_name, last_name


class NewPasswordLength:
    """Minimum from config (ASVS: at least 8, 12 here); 128 max so any passphrase fits."""

    def __call__(self, form, field):
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(field.data or "") < minimum:
            raise ValidationError(
                _l("Votre mot de passe doit contenir au moins %(n)s caractères.", n=minimum)
            )
        if len(field.data) > 128:
            raise ValidationError(_l("Votre mot de passe doit contenir au plus 128 caractères."))


def new_password_fields():
    password = PasswordField(
        _l("Mot de passe"),
        description=_l("12 caractères minimum. Une phrase de passe est plus simple à retenir."),
        validators=[InputRequired(_l("Choisissez un mot de passe.")), NewPasswordLength()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmation du mot de passe"),
        validators=[
            InputRequired(_l("Saisissez à nouveau le mot de passe.")),
            EqualTo("password", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class RegisterForm(FlaskForm):
    first_name, last_name = name_fields()
    email = email_field()
    password, confirm = new_password_fields()
    next = HiddenField()  # where the visitor was going (e.g. an application form): back there after confirming

    def validate_password(self, field):
        if self.email.data and field.data and field.data.strip().lower() == self.email.data.strip().lower():
            raise ValidationError(_l("Votre mot de passe ne doit pas être votre adresse électronique."))


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        _l("Mot de passe"),
        validators=[InputRequired(_l("Saisissez votre mot de passe."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Rester connecté·e sur cet appareil (14 jours)"))
    next = HiddenField()


class EmailOnlyForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[InputRequired(_l("Saisissez votre mot de passe actuel."))],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()


class SetPasswordForm(FlaskForm):
    """An account created through ProConnect chooses its first password: it has no current one to give."""

    password, confirm = new_password_fields()


class ProfileForm(FlaskForm):
    first_name, last_name = name_fields()
    administration = StringField(
        _l("Administration"),
        description=_l("Par exemple : Pôle emploi, DINUM, Ville de Lyon"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    administration_type = SelectField(
        _l("Type d’administration"),
        choices=choices(ADMINISTRATION_TYPE_LABELS.items(), placeholder=_l("Sélectionnez une option")),
        validators=[Optional()],
    )
    job_title = StringField(
        _l("Fonction"),
        description=_l("Par exemple : chargée de mission, cheffe de bureau"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "organization-title"},
    )
    departement = SelectField(
        _l("Département"),
        choices=choices(
            ((code, f"{code} – {name}") for code, name in DEPARTEMENTS), placeholder=_l("Sélectionnez une option")
        ),
        validators=[Optional()],
    )

    def profile_data(self) -> dict:
        data = {name: getattr(self, name).data for name in (
            "first_name", "last_name", "administration", "administration_type", "job_title", "departement")}
        return {k: (v or None) if k not in ("first_name", "last_name") else v for k, v in data.items()}


class CompleteProfileForm(ProfileForm):
    """After a first ProConnect sign-in: what ProConnect does not give, and the trainers need."""

    administration = StringField(
        _l("Administration"),
        description=_l("Par exemple : Pôle emploi, DINUM, Ville de Lyon"),
        validators=[InputRequired(_l("Saisissez votre administration.")), Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    administration_type = SelectField(
        _l("Type d’administration"),
        choices=choices(ADMINISTRATION_TYPE_LABELS.items(), placeholder=_l("Sélectionnez une option")),
        validators=[InputRequired(_l("Choisissez le type de votre administration."))],
    )
    next = HiddenField()


class LinkPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Mot de passe de ce compte"),
        validators=[InputRequired(_l("Saisissez le mot de passe de ce compte."))],
        render_kw={"autocomplete": "current-password"},
    )


class GrantRoleForm(FlaskForm):
    role = SelectField(_l("Rôle à attribuer"), choices=choices(ROLE_LABELS.items()))


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # GET search form: nothing changes

    q = StringField(_l("Rechercher par nom ou adresse"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Rôle"),
        choices=choices(ROLE_LABELS.items(), placeholder=_l("Tous les rôles")),
        validators=[Optional()],
    )
