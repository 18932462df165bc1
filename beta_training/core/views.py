"""Development outbox pages (MAIL_OUTBOX_PAGE): the emails the app wrote, readable by an admin; /healthz."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, render_template

from beta_training.core import health
from beta_training.core.auth import role_required
from beta_training.core.models import OutboxMessage
from beta_training.extensions import db

bp = Blueprint("core", __name__)


def _outbox_page_or_404():
    if not current_app.config["MAIL_OUTBOX_PAGE"]:
        abort(404)


@bp.get("/admin/courriels")
@role_required("admin")
def list_outbox():
    _outbox_page_or_404()
    page = db.paginate(
        sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()),
        per_page=current_app.config["USERS_PER_PAGE"],
        error_out=False,
    )
    return render_template("core/list_outbox.html", page=page)


@bp.get("/admin/courriels/<int:message_id>")
@role_required("admin")
def show_outbox_message(message_id):
    _outbox_page_or_404()
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("core/show_outbox_message.html", message=message)


@bp.get("/healthz")
def healthz():
    """For the platform's router and monitoring: 200 when this instance can serve, 503 otherwise, with what
    each dependency answered. No personal data, nothing written (not even a session cookie)."""
    body, healthy = health.report()
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
