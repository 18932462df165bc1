"""The alumni network: its directory and one's own profile, for people who attended a session."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from beta_training.cohorts import queries, services
from beta_training.cohorts.forms import AlumniProfileForm, AlumniSearchForm
from beta_training.cohorts.views.common import bp, per_page
from beta_training.core import db as core_db
from beta_training.extensions import db


# --- Alumni network -------------------------------------------------------------------------------------


def _alumni_or_403():
    if not (queries.is_alumni(current_user) or current_user.has_any_role("trainer")):
        abort(403)


@bp.get("/anciens")
@login_required
def alumni_directory():
    _alumni_or_403()
    form = AlumniSearchForm(request.args)
    form.validate()
    page = db.paginate(queries.alumni_directory_query(form.q.data, form.departement.data), per_page=per_page(), error_out=False)
    return render_template("cohorts/alumni_directory.html", page=page, form=form,
                           profile=queries.get_alumni_profile(current_user))


@bp.route("/anciens/mon-profil", methods=["GET", "POST"])
@login_required
def edit_alumni_profile():
    if not queries.is_alumni(current_user):
        abort(403)
    profile = queries.get_alumni_profile(current_user)
    form = AlumniProfileForm(obj=profile, data=None if profile else {"listed": True})
    if form.validate_on_submit():
        services.save_alumni_profile(current_user, listed=form.listed.data, project=form.project.data or "",
                                     contact=form.contact.data or "")
        core_db.commit()
        flash(_("Votre fiche d’ancien·ne est enregistrée."), "success")
        return redirect(url_for("cohorts.alumni_directory"))
    return render_template("cohorts/edit_alumni_profile.html", form=form)
