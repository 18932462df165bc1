"""Login wiring and coarse role gates. Object-level checks are `can_*` predicates on the models."""

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_url

from beta_training.core.errors import json_error, wants_json

def profile_not_required(view):
    """A page a signed-in person may open before her profile is complete (the accounts domain sends her to
    complete it first, elsewhere): signing out, the legal pages, her rights over the data already kept."""
    view.profile_not_required = True
    return view


def init_login_manager(login_manager, app, load_user) -> None:
    """`load_user(session_id)` is the accounts domain's: core knows no domain."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)

    @login_manager.unauthorized_handler
    def unauthorized():
        # A script (autosave…) whose session expired gets a JSON 401 it can explain, not the login page.
        if wants_json():
            return json_error(401)
        flash(str(login_manager.login_message), login_manager.login_message_category)
        return redirect(login_url(login_manager.login_view, next_url=request.url))


def role_required(*roles):
    """Coarse gate: the user must hold one of `roles` (admins hold them all). Anonymous → login."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from beta_training.extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.has_any_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_safe_next_url(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative `//` or `/\\` tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target and "\n" not in target


def next_url_or(default: str) -> str:
    target = request.args.get("next") or request.form.get("next")
    return target if is_safe_next_url(target) else default
