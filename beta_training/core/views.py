"""Site-wide pages: home, legal pages required of a State service, site map, language, dev outbox."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from beta_training.core.auth import next_url_or, role_required
from beta_training.core.models import OutboxMessage
from beta_training.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    from beta_training.cohorts.queries import list_upcoming_cohorts
    from beta_training.courses.queries import list_published_courses

    return render_template(
        "core/home.html", cohorts=list_upcoming_cohorts(limit=3), courses=list_published_courses()
    )


@bp.get("/accessibilite")
def accessibility():
    return render_template("core/accessibility.html")


@bp.get("/mentions-legales")
def legal_notice():
    return render_template("core/legal_notice.html")


@bp.get("/donnees-personnelles")
def personal_data():
    return render_template("core/personal_data.html")


@bp.get("/gestion-des-cookies")
def cookies():
    return render_template("core/cookies.html")


@bp.get("/plan-du-site")
def sitemap():
    return render_template("core/sitemap.html")


@bp.post("/langue")
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(next_url_or(url_for("core.home")))


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
