"""The DSFR main menu: one entry per domain page the current user may use (the top floor knows them all)."""

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from beta_training.forum.queries import unread_thread_count


def forum_unread_count() -> int:
    return unread_thread_count(current_user)


def main_navigation() -> list[dict]:
    """Entries of the DSFR main menu for the current user, each with its active state."""
    entries = [
        {"label": _l("Accueil"), "endpoint": "site.home", "prefix": None},
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



def init_navigation(app) -> None:
    app.jinja_env.globals["main_navigation"] = main_navigation
