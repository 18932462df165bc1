"""Trainers' review of applications: the queue, one application's evaluation and decision, bulk decisions,
the CSV export."""

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from babel.numbers import format_decimal
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from flask_login import current_user

from beta_training.cohorts import queries, services
from beta_training.cohorts.forms import BulkDecisionForm, DecisionForm, QueueFilterForm, ReviewForm
from beta_training.cohorts.models import CRITERIA, ApplicationState
from beta_training.cohorts.views.common import REFUSED, application_or_404, bp, managed_cohort_or_404, refused
from beta_training.core import db as core_db
from beta_training.core.actions import authorise
from beta_training.core.auth import role_required
from beta_training.core.i18n import ngettext
from beta_training.core.pagination import paginate_rows
from beta_training.core.streaming import CsvStream
from beta_training.courses import queries as course_queries
from beta_training.extensions import db


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
    cohort = managed_cohort_or_404(cohort_id)
    filters = QueueFilterForm(request.args)
    filters.validate()
    chosen = _queue_filters(filters)
    page = paginate_rows(queries.review_queue_page_query(cohort, **chosen),
                         total=lambda: queries.review_queue_count(cohort, **chosen))
    bulk_form = BulkDecisionForm()
    counts = queries.state_counts_by_cohort([cohort.id])[cohort.id]
    return render_template(
        "cohorts/review_queue.html", cohort=cohort, page=page, filters=filters, bulk_form=bulk_form,
        counts=counts, seats_left=queries.seats_left_from(cohort, counts),
        # Only the page's waitlisted applications have a rank (none: no query).
        ranks=queries.waitlist_ranks(cohort.id, [application.id for application, *_scores in page.items
                                                 if application.state == ApplicationState.WAITLISTED]),
        criteria=CRITERIA,
    )


@bp.post("/gestion/<int:cohort_id>/candidatures/decisions")
@role_required("trainer")
def bulk_decide(cohort_id):
    cohort = managed_cohort_or_404(cohort_id)
    form = BulkDecisionForm()
    form.application_ids.choices = [(a_id, str(a_id)) for a_id in request.form.getlist("application_ids", type=int)]
    if not form.validate_on_submit():
        flash(_("Sélectionnez au moins une candidature et une décision."), "error")
        return redirect(url_for("cohorts.review_queue", cohort_id=cohort_id))
    applications = queries.applications_of_cohort(cohort.id, form.application_ids.data)
    outcomes = services.decide_in_bulk(applications, form.decision.data, actor=current_user, reason=form.reason.data or "")
    core_db.commit()
    done = sum(1 for _application, error in outcomes if error is None)
    flash(ngettext("%(num)s décision enregistrée.", "%(num)s décisions enregistrées.", done), "success" if done else "info")
    for application, error in outcomes:
        if error:
            flash(f"{application.full_name} : {error}", "error")
    return redirect(url_for("cohorts.review_queue", cohort_id=cohort_id, **request.args))


# A trainer's tab left open while the candidate erased her account.
ANONYMISED = _l("Cette candidature a été anonymisée à la suppression du compte de la personne : elle ne s’évalue "
                "ni ne se décide plus.")


@bp.get("/gestion/candidatures/<int:application_id>")
@role_required("trainer")
def review_application(application_id):
    application = queries.get_application_with_reviews(application_id) or abort(404)
    if not application.is_reviewer(current_user):
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
    application = application_or_404(application_id)
    authorise(application.can_review(current_user), rightful=application.is_reviewer(current_user),
              changed=ANONYMISED, to=url_for("cohorts.review_application", application_id=application_id))
    form = ReviewForm()
    if form.validate_on_submit():
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
    application = application_or_404(application_id)
    # A draft is nobody's to decide (403); an application anonymised since the page was opened is explained.
    authorise(application.can_decide(current_user),
              rightful=application.is_reviewer(current_user) and application.anonymised_at is not None,
              changed=ANONYMISED, to=url_for("cohorts.review_application", application_id=application_id))
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Choisissez une décision."), "error")
    else:
        try:
            services.decide(application, form.decision.data, actor=current_user, reason=form.reason.data or "")
            core_db.commit()
            flash(_("Décision enregistrée : %(state)s.", state=application.state_label), "success")
        except REFUSED as error:
            refused(error)
    return redirect(url_for("cohorts.review_application", application_id=application_id))


CSV_COLUMNS = [
    "id", "etat", "envoyee_le", "prenom", "nom", "email", "administration", "type_administration", "fonction",
    "departement", "situation", "produit", "probleme", "solution", "premiers_utilisateurs", "motivation", "besoins",
    *CRITERIA, "note_moyenne", "nombre_evaluations", "rang_liste_attente", "motif_decision", "evaluations",
]


def _csv_decimal(value) -> str:
    """« 3,50 »: a « ; » separated file is read by a French spreadsheet, which takes « 3.50 » for text (or a date)."""
    return format_decimal(value, "0.00", locale="fr_FR") if value is not None else ""


def _csv_lines(result, stream: CsvStream, ranks, reviews_by_id):
    for application, *averages, overall, review_count in result:
        comments = " | ".join(
            f"{r.reviewer_name}: {r.problem_score}/{r.motivation_score}/{r.solution_score} {r.comment}".strip()
            for r in reviews_by_id.get(application.id, ())
        )
        yield stream.line([
            application.id, application.state_label,
            format_datetime(application.submitted_at, "yyyy-MM-dd HH:mm") if application.submitted_at else "",
            application.first_name, application.last_name, application.user.email if application.user else "",
            application.administration,
            application.administration_type, application.job_title, application.departement, application.situation,
            application.product_name, application.problem, application.solution, application.first_users,
            application.motivation, application.needs,
            *(_csv_decimal(a) for a in averages), _csv_decimal(overall),
            review_count, ranks.get(application.id, ""), application.rejection_reason, comments,
        ])


@bp.get("/gestion/<int:cohort_id>/candidatures.csv")
@role_required("trainer")
def export_applications(cohort_id):
    """Streamed in batches: memory stays flat however many applications there are."""
    cohort = managed_cohort_or_404(cohort_id)
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
