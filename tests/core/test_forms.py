"""Shared form pieces."""

import pytest
import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from beta_training.core.forms import SelectField, attributes as attributes_of, choices


class Filters(FlaskForm):
    class Meta:
        csrf = False

    departement = SelectField("Département", choices=choices([("01", "Ain"), ("2A", "Corse-du-Sud"), ("<x>", "a & \"b\"")],
                                                             placeholder=_l("Tous")))
    flag = SelectField("Drapeau", choices=[SelectChoice(True, "Oui"), SelectChoice(False, "Non")],
                       coerce=lambda v: v in (True, "True"))
    decorated = SelectField("Avec attributs", choices=[SelectChoice("a", "A", render_kw={"disabled": True}),
                                                       SelectChoice("b", "B")])
    # A required field (WTForms adds its flag to the <select>), lazy labels holding HTML characters or empty.
    state = SelectField("État", choices=[SelectChoice("", _l("")), SelectChoice("x", _l("R&D <b>")),
                                         SelectChoice(3, "Trois")], coerce=str, validators=[InputRequired()])
    grouped = SelectField("Groupes", choices=[SelectChoice("a", "A", optgroup="Un"), SelectChoice("b", "B", optgroup="Deux")])


def test_the_quick_select_writes_what_wtforms_writes(app):
    """Same bytes as WTForms' own widget: placeholder, selected option, escaping, lazy labels, booleans, an
    option with attributes of its own, attributes given at rendering, flags, groups."""
    for data in ({}, {"departement": "2A", "flag": "True", "decorated": "a", "state": "x", "grouped": "b"},
                 {"departement": "<x>", "decorated": "b", "state": "3"}):
        with app.test_request_context(query_string=data):
            form = Filters(MultiDict(data))
            for field in form:
                for attributes in ({}, {"class": "fr-select", "aria-describedby": "x"},
                                   {"data_counter": Markup('a "b"'), "required": False, "aria-required": "true",
                                    "disabled": True, "title": _l("Tous")}):
                    assert field.type == "SelectField"  # the DSFR macro chooses its markup by this name
                    assert field(**attributes) == wtforms.widgets.Select()(field, **attributes)


def test_attributes_are_written_as_wtforms_writes_them():
    for attributes in ({}, {"class_": "fr-input", "id": "x", "name": "n"}, {"checked": True, "readonly": False},
                       {"data_max_length": 3, "aria_describedby": "m", "value": None},
                       {"title": Markup('<b>"x"</b>'), "alt": 'a "b" & <c>', "data-x": 0}):
        assert attributes_of(**attributes) == wtforms.widgets.html_params(**attributes)


class Checked(FlaskForm):
    class Meta:
        csrf = False

    departement = SelectField("Département", choices=choices([("01", "Ain"), ("2A", "Corse-du-Sud")], placeholder=_l("Tous")),
                              validators=[Optional()])
    state = SelectField("État", choices=[SelectChoice("a", _l("A")), SelectChoice("b", "B", optgroup="Deux")],
                        validators=[InputRequired()])
    number = SelectField("Nombre", choices=[SelectChoice(1, "Un"), SelectChoice(2, "Deux")], coerce=int)
    free = SelectField("Libre", choices=[SelectChoice("a", "A")], validate_choice=False)


class CheckedByWTForms(Checked):
    departement = wtforms.SelectField("Département", choices=Checked.departement.kwargs["choices"], validators=[Optional()])
    state = wtforms.SelectField("État", choices=Checked.state.kwargs["choices"], validators=[InputRequired()])
    number = wtforms.SelectField("Nombre", choices=Checked.number.kwargs["choices"], coerce=int)
    free = wtforms.SelectField("Libre", choices=[SelectChoice("a", "A")], validate_choice=False)


def test_the_quick_choice_check_answers_as_wtforms_does(app):
    """A value among the choices or not, none, one that does not coerce, a group's, an unchecked field's: the same
    validity and the same messages as WTForms' own check."""
    messages = set()
    for data in ({}, {"departement": "2A", "state": "b", "number": "2", "free": "z"}, {"departement": "99", "state": "c"},
                 {"departement": "", "state": "", "number": "x"}, {"number": "3"}):
        with app.test_request_context():
            ours, theirs = Checked(MultiDict(data)), CheckedByWTForms(MultiDict(data))
            assert ours.validate() == theirs.validate()
            assert ours.errors == theirs.errors
            messages.update(message for errors in ours.errors.values() for message in errors)
    assert "N'est pas un choix valide." in messages  # a value outside the choices was refused
    with app.test_request_context():
        form = Checked(MultiDict({"state": "a"}))
        form.number.choices = None
        with pytest.raises(TypeError):
            form.validate()
