"""French as it is written: plurals (0 and 1 are singular), « 1er » for the first of a month, decimals with a comma,
a format hint on every date field; English keeps its own rules."""

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from bs4 import BeautifulSoup
from flask import render_template_string, session
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, StringField, TimeField

from beta_training.core.i18n import format_day, format_moment, format_number, ngettext
from beta_training.core.templating import format_d, format_dt

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def french(app):
    with app.test_request_context():
        yield


@pytest.fixture
def english(app):
    with app.test_request_context():
        session["lang"] = "en"
        yield


# --- Plurals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count, expected", [(0, "0 place"), (1, "1 place"), (2, "2 places"), (17, "17 places")])
def test_french_plurals_take_the_singular_for_0_and_1(french, count, expected):
    assert ngettext("%(num)s place", "%(num)s places", count) == expected


@pytest.mark.parametrize("count, expected", [(0, "0 fiche · 28"), (1, "1 fiche · 28"), (17, "17 fiches · 28")])
def test_templates_use_the_same_plural_rule(french, count, expected):
    assert render_template_string("{{ ngettext('%(num)s fiche · %(n)s', '%(num)s fiches · %(n)s', count, n=28) }}",
                                  count=count) == expected


def test_english_keeps_its_plural_rule(english):
    # 0 is plural in English (the catalogue has no entry here: the French text, by the English rule).
    assert ngettext("%(num)s jour", "%(num)s jours", 0) == "0 jours"
    assert ngettext("%(num)s jour", "%(num)s jours", 1) == "1 jour"


def test_templates_translate_in_the_language_of_the_moment(english):
    """The catalogue is looked up once per request (core.i18n.RequestDomain), but for the locale of the moment:
    a message written in another language within the request (force_locale: an email to someone) is in hers,
    in templates, in code and in lazy strings."""
    from flask_babel import force_locale, gettext, lazy_gettext

    template = "{{ _('Se connecter') }} · {{ ngettext('%(num)s jour', '%(num)s jours', 0) }}"
    label = lazy_gettext("Se connecter")
    assert render_template_string(template) == "Log in · 0 jours"
    assert gettext("Se connecter") == str(label) == "Log in"
    with force_locale("fr"):
        assert render_template_string(template) == "Se connecter · 0 jour"
        assert gettext("Se connecter") == str(label) == "Se connecter"
    assert render_template_string(template) == "Log in · 0 jours"
    assert gettext("Se connecter") == str(label) == "Log in"


def test_no_message_writes_its_plural_with_brackets():
    """Every translatable string of the code and the templates, as `make translations-update` extracts them."""
    method_map, options_map = parse_mapping_cfg(io.StringIO((ROOT / "babel.cfg").read_text()))
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    messages = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords,
                                directory_filter=lambda path: Path(path).relative_to(ROOT).parts[0] in ("beta_training", "templates"))
    bracketed = sorted({f"{path}:{line}: {text}" for path, line, message, _comments, _context in messages
                        for text in (message if isinstance(message, tuple) else (message,))
                        if text and ("(s)" in text or "(es)" in text)})
    assert bracketed == []


# --- Dates --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, fmt, expected", [
    (date(2027, 1, 1), "d MMMM yyyy", "1er janvier 2027"),
    (date(2027, 1, 15), "d MMMM yyyy", "15 janvier 2027"),
    (date(2027, 1, 21), "d MMMM yyyy", "21 janvier 2027"),
    (date(2027, 1, 1), "EEEE d MMMM yyyy", "vendredi 1er janvier 2027"),
    (date(2027, 1, 1), "d MMM", "1er janv."),
    (date(2027, 1, 1), "dd/MM/yyyy", "01/01/2027"),
])
def test_the_first_of_a_month_is_written_1er(french, value, fmt, expected):
    assert format_day(value, fmt) == expected


def test_1er_is_the_first_in_paris_not_in_utc(french):
    assert format_moment(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) == "1er juillet 2026 à 00h30"
    assert format_moment(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == "2 juillet 2026 à 00h30"
    assert format_day(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) == "1er juillet 2026"


def test_template_filters_write_1er(french):
    assert format_d(date(2027, 3, 1)) == "1er mars 2027"
    assert format_d("2027-03-01") == "1er mars 2027"  # the ISO dates that JSON content stores
    assert format_dt(datetime(2027, 2, 28, 23, 15, tzinfo=UTC)) == "1er mars 2027 à 00h15"


def test_english_dates_have_no_1er(english):
    assert format_day(date(2027, 1, 1)) == "1 January 2027"


# --- Decimals -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, places, expected", [
    (3.5, 2, "3,5"), (3.0, 2, "3"), (3.6667, 2, "3,67"), (3.25, 1, "3,2"), (4.75, 1, "4,8"),
])
def test_decimals_have_a_comma_and_no_trailing_zeros(french, value, places, expected):
    assert format_number(value, places) == expected
    assert render_template_string("{{ value|decimal(places) }}", value=value, places=places) == expected


def test_english_decimals_keep_the_point(english):
    assert format_number(3.5) == "3.5"


# --- Date fields --------------------------------------------------------------------------------------------------


class DatesForm(FlaskForm):
    day = DateField("Jour")
    opens_at = DateTimeLocalField("Ouverture", description="Heure de Paris")
    starts_at = TimeField("Début")
    typed = StringField("Échéance", render_kw={"type": "date"})
    name = StringField("Nom")


def test_every_date_field_gives_an_example_no_date_picker_contradicts(french):
    """The picker shows digits in the order of the browser's language (11/07/2027 in American English): the
    hint writes the example out in words instead of a digit format such as « JJ/MM/AAAA »."""
    html = render_template_string('{% from "_macros/forms.html" import render_field %}'
                                  "{% for field in form %}{{ render_field(field) }}{% endfor %}", form=DatesForm())
    hints = {label["for"]: label.select_one(".fr-hint-text") for label in BeautifulSoup(html, "html.parser").select("label")}
    assert hints["day"].get_text(strip=True) == "Par exemple : 7 novembre 2027"
    assert hints["opens_at"].get_text(strip=True) == "Heure de Paris – Par exemple : 7 novembre 2027 à 9 h 30"
    assert hints["starts_at"].get_text(strip=True) == "Par exemple : 9 h 30"
    assert hints["typed"].get_text(strip=True) == "Par exemple : 7 novembre 2027"
    assert hints["name"] is None


# --- Elision ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Agnès Agent", "Candidature d’Agnès Agent"),
        ("Élodie Martin", "Candidature d’Élodie Martin"),
        ("Hélène Roux", "Candidature d’Hélène Roux"),
        ("Yves Le Goff", "Candidature d’Yves Le Goff"),
        ("Yasmine Benali", "Candidature de Yasmine Benali"),
        ("Bernard Durand", "Candidature de Bernard Durand"),
    ],
)
def test_de_is_elided_before_a_name_starting_with_a_vowel_sound(french, name, expected):
    template = "{{ _('Candidature de %(name)s', name=name)|elide }}"
    assert render_template_string(template, name=name) == expected


def test_elision_escapes_the_name_once(french):
    template = "{{ _('De %(name)s', name=name)|elide }}"
    assert render_template_string(template, name="Anne <b>O’Neil</b>") == "D’Anne &lt;b&gt;O’Neil&lt;/b&gt;"


def test_english_is_not_elided(english):
    assert render_template_string("{{ 'Message de Agnès'|elide }}") == "Message de Agnès"


def test_every_name_after_de_in_templates_is_elided():
    """A message that puts a person's name after « de » goes through |elide (a new one would read « de Agnès »)."""
    message_with_name_after_de = re.compile(r"_\('[^']*\b[Dd]e %\((name|owner|author|candidate)\)s[^']*'[^)]*\)(\|elide)?")
    missing = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "templates").rglob("*.*")
        for match in message_with_name_after_de.finditer(path.read_text())
        if not match.group(2)
    ]
    assert missing == []


@pytest.mark.parametrize("start, end, expected", [
    (date(2027, 1, 1), date(2027, 1, 2), "du 1er au 2 janvier 2027"),
    (date(2027, 11, 30), date(2027, 12, 2), "du 30 novembre au 2 décembre 2027"),
    (date(2026, 12, 28), date(2027, 1, 2), "du 28 décembre 2026 au 2 janvier 2027"),
    (datetime(2027, 2, 28, 23, 30, tzinfo=UTC), datetime(2027, 3, 2, 12, tzinfo=UTC), "du 1er au 2 mars 2027"),  # Paris days
])
def test_a_range_says_its_month_and_year_once(french, start, end, expected):
    assert render_template_string("du {{ start|date_from(end) }} au {{ end|date }}", start=start, end=end) == expected


@pytest.mark.parametrize(("days", "expected"), [(1095, "3 ans"), (365, "1 an"), (90, "90 jours"), (1, "1 jour"),
                                                (400, "400 jours"), (0, "0 jour")])
def test_durations_in_days_read_in_years_when_they_are_whole_years(french, days, expected):
    assert render_template_string("{{ n|days }}", n=days) == expected
