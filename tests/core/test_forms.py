"""Shared form pieces."""

import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms.validators import InputRequired
from wtforms.fields.choices import SelectChoice

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
