"""Form helpers shared by every domain."""

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


def choices(pairs, placeholder=None) -> list[SelectChoice]:
    """(value, label) pairs as WTForms SelectChoice, with an optional empty first option."""
    options = [SelectChoice("", placeholder)] if placeholder is not None else []
    return options + [SelectChoice(str(value), label) for value, label in pairs]


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token: for buttons that change state (logout, confirm, withdraw…)."""
