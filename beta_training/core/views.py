"""Core pages: /healthz for the platform; for admins, the jobs that failed (with « Relancer ») and, in
development, the outbox (MAIL_OUTBOX_PAGE): the emails the app wrote."""

import io

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from beta_training.core import health, jobs, mail
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
        mail.outbox_query(),
        per_page=current_app.config["USERS_PER_PAGE"],
        error_out=False,
    )
    return render_template("core/list_outbox.html", page=page)


@bp.get("/admin/courriels/<int:message_id>")
@role_required("admin")
def show_outbox_message(message_id):
    _outbox_page_or_404()
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("core/show_outbox_message.html", message=message,
                           attachments=[mail.attachment_summary(a) for a in message.attachments or ()])


# The HTML version of an email, shown in an <iframe sandbox> of its page. Its CSS is inline (style attributes,
# core.mail.inline_css), which the site's policy (style-src 'self') would block, and a srcdoc frame inherits
# that policy: the body gets a document of its own, with a policy of its own. Nothing runs (no script-src, and
# the sandbox), nothing is fetched but images of this site, no form is sent, and only a page of this site may
# frame it. Links stay in the frame (the sandbox has no allow-top-navigation): an admin is never taken away.
OUTBOX_PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
                      "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox")


@bp.get("/admin/courriels/<int:message_id>/apercu")
@role_required("admin")
def preview_outbox_message(message_id):
    _outbox_page_or_404()
    message = db.get_or_404(OutboxMessage, message_id)
    response = Response(message.html_body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = OUTBOX_PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"  # sign-in links and personal data: never kept
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/admin/courriels/<int:message_id>/pieces-jointes/<int:number>")
@role_required("admin")
def download_outbox_attachment(message_id, number):
    """The message's `number`-th attachment (from 1), as it was sent: always downloaded, never shown here."""
    _outbox_page_or_404()
    message = db.get_or_404(OutboxMessage, message_id)
    attachments = message.attachments or ()
    if not 1 <= number <= len(attachments):
        abort(404)
    attachment = attachments[number - 1]
    return send_file(io.BytesIO(mail.attachment_data(attachment)), mimetype=attachment["content_type"],
                     as_attachment=True, download_name=attachment["filename"], max_age=0)


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
    messages = mail.messages_by_id(message_ids)
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
