"""Public pages of the MOOC: the catalogue and a course's outline with its runs' dates."""

from flask import Blueprint, abort, render_template

from beta_training.core.models import utcnow
from beta_training.courses import queries

bp = Blueprint("courses", __name__, url_prefix="/mooc")


@bp.get("/")
def list_courses():
    return render_template("courses/list_courses.html", courses=queries.list_published_courses(), now=utcnow())


@bp.get("/<slug>")
def show_course(slug):
    course = queries.get_course_outline(slug)
    if course is None or not course.published:
        abort(404)
    return render_template("courses/show_course.html", course=course, now=utcnow())
