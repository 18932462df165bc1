"""Alpha pages for everyone and for candidates: public sessions, applying (with autosave), one's applications,
confirming or declining a seat, withdrawing."""

from itertools import groupby

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _
from flask_login import current_user, login_required

from beta_training.cohorts import queries, services
from beta_training.cohorts.calendar import cohort_ics
from beta_training.cohorts.forms import ApplicationForm
from beta_training.cohorts.models import (
    ApplicationState,
    Cohort,
    CohortApplication,
    ProgrammeItem,
    Speaker,
    programme_item_speakers,
)
from beta_training.cohorts.views.common import REFUSED, application_or_404, bp, per_page, refused
from beta_training.core import db as core_db
from beta_training.core.actions import StateChanged, confirmed_action
from beta_training.core.errors import json_endpoint, json_error
from beta_training.core.forms import ConfirmForm
from beta_training.core.models import utcnow
from beta_training.core.page_cache import cached_for_anonymous, watch
from beta_training.extensions import db


# --- Public pages -------------------------------------------------------------------------------------

# « places restantes »: what counts is which applications hold a seat (their state), not their answers (the
# autosave of a draft does not touch these pages).
SEATS = watch(CohortApplication, "state", "cohort_id")


@bp.get("/")
@cached_for_anonymous(Cohort, SEATS, expires=(queries.next_public_change,))
def list_cohorts():
    upcoming = queries.list_upcoming_cohorts()
    past = db.paginate(queries.past_cohorts_query(), per_page=per_page(), error_out=False)
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
@cached_for_anonymous(Cohort, ProgrammeItem, Speaker, programme_item_speakers, SEATS,
                      expires=(queries.next_public_change,))
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
        if request.method == "POST":  # her form, left open in another tab: told why nothing was saved
            raise StateChanged(_not_editable_message(existing),
                               to=url_for("cohorts.show_application", application_id=existing.id))
        return redirect(url_for("cohorts.show_application", application_id=existing.id))
    if existing is None and not cohort.is_open_for_applications(now):
        return render_template("cohorts/applications_closed.html", cohort=cohort, now=now), 403
    form = ApplicationForm(obj=existing or current_user)
    if request.method == "GET":
        form.loaded_version.data = existing.edit_version if existing else ""
    if form.validate_on_submit():
        try:
            saved = services.save_application(cohort, current_user, values=form.answers(), now=now,
                                              send=request.form.get("action") == "submit",
                                              loaded_version=form.loaded_version.data)
        except services.EditedMeanwhile as error:  # the typed answers stay in the form; sending again replaces
            core_db.rollback()
            form.form_errors.append(str(error))
            form.loaded_version.raw_data = None  # rendering would prefer the posted, stale, version
            form.loaded_version.data = error.current_version
            return render_template("cohorts/apply.html", cohort=cohort, form=form, conflict=True,
                                   application=queries.get_application_for(cohort, current_user)), 409
        except services.IncompleteAnswers as error:  # a sent application is never left incomplete
            core_db.rollback()
            return _missing_answers(cohort, form, error.missing, _("Il manque des réponses : rien n’a été modifié."))
        except REFUSED as error:
            refused(error)
            return redirect(url_for("cohorts.show_cohort", slug=cohort.slug))
        core_db.commit()
        if saved.outcome == services.Saved.INCOMPLETE:  # the draft keeps what was typed, and says what sending it needs
            return _missing_answers(cohort, form, saved.missing, _("Votre brouillon est enregistré, mais il manque des réponses pour l’envoyer."))
        if saved.outcome == services.Saved.DRAFT:
            flash(_("Brouillon enregistré."), "success")
            return redirect(url_for("cohorts.apply", slug=cohort.slug))
        flash(_("Votre candidature est envoyée. Un courriel de confirmation vous a été adressé.")
              if saved.outcome == services.Saved.SENT else _("Vos modifications sont enregistrées."), "success")
        return redirect(url_for("cohorts.show_application", application_id=saved.application.id))
    status = 422 if form.errors else 200
    return render_template("cohorts/apply.html", cohort=cohort, form=form, application=existing), status


def _not_editable_message(application) -> str:
    if application.state in (ApplicationState.DRAFT, ApplicationState.SUBMITTED):  # the window closed
        return _("Les candidatures à cette session sont closes : vos modifications n’ont pas été enregistrées.")
    return _("Votre candidature est désormais « %(state)s » : elle ne peut plus être modifiée, vos modifications "
             "n’ont pas été enregistrées.", state=application.state_label)


def _missing_answers(cohort, form: ApplicationForm, missing, summary: str):
    for name in missing:
        getattr(form, name).errors.append(_("Cette réponse est obligatoire pour envoyer la candidature."))
    form.form_errors.append(summary)
    application = queries.get_application_for(cohort, current_user)
    # The draft may just have been saved (a new version): sending again from this page is no conflict.
    form.loaded_version.raw_data = None
    form.loaded_version.data = application.edit_version if application else ""
    return render_template("cohorts/apply.html", cohort=cohort, form=form, application=application), 422


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
        saved = services.save_application(cohort, current_user, values=form.answers(),
                                          loaded_version=form.loaded_version.data)
    except services.EditedMeanwhile as error:
        # Another tab saved since this page was loaded: the button shows both (typing on is kept in the page).
        core_db.rollback()
        return json_error(409, "edited_meanwhile", str(error), saved=False, conflict=True)
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
    # The version just written: forms.js puts it in the form (data-version-field), the next save is based on it.
    return jsonify(saved=True, saved_at=format_datetime(saved.application.updated_at, "HH'h'mm"),
                   version=saved.application.edit_version)


@bp.get("/mes-candidatures")
@login_required
def list_my_applications():
    applications = queries.list_user_applications(current_user)
    ranks = {a.id: queries.waitlist_rank(a) for a in applications if a.state == ApplicationState.WAITLISTED}
    return render_template("cohorts/list_my_applications.html", applications=applications, ranks=ranks,
                           is_alumni=queries.is_alumni(current_user))


@bp.get("/candidatures/<int:application_id>")
@login_required
def show_application(application_id):
    application = application_or_404(application_id)
    if not application.can_view(current_user):
        abort(403)
    if application.user_id != current_user.id:
        return redirect(url_for("cohorts.review_application", application_id=application.id))
    return render_template(
        "cohorts/show_application.html", application=application, cohort=application.cohort,
        rank=queries.waitlist_rank(application), timeline=queries.timeline(application), form=ConfirmForm(),
        now=utcnow(),
    )


@bp.post("/candidatures/<int:application_id>/confirmer")
@login_required
def confirm_seat(application_id):
    application = application_or_404(application_id)
    return confirmed_action(lambda: application.is_candidate(current_user),
                            lambda: services.confirm_seat(application, actor=current_user),
                            to=url_for("cohorts.show_application", application_id=application.id),
                            done=_("Votre place est confirmée. L’invitation au format calendrier vous a été envoyée."),
                            refusals=REFUSED, describe=services.describe_error)


@bp.post("/candidatures/<int:application_id>/decliner")
@login_required
def decline_seat(application_id):
    application = application_or_404(application_id)
    return confirmed_action(lambda: application.is_candidate(current_user),
                            lambda: services.decline_seat(application, actor=current_user),
                            to=url_for("cohorts.show_application", application_id=application.id),
                            done=_("Vous avez décliné la place. Merci de nous avoir prévenus."),
                            refusals=REFUSED, describe=services.describe_error)


@bp.post("/candidatures/<int:application_id>/retirer")
@login_required
def withdraw_application(application_id):
    application = application_or_404(application_id)
    return confirmed_action(lambda: application.is_candidate(current_user),
                            lambda: services.withdraw_application(application, actor=current_user,
                                                                  reason=request.form.get("reason", "")[:300]),
                            to=url_for("cohorts.show_application", application_id=application.id),
                            done=_("Votre candidature est retirée."),
                            refusals=REFUSED, describe=services.describe_error)
