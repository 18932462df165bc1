"""Form helpers shared by every domain."""

import re
from uuid import uuid4

import wtforms
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import HiddenField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.widgets.core import clean_key

SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")


class QuickSelect(wtforms.widgets.Select):
    """WTForms' <select>, with the same bytes, a few times faster: WTForms builds every <option>'s attributes with
    html_params() (a sort, a loop, checks), which costs a list of the 101 départements about a millisecond on each
    page that shows it (the review queue's filters); on each call it also reads render_option's signature
    (inspect), goes through the choices twice and translates a lazy label three times. An option with
    attributes of its own (render_kw) or extra ones goes through WTForms as before, and so does a list with
    groups (optgroup)."""

    def __call__(self, field, **kwargs):
        choices = field._choices_from_input(field.choices) or []
        if type(field).iter_choices is not wtforms.SelectField.iter_choices or any(
                choice.optgroup is not None for choice in choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = vars(field.flags)  # the flags set on this field (WTForms reads them through dir())
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                kwargs[name] = flags[name]
        coerce, data = field.coerce, field.data
        options = []
        for choice in choices:
            value, label, selected = choice.value, choice.label, coerce(choice.value) == data
            if choice.render_kw:
                options.append(self.render_option(Choice(value=value, label=label, selected=selected,
                                                          render_kw=choice.render_kw)))
                continue
            if isinstance(label, LazyString):
                # Translated once: `or` and escape() would each translate it again. A lazy string is HTML to
                # escape() (it has __html__): written as it is, as WTForms writes it.
                text = str(label)
                label = Markup(text) if text else value
            options.append(self._plain_option(value, label, selected))
        return Markup(f"<select {attributes(name=field.name, **kwargs)}>{''.join(options)}</select>")

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        return Markup(cls._plain_option(choice.value, choice.label, choice.selected))

    @staticmethod
    def _plain_option(value, label, selected: bool) -> str:
        """An <option> without attributes of its own, as WTForms writes it (html_params sorts: « selected » before
        « value »; a boolean value is written True or False)."""
        text = escape(label or value)
        value = str(value) if isinstance(value, bool) else value
        return f'<option {"selected " if selected else ""}value="{escape(value)}">{text}</option>'


def attributes(**kwargs) -> Markup:
    """wtforms.widgets.html_params(), same bytes, without Markup.format (a quarter of a small select's cost)."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            text = str(escape(value)).replace('"', "&quot;")  # a Markup value may hold quotes (as in html_params)
            params.append(f'{key}="{text}"')
    return Markup(" ".join(params))


class SelectField(wtforms.SelectField):
    """wtforms.SelectField drawn by QuickSelect (same name: templates pick the DSFR markup by field.type), whose
    choice check compares the choices' values with the data: WTForms builds a rendered option of every choice
    for it (a fifth of a millisecond for the review queue's filters and their 101 départements)."""

    widget = QuickSelect()

    def pre_validate(self, form):
        if (self.process_errors or not self.validate_choice or self.choices is None
                or type(self).iter_choices is not wtforms.SelectField.iter_choices):
            return super().pre_validate(form)  # WTForms' own answers (nothing to check, its TypeError…)
        coerce, data = self.coerce, self.data
        if not any(coerce(choice.value) == data for choice in self._choices_from_input(self.choices) or []):
            raise wtforms.ValidationError(self.invalid_choice_message or self.gettext("Not a valid choice."))


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


# --- Dates and times ---------------------------------------------------------------------------------------
# A date picker sends ISO values (2027-11-07, 2027-11-07T09:30, 09:30) whatever it shows, and it shows what the
# browser's language says (07/11/2027 in French, 11/07/2027 in American English). A browser without a picker, or
# a person typing, sends what they typed: the French way (07/11/2027, 07/11/2027 09:30, 9h30) is accepted too.
# Anything else is refused with a French message that says how to write it; never a 500.
# The first format of each list is the one the field writes back into the page, for the picker.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %Hh%M", "%d/%m/%Y à %Hh%M",
                          "%d/%m/%Y à %H:%M"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%Hh%M", "%Hh"]
INVALID_DATE = _l("Saisissez une date réelle au format JJ/MM/AAAA, par exemple 07/11/2027.")
INVALID_DATETIME = _l("Saisissez une date et une heure au format JJ/MM/AAAA hh:mm, par exemple 07/11/2027 09:30.")
INVALID_TIME = _l("Saisissez une heure au format hh:mm, par exemple 09:30.")


def _typed(valuelist):
    # Spaces around and inside what a person typed (« 7 h 30 », « 07/11/2027  9:30 ») are not a mistake.
    return [re.sub(r"\s*h\s*", "h", re.sub(r"\s+", " ", value.strip())) for value in valuelist or []]


class _TypedByHand:
    """A picker's value, or the same typed by hand in the formats French people write (`formats`); else the French
    message `invalid`."""

    formats = ()
    invalid = ""

    def __init__(self, label=None, validators=None, format=None, invalid_value_message=None, **kwargs):
        super().__init__(label, validators, format=format or self.formats,
                         invalid_value_message=invalid_value_message or self.invalid, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(_typed(valuelist))


class DateField(_TypedByHand, wtforms.DateField):
    """A date picker's value or a date typed as JJ/MM/AAAA."""

    formats, invalid = DATE_FORMATS, INVALID_DATE


class DateTimeLocalField(_TypedByHand, wtforms.DateTimeLocalField):
    """A date-and-time picker's value, or JJ/MM/AAAA hh:mm typed."""

    formats, invalid = DATETIME_LOCAL_FORMATS, INVALID_DATETIME


class TimeField(_TypedByHand, wtforms.TimeField):
    """A time picker's value, or hh:mm / 9h30 typed."""

    formats, invalid = TIME_FORMATS, INVALID_TIME
