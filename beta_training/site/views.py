"""Site-wide pages: home, legal pages required of a State service, site map, language."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from beta_training.calls.models import Call
from beta_training.calls.queries import next_call_change, open_calls
from beta_training.cohorts.models import Cohort
from beta_training.cohorts.queries import list_upcoming_cohorts, next_public_change
from beta_training.core.auth import next_url_or, profile_not_required
from beta_training.core.models import utcnow
from beta_training.core.page_cache import cached_for_anonymous
from beta_training.courses.models import Course
from beta_training.courses.queries import list_published_courses

bp = Blueprint("site", __name__)


@bp.get("/")
@cached_for_anonymous(Cohort, Course, Call, expires=(next_public_change, next_call_change))
def home():
    return render_template(
        "site/home.html", cohorts=list_upcoming_cohorts(limit=3), courses=list_published_courses(),
        calls=open_calls(utcnow()),
    )


@bp.get("/accessibilite")
@profile_not_required
def accessibility():
    return render_template("site/accessibility.html")


@bp.get("/mentions-legales")
@profile_not_required
def legal_notice():
    return render_template("site/legal_notice.html")


@bp.get("/donnees-personnelles")
@profile_not_required
def personal_data():
    # The error tracker is named by its host alone: the DSN's key is a secret.
    sentry_host = urlsplit(current_app.config.get("SENTRY_DSN") or "").hostname
    return render_template("site/personal_data.html", sentry_host=sentry_host)


@bp.get("/gestion-des-cookies")
@profile_not_required
def cookies():
    return render_template("site/cookies.html")


@bp.get("/plan-du-site")
def sitemap():
    return render_template("site/sitemap.html")


@bp.post("/langue")
@profile_not_required
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(next_url_or(url_for("site.home")))
