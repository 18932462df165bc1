"""Alpha training pages: public sessions, applying, the candidate's space, the trainers' back office,
and the alumni network. Views load (404) → authorise with a model predicate (403) → form → one
service call → commit → respond."""

from itertools import groupby

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
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from beta_training.cohorts import queries, services
from beta_training.cohorts.calendar import cohort_ics
from beta_training.cohorts.forms import (
    AUDIENCE_LABELS,
    AlumniProfileForm,
    AlumniSearchForm,
    ApplicationForm,
    AttendanceForm,
    BulkDecisionForm,
    BulkEmailForm,
    CohortForm,
    DecisionForm,
    ProgrammeItemForm,
    QueueFilterForm,
    ReviewForm,
    SpeakerForm,
    StatusForm,
)
from beta_training.accounts.models import ADMINISTRATION_TYPE_LABELS
from beta_training.cohorts.models import (
    APPLICATION_STATE_LABELS,
    COHORT_STATUS_LABELS,
    COHORT_TRANSITIONS,
    SITUATION_LABELS,
    CRITERIA,
    ApplicationState,
    Cohort,
    CohortApplication,
    CohortStatus,
    ProgrammeItem,
    Speaker,
)
from beta_training.core import db as core_db
from beta_training.core.db import lock_for_update
from beta_training.core import submissions
from beta_training.courses import queries as course_queries
from beta_training.core.auth import role_required
from beta_training.core.errors import json_endpoint, json_error
from beta_training.core.forms import ConfirmForm
from beta_training.core.models import from_paris, to_paris, utcnow
from beta_training.core.pagination import paginate_rows
from beta_training.core.states import InvalidTransition
from beta_training.core.streaming import CsvStream
from beta_training.extensions import db

bp = Blueprint("cohorts", __name__, url_prefix="/alpha")

REFUSED = (services.ApplicationError, InvalidTransition)

ANSWER_LABELS = [
    ("problem", _l("Quel est le problème que vous souhaitez résoudre ?")),
    ("solution", _l("Quelle est votre solution potentielle ?")),
    ("first_users", _l("Qui seront vos premiers utilisateurs et les partenaires à mobiliser ?")),
    ("motivation", _l("Votre motivation")),
    ("needs", _l("Besoins d’accessibilité ou régime alimentaire")),
]


@bp.context_processor
def labels():
    return {
        "admin_types": ADMINISTRATION_TYPE_LABELS,
        "situations": SITUATION_LABELS,
        "state_labels": {**COHORT_STATUS_LABELS, **APPLICATION_STATE_LABELS},
        "answer_labels": ANSWER_LABELS,
    }


def _refused(error) -> None:
    core_db.rollback()
    flash(services.describe_error(error), "error")


def _refused_value(form, error: services.InvalidValue) -> None:
    """A value the service refused: nothing is saved, the message goes under its field."""
    core_db.rollback()
    getattr(form, error.field).errors.append(str(error))


def _per_page() -> int:
    return current_app.config["USERS_PER_PAGE"]


# --- Public pages -------------------------------------------------------------------------------------


@bp.get("/")
def list_cohorts():
    upcoming = queries.list_upcoming_cohorts()
    past = db.paginate(queries.past_cohorts_query(), per_page=_per_page(), error_out=False)
    return render_template(
        "cohorts/list_cohorts.html", upcoming=upcoming, past=past, seats_left=queries.seats_left_by_cohort(upcoming),
        now=utcnow(),
    )


def _visible_cohort_or_404(slug) -> Cohort:
    cohort = queries.get_cohort_with_programme(slug)
    if cohort is None or not cohort.is_visible_to(current_user):
        abort(404)
    return cohort


@bp.get("/<slug>")
def show_cohort(slug):
    cohort = _visible_cohort_or_404(slug)
    days = [(day, list(items)) for day, items in groupby(cohort.programme_items, key=lambda item: item.day)]
    application = queries.get_application_for(cohort, current_user) if current_user.is_authenticated else None
    return render_template(
        "cohorts/show_cohort.html", cohort=cohort, days=days, application=application,
        seats_left=queries.seats_left(cohort), now=utcnow(),
    )


@bp.get("/<slug>/calendrier.ics")
def cohort_calendar(slug):
    cohort = _visible_cohort_or_404(slug)
    body = cohort_ics(cohort, url_for("cohorts.show_cohort", slug=cohort.slug, _external=True))
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": f'attachment; filename="{cohort.slug}.ics"'})


# --- Applying -----------------------------------------------------------------------------------------


@bp.route("/<slug>/candidater", methods=["GET", "POST"])
@login_required
def apply(slug):
    cohort = _visible_cohort_or_404(slug)
    now = utcnow()
    existing = queries.get_application_for(cohort, current_user)
    if existing is not None and not existing.can_edit(current_user, now):
        return redirect(url_for("cohorts.show_application", application_id=existing.id))
    if existing is None and not cohort.is_open_for_applications(now):
        return render_template("cohorts/applications_closed.html", cohort=cohort, now=now), 403
    form = ApplicationForm(obj=existing or current_user)
    if form.validate_on_submit():
        try:
            application = services.start_application(cohort, current_user, now=now)
            already_sent = application.state == ApplicationState.SUBMITTED
            services.save_answers(application, actor=current_user, values=form.answers(), now=now)
            if request.form.get("action") == "submit" or already_sent:
                missing = services.missing_answers(application)
                if missing:  # a draft keeps what was typed, and says what sending it still needs
                    core_db.commit()
                    return _missing_answers(cohort, form, missing, _("Votre brouillon est enregistré, mais il manque des réponses pour l’envoyer."))
                sent_now = services.submit_application(application, actor=current_user, now=now)
                core_db.commit()
                flash(_("Votre candidature est envoyée. Un courriel de confirmation vous a été adressé.") if sent_now
                      else _("Vos modifications sont enregistrées."), "success")
                return redirect(url_for("cohorts.show_application", application_id=application.id))
            core_db.commit()
            flash(_("Brouillon enregistré."), "success")
            return redirect(url_for("cohorts.apply", slug=cohort.slug))
        except services.IncompleteAnswers as error:  # a sent application is never left incomplete
            core_db.rollback()
            return _missing_answers(cohort, form, error.missing, _("Il manque des réponses : rien n’a été modifié."))
        except REFUSED as error:
            _refused(error)
            return redirect(url_for("cohorts.show_cohort", slug=cohort.slug))
    status = 422 if form.errors else 200
    return render_template("cohorts/apply.html", cohort=cohort, form=form, application=existing), status


def _missing_answers(cohort, form: ApplicationForm, missing: list[str], summary: str):
    for name in missing:
        getattr(form, name).errors.append(_("Cette réponse est obligatoire pour envoyer la candidature."))
    form.form_errors.append(summary)
    return render_template("cohorts/apply.html", cohort=cohort, form=form,
                           application=queries.get_application_for(cohort, current_user)), 422


@bp.post("/<slug>/candidater/brouillon")
@json_endpoint
@login_required
def autosave_application(slug):
    """Background save while typing (JSON). The same form posts here; nothing is sent, only saved."""
    cohort = _visible_cohort_or_404(slug)
    form = ApplicationForm()
    if not form.validate_on_submit():
        return json_error(422, "invalid", _("Certaines réponses ne sont pas valides : utilisez le bouton d’enregistrement "
                                            "pour voir lesquelles."), saved=False, errors=form.errors)
    try:
        application = services.start_application(cohort, current_user)
        services.save_answers(application, actor=current_user, values=form.answers())
    except services.IncompleteAnswers as error:
        core_db.rollback()
        labels = ", ".join(f"« {getattr(form, name).label.text} »" for name in error.missing)
        return json_error(422, "incomplete", _("Votre candidature est envoyée et doit rester complète : vos modifications "
                                               "ne sont pas enregistrées tant que ces réponses sont vides : %(labels)s.",
                                               labels=labels), saved=False, missing=error.missing)
    except REFUSED as error:
        core_db.rollback()
        return json_error(409, "not_editable", services.describe_error(error), saved=False)
    core_db.commit()
    return jsonify(saved=True, saved_at=format_datetime(application.updated_at, "HH'h'mm"))


@bp.get("/mes-candidatures")
@login_required
def list_my_applications():
    applications = queries.list_user_applications(current_user)
    ranks = {a.id: queries.waitlist_rank(a) for a in applications if a.state == ApplicationState.WAITLISTED}
    return render_template("cohorts/list_my_applications.html", applications=applications, ranks=ranks,
                           is_alumni=queries.is_alumni(current_user))


def _application_or_404(application_id) -> CohortApplication:
    return db.get_or_404(CohortApplication, application_id)


@bp.get("/candidatures/<int:application_id>")
@login_required
def show_application(application_id):
    application = _application_or_404(application_id)
    if not application.can_view(current_user):
        abort(403)
    if application.user_id != current_user.id:
        return redirect(url_for("cohorts.review_application", application_id=application.id))
    return render_template(
        "cohorts/show_application.html", application=application, cohort=application.cohort,
        rank=queries.waitlist_rank(application), timeline=queries.timeline(application), form=ConfirmForm(),
        now=utcnow(),
    )


def _candidate_action(application_id, predicate: str, service, success: str, **kwargs):
    application = _application_or_404(application_id)
    if not getattr(application, predicate)(current_user):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service(application, actor=current_user, **kwargs)
        core_db.commit()
        flash(success, "success")
    except REFUSED as error:
        _refused(error)
    return redirect(url_for("cohorts.show_application", application_id=application_id))


@bp.post("/candidatures/<int:application_id>/confirmer")
@login_required
def confirm_seat(application_id):
    return _candidate_action(application_id, "can_answer_offer", services.confirm_seat,
                             _("Votre place est confirmée. L’invitation au format calendrier vous a été envoyée."))


@bp.post("/candidatures/<int:application_id>/decliner")
@login_required
def decline_seat(application_id):
    return _candidate_action(application_id, "can_answer_offer", services.decline_seat,
                             _("Vous avez décliné la place. Merci de nous avoir prévenus."))


@bp.post("/candidatures/<int:application_id>/retirer")
@login_required
def withdraw_application(application_id):
    return _candidate_action(application_id, "can_withdraw", services.withdraw_application,
                             _("Votre candidature est retirée."), reason=request.form.get("reason", "")[:300])


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
    page = db.paginate(queries.alumni_directory_query(form.q.data, form.departement.data), per_page=_per_page(), error_out=False)
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


# --- Trainers: sessions and programme -----------------------------------------------------------------


def _managed_cohort_or_404(cohort_id) -> Cohort:
    cohort = db.get_or_404(Cohort, cohort_id)
    if not cohort.can_manage(current_user):
        abort(403)
    return cohort


@bp.get("/gestion/")
@role_required("trainer")
def manage_cohorts():
    page = db.paginate(queries.all_cohorts_query(), per_page=_per_page(), error_out=False)
    counts = queries.state_counts_by_cohort([c.id for c in page.items])
    return render_template("cohorts/manage_cohorts.html", page=page, counts=counts)


def _cohort_values(form: CohortForm) -> dict:
    values = {name: getattr(form, name).data for name in (
        "title", "slug", "edition", "starts_on", "ends_on", "daily_hours", "format", "place_name", "address",
        "access_link", "seats", "practical_info", "confirmation_delay_days")}
    values = {k: ("" if v is None and k in ("daily_hours", "place_name", "address", "access_link", "practical_info") else v)
              for k, v in values.items()}
    for name in ("applications_open_at", "applications_close_at"):  # typed in Paris time, stored in UTC
        values[name] = from_paris(getattr(form, name).data)
    return values


def _slug_taken(form: CohortForm, cohort: Cohort | None) -> bool:
    other = db.session.scalar(db.select(Cohort).where(Cohort.slug == form.slug.data))
    if other is not None and other is not cohort:
        form.slug.errors.append(_("Cet identifiant est déjà pris par une autre session."))
        return True
    return False


@bp.route("/gestion/nouvelle", methods=["GET", "POST"])
@role_required("trainer")
def create_cohort():
    form = CohortForm()
    if form.validate_on_submit():
        earlier = submissions.claim(current_user, request.form.get("submission_key"))
        if earlier is not None:  # a second click: the session the first one created
            return redirect(earlier.location or url_for("cohorts.manage_cohorts"))
    if form.validate_on_submit() and not _slug_taken(form, None):
        cohort = services.create_cohort(actor=current_user, **_cohort_values(form))
        location = url_for("cohorts.edit_cohort", cohort_id=cohort.id)
        submissions.record(current_user, request.form.get("submission_key"), location)
        core_db.commit()
        flash(_("Session créée (brouillon). Ajoutez le programme puis publiez-la."), "success")
        return redirect(location)
    return render_template("cohorts/edit_cohort.html", form=form, cohort=None), 422 if form.errors else 200


@bp.route("/gestion/<int:cohort_id>/modifier", methods=["GET", "POST"])
@role_required("trainer")
def edit_cohort(cohort_id):
    cohort = _managed_cohort_or_404(cohort_id)
    # On POST only what was sent counts: a missing field is an error, not the stored (UTC) value.
    form = CohortForm(obj=cohort if request.method == "GET" else None)
    if request.method == "GET":
        form.applications_open_at.data = to_paris(cohort.applications_open_at)
        form.applications_close_at.data = to_paris(cohort.applications_close_at)
    if form.validate_on_submit() and not _slug_taken(form, cohort):
        try:
            services.update_cohort(cohort, actor=current_user, **_cohort_values(form))
            core_db.commit()
            flash(_("Session enregistrée."), "success")
            return redirect(url_for("cohorts.edit_cohort", cohort_id=cohort.id))
        except services.InvalidValue as error:
            _refused_value(form, error)
    return render_template(
        "cohorts/edit_cohort.html", form=form, cohort=cohort, status_form=StatusForm(),
        transitions=sorted(COHORT_TRANSITIONS[CohortStatus(cohort.status)]), timeline=queries.timeline(cohort),
    ), 422 if form.errors else 200


@bp.post("/gestion/<int:cohort_id>/statut/<target>")
@role_required("trainer")
def change_cohort_status(cohort_id, target):
    cohort = _managed_cohort_or_404(cohort_id)
    if target not in set(CohortStatus):
        abort(404)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    lock_for_update(Cohort, cohort.id)  # a second click waits, then finds the status already changed
    db.session.refresh(cohort)
    try:
        services.change_cohort_status(cohort, CohortStatus(target), actor=current_user, reason=form.reason.data or "")
        core_db.commit()
        flash(_("Statut de la session : %(status)s.", status=cohort.status_label), "success")
    except REFUSED as error:
        _refused(error)
    return redirect(url_for("cohorts.edit_cohort", cohort_id=cohort_id))


def _speaker_choices(cohort: Cohort):
    return [(s.id, f"{s.name} ({s.role_label})") for s in db.session.scalars(
        db.select(Speaker).where(Speaker.cohort_id == cohort.id).order_by(Speaker.name))]


@bp.route("/gestion/<int:cohort_id>/programme", methods=["GET", "POST"])
@role_required("trainer")
def edit_programme(cohort_id):
    _managed_cohort_or_404(cohort_id)
    cohort = queries.get_cohort_with_programme(db.session.get(Cohort, cohort_id).slug)
    form = ProgrammeItemForm(data={"day": cohort.starts_on} if request.method == "GET" else None, cohort=cohort)
    form.speakers.choices = _speaker_choices(cohort)
    if form.validate_on_submit():
        back = url_for("cohorts.edit_programme", cohort_id=cohort_id)
        if submissions.claim(current_user, form.submission_key.data) is not None:
            return redirect(back)  # a second click: the item is already in the programme
        try:
            services.save_programme_item(cohort, speaker_ids=form.speakers.data, **_item_values(form))
            submissions.record(current_user, form.submission_key.data, back)
            core_db.commit()
            flash(_("Élément ajouté au programme."), "success")
            return redirect(back)
        except services.InvalidValue as error:
            _refused_value(form, error)
            cohort = queries.get_cohort_with_programme(cohort.slug)
    return render_template("cohorts/edit_programme.html", cohort=cohort, form=form, speaker_form=SpeakerForm(),
                           delete_form=ConfirmForm()), 422 if form.errors else 200


def _item_values(form: ProgrammeItemForm) -> dict:
    return {"day": form.day.data, "starts_at": form.starts_at.data, "ends_at": form.ends_at.data,
            "title": form.title.data, "description": form.description.data or ""}


def _item_or_404(cohort_id, item_id) -> ProgrammeItem:
    item = db.get_or_404(ProgrammeItem, item_id)
    if item.cohort_id != cohort_id:
        abort(404)
    return item


@bp.route("/gestion/<int:cohort_id>/programme/<int:item_id>", methods=["GET", "POST"])
@role_required("trainer")
def edit_programme_item(cohort_id, item_id):
    cohort = _managed_cohort_or_404(cohort_id)
    item = _item_or_404(cohort_id, item_id)
    speaker_ids = [row for row in db.session.scalars(
        db.select(Speaker.id).join(ProgrammeItem.speakers).where(ProgrammeItem.id == item.id))]
    form = ProgrammeItemForm(data={
        "day": item.day, "starts_at": item.starts_at, "ends_at": item.ends_at, "title": item.title,
        "description": item.description, "speakers": speaker_ids,
    }, cohort=cohort)
    form.speakers.choices = _speaker_choices(cohort)
    if form.validate_on_submit():
        try:
            services.save_programme_item(cohort, item=item, speaker_ids=form.speakers.data, **_item_values(form))
            core_db.commit()
            flash(_("Élément du programme enregistré."), "success")
            return redirect(url_for("cohorts.edit_programme", cohort_id=cohort_id))
        except services.InvalidValue as error:
            _refused_value(form, error)
    return render_template("cohorts/edit_programme_item.html", cohort=cohort, item=item, form=form), 422 if form.errors else 200


@bp.post("/gestion/<int:cohort_id>/programme/<int:item_id>/supprimer")
@role_required("trainer")
def delete_programme_item(cohort_id, item_id):
    _managed_cohort_or_404(cohort_id)
    item = _item_or_404(cohort_id, item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    lock_for_update(Cohort, cohort_id)  # a second click waits, then finds the item gone
    if db.session.get(ProgrammeItem, item_id, populate_existing=True) is not None:
        services.delete_programme_item(item)
        core_db.commit()
    flash(_("Élément retiré du programme."), "success")
    return redirect(url_for("cohorts.edit_programme", cohort_id=cohort_id))


@bp.post("/gestion/<int:cohort_id>/intervenants")
@role_required("trainer")
def add_speaker(cohort_id):
    cohort = _managed_cohort_or_404(cohort_id)
    form = SpeakerForm()
    if form.validate_on_submit():
        services.upsert_speaker(cohort, name=form.name.data.strip(), role=form.role.data, organisation=form.organisation.data or "")
        core_db.commit()
        flash(_("Intervenant·e enregistré·e : vous pouvez l’associer aux éléments du programme."), "success")
    else:
        flash(_("Saisissez au moins le nom de l’intervenant·e."), "error")
    return redirect(url_for("cohorts.edit_programme", cohort_id=cohort_id))


# --- Trainers: review queue, decisions, export --------------------------------------------------------


def _queue_filters(form: QueueFilterForm) -> dict:
    return {
        "state": form.state.data or None,
        "administration_type": form.administration_type.data or None,
        "departement": form.departement.data or None,
        "min_score": int(form.min_score.data) if form.min_score.data else None,
        "sort": form.sort.data or "submitted",
    }


@bp.get("/gestion/<int:cohort_id>/candidatures")
@role_required("trainer")
def review_queue(cohort_id):
    cohort = _managed_cohort_or_404(cohort_id)
    filters = QueueFilterForm(request.args)
    filters.validate()
    page = paginate_rows(queries.review_queue_query(cohort, **_queue_filters(filters)))
    bulk_form = BulkDecisionForm()
    return render_template(
        "cohorts/review_queue.html", cohort=cohort, page=page, filters=filters, bulk_form=bulk_form,
        counts=queries.state_counts_by_cohort([cohort.id])[cohort.id], seats_left=queries.seats_left(cohort),
        ranks=queries.waitlist_ranks(cohort.id), criteria=CRITERIA,
    )


@bp.post("/gestion/<int:cohort_id>/candidatures/decisions")
@role_required("trainer")
def bulk_decide(cohort_id):
    cohort = _managed_cohort_or_404(cohort_id)
    form = BulkDecisionForm()
    form.application_ids.choices = [(a_id, str(a_id)) for a_id in request.form.getlist("application_ids", type=int)]
    if not form.validate_on_submit():
        flash(_("Sélectionnez au moins une candidature et une décision."), "error")
        return redirect(url_for("cohorts.review_queue", cohort_id=cohort_id))
    applications = [a for a in db.session.scalars(
        db.select(CohortApplication).where(CohortApplication.id.in_(form.application_ids.data),
                                           CohortApplication.cohort_id == cohort.id).order_by(CohortApplication.id))]
    outcomes = services.decide_in_bulk(applications, form.decision.data, actor=current_user, reason=form.reason.data or "")
    core_db.commit()
    done = sum(1 for _application, error in outcomes if error is None)
    flash(_("%(n)s décision(s) enregistrée(s).", n=done), "success" if done else "info")
    for application, error in outcomes:
        if error:
            flash(f"{application.full_name} : {error}", "error")
    return redirect(url_for("cohorts.review_queue", cohort_id=cohort_id, **request.args))


@bp.get("/gestion/candidatures/<int:application_id>")
@role_required("trainer")
def review_application(application_id):
    application = queries.get_application_with_reviews(application_id) or abort(404)
    if not application.can_review(current_user):
        abort(403)
    own_review = next((r for r in application.reviews if r.reviewer_id == current_user.id), None)
    return render_template(
        "cohorts/review_application.html", application=application, cohort=application.cohort,
        review_form=ReviewForm(obj=own_review), decision_form=DecisionForm(), criteria=CRITERIA,
        scores=queries.application_scores(application.id), history=queries.candidate_history(application),
        mooc=course_queries.enrolment_summaries(application.user_id),
        timeline=queries.timeline(application), rank=queries.waitlist_rank(application),
        seats_left=queries.seats_left(application.cohort),
    )


@bp.post("/gestion/candidatures/<int:application_id>/evaluation")
@role_required("trainer")
def save_review(application_id):
    application = _application_or_404(application_id)
    if not application.can_review(current_user):
        abort(403)
    form = ReviewForm()
    if form.validate_on_submit():
        lock_for_update(CohortApplication, application.id)  # one review per trainer: two clicks queue
        services.record_review(application, reviewer=current_user, comment=form.comment.data or "",
                               **{name: getattr(form, name).data for name in CRITERIA})
        core_db.commit()
        flash(_("Votre évaluation est enregistrée."), "success")
    else:
        flash(_("Notez chacun des trois critères de 0 à 5."), "error")
    return redirect(url_for("cohorts.review_application", application_id=application_id))


@bp.post("/gestion/candidatures/<int:application_id>/decision")
@role_required("trainer")
def decide_application(application_id):
    application = _application_or_404(application_id)
    if not application.can_decide(current_user):
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Choisissez une décision."), "error")
    else:
        try:
            services.decide(application, form.decision.data, actor=current_user, reason=form.reason.data or "")
            core_db.commit()
            flash(_("Décision enregistrée : %(state)s.", state=application.state_label), "success")
        except REFUSED as error:
            _refused(error)
    return redirect(url_for("cohorts.review_application", application_id=application_id))


CSV_COLUMNS = [
    "id", "etat", "envoyee_le", "prenom", "nom", "email", "administration", "type_administration", "fonction",
    "departement", "situation", "produit", "probleme", "solution", "premiers_utilisateurs", "motivation", "besoins",
    *CRITERIA, "note_moyenne", "nombre_evaluations", "rang_liste_attente", "motif_decision", "evaluations",
]


def _csv_lines(result, stream: CsvStream, ranks, reviews_by_id):
    for application, *averages, overall, review_count in result:
        comments = " | ".join(
            f"{r.reviewer.full_name}: {r.problem_score}/{r.motivation_score}/{r.solution_score} {r.comment}".strip()
            for r in reviews_by_id.get(application.id, ())
        )
        yield stream.line([
            application.id, application.state_label,
            format_datetime(application.submitted_at, "yyyy-MM-dd HH:mm") if application.submitted_at else "",
            application.first_name, application.last_name, application.user.email, application.administration,
            application.administration_type, application.job_title, application.departement, application.situation,
            application.product_name, application.problem, application.solution, application.first_users,
            application.motivation, application.needs,
            *(f"{a:.2f}" if a is not None else "" for a in averages), f"{overall:.2f}" if overall is not None else "",
            review_count, ranks.get(application.id, ""), application.rejection_reason, comments,
        ])


@bp.get("/gestion/<int:cohort_id>/candidatures.csv")
@role_required("trainer")
def export_applications(cohort_id):
    """Streamed in batches: memory stays flat however many applications there are."""
    cohort = _managed_cohort_or_404(cohort_id)
    ranks = queries.waitlist_ranks(cohort.id)
    reviews_by_id = queries.reviews_by_application(cohort.id)

    def rows():
        stream = CsvStream()
        yield stream.header(CSV_COLUMNS)
        # A server-side cursor on PostgreSQL: closed by the `with` even if the download is interrupted.
        with db.session.execute(queries.review_queue_query(cohort, sort="name").execution_options(yield_per=200)) as result:
            yield from _csv_lines(result, stream, ranks, reviews_by_id)

    return Response(
        stream_with_context(rows()), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="candidatures-{cohort.slug}.csv"'},
    )


@bp.route("/gestion/<int:cohort_id>/courriel", methods=["GET", "POST"])
@role_required("trainer")
def bulk_email(cohort_id):
    cohort = _managed_cohort_or_404(cohort_id)
    form = BulkEmailForm()
    if form.validate_on_submit():
        sent = services.send_bulk_email(cohort, actor=current_user, audience=form.audience.data, subject=form.subject.data,
                                        body=form.body.data, submission_key=form.submission_key.data)
        core_db.commit()
        flash(_("Message envoyé à %(n)s personne(s).", n=sent.recipient_count), "success")
        return redirect(url_for("cohorts.review_queue", cohort_id=cohort_id))
    return render_template("cohorts/bulk_email.html", cohort=cohort, form=form,
                           counts=queries.state_counts_by_cohort([cohort.id])[cohort.id],
                           sent=queries.bulk_emails_of(cohort.id), audiences=AUDIENCE_LABELS), 422 if form.errors else 200


@bp.route("/gestion/<int:cohort_id>/presence", methods=["GET", "POST"])
@role_required("trainer")
def attendance(cohort_id):
    cohort = _managed_cohort_or_404(cohort_id)
    confirmed = queries.confirmed_applications(cohort.id)
    form = AttendanceForm(data={"attended_ids": [a.id for a in confirmed if a.attended]} if request.method == "GET" else None)
    form.attended_ids.choices = [(a.id, a.full_name) for a in confirmed]
    if form.validate_on_submit():
        try:
            present = services.mark_attendance(cohort, actor=current_user, attended_ids=set(form.attended_ids.data))
            core_db.commit()
            flash(_("Présences enregistrées : %(n)s participant·e(s).", n=present), "success")
        except REFUSED as error:
            _refused(error)
        return redirect(url_for("cohorts.attendance", cohort_id=cohort_id))
    return render_template("cohorts/attendance.html", cohort=cohort, form=form, confirmed=confirmed,
                           started=to_paris(utcnow()).date() >= cohort.starts_on), 422 if form.errors else 200
