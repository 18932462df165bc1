"""Error pages in the site layout, in French. Messages stay generic (no internals, no enumeration)."""

import logging

import sqlalchemy as sa
from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from beta_training.core.db import is_busy_error, reading
from beta_training.extensions import db

log = logging.getLogger(__name__)

HANDLED = (400, 403, 404, 405, 413, 415, 429)
BUSY_RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    """Calls made by our scripts (autosave, progress) read JSON, not an HTML page."""
    return request.is_json or request.headers.get("X-Requested-With") == "fetch" or (
        request.accept_mimetypes.best == "application/json"
    )


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/400_csrf.html", error=error), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
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
        db.session.rollback()
        log.warning("database busy on %s %s: %s", request.method, request.path, error.orig)
        if wants_json():
            response = jsonify(error="busy", message="Le service est très sollicité : réessayez dans quelques secondes.")
        else:
            with reading():  # the page itself must not queue for the lock that just timed out
                response = render_template("errors/503.html", retry_after=BUSY_RETRY_AFTER_SECONDS)
        return response, 503, {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        log.exception("server error")
        return render_template("errors/500.html"), 500
