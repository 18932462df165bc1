"""Account pages: sign-up, confirmation, login/logout (password or ProConnect), password reset and change,
profile, role admin."""

import logging
from functools import wraps

from flask import (
    Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from beta_training.accounts import proconnect, queries, services, tokens
from beta_training.accounts.forms import (
    ChangePasswordForm,
    CompleteProfileForm,
    EmailOnlyForm,
    GrantRoleForm,
    LinkPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    SetPasswordForm,
    UserSearchForm,
)
from beta_training.accounts.models import Role, SignInMethod, User
from beta_training.core import db as core_db
from beta_training.core.actions import confirmed_action
from beta_training.core.auth import is_safe_next_url, next_url_or, profile_not_required, role_required
from beta_training.core.errors import json_error, wants_json
from beta_training.core.forms import ConfirmForm
from beta_training.extensions import db, limiter

log = logging.getLogger(__name__)

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
        flash(_("Si un compte non confirmé existe pour cette adresse, un nouveau lien vient d’être envoyé."), "info")
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
                _("Votre adresse n’est pas encore confirmée : suivez le lien reçu par courriel, ou demandez-en un nouveau.")
            )
            return render_template("accounts/login.html", form=form, unconfirmed_email=user.email), 200
        else:
            _start_session(user, remember=form.remember.data)
            flash(_("Vous êtes connecté·e."), "success")
            return redirect(next_url_or(url_for("accounts.show_account")))
    return render_template("accounts/login.html", form=form)


def _start_session(user: User, *, remember: bool = False, proconnect_id_token: str | None = None) -> None:
    """Sign `user` in, whatever the way (password or ProConnect): the sign-in is recorded, and the session
    starts afresh (no fixation: nothing of the anonymous one is kept)."""
    method = SignInMethod.PROCONNECT if proconnect_id_token else SignInMethod.PASSWORD
    services.record_login(user, method=method, address=request.remote_addr)
    core_db.commit()
    session.clear()
    login_user(user, remember=remember)
    if proconnect_id_token:
        session[PROCONNECT_ID_TOKEN] = proconnect_id_token  # for the logout (id_token_hint)


@bp.post("/compte/deconnexion")
@profile_not_required
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    return end_session(_("Vous êtes déconnecté·e."))


def end_session(message: str, *, also_after_provider: bool = False):
    """Signed out here first, then at ProConnect when the session came from it (its end-session endpoint, whose
    return page says so): `message` is flashed when there is no ProConnect session to end, or in any case
    with `also_after_provider` (an erasure's confirmation)."""
    id_token = session.get(PROCONNECT_ID_TOKEN)
    logout_user()
    session.clear()
    if id_token and proconnect.is_enabled():
        if also_after_provider:
            flash(message, "success")
        try:
            return proconnect.logout_redirect(url_for("accounts.proconnect_logout_return", _external=True), id_token)
        except proconnect.ProConnectFailure as failure:
            log.warning("ProConnect logout failed (%s): %s", failure.kind, failure.detail)
            flash(_("Vous êtes déconnecté·e de %(site)s. ProConnect ne répond pas : fermez votre navigateur pour "
                    "terminer aussi votre session ProConnect.", site=current_app.config["SITE_NAME"]), "warning")
            return redirect(url_for("site.home"))
    flash(message, "success")
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
    # An account created through ProConnect has no password yet: it sets one (« Définir »), no current one asked.
    form = ChangePasswordForm() if current_user.has_password else SetPasswordForm()
    if form.validate_on_submit():
        try:
            current = form.current_password.data if "current_password" in form else None
            user = services.change_password(current_user, current_password=current, new_password=form.password.data)
        except services.AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            core_db.commit()
            login_user(user)  # this session stays, with the new token; every other one is logged out
            flash(_("Votre mot de passe a été enregistré. Vos autres sessions ont été déconnectées."), "success")
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


# --- ProConnect ----------------------------------------------------------------------------------------

PROCONNECT_ID_TOKEN = "proconnect_id_token"
PROCONNECT_NEXT = "proconnect_next"
PENDING_ID_TOKEN = "proconnect_pending_id_token"
# A signed-in person confirming who she is through ProConnect (before erasing her account): the round trip's
# purpose (when it succeeds, proconnect.mark_confirmed()).
PROCONNECT_PURPOSE = "proconnect_purpose"

# What each failure tells the person (title, explanation) and its status. Nothing was saved in any of them.
PROCONNECT_ERRORS = {
    "unavailable": (503, _l("ProConnect ne répond pas"), _l(
        "Le service ProConnect est momentanément injoignable. Réessayez dans quelques minutes, ou connectez-vous "
        "avec votre mot de passe.")),
    "denied": (403, _l("Connexion annulée"), _l(
        "La connexion a été annulée sur ProConnect (ou vous avez refusé de transmettre vos informations). "
        "Aucune donnée n’a été enregistrée.")),
    "provider_error": (502, _l("ProConnect a refusé la connexion"), _l(
        "ProConnect n’a pas pu terminer la connexion. Réessayez ; si cela se reproduit, connectez-vous avec votre "
        "mot de passe.")),
    "state": (400, _l("Connexion inconnue ou expirée"), _l(
        "Cette réponse de ProConnect ne correspond à aucune connexion commencée dans ce navigateur : elle a "
        "peut-être expiré, ou été ouverte dans un autre navigateur. Recommencez la connexion.")),
    # Coming back from ProConnect's logout: nothing to sign in again to; what is closed and what may not be.
    "logout_state": (400, _l("Déconnexion de ProConnect non confirmée"), _l(
        "Cette réponse de ProConnect ne correspond à aucune déconnexion demandée dans ce navigateur (elle a "
        "peut-être expiré). Si vous venez de vous déconnecter, votre session sur ce service est bien fermée ; "
        "votre session ProConnect peut être restée ouverte : fermez votre navigateur pour la terminer.")),
    "code": (400, _l("Connexion expirée"), _l(
        "Le délai pour terminer la connexion est dépassé, ou ce lien a déjà servi. Recommencez la connexion.")),
    "nonce": (400, _l("Connexion refusée"), _l(
        "La réponse de ProConnect ne correspond pas à la connexion demandée par ce navigateur (elle a peut-être "
        "été rejouée). Par sécurité, recommencez la connexion.")),
    "invalid": (502, _l("Réponse de ProConnect invalide"), _l(
        "La réponse de ProConnect n’a pas pu être vérifiée. Réessayez ; si cela se reproduit, connectez-vous avec "
        "votre mot de passe.")),
    "email": (502, _l("Adresse électronique manquante"), _l(
        "ProConnect n’a pas transmis d’adresse électronique valable pour votre identité. Elle est nécessaire : "
        "c’est là que nous vous écrivons (candidatures, formation). Vérifiez auprès de votre fournisseur "
        "d’identité (votre administration) que votre adresse y est renseignée, ou connectez-vous avec un mot de "
        "passe.")),
    "inactive": (403, _l("Compte désactivé"), _l(
        "Le compte associé à cette identité ProConnect est désactivé. Écrivez-nous si vous pensez que c’est une "
        "erreur.")),
    "other_identity": (403, _l("Identité non confirmée"), _l(
        "L’identité ProConnect avec laquelle vous venez de vous identifier n’est pas celle de votre compte. "
        "Rien n’a été fait. Recommencez avec la vôtre.")),
    "stale_authentication": (403, _l("Identité non confirmée"), _l(
        "ProConnect ne vous a pas demandé de vous identifier à nouveau : votre connexion à ProConnect date de plus "
        "de 10 minutes. Rien n’a été fait. Déconnectez-vous de ProConnect (ou fermez votre navigateur), puis "
        "confirmez de nouveau votre identité.")),
}


@bp.app_context_processor
def proconnect_context():
    return {"proconnect_enabled": proconnect.is_enabled}


def proconnect_required(view):
    """ProConnect's pages exist only when it is configured (PROCONNECT_* settings)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not proconnect.is_enabled():
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _proconnect_error(failure: "proconnect.ProConnectFailure", *, logout: bool = False):
    status, title, message = PROCONNECT_ERRORS[failure.kind]
    log.warning("ProConnect %s failed (%s): %s", "logout" if logout else "sign-in", failure.kind, failure.detail)
    return render_template("accounts/proconnect_error.html", title=title, message=message, logout=logout), status


@bp.get("/compte/proconnect/connexion")
@proconnect_required
def proconnect_login():
    if current_user.is_authenticated:
        return redirect(next_url_or(url_for("accounts.show_account")))
    next_url = request.args.get("next")
    session[PROCONNECT_NEXT] = next_url if is_safe_next_url(next_url) else None
    try:
        return proconnect.authorize_redirect(url_for("accounts.proconnect_callback", _external=True))
    except proconnect.ProConnectFailure as failure:
        return _proconnect_error(failure)


@bp.get("/compte/proconnect/confirmer-identite")
@profile_not_required
@login_required
@proconnect_required
def proconnect_confirm_identity():
    """A signed-in person proves, through ProConnect, that she is the account's holder (an account without a
    password has no other way to re-authenticate, before an erasure): back to `next` once confirmed."""
    next_url = request.args.get("next")
    session[PROCONNECT_NEXT] = next_url if is_safe_next_url(next_url) else None
    session[PROCONNECT_PURPOSE] = "confirm"
    try:
        return proconnect.authorize_redirect(url_for("accounts.proconnect_callback", _external=True),
                                             reauthenticate=True)
    except proconnect.ProConnectFailure as failure:
        return _proconnect_error(failure)


def _identity_confirmed(identity: "proconnect.Identity", authenticated_at):
    if not services.holds_proconnect_identity(current_user, identity.as_dict()):
        return _proconnect_error(proconnect.ProConnectFailure("other_identity", identity.sub))
    try:
        proconnect.mark_confirmed(authenticated_at)
    except proconnect.ProConnectFailure as failure:
        return _proconnect_error(failure)
    flash(_("Votre identité est confirmée avec ProConnect."), "success")
    return redirect(session.pop(PROCONNECT_NEXT, None) or url_for("accounts.show_account"))


@bp.get("/compte/proconnect/retour")
@profile_not_required
@proconnect_required
def proconnect_callback():
    confirming = session.pop(PROCONNECT_PURPOSE, None) == "confirm"
    if current_user.is_authenticated and not confirming:
        return redirect(url_for("accounts.show_account"))
    try:
        identity, id_token, authenticated_at = proconnect.finish_sign_in()
    except proconnect.ProConnectFailure as failure:
        return _proconnect_error(failure)
    if current_user.is_authenticated:
        return _identity_confirmed(identity, authenticated_at)
    next_url = session.get(PROCONNECT_NEXT)
    core_db.rollback()  # end the read transaction: the next one writes (a GET that may create the account)
    with core_db.writing():
        try:
            user = services.sign_in_with_proconnect(identity.as_dict())
        except services.LinkNeeded as needed:
            core_db.rollback()
            session[PENDING_ID_TOKEN] = id_token
            return redirect(url_for("accounts.link_proconnect",
                                    token=tokens.proconnect_pending_token(needed.user, identity.as_dict())))
        except services.AccountError:
            core_db.rollback()
            return _proconnect_error(proconnect.ProConnectFailure("inactive", identity.sub))
        _start_session(user, proconnect_id_token=id_token)
    flash(_("Vous êtes connecté·e avec ProConnect."), "success")
    # A first visit is sent on to complete the profile first (require_complete_profile).
    return redirect(next_url or url_for("accounts.show_account"))


@bp.get("/compte/proconnect/deconnexion/retour")
@profile_not_required
@proconnect_required
def proconnect_logout_return():
    try:
        proconnect.check_logout_return()
    except proconnect.ProConnectFailure as failure:
        return _proconnect_error(failure, logout=True)
    flash(_("Vous êtes déconnecté·e, ici et de ProConnect."), "success")
    return redirect(url_for("site.home"))


def _pending_or_invalid(token):
    pending = tokens.pending_proconnect_link(token)
    if pending is None:
        abort(make_response(render_template("accounts/invalid_link.html", resend=False, proconnect=True), 400))
    return pending


def _pending_account_key() -> str:
    """The account the person tries to prove is hers: the same budget as the login form's for that address."""
    pending = tokens.pending_proconnect_link(request.view_args.get("token", ""))
    return "email:" + (pending[0].email if pending else "-")


@bp.route("/compte/proconnect/associer/<token>", methods=["GET", "POST"])
@proconnect_required
@limiter.limit(_setting("LOGIN_LIMIT_PER_ACCOUNT"), key_func=_pending_account_key, methods=["POST"],
               scope="login-account", deduct_when=_failed)
@_per_ip("LOGIN_LIMIT_PER_IP", "login-ip", deduct_when=_failed)
def link_proconnect(token):
    """ProConnect's address is that of an existing account: linked only once she proves it is hers."""
    user, identity = _pending_or_invalid(token)
    form = LinkPasswordForm()
    if form.validate_on_submit():
        try:
            services.link_proconnect(user, identity, proof="password", password=form.password.data)
        except services.AccountError as error:
            core_db.rollback()
            form.password.errors.append(str(error))
        else:
            id_token = session.get(PENDING_ID_TOKEN)
            _start_session(user, proconnect_id_token=id_token)
            flash(_("Votre compte est désormais associé à ProConnect."), "success")
            return redirect(url_for("accounts.show_account"))
    return render_template("accounts/link_proconnect.html", form=form, user=user, identity=identity,
                           email_form=ConfirmForm(), token=token)


@bp.post("/compte/proconnect/associer/<token>/courriel")
@proconnect_required
@_per_ip("RESET_LIMIT_PER_IP", "reset-ip")
def send_proconnect_link(token):
    user, identity = _pending_or_invalid(token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.send_proconnect_link(user, identity)
    core_db.commit()
    flash(_("Un lien vient d’être envoyé à %(email)s : ouvrez-le pour associer votre compte à ProConnect. Il est "
            "valable une heure.", email=user.email), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/compte/proconnect/associer/confirmer/<token>", methods=["GET", "POST"])
@proconnect_required
def confirm_proconnect_link(token):
    # GET only shows a button: mail scanners that prefetch links must not link anything.
    found = tokens.emailed_proconnect_link(token)
    if found is None:
        return render_template("accounts/invalid_link.html", resend=False, proconnect=True), 400
    user, identity = found
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.check_proconnect_link_token(user, token)
            services.link_proconnect(user, identity, proof="email")
        except services.AccountError as error:  # the same link twice at once, or the identity taken meanwhile
            core_db.rollback()
            flash(str(error), "error")
            return render_template("accounts/invalid_link.html", resend=False, proconnect=True), 400
        core_db.commit()
        flash(_("Votre compte est associé à ProConnect : connectez-vous avec ProConnect."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/confirm_proconnect_link.html", form=form, user=user)


@bp.before_app_request
def require_complete_profile():
    if request.endpoint in (None, "static"):  # Flask's own: the style sheets of every page
        return None
    if getattr(current_app.view_functions.get(request.endpoint), "profile_not_required", False):
        return None
    if current_user.is_authenticated and current_user.profile_incomplete:
        if wants_json():
            return json_error(409, "profile_incomplete", _("Complétez votre profil avant de continuer."))
        next_url = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("accounts.complete_profile", next=next_url))
    return None


@bp.route("/compte/profil/completer", methods=["GET", "POST"])
@profile_not_required
@login_required
def complete_profile():
    form = CompleteProfileForm(obj=current_user, next=request.args.get("next", ""))
    if form.validate_on_submit():
        services.update_profile(current_user, **form.profile_data())
        core_db.commit()
        flash(_("Votre profil est complet. Bienvenue !"), "success")
        return redirect(form.next.data if is_safe_next_url(form.next.data) else url_for("accounts.show_account"))
    return render_template("accounts/complete_profile.html", form=form)
