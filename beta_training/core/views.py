"""Core pages: /healthz for the platform; for admins, the jobs that failed (with « Relancer ») and, in
development, the outbox (MAIL_OUTBOX_PAGE): the emails the app wrote."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from beta_training.core import health, jobs
from beta_training.core.actions import confirmed_action
from beta_training.core.auth import role_required
from beta_training.core.forms import ConfirmForm
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


@bp.get("/admin/taches")
@role_required("admin")
def list_failed_jobs():
    failed = jobs.failed_jobs()
    message_ids = {i for job in failed for i in job.kwargs.get("message_ids", ())}
    messages = {m.id: m for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(message_ids)))}
    return render_template("core/list_failed_jobs.html", failed=failed, messages=messages, form=ConfirmForm(),
                           has_queue=jobs.has_jobs_table(), engine=current_app.config["JOBS"])


@bp.post("/admin/taches/<int:job_id>/relancer")
@role_required("admin")
def retry_failed_job(job_id):
    if not jobs.has_jobs_table() or not jobs.job_exists(job_id):
        abort(404)
    return confirmed_action(lambda: jobs.can_manage_jobs(current_user),
                            lambda: jobs.retry_failed_job(job_id),
                            to=url_for("core.list_failed_jobs"),
                            done=lambda retried: _("La tâche n° %(id)s est relancée : un worker la reprend dans un instant.",
                                                   id=job_id) if retried
                            else _("La tâche n° %(id)s n’est plus en échec : elle a déjà été relancée.", id=job_id))
