"""Trainers' back office for sessions: create and edit them, their status, programme and speakers, a bulk
email to an audience, attendance."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from beta_training.cohorts import queries, services
from beta_training.cohorts.forms import (
    AUDIENCE_LABELS,
    AttendanceForm,
    BulkEmailForm,
    CancelCohortForm,
    CohortForm,
    ProgrammeItemForm,
    SpeakerForm,
    StatusForm,
)
from beta_training.cohorts.models import (
    COHORT_TRANSITIONS, PLAIN_STATUS_TARGETS, SEAT_HOLDING_STATES, ApplicationState, Cohort, CohortStatus, ProgrammeItem,
)
from beta_training.cohorts.views.common import (
    REFUSED, bp, managed_cohort_or_404, per_page, refused, refused_value,
)
from beta_training.core import db as core_db, submissions
from beta_training.core.actions import confirmed_action
from beta_training.core.auth import role_required
from beta_training.core.i18n import ngettext
from beta_training.core.forms import ConfirmForm
from beta_training.core.models import from_paris, to_paris, utcnow
from beta_training.extensions import db


# --- Trainers: sessions and programme -----------------------------------------------------------------


@bp.get("/gestion/")
@role_required("trainer")
def manage_cohorts():
    page = db.paginate(queries.all_cohorts_query(), per_page=per_page(), error_out=False)
    counts = queries.state_counts_by_cohort([c.id for c in page.items])
    return render_template("cohorts/manage_cohorts.html", page=page, counts=counts)


def _cohort_values(form: CohortForm) -> dict:
    values = {name: getattr(form, name).data for name in (
        "title", "slug", "edition", "starts_on", "ends_on", "day_starts_at", "day_ends_at", "format", "place_name",
        "address", "access_link", "seats", "practical_info", "confirmation_delay_days")}
    values = {k: ("" if v is None and k in ("place_name", "address", "access_link", "practical_info") else v)
              for k, v in values.items()}
    for name in ("applications_open_at", "applications_close_at"):  # typed in Paris time, stored in UTC
        values[name] = from_paris(getattr(form, name).data)
    return values


def _slug_taken(form: CohortForm, cohort: Cohort | None) -> bool:
    if queries.slug_taken_by_another_cohort(form.slug.data, cohort):
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
    cohort = managed_cohort_or_404(cohort_id)
    # On POST only what was sent counts: a missing field is an error, not the stored (UTC) value.
    form = CohortForm(obj=cohort if request.method == "GET" else None)
    if request.method == "GET":
        form.applications_open_at.data = to_paris(cohort.applications_open_at)
        form.applications_close_at.data = to_paris(cohort.applications_close_at)
        form.loaded_version.data = cohort.edit_version
    if form.validate_on_submit() and not _slug_taken(form, cohort):
        try:
            services.update_cohort(cohort, actor=current_user, loaded_version=form.loaded_version.data,
                                   **_cohort_values(form))
            core_db.commit()
            flash(_("Session enregistrée."), "success")
            return redirect(url_for("cohorts.edit_cohort", cohort_id=cohort.id))
        except services.InvalidValue as error:
            refused_value(form, error)
        except services.EditedMeanwhile as error:  # the typed values stay in the form; sending again replaces
            core_db.rollback()
            form.form_errors.append(str(error))
            form.loaded_version.data = error.current_version
    return render_template(
        "cohorts/edit_cohort.html", form=form, cohort=cohort, status_form=StatusForm(),
        transitions=sorted(COHORT_TRANSITIONS[CohortStatus(cohort.status)] & PLAIN_STATUS_TARGETS),
        timeline=queries.timeline(cohort),
    ), 422 if form.errors else 200


@bp.post("/gestion/<int:cohort_id>/statut/<target>")
@role_required("trainer")
def change_cohort_status(cohort_id, target):
    cohort = db.get_or_404(Cohort, cohort_id)
    if target not in PLAIN_STATUS_TARGETS:  # cancelling has its own page (cancel_cohort)
        abort(404)
    form = StatusForm()
    return confirmed_action(lambda: cohort.can_manage(current_user),
                            lambda: services.change_cohort_status(cohort, CohortStatus(target), actor=current_user,
                                                                  reason=form.reason.data or ""),
                            form=form, to=url_for("cohorts.edit_cohort", cohort_id=cohort.id),
                            done=lambda changed: _("Statut de la session : %(status)s.", status=changed.status_label),
                            refusals=REFUSED, describe=services.describe_error)


@bp.route("/gestion/<int:cohort_id>/annuler", methods=["GET", "POST"])
@role_required("trainer")
def cancel_cohort(cohort_id):
    """A page that says what cancelling does (who is emailed), asks a reason and a ticked confirmation."""
    cohort = managed_cohort_or_404(cohort_id)
    back = url_for("cohorts.edit_cohort", cohort_id=cohort.id)
    if cohort.is_cancelled:  # a second click, or an old tab: done already
        flash(_("Cette session est annulée."), "info")
        return redirect(back)
    if not cohort.is_cancellable:
        flash(_("Une session au statut « %(status)s » ne peut pas être annulée.", status=cohort.status_label), "error")
        return redirect(back)
    form = CancelCohortForm()
    if form.validate_on_submit():
        try:
            services.cancel_cohort(cohort, actor=current_user, reason=form.reason.data)
        except REFUSED as error:
            refused(error)
            return redirect(back)
        core_db.commit()
        flash(_("Session annulée : les candidat·es sont prévenu·es par courriel."), "success")
        return redirect(back)
    counts = queries.state_counts_by_cohort([cohort.id])[cohort.id]
    return render_template(
        "cohorts/cancel_cohort.html", cohort=cohort, form=form,
        holders=sum(counts.get(state, 0) for state in SEAT_HOLDING_STATES),
        waiting=sum(counts.get(state, 0) for state in (ApplicationState.SUBMITTED, ApplicationState.WAITLISTED)),
    ), 422 if form.errors else 200


def _speaker_choices(cohort: Cohort):
    return [(s.id, f"{s.name} ({s.role_label})") for s in queries.speakers_of(cohort)]


@bp.route("/gestion/<int:cohort_id>/programme", methods=["GET", "POST"])
@role_required("trainer")
def edit_programme(cohort_id):
    cohort = queries.get_cohort_with_programme(managed_cohort_or_404(cohort_id).slug)
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
            refused_value(form, error)
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
    cohort = managed_cohort_or_404(cohort_id)
    item = _item_or_404(cohort_id, item_id)
    form = ProgrammeItemForm(data={
        "day": item.day, "starts_at": item.starts_at, "ends_at": item.ends_at, "title": item.title,
        "description": item.description, "speakers": queries.speaker_ids_of(item),
    }, cohort=cohort)
    form.speakers.choices = _speaker_choices(cohort)
    if form.validate_on_submit():
        try:
            services.save_programme_item(cohort, item=item, speaker_ids=form.speakers.data, **_item_values(form))
            core_db.commit()
            flash(_("Élément du programme enregistré."), "success")
            return redirect(url_for("cohorts.edit_programme", cohort_id=cohort_id))
        except services.InvalidValue as error:
            refused_value(form, error)
    return render_template("cohorts/edit_programme_item.html", cohort=cohort, item=item, form=form), 422 if form.errors else 200


@bp.post("/gestion/<int:cohort_id>/programme/<int:item_id>/supprimer")
@role_required("trainer")
def delete_programme_item(cohort_id, item_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    item = _item_or_404(cohort_id, item_id)
    return confirmed_action(lambda: cohort.can_manage(current_user), lambda: services.delete_programme_item(item),
                            to=url_for("cohorts.edit_programme", cohort_id=cohort_id), done=_("Élément retiré du programme."))


@bp.post("/gestion/<int:cohort_id>/intervenants")
@role_required("trainer")
def add_speaker(cohort_id):
    cohort = managed_cohort_or_404(cohort_id)
    form = SpeakerForm()
    if form.validate_on_submit():
        services.upsert_speaker(cohort, name=form.name.data.strip(), role=form.role.data, organisation=form.organisation.data or "")
        core_db.commit()
        flash(_("Intervenant·e enregistré·e : vous pouvez l’associer aux éléments du programme."), "success")
    else:
        flash(_("Saisissez au moins le nom de l’intervenant·e."), "error")
    return redirect(url_for("cohorts.edit_programme", cohort_id=cohort_id))


@bp.route("/gestion/<int:cohort_id>/courriel", methods=["GET", "POST"])
@role_required("trainer")
def bulk_email(cohort_id):
    cohort = managed_cohort_or_404(cohort_id)
    form = BulkEmailForm()
    if form.validate_on_submit():
        sent = services.send_bulk_email(cohort, actor=current_user, audience=form.audience.data, subject=form.subject.data,
                                        body=form.body.data, submission_key=form.submission_key.data)
        core_db.commit()
        flash(ngettext("Message envoyé à %(num)s personne.", "Message envoyé à %(num)s personnes.", sent.recipient_count), "success")
        return redirect(url_for("cohorts.review_queue", cohort_id=cohort_id))
    return render_template("cohorts/bulk_email.html", cohort=cohort, form=form,
                           counts=queries.state_counts_by_cohort([cohort.id])[cohort.id],
                           sent=queries.bulk_emails_of(cohort.id), audiences=AUDIENCE_LABELS), 422 if form.errors else 200


@bp.route("/gestion/<int:cohort_id>/presence", methods=["GET", "POST"])
@role_required("trainer")
def attendance(cohort_id):
    cohort = managed_cohort_or_404(cohort_id)
    confirmed = queries.confirmed_applications(cohort.id)
    form = AttendanceForm(data={"attended_ids": [a.id for a in confirmed if a.attended]} if request.method == "GET" else None)
    form.attended_ids.choices = [(a.id, a.full_name) for a in confirmed]
    if form.validate_on_submit():
        try:
            present = services.mark_attendance(cohort, actor=current_user, attended_ids=set(form.attended_ids.data))
            core_db.commit()
            flash(ngettext("Présences enregistrées : %(num)s participant·e.", "Présences enregistrées : %(num)s participant·es.", present), "success")
        except REFUSED as error:
            refused(error)
        return redirect(url_for("cohorts.attendance", cohort_id=cohort_id))
    return render_template("cohorts/attendance.html", cohort=cohort, form=form, confirmed=confirmed,
                           started=to_paris(utcnow()).date() >= cohort.starts_on), 422 if form.errors else 200
