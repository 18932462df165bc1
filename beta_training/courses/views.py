"""MOOC pages: catalogue, course outline and progress, items, attestation; trainers' authoring, runs,
batch enrolment, dashboard, exports and emails."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    send_file,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from beta_training.accounts.models import User
from beta_training.core import db as core_db
from beta_training.core import submissions
from beta_training.core.actions import StateChanged, authorise, confirmed_action
from beta_training.core.auth import role_required
from beta_training.core.errors import json_error
from beta_training.core.forms import ConfirmForm
from beta_training.core.i18n import format_day, ngettext
from beta_training.core.models import from_paris, to_paris, utcnow
from beta_training.core.page_cache import cached_for_anonymous, inserts_and_deletes, watch
from beta_training.core.streaming import CsvStream
from beta_training.courses import queries, services
from beta_training.courses.attestation import attestation_pdf
from beta_training.courses.forms import (
    AUDIENCE_LABELS,
    BatchEnrolForm,
    ItemForm,
    LearnerEmailForm,
    RunForm,
    StructureForm,
    format_questions,
    parse_questions,
    quiz_attempt_form,
)
from beta_training.courses.models import (
    Course,
    CourseItem,
    CourseModule,
    CourseRun,
    Enrolment,
    ItemKind,
    ResourceFile,
    Sequence,
)
from beta_training.extensions import db

bp = Blueprint("courses", __name__, url_prefix="/mooc")
STAFF = ("trainer", "course_lead")


def _course_or_404(slug) -> Course:
    course = queries.get_course(slug)  # its modules, sequences and items: queries.course_structure(course.id)
    if course is None or not (course.published or course.can_manage(current_user)):
        abort(404)
    return course


def _run_or_404(course: Course, run_slug: str | None) -> CourseRun:
    run = queries.get_run(course, run_slug) if run_slug else queries.default_run(course, utcnow(), user=current_user)
    if run is None:
        abort(404)
    return run


def _learner_context(course_slug, run_slug):
    """Course, run and the current user's active enrolment (404 if not enrolled: content is for learners)."""
    course = _course_or_404(course_slug)
    run = _run_or_404(course, run_slug)
    enrolment = queries.get_enrolment(run, current_user)
    if enrolment is None or not enrolment.is_active:
        if not course.can_manage(current_user):
            # Unenrolled (in another tab, say): back to the course page, which offers to enrol again.
            authorise(False, rightful=enrolment is not None, changed=no_longer_enrolled_message, to=course_page(course, run))
        enrolment = None  # staff preview: nothing is recorded
    return course, run, enrolment


def course_page(course: Course, run: CourseRun) -> str:
    return url_for("courses.show_course", slug=course.slug, run=run.slug)


def no_longer_enrolled_message() -> str:
    return _("Vous n’êtes plus inscrit·e à cette session : rien n’est enregistré. Réinscrivez-vous pour reprendre "
             "là où vous en étiez.")


# --- Catalogue and outline ----------------------------------------------------------------------------


@bp.get("/")
@cached_for_anonymous(Course, CourseRun, expires=(queries.next_public_change,))
def list_courses():
    enrolments = queries.list_user_enrolments(current_user) if current_user.is_authenticated else []
    return render_template("courses/list_courses.html", courses=queries.list_published_courses(), now=utcnow(),
                           enrolments=enrolments)


@bp.get("/<slug>")
@cached_for_anonymous(Course, CourseRun, CourseModule, Sequence, CourseItem, ResourceFile,
                      expires=(queries.next_public_change,))
def show_course(slug):
    course = _course_or_404(slug)
    run = _run_or_404(course, request.args.get("run"))
    structure = queries.course_structure(course.id)
    enrolment = queries.get_enrolment(run, current_user)
    completions = queries.completed_item_ids(enrolment if enrolment and enrolment.is_active else None)
    invited = current_user.is_authenticated and queries.invitation_for(run, current_user.email) is not None
    sheet_sent = bool(enrolment and run.requires_sheet and enrolment.sheet_sent_at is not None)
    learning = enrolment if enrolment and enrolment.is_active else None
    return render_template(
        "courses/show_course.html", course=course, run=run, enrolment=enrolment, now=utcnow(), invited=invited,
        sheet_sent=sheet_sent, answered_parts=queries.answered_sheet_parts(learning), structure=structure,
        progress=queries.progress_of(structure, completions), completions=completions, form=ConfirmForm(),
        scores=queries.quiz_scores(learning),
    )


@bp.post("/<slug>/<run_slug>/inscription")
@login_required
def enrol(slug, run_slug):
    course = _course_or_404(slug)
    run = _run_or_404(course, run_slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.enrol(run, current_user)
        core_db.commit()
        flash(_("Vous êtes inscrit·e. Bon cours !"), "success")
    except services.CourseError as error:
        core_db.rollback()
        flash(str(error), "error")
    return redirect(url_for("courses.show_course", slug=slug, run=run.slug))


@bp.post("/<slug>/<run_slug>/desinscription")
@login_required
def unenrol(slug, run_slug):
    course = _course_or_404(slug)
    run = _run_or_404(course, run_slug)
    enrolment = queries.get_enrolment(run, current_user)
    if enrolment is None or not ConfirmForm().validate_on_submit():
        abort(400)
    services.unenrol(enrolment, actor=current_user)
    core_db.commit()
    flash(_("Vous êtes désinscrit·e. Votre progression est conservée si vous revenez."), "success")
    return redirect(url_for("courses.show_course", slug=slug, run=run.slug))


@bp.get("/<slug>/<run_slug>/progression")
@login_required
def show_progress(slug, run_slug):
    course, run, enrolment = _learner_context(slug, run_slug)
    completions = queries.completed_item_ids(enrolment)
    structure = queries.course_structure(course.id)
    return render_template("courses/show_progress.html", course=course, run=run, enrolment=enrolment,
                           structure=structure, progress=queries.progress_of(structure, completions),
                           completions=completions, now=utcnow(), scores=queries.quiz_scores(enrolment), quizzes=[
                               item for item in queries.ordered_items(structure) if item.kind == ItemKind.QUIZ])


# --- Items and progress -------------------------------------------------------------------------------


def _item_or_404(course, key) -> CourseItem:
    item = queries.get_item(course, key)
    if item is None:
        abort(404)
    return item


AUTO_COMPLETE = (ItemKind.TEXT, ItemKind.TESTIMONIAL, ItemKind.RESOURCE)


@bp.get("/<slug>/<run_slug>/contenu/<key>")
@login_required
def show_item(slug, run_slug, key):
    course, run, enrolment = _learner_context(slug, run_slug)
    item = _item_or_404(course, key)
    now = utcnow()
    if enrolment is not None and now < run.access_starts_at:
        flash(_("Le cours ouvre le %(date)s.", date=format_day(run.access_starts_at, "d MMMM yyyy")), "info")
        return redirect(url_for("courses.show_course", slug=slug, run=run.slug))
    if enrolment is not None and item.kind in AUTO_COMPLETE and not item.video_url:
        # Opening a text is reading it: a GET that writes. The read transaction ends first, so the write takes
        # one of its own (SQLite cannot turn a read snapshot made stale by another commit into a write).
        core_db.rollback()
        with core_db.writing():
            services.record_progress(enrolment, item, source="opened", now=now)
            core_db.commit()
    return _render_item(course, run, enrolment, item, now=now)


def _render_item(course, run, enrolment, item, *, now, quiz_form=None, status=200):
    """The item page; a quiz sent with a question unanswered comes back here with its errors (422)."""
    completions = queries.completed_item_ids(enrolment)
    structure = queries.course_structure(course.id)
    ordered = queries.ordered_items(structure)
    index = next(i for i, other in enumerate(ordered) if other.id == item.id)
    sequence = next(s for module in structure.modules for s in module.sequences if s.id == item.sequence_id)
    attempts = queries.quiz_attempts(enrolment, item)
    if item.kind == ItemKind.QUIZ and quiz_form is None:
        quiz_form = quiz_attempt_form(item)
    return render_template(
        "courses/show_item.html", course=course, run=run, enrolment=enrolment, item=item, sequence=sequence, now=now,
        completion=completions.get(item.id), completions=completions,
        previous=ordered[index - 1] if index > 0 else None, next_item=ordered[index + 1] if index + 1 < len(ordered) else None,
        quiz_form=quiz_form, attempts=attempts, form=ConfirmForm(), progress=queries.progress_of(structure, completions),
        answered_parts=queries.answered_sheet_parts(enrolment),
    ), status


@bp.post("/<slug>/<run_slug>/contenu/<key>/termine")
@login_required
def complete_item(slug, run_slug, key):
    """« J'ai terminé » (works without JavaScript), or the player's ~95 % event (fetch, JSON answer).

    The answer tells the truth: `recorded` if this request recorded the item, `completed` if the item is
    (now or already) done for this learner; anything else is refused with its reason and status."""
    wants_json = request.headers.get("X-Requested-With") == "fetch"

    def refuse(status: int, message: str):
        if wants_json:
            return json_error(status, None, message, recorded=False, completed=False)
        if status in (400, 403):
            abort(status)
        flash(message, "error")
        return redirect(url_for("courses.show_item", slug=slug, run_slug=run.slug, key=key))

    course = _course_or_404(slug)
    run = _run_or_404(course, run_slug)
    item = _item_or_404(course, key)
    enrolment = queries.get_enrolment(run, current_user)
    if enrolment is None:
        return refuse(403, _("Vous n’êtes pas inscrit·e à cette session : rien n’est enregistré."))
    if not enrolment.is_active:  # unenrolled since this page was shown (another tab): said, not refused
        raise StateChanged(no_longer_enrolled_message(), to=course_page(course, run), code="unenrolled",
                           recorded=False, completed=False)
    if not ConfirmForm().validate_on_submit():
        return refuse(400, _("Votre session a expiré : rechargez la page."))
    source = "video" if request.form.get("source") == "video" and item.video_url else "button"
    now = utcnow()
    try:
        recorded = services.record_progress(enrolment, item, source=source, now=now)
        core_db.commit()
    except services.CourseError as error:
        core_db.rollback()
        return refuse(409, str(error))
    completed = item.id in queries.completed_item_ids(enrolment)
    if not completed:  # after the access window nothing new is recorded
        return refuse(409, _("Le cours est en lecture seule : la progression n’est plus enregistrée."))
    if wants_json:
        return jsonify(recorded=recorded, completed=True)
    flash(_("Élément terminé."), "success")
    return redirect(url_for("courses.show_item", slug=slug, run_slug=run.slug, key=key))


@bp.post("/<slug>/<run_slug>/contenu/<key>/quiz")
@login_required
def answer_quiz(slug, run_slug, key):
    """An attempt at the quiz: scored, then its feedback on the quiz's page. Every answer is required."""
    course, run, enrolment = _learner_context(slug, run_slug)
    item = _item_or_404(course, key)
    if enrolment is None or item.kind != ItemKind.QUIZ:
        abort(400)  # staff preview records nothing
    form = quiz_attempt_form(item)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_item(course, run, enrolment, item, now=utcnow(), quiz_form=form, status=422)
    try:
        services.submit_quiz_attempt(enrolment, item, answers=form.answers(), submission_key=form.submission_key.data)
        core_db.commit()
    except services.CourseError as error:
        core_db.rollback()
        flash(str(error), "error")
        return redirect(url_for("courses.show_item", slug=slug, run_slug=run.slug, key=key))
    return redirect(url_for("courses.show_item", slug=slug, run_slug=run.slug, key=key) + "#feedback")


# --- Attestation ----------------------------------------------------------------------------------------


@bp.get("/<slug>/<run_slug>/attestation.pdf")
@login_required
def attestation(slug, run_slug):
    course = _course_or_404(slug)
    run = _run_or_404(course, run_slug)
    enrolment = queries.get_enrolment(run, current_user)
    if enrolment is None or enrolment.completed_at is None:
        abort(403)
    pdf = attestation_pdf(enrolment, verify_url=url_for("courses.verify_attestation", code=enrolment.attestation_code,
                                                        _external=True))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="attestation-{course.slug}.pdf"'})


@bp.get("/attestations/<code>")
# What the attestation prints is frozen at completion (name, date, code); its run and course give their names.
# An account erased takes its enrolments away (ON DELETE CASCADE): a deleted user counts.
@cached_for_anonymous(watch(Enrolment, "attestation_code", "attestation_name", "completed_at", "run_id"),
                      CourseRun, Course, inserts_and_deletes(User))
def verify_attestation(code):
    enrolment = queries.get_enrolment_by_code(code)
    return render_template("courses/verify_attestation.html", enrolment=enrolment, code=code), 200 if enrolment else 404


# --- Trainers: authoring --------------------------------------------------------------------------------


def _managed_course_or_404(course_id) -> Course:
    course = queries.get_course_outline_by_id(course_id)
    if course is None:
        abort(404)
    if not course.can_manage(current_user):
        abort(403)
    return course


@bp.get("/gestion/")
@role_required(*STAFF)
def manage_courses():
    return render_template("courses/manage_courses.html", courses=queries.list_all_courses())


@bp.get("/gestion/<int:course_id>/contenu")
@role_required(*STAFF)
def edit_content(course_id):
    course = _managed_course_or_404(course_id)
    return render_template("courses/edit_content.html", course=course, form=ConfirmForm(), structure_form=StructureForm())


def _sequence_of(course: Course, sequence_id: int) -> Sequence:
    sequence = next((s for m in course.modules for s in m.sequences if s.id == sequence_id), None)
    if sequence is None:
        abort(404)
    return sequence


@bp.post("/gestion/<int:course_id>/modules")
@role_required(*STAFF)
def add_module(course_id):
    course = _managed_course_or_404(course_id)
    form = StructureForm()
    back = url_for("courses.edit_content", course_id=course.id)
    if form.validate_on_submit():
        if submissions.claim(current_user, form.submission_key.data) is not None:
            return redirect(back)  # a second click: the module is already there
        services.add_module(course, title=form.title.data, summary=form.summary.data or "")
        submissions.record(current_user, form.submission_key.data, back)
        core_db.commit()
        flash(_("Module ajouté."), "success")
    else:
        flash(_("Donnez un titre au module."), "error")
    return redirect(back)


def _module_of(course: Course, module_id: int):
    module = next((m for m in course.modules if m.id == module_id), None)
    if module is None:
        abort(404)
    return module


@bp.post("/gestion/<int:course_id>/modules/<int:module_id>/sequences")
@role_required(*STAFF)
def add_sequence(course_id, module_id):
    course = _managed_course_or_404(course_id)
    module = _module_of(course, module_id)
    form = StructureForm()
    if form.validate_on_submit():
        earlier = submissions.claim(current_user, form.submission_key.data)
        if earlier is not None:  # a second click: where the first one led
            return redirect(earlier.location or url_for("courses.edit_content", course_id=course.id))
        sequence = services.add_sequence(module, title=form.title.data, summary=form.summary.data or "")
        location = url_for("courses.edit_content", course_id=course.id) + f"#sequence-{sequence.id}"
        submissions.record(current_user, form.submission_key.data, location)
        core_db.commit()
        flash(_("Séquence ajoutée."), "success")
        return redirect(location)
    flash(_("Donnez un titre à la séquence."), "error")
    return redirect(url_for("courses.edit_content", course_id=course.id))


@bp.route("/gestion/<int:course_id>/modules/<int:module_id>", methods=["GET", "POST"])
@bp.route("/gestion/<int:course_id>/sequences/<int:sequence_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_structure(course_id, module_id=None, sequence_id=None):
    course = _managed_course_or_404(course_id)
    structure = _module_of(course, module_id) if module_id else _sequence_of(course, sequence_id)
    form = StructureForm(obj=structure)
    if form.validate_on_submit():
        services.rename(structure, title=form.title.data, summary=form.summary.data or "")
        core_db.commit()
        flash(_("Enregistré."), "success")
        return redirect(url_for("courses.edit_content", course_id=course.id))
    return render_template("courses/edit_structure.html", course=course, structure=structure, form=form,
                           is_module=module_id is not None), 422 if form.errors else 200


@bp.route("/gestion/<int:course_id>/sequences/<int:sequence_id>/nouvel-element", methods=["GET", "POST"])
@role_required(*STAFF)
def add_item(course_id, sequence_id):
    course = _managed_course_or_404(course_id)
    sequence = _sequence_of(course, sequence_id)
    form = ItemForm()
    if form.validate_on_submit() and _saved(form, lambda: services.add_item(course, sequence, key=form.key.data,
                                                                          **_item_values(form))):
        flash(_("Élément ajouté."), "success")
        return redirect(url_for("courses.edit_content", course_id=course.id) + f"#sequence-{sequence.id}")
    return render_template("courses/edit_item.html", course=course, sequence=sequence, form=form, item=None), 422 if form.errors else 200


def _item_values(form: ItemForm) -> dict:
    upload = form.resource_upload.data
    return {"questions": parse_questions(form.choices_text.data or "") if form.kind.data == "quiz" else None,
            "upload": (upload.filename or "", upload.read()) if upload else None,
            "remove_file": form.remove_resource_file.data, "max_file_bytes": current_app.config["RESOURCE_MAX_BYTES"],
            **form.values()}


def _saved(form: ItemForm, save) -> bool:
    """Run `save`, the one service call of a validated item form, and commit; False if the service refused,
    with its message under the key (taken) or else the file field (a refused file, a video without transcript)."""
    try:
        save()
    except services.CourseError as error:
        core_db.rollback()
        (form.key if isinstance(error, services.KeyTaken) else form.resource_upload).errors.append(str(error))
        return False
    core_db.commit()
    return True


@bp.route("/gestion/<int:course_id>/elements/<int:item_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_item(course_id, item_id):
    course = _managed_course_or_404(course_id)
    item = db.get_or_404(CourseItem, item_id)
    if item.course_id != course.id:
        abort(404)
    form = ItemForm(obj=item, choices_text=format_questions(item))
    form.key.render_kw = {"readonly": True}
    form.has_file = item.resource_file is not None
    if form.validate_on_submit() and _saved(form, lambda: services.save_item(item.sequence, key=item.key, **_item_values(form))):
        flash(_("Élément enregistré."), "success")
        return redirect(url_for("courses.edit_content", course_id=course.id) + f"#sequence-{item.sequence_id}")
    return render_template("courses/edit_item.html", course=course, sequence=item.sequence, form=form, item=item), 422 if form.errors else 200


def _course_item_or_404(course_id, item_id) -> tuple[Course, CourseItem]:
    course = db.get_or_404(Course, course_id)
    item = db.get_or_404(CourseItem, item_id)
    if item.course_id != course.id:
        abort(404)
    return course, item


@bp.post("/gestion/<int:course_id>/elements/<int:item_id>/deplacer/<direction>")
@role_required(*STAFF)
def move_item(course_id, item_id, direction):
    course, item = _course_item_or_404(course_id, item_id)
    if direction not in ("haut", "bas"):
        abort(404)
    # The form says where the item was when the page was shown, so a second click (or a second tab) does
    # not move it one more place.
    return confirmed_action(lambda: course.can_manage(current_user),
                            lambda: services.move_item(item, -1 if direction == "haut" else 1,
                                                       shown_at=request.form.get("position", type=int)),
                            to=url_for("courses.edit_content", course_id=course.id) + f"#item-{item.id}")


@bp.post("/gestion/<int:course_id>/elements/<int:item_id>/supprimer")
@role_required(*STAFF)
def delete_item(course_id, item_id):
    course, item = _course_item_or_404(course_id, item_id)
    return confirmed_action(lambda: course.can_manage(current_user), lambda: services.delete_item(item),
                            to=url_for("courses.edit_content", course_id=course.id), done=_("Élément supprimé."))


@bp.get("/<int:course_id>/ressources/<int:item_id>")
@login_required
def download_resource(course_id, item_id):
    """The resource's file, always as an attachment (never rendered by the browser), to the course's
    learners and staff."""
    course = db.get_or_404(Course, course_id)
    item = db.get_or_404(CourseItem, item_id)
    if item.course_id != course.id or item.resource_file is None:
        abort(404)
    if not course.can_read_resources(current_user, utcnow()):
        abort(403)
    attached = item.resource_file
    # Streamed from the database a slice at a time (never whole in memory); byte ranges and ETag work.
    response = send_file(
        queries.open_resource_file(attached), mimetype=attached.content_type, as_attachment=True,
        download_name=attached.filename, etag=attached.sha256, last_modified=attached.uploaded_at, max_age=0,
        conditional=False,
    )
    response.content_length = attached.size_bytes
    response = response.make_conditional(request, accept_ranges=True, complete_length=attached.size_bytes)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/gestion/<int:course_id>/apercu/<int:item_id>")
@role_required(*STAFF)
def preview_item(course_id, item_id):
    course = _managed_course_or_404(course_id)
    item = db.get_or_404(CourseItem, item_id)
    if item.course_id != course.id:
        abort(404)
    run = queries.default_run(course, utcnow())
    if run is None:
        abort(404)
    return redirect(url_for("courses.show_item", slug=course.slug, run_slug=run.slug, key=item.key))


# --- Trainers: runs, learners, dashboard ----------------------------------------------------------------


RUN_DATES = ("registration_opens_at", "registration_closes_at", "access_starts_at", "access_ends_at")


@bp.route("/gestion/<int:course_id>/sessions/nouvelle", methods=["GET", "POST"])
@bp.route("/gestion/<int:course_id>/sessions/<int:run_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_run(course_id, run_id=None):
    course = _managed_course_or_404(course_id)
    run = next((r for r in course.runs if r.id == run_id), None) if run_id else None
    if run_id and run is None:
        abort(404)
    # On POST only what was sent counts: a missing field is an error, not the stored (UTC) value.
    form = RunForm(obj=run if request.method == "GET" else None)
    if run is not None and request.method == "GET":
        for name in RUN_DATES:
            getattr(form, name).data = to_paris(getattr(run, name))
    if form.validate_on_submit() and run is None:
        earlier = submissions.claim(current_user, request.form.get("submission_key"))
        if earlier is not None:  # a second click: the session the first one created
            return redirect(earlier.location or url_for("courses.manage_courses"))
    if form.validate_on_submit():
        taken = next((r for r in course.runs if r.slug == form.slug.data and r is not run), None)
        if taken:
            form.slug.errors.append(_("Une autre session de ce cours a déjà cet identifiant."))
        else:
            values = {"name": form.name.data, "slug": form.slug.data, "requires_sheet": form.requires_sheet.data,
                      "signatory_name": (form.signatory_name.data or "").strip(),
                      "signatory_role": (form.signatory_role.data or "").strip(),
                      "quiz_pass_mark": form.quiz_pass_mark.data,
                      **{name: from_paris(getattr(form, name).data) for name in RUN_DATES}}
            new = run is None
            try:
                run = services.save_run(course, run=run, **values)
            except services.InvalidRunWindow as error:  # e.g. a time in the spring-forward gap, once in UTC
                core_db.rollback()
                getattr(form, error.field).errors.append(str(error))
            else:
                location = url_for("courses.dashboard", run_id=run.id)
                if new:
                    submissions.record(current_user, request.form.get("submission_key"), location)
                core_db.commit()
                flash(_("Session enregistrée."), "success")
                return redirect(location)
    return render_template("courses/edit_run.html", course=course, run=run, form=form), 422 if form.errors else 200


def _managed_run_or_404(run_id) -> CourseRun:
    run = db.get_or_404(CourseRun, run_id)
    if not run.can_manage(current_user):
        abort(403)
    return run


@bp.get("/gestion/sessions/<int:run_id>/tableau-de-bord")
@role_required(*STAFF)
def dashboard(run_id):
    run = _managed_run_or_404(run_id)
    now = utcnow()
    return render_template("courses/dashboard.html", run=run, course=run.course,
                           stats=queries.dashboard(run, queries.course_structure(run.course_id), now))


# Dates and times in Paris time, as the Alpha CSV writes them, and said so in the column names.
CSV_FIXED = ["prenom", "nom", "email", "administration", "inscrit_le_heure_de_paris", "derniere_activite_heure_de_paris",
             "termine_le_heure_de_paris"]


@bp.get("/gestion/sessions/<int:run_id>/apprenants.csv")
@role_required(*STAFF)
def export_learners(run_id):
    """Streamed: one query read in batches, one line per learner; memory stays flat. After the progress per
    sequence, each quiz's best score (%), empty when not attempted; then how many quizzes are passed, the run's
    pass mark in that column's name, and each quiz passed or not (« oui » / « non », empty when not attempted),
    as the completion rule counts them."""
    run = _managed_run_or_404(run_id)
    course = queries.get_course_outline_by_id(run.course_id)
    sequences = [(s.id, len(s.items)) for m in course.modules for s in m.sequences]
    quizzes = [item for item in queries.ordered_items(course) if item.kind == ItemKind.QUIZ]

    def lines():
        stream = CsvStream()
        yield stream.header(CSV_FIXED + [f"{s.export_name}_pourcent" for m in course.modules for s in m.sequences]
                            + [f"quiz_{item.key}_meilleur_score_pourcent" for item in quizzes]
                            + [_passed_column(run, len(quizzes))] + [f"quiz_{item.key}_valide" for item in quizzes])
        with db.session.execute(queries.learners_progress_rows(run).execution_options(yield_per=1000)) as result:
            current, done, scores, passed = None, {}, {}, {}
            for *learner, sequence_id, count, quiz_id, best_score, quiz_passed in result:
                if current is not None and learner[0] != current[0]:
                    yield stream.line(_learner_row(current, done, scores, passed, sequences, quizzes))
                    done, scores, passed = {}, {}, {}
                current = learner
                if sequence_id is not None:
                    done[sequence_id] = count
                if quiz_id is not None:
                    scores[quiz_id], passed[quiz_id] = best_score, bool(quiz_passed)
            if current is not None:
                yield stream.line(_learner_row(current, done, scores, passed, sequences, quizzes))

    return Response(stream_with_context(lines()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="apprenants-{run.slug}.csv"'})


def _paris_time(value) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""  # Babel's zone: Europe/Paris


def _passed_column(run: CourseRun, quiz_count: int) -> str:
    """« quiz_valides_sur_3_seuil_70_pourcent »: what a quiz needs is read in the header, as the dashboard says it."""
    rule = f"seuil_{run.quiz_pass_mark}_pourcent" if run.quiz_pass_mark is not None else "sans_seuil"
    return f"quiz_valides_sur_{quiz_count}_{rule}"


def _learner_row(learner, done: dict, scores: dict, passed: dict, sequences, quizzes) -> list:
    _enrolment_id, first_name, last_name, email, administration, enrolled_at, last_activity_at, completed_at = learner
    return [first_name, last_name, email, administration or "", _paris_time(enrolled_at), _paris_time(last_activity_at),
            _paris_time(completed_at),
            *(round(100 * done.get(sequence_id, 0) / total) if total else 0 for sequence_id, total in sequences),
            *(scores.get(item.id, "") for item in quizzes),
            sum(passed.get(item.id, False) for item in quizzes),
            *({True: "oui", False: "non"}.get(passed.get(item.id), "") for item in quizzes)]


@bp.route("/gestion/sessions/<int:run_id>/inscriptions", methods=["GET", "POST"])
@role_required(*STAFF)
def batch_enrol(run_id):
    run = _managed_run_or_404(run_id)
    form = BatchEnrolForm()
    outcome = None
    if form.validate_on_submit():
        try:
            outcome = services.invite_or_enrol(run, actor=current_user, emails_text=form.emails.data)
            core_db.commit()
        except services.CourseError as error:
            core_db.rollback()
            form.emails.errors.append(str(error))
    learners = db.paginate(queries.learners_query(run), per_page=50, error_out=False)
    return render_template("courses/batch_enrol.html", run=run, form=form, outcome=outcome, learners=learners), 422 if form.errors else 200


@bp.route("/gestion/sessions/<int:run_id>/courriel", methods=["GET", "POST"])
@role_required(*STAFF)
def email_learners(run_id):
    run = _managed_run_or_404(run_id)
    form = LearnerEmailForm()
    if form.validate_on_submit():
        sent = services.send_bulk_email(run, actor=current_user, audience=form.audience.data, subject=form.subject.data,
                                        body=form.body.data, stalled_days=form.stalled_days.data or 14,
                                        submission_key=form.submission_key.data)
        core_db.commit()
        flash(ngettext("Message envoyé à %(num)s apprenant·e.", "Message envoyé à %(num)s apprenant·es.", sent.recipient_count), "success")
        return redirect(url_for("courses.dashboard", run_id=run.id))
    return render_template("courses/email_learners.html", run=run, form=form, sent=queries.bulk_emails_of(run.id),
                           audiences=AUDIENCE_LABELS), 422 if form.errors else 200
