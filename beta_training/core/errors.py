"""Error pages in the site layout, in French. Messages stay generic (no internals, no enumeration)."""

import logging

from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from beta_training.extensions import db

log = logging.getLogger(__name__)

HANDLED = (400, 403, 404, 405, 413, 415, 429)


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

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        log.exception("server error")
        return render_template("errors/500.html"), 500
