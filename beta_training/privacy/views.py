"""« Mes données » (export, erasure) for the person herself, the same on her behalf for admins, and the record
of erasures for trainers."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from beta_training.accounts import proconnect
from beta_training.accounts.models import Role, User
from beta_training.accounts.views import end_session
from beta_training.core import db as core_db
from beta_training.core.auth import profile_not_required, role_required
from beta_training.core.models import to_paris, utcnow
from beta_training.extensions import db
from beta_training.privacy import export, services
from beta_training.privacy.forms import AdminEraseForm, AdminRequestForm, EraseAccountForm
from beta_training.privacy.models import Origin, PrivacyAction, can_handle_data_of

bp = Blueprint("privacy", __name__)


def _zip_response(user: User, *, for_admin: bool = False) -> Response:
    """Streamed: the first bytes leave while the rest is still being read (stream_with_context keeps the
    request's database session for the generator)."""
    name = export.export_filename(user, to_paris(utcnow()).date(), for_admin=for_admin)
    return Response(stream_with_context(export.export_zip(user)), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/compte/mes-donnees")
@profile_not_required
@login_required
def my_data():
    return render_template("privacy/my_data.html", summary=export.summary(current_user._get_current_object()))


@bp.get("/compte/mes-donnees/export.zip")
@profile_not_required
@login_required
def export_my_data():
    if not can_handle_data_of(current_user, current_user):
        abort(403)
    return _zip_response(current_user._get_current_object())


@bp.route("/compte/mes-donnees/supprimer", methods=["GET", "POST"])
@profile_not_required
@login_required
def erase_my_account():
    user = current_user._get_current_object()
    if not can_handle_data_of(user, current_user):
        abort(403)
    form = EraseAccountForm()
    if not user.has_password:
        del form.password  # she confirms her identity through ProConnect instead
    erasable = services.can_erase(user)
    confirmed_at = proconnect.confirmed_at()
    if erasable and form.validate_on_submit():
        password = form.password.data if user.has_password else None
        if not services.reauthenticated(user, password, proconnect_confirmed_at=confirmed_at):
            if user.has_password:
                form.password.errors.append(_("Le mot de passe est incorrect."))
            else:
                form.form_errors.append(_("Confirmez d’abord votre identité avec ProConnect (depuis moins de "
                                          "10 minutes)."))
        else:
            services.erase_account(user, origin=Origin.SELF, keep_sheets=form.keep_sheets.data)
            core_db.commit()
            return end_session(_("Votre compte a été supprimé. Un dernier courriel vous le confirme."),
                               also_after_provider=True)
    status = 422 if form.errors else 200
    identity_confirmed = not user.has_password and services.reauthenticated(user, proconnect_confirmed_at=confirmed_at)
    return render_template("privacy/erase_account.html", form=form, erasable=erasable,
                           identity_confirmed=identity_confirmed), status


# --- On someone's behalf (admins) ---------------------------------------------------------------------------


def _subject_or_404(user_id: int) -> User:
    subject = db.get_or_404(User, user_id)
    if not can_handle_data_of(subject, current_user):
        abort(403)
    return subject


@bp.get("/admin/utilisateurs/<int:user_id>/donnees")
@role_required(Role.ADMIN)
def admin_user_data(user_id):
    subject = _subject_or_404(user_id)
    return render_template("privacy/admin_user_data.html", subject=subject, export_form=AdminRequestForm(prefix="export"),
                           erase_form=AdminEraseForm(prefix="erase"), erasable=services.can_erase(subject),
                           history=services.requests_about(subject))


@bp.post("/admin/utilisateurs/<int:user_id>/donnees/export")
@role_required(Role.ADMIN)
def admin_export(user_id):
    subject = _subject_or_404(user_id)
    form = AdminRequestForm(prefix="export")
    if not form.validate_on_submit():
        return render_template("privacy/admin_user_data.html", subject=subject, export_form=form,
                               erase_form=AdminEraseForm(prefix="erase"), erasable=services.can_erase(subject),
                               history=services.requests_about(subject)), 422
    record = services.record_admin_export(subject, actor=current_user, reason=form.reason.data,
                                          submission_key=form.submission_key.data)
    core_db.commit()
    # The download is a GET of its own: the POST answers at once (a double click records once and downloads
    # once), and the file names the request it answers.
    return redirect(url_for("privacy.admin_download", user_id=subject.id, request_id=record.id))


@bp.get("/admin/utilisateurs/<int:user_id>/donnees/export/<int:request_id>.zip")
@role_required(Role.ADMIN)
def admin_download(user_id, request_id):
    """Only for an export recorded by this admin for this person, in the last hour: no export without its record."""
    subject = _subject_or_404(user_id)
    record = db.get_or_404(PrivacyAction, request_id)
    if not services.can_download(record, subject=subject, actor=current_user):
        abort(403)
    return _zip_response(subject, for_admin=True)


@bp.post("/admin/utilisateurs/<int:user_id>/donnees/supprimer")
@role_required(Role.ADMIN)
def admin_erase(user_id):
    subject = _subject_or_404(user_id)
    form = AdminEraseForm(prefix="erase")
    erasable = services.can_erase(subject)
    if erasable and form.validate_on_submit():
        services.erase_account(subject, origin=Origin.ADMIN, actor=current_user, reason=form.reason.data,
                               keep_sheets=form.keep_sheets.data, submission_key=form.submission_key.data)
        core_db.commit()
        flash(_("Le compte a été supprimé ; l’effacement est enregistré."), "success")
        return redirect(url_for("accounts.list_users"))
    return render_template("privacy/admin_user_data.html", subject=subject, export_form=AdminRequestForm(prefix="export"),
                           erase_form=form, erasable=erasable, history=services.requests_about(subject)), 422


@bp.get("/gestion/effacements")
@login_required
def list_erasures():
    if not services.can_see_erasures(current_user):
        abort(403)
    return render_template("privacy/list_erasures.html", erasures=services.list_erasures())
