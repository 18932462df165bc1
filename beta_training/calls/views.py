"""Appel à intrapreneurs pages: the calls (public), a candidate's dossiers (autosave, filing), the pre-selection."""

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from beta_training.calls import emails, minutes, queries, services
from beta_training.calls.forms import (
    SCRATCH,
    CallForm,
    DecisionForm,
    DossierForm,
    InformForm,
    JurorForm,
    JurySessionForm,
    MoveForm,
    PreselectForm,
    QueueFilterForm,
    StartDossierForm,
    evaluation_form,
)
from beta_training.calls.models import (
    DEFAULT_CRITERIA,
    DOSSIER_STATE_LABELS,
    JURY_DECISIONS,
    JURY_STATES,
    MAX_JURORS,
    QUESTIONS,
    TRAINER_ROLES,
    Call,
    Dossier,
    DossierState,
    timetable,
)
from beta_training.core import db as core_db
from beta_training.core import submissions
from beta_training.core.actions import StateChanged, confirmed_action, describe_refusal
from beta_training.core.auth import role_required
from beta_training.core.errors import json_endpoint, json_error
from beta_training.core.forms import ConfirmForm, choices
from beta_training.core.i18n import format_moment
from beta_training.core.models import from_paris, to_paris, utcnow
from beta_training.core.pagination import paginate_rows
from beta_training.core.pdf import render_pdf
from beta_training.core.states import InvalidTransition
from beta_training.extensions import db
from beta_training.sheets import queries as sheet_queries

bp = Blueprint("calls", __name__, url_prefix="/appels")
REFUSED = (services.CallError, InvalidTransition)
QUEUE_PER_PAGE = 25


@bp.context_processor
def labels():
    return {"questions": QUESTIONS, "dossier_state_labels": DOSSIER_STATE_LABELS}


def _call_or_404(call_id) -> Call:
    return db.get_or_404(Call, call_id)


def _dossier_or_404(dossier_id) -> Dossier:
    return db.get_or_404(Dossier, dossier_id)


# --- Calls ---------------------------------------------------------------------------------------------------


@bp.get("/")
def list_calls():
    now = utcnow()
    return render_template("calls/list_calls.html", calls=queries.list_calls(current_user, now), now=now,
                           judged=queries.calls_judged_by(current_user))


def _call_values(form: CallForm) -> dict:
    return {**form.values(), "opens_at": from_paris(form.opens_at.data), "closes_at": from_paris(form.closes_at.data)}


@bp.route("/nouveau", methods=["GET", "POST"])
@role_required(*TRAINER_ROLES)
def create_call():
    form = CallForm(criteria="\n".join(DEFAULT_CRITERIA))
    if form.validate_on_submit():
        earlier = submissions.claim(current_user, form.submission_key.data)
        if earlier is not None:  # the same form sent twice: the call of the first click
            return redirect(earlier.location or url_for("calls.list_calls"))
        call = services.create_call(actor=current_user, **_call_values(form))
        location = url_for("calls.show_call", call_id=call.id)
        submissions.record(current_user, form.submission_key.data, location)
        core_db.commit()
        flash(_("Appel créé."), "success")
        return redirect(location)
    return render_template("calls/create_call.html", form=form), 422 if form.errors else 200


@bp.route("/<int:call_id>/modifier", methods=["GET", "POST"])
@role_required(*TRAINER_ROLES)
def edit_call(call_id):
    call = _call_or_404(call_id)
    if not call.can_manage(current_user):
        abort(403)
    form = CallForm(obj=call)
    if request.method == "GET":  # the form shows Paris time, and the criteria one per line (obj would win over kwargs)
        form.opens_at.data, form.closes_at.data = to_paris(call.opens_at), to_paris(call.closes_at)
        form.criteria.data = "\n".join(call.criteria)
    criteria_locked = services.criteria_locked(call)
    if criteria_locked:  # shown read-only, with why; a crafted change is refused by the service
        form.criteria.render_kw = {**(form.criteria.render_kw or {}), "readonly": True}
        form.criteria.description = _("Des dossiers sont déjà évalués sur ces critères : ils ne peuvent plus changer.")
    if form.validate_on_submit():
        try:
            services.update_call(call, **_call_values(form))
        except REFUSED as error:
            core_db.rollback()
            field = getattr(error, "field", None)
            (form[field].errors if field else form.form_errors).append(str(error))
        else:
            core_db.commit()
            flash(_("Appel enregistré."), "success")
            return redirect(url_for("calls.show_call", call_id=call.id))
    return render_template("calls/edit_call.html", call=call, form=form), \
        422 if form.errors or form.form_errors else 200


def _visible_call_or_404(call_id, now) -> Call:
    call = _call_or_404(call_id)
    if not call.can_view(current_user, now):
        abort(404)  # a call to come does not exist yet for the public
    return call


@bp.get("/<int:call_id>")
def show_call(call_id):
    now = utcnow()
    call = _visible_call_or_404(call_id, now)
    return render_template("calls/show_call.html", call=call, now=now,
                           dossiers=queries.user_dossiers_in(call, current_user),
                           counts=queries.state_counts(call) if call.can_manage(current_user) else None,
                           judging=call.is_juror(current_user))


# --- A candidate's dossiers --------------------------------------------------------------------------------


@bp.route("/<int:call_id>/deposer", methods=["GET", "POST"])
@login_required
def start_dossier(call_id):
    now = utcnow()
    call = _visible_call_or_404(call_id, now)
    if not call.can_file(current_user, now):
        flash(services.closed_to_new_message(call) if now > call.closes_at else _("Cet appel n’est pas encore ouvert."), "info")
        return redirect(url_for("calls.show_call", call_id=call.id))
    if call.is_juror(current_user):
        flash(str(services.JUROR_CANNOT_FILE), "info")
        return redirect(url_for("calls.show_call", call_id=call.id))
    sheets = {sheet.id: sheet for sheet in sheet_queries.list_user_sheets(current_user)}
    form = StartDossierForm(source=SCRATCH)
    form.source.choices = choices([(SCRATCH, _("Partir d’une page blanche"))]
                                  + [(sheet.id, _("Ma fiche produit « %(t)s » (%(state)s)",
                                                  t=sheet.title or _("Fiche sans titre"), state=sheet.state_label))
                                     for sheet in sheets.values()])
    if form.validate_on_submit():
        sheet = sheets.get(int(form.source.data)) if form.source.data != SCRATCH else None
        try:
            dossier = services.start_dossier(call, current_user, sheet=sheet, submission_key=form.submission_key.data,
                                             now=now)
        except REFUSED as error:
            core_db.rollback()
            flash(str(error), "error")
            return redirect(url_for("calls.show_call", call_id=call.id))
        core_db.commit()
        return redirect(url_for("calls.edit_dossier", dossier_id=dossier.id))
    return render_template("calls/start_dossier.html", call=call, form=form), 422 if form.errors else 200


@bp.get("/mes-dossiers")
@login_required
def list_my_dossiers():
    return render_template("calls/list_my_dossiers.html", dossiers=queries.list_user_dossiers(current_user), now=utcnow())


@bp.get("/dossiers/<int:dossier_id>")
@login_required
def show_dossier(dossier_id):
    dossier = _dossier_or_404(dossier_id)
    if not dossier.can_view(current_user):
        abort(403)
    return render_template("calls/show_dossier.html", dossier=dossier, call=dossier.call, now=utcnow(),
                           timeline=queries.timeline(dossier), form=PreselectForm(),
                           evaluations=queries.evaluations_of(dossier) if dossier.call.can_manage(current_user) else [])


@bp.post("/dossiers/<int:dossier_id>/retirer")
@login_required
def withdraw_dossier(dossier_id):
    dossier = _dossier_or_404(dossier_id)
    return confirmed_action(lambda: dossier.owns(current_user),
                            lambda: services.withdraw_dossier(dossier, actor=current_user,
                                                              reason=request.form.get("reason", "")),
                            to=url_for("calls.show_dossier", dossier_id=dossier.id),
                            done=lambda withdrawn: _("Votre dossier est retiré.") if withdrawn else None,
                            refusals=REFUSED, describe=describe_refusal)


def _not_editable(dossier: Dossier) -> StateChanged:
    return StateChanged(_("Ce dossier est déposé : il n’est plus modifiable. Vos dernières modifications n’ont pas été "
                          "enregistrées."), to=url_for("calls.show_dossier", dossier_id=dossier.id),
                        code="not_editable", saved=False)


def _not_editable_text() -> str:
    return _("Ce dossier est déjà déposé (depuis un autre onglet ou appareil) : il n’est plus modifiable. Ce que vous "
             "venez de taper n’a pas été enregistré ; il reste sur cette page : téléchargez-le ou copiez-le pour le "
             "garder.")


def _differs(dossier: Dossier, answers: dict) -> bool:
    """Whether the posted answers say something the stored dossier does not (text typed after it was filed)."""
    return any(answers[key] != getattr(dossier, key) for key in services.ANSWER_KEYS if key in answers)


@bp.route("/dossiers/<int:dossier_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_dossier(dossier_id):
    dossier = _dossier_or_404(dossier_id)
    if not dossier.can_edit(current_user):
        if not dossier.owns(current_user):
            abort(403)
        if request.method == "POST":
            form = DossierForm()
            if _differs(dossier, form.answers()):
                # Filed (or moved on) from another tab: nothing is saved, but what she typed here is shown
                # back with « Télécharger mon texte », as the sheet editor does, never dropped by a redirect.
                return render_template("calls/edit_dossier.html", dossier=dossier, call=dossier.call, form=form,
                                       now=utcnow(), not_editable=_not_editable_text()), 409
            raise StateChanged(_("Ce dossier est déposé."), to=url_for("calls.show_dossier", dossier_id=dossier.id),
                               code="not_editable", saved=False)  # a second click: the same text, already filed
        return redirect(url_for("calls.show_dossier", dossier_id=dossier.id))
    if request.method == "GET":
        form = DossierForm(obj=dossier)
        form.base_version.data = str(dossier.version)
    else:
        form = DossierForm()
    if form.validate_on_submit():
        try:
            saved = services.save_dossier(dossier, actor=current_user, values=form.answers(), base_version=form.base(),
                                          submit=request.form.get("action") == "submit")
        except services.StaleDossier as error:
            # Another tab saved other answers since this page was shown: nothing is overwritten, and what she
            # typed here stays on the page to download.
            core_db.rollback()
            return render_template("calls/edit_dossier.html", dossier=dossier, call=dossier.call, form=form,
                                   now=utcnow(), not_editable=str(error), stale=True), 409
        core_db.commit()  # whatever the outcome, what she typed is kept
        return _after_save(dossier, form, saved)
    return render_template("calls/edit_dossier.html", dossier=dossier, call=dossier.call, form=form,
                           now=utcnow()), 422 if form.errors else 200


def _after_save(dossier: Dossier, form: DossierForm, saved: services.SavedDossier):
    # Shown again (incomplete, closed), the page holds what was just saved: its next save is based on it.
    form.base_version.data = str(dossier.version)
    match saved.outcome:
        case services.Saved.DRAFT:
            flash(_("Brouillon enregistré."), "success")
            return redirect(url_for("calls.edit_dossier", dossier_id=dossier.id))
        case services.Saved.INCOMPLETE:
            for name in saved.missing:
                form[name].errors.append(_("Cette réponse est obligatoire pour déposer le dossier."))
            form.form_errors.append(_("Votre brouillon est enregistré, mais il manque des réponses pour le déposer."))
            status = 422
        case services.Saved.CLOSED:
            form.form_errors.append(services.closed_message(dossier.call))
            status = 409
        case _:  # SUBMITTED, or ALREADY_SUBMITTED by the first of two clicks
            if saved.outcome == services.Saved.SUBMITTED:
                flash(_("Votre dossier est déposé. Un courriel de confirmation vous a été envoyé."), "success")
            return redirect(url_for("calls.show_dossier", dossier_id=dossier.id))
    return render_template("calls/edit_dossier.html", dossier=dossier, call=dossier.call, form=form,
                           now=utcnow()), status


@bp.post("/dossiers/<int:dossier_id>/brouillon")
@json_endpoint
@login_required
def autosave_dossier(dossier_id):
    """Background save while typing (JSON): the same form posts here; nothing is filed, only saved."""
    dossier = _dossier_or_404(dossier_id)
    if not dossier.can_edit(current_user):
        if not dossier.owns(current_user):
            abort(403)
        raise _not_editable(dossier)
    form = DossierForm()
    if not form.validate_on_submit():
        return json_error(422, "invalid", _("Certaines réponses ne sont pas valides : utilisez le bouton « Enregistrer le "
                                            "brouillon » pour voir lesquelles."), saved=False, errors=form.errors)
    try:
        saved = services.save_dossier(dossier, actor=current_user, values=form.answers(), base_version=form.base())
    except services.StaleDossier as error:
        core_db.rollback()
        return json_error(409, "stale_version", str(error), saved=False, conflict=True, latest=error.latest)
    if saved.outcome == services.Saved.ALREADY_SUBMITTED:
        core_db.rollback()
        raise _not_editable(dossier)
    core_db.commit()
    return jsonify(saved=True, version=dossier.version, saved_at=format_datetime(dossier.updated_at, "HH'h'mm"))


# --- Pre-selection -----------------------------------------------------------------------------------------


@bp.get("/<int:call_id>/preselection")
@role_required(*TRAINER_ROLES)
def preselection_queue(call_id):
    call = _call_or_404(call_id)
    if not call.can_manage(current_user):
        abort(403)
    filters = QueueFilterForm(request.args)
    if not filters.validate():
        filters = QueueFilterForm(formdata=None)
    select = queries.queue_query(call, current_user, state=filters.state.data or None,
                                 min_score=int(filters.min_score.data) if filters.min_score.data else None,
                                 sort=filters.sort.data or "score")
    return render_template("calls/preselection_queue.html", call=call, filters=filters, form=PreselectForm(),
                           page=paginate_rows(select, per_page=QUEUE_PER_PAGE),
                           preselected=queries.state_counts(call).get(DossierState.PRESELECTED, 0))


@bp.route("/dossiers/<int:dossier_id>/evaluation", methods=["GET", "POST"])
@role_required(*TRAINER_ROLES)
def evaluate_dossier(dossier_id):
    dossier = _dossier_or_404(dossier_id)
    if not dossier.can_evaluate(current_user):
        abort(403)
    criteria = dossier.call.criteria
    earlier = queries.get_evaluation(dossier, current_user)
    data = None
    if earlier is not None and request.method == "GET":
        data = {f"{field}_{n}": str(item[key]) if key == "score" else item[key]
                for n, item in enumerate(earlier.scores, start=1) for field, key in (("score", "score"), ("comment", "comment"))}
    form = evaluation_form(criteria, data=data)
    if form.validate_on_submit():
        try:
            services.evaluate_dossier(dossier, reviewer=current_user, scores=form.scores())
        except REFUSED as error:
            core_db.rollback()
            form.form_errors.append(str(error))
        else:
            core_db.commit()
            flash(_("Évaluation enregistrée."), "success")
            return redirect(url_for("calls.preselection_queue", call_id=dossier.call_id))
    return render_template("calls/evaluate_dossier.html", dossier=dossier, call=dossier.call, form=form,
                           criteria=criteria, earlier=earlier), 422 if form.errors or form.form_errors else 200


@bp.post("/dossiers/<int:dossier_id>/preselection")
@role_required(*TRAINER_ROLES)
def preselect_dossier(dossier_id):
    dossier = _dossier_or_404(dossier_id)
    form = PreselectForm()
    act = services.preselect_dossier if form.decision.data == "preselect" else services.unselect_dossier
    return confirmed_action(lambda: dossier.can_preselect(current_user),
                            lambda: act(dossier, actor=current_user), form=form,
                            to=url_for("calls.preselection_queue", call_id=dossier.call_id),
                            done=lambda moved: (_("« %(t)s » est pré-sélectionné.", t=dossier.display_title)
                                                if form.decision.data == "preselect" else
                                                _("« %(t)s » est retiré de la pré-sélection.", t=dossier.display_title))
                            if moved else None,
                            refusals=REFUSED, describe=str)


@bp.route("/<int:call_id>/informer", methods=["GET", "POST"])
@role_required(*TRAINER_ROLES)
def inform_candidates(call_id):
    call = _call_or_404(call_id)
    if not call.can_manage(current_user):
        abort(403)
    now = utcnow()
    counts = queries.state_counts(call)
    form = InformForm(data=emails.default_texts(call)) if request.method == "GET" else InformForm()
    if call.informed_at is None and form.validate_on_submit():
        try:
            informed = services.inform_candidates(
                call, actor=current_user, coaching_at=from_paris(form.coaching_at.data),
                coaching_place=form.coaching_place.data.strip(), preselected_subject=form.preselected_subject.data,
                preselected_body=form.preselected_body.data, others_subject=form.others_subject.data,
                others_body=form.others_body.data, now=now)
        except REFUSED as error:
            core_db.rollback()
            _say_on_form(form, error)
        else:
            core_db.commit()
            if not informed.already:
                flash(_("Courriels envoyés : %(p)s aux pré-sélectionné·es, %(o)s aux autres candidat·es.",
                        p=informed.preselected, o=informed.others), "success")
            return redirect(url_for("calls.preselection_queue", call_id=call.id))
    elif call.informed_at is not None and request.method == "POST":  # a second click, or a tab left open: already sent
        flash(_("Les candidat·es ont déjà été informé·es le %(date)s : les courriels ne sont pas renvoyés.",
                date=format_moment(call.informed_at)), "info")
        return redirect(url_for("calls.preselection_queue", call_id=call.id))
    return render_template("calls/inform_candidates.html", call=call, form=form, counts=counts, now=now), \
        422 if form.errors or form.form_errors else 200


# --- Jury ----------------------------------------------------------------------------------------------------


def _managed_call_or_403(call_id) -> Call:
    call = _call_or_404(call_id)
    if not call.can_manage(current_user):
        abort(403)
    return call


def _jury_page(call: Call, *, juror_form=None, session_form=None, status=200):
    if session_form is None:
        session_form = JurySessionForm(obj=call) if call.has_jury_session else JurySessionForm()
    dossiers = services.jury_dossiers(call)
    return render_template("calls/jury.html", call=call, jurors=queries.jurors_of(call), max_jurors=MAX_JURORS,
                           juror_form=juror_form or JurorForm(), session_form=session_form, move_form=MoveForm(),
                           send_form=ConfirmForm(), slots=timetable(call, dossiers), dossiers=dossiers), status


@bp.get("/<int:call_id>/jury")
@role_required(*TRAINER_ROLES)
def jury(call_id):
    return _jury_page(_managed_call_or_403(call_id))


@bp.post("/<int:call_id>/jury/jures")
@role_required(*TRAINER_ROLES)
def invite_juror(call_id):
    call = _managed_call_or_403(call_id)
    form = JurorForm()
    if form.validate_on_submit():
        try:
            juror, added = services.invite_juror(call, actor=current_user, email=form.email.data)
        except REFUSED as error:
            core_db.rollback()
            form.email.errors.append(str(error))
        else:
            core_db.commit()
            if added:
                flash(_("%(e)s est invité·e au jury.", e=juror.email), "success")
            else:
                flash(_("%(e)s fait déjà partie du jury : aucune invitation n’est renvoyée.", e=juror.email), "info")
            return redirect(url_for("calls.jury", call_id=call.id))
    return _jury_page(call, juror_form=form, status=422)


@bp.post("/<int:call_id>/jury/jures/<int:juror_id>/retirer")
@role_required(*TRAINER_ROLES)
def remove_juror(call_id, juror_id):
    call = _call_or_404(call_id)
    return confirmed_action(
        lambda: call.can_manage(current_user),
        lambda: services.remove_juror(call, juror_id),
        to=url_for("calls.jury", call_id=call.id) + "#jures",
        done=lambda juror: _("%(e)s ne fait plus partie du jury ; un courriel l’en informe.", e=juror.email)
        if juror is not None else None,
        refusals=REFUSED, describe=str)


@bp.post("/<int:call_id>/jury/seance")
@role_required(*TRAINER_ROLES)
def set_jury_session(call_id):
    call = _managed_call_or_403(call_id)
    form = JurySessionForm()
    if not form.validate_on_submit():
        return _jury_page(call, session_form=form, status=422)
    try:
        services.set_jury_session(call, **form.values())
    except REFUSED as error:
        core_db.rollback()
        _say_on_form(form, error)
        return _jury_page(call, session_form=form, status=422)
    core_db.commit()
    flash(_("Séance du jury enregistrée. Envoyez les créneaux pour que chacun·e les reçoive."), "success")
    return redirect(url_for("calls.jury", call_id=call.id))


@bp.post("/dossiers/<int:dossier_id>/jury/ordre")
@role_required(*TRAINER_ROLES)
def move_pitch(dossier_id):
    dossier = _dossier_or_404(dossier_id)
    form = MoveForm()
    return confirmed_action(lambda: dossier.call.can_manage(current_user) and dossier.state in JURY_STATES,
                            lambda: services.move_in_timetable(dossier, direction=form.direction.data,
                                                               position=form.position.data),
                            form=form, to=url_for("calls.jury", call_id=dossier.call_id) + "#horaire",
                            refusals=REFUSED, describe=str)


@bp.post("/<int:call_id>/jury/envoyer")
@role_required(*TRAINER_ROLES)
def send_timetable(call_id):
    call = _call_or_404(call_id)
    return confirmed_action(
        lambda: call.can_manage(current_user), lambda: services.send_timetable(call),
        to=url_for("calls.jury", call_id=call.id),
        done=lambda sent: _("Créneaux envoyés : %(c)s aux candidat·es, %(j)s aux jurés.", c=sent.candidates, j=sent.jurors)
        if sent.candidates or sent.jurors else _("Rien n’a changé depuis le dernier envoi : aucun courriel n’est parti."),
        refusals=REFUSED, describe=str)


def _score_form(call: Call, dossier: Dossier, score=None, formdata=None):
    data = None
    if score is not None:
        data = {f"{field}_{n}": str(item[key]) if key == "score" else item[key]
                for n, item in enumerate(score.scores, start=1) for field, key in (("score", "score"), ("comment", "comment"))}
    return evaluation_form(call.criteria, formdata=formdata, data=data, prefix=f"d{dossier.id}")


def _scoring_page(call: Call, *, posted=None, status=200):
    """Every pitch of the timetable with its score form; `posted`: (dossier id, the form as sent) shown back."""
    dossiers = services.jury_dossiers(call)
    mine = queries.jury_scores_by(call, current_user)
    forms = {d.id: _score_form(call, d, mine.get(d.id)) for d in dossiers}
    if posted is not None:
        forms[posted[0]] = posted[1]
    return render_template("calls/jury_scoring.html", call=call, slots=timetable(call, dossiers), dossiers=dossiers,
                           forms=forms, mine=mine, juror=call.is_juror(current_user),
                           posted_errors=posted is not None and bool(posted[1].errors or posted[1].form_errors),
                           posted_id=posted[0] if posted is not None else None), status


@bp.get("/<int:call_id>/jury/notation")
@login_required
def jury_scoring(call_id):
    call = _call_or_404(call_id)
    if not call.can_judge(current_user):
        abort(403)
    return _scoring_page(call)


@bp.post("/dossiers/<int:dossier_id>/jury/note")
@login_required
def score_pitch(dossier_id):
    dossier = _dossier_or_404(dossier_id)
    call = dossier.call
    if not call.is_juror(current_user) or dossier.state not in JURY_STATES:  # the team reads, the jurors score
        abort(403)
    form = _score_form(call, dossier, formdata=request.form)
    if form.validate_on_submit():
        try:
            services.score_pitch(dossier, juror=current_user, scores=form.scores())
        except REFUSED as error:
            core_db.rollback()
            form.form_errors.append(str(error))
            # Decided meanwhile: nothing is saved, but what she typed is shown back, never dropped.
            return _scoring_page(call, posted=(dossier.id, form),
                                 status=409 if isinstance(error, services.StaleScore) else 422)
        core_db.commit()
        flash(_("Note de « %(t)s » enregistrée.", t=dossier.display_title), "success")
        return redirect(url_for("calls.jury_scoring", call_id=call.id) + f"#pitch-{dossier.id}")
    return _scoring_page(call, posted=(dossier.id, form), status=422)


@bp.get("/<int:call_id>/deliberation")
@role_required(*TRAINER_ROLES)
def deliberation(call_id):
    call = _managed_call_or_403(call_id)
    return render_template("calls/deliberation.html", call=call, rows=queries.deliberation(call),
                           jurors=len(queries.jurors_of(call)), decisions=[(s.value, DOSSIER_STATE_LABELS[s]) for s in JURY_DECISIONS])


def _say_on_form(form, error: Exception) -> None:
    """A refusal beside the field it is about (CallError.field), else at the top of the form."""
    field = getattr(error, "field", None)
    if field and field in form:
        form[field].errors = [*form[field].errors, str(error)]
    else:
        form.form_errors.append(str(error))


def _same_text(sent: tuple, prefilled: tuple) -> bool:
    """The letter as the browser sent it (CRLF line ends, the textarea's first newline) is the prefilled one."""
    def plain(text: str) -> str:
        return (text or "").replace("\r\n", "\n").strip()
    return [plain(text) for text in sent] == [plain(text) for text in prefilled]


@bp.route("/dossiers/<int:dossier_id>/decision", methods=["GET", "POST"])
@role_required(*TRAINER_ROLES)
def decide(dossier_id):
    dossier = _dossier_or_404(dossier_id)
    call = dossier.call
    if not call.can_manage(current_user) or dossier.state not in JURY_STATES:
        abort(403)
    if dossier.state != DossierState.PRESELECTED:  # decided already (another tab, a second click): sent once
        if request.method == "POST":
            flash(_("La décision sur « %(t)s » est déjà enregistrée : le courriel n’est pas renvoyé.",
                    t=dossier.display_title), "info")
        return redirect(url_for("calls.deliberation", call_id=call.id))
    texts = emails.decision_texts(call, dossier)
    chosen = request.args.get("decision", DossierState.LAUREATE)
    chosen = DossierState(chosen) if chosen in texts else DossierState.LAUREATE
    if request.method == "GET":
        form = DecisionForm(data={"decision": chosen.value, "subject": texts[chosen][0], "body": texts[chosen][1],
                                  "texts_for": chosen.value})
    else:
        form = DecisionForm()
    valid = form.validate_on_submit()
    if valid and form.texts_for.data in texts and form.decision.data != form.texts_for.data:
        # The decision was changed after the letter was written for another one: nothing is sent. An untouched
        # letter is replaced by the chosen decision's; one she edited stays, to read again. Either way the next
        # « Enregistrer » sends what the page then shows.
        decided, written_for = DossierState(form.decision.data), DossierState(form.texts_for.data)
        if _same_text((form.subject.data, form.body.data), texts[written_for]):
            form.subject.data, form.body.data = texts[decided]
        form.texts_for.data = decided.value
        form.form_errors.append(_("Le message avait été rédigé pour « %(was)s » : relisez-le pour « %(now)s » avant "
                                  "de l’envoyer.", was=DOSSIER_STATE_LABELS[written_for], now=DOSSIER_STATE_LABELS[decided]))
    elif valid:
        try:
            services.decide(dossier, actor=current_user, decision=DossierState(form.decision.data),
                            reason=form.reason.data, subject=form.subject.data, body=form.body.data)
        except REFUSED as error:
            core_db.rollback()
            form.form_errors.append(str(error))
        else:
            core_db.commit()
            flash(_("Décision enregistrée et envoyée : « %(t)s » — %(d)s.", t=dossier.display_title,
                    d=dossier.state_label), "success")
            return redirect(url_for("calls.deliberation", call_id=call.id))
    return render_template("calls/decide.html", call=call, dossier=dossier, form=form, texts=texts,
                           score=next((row for row in queries.deliberation(call) if row[0].id == dossier.id), None)), \
        422 if form.errors or form.form_errors else 200


def _minutes(call: Call) -> dict:
    dossiers = services.jury_dossiers(call)
    return {"call": call, "jurors": queries.jurors_of(call), "slots": timetable(call, dossiers),
            "rows": queries.deliberation(call), "scores": queries.all_jury_scores(call)}


@bp.get("/<int:call_id>/jury/proces-verbal.csv")
@role_required(*TRAINER_ROLES)
def minutes_csv(call_id):
    call = _managed_call_or_403(call_id)
    return Response(minutes.csv_text(**_minutes(call)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="jury-appel-{call.id}.csv"'})


@bp.get("/<int:call_id>/jury/proces-verbal.pdf")
@role_required(*TRAINER_ROLES)
def minutes_pdf(call_id):
    call = _managed_call_or_403(call_id)
    return Response(render_pdf("calls/minutes.html", **_minutes(call), now=utcnow()), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="jury-appel-{call.id}.pdf"'})
