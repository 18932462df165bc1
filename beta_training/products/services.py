"""Write operations on products and their comités d'investissement. No request globals: the acting user and the
values are passed in; the caller commits (core.db.commit), which sends the queued emails."""

import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from beta_training.calls.models import Dossier, DossierState
from beta_training.core.db import earlier_submission, lock_for_update
from beta_training.core.i18n import format_day
from beta_training.core.models import to_paris, upsert, utcnow
from beta_training.core.states import record_creation, transition, transition_once
from beta_training.extensions import db
from beta_training.products import emails, queries
from beta_training.products.models import (
    BUDGET_LINES,
    COMMITTEE_TRANSITIONS,
    DECISION_LABELS,
    DECISION_PHASES,
    GRID,
    MAX_BUDGET_LINE,
    MAX_PRIORITIES,
    NEXT_STEPS,
    PHASE_LABELS,
    PHASE_TRANSITIONS,
    REMINDER_DAYS,
    SCORES,
    SITE_ID_PATTERN,
    Committee,
    CommitteeDecision,
    CommitteeScore,
    CommitteeState,
    IndicatorValue,
    Product,
    ProductIndicator,
    ProductMember,
    ProductMilestone,
    ProductPhase,
    ProductPhasePeriod,
    ProductSponsor,
)
from beta_training.sheets import queries as sheet_queries
from beta_training.sheets.models import ProductSheet, SheetState

EARLIEST = date(2000, 1, 1)
HORIZON_DAYS = 2 * 366  # a comité or a phase change is dated within two years from today


class ProductError(Exception):
    """A refused operation; the message is safe to show."""


class StaleFile(ProductError):
    def __init__(self, latest: int):
        super().__init__(_("Ce dossier a été enregistré depuis un autre onglet ou appareil : rechargez la page pour "
                           "reprendre la dernière version."))
        self.latest = latest


class NotEditable(ProductError):
    """The file is sent (or decided): nothing typed is saved."""


def _today(now: datetime) -> date:
    return to_paris(now).date()


def _check_day(value: date, now: datetime, *, past_only: bool = False) -> None:
    latest = _today(now) if past_only else _today(now) + timedelta(days=HORIZON_DAYS)
    if not EARLIEST <= value <= latest:
        raise ProductError(_("Choisissez une date entre le %(start)s et le %(end)s.", start=format_day(EARLIEST),
                             end=format_day(latest)))


def _check_site_id(value: str, what: str) -> str:
    value = (value or "").strip()
    if not re.fullmatch(SITE_ID_PATTERN, value) or len(value) > 100:
        raise ProductError(_("%(what)s « %(value)s » n’est pas un identifiant de beta.gouv.fr : des lettres, des "
                             "chiffres et des tirets, sans espace, par exemple « dinum » ou « DEAL-reunion ».", what=what, value=value[:60]))
    return value


# --- Products -------------------------------------------------------------------------------------------------


def create_product(sheet: ProductSheet, *, actor, incubator_name: str, incubator_id: str, sponsors: list[tuple[str, str]],
                   members: list[tuple[str, str]], started_on: date, contact: str = "", submission_key: str | None = None,
                   now: datetime | None = None) -> Product:
    """A product from an approved fiche: its name, pitch, indicators (with their measures) and roadmap are copied
    from it; its owner joins the team as intrapreneur. `contact`: the team's shared address, if any (the page's
    contact is otherwise the intrapreneur's own address, read when exported: nothing personal is copied). `sponsors`: (administration, organisation id) pairs;
    `members`: (name, role) pairs of people without an account here. Sent twice (same key): the first one."""
    now = now or utcnow()
    earlier = earlier_submission(Product, submission_key, lock=(ProductSheet, sheet.id), created_by_id=actor.id)
    if earlier is not None:
        return earlier
    lock_for_update(ProductSheet, sheet.id)  # (a form without its key) a second tab waits, then finds the product
    _refuse_second_product_of_sheet(sheet.id)
    if sheet.state != SheetState.APPROVED:
        raise ProductError(_("Seule une fiche produit validée peut devenir un produit."))
    content = sheet_queries.get_version(sheet, sheet.current_version).content
    return _new_product(
        name=content.get("name") or sheet.title, pitch=content.get("pitch") or "", intrapreneur_id=sheet.owner_id,
        sheet=sheet, content=content, reason=_("Produit créé à partir de la fiche « %(t)s ».", t=sheet.title),
        actor=actor, incubator_name=incubator_name, incubator_id=incubator_id, sponsors=sponsors, members=members,
        started_on=started_on, contact=contact, submission_key=submission_key, now=now)


def create_product_from_dossier(dossier: Dossier, *, actor, incubator_name: str, incubator_id: str,
                                sponsors: list[tuple[str, str]], members: list[tuple[str, str]], started_on: date,
                                contact: str = "", submission_key: str | None = None,
                                now: datetime | None = None) -> Product:
    """A product from a lauréat of an appel à intrapreneurs: the dossier's title, its solution as the pitch, its
    author as intrapreneur; if the dossier started from a fiche produit, that fiche's indicators and roadmap as
    well (whatever the fiche's review state: the jury has selected the project). Sent twice: the first one."""
    now = now or utcnow()
    earlier = earlier_submission(Product, submission_key, lock=(Dossier, dossier.id), created_by_id=actor.id)
    if earlier is not None:
        return earlier
    lock_for_update(Dossier, dossier.id)
    existing = queries.product_of_dossier(dossier.id)
    if existing is not None:
        raise ProductError(_("Ce lauréat est déjà devenu le produit « %(name)s ».", name=existing.name))
    if dossier.state != DossierState.LAUREATE:
        raise ProductError(_("Seul un dossier lauréat du jury peut devenir un produit."))
    sheet = db.session.get(ProductSheet, dossier.sheet_id) if dossier.sheet_id else None
    content = None
    if sheet is not None:
        lock_for_update(ProductSheet, sheet.id)
        _refuse_second_product_of_sheet(sheet.id)
        content = sheet_queries.get_version(sheet, sheet.current_version).content
    return _new_product(
        name=dossier.title, pitch=dossier.solution, intrapreneur_id=dossier.owner_id, sheet=sheet, content=content,
        dossier=dossier,
        reason=_("Produit créé à partir du dossier lauréat « %(t)s » (%(call)s).", t=dossier.title, call=dossier.call.title),
        actor=actor, incubator_name=incubator_name, incubator_id=incubator_id, sponsors=sponsors, members=members,
        started_on=started_on, contact=contact, submission_key=submission_key, now=now)


class EditedMeanwhile(ProductError):
    pass


def update_product(product: Product, *, name: str, pitch: str, incubator_name: str, incubator_id: str,
                   sponsors: list[tuple[str, str]], members: list[tuple[str, str]], contact: str,
                   loaded_version: str | None = None, now: datetime | None = None) -> Product:
    """Save the product's details. `members`: the (name, role) of the team members without an account here (those
    with one stay). Filled from an older version (another tab, a colleague) and saying something else:
    EditedMeanwhile, nothing saved; the same values again (a double click) pass."""
    lock_for_update(Product, product.id)
    db.session.refresh(product)
    if not sponsors:
        raise ProductError(_("Indiquez au moins une administration sponsor."))
    sponsors = [(label.strip()[:200], _check_site_id(identifier, _("L’organisation"))) for label, identifier in sponsors]
    members = [(member.strip()[:200], role.strip()[:200]) for member, role in members if member.strip()]
    values = {"name": name.strip()[:200], "pitch": pitch or "", "incubator_name": incubator_name.strip()[:200],
              "incubator_id": _check_site_id(incubator_id, _("L’incubateur")), "contact": contact.strip()[:254]}
    current_sponsors = [(s.name, s.organisation_id) for s in product.sponsors]
    current_members = [(m.name, m.role) for m in product.members if m.user_id is None]
    changed = (any(getattr(product, key) != value for key, value in values.items())
               or sponsors != current_sponsors or members != current_members)
    if not changed:
        return product
    if loaded_version and loaded_version != product.edit_version:
        raise EditedMeanwhile(_("Ce produit a été modifié entre-temps (dans un autre onglet ou par une autre personne) : "
                                "rien n’est enregistré. Vérifiez le produit enregistré, puis envoyez de nouveau ce "
                                "formulaire pour le remplacer par vos valeurs."))
    for key, value in values.items():
        setattr(product, key, value)
    product.sponsors = [ProductSponsor(position=i, name=label, organisation_id=identifier)
                        for i, (label, identifier) in enumerate(sponsors)]
    with_account = [m for m in product.members if m.user_id is not None]
    product.members = with_account + [ProductMember(name=member, role=role) for member, role in members]
    for position, member in enumerate(product.members):
        member.position = position
    product.updated_at = now or utcnow()
    db.session.flush()
    return product


def _refuse_second_product_of_sheet(sheet_id: int) -> None:
    existing = queries.product_of_sheet(sheet_id)
    if existing is not None:
        raise ProductError(_("Cette fiche est déjà devenue le produit « %(name)s » : une fiche ne fait qu’un produit.",
                             name=existing.name))


def _new_product(*, name: str, pitch: str, intrapreneur_id: int | None, sheet: ProductSheet | None,
                 content: dict | None, reason: str, actor, incubator_name: str, incubator_id: str,
                 sponsors: list[tuple[str, str]], members: list[tuple[str, str]], started_on: date, contact: str,
                 submission_key: str | None, now: datetime, dossier: Dossier | None = None) -> Product:
    """The product, its sponsors and team, the fiche's roadmap if there is one, and its first phase (recorded)."""
    _check_day(started_on, now)
    if not sponsors:
        raise ProductError(_("Indiquez au moins une administration sponsor."))
    sponsors = [(label.strip()[:200], _check_site_id(identifier, _("L’organisation"))) for label, identifier in sponsors]
    incubator_id = _check_site_id(incubator_id, _("L’incubateur"))
    product = Product(name=(name or "")[:200] or _("Produit sans nom"), pitch=pitch or "",
                      phase=ProductPhase.INVESTIGATION, contact=contact.strip()[:254],
                      incubator_name=incubator_name.strip()[:200], incubator_id=incubator_id,
                      sheet_id=sheet.id if sheet is not None else None,
                      dossier_id=dossier.id if dossier is not None else None, created_by_id=actor.id,
                      submission_key=submission_key, created_at=now, updated_at=now)
    product.sponsors = [ProductSponsor(position=i, name=label, organisation_id=identifier)
                        for i, (label, identifier) in enumerate(sponsors)]
    team = [ProductMember(position=0, user_id=intrapreneur_id, role=_("Intrapreneur·e"))] if intrapreneur_id else []
    team += [ProductMember(position=i, name=member.strip()[:200], role=role.strip()[:200])
             for i, (member, role) in enumerate(members, start=len(team)) if member.strip()]
    product.members = team
    db.session.add(product)
    db.session.flush()
    if sheet is not None:
        _carry_over_roadmap(product, sheet, content, now)
    db.session.add(ProductPhasePeriod(product_id=product.id, phase=ProductPhase.INVESTIGATION, started_on=started_on,
                                      reason=reason, actor_id=actor.id, created_at=now))
    record_creation(product, ProductPhase.INVESTIGATION, actor=actor, now=now)
    db.session.flush()
    return product


def _carry_over_roadmap(product: Product, sheet: ProductSheet, content: dict, now: datetime) -> None:
    """The fiche's indicators (and their measured values) and the milestones of its 6-month roadmap."""
    measures = sheet_queries.measures_of(sheet)
    for position, row in enumerate((i for i in content.get("indicators", []) if i.get("name")), start=1):
        indicator = ProductIndicator(product_id=product.id, position=position, name=row["name"][:200],
                                     baseline=str(row.get("baseline") or "")[:100], target=str(row.get("target") or "")[:100])
        db.session.add(indicator)
        db.session.flush()
        for measure in measures:
            if measure.indicator == row["name"]:
                db.session.add(IndicatorValue(indicator_id=indicator.id, value=measure.value, measured_on=measure.measured_on,
                                              author_id=None, created_at=now))
    milestones = sheet_queries.milestones_of(sheet)
    if milestones:
        rows = [(m.title, m.due_on, m.status) for m in milestones]
    else:  # approved before milestones were kept apart: the version's roadmap
        rows = [(m["title"], _day(m.get("due_on")), "todo") for m in content.get("milestones", []) if m.get("title")]
    for position, (title, due_on, status) in enumerate(rows, start=1):
        db.session.add(ProductMilestone(product_id=product.id, position=position, title=title[:200], due_on=due_on,
                                        status=status))


def _day(text) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def change_phase(product: Product, target: ProductPhase, *, actor, reason: str, on: date,
                 now: datetime | None = None) -> ProductPhasePeriod:
    """Close the current phase on `on` and open `target` from that day, through the phase table; who, when, why.
    The product is locked and read again first: a second click finds the phase changed and is refused."""
    lock_for_update(Product, product.id)
    db.session.refresh(product)
    return _move_phase(product, target, actor=actor, reason=reason, on=on, now=now or utcnow())


def _move_phase(product: Product, target: ProductPhase, *, actor, reason: str, on: date, now: datetime,
                committee: Committee | None = None) -> ProductPhasePeriod:
    _check_day(on, now)
    current = queries.current_period(product)
    if current is not None and on < current.started_on:
        raise ProductError(_("La nouvelle phase ne peut pas commencer avant le début de la phase actuelle (%(d)s).",
                             d=format_day(current.started_on)))
    transition(product, PHASE_TRANSITIONS, target, actor=actor, reason=reason, now=now, attribute="phase")
    if current is not None:
        current.ended_on = on
    period = ProductPhasePeriod(product_id=product.id, phase=target, started_on=on, reason=reason, actor_id=actor.id,
                                committee_id=committee.id if committee else None, created_at=now)
    db.session.add(period)
    db.session.flush()
    return period


def record_indicator_value(product: Product, *, actor, indicator_id: int, value: str, measured_on: date,
                           submission_key: str | None = None, now: datetime | None = None) -> IndicatorValue:
    now = now or utcnow()
    indicator = db.session.get(ProductIndicator, indicator_id)
    if indicator is None or indicator.product_id != product.id:
        raise ProductError(_("Choisissez un des indicateurs du produit."))
    earlier = earlier_submission(IndicatorValue, submission_key, lock=(Product, product.id), author_id=actor.id)
    if earlier is not None:
        return earlier
    _check_day(measured_on, now, past_only=True)
    measure = IndicatorValue(indicator_id=indicator.id, value=value.strip()[:100], measured_on=measured_on,
                             author_id=actor.id, submission_key=submission_key, created_at=now)
    db.session.add(measure)
    db.session.flush()
    return measure


def add_indicator(product: Product, *, name: str, baseline: str = "", target: str = "") -> tuple[ProductIndicator, bool]:
    """A new impact indicator (a product from scratch has none). One per name: sent twice, the first one (False)."""
    lock_for_update(Product, product.id)
    name = name.strip()[:200]
    existing = db.session.scalar(sa.select(ProductIndicator).where(ProductIndicator.product_id == product.id,
                                                                   ProductIndicator.name == name))
    if existing is not None:
        return existing, False
    last = db.session.scalar(sa.select(sa.func.max(ProductIndicator.position)).where(ProductIndicator.product_id == product.id))
    indicator = ProductIndicator(product_id=product.id, position=(last or 0) + 1, name=name,
                                 baseline=baseline.strip()[:100], target=target.strip()[:100])
    db.session.add(indicator)
    db.session.flush()
    return indicator, True


def add_milestone(product: Product, *, title: str, due_on: date | None, now: datetime | None = None) -> tuple[ProductMilestone, bool]:
    """A new milestone of the roadmap. The same title and date again (a double click): the first one (False)."""
    lock_for_update(Product, product.id)
    if due_on is not None:
        _check_day(due_on, now or utcnow())
    title = title.strip()[:200]
    existing = db.session.scalar(sa.select(ProductMilestone).where(
        ProductMilestone.product_id == product.id, ProductMilestone.title == title,
        ProductMilestone.due_on.is_(None) if due_on is None else ProductMilestone.due_on == due_on))
    if existing is not None:
        return existing, False
    last = db.session.scalar(sa.select(sa.func.max(ProductMilestone.position)).where(ProductMilestone.product_id == product.id))
    milestone = ProductMilestone(product_id=product.id, position=(last or 0) + 1, title=title, due_on=due_on)
    db.session.add(milestone)
    db.session.flush()
    return milestone, True


# --- Comités ------------------------------------------------------------------------------------------------


def schedule_committee(product: Product, *, actor, held_on: date, submission_key: str | None = None,
                       now: datetime | None = None) -> Committee:
    now = now or utcnow()
    earlier = earlier_submission(Committee, submission_key, lock=(Product, product.id), product_id=product.id)
    if earlier is not None:
        return earlier
    lock_for_update(Product, product.id)  # (a form without its key) a second click waits, then finds the first
    db.session.refresh(product)
    if product.is_over:
        raise ProductError(_("Ce produit est « %(phase)s » : il n’a plus de comité.", phase=product.phase_label))
    _check_day(held_on, now)
    # A past date records a comité held before the product came here (its history, as the demo's); never one
    # before the product started: its decision would open a phase before the first one.
    start = queries.start_day(product)
    if start is not None and held_on < start:
        raise ProductError(_("Le comité ne peut pas avoir lieu avant le début du produit, le %(d)s.", d=format_day(start)))
    if queries.open_committee(product) is not None:
        raise ProductError(_("Un comité de ce produit attend déjà sa décision : rendez-la avant d’en prévoir un autre."))
    committee = Committee(product_id=product.id, held_on=held_on, state=CommitteeState.PREPARING,
                          submission_key=submission_key, priorities=[], budget={}, created_at=now, updated_at=now)
    db.session.add(committee)
    db.session.flush()
    record_creation(committee, CommitteeState.PREPARING, actor=actor, now=now)
    emails.queue_committee_scheduled(committee)
    return committee


def clean_priorities(priorities: list[dict]) -> list[dict]:
    rows = [{"title": (p.get("title") or "").strip()[:200], "expected": (p.get("expected") or "").strip()[:1000]}
            for p in priorities]
    rows = [row for row in rows if row["title"] or row["expected"]]
    if len(rows) > MAX_PRIORITIES:
        raise ProductError(_("Trois priorités au plus pour les six prochains mois : choisissez."))
    if any(not row["title"] for row in rows):
        raise ProductError(_("Donnez un titre à chaque priorité."))
    return rows


def clean_budget(budget: dict) -> dict:
    cleaned = {}
    for key, value in budget.items():
        if key not in BUDGET_LINES:
            raise ProductError(_("Poste de budget inconnu."))
        if value in (None, ""):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_BUDGET_LINE:
            raise ProductError(_("Le budget de « %(line)s » doit être un nombre d’euros entre 0 et %(max)s.",
                                 line=BUDGET_LINES[key], max=f"{MAX_BUDGET_LINE:,}".replace(",", " ")))
        cleaned[key] = value
    return cleaned


def save_file(committee: Committee, *, author, objectives_reached: str, learnings: str, priorities: list[dict],
              budget: dict, team_needs: str, base_version: int | None, now: datetime | None = None) -> Committee:
    """The team's file, saved whole (the button or autosave). Saved from an older page (`base_version` behind):
    StaleFile, nothing overwritten. Sent already: NotEditable."""
    now = now or utcnow()
    priorities, budget = clean_priorities(priorities), clean_budget(budget)
    lock_for_update(Committee, committee.id)
    db.session.refresh(committee)
    if committee.state != CommitteeState.PREPARING:
        raise NotEditable(_("Ce dossier est envoyé au comité : il n’est plus modifiable. Ce que vous venez de taper "
                            "n’a pas été enregistré ; il reste sur cette page."))
    if base_version is not None and base_version != committee.file_version:
        raise StaleFile(committee.file_version)
    committee.objectives_reached = objectives_reached.strip()[:5000]
    committee.learnings = learnings.strip()[:5000]
    committee.priorities = priorities
    committee.budget = budget
    committee.team_needs = team_needs.strip()[:3000]
    committee.file_version += 1
    committee.file_saved_at = now
    db.session.flush()
    return committee


def submit_file(committee: Committee, *, actor, file: dict | None = None, now: datetime | None = None) -> bool:
    """Send the file to the comité: its members may score it. False if a second click finds it sent already.

    `file`: what the page shows (the save_file values, « Envoyer » sends the form): saved first, then sent. Sent
    already from another tab with other text: NotEditable (the view shows the typed text back, nothing is lost);
    with the same text (a double click), False as above."""
    now = now or utcnow()
    if file is not None:
        lock_for_update(Committee, committee.id)
        db.session.refresh(committee)
        if committee.state != CommitteeState.PREPARING:
            if _same_file(committee, file):
                return False
            raise NotEditable(_("Ce dossier a déjà été envoyé au comité depuis un autre onglet ou appareil : il n’est plus "
                                "modifiable. Ce que vous venez de taper n’a pas été enregistré ; il reste sur cette page : "
                                "téléchargez-le pour le garder."))
        save_file(committee, author=actor, now=now, **file)
    if not committee.priorities:
        raise ProductError(_("Indiquez au moins une priorité pour les six prochains mois avant d’envoyer le dossier."))
    if committee.state != CommitteeState.PREPARING:
        return False
    moved = transition_once(committee, COMMITTEE_TRANSITIONS, CommitteeState.PREPARING, CommitteeState.SUBMITTED,
                            actor=actor, now=now, values={"submitted_at": now})
    if moved is None:
        return False
    emails.queue_file_submitted(committee)
    return True


def send_back_file(committee: Committee, *, actor, reason: str, now: datetime | None = None) -> bool:
    """The comité's team sends the file back to the product's team to complete it (why, emailed to them): it is
    theirs to edit and send again; scores given so far stay, each member may score again. False if a second
    click finds it sent back already."""
    reason = reason.strip()
    if not reason:
        raise ProductError(_("Dites à l’équipe ce qu’il faut compléter."))
    moved = transition_once(committee, COMMITTEE_TRANSITIONS, CommitteeState.SUBMITTED, CommitteeState.PREPARING,
                            actor=actor, reason=reason[:2000], now=now or utcnow())
    if moved is None:
        if committee.state == CommitteeState.DECIDED:
            raise ProductError(_("Ce comité a rendu sa décision : le dossier ne peut plus être renvoyé à l’équipe."))
        return False
    emails.queue_file_sent_back(committee, reason)
    return True


def _same_file(committee: Committee, file: dict) -> bool:
    """The typed file is the one the comité has (compared as save_file would store it)."""
    try:
        priorities, budget = clean_priorities(file["priorities"]), clean_budget(file["budget"])
    except ProductError:
        return False
    return ((file["objectives_reached"].strip()[:5000], file["learnings"].strip()[:5000], priorities, budget,
             file["team_needs"].strip()[:3000])
            == (committee.objectives_reached or "", committee.learnings or "", committee.priorities or [],
                committee.budget or {}, committee.team_needs or ""))


def score_committee(committee: Committee, *, scorer, scores: dict, comment: str = "",
                    now: datetime | None = None) -> CommitteeScore:
    """Her notes sur 5 on each part of the grid; scoring again replaces them (one row per member)."""
    now = now or utcnow()
    if set(scores) != set(GRID) or any(value not in SCORES for value in scores.values()):
        raise ProductError(_("Donnez une note de 1 à 5 à chaque partie de la grille."))
    return upsert(CommitteeScore, {"committee_id": committee.id, "scorer_id": scorer.id},
                  {"scores": dict(scores), "comment": comment.strip()[:3000], "created_at": now, "updated_at": now})


def decide(committee: Committee, *, actor, decision: CommitteeDecision, reasons: str, next_phase: ProductPhase | None = None,
           now: datetime | None = None) -> Committee | None:
    """Record the comité's decision, email it to the team, and move the product's phase when it says so (a stop, a
    pivot, maintenance; or continuing into the next phase of the path). None if a second click finds it decided."""
    now = now or utcnow()
    reasons = reasons.strip()
    if not reasons:
        raise ProductError(_("Donnez les raisons de la décision : l’équipe les recevra."))
    if committee.held_on > _today(now) and committee.state == CommitteeState.SUBMITTED:
        raise ProductError(_("Le comité se tient le %(d)s : sa décision s’enregistre ce jour-là ou après, une fois le "
                             "dossier présenté.", d=format_day(committee.held_on)))
    product = committee.product
    target = DECISION_PHASES.get(decision)
    if target is not None and next_phase is not None and next_phase != product.phase:
        # « Arrêt » with « Construction »: which one did the comité mean? Said, not guessed.
        raise ProductError(_("« %(decision)s » ne va pas avec une phase suivante « %(phase)s » : choisissez « Rester en "
                             "« %(current)s » » ou une décision de continuité.", decision=DECISION_LABELS[decision],
                             phase=PHASE_LABELS[next_phase], current=product.phase_label))
    if target is None and next_phase is not None and next_phase != product.phase:
        if next_phase not in NEXT_STEPS or next_phase not in PHASE_TRANSITIONS[ProductPhase(product.phase)]:
            raise ProductError(_("Depuis la phase « %(from)s », le produit ne peut pas passer en « %(to)s ».",
                                 **{"from": product.phase_label, "to": PHASE_LABELS[next_phase]}))
        target = next_phase
    if target is not None and target not in PHASE_TRANSITIONS[ProductPhase(product.phase)]:
        raise ProductError(_("Depuis la phase « %(from)s », le produit ne peut pas passer en « %(to)s ».",
                             **{"from": product.phase_label, "to": PHASE_LABELS[target]}))
    phase_before = product.phase
    moved = transition_once(committee, COMMITTEE_TRANSITIONS, CommitteeState.SUBMITTED, CommitteeState.DECIDED, actor=actor,
                            reason=reasons, now=now, values={
                                "decision": decision, "decision_reasons": reasons[:5000], "decided_by_id": actor.id,
                                "decided_at": now, "phase_before": phase_before,
                                "phase_after": target or phase_before})
    if moved is None:
        return None
    if target is not None:
        # The new phase starts on the comité's day, never before the current one.
        current = queries.current_period(product)
        on = committee.held_on
        on = max(on, current.started_on) if current is not None else on
        _move_phase(product, target, actor=actor, on=on, committee=committee, now=now,
                     reason=_("Décision du comité du %(d)s : %(decision)s.", d=format_day(committee.held_on),
                              decision=committee.decision_label))
    emails.queue_decision(committee)
    return committee


def send_committee_reminders(now: datetime | None = None) -> int:
    """45 days before its comité, the team is reminded to prepare its file: once per comité (cron-safe)."""
    now = now or utcnow()
    sent = 0
    for committee in queries.committees_to_remind(_today(now), _today(now) + timedelta(days=REMINDER_DAYS)):
        committee.reminder_sent_at = now
        emails.queue_committee_reminder(committee)
        sent += 1
    db.session.flush()
    return sent
