"""Account pages: sign-up, confirmation, login/logout, password reset and change, profile, role admin."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from beta_training.accounts import queries, services, tokens
from beta_training.accounts.forms import (
    ChangePasswordForm,
    EmailOnlyForm,
    GrantRoleForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    UserSearchForm,
)
from beta_training.accounts.models import Role, User
from beta_training.core import db as core_db
from beta_training.core.actions import confirmed_action
from beta_training.core.auth import is_safe_next_url, next_url_or, role_required
from beta_training.core.forms import ConfirmForm
from beta_training.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _account_key() -> str:
    """Whose attempts these are: the signed-in person, or the address typed in the form (login, sign-up,
    reset). Limits on this key come first; the per-IP ones behind them are sized for a shared exit address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "email:" + (services.normalize_email(request.form.get("email", "")) or "-")


def _failed(response) -> bool:
    # Only failed attempts count: a successful login (or password change) redirects.
    return request.method == "POST" and response.status_code != 302


def _setting(name):
    return lambda: current_app.config[name]


def _per_account(setting: str, scope: str, **options):
    return limiter.limit(_setting(setting), key_func=_account_key, methods=["POST"], scope=scope, **options)


def _per_ip(setting: str, scope: str, **options):
    return limiter.limit(_setting(setting), methods=["POST"], scope=scope, **options)


@bp.route("/compte/inscription", methods=["GET", "POST"])
@_per_account("SIGNUP_LIMIT_PER_ACCOUNT", "signup-account")
@_per_ip("SIGNUP_LIMIT_PER_IP", "signup-ip")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.show_account"))
    form = RegisterForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        services.register(
            email=form.email.data,
            password=form.password.data,
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            next_url=form.next.data if is_safe_next_url(form.next.data) else None,
        )
        core_db.commit()
        return redirect(url_for("accounts.check_inbox", email=services.normalize_email(form.email.data)))
    return render_template("accounts/register.html", form=form)


@bp.get("/compte/inscription/verifiez-vos-courriels")
def check_inbox():
    form = EmailOnlyForm(email=request.args.get("email", ""))
    return render_template("accounts/check_inbox.html", form=form)


@bp.post("/compte/confirmation/renvoyer")
@_per_account("RESET_LIMIT_PER_ACCOUNT", "resend-account")
@_per_ip("RESET_LIMIT_PER_IP", "resend-ip")
def resend_confirmation():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.resend_confirmation(form.email.data)
        core_db.commit()
        flash(_("Si un compte non confirmé existe pour cette adresse, un nouveau lien vient d'être envoyé."), "info")
        return redirect(url_for("accounts.check_inbox", email=services.normalize_email(form.email.data)))
    return render_template("accounts/check_inbox.html", form=form), 422


@bp.route("/compte/confirmer/<token>", methods=["GET", "POST"])
def confirm_email(token):
    # GET only shows a button: mail scanners that prefetch links must not confirm anything.
    user = tokens.user_from_confirmation_token(token)
    if user is None:
        return render_template("accounts/invalid_link.html", resend=True), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        services.confirm_email(user)
        core_db.commit()
        flash(_("Votre adresse est confirmée. Vous pouvez vous connecter."), "success")
        next_url = request.args.get("next")
        return redirect(url_for("accounts.login", next=next_url if is_safe_next_url(next_url) else None))
    return render_template("accounts/confirm_email.html", form=form, user=user)


@bp.route("/compte/connexion", methods=["GET", "POST"])
@_per_account("LOGIN_LIMIT_PER_ACCOUNT", "login-account", deduct_when=_failed)
@_per_ip("LOGIN_LIMIT_PER_IP", "login-ip", deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(next_url_or(url_for("accounts.show_account")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("Adresse électronique ou mot de passe incorrect."))
        elif not user.email_confirmed:
            form.form_errors.append(
                _("Votre adresse n'est pas encore confirmée : suivez le lien reçu par courriel, ou demandez-en un nouveau.")
            )
            return render_template("accounts/login.html", form=form, unconfirmed_email=user.email), 200
        else:
            services.record_login(user, address=request.remote_addr)
            core_db.commit()
            session.clear()  # a fresh session on login (no fixation); keeps nothing from the anonymous one
            login_user(user, remember=form.remember.data)
            flash(_("Vous êtes connecté·e."), "success")
            return redirect(next_url_or(url_for("accounts.show_account")))
    return render_template("accounts/login.html", form=form)


@bp.post("/compte/deconnexion")
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté·e."), "success")
    return redirect(url_for("site.home"))


@bp.route("/compte/mot-de-passe-oublie", methods=["GET", "POST"])
@_per_account("RESET_LIMIT_PER_ACCOUNT", "reset-account")
@_per_ip("RESET_LIMIT_PER_IP", "reset-ip")
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        core_db.commit()
        flash(
            _("Si un compte existe pour cette adresse, vous allez recevoir un lien pour choisir un nouveau mot de passe. Il est valable une heure."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/compte/reinitialiser/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = tokens.user_from_reset_token(token)
    if user is None:
        return render_template("accounts/invalid_link.html", resend=False), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data, token=token)
        except services.ResetLinkUsed:  # the same link sent twice at once: the second finds it used
            core_db.rollback()
            return render_template("accounts/invalid_link.html", resend=False), 400
        core_db.commit()
        logout_user()
        flash(_("Votre mot de passe a été modifié. Connectez-vous avec le nouveau."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.get("/compte/")
@login_required
def show_account():
    return render_template("accounts/show_account.html", user=current_user, logout_form=ConfirmForm())


@bp.route("/compte/profil", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(current_user, **form.profile_data())
        core_db.commit()
        flash(_("Votre profil est enregistré."), "success")
        return redirect(url_for("accounts.show_account"))
    return render_template("accounts/edit_profile.html", form=form)


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
@_per_account("PASSWORD_CHANGE_LIMIT_PER_ACCOUNT", "password-change-account", deduct_when=_failed)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = services.change_password(
                current_user, current_password=form.current_password.data, new_password=form.password.data
            )
        except services.AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            core_db.commit()
            login_user(user)  # this session stays, with the new token; every other one is logged out
            flash(_("Votre mot de passe a été modifié. Vos autres sessions ont été déconnectées."), "success")
            return redirect(url_for("accounts.show_account"))
    return render_template("accounts/change_password.html", form=form)


# --- Administration of users and roles -------------------------------------------------------------


@bp.get("/admin/utilisateurs")
@role_required(Role.ADMIN)
def list_users():
    form = UserSearchForm(request.args)
    form.validate()
    page = db.paginate(
        queries.users_query(form.q.data, form.role.data),
        per_page=current_app.config["USERS_PER_PAGE"],
        error_out=False,
    )
    return render_template("accounts/list_users.html", page=page, form=form)


@bp.get("/admin/utilisateurs/<int:user_id>")
@role_required(Role.ADMIN)
def admin_show_user(user_id):
    user = db.get_or_404(User, user_id)
    history = db.session.scalars(queries.role_history_query(user).limit(50)).all()
    return render_template(
        "accounts/admin_show_user.html", user=user, grant_form=GrantRoleForm(), revoke_form=ConfirmForm(), history=history
    )


@bp.post("/admin/utilisateurs/<int:user_id>/roles")
@role_required(Role.ADMIN)
def admin_grant_role(user_id):
    user = db.get_or_404(User, user_id)
    if not user.can_manage_roles(current_user):
        abort(403)
    form = GrantRoleForm()
    if form.validate_on_submit():
        if services.grant_role(user, Role(form.role.data), actor=current_user):
            core_db.commit()
            flash(_("Rôle attribué."), "success")
        else:
            flash(_("Cette personne a déjà ce rôle."), "info")
    else:
        flash(_("Choisissez un rôle dans la liste."), "error")
    return redirect(url_for("accounts.admin_show_user", user_id=user.id))


@bp.post("/admin/utilisateurs/<int:user_id>/roles/<role>/retirer")
@role_required(Role.ADMIN)
def admin_revoke_role(user_id, role):
    user = db.get_or_404(User, user_id)
    if role not in Role.__members__.values():
        abort(404)
    return confirmed_action(lambda: user.can_manage_roles(current_user),
                            lambda: services.revoke_role(user, Role(role), actor=current_user),
                            to=url_for("accounts.admin_show_user", user_id=user.id),
                            done=lambda revoked: _("Rôle retiré.") if revoked else None,
                            refusals=(services.AccountError,))
