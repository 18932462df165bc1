"""Language choice (French unless the user picked another supported language in the footer), and French usage
for plurals, dates and decimals.

The interface is written in French in the code: French has no catalogue, so gettext's fallback would choose a plural
form by the English rule (n == 1), giving « 0 places ». `ngettext` here picks the form by the locale's CLDR rule
when the language is the source one (French: 0 and 1 are singular, « 0 place », « 1 place », « 17 places »), and
reads the catalogue otherwise (English).

Dates: « 1er janvier » (the first day of a month is an ordinal in French, which CLDR patterns do not say), in
Europe/Paris (BABEL_DEFAULT_TIMEZONE). Decimals: the locale's separator, « 3,5 ».
"""

import re
from datetime import UTC, date, datetime
from functools import cache, lru_cache

from babel import Locale, dates, numbers
from babel.numbers import NumberPattern, parse_pattern
from flask import current_app, g, has_request_context, session
from flask_babel import (Domain, format_date, format_datetime, format_decimal, get_locale, get_timezone, get_translations,
                         to_user_timezone)
from jinja2 import pass_context
from markupsafe import Markup

# « d MMMM », « d MMM » or « d » alone (a range's first day), not « dd » nor a quoted letter
DAY_BEFORE_MONTH = re.compile(r"(?<![d'])d(?= MMM|$)")
# « de » before a word starting with a vowel sound: « d’Agnès », « d’Hélène », « d’Yves », but « de Yasmine » (a Y
# before a vowel sounds as a consonant). Mute h is the rule for first names; the rare aspirated h (« de Hugues »
# is also written « d’Hugues ») is not worth a word list.
DE_BEFORE_VOWEL = re.compile(
    r"\b([Dd])e (?=[AEIOUHÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆaeiouhàâäéèêëîïôöùûüœæ]|[Yy][^aeiouyàâäéèêëîïôöùûüœæ])")


def select_locale() -> str:
    """Outside a request (a job, a command: the emails they write), the default language."""
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


class RequestDomain(Domain):
    """Flask-Babel's message domain, whose catalogue is looked up once per request and locale. Flask-Babel's
    own lookup costs about 5 µs (its context three times, the locale turned into a string as the cache key),
    and a page asks for it at every message: its templates' (200 on a forum thread) and the labels its code
    translates (`_`, lazy strings). Kept in Flask-Babel's state of the request (`g._flask_babel`), with the
    locale it is for: force_locale() (another Locale object) and refresh() (the locale removed) get a fresh one.
    The app's only domain (install_request_domain), hence `translations()` reading the same slot."""

    def get_translations(self):
        found = _request_translations()
        if found is not None:
            return found
        locale = get_locale()
        if locale is None:  # outside an application context
            return super().get_translations()
        found = super().get_translations()
        g._flask_babel.request_translations = (locale, found)  # get_locale() made Flask-Babel's state
        return found


def _request_translations():
    """The catalogue kept for this request's current locale, or None: two attribute reads, no lookup."""
    try:
        state = g._flask_babel
        locale, found = state.request_translations
        return found if locale is state.babel_locale else None
    except (AttributeError, RuntimeError):  # nothing kept yet, the locale refreshed, or no application context
        return None


def install_request_domain(app) -> None:
    """Every gettext of Flask-Babel (`_`, lazy strings, ngettext, the templates') goes through RequestDomain."""
    babel = app.extensions["babel"]
    # Flask-Babel creates its domain on first use (a cached property of the extension): this one instead.
    babel.instance.domain_instance = RequestDomain(domain=babel.default_domain)


def translations():
    """The request's catalogue (flask_babel.get_translations, without its three context lookups when kept)."""
    found = _request_translations()
    return found if found is not None else get_translations()


def _is_source_language(locale) -> bool:
    return locale.language == current_app.config["BABEL_DEFAULT_LOCALE"].split("_")[0]


def plural_form(singular: str, plural: str, num) -> str:
    """The singular or the plural message for `num`, not yet formatted."""
    locale = get_locale()
    if locale is not None and _is_source_language(locale):
        return singular if locale.plural_form(abs(num)) == "one" else plural
    return translations().ungettext(singular, plural, num)


def ngettext(singular: str, plural: str, num, **variables) -> str:
    """flask_babel.ngettext with French plurals: `%(num)s` is `num` unless given."""
    variables.setdefault("num", num)
    return plural_form(singular, plural, num) % variables


@pass_context
def template_gettext(context, message: str, /, **variables) -> str:
    """Templates' `_` and `gettext`: what Jinja's new-style gettext does (the message translated, Markup when
    autoescaping, `%` formatting always, so that « 100 %% » reads « 100 % »), in one call instead of three (its
    `_` alias resolves `gettext`, which calls ours through the context): a page has a few hundred messages."""
    translated = translations().ugettext(message)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)
    # Without a « % », formatting gives the message back unchanged: skip it (Markup's escapes its arguments).
    return translated % variables if "%" in translated else translated


def install_plurals(app) -> None:
    """Templates' `ngettext` (Jinja's i18n extension, installed by Flask-Babel) with the same rule, and their
    `_`/`gettext` through template_gettext."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=plural_form,
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(gettext=template_gettext, _=template_gettext)


def elide(text: str) -> str:
    """French elision of « de » before a name inserted in a message: « Candidature de Agnès » → « d’Agnès ».
    Applied to messages whose « de » precedes a variable, once translated (other languages are left alone)."""
    locale = get_locale()
    if locale is None or locale.language != "fr":
        return text
    elided = DE_BEFORE_VOWEL.sub("\\1’", text)
    # Templates' messages are Markup with their variables escaped: the result stays Markup, or it is escaped twice.
    return Markup(elided) if isinstance(text, Markup) else elided


# Formatted dates, date-times and numbers, per process: Babel costs 8 to 20 µs per value (its pattern applied
# field by field, Flask-Babel's context looked up three times), and the same values come back at every request
# (a dashboard's 90 days, a forum page's posts, a queue's averages). A text depends only on the value, the
# pattern, the locale and the time zone, all in the key: nothing else, nobody's data but what the caller gives.
FORMATTED_TEXTS = 8192  # per kind: a few hundred kilobytes at most
NAMED_FORMATS = ("short", "medium", "long", "full")  # Flask-Babel's configurable formats: not memoised


def _first_of_month(fmt: str, day: int, locale=None) -> str:
    if day == 1 and (locale or get_locale()).language == "fr":
        return DAY_BEFORE_MONTH.sub("d'er'", fmt)
    return fmt


def _locale_and_zone():
    """This request's locale and time zone: read from Flask-Babel's state when it has them (no lookup chain)."""
    try:
        state = g._flask_babel
        return state.babel_locale, state.babel_tzinfo
    except (AttributeError, RuntimeError):  # not looked up yet in this request, or no application context
        return get_locale(), get_timezone()


def _locale_key(locale) -> tuple:
    """A locale as a key (Babel's Locale compares attribute by attribute, and each request has its own)."""
    return locale.language, locale.territory, locale.script, locale.variant, locale.modifier


@lru_cache(maxsize=FORMATTED_TEXTS)
def _day_text(value: date, fmt: str, locale_key: tuple) -> str:
    locale = Locale(*locale_key)
    return dates.format_date(value, _first_of_month(fmt, value.day, locale), locale=locale)


@lru_cache(maxsize=FORMATTED_TEXTS)
def _moment_text(value: datetime, fmt: str, locale_key: tuple, zone) -> str:
    """Flask-Babel's format_datetime, as it does it: a naive value is UTC, shown in the request's time zone."""
    locale = Locale(*locale_key)
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    local_day = zone.normalize(aware.astimezone(zone)).day
    return dates.format_datetime(value, _first_of_month(fmt, local_day, locale), tzinfo=zone, locale=locale)


@lru_cache(maxsize=FORMATTED_TEXTS)
def _number_text(value, value_type: type, places: int, fixed: bool, locale_key: tuple) -> str:
    # value_type in the key: 1 == 1.0 == Decimal(1) share a hash, but not always a rounding.
    return numbers.format_decimal(value, _decimal_pattern(places, fixed), locale=Locale(*locale_key))


def format_day(value: date | datetime, fmt: str = "d MMMM yyyy") -> str:
    """A date (or the Paris day of a date-time): « 1er janvier 2027 », « 15 janvier 2027 »."""
    if isinstance(value, datetime):
        return format_moment(value, fmt)
    locale, _zone = _locale_and_zone()
    if locale is None or fmt in NAMED_FORMATS:
        return format_date(value, _first_of_month(fmt, value.day))
    return _day_text(value, fmt, _locale_key(locale))


def format_range_start(start: date | datetime, end: date | datetime) -> str:
    """The first day of a range without what the last day says anyway: « du 1er au 2 janvier 2027 », « du 30
    novembre au 2 décembre 2027 », « du 28 décembre 2026 au 2 janvier 2027 » (the last day written in full)."""
    first, last = (to_user_timezone(v).date() if isinstance(v, datetime) else v for v in (start, end))
    if (first.year, first.month) == (last.year, last.month):
        return format_day(start, "d")
    return format_day(start, "d MMMM" if first.year == last.year else "d MMMM yyyy")


def format_moment(value: datetime, fmt: str = "d MMMM yyyy 'à' HH'h'mm") -> str:
    """A stored UTC date-time, in Paris: « 1er juillet 2026 à 23h59 »."""
    locale, zone = _locale_and_zone()
    if locale is None or fmt in NAMED_FORMATS:
        return format_datetime(value, _first_of_month(fmt, to_user_timezone(value).day))
    return _moment_text(value, fmt, _locale_key(locale), zone)


def format_days(days: int) -> str:
    """A duration given in days, as a person reads it: « 3 ans » for 1,095 days, « 1 an », « 90 jours » (a legal
    duration stays exact: whole years only when the days are whole years)."""
    if days >= 365 and days % 365 == 0:
        return ngettext("%(num)s an", "%(num)s ans", days // 365)
    return ngettext("%(num)s jour", "%(num)s jours", days)


def format_number(value, places: int = 2, fixed: bool = False) -> str:
    """A decimal as the locale writes it, without trailing zeros: « 3,5 », « 4 », « 3,67 » (2 places); `fixed`
    keeps them, for numbers read side by side (averages: « 4,0 » next to « 3,5 »)."""
    locale, _zone = _locale_and_zone()
    if locale is None:
        return format_decimal(value, _decimal_pattern(places, fixed))
    return _number_text(value, type(value), places, fixed, _locale_key(locale))


@cache
def _decimal_pattern(places: int, fixed: bool = False) -> NumberPattern:
    """Parsed once per process: Babel parses a pattern given as text at every call (half the cost of a number
    in a table of 25 rows × 4 averages). A pattern is the same for everyone; the locale is applied per call."""
    return parse_pattern("#,##0." + ("0" if fixed else "#") * places if places else "#,##0")
