"""Jinja filters and globals shared by every template: dates in Europe/Paris, Markdown, navigation."""

from datetime import date, datetime

from flask import current_app, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from beta_training.core import submissions
from beta_training.core.markdown import render_markdown
from beta_training.core.territories import departement_label

FLASH_LEVELS = {"success": "success", "error": "error", "warning": "warning", "info": "info", "message": "info"}


def format_dt(value: datetime | None, fmt: str = "d MMMM yyyy 'à' HH'h'mm") -> str:
    """Stored in UTC, shown in Europe/Paris (BABEL_DEFAULT_TIMEZONE)."""
    return format_datetime(value, fmt) if value else ""


def format_d(value: date | datetime | None, fmt: str = "d MMMM yyyy") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt) if isinstance(value, datetime) else format_date(value, fmt)


def format_file_size(size_bytes: int) -> str:
    """French units, as DSFR download links show them: « 350 ko », « 1,2 Mo »."""
    if size_bytes < 1024 * 1024:
        return f"{format_decimal(max(size_bytes / 1024, 1), '#,##0')} ko"
    return f"{format_decimal(size_bytes / (1024 * 1024), '#,##0.#')} Mo"


def forum_unread_count() -> int:
    from beta_training.forum.queries import unread_thread_count

    return unread_thread_count(current_user)


def main_navigation() -> list[dict]:
    """Entries of the DSFR main menu for the current user, each with its active state."""
    entries = [
        {"label": _l("Accueil"), "endpoint": "core.home", "prefix": None},
        {"label": _l("Formation Alpha"), "endpoint": "cohorts.list_cohorts", "prefix": "cohorts."},
        {"label": _l("MOOC"), "endpoint": "courses.list_courses", "prefix": "courses."},
    ]
    if current_user.is_authenticated:
        entries.append({"label": _l("Mes candidatures"), "endpoint": "cohorts.list_my_applications", "prefix": None})
        entries.append({"label": _l("Mes fiches produit"), "endpoint": "sheets.list_sheets", "prefix": "sheets."})
        entries.append({"label": _l("Forums"), "endpoint": "forum.list_forums", "prefix": "forum.",
                        "badge": forum_unread_count()})
        entries.append({"label": _l("Mon compte"), "endpoint": "accounts.show_account", "prefix": "accounts.show"})
        if current_user.has_any_role("trainer"):
            entries.append({"label": _l("Gérer les sessions Alpha"), "endpoint": "cohorts.manage_cohorts", "prefix": None})
        if current_user.has_any_role("trainer", "course_lead"):
            entries.append({"label": _l("Gérer les MOOC"), "endpoint": "courses.manage_courses", "prefix": None})
            entries.append({"label": _l("Relire les fiches"), "endpoint": "sheets.review_queue", "prefix": None})
            entries.append({"label": _l("Impact"), "endpoint": "sheets.impact", "prefix": None})
        if current_user.is_admin:
            entries.append(
                {"label": _l("Administration"), "endpoint": "accounts.list_users", "prefix": "accounts.admin"}
            )
    endpoint = request.endpoint or ""
    exact = any(entry["endpoint"] == endpoint for entry in entries)
    for entry in entries:
        prefix = entry["prefix"]
        entry["url"] = url_for(entry["endpoint"])
        # One current entry: the exact page if it is in the menu, else the section it belongs to.
        entry["active"] = endpoint == entry["endpoint"] if exact else bool(prefix and endpoint.startswith(prefix))
    return entries


def init_templating(app) -> None:
    app.jinja_env.filters["datetime"] = format_dt
    app.jinja_env.filters["date"] = format_d
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["departement"] = departement_label
    app.jinja_env.filters["file_size"] = format_file_size
    app.jinja_env.globals["main_navigation"] = main_navigation
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["form_key"] = submissions.new_key  # one-time key of a creating form (core/submissions.py)
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
