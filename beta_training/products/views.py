"""Product pages: the list, a product's page (its phases and the history of its comités), the comité's file the
team prepares (autosaved), the grille d'arbitrage, the decision, the impact view and the startup page export."""

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from beta_training.calls.models import Dossier, DossierState
from beta_training.core import db as core_db
from beta_training.core.actions import authorise, confirmed_action, form_action
from beta_training.core.auth import role_required
from beta_training.core.errors import json_endpoint, json_error
from beta_training.core.forms import ConfirmForm, choices
from beta_training.core.i18n import format_day
from beta_training.core.models import to_paris, utcnow
from beta_training.core.states import InvalidTransition
from beta_training.extensions import db
from beta_training.products import exports, queries, services
from beta_training.products.forms import (
    CommitteeFileForm,
    CommitteeForm,
    DecisionForm,
    IndicatorForm,
    IndicatorValueForm,
    MilestoneForm,
    NewProductForm,
    ProductDetailsForm,
    ProductEditForm,
    PhaseForm,
    ScoreForm,
    phase_choices,
)
from beta_training.products.models import (
    BUDGET_LINES,
    DECISION_LABELS,
    GRID,
    MANAGERS,
    NEXT_STEPS,
    PHASE_DURATIONS,
    PHASE_LABELS,
    PHASE_TRANSITIONS,
    Committee,
    CommitteeDecision,
    CommitteeState,
    Product,
    ProductPhase,
)
from beta_training.sheets.models import ProductSheet

bp = Blueprint("products", __name__, url_prefix="/produits")
REFUSED = (services.ProductError, InvalidTransition)
# A new product (from a fiche or a lauréat): said by its name, and shown.
_CREATED = {"to": lambda product: url_for("products.show_product", product_id=product.id),
            "done": lambda product: _("Produit « %(name)s » créé, en investigation.", name=product.name),
            "refusals": (services.ProductError,), "describe": str}


@bp.context_processor
def labels():
    return {"phase_labels": PHASE_LABELS, "phase_durations": PHASE_DURATIONS, "grid": GRID, "budget_lines": BUDGET_LINES,
            "decision_labels": DECISION_LABELS, "numeric": queries.numeric}


def _product_or_404(product_id) -> Product:
    return db.get_or_404(Product, product_id)


def _committee_or_404(committee_id) -> Committee:
    return db.get_or_404(Committee, committee_id)


def _describe(error: Exception) -> str:
    if isinstance(error, InvalidTransition):
        return _("Action impossible dans l’état actuel : la page a peut-être changé entre-temps. Rechargez-la.")
    return str(error)


@bp.get("/")
@login_required
def list_products():
    page = db.paginate(queries.list_products_query(current_user), per_page=25, error_out=False)
    return render_template("products/list_products.html", page=page,
                           next_committees=queries.next_committees([p.id for p in page.items]),
                           can_create=Product.can_create(current_user))


@bp.get("/impact")
@role_required(*MANAGERS)
def impact():
    counts = queries.phase_counts()
    return render_template("products/impact.html", counts=counts, total=sum(counts.values()))


@bp.route("/nouveau", methods=["GET", "POST"])
@role_required(*MANAGERS)
def create_product():
    form = NewProductForm(sheet_id=request.args.get("fiche", ""))
    if request.method == "POST" and (earlier := queries.earlier_product(form.submission_key.data, current_user)):
        # The same form sent again (a double click, a reload): its fiche is no longer offered; land on its product.
        flash(_("Produit « %(name)s » créé, en investigation.", name=earlier.name), "success")
        return redirect(url_for("products.show_product", product_id=earlier.id))
    # A fiche that is a product already is not offered (the service and a unique constraint refuse it too).
    sheets = list(db.session.scalars(queries.sheets_without_product_query()))
    form.sheet_id.choices = choices(((s.id, f"{s.title or _('Fiche sans titre')} – {s.owner_name}") for s in sheets),
                                    placeholder=_("Choisir une fiche"))
    if form.validate_on_submit():
        sheet = db.session.get(ProductSheet, int(form.sheet_id.data))
        if response := form_action(form, lambda: services.create_product(
                sheet, actor=current_user, incubator_name=form.incubator_name.data, incubator_id=form.incubator_id.data,
                sponsors=form.sponsor_pairs, members=form.member_pairs, started_on=form.started_on.data,
                contact=form.contact.data or "", submission_key=form.submission_key.data), **_CREATED):
            return response
    return render_template("products/create_product.html", form=form, has_sheets=bool(sheets)), 422 if form.errors else 200


@bp.route("/nouveau/laureat/<int:dossier_id>", methods=["GET", "POST"])
@login_required
def create_product_from_dossier(dossier_id):
    """A lauréat of an appel à intrapreneurs becomes a product (from the jury's decision page)."""
    dossier = db.session.get(Dossier, dossier_id) or abort(404)
    if not dossier.call.can_manage(current_user):
        abort(403)
    # The call's incubator is the product's, most often: offered, to correct if need be.
    form = ProductDetailsForm(data={"incubator_name": dossier.call.incubator, "started_on": to_paris(utcnow()).date()}
                              if request.method == "GET" else None)
    if request.method == "POST" and (earlier := queries.earlier_product(form.submission_key.data, current_user)):
        flash(_("Produit « %(name)s » créé, en investigation.", name=earlier.name), "success")
        return redirect(url_for("products.show_product", product_id=earlier.id))
    if (existing := queries.product_of_dossier(dossier.id)) is not None:  # a second tab, or the link followed again
        flash(_("Ce lauréat est déjà devenu le produit « %(name)s ».", name=existing.name), "info")
        return redirect(url_for("products.show_product", product_id=existing.id))
    if dossier.state != DossierState.LAUREATE:
        abort(404)
    if form.validate_on_submit() and (response := form_action(form, lambda: services.create_product_from_dossier(
            dossier, actor=current_user, incubator_name=form.incubator_name.data, incubator_id=form.incubator_id.data,
            sponsors=form.sponsor_pairs, members=form.member_pairs, started_on=form.started_on.data,
            contact=form.contact.data or "", submission_key=form.submission_key.data), **_CREATED)):
        return response
    return (render_template("products/create_product.html", form=form, dossier=dossier,
                            sheet=db.session.get(ProductSheet, dossier.sheet_id) if dossier.sheet_id else None),
            422 if form.errors else 200)


def _phase_form(product: Product, formdata=None) -> PhaseForm:
    form = PhaseForm(formdata=formdata, on=to_paris(utcnow()).date())
    form.phase.choices = phase_choices(sorted(PHASE_TRANSITIONS[ProductPhase(product.phase)], key=list(ProductPhase).index),
                                       placeholder=_("Choisir"))
    return form


def _measure_form(product: Product, indicators, formdata=None) -> IndicatorValueForm:
    form = IndicatorValueForm(formdata=formdata)
    form.indicator_id.choices = choices(((i.id, i.name) for i in indicators), placeholder=_("Choisir un indicateur"))
    return form


def _render_product(product: Product, *, phase_form=None, committee_form=None, measure_form=None, status=200):
    series = queries.indicator_series(product)
    return render_template(
        "products/show_product.html", product=product, periods=queries.periods_of(product),
        committees=queries.committees_of(product), series=series, milestones=queries.milestones_of(product),
        phase_form=phase_form or _phase_form(product), committee_form=committee_form or CommitteeForm(),
        measure_form=measure_form or _measure_form(product, [i for i, _values in series]),
        open_committee=queries.open_committee(product), sheet=db.session.get(ProductSheet, product.sheet_id) if product.sheet_id else None,
    ), status


@bp.get("/<int:product_id>")
@login_required
def show_product(product_id):
    product = _product_or_404(product_id)
    if not product.can_view(current_user):
        abort(403)
    return _render_product(product)


def _edit_form(product: Product) -> ProductEditForm:
    if request.method == "POST":
        return ProductEditForm()
    return ProductEditForm(data={
        "name": product.name, "pitch": product.pitch, "incubator_name": product.incubator_name,
        "incubator_id": product.incubator_id, "contact": product.contact, "loaded_version": product.edit_version,
        "sponsors": "\n".join(f"{s.name} ; {s.organisation_id}" for s in product.sponsors),
        "members": "\n".join(f"{m.name} ; {m.role}" for m in product.members if m.user_id is None)})


@bp.route("/<int:product_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_product(product_id):
    product = _product_or_404(product_id)
    if not product.can_edit(current_user):
        abort(403)
    form = _edit_form(product)
    if form.validate_on_submit():
        try:
            services.update_product(product, name=form.name.data, pitch=form.pitch.data or "",
                                    incubator_name=form.incubator_name.data, incubator_id=form.incubator_id.data,
                                    sponsors=form.sponsor_pairs, members=form.member_pairs,
                                    contact=form.contact.data or "", loaded_version=form.loaded_version.data)
        except services.EditedMeanwhile as error:
            core_db.rollback()
            form.form_errors.append(str(error))
            form.loaded_version.data = product.edit_version  # sent again, these values replace the saved ones
            return render_template("products/edit_product.html", product=product, form=form), 409
        except services.ProductError as error:
            core_db.rollback()
            form.form_errors.append(str(error))
        else:
            core_db.commit()
            flash(_("Produit enregistré."), "success")
            return redirect(url_for("products.show_product", product_id=product.id))
    return render_template("products/edit_product.html", product=product, form=form), 422 if form.errors else 200


def _add_to_product(product_id: int, form_class, add, *, anchor: str, title: str, button: str, said):
    """A page that adds one thing to the product (an indicator, a milestone): its team and the comités' team.
    `add(product, form)` returns (the thing, whether it is new); `said(thing, new)` words the flash."""
    product = _product_or_404(product_id)
    if not product.can_edit(current_user):
        abort(403)
    form = form_class()
    if form.validate_on_submit() and (response := form_action(
            form, lambda: add(product, form), to=url_for("products.show_product", product_id=product.id) + anchor,
            done=lambda result: said(*result), refusals=(services.ProductError,), describe=str)):
        return response
    return render_template("products/add_item.html", product=product, form=form, title=title, button=button), \
        422 if form.errors or form.form_errors else 200


@bp.route("/<int:product_id>/indicateurs/nouveau", methods=["GET", "POST"])
@login_required
def add_indicator(product_id):
    return _add_to_product(
        product_id, IndicatorForm, lambda product, form: services.add_indicator(
            product, name=form.name.data, baseline=form.baseline.data or "", target=form.target.data or ""),
        anchor="#indicateurs", title=_("Ajouter un indicateur d’impact"), button=_("Ajouter l’indicateur"),
        said=lambda indicator, new: (_("Indicateur « %(n)s » ajouté.", n=indicator.name) if new
                                     else _("L’indicateur « %(n)s » existe déjà.", n=indicator.name)))


@bp.route("/<int:product_id>/jalons/nouveau", methods=["GET", "POST"])
@login_required
def add_milestone(product_id):
    return _add_to_product(
        product_id, MilestoneForm, lambda product, form: services.add_milestone(
            product, title=form.title.data, due_on=form.due_on.data),
        anchor="#feuille-de-route", title=_("Ajouter un jalon à la feuille de route"), button=_("Ajouter le jalon"),
        said=lambda milestone, new: (_("Jalon « %(n)s » ajouté.", n=milestone.title) if new
                                     else _("Le jalon « %(n)s » existe déjà.", n=milestone.title)))


@bp.post("/<int:product_id>/phase")
@login_required
def change_phase(product_id):
    product = _product_or_404(product_id)
    if not product.can_manage(current_user):
        abort(403)
    form = _phase_form(product, request.form)
    if form.validate_on_submit() and (response := form_action(
            form, lambda: services.change_phase(product, ProductPhase(form.phase.data), actor=current_user,
                                                reason=form.reason.data, on=form.on.data),
            to=url_for("products.show_product", product_id=product.id), refusals=REFUSED, describe=_describe,
            done=lambda _result: _("Le produit est passé en « %(phase)s ».", phase=product.phase_label))):
        return response
    # A second click finds the phase changed: the form no longer offers the choice, said in words.
    return _render_product(product, phase_form=form, status=422)


@bp.post("/<int:product_id>/comites")
@login_required
def schedule_committee(product_id):
    product = _product_or_404(product_id)
    if not product.can_manage(current_user):
        abort(403)
    form = CommitteeForm()
    if form.validate_on_submit() and (response := form_action(
            form, lambda: services.schedule_committee(product, actor=current_user, held_on=form.held_on.data,
                                                      submission_key=form.submission_key.data),
            to=url_for("products.show_product", product_id=product.id), refusals=(services.ProductError,), describe=str,
            done=lambda committee: _("Comité prévu le %(d)s : l’équipe est prévenue.", d=format_day(committee.held_on)))):
        return response
    return _render_product(product, committee_form=form, status=422)


@bp.post("/<int:product_id>/indicateurs")
@login_required
def record_indicator_value(product_id):
    product = _product_or_404(product_id)
    authorise(product.can_record_measure(current_user), rightful=product.is_member(current_user),
              to=url_for("products.show_product", product_id=product.id),
              changed=lambda: _("Ce produit est « %(phase)s » : ses indicateurs ne se mesurent plus.", phase=product.phase_label))
    form = _measure_form(product, queries.indicators_of(product), request.form)
    if form.validate_on_submit() and (response := form_action(
            form, lambda: services.record_indicator_value(
                product, actor=current_user, indicator_id=int(form.indicator_id.data), value=form.value.data,
                measured_on=form.measured_on.data, submission_key=form.submission_key.data),
            to=url_for("products.show_product", product_id=product.id) + "#indicateurs",
            refusals=(services.ProductError,), describe=str, done=_("Mesure enregistrée."))):
        return response
    return _render_product(product, measure_form=form, status=422)


@bp.get("/<int:product_id>/startup.md")
@login_required
def export_startup(product_id):
    product = _product_or_404(product_id)
    if not product.can_view(current_user):
        abort(403)
    text = exports.startup_markdown(product, periods=queries.periods_of(product), series=queries.indicator_series(product),
                                    milestones=queries.milestones_of(product), committees=queries.committees_of(product))
    return Response(text, mimetype="text/markdown",
                    headers={"Content-Disposition": f'attachment; filename="produit-{product.id}.md"'})


# --- Comités ------------------------------------------------------------------------------------------------


@bp.get("/comites/<int:committee_id>")
@login_required
def show_committee(committee_id):
    committee = _committee_or_404(committee_id)
    if not committee.can_view(current_user):
        abort(403)
    scores = queries.scores_of(committee) if committee.product.can_manage(current_user) or committee.decision else []
    return render_template("products/show_committee.html", committee=committee, product=committee.product,
                           previous=queries.previous_committee(committee), series=queries.indicator_series(committee.product),
                           scores=scores, averages=queries.averages(scores), form=ConfirmForm(),
                           sent_back=queries.sent_back(committee))


def _file_form(committee: Committee, formdata=None) -> CommitteeFileForm:
    if formdata is not None:
        return CommitteeFileForm(formdata=formdata)
    data = {"objectives_reached": committee.objectives_reached, "learnings": committee.learnings,
            "team_needs": committee.team_needs, "base_version": str(committee.file_version),
            "priorities": committee.priorities + [{"title": "", "expected": ""}] * (3 - len(committee.priorities)),
            **{f"budget_{key}": value for key, value in (committee.budget or {}).items()}}
    return CommitteeFileForm(formdata=None, data=data)


def _authorise_file(committee: Committee, *, json=False) -> None:
    extra = {"saved": False} if json else {}
    authorise(committee.can_prepare(current_user), rightful=committee.product.is_member(current_user),
              to=url_for("products.show_committee", committee_id=committee.id),
              changed=_("Ce dossier est envoyé au comité : il n’est plus modifiable. Ce que vous venez de taper n’a pas "
                        "été enregistré."), code="not_editable", **extra)


@bp.route("/comites/<int:committee_id>/dossier", methods=["GET", "POST"])
@login_required
def prepare_file(committee_id):
    """The team's file, from the trame: bilan, objectifs (3 priorities at most), besoins. Autosaved as it is typed."""
    committee = _committee_or_404(committee_id)
    if request.method == "POST" and not committee.can_prepare(current_user) and committee.product.is_member(current_user):
        # Sent from another tab: nothing is saved, but the typed text is shown back, not lost.
        return _render_file(committee, CommitteeFileForm(), 409, not_editable=_(
            "Ce dossier a déjà été envoyé au comité depuis un autre onglet ou appareil : il n’est plus modifiable. Ce "
            "que vous venez de taper n’a pas été enregistré ; il reste sur cette page : téléchargez-le pour le garder."))
    _authorise_file(committee)
    form = _file_form(committee, request.form if request.method == "POST" else None)
    stale = None
    if form.validate_on_submit():
        try:
            services.save_file(committee, author=current_user, objectives_reached=form.objectives_reached.data or "",
                               learnings=form.learnings.data or "", priorities=[entry.data for entry in form.priorities],
                               budget=form.budget(), team_needs=form.team_needs.data or "", base_version=form.base())
        except services.StaleFile as error:
            core_db.rollback()
            stale = error
            form.form_errors.append(str(error))
        except services.ProductError as error:
            core_db.rollback()
            form.form_errors.append(str(error))
        else:
            core_db.commit()
            flash(_("Dossier enregistré."), "success")
            return redirect(url_for("products.prepare_file", committee_id=committee.id))
    return _render_file(committee, form, 409 if stale else (422 if form.errors else 200))


def _render_file(committee: Committee, form: CommitteeFileForm, status: int, *, not_editable: str | None = None):
    return render_template("products/prepare_file.html", committee=committee, product=committee.product, form=form,
                           sent_back=queries.sent_back(committee),
                           previous=queries.previous_committee(committee), milestones=queries.milestones_of(committee.product),
                           series=queries.indicator_series(committee.product), not_editable=not_editable), status


def _file_values(form: CommitteeFileForm) -> dict:
    return {"objectives_reached": form.objectives_reached.data or "", "learnings": form.learnings.data or "",
            "priorities": [entry.data for entry in form.priorities], "budget": form.budget(),
            "team_needs": form.team_needs.data or "", "base_version": form.base()}


@bp.post("/comites/<int:committee_id>/brouillon")
@json_endpoint
@login_required
def autosave_file(committee_id):
    committee = _committee_or_404(committee_id)
    _authorise_file(committee, json=True)
    form = CommitteeFileForm()
    if not form.validate_on_submit():
        return json_error(422, "invalid", _("Certaines valeurs ne sont pas valides : utilisez le bouton « Enregistrer » "
                                            "pour voir lesquelles."), saved=False, errors=form.errors)
    try:
        services.save_file(committee, author=current_user, objectives_reached=form.objectives_reached.data or "",
                           learnings=form.learnings.data or "", priorities=[entry.data for entry in form.priorities],
                           budget=form.budget(), team_needs=form.team_needs.data or "", base_version=form.base())
    except services.StaleFile as error:
        core_db.rollback()
        return json_error(409, "stale_version", str(error), saved=False, conflict=True, latest=error.latest)
    except services.ProductError as error:
        core_db.rollback()
        return json_error(422, "invalid", str(error), saved=False)
    core_db.commit()
    return jsonify(saved=True, version=committee.file_version, saved_at=format_datetime(committee.file_saved_at, "HH'h'mm"))


@bp.post("/comites/<int:committee_id>/envoyer")
@login_required
def submit_file(committee_id):
    """« Envoyer le dossier au comité » is a button of the file form: what the page shows is saved, then sent. Sent
    already from another tab: the typed text is shown back (409), to copy or download, never dropped."""
    committee = _committee_or_404(committee_id)
    if "base_version" not in request.form:  # a page from before the button sent the file: the saved file is sent
        return confirmed_action(lambda: committee.product.is_member(current_user),
                                lambda: services.submit_file(committee, actor=current_user),
                                to=url_for("products.show_committee", committee_id=committee.id),
                                done=_submitted, refused_to=url_for("products.prepare_file", committee_id=committee.id),
                                refusals=REFUSED, describe=_describe)
    if not committee.product.is_member(current_user):
        abort(403)
    form = CommitteeFileForm()
    if not form.validate_on_submit():
        return _render_file(committee, form, 422)
    try:
        sent = services.submit_file(committee, actor=current_user, file=_file_values(form))
    except services.NotEditable as error:
        core_db.rollback()
        return _render_file(committee, form, 409, not_editable=str(error))
    except services.StaleFile as error:
        core_db.rollback()
        form.form_errors.append(str(error))
        return _render_file(committee, form, 409)
    except REFUSED as error:
        core_db.rollback()
        form.form_errors.append(_describe(error))
        return _render_file(committee, form, 422)
    core_db.commit()
    flash(_submitted(sent), "success" if sent else "info")
    return redirect(url_for("products.show_committee", committee_id=committee.id))


def _submitted(sent: bool) -> str:
    return _("Dossier envoyé au comité.") if sent else _("Ce dossier est déjà envoyé : rien n’a été envoyé une deuxième fois.")


def _authorise_staff(committee: Committee) -> None:
    authorise(committee.can_decide(current_user), rightful=committee.product.can_manage(current_user),
              to=url_for("products.show_committee", committee_id=committee.id),
              changed=lambda: _("Ce comité est « %(state)s » : il ne se note plus et sa décision est rendue.",
                                state=committee.state_label) if committee.state == CommitteeState.DECIDED else
              _("Ce comité est « %(state)s » : il se note et se décide une fois le dossier envoyé par l’équipe.",
                state=committee.state_label))


@bp.post("/comites/<int:committee_id>/renvoyer")
@login_required
def send_back_file(committee_id):
    """The file goes back to the product's team to complete (before the decision), with what to complete."""
    committee = _committee_or_404(committee_id)
    return confirmed_action(lambda: committee.product.can_manage(current_user),
                            lambda: services.send_back_file(committee, actor=current_user,
                                                            reason=request.form.get("reason", "")),
                            to=url_for("products.show_committee", committee_id=committee.id),
                            done=lambda sent: _("Dossier renvoyé à l’équipe, qui en est prévenue.") if sent else None,
                            refusals=REFUSED, describe=_describe)


@bp.route("/comites/<int:committee_id>/notation", methods=["GET", "POST"])
@login_required
def score_committee(committee_id):
    """The grille d'arbitrage: a note sur 5 for the bilan, the objectifs and the besoins (scoring again replaces)."""
    committee = _committee_or_404(committee_id)
    _authorise_staff(committee)
    mine = queries.score_of(committee, current_user)
    form = ScoreForm(data={f"score_{key}": str(value) for key, value in mine.scores.items()} | {"comment": mine.comment}
                     if mine and request.method == "GET" else None)
    if form.validate_on_submit() and (response := form_action(
            form, lambda: services.score_committee(committee, scorer=current_user, scores=form.scores(),
                                                   comment=form.comment.data or ""),
            to=url_for("products.show_committee", committee_id=committee.id), refusals=(services.ProductError,),
            describe=str, done=_("Notes enregistrées."))):
        return response
    return render_template("products/score_committee.html", committee=committee, product=committee.product, form=form,
                           series=queries.indicator_series(committee.product)), 422 if form.errors else 200


@bp.route("/comites/<int:committee_id>/decision", methods=["GET", "POST"])
@login_required
def decide_committee(committee_id):
    committee = _committee_or_404(committee_id)
    _authorise_staff(committee)
    product = committee.product
    form = DecisionForm()
    steps = [p for p in PHASE_TRANSITIONS[ProductPhase(product.phase)] if p in NEXT_STEPS]
    form.next_phase.choices = choices([("", _("Rester en « %(p)s »", p=product.phase_label))]) + phase_choices(steps)
    if form.validate_on_submit():
        try:
            decided = services.decide(committee, actor=current_user, decision=CommitteeDecision(form.decision.data),
                                      reasons=form.reasons.data, next_phase=ProductPhase(form.next_phase.data)
                                      if form.next_phase.data else None)
        except REFUSED as error:
            core_db.rollback()
            form.form_errors.append(_describe(error))
        else:
            core_db.commit()
            flash(_("Décision enregistrée et envoyée à l’équipe.") if decided else
                  _("La décision de ce comité était déjà rendue : rien n’a été envoyé une deuxième fois."),
                  "success" if decided else "info")
            return redirect(url_for("products.show_committee", committee_id=committee.id))
    scores = queries.scores_of(committee)
    return render_template("products/decide_committee.html", committee=committee, product=product, form=form,
                           scores=scores, averages=queries.averages(scores)), 422 if form.errors else 200
