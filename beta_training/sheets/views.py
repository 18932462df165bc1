"""Fiche produit pages: the learner's editor (autosave, versions, conflicts), the review loop, exports."""

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from beta_training.core import db as core_db
from beta_training.core import submissions
from beta_training.core.actions import confirmed_action
from beta_training.core.auth import role_required
from beta_training.core.errors import json_endpoint, json_error
from beta_training.core.forms import ConfirmForm, choices
from beta_training.core.models import utcnow
from beta_training.core.states import InvalidTransition
from beta_training.cohorts import queries as cohort_queries
from beta_training.courses import queries as course_queries
from beta_training.extensions import db
from beta_training.sheets import exports, queries, services
from beta_training.sheets.forms import MeasureForm, NewSheetForm, ReviewSheetForm, RoadmapForm, SheetForm
from beta_training.sheets.models import (
    GRID,
    MILESTONE_STATUS_LABELS,
    SECTIONS,
    SHEET_STATE_LABELS,
    USERTYPES,
    ProductSheet,
    SheetState,
)

bp = Blueprint("sheets", __name__, url_prefix="/fiches")
REVIEWERS = ("trainer", "course_lead")
REFUSED = (services.SheetError, InvalidTransition)


@bp.context_processor
def labels():
    return {"sections": SECTIONS, "grid": GRID, "usertypes": USERTYPES, "state_labels": SHEET_STATE_LABELS}


def _sheet_or_404(sheet_id) -> ProductSheet:
    return db.get_or_404(ProductSheet, sheet_id)


@bp.get("/")
@login_required
def list_sheets():
    return render_template("sheets/list_sheets.html", sheets=queries.list_user_sheets(current_user), form=ConfirmForm())


@bp.route("/nouvelle", methods=["GET", "POST"])
@login_required
def create_sheet():
    """A sheet belongs to its author and may be linked to one of her MOOC runs and/or Alpha applications."""
    enrolments = course_queries.list_user_enrolments(current_user)
    applications = [a for a in cohort_queries.list_user_applications(current_user) if a.state not in ("draft", "withdrawn")]
    form = NewSheetForm(enrolment_id=str(enrolments[0].id) if enrolments else "")
    form.enrolment_id.choices = choices(((e.id, f"{e.run.course.title} ({e.run.name})") for e in enrolments), placeholder=_("Aucune"))
    form.application_id.choices = choices(((a.id, a.cohort.title) for a in applications), placeholder=_("Aucune"))
    if form.validate_on_submit():
        earlier = submissions.claim(current_user, form.submission_key.data)
        if earlier is not None:  # « Commencer la fiche » clicked twice: the sheet of the first click
            return redirect(earlier.location or url_for("sheets.list_sheets"))
        sheet = services.create_sheet(current_user, enrolment_id=int(form.enrolment_id.data) if form.enrolment_id.data else None,
                                      application_id=int(form.application_id.data) if form.application_id.data else None)
        location = url_for("sheets.edit_sheet", sheet_id=sheet.id)
        submissions.record(current_user, form.submission_key.data, location)
        core_db.commit()
        return redirect(location)
    return render_template("sheets/create_sheet.html", form=form)


def _form_for(sheet: ProductSheet, content: dict | None = None) -> SheetForm:
    content = content or queries.get_version(sheet, sheet.current_version).content
    return SheetForm(data={**content, "base_version": sheet.current_version})


def _not_editable_message(sheet: ProductSheet) -> str:
    """What the owner is told when a save reaches a sheet she can no longer edit (sent from another tab)."""
    if sheet.state == SheetState.APPROVED:
        return _("Cette fiche est validée : elle n’est plus modifiable. Ce que vous venez de taper n’a pas été "
                 "enregistré ; il reste sur cette page : téléchargez-le pour le garder.")
    return _("Cette fiche a été envoyée en relecture : elle n’est plus modifiable. Ce que vous venez de taper n’a pas "
             "été enregistré ; il reste sur cette page : téléchargez-le pour le garder. Pour modifier la fiche, "
             "retirez-la d’abord de la relecture.")


@bp.route("/<int:sheet_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_edit(current_user):
        if request.method == "POST" and sheet.owns(current_user):
            # Sent for review from another tab: nothing is saved, but the typed text is shown back, not lost.
            return render_template("sheets/edit_sheet.html", sheet=sheet, form=SheetForm(), conflict=None, reviews=[],
                                   not_editable=_not_editable_message(sheet)), 409
        abort(403)
    form = SheetForm() if request.method == "POST" else _form_for(sheet)
    conflict = None
    if form.validate_on_submit():
        try:
            services.save_version(sheet, author=current_user, content=form.content(), base_version=form.base_version.data)
            core_db.commit()
            flash(_("Fiche enregistrée (version %(n)s).", n=sheet.current_version), "success")
            return redirect(url_for("sheets.edit_sheet", sheet_id=sheet.id))
        except services.StaleVersion as stale:
            core_db.rollback()
            conflict = stale.latest
            # Saving again now overwrites knowingly. The field renders what was posted (raw_data) before
            # its data: without clearing it the page would keep the stale number and conflict forever.
            form.base_version.raw_data = None
            form.base_version.data = conflict.number
    return render_template("sheets/edit_sheet.html", sheet=sheet, form=form, conflict=conflict,
                           reviews=queries.reviews_of(sheet)), 409 if conflict else (422 if form.errors else 200)


@bp.post("/<int:sheet_id>/brouillon")
@json_endpoint
@login_required
def autosave_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_edit(current_user):
        if sheet.owns(current_user):
            return json_error(409, "not_editable", _not_editable_message(sheet), saved=False, state=sheet.state)
        abort(403)
    form = SheetForm()
    if not form.validate_on_submit():
        return json_error(422, "invalid", _("Certaines valeurs ne sont pas valides : utilisez le bouton « Enregistrer » "
                                            "pour voir lesquelles."), saved=False, errors=form.errors)
    try:
        version = services.save_version(sheet, author=current_user, content=form.content(), base_version=form.base_version.data)
    except services.StaleVersion as stale:
        core_db.rollback()
        return json_error(409, "stale_version", _("Cette fiche a été modifiée ailleurs : enregistrez avec le bouton pour "
                                                  "comparer les deux textes."), saved=False, conflict=True,
                          latest=stale.latest.number)
    core_db.commit()
    return jsonify(saved=True, version=version.number, saved_at=format_datetime(version.saved_at, "HH'h'mm"))


@bp.get("/<int:sheet_id>")
@login_required
def show_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_view(current_user):
        abort(403)
    version = queries.get_version(sheet, sheet.current_version)
    reviews = queries.reviews_of(sheet)
    return render_template("sheets/show_sheet.html", sheet=sheet, content=version.content, version=version,
                           latest_review=reviews[0] if reviews else None, reviews=reviews,
                           timeline=queries.timeline(sheet), form=ConfirmForm())


@bp.post("/<int:sheet_id>/envoyer")
@login_required
def submit_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    return confirmed_action(lambda: sheet.can_submit(current_user), lambda: services.submit_sheet(sheet, actor=current_user),
                            to=url_for("sheets.show_sheet", sheet_id=sheet.id),
                            done=_("Fiche envoyée en relecture. Vous serez prévenu·e par courriel."),
                            refusals=REFUSED, describe=services.describe_error)


@bp.post("/<int:sheet_id>/retirer")
@login_required
def withdraw_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    return confirmed_action(lambda: sheet.can_withdraw(current_user), lambda: services.withdraw_sheet(sheet, actor=current_user),
                            to=url_for("sheets.show_sheet", sheet_id=sheet.id),
                            done=_("Fiche retirée : elle est de nouveau en brouillon."),
                            refusals=REFUSED, describe=services.describe_error)


# --- Trainers -----------------------------------------------------------------------------------------


@bp.get("/relecture")
@role_required(*REVIEWERS)
def review_queue():
    state = request.args.get("etat") if request.args.get("etat") in set(SheetState) else None
    page = db.paginate(queries.review_queue_query(state), per_page=25, error_out=False)
    return render_template("sheets/review_queue.html", page=page, state=state, form=ConfirmForm())


@bp.post("/<int:sheet_id>/prendre")
@role_required(*REVIEWERS)
def claim_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    return confirmed_action(lambda: sheet.can_review(current_user), lambda: services.claim_sheet(sheet, reviewer=current_user),
                            to=url_for("sheets.review_sheet", sheet_id=sheet.id), refused_to=url_for("sheets.review_queue"),
                            refusals=REFUSED, describe=services.describe_error)


@bp.post("/<int:sheet_id>/rendre")
@role_required(*REVIEWERS)
def release_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    return confirmed_action(lambda: sheet.can_review(current_user), lambda: services.release_sheet(sheet, reviewer=current_user),
                            to=url_for("sheets.review_queue"), done=_("Fiche rendue à la file de relecture."),
                            refusals=REFUSED, describe=services.describe_error)


@bp.get("/<int:sheet_id>/apercu")
@login_required
def preview_sheet(sheet_id):
    """The A4 one-pager in HTML (printable); the PDF export is the same page as a file."""
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_view(current_user):
        abort(403)
    version = queries.get_version(sheet, sheet.current_version)
    return render_template("sheets/preview_sheet.html", sheet=sheet, content=version.content, version=version)


@bp.route("/<int:sheet_id>/relecture", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def review_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_review(current_user):
        abort(403)
    form = ReviewSheetForm()
    if form.validate_on_submit():
        try:
            services.review_sheet(
                sheet, reviewer=current_user, verdict=SheetState(form.verdict.data),
                overall_comment=form.overall_comment.data or "",
                section_comments={name: getattr(form, f"comment_{name}").data for name in SECTIONS},
                scores={key: getattr(form, f"score_{key}").data for key in GRID},
            )
            core_db.commit()
            flash(_("Relecture envoyée : %(state)s.", state=sheet.state_label), "success")
            return redirect(url_for("sheets.review_queue"))
        except services.SheetError as error:
            core_db.rollback()
            flash(str(error), "error")
    reviewed_version, diffs = queries.changes_since_last_review(sheet)
    return render_template(
        "sheets/review_sheet.html", sheet=sheet, content=queries.get_version(sheet, sheet.current_version).content,
        form=form, diffs=diffs, reviewed_version=reviewed_version, reviews=queries.reviews_of(sheet),
        timeline=queries.timeline(sheet), claim_form=ConfirmForm(),
    ), 422 if form.errors else 200


# --- Exports ------------------------------------------------------------------------------------------


@bp.get("/<int:sheet_id>/fiche.pdf")
@login_required
def export_pdf(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_view(current_user):
        abort(403)
    version = queries.get_version(sheet, request.args.get("version", sheet.current_version, type=int)) or abort(404)
    pdf = exports.one_pager_pdf(version.content, owner_name=sheet.owner.full_name, version=version.number)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="fiche-produit-{sheet.id}-v{version.number}.pdf"'})


@bp.get("/<int:sheet_id>/fiche.md")
@login_required
def export_markdown(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_view(current_user):
        abort(403)
    content = queries.get_version(sheet, sheet.current_version).content
    start = sheet.approved_at or sheet.submitted_at or sheet.created_at
    text = exports.startup_markdown(content, contact=sheet.owner.email, investigation_start=format_date(start, "yyyy-MM-dd"))
    return Response(text, mimetype="text/markdown",
                    headers={"Content-Disposition": f'attachment; filename="fiche-produit-{sheet.id}.md"'})


# --- After approval -------------------------------------------------------------------------------------


@bp.route("/<int:sheet_id>/feuille-de-route", methods=["GET", "POST"])
@login_required
def follow_up(sheet_id):
    """The learner updates each milestone and records measured values of the indicators."""
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_view(current_user):
        abort(403)
    content = queries.get_version(sheet, sheet.current_version).content
    posted = request.form if request.method == "POST" else None
    is_measure = request.form.get("action") == "measure"
    # Only the form that was sent reads the request: the other one is shown as stored, without errors.
    measure_form = MeasureForm(formdata=posted if is_measure else None)
    measure_form.indicator.choices = choices((i["name"], i["name"]) for i in content["indicators"] if i["name"])
    form = RoadmapForm(formdata=None if is_measure else posted, obj=sheet)
    if request.method == "POST":
        if not sheet.can_follow_up(current_user):
            abort(403)
        try:
            if is_measure and measure_form.validate_on_submit():
                if submissions.claim(current_user, measure_form.submission_key.data) is not None:
                    return redirect(url_for("sheets.follow_up", sheet_id=sheet.id))  # already recorded
                services.record_measure(sheet, actor=current_user, indicator=measure_form.indicator.data,
                                        value=measure_form.value.data, measured_on=measure_form.measured_on.data)
                core_db.commit()
                flash(_("Mesure enregistrée."), "success")
                return redirect(url_for("sheets.follow_up", sheet_id=sheet.id))
            if not is_measure and form.validate_on_submit():
                statuses = {m.id: request.form.get(f"status-{m.id}") for m in queries.milestones_of(sheet)}
                services.update_roadmap(sheet, actor=current_user, statuses=statuses, launched_on=form.launched_on.data)
                core_db.commit()
                flash(_("Feuille de route mise à jour."), "success")
                return redirect(url_for("sheets.follow_up", sheet_id=sheet.id))
        except services.SheetError as error:
            core_db.rollback()
            (measure_form if is_measure else form).form_errors.append(str(error))
    failed = measure_form.errors or form.errors
    return render_template("sheets/follow_up.html", sheet=sheet, content=content, milestones=queries.milestones_of(sheet),
                           measures=queries.measures_of(sheet), measure_form=measure_form, form=form,
                           statuses=MILESTONE_STATUS_LABELS, today=utcnow().date()), 422 if failed else 200


@bp.get("/impact")
@role_required(*REVIEWERS)
def impact():
    page = db.paginate(queries.approved_sheets_query(), per_page=25, error_out=False)
    return render_template("sheets/impact.html", stats=queries.impact(), page=page)
