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
from datetime import date, datetime
from functools import cache

from babel.numbers import NumberPattern, parse_pattern
from flask import current_app, g, has_request_context, session
from flask_babel import Domain, format_date, format_datetime, format_decimal, get_locale, get_translations, to_user_timezone
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
    translates (`_`, lazy strings). Kept on `g`, that is for this request only, with the locale it is for:
    force_locale() (another Locale object) gets its own."""

    def get_translations(self):
        locale = get_locale()
        if locale is None:  # outside an application context
            return super().get_translations()
        cached = g.get("_translations")
        if cached is not None and cached[0] is locale:
            return cached[1]
        found = super().get_translations()
        g._translations = (locale, found)
        return found


def install_request_domain(app) -> None:
    """Every gettext of Flask-Babel (`_`, lazy strings, ngettext, the templates') goes through RequestDomain."""
    babel = app.extensions["babel"]
    # Flask-Babel creates its domain on first use (a cached property of the extension): this one instead.
    babel.instance.domain_instance = RequestDomain(domain=babel.default_domain)


translations = get_translations


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


def install_plurals(app) -> None:
    """Templates' `ngettext` (Jinja's i18n extension, installed by Flask-Babel) with the same rule."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=plural_form,
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


def elide(text: str) -> str:
    """French elision of « de » before a name inserted in a message: « Candidature de Agnès » → « d’Agnès ».
    Applied to messages whose « de » precedes a variable, once translated (other languages are left alone)."""
    locale = get_locale()
    if locale is None or locale.language != "fr":
        return text
    elided = DE_BEFORE_VOWEL.sub("\\1’", text)
    # Templates' messages are Markup with their variables escaped: the result stays Markup, or it is escaped twice.
    return Markup(elided) if isinstance(text, Markup) else elided


def _first_of_month(fmt: str, day: int) -> str:
    if day == 1 and get_locale().language == "fr":
        return DAY_BEFORE_MONTH.sub("d'er'", fmt)
    return fmt


def format_day(value: date | datetime, fmt: str = "d MMMM yyyy") -> str:
    """A date (or the Paris day of a date-time): « 1er janvier 2027 », « 15 janvier 2027 »."""
    if isinstance(value, datetime):
        return format_moment(value, fmt)
    return format_date(value, _first_of_month(fmt, value.day))


def format_range_start(start: date | datetime, end: date | datetime) -> str:
    """The first day of a range without what the last day says anyway: « du 1er au 2 janvier 2027 », « du 30
    novembre au 2 décembre 2027 », « du 28 décembre 2026 au 2 janvier 2027 » (the last day written in full)."""
    first, last = (to_user_timezone(v).date() if isinstance(v, datetime) else v for v in (start, end))
    if (first.year, first.month) == (last.year, last.month):
        return format_day(start, "d")
    return format_day(start, "d MMMM" if first.year == last.year else "d MMMM yyyy")


def format_moment(value: datetime, fmt: str = "d MMMM yyyy 'à' HH'h'mm") -> str:
    """A stored UTC date-time, in Paris: « 1er juillet 2026 à 23h59 »."""
    return format_datetime(value, _first_of_month(fmt, to_user_timezone(value).day))


def format_days(days: int) -> str:
    """A duration given in days, as a person reads it: « 3 ans » for 1,095 days, « 1 an », « 90 jours » (a legal
    duration stays exact: whole years only when the days are whole years)."""
    if days >= 365 and days % 365 == 0:
        return ngettext("%(num)s an", "%(num)s ans", days // 365)
    return ngettext("%(num)s jour", "%(num)s jours", days)


def format_number(value, places: int = 2, fixed: bool = False) -> str:
    """A decimal as the locale writes it, without trailing zeros: « 3,5 », « 4 », « 3,67 » (2 places); `fixed`
    keeps them, for numbers read side by side (averages: « 4,0 » next to « 3,5 »)."""
    return format_decimal(value, _decimal_pattern(places, fixed))


@cache
def _decimal_pattern(places: int, fixed: bool = False) -> NumberPattern:
    """Parsed once per process: Babel parses a pattern given as text at every call (half the cost of a number
    in a table of 25 rows × 4 averages). A pattern is the same for everyone; the locale is applied per call."""
    return parse_pattern("#,##0." + ("0" if fixed else "#") * places if places else "#,##0")
