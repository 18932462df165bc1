"""Login wiring and coarse role gates. Object-level checks are `can_*` predicates on the models."""

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user


def init_login_manager(login_manager, app, load_user) -> None:
    """`load_user(session_id)` is the accounts domain's: core knows no domain."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


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
