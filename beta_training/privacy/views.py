"""« Mes données » (export, erasure) for the person herself, the same on her behalf for admins, and the record
of erasures for trainers."""

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, session,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from beta_training.accounts import proconnect
from beta_training.accounts.models import Role, User
from beta_training.accounts.views import end_session
from beta_training.core import db as core_db
from beta_training.core.auth import profile_not_required, role_required
from beta_training.core.errors import on_stale_form
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


# Set in the new, anonymous session an erasure leaves behind: a tab opened before it that sends the erasure form
# again is told the account is gone, not that its session expired. A flag, nothing about her.
ACCOUNT_ERASED = "account_erased"


def _already_erased():
    if current_user.is_authenticated or not session.get(ACCOUNT_ERASED):
        return None
    flash(_("Ce compte a déjà été supprimé."), "info")
    return redirect(url_for("site.home"))


@bp.route("/compte/mes-donnees/supprimer", methods=["GET", "POST"])
@on_stale_form(_already_erased)
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
            response = end_session(_("Votre compte a été supprimé. Un dernier courriel vous le confirme."),
                                   also_after_provider=True)
            session[ACCOUNT_ERASED] = True  # the session is a new one by now (end_session cleared it)
            return response
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


def _admin_page(subject: User, *, export_form=None, erase_form=None, status: int = 200):
    """The admin's page about `subject`; each request of the history carries its download link while it is good
    for the admin looking at it (services.can_download)."""
    history = services.requests_about(subject)
    downloadable = {action.id for action in history
                    if services.can_download(action, subject=subject, actor=current_user)}
    return render_template("privacy/admin_user_data.html", subject=subject,
                           export_form=export_form or AdminRequestForm(prefix="export"),
                           erase_form=erase_form or AdminEraseForm(prefix="erase"), erasable=services.can_erase(subject),
                           history=history, downloadable=downloadable), status


@bp.get("/admin/utilisateurs/<int:user_id>/donnees")
@role_required(Role.ADMIN)
def admin_user_data(user_id):
    return _admin_page(_subject_or_404(user_id))


@bp.post("/admin/utilisateurs/<int:user_id>/donnees/export")
@role_required(Role.ADMIN)
def admin_export(user_id):
    subject = _subject_or_404(user_id)
    form = AdminRequestForm(prefix="export")
    if not form.validate_on_submit():
        return _admin_page(subject, export_form=form, status=422)
    record = services.record_admin_export(subject, actor=current_user, reason=form.reason.data,
                                          submission_key=form.submission_key.data)
    core_db.commit()
    # Post/Redirect/Get: back to the page, which now lists the request (no error of an earlier attempt left on
    # screen, nothing to send twice); the ZIP is a link of its own (a GET), good for DOWNLOAD_WINDOW.
    flash(Markup(_("La demande est enregistrée. <a href=\"%(link)s\">Télécharger le ZIP</a> (lien valable "
                   "%(hours)s h, aussi dans l’historique ci-dessous).")) % {
        "link": url_for("privacy.admin_download", user_id=subject.id, request_id=record.id),
        "hours": int(services.DOWNLOAD_WINDOW.total_seconds() // 3600)}, "success")
    return redirect(url_for("privacy.admin_user_data", user_id=subject.id))


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
    return _admin_page(subject, erase_form=form, status=422)


@bp.get("/gestion/effacements")
@login_required
def list_erasures():
    if not services.can_see_erasures(current_user):
        abort(403)
    # The nightly retention job may erase many accounts: a page at a time, none left out.
    page = db.paginate(services.erasures_newest_first(), per_page=current_app.config["USERS_PER_PAGE"], error_out=False)
    return render_template("privacy/list_erasures.html", page=page)
