"""Jinja filters and globals shared by every template: dates in Europe/Paris, Markdown, file sizes."""

from datetime import date, datetime

from flask import current_app, has_request_context, request, url_for
from flask_babel import format_decimal, get_locale
from markupsafe import Markup

from beta_training.core.forms import new_submission_key
from beta_training.core.i18n import elide, format_day, format_days, format_moment, format_number, format_range_start
from beta_training.core.markdown import absolute_links, markdown_to_text, render_markdown
from beta_training.core.territories import departement_label

FLASH_LEVELS = {"success": "success", "error": "error", "warning": "warning", "info": "info", "message": "info"}


def format_dt(value: datetime | None, fmt: str = "d MMMM yyyy 'à' HH'h'mm") -> str:
    """Stored in UTC, shown in Europe/Paris (BABEL_DEFAULT_TIMEZONE), « 1er » on the first of a month."""
    return format_moment(value, fmt) if value else ""


def format_d(value: date | datetime | str | None, fmt: str = "d MMMM yyyy") -> str:
    """Also takes the ISO dates (« 2027-01-15 ») that JSON content stores: shown « 15 janvier 2027 »."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value  # not a date after all: shown as typed, never a 500
    return format_day(value, fmt)


def format_file_size(size_bytes: int) -> str:
    """French units, as DSFR download links show them: « 350 ko », « 1,2 Mo »."""
    if size_bytes < 1024 * 1024:
        return f"{format_decimal(max(size_bytes / 1024, 1), '#,##0')} ko"
    return f"{format_decimal(size_bytes / (1024 * 1024), '#,##0.#')} Mo"


def nowrap(value) -> Markup:
    """A date (or any short phrase) that must not break across lines in a document: « 6 janvier 2027 » read
    « 6 janvier / 2027 » at a line's end (static/css/documents.css, .bt-nowrap)."""
    return Markup('<span class="bt-nowrap">{}</span>').format(value)


def csrf_field(form) -> Markup:
    """`form`'s CSRF field with the bytes WTForms writes, at a fraction of its cost: through WTForms a field
    takes ~30 µs, and a forum thread has a form (or several) per post."""
    return Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="{}">').format(
        form.csrf_token.current_token)


MAX_FIXED_URLS = 1000


def fixed_url(endpoint: str, **values) -> str:
    """`url_for` for a link that is the same on every page (the layout's): an endpoint and values written in the
    template, never taken from the request. Built once per process and per path the application is mounted on:
    a URL rule, like a static file's hashed name (read from the manifest at start), does not change while the
    process runs, and the layout's seventeen `url_for` took a tenth of its rendering."""
    if endpoint.startswith("."):
        raise ValueError(f"{endpoint}: a blueprint-relative endpoint depends on the request; name it in full")
    if not has_request_context():  # a page rendered by a job: url_for builds on BASE_URL (BetaTraining)
        return url_for(endpoint, **values)
    urls = current_app.extensions.setdefault("core.fixed_urls", {})
    key = (request.script_root, endpoint, *sorted(values.items()))
    url = urls.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if len(urls) < MAX_FIXED_URLS:  # bounded, whatever mounting paths the proxies may say
            urls[key] = url
    return url


def init_templating(app) -> None:
    app.jinja_env.filters["datetime"] = format_dt
    app.jinja_env.filters["date"] = format_d
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["markdown_text"] = markdown_to_text  # an email's text part: no « **…** » marks
    # Emails: the links people typed in their Markdown, made absolute on BASE_URL.
    app.jinja_env.filters["absolute_links"] = lambda html: absolute_links(html, current_app.config["BASE_URL"])
    app.jinja_env.filters["departement"] = departement_label
    app.jinja_env.filters["file_size"] = format_file_size
    app.jinja_env.filters["nowrap"] = nowrap
    app.jinja_env.filters["decimal"] = format_number  # « 3,5 »
    app.jinja_env.filters["days"] = format_days  # « 3 ans », « 90 jours »
    app.jinja_env.filters["elide"] = elide  # « Candidature d’Agnès »
    app.jinja_env.filters["date_from"] = format_range_start  # start|date_from(end): « du 1er au 2 janvier 2027 »
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["fixed_url"] = fixed_url
    # The one-time key of a form that creates something (core.forms.SubmissionKeyField): a double click sends it twice.
    app.jinja_env.globals["new_submission_key"] = new_submission_key
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def site_context():
        return {
            "site_name": current_app.config["SITE_NAME"],
            "accessibility_status": current_app.config["ACCESSIBILITY_STATUS"],
            "flash_levels": FLASH_LEVELS,
            "outbox_page_enabled": current_app.config["MAIL_OUTBOX_PAGE"],
        }
