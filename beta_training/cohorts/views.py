"""Public pages of the Alpha training: upcoming and past sessions, a session's programme."""

from itertools import groupby

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from beta_training.cohorts import queries
from beta_training.extensions import db

bp = Blueprint("cohorts", __name__, url_prefix="/alpha")


@bp.get("/")
def list_cohorts():
    past = db.paginate(
        queries.past_cohorts_query(), per_page=current_app.config["USERS_PER_PAGE"], error_out=False
    )
    return render_template(
        "cohorts/list_cohorts.html", upcoming=queries.list_upcoming_cohorts(), past=past, page_arg=request.args
    )


@bp.get("/<slug>")
def show_cohort(slug):
    cohort = queries.get_cohort_with_programme(slug)
    if cohort is None or not cohort.is_visible_to(current_user):
        abort(404)
    days = [(day, list(items)) for day, items in groupby(cohort.programme_items, key=lambda item: item.day)]
    return render_template("cohorts/show_cohort.html", cohort=cohort, days=days)
