"""French as it is written: plurals (0 and 1 are singular), « 1er » for the first of a month, decimals with a comma,
a format hint on every date field; English keeps its own rules."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
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


# --- Formatted once per process -------------------------------------------------------------------------------


def _as_flask_babel_writes_it(value, fmt):
    """The reference: Flask-Babel's own formatting with « 1er » added, as core.i18n did before keeping texts."""
    from flask_babel import format_date, format_datetime, get_locale, to_user_timezone

    day = (to_user_timezone(value) if isinstance(value, datetime) else value).day
    if day == 1 and get_locale().language == "fr":
        fmt = re.sub(r"(?<![d'])d(?= MMM|$)", "d'er'", fmt)
    return format_datetime(value, fmt) if isinstance(value, datetime) else format_date(value, fmt)


MOMENTS = [datetime(2026, 3, 1, 0, 0, tzinfo=UTC) + timedelta(hours=7 * step) for step in range(0, 2400, 13)]
MOMENTS += [datetime(2026, 10, 25, hour, 30) for hour in range(4)]  # naive (UTC) across the autumn change
MOMENTS += [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
            datetime(2026, 6, 30, 22, 0, tzinfo=UTC), datetime(2026, 12, 31, 23, 0, tzinfo=UTC)]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_kept_texts_are_those_flask_babel_writes(app, language):
    """Dates, date-times and numbers are formatted once per process (core.i18n's memo): for a spread of values
    over two years, both time changes, first days of months in Paris but not in UTC, naive values, the texts
    are Babel's, in both languages."""
    with app.test_request_context():
        session["lang"] = language
        for value in MOMENTS:
            for fmt in ("d MMMM yyyy 'à' HH'h'mm", "d MMM", "EEEE d MMMM", "d", "HH:mm"):
                assert format_moment(value, fmt) == _as_flask_babel_writes_it(value, fmt), (value, fmt)
                assert format_day(value.date(), fmt.removesuffix(" 'à' HH'h'mm").replace("HH:mm", "d MMMM yyyy")) == \
                    _as_flask_babel_writes_it(value.date(), fmt.removesuffix(" 'à' HH'h'mm").replace("HH:mm", "d MMMM yyyy"))
        from flask_babel import format_decimal

        from beta_training.core.i18n import _decimal_pattern
        for value in (0, 1, 1.0, Decimal("1.00"), 2.675, Decimal("2.675"), 3.25, 1234.5, -0.5, 17):
            for places, fixed in ((2, False), (1, True), (0, False)):
                assert format_number(value, places, fixed) == format_decimal(value, _decimal_pattern(places, fixed))


def test_a_kept_text_is_per_language_and_per_value(app):
    """The same value in two languages within one request (force_locale: an email to someone), and two values
    of the same day: each its own text, never another's."""
    from flask_babel import force_locale

    with app.test_request_context():
        assert format_day(date(2027, 1, 1)) == "1er janvier 2027"
        assert format_moment(datetime(2027, 1, 1, 9, 0, tzinfo=UTC)) == "1er janvier 2027 à 10h00"
        assert format_number(3.5) == "3,5"
        with force_locale("en"):
            assert format_day(date(2027, 1, 1)) == "1 January 2027"
            assert format_moment(datetime(2027, 1, 1, 9, 0, tzinfo=UTC)) == "1 January 2027 à 10h00"
            assert format_number(3.5) == "3.5"
        assert format_day(date(2027, 1, 1)) == "1er janvier 2027"
        assert format_moment(datetime(2027, 1, 1, 9, 1, tzinfo=UTC)) == "1er janvier 2027 à 10h01"
        assert format_number(Decimal("3.50"), 2, True) == "3,50"


def test_a_value_is_formatted_by_babel_once_per_process(app, monkeypatch):
    """Kept: the second request's same date-time, date and number do not reach Babel again."""
    from babel import dates, numbers

    calls = []
    for module, name in ((dates, "format_datetime"), (dates, "format_date"), (numbers, "format_decimal")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *args, _original=original, **kwargs: calls.append(1) or _original(*args, **kwargs))
    value = datetime(2031, 5, 17, 8, 45, tzinfo=UTC)  # a value no other test formats
    for _request in range(2):
        with app.test_request_context():
            texts = (format_moment(value), format_day(date(2031, 5, 17)), format_number(12.375))
    assert texts == ("17 mai 2031 à 10h45", "17 mai 2031", "12,38")
    assert len(calls) == 3


# --- Templates' gettext -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source, variables", [
    ("{{ _('Progression : 100 %%') }}", {}),
    ("{{ _('Bonjour %(name)s', name=name) }}", {"name": "<b>Ana</b>"}),
    ("{{ _('Risque & vigilance') }}", {}),
    ("{% trans n=3 %}%(n)s fiches & 10 %%{% endtrans %}", {}),
    ("{% trans %}Se connecter{% endtrans %}", {}),
    ("{{ gettext('Se connecter') }} {{ _(label) }}", {"label": "a < b"}),
    ("{{ _('%(a)s et %(b)s', a=x, b=y) }}", {"x": "<i>", "y": 3}),
])
def test_templates_gettext_writes_what_jinja_writes(french, source, variables):
    """core.i18n.template_gettext replaces Jinja's new-style `_`/`gettext` (three calls per message by Jinja's
    way): the same text as Jinja's own, « %% » read as « % », variables escaped, the message marked safe."""
    from jinja2 import Environment

    jinja = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    jinja.install_gettext_callables(gettext=lambda s: s, ngettext=lambda s, p, n: s if n == 1 else p, newstyle=True)
    assert render_template_string(source, **variables) == jinja.from_string(source).render(**variables)


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
