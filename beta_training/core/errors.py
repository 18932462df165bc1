"""Error pages in the site layout, in French. Messages stay generic (no internals, no enumeration).

JSON endpoints (autosave, the video player's « terminé ») answer JSON errors instead of an HTML page: a
script can then tell « refused, stop » from « network trouble, try again » and say so, instead of parsing
an error page as JSON and retrying forever.
"""

import logging

import sqlalchemy as sa
from flask import current_app, flash, jsonify, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from beta_training.core.actions import StateChanged
from beta_training.core.db import is_busy_error, reading, rollback

log = logging.getLogger(__name__)

HANDLED = (400, 403, 404, 405, 413, 415, 429)
BUSY_RETRY_AFTER_SECONDS = 5


# Machine code and French message of each error status, for JSON answers.
JSON_ERRORS = {
    400: ("bad_request", _l("La demande est incomplète ou mal formée : rechargez la page.")),
    401: ("login_required", _l("Votre session a expiré : reconnectez-vous dans un autre onglet, puis revenez ici. Votre texte n’a pas été enregistré.")),
    403: ("forbidden", _l("Vous n’avez pas le droit de faire cette action.")),
    404: ("not_found", _l("Cette page n’existe pas ou plus.")),
    405: ("method_not_allowed", _l("Cette action n’est pas possible ici.")),
    409: ("conflict", _l("Cette action n’est plus possible dans l’état actuel.")),
    413: ("too_large", _l("Le texte envoyé est trop volumineux.")),
    415: ("unsupported_media_type", _l("Format d’envoi non pris en charge : envoyez le formulaire depuis sa page.")),
    422: ("invalid", _l("Certaines valeurs ne sont pas valides.")),
    429: ("too_many_requests", _l("Trop de demandes à la suite : réessayez dans un instant.")),
    500: ("server_error", _l("Une erreur est survenue de notre côté : réessayez dans un instant.")),
    503: ("unavailable", _l("Le service est momentanément indisponible : réessayez dans un instant.")),
}
BUSY_MESSAGE = _l("Le service est très sollicité : réessayez dans quelques secondes. Votre texte n’a pas été enregistré.")
CSRF_EXPIRED = ("csrf_expired", _l("Cette page a expiré : votre texte n’a pas été enregistré. Copiez-le, puis rechargez la page."))


def json_endpoint(view):
    """Mark a view as answering JSON: its errors (403, 404, CSRF, login…) are JSON too."""
    view.json_errors = True
    return view


def on_stale_form(handler):
    """Mark a view whose forms, refused as stale (CSRF), have a better answer than « Votre session a expiré »:
    `handler()` returns that answer, or None for the generic page. Put it right under the route decorator."""
    def mark(view):
        view.stale_form_handler = handler
        return view
    return mark


def _view():
    return current_app.view_functions.get(request.endpoint) if request.endpoint else None


def wants_json() -> bool:
    """A JSON endpoint, or a request made by one of our scripts (they all send X-Requested-With: fetch)."""
    return (bool(getattr(_view(), "json_errors", False)) or request.headers.get("X-Requested-With") == "fetch"
            or request.is_json)


def json_error(status: int, code: str | None = None, message=None, **extra):
    """{"error": machine code, "message": French sentence, …extra} with `status`."""
    default_code, default_message = JSON_ERRORS.get(status, JSON_ERRORS[500] if status >= 500 else JSON_ERRORS[400])
    body = {"error": code or default_code, "message": str(message or default_message), **extra}
    return jsonify(body), status


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if wants_json():
            return json_error(400, *CSRF_EXPIRED)
        handler = getattr(_view(), "stale_form_handler", None)
        if handler is not None and (response := handler()) is not None:
            return response
        return render_template("errors/400_csrf.html", error=error), 400

    @app.errorhandler(StateChanged)
    def state_changed(error: StateChanged):
        """A second tab's action on an object that has moved on (core.actions.authorise): said, not refused."""
        rollback()  # core.db's: the outbox ids the failed transaction queued go with it
        if wants_json():
            return json_error(409, error.code, error.message, **error.extra)
        flash(error.message, "info")
        return redirect(error.to, 303)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if wants_json() and error.code is not None and error.code >= 400:
            response, status = json_error(error.code)
            for name, value in error.get_headers():  # Retry-After, Allow…
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response, status
        code = error.code if error.code in HANDLED else None
        if code is None:
            return error
        retry_after = None
        if code == 429:
            retry_after = getattr(error, "retry_after", None) or None
        return render_template(f"errors/{code}.html", error=error, retry_after=retry_after), code

    @app.errorhandler(sa.exc.OperationalError)
    def database_busy(error):
        """Another write held the lock past the timeout: nothing was saved, the person can simply retry."""
        if not is_busy_error(error):
            raise error
        rollback()
        log.warning("database busy on %s %s: %s", request.method, request.path, error.orig)
        if wants_json():
            response, _status = json_error(503, "busy", BUSY_MESSAGE)
        else:
            with reading():  # the page itself must not queue for the lock that just timed out
                response = render_template("errors/503.html", retry_after=BUSY_RETRY_AFTER_SECONDS)
        return response, 503, {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}

    @app.errorhandler(500)
    def server_error(error):
        rollback()
        log.exception("server error")
        if wants_json():
            return json_error(500)
        return render_template("errors/500.html"), 500
