"""Form helpers shared by every domain."""

import re
from uuid import uuid4

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice

SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")


def choices(pairs, placeholder=None) -> list[SelectChoice]:
    """(value, label) pairs as WTForms SelectChoice, with an optional empty first option."""
    options = [SelectChoice("", placeholder)] if placeholder is not None else []
    return options + [SelectChoice(str(value), label) for value, label in pairs]


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token: for buttons that change state (logout, confirm, withdraw…)."""


def new_submission_key() -> str:
    """One per rendered form: a double click posts the same key twice."""
    return uuid4().hex


class SubmissionKeyField(HiddenField):
    """The one-time key of a rendered form (see core.db.earlier_submission). A fresh key when the form is
    shown; the posted one when it comes back. A key that is missing or not a plausible key (crafted, too
    long for its column) is replaced by a fresh one: that request is then simply not deduplicated."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("default", new_submission_key)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and SUBMISSION_KEY.fullmatch(valuelist[0] or ""):
            self.data = valuelist[0]
        elif not self.data:
            self.data = new_submission_key()
