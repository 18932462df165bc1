"""Fiche produit pages: the learner's editor (autosave, versions, conflicts), the review loop, exports."""

from babel.numbers import format_decimal
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from beta_training.core import db as core_db
from beta_training.core import submissions
from beta_training.core.actions import authorise, confirmed_action
from beta_training.core.auth import role_required
from beta_training.core.errors import json_endpoint, json_error
from beta_training.core.forms import ConfirmForm, choices
from beta_training.core.models import to_paris, utcnow
from beta_training.core.pagination import paginate_keys
from beta_training.core.states import InvalidTransition
from beta_training.cohorts import queries as cohort_queries
from beta_training.courses import queries as course_queries
from beta_training.extensions import db
from beta_training.sheets import exports, queries, services
from beta_training.sheets.forms import (
    PART_FORMS,
    FollowUpCommentForm,
    MeasureForm,
    NewSheetForm,
    RestoreVersionForm,
    ReviewSheetForm,
    RoadmapForm,
    SheetForm,
)
from beta_training.sheets.models import (
    COMMENT_TARGETS,
    GRID,
    HEADER,
    LEVEL_NAMES,
    MILESTONE_STATUS_LABELS,
    PART_BY_SEQUENCE,
    PARTS,
    RUBRIC,
    SHEET_STATE_LABELS,
    TEAM_ONLY_REASONS,
    USERTYPES,
    ProductSheet,
    SaveKind,
    SheetState,
    content_label,
    propose_roadmap,
    safe_links,
)

bp = Blueprint("sheets", __name__, url_prefix="/fiches")
REVIEWERS = ("trainer", "course_lead")
REFUSED = (services.SheetError, InvalidTransition)


@bp.context_processor
def labels():
    return {"header_questions": HEADER, "parts": PARTS, "comment_targets": COMMENT_TARGETS, "grid": GRID,
            "rubric": RUBRIC, "level_names": LEVEL_NAMES, "usertypes": USERTYPES, "state_labels": SHEET_STATE_LABELS,
            "content_label": content_label, "safe_links": safe_links, "average": _average}


def _average(value: float | None) -> str:
    """An average of notes as it reads in French (« 3,5 »), or a dash when nobody scored."""
    return format_decimal(value, "0.0", locale="fr_FR") if value is not None else "—"


@bp.app_context_processor
def sheet_parts():
    """For the course pages (courses never import sheets): the sequences that end with a part of the fiche."""
    return {"sheet_part_numbers": frozenset(PART_BY_SEQUENCE)}


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
    # One fiche produit per MOOC enrolment (the one its parts are answered into at the end of each sequence).
    taken = queries.enrolments_with_a_sheet(current_user.id)
    enrolments = [e for e in course_queries.list_user_enrolments(current_user) if e.id not in taken]
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
    if request.method == "POST" and request.form.get("action") == "suggest":
        return _with_suggestions(sheet, form)
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


def _with_suggestions(sheet: ProductSheet, form: SheetForm):
    """« Proposer à partir de mes réponses »: the empty roadmap rows get what the parts say, shown in the form
    for the learner to read, change or clear; nothing is saved until she saves."""
    if not ConfirmForm().validate_on_submit():  # the CSRF token only: a half-typed date must not block this
        abort(400)
    proposed, filled = propose_roadmap(form.content())
    for index in filled["milestones"]:
        form.milestones[index].form.title.data = proposed["milestones"][index]["title"]
    for index in filled["indicators"]:
        form.indicators[index].form["name"].data = proposed["indicators"][index]["name"]
    return render_template("sheets/edit_sheet.html", sheet=sheet, form=form, conflict=None,
                           reviews=queries.reviews_of(sheet), suggested=filled)


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
        version = services.save_version(sheet, author=current_user, content=form.content(), base_version=form.base_version.data,
                                        kind=SaveKind.AUTOSAVE)
    except services.StaleVersion as stale:
        core_db.rollback()
        return json_error(409, "stale_version", _("Cette fiche a été modifiée ailleurs : enregistrez avec le bouton pour "
                                                  "comparer les deux textes."), saved=False, conflict=True,
                          latest=stale.latest.number)
    core_db.commit()
    return jsonify(saved=True, version=version.number, saved_at=format_datetime(version.saved_at, "HH'h'mm"))


# --- One part, at the end of its sequence ---------------------------------------------------------------------


def _part_context(slug: str, run_slug: str, number: int):
    """The course, run, part and sequence of a part's page, and the learner's active enrolment in the run
    (404: no such course, run or part; 403: not enrolled — staff previewing the course included)."""
    course = course_queries.get_course_outline(slug)
    if course is None or not (course.published or course.can_manage(current_user)):
        abort(404)
    run = course_queries.get_run(course, run_slug)
    part = PART_BY_SEQUENCE.get(number)
    sequence = next((s for module in course.modules for s in module.sequences if s.number == number), None)
    if run is None or part is None or sequence is None:
        abort(404)
    enrolment = course_queries.get_enrolment(run, current_user)
    if enrolment is None or not enrolment.is_active:
        # Unenrolled since (another tab): back to the course page, which offers to enrol again.
        authorise(False, rightful=enrolment is not None, to=url_for("courses.show_course", slug=course.slug, run=run.slug),
                  changed=_("Vous n’êtes plus inscrit·e à cette session : rien n’est enregistré. Réinscrivez-vous "
                            "pour reprendre votre fiche produit là où vous en étiez."), saved=False)
    return course, run, part, sequence, enrolment


def _render_part(course, run, part, sequence, enrolment, sheet, form, *, conflict=None, not_editable=None, status=200):
    ordered = course_queries.ordered_items(course)
    last = sequence.items[-1] if sequence.items else None
    index = next((i for i, item in enumerate(ordered) if last is not None and item.id == last.id), None)
    review = queries.latest_review(sheet) if sheet is not None else None
    return render_template(
        "sheets/answer_part.html", course=course, run=run, part=part, sequence=sequence, enrolment=enrolment,
        sheet=sheet, form=form, conflict=conflict, not_editable=not_editable,
        feedback=(review.section_comments.get(part.key) if review else None), review=review,
        previous=last, next_item=ordered[index + 1] if index is not None and index + 1 < len(ordered) else None,
        answered=course_queries.answered_sheet_parts(enrolment),
    ), status


@bp.route("/mooc/<slug>/<run_slug>/sequence/<int:number>", methods=["GET", "POST"])
@login_required
def answer_part(slug, run_slug, number):
    """The questions of one sequence, met at its end: they go into the learner's one fiche produit for this
    enrolment (created with the first answer), as a new version of the whole sheet."""
    course, run, part, sequence, enrolment = _part_context(slug, run_slug, number)
    sheet = queries.sheet_for_enrolment(enrolment.id, current_user.id)
    form_class = PART_FORMS[part.key]
    if request.method == "GET":
        content = queries.get_version(sheet, sheet.current_version).content if sheet else {}
        form = form_class(data={**content, "base_version": sheet.current_version if sheet else 0})
        return _render_part(course, run, part, sequence, enrolment, sheet, form)
    form = form_class()
    if not form.validate_on_submit():
        return _render_part(course, run, part, sequence, enrolment, sheet, form, status=422)
    try:
        version = services.answer_part(enrolment, owner=current_user, part=part, answers=form.answers(),
                                       base_version=form.base_version.data)
    except services.StaleVersion as stale:
        core_db.rollback()
        form.base_version.raw_data = None  # saving again now overwrites knowingly (see edit_sheet)
        form.base_version.data = stale.latest.number
        return _render_part(course, run, part, sequence, enrolment, queries.sheet_for_enrolment(enrolment.id, current_user.id),
                            form, conflict=stale.latest, status=409)
    except services.NotEditable:
        core_db.rollback()
        sheet = queries.sheet_for_enrolment(enrolment.id, current_user.id)  # the one the service found
        return _render_part(course, run, part, sequence, enrolment, sheet, form,
                            not_editable=_not_editable_message(sheet), status=409)
    except services.SheetError as error:
        core_db.rollback()
        form.form_errors.append(str(error))
        return _render_part(course, run, part, sequence, enrolment, sheet, form, status=422)
    core_db.commit()
    if version is None:
        flash(_("Aucune réponse à enregistrer pour le moment."), "info")
    else:
        flash(_("Vos réponses à la %(part)s sont enregistrées dans votre fiche produit (version %(n)s).",
                part=part.short_label.lower(), n=version.number), "success")
    return redirect(url_for("sheets.answer_part", slug=course.slug, run_slug=run.slug, number=number))


@bp.post("/mooc/<slug>/<run_slug>/sequence/<int:number>/brouillon")
@json_endpoint
@login_required
def autosave_part(slug, run_slug, number):
    course, run, part, sequence, enrolment = _part_context(slug, run_slug, number)
    form = PART_FORMS[part.key]()
    if not form.validate_on_submit():
        return json_error(422, "invalid", _("Certaines valeurs ne sont pas valides : utilisez le bouton « Enregistrer » "
                                            "pour voir lesquelles."), saved=False, errors=form.errors)
    try:
        version = services.answer_part(enrolment, owner=current_user, part=part, answers=form.answers(),
                                       base_version=form.base_version.data, kind=SaveKind.AUTOSAVE)
    except services.StaleVersion as stale:
        core_db.rollback()
        return json_error(409, "stale_version", _("Votre fiche a été modifiée ailleurs : enregistrez avec le bouton pour "
                                                  "comparer les deux textes."), saved=False, conflict=True,
                          latest=stale.latest.number)
    except services.NotEditable:
        core_db.rollback()
        sheet = queries.sheet_for_enrolment(enrolment.id, current_user.id)
        return json_error(409, "not_editable", _not_editable_message(sheet), saved=False, state=sheet.state)
    except services.SheetError as error:
        core_db.rollback()
        return json_error(422, "invalid", str(error), saved=False)
    core_db.commit()
    return jsonify(saved=True, version=version.number if version else 0,
                   saved_at=format_datetime(version.saved_at if version else utcnow(), "HH'h'mm"))


@bp.get("/<int:sheet_id>")
@login_required
def show_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_view(current_user):
        abort(403)
    version = queries.get_version(sheet, sheet.current_version)
    reviews = queries.reviews_of(sheet)
    latest = reviews[0] if reviews else None
    return render_template("sheets/show_sheet.html", sheet=sheet, content=version.content, version=version,
                           latest_review=latest, reviews=reviews, rounds=queries.rubric_rounds(reviews),
                           history=queries.comment_history(reviews, skip=latest),
                           timeline=queries.timeline(sheet), form=ConfirmForm(), course_run=_course_run_of(sheet),
                           hidden_reasons=() if sheet.can_review(current_user) else TEAM_ONLY_REASONS)


def _course_run_of(sheet: ProductSheet):
    """(course slug, run slug) of the MOOC run the sheet belongs to, for links to its parts' pages; or None."""
    if sheet.enrolment_id is None or sheet.enrolment is None:
        return None
    run = sheet.enrolment.run
    return run.course.slug, run.slug


@bp.post("/<int:sheet_id>/envoyer")
@login_required
def submit_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    # Her sheet, whatever its state: a second tab's « Envoyer » after it was sent or validated says so.
    return confirmed_action(lambda: sheet.owns(current_user), lambda: services.submit_sheet(sheet, actor=current_user),
                            to=url_for("sheets.show_sheet", sheet_id=sheet.id), done=lambda sent: _submitted_message(sheet, sent),
                            refusals=REFUSED, describe=services.describe_error)


def _submitted_message(sheet: ProductSheet, sent: bool) -> str:
    if sent:
        return _("Fiche envoyée en relecture. Vous serez prévenu·e par courriel.")
    if sheet.state == SheetState.APPROVED:
        return _("Cette fiche est déjà validée : il n’y a plus rien à envoyer.")
    return _("Cette fiche est déjà envoyée en relecture : rien n’a été envoyé une deuxième fois.")


@bp.post("/<int:sheet_id>/retirer")
@login_required
def withdraw_sheet(sheet_id):
    sheet = _sheet_or_404(sheet_id)
    # Her sheet, whatever its state: the service's guard refuses a second tab's click, in words.
    return confirmed_action(lambda: sheet.owns(current_user), lambda: services.withdraw_sheet(sheet, actor=current_user),
                            to=url_for("sheets.show_sheet", sheet_id=sheet.id),
                            done=_("Fiche retirée : elle est de nouveau en brouillon."),
                            refusals=REFUSED, describe=services.describe_error)


# --- Trainers -----------------------------------------------------------------------------------------


@bp.get("/relecture")
@role_required(*REVIEWERS)
def review_queue():
    state = request.args.get("etat") if request.args.get("etat") in set(SheetState) else None
    page = paginate_keys(queries.review_queue_query(state), queries.queued_sheets, per_page=25)
    return render_template("sheets/review_queue.html", page=page, state=state, form=ConfirmForm(),
                           reviewed_by_me=queries.current_rounds_reviewed_by(current_user, page.items))


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
    reviews = queries.reviews_of(sheet)
    this_round = [r for r in reviews if r.round == sheet.review_round]
    my_review = next((r for r in this_round if r.reviewer_id == current_user.id), None)
    form = ReviewSheetForm()
    if sheet.state == SheetState.IN_REVIEW and this_round:
        # The round has its first review: this one is the second opinion and decides (a third is refused).
        form.verdict.choices = [c for c in form.verdict.choices if c.value != SheetState.SECOND_REVIEW.value]
        form.verdict.invalid_choice_message = services.THIRD_OPINION_REFUSED
    if form.validate_on_submit():
        try:
            services.review_sheet(
                sheet, reviewer=current_user, verdict=SheetState(form.verdict.data),
                overall_comment=form.overall_comment.data or "",
                section_comments={target: getattr(form, f"comment_{target}").data for target in COMMENT_TARGETS},
                scores={key: getattr(form, f"score_{key}").data for key in GRID},
                second_opinion_reason=form.second_opinion_reason.data or "",
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
        form=form, diffs=diffs, reviewed_version=reviewed_version, reviews=reviews,
        rounds=queries.rubric_rounds(reviews), history=queries.comment_history(reviews),
        reviewed_this_round=my_review is not None, my_review=my_review, second_opinion=bool(this_round),
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
    pdf = exports.one_pager_pdf(version.content, owner_name=sheet.owner_name, version=version.number)
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
    text = exports.startup_markdown(content, contact=sheet.owner.email if sheet.owner else "", investigation_start=to_paris(start).date())
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
    return _render_follow_up(sheet, content, measure_form=measure_form, form=form, status=422 if failed else 200)


def _follow_up_targets(sheet: ProductSheet, content: dict, milestones) -> list:
    """What a trainer may comment on: each milestone, each named indicator (by its position in the sheet)."""
    return choices([*((f"jalon-{m.id}", _("Jalon : %(t)s", t=m.title)) for m in milestones),
                    *((f"indicateur-{n}", _("Indicateur : %(t)s", t=i["name"])) for n, i in enumerate(content["indicators"])
                      if i["name"])], placeholder=_("Choisir"))


def _render_follow_up(sheet, content, *, measure_form=None, form=None, comment_form=None, status=200):
    milestones = queries.milestones_of(sheet)
    if measure_form is None:
        measure_form = MeasureForm(formdata=None)
        measure_form.indicator.choices = choices((i["name"], i["name"]) for i in content["indicators"] if i["name"])
    if comment_form is None:
        comment_form = FollowUpCommentForm(formdata=None)
    comment_form.target.choices = _follow_up_targets(sheet, content, milestones)
    comments = queries.follow_up_comments(sheet)
    return render_template("sheets/follow_up.html", sheet=sheet, content=content, milestones=milestones,
                           measures=queries.measures_of(sheet), measure_form=measure_form,
                           form=form or RoadmapForm(formdata=None, obj=sheet), comment_form=comment_form,
                           milestone_comments=[c for c in comments if c.milestone_id],
                           indicator_comments=[c for c in comments if c.indicator],
                           statuses=MILESTONE_STATUS_LABELS, today=utcnow().date()), status


@bp.post("/<int:sheet_id>/feuille-de-route/commentaires")
@role_required(*REVIEWERS)
def comment_follow_up(sheet_id):
    """A trainer comments on a milestone or an indicator of an approved sheet; its owner sees it there."""
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_comment_follow_up(current_user):
        abort(403)
    content = queries.get_version(sheet, sheet.current_version).content
    form = FollowUpCommentForm()
    form.target.choices = _follow_up_targets(sheet, content, queries.milestones_of(sheet))
    if form.validate_on_submit():
        to = url_for("sheets.follow_up", sheet_id=sheet.id, _anchor="commentaires")
        if submissions.claim(current_user, form.submission_key.data) is not None:
            return redirect(to)  # already recorded (a double click)
        try:
            services.comment_follow_up(sheet, author=current_user, target=form.target.data, body=form.body.data)
        except services.SheetError as error:
            core_db.rollback()
            form.form_errors.append(str(error))
        else:
            core_db.commit()
            flash(_("Commentaire enregistré : l’auteur·e de la fiche le voit sur sa feuille de route."), "success")
            return redirect(to)
    return _render_follow_up(sheet, content, comment_form=form, status=422)


# --- Version history ------------------------------------------------------------------------------------


def _viewable_sheet(sheet_id) -> ProductSheet:
    sheet = _sheet_or_404(sheet_id)
    if not sheet.can_view(current_user):
        abort(403)
    return sheet


@bp.get("/<int:sheet_id>/versions")
@login_required
def list_versions(sheet_id):
    """Every version (who, when, how it was saved), to view, compare or restore."""
    sheet = _viewable_sheet(sheet_id)
    page = db.paginate(queries.versions_query(sheet), per_page=50, error_out=False)
    return render_template("sheets/list_versions.html", sheet=sheet, page=page, restore_form=RestoreVersionForm(),
                           before=max(sheet.current_version - 1, 1), after=sheet.current_version)


@bp.get("/<int:sheet_id>/versions/<int:number>")
@login_required
def show_version(sheet_id, number):
    sheet = _viewable_sheet(sheet_id)
    version = queries.get_version(sheet, number) or abort(404)
    return render_template("sheets/show_version.html", sheet=sheet, version=version, content=version.content,
                           restore_form=RestoreVersionForm())


@bp.get("/<int:sheet_id>/versions/comparer")
@login_required
def compare_versions(sheet_id):
    """Any two versions, `de` (before) and `a` (after): each changed question, paragraph by paragraph."""
    sheet = _viewable_sheet(sheet_id)
    before_number = request.args.get("de", max(sheet.current_version - 1, 1), type=int)
    after_number = request.args.get("a", sheet.current_version, type=int)
    before = queries.get_version(sheet, before_number) or abort(404)
    after = queries.get_version(sheet, after_number) or abort(404)
    return render_template("sheets/compare_versions.html", sheet=sheet, before=before, after=after,
                           changes=queries.compare_versions(before, after))


@bp.post("/<int:sheet_id>/versions/<int:number>/restaurer")
@login_required
def restore_version(sheet_id, number):
    """The owner brings an earlier version back as a new one, while she may edit the sheet."""
    sheet = _sheet_or_404(sheet_id)
    form = RestoreVersionForm()

    def refused(error):
        if isinstance(error, services.StaleVersion):
            return _("La fiche a été enregistrée depuis un autre onglet ou appareil (version %(n)s) : rien n’a été "
                     "restauré. Relisez l’historique, puis recommencez.", n=error.latest.number)
        return services.describe_error(error)

    return confirmed_action(
        lambda: sheet.owns(current_user),
        lambda: services.restore_version(sheet, actor=current_user, number=number, base_version=form.base_version.data),
        to=url_for("sheets.list_versions", sheet_id=sheet.id), refusals=REFUSED, describe=refused, form=form,
        done=lambda version: _("Version %(old)s restaurée : c’est maintenant la version %(new)s. Les versions "
                               "intermédiaires restent dans l’historique.", old=number, new=version.number))


@bp.get("/impact")
@role_required(*REVIEWERS)
def impact():
    page = db.paginate(queries.approved_sheets_query(), per_page=25, error_out=False)
    return render_template("sheets/impact.html", stats=queries.impact(), page=page)
