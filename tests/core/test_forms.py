"""Shared form pieces."""

import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from beta_training.core.forms import SelectField, choices


class Filters(FlaskForm):
    class Meta:
        csrf = False

    departement = SelectField("Département", choices=choices([("01", "Ain"), ("2A", "Corse-du-Sud"), ("<x>", "a & \"b\"")],
                                                             placeholder=_l("Tous")))
    flag = SelectField("Drapeau", choices=[SelectChoice(True, "Oui"), SelectChoice(False, "Non")],
                       coerce=lambda v: v in (True, "True"))
    decorated = SelectField("Avec attributs", choices=[SelectChoice("a", "A", render_kw={"disabled": True}),
                                                       SelectChoice("b", "B")])


def test_the_quick_select_writes_what_wtforms_writes(app):
    """Same bytes as WTForms' own widget: placeholder, selected option, escaping, lazy labels, booleans, an
    option with attributes of its own, attributes given at rendering."""
    for data in ({}, {"departement": "2A", "flag": "True", "decorated": "a"}, {"departement": "<x>", "decorated": "b"}):
        with app.test_request_context(query_string=data):
            form = Filters(MultiDict(data))
            for field in form:
                for attributes in ({}, {"class": "fr-select", "aria-describedby": "x"}):
                    assert field.type == "SelectField"  # the DSFR macro chooses its markup by this name
                    assert field(**attributes) == wtforms.widgets.Select()(field, **attributes)
