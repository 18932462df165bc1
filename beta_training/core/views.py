"""Development outbox pages (MAIL_OUTBOX_PAGE): the emails the app wrote, readable by an admin."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template

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
