"""Write operations on fiches produit: versions (never lose a word), the review loop, exports."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from beta_training.core.db import lock_for_update
from beta_training.core.models import to_paris, utcnow
from beta_training.core.states import InvalidTransition, record_action, transition, transition_once
from beta_training.courses.models import Enrolment
from beta_training.courses.services import record_sheet_parts, record_sheet_sent
from beta_training.extensions import db
from beta_training.sheets import emails, queries
from beta_training.sheets.models import (
    COMMENT_TARGETS,
    GRID,
    INDICATOR_COUNT,
    SCORE_LEVELS,
    MILESTONE_COUNT,
    PARTS,
    PRIORITIES,
    QUESTIONS,
    SHEET_STATE_LABELS,
    SHEET_TRANSITIONS,
    USERTYPES,
    ROADMAP_REMINDER_MONTHS,
    IndicatorMeasure,
    MilestoneStatus,
    ProductSheet,
    SaveKind,
    SheetFollowUpComment,
    SheetMilestone,
    SheetReview,
    SheetState,
    SheetVersion,
    Part,
    milestone_due_on,
    past_date_problem,
    web_addresses,
)


class SheetError(Exception):
    """A refused operation; the message is safe to show to the user."""


class StaleVersion(SheetError):
    """The sheet was saved elsewhere since this text was loaded: nothing is overwritten."""

    def __init__(self, latest: SheetVersion):
        super().__init__(_("Cette fiche a été enregistrée depuis un autre onglet ou appareil."))
        self.latest = latest


def describe_error(error: Exception) -> str:
    """What the person is told when an action on a sheet is refused."""
    if isinstance(error, InvalidTransition) and isinstance(error.target, SheetState):
        # Mostly a second tab: say where the sheet stands now, so its author sees what happened.
        if error.current == error.target == SheetState.DRAFT:
            return _("Cette fiche est déjà retirée de la relecture : elle est en brouillon, modifiable.")
        return _("Cette fiche est désormais « %(state)s » : cette action n’est plus possible, rien n’a été modifié.",
                 state=SHEET_STATE_LABELS[SheetState(error.current)])
    if isinstance(error, InvalidTransition):
        return _("Action impossible dans l’état actuel de la fiche.")
    return str(error)


def _lock(sheet: ProductSheet) -> None:
    """Lock the sheet's row and re-read it: a second click waits, then sees what the first one did (on
    PostgreSQL the refresh is what makes the first one's commit visible to it)."""
    lock_for_update(ProductSheet, sheet.id)
    db.session.refresh(sheet)


class NotEditable(SheetError):
    """The sheet is sent for review (or approved): nothing typed is saved until it is editable again."""


def empty_content() -> dict:
    return {
        **{key: "" for key in QUESTIONS},
        "indicators": [{"name": "", "baseline": "", "target": ""} for _ in range(INDICATOR_COUNT)],
        "milestones": [{"title": "", "due_on": "", "priority": ""} for _ in range(MILESTONE_COUNT)],
        "usertypes": [],
        "thematiques": "",
    }


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_content(values: dict, today: date | None = None) -> dict:
    """Keep known keys only, cut texts to their limits. A milestone date that is not a real, plausible
    YYYY-MM-DD date is refused (SheetError), never stored as typed."""
    today = today or to_paris(utcnow()).date()
    content = empty_content()
    for key, question in QUESTIONS.items():
        # A browser sends a textarea's lines as \r\n: stored as \n, an unchanged answer saves as it was.
        text = normalise_newlines(str(values.get(key) or "")).strip()[:question.limit]
        if question.urls:
            addresses, problem = web_addresses(text)
            if problem:
                raise SheetError(_("%(question)s : %(message)s", question=question.label, message=problem))
            text = "\n".join(addresses)
        content[key] = text
    for index, row in enumerate((values.get("indicators") or [])[:INDICATOR_COUNT]):
        content["indicators"][index] = {k: (row.get(k) or "").strip()[:200] for k in ("name", "baseline", "target")}
    for index, row in enumerate((values.get("milestones") or [])[:MILESTONE_COUNT]):
        priority = str(row.get("priority") or "")
        try:
            due_on = milestone_due_on((row.get("due_on") or "").strip(), today)
        except ValueError as error:
            raise SheetError(_("Jalon %(n)s : %(message)s", n=index + 1, message=error)) from None
        # Stored as YYYY-MM-DD, however it was typed: what a date picker shows and pages format (« 15 mars 2027 »).
        content["milestones"][index] = {"title": (row.get("title") or "").strip()[:200],
                                        "due_on": due_on.isoformat() if due_on else "",
                                        "priority": priority if priority in PRIORITIES else ""}
    content["usertypes"] = [u for u in values.get("usertypes") or [] if u in USERTYPES]
    content["thematiques"] = (values.get("thematiques") or "").strip()[:300]
    return content


def create_sheet(owner, *, enrolment_id: int | None = None, application_id: int | None = None,
                 now: datetime | None = None) -> ProductSheet:
    now = now or utcnow()
    if enrolment_id is not None and queries.sheet_for_enrolment(enrolment_id, owner.id) is not None:
        raise SheetError(_("Vous avez déjà une fiche produit pour cette session du MOOC : complétez-la plutôt."))
    sheet = ProductSheet(owner_id=owner.id, state=SheetState.DRAFT, enrolment_id=enrolment_id,
                         application_id=application_id, current_version=0)
    db.session.add(sheet)
    db.session.flush()
    save_version(sheet, author=owner, content=empty_content(), base_version=0, now=now)
    return sheet


def save_version(sheet: ProductSheet, *, author, content: dict, base_version: int, now: datetime | None = None,
                 kind: SaveKind = SaveKind.MANUAL, restored_from: int | None = None) -> SheetVersion:
    """Save a new version if `base_version` is still the latest; else raise StaleVersion (both texts kept).
    `kind` says how (the button, the autosave, a restore): the version history shows it.

    The conditional UPDATE makes the check and the bump one atomic step, also across two devices.
    """
    now = now or utcnow()
    content = clean_content(content, to_paris(now).date())
    bumped = db.session.execute(
        sa.update(ProductSheet)
        .where(ProductSheet.id == sheet.id, ProductSheet.current_version == base_version)
        .values(current_version=base_version + 1, title=content["name"][:200], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:
        db.session.refresh(sheet)
        raise StaleVersion(queries.get_version(sheet, sheet.current_version))
    version = SheetVersion(sheet_id=sheet.id, number=base_version + 1, content=content, author_id=author.id, saved_at=now,
                           kind=kind, restored_from=restored_from)
    db.session.add(version)
    db.session.flush()
    db.session.refresh(sheet)
    if sheet.enrolment_id is not None:  # the course outline ticks the answered parts: tell it, emptied ones too
        record_sheet_parts(sheet.enrolment_id, answered=answered_sequences(content), now=now)
    return version


def answered_sequences(content: dict) -> set[int]:
    return {part.sequence for part in PARTS if part.is_answered(content)}


def save_part(sheet: ProductSheet, *, author, part: Part, answers: dict, base_version: int,
              now: datetime | None = None, kind: SaveKind = SaveKind.MANUAL) -> SheetVersion:
    """Save one part's answers: a new version of the whole content, the other parts as they were in the
    version the page was loaded from (`base_version`), under the same check as any save (StaleVersion)."""
    base = queries.get_version(sheet, base_version)
    if base is None:
        db.session.refresh(sheet)
        raise StaleVersion(queries.get_version(sheet, sheet.current_version))
    content = {**base.content, **{question.key: answers.get(question.key) or "" for question in part.questions}}
    return save_version(sheet, author=author, content=content, base_version=base_version, now=now, kind=kind)


def answer_part(enrolment: Enrolment, *, owner, part: Part, answers: dict, base_version: int,
                now: datetime | None = None, kind: SaveKind = SaveKind.MANUAL) -> SheetVersion | None:
    """A part answered at the end of its sequence goes into the learner's one fiche produit for this
    enrolment, created with the first answer (None: no sheet yet and nothing typed, nothing to keep). A
    page shown before the sheet existed says base_version 0: if the sheet was created meanwhile (another
    tab), that is a conflict like any other."""
    now = now or utcnow()
    sheet = queries.sheet_for_enrolment(enrolment.id, owner.id)
    if sheet is None:
        if not any((answers.get(question.key) or "").strip() for question in part.questions):
            return None
        lock_for_update(Enrolment, enrolment.id)  # two first answers at once: one sheet
        sheet = queries.sheet_for_enrolment(enrolment.id, owner.id)
        if sheet is None:
            sheet = create_sheet(owner, enrolment_id=enrolment.id, now=now)
            if base_version == 0:
                base_version = sheet.current_version
    if not sheet.can_edit(owner):
        raise NotEditable(_("Votre fiche produit est envoyée en relecture ou validée : elle n’est plus modifiable."))
    return save_part(sheet, author=owner, part=part, answers=answers, base_version=base_version, now=now, kind=kind)


def _move(sheet: ProductSheet, target: SheetState, *, actor, reason: str = "", now: datetime) -> None:
    with db.session.no_autoflush:
        transition(sheet, SHEET_TRANSITIONS, target, actor=actor, reason=reason, now=now)
        if target != SheetState.IN_REVIEW:
            sheet.claimed_by_id = None
            sheet.claimed_at = None
    db.session.flush()
    if sheet.enrolment_id is not None:  # the course may require the sheet as its last step: tell it
        record_sheet_sent(sheet.enrolment_id, sent=queries.enrolment_has_sent_sheet(sheet.enrolment_id), now=now)


def submit_sheet(sheet: ProductSheet, *, actor, now: datetime | None = None) -> bool:
    """Send for review. Idempotent: False if already sent (the sheet is locked first, so two clicks queue and
    the second one sees the first one's result)."""
    now = now or utcnow()
    _lock(sheet)
    if sheet.state in (SheetState.SUBMITTED, SheetState.IN_REVIEW, SheetState.SECOND_REVIEW, SheetState.APPROVED):
        return False
    problems = sending_problems(queries.get_version(sheet, sheet.current_version).content)
    if problems:
        raise SheetError(" ".join(problems))
    _move(sheet, SheetState.SUBMITTED, actor=actor, now=now)
    sheet.submitted_at = now
    # A new round once the current one has a review; sent again after a withdrawal nobody reviewed: same round.
    if sheet.review_round == 0 or queries.reviews_in_round(sheet, sheet.review_round):
        sheet.review_round += 1
    emails.queue_submitted(sheet)
    return True


def sending_problems(content: dict) -> list[str]:
    """Everything that stops a fiche from being sent, all at once: the learner fixes them in one go instead
    of meeting them one after the other."""
    problems = []
    if not content["name"]:
        problems.append(_("Donnez un nom à votre produit avant d’envoyer la fiche."))
    # Always, whether or not the run requires the sheet: a fiche produit is its five parts, and a reviewer
    # comments on each; a part left empty would cost a review round for nothing.
    missing = [part for part in PARTS if not part.is_answered(content)]
    if missing:
        problems.append(missing_parts_message(missing))
    complete_indicators = [i for i in content["indicators"] if i["name"] and i["baseline"] and i["target"]]
    if len(complete_indicators) < 2:
        problems.append(_("Donnez au moins deux indicateurs d’impact, chacun avec sa valeur de départ et sa cible à 6 mois."))
    if not any(m["title"] and m["due_on"] for m in content["milestones"]):
        problems.append(_("Ajoutez au moins un jalon daté à la feuille de route."))
    return problems


def missing_parts_message(missing: list[Part]) -> str:
    if len(missing) == 1:
        return _("Répondez à toutes les questions de la partie « %(part)s » avant d’envoyer la fiche.", part=missing[0].label)
    return _("Répondez à toutes les questions de ces parties avant d’envoyer la fiche : %(parts)s.",
             parts=" ; ".join(f"« {part.label} »" for part in missing))


def withdraw_sheet(sheet: ProductSheet, *, actor, now: datetime | None = None) -> None:
    """Back to a draft. A second click, once the first one has moved it, is an InvalidTransition."""
    _lock(sheet)
    _move(sheet, SheetState.DRAFT, actor=actor, reason=_("Retirée par son auteur·e."), now=now or utcnow())
    emails.queue_state_changed(sheet)


ALREADY_REVIEWED_ROUND = _l("Vous avez déjà relu cette fiche pour ce tour : le second avis revient à une autre "
                            "formatrice ou un autre formateur.")
THIRD_OPINION_REFUSED = _l("Un second avis a déjà été demandé pour ce tour : votre relecture décide. Choisissez "
                           "de demander des modifications ou de valider.")


def claim_sheet(sheet: ProductSheet, *, reviewer, now: datetime | None = None) -> None:
    """A trainer takes the sheet for review (or for the second opinion asked in its round); others see who.
    Refused if someone else has it, and a second opinion to the trainer who asked for it. Her own second click
    (the sheet locked and re-read first) finds the sheet hers: nothing to do, no error."""
    now = now or utcnow()
    _lock(sheet)
    if reviewer.id == sheet.owner_id:
        raise SheetError(_("Vous ne pouvez pas relire votre propre fiche : une autre personne de l’équipe s’en chargera."))
    if sheet.state == SheetState.IN_REVIEW:
        if sheet.claimed_by_id == reviewer.id:
            return
        raise SheetError(_("%(name)s relit déjà cette fiche.", name=sheet.claimed_by.full_name))
    current = SheetState.SECOND_REVIEW if sheet.state == SheetState.SECOND_REVIEW else SheetState.SUBMITTED
    if current == SheetState.SECOND_REVIEW and _has_reviewed_round(sheet, reviewer):
        raise SheetError(ALREADY_REVIEWED_ROUND)
    # One conditional UPDATE, guarded by the table first: of two trainers pressing « Prendre » at once, one
    # takes the sheet and the move is recorded once.
    claimed = transition_once(sheet, SHEET_TRANSITIONS, current, SheetState.IN_REVIEW, actor=reviewer,
                              now=now, values={"claimed_by_id": reviewer.id, "claimed_at": now})
    if claimed is None:
        raise SheetError(_("Cette fiche vient d’être prise en relecture par quelqu’un d’autre."))
    db.session.flush()
    emails.queue_state_changed(sheet)


def _has_reviewed_round(sheet: ProductSheet, reviewer) -> bool:
    return any(review.reviewer_id == reviewer.id for review in queries.reviews_in_round(sheet, sheet.review_round))


def _not_yours_to_review(sheet: ProductSheet) -> str:
    """Why a review cannot be sent now: often a second tab, or a colleague, got there first. The form keeps
    what was typed."""
    if sheet.state == SheetState.SUBMITTED:
        return _("Prenez d’abord la fiche en relecture.")
    if sheet.state == SheetState.IN_REVIEW:
        return _("Cette fiche est en relecture par %(name)s : votre relecture n’a pas été envoyée.",
                 name=sheet.claimed_by.full_name)
    if sheet.state in (SheetState.CHANGES_REQUESTED, SheetState.APPROVED):
        return _("Cette fiche vient d’être relue (« %(state)s ») : votre relecture n’a pas été envoyée.",
                 state=sheet.state_label)
    return _("Cette fiche n’est plus en relecture (« %(state)s ») : votre relecture n’a pas été envoyée.",
             state=sheet.state_label)


def review_sheet(sheet: ProductSheet, *, reviewer, verdict: SheetState, overall_comment: str,
                 section_comments: dict, scores: dict, second_opinion_reason: str = "",
                 now: datetime | None = None) -> SheetReview:
    """The reviewer's verdict, or (first review of the round only) her review with a second opinion asked for,
    and why: the sheet then waits for another trainer, whose review decides. The sheet is locked and re-read
    first: a second click finds the review done (the sheet no longer hers in review) and is refused, so one
    review is recorded."""
    now = now or utcnow()
    _lock(sheet)
    if reviewer.id == sheet.owner_id:
        raise SheetError(_("Vous ne pouvez pas relire votre propre fiche : une autre personne de l’équipe s’en chargera."))
    if sheet.state == SheetState.SECOND_REVIEW and _has_reviewed_round(sheet, reviewer):
        # Her own review asked for the second opinion (a tab left open): say whose it is, not « no longer in review ».
        raise SheetError(ALREADY_REVIEWED_ROUND)
    if sheet.state != SheetState.IN_REVIEW or sheet.claimed_by_id != reviewer.id:
        raise SheetError(_not_yours_to_review(sheet))
    if verdict not in (SheetState.CHANGES_REQUESTED, SheetState.APPROVED, SheetState.SECOND_REVIEW):
        raise SheetError(_("Choisissez : demander des modifications, valider, ou demander un second avis."))
    earlier = queries.reviews_in_round(sheet, sheet.review_round)
    if any(review.reviewer_id == reviewer.id for review in earlier):
        raise SheetError(ALREADY_REVIEWED_ROUND)
    reason = second_opinion_reason.strip()
    if verdict == SheetState.SECOND_REVIEW:
        if earlier:
            raise SheetError(THIRD_OPINION_REFUSED)
        if not reason:
            raise SheetError(_("Dites à vos collègues pourquoi vous demandez un second avis."))
    # Scores are levels of the rubric: anything else (a crafted 9) is not kept.
    kept_scores = {k: int(v) for k, v in scores.items() if k in GRID and str(v).isdigit() and int(v) in SCORE_LEVELS}
    review = SheetReview(
        sheet_id=sheet.id, reviewer_id=reviewer.id, version_number=sheet.current_version, verdict=verdict,
        overall_comment=overall_comment.strip(), round=max(sheet.review_round, 1),
        section_comments={k: v.strip() for k, v in section_comments.items() if k in COMMENT_TARGETS and v and v.strip()},
        scores=kept_scores, created_at=now,
    )
    db.session.add(review)
    if verdict == SheetState.SECOND_REVIEW:
        _move(sheet, verdict, actor=reviewer, reason=reason[:500], now=now)
        emails.queue_second_opinion(sheet, reviewer=reviewer, reason=reason)
        db.session.flush()
        return review
    _move(sheet, verdict, actor=reviewer, reason=overall_comment.strip()[:500], now=now)
    if verdict == SheetState.APPROVED:
        sheet.approved_at = now
        create_milestones(sheet)
    emails.queue_reviewed(sheet, review)
    db.session.flush()
    return review


# --- After approval: roadmap follow-up ---------------------------------------------------------------------


def parse_date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def create_milestones(sheet: ProductSheet) -> None:
    """The approved version's roadmap becomes milestones the learner updates for six months."""
    content = queries.get_version(sheet, sheet.current_version).content
    for position, milestone in enumerate((m for m in content["milestones"] if m["title"]), start=1):
        db.session.add(SheetMilestone(sheet_id=sheet.id, position=position, title=milestone["title"],
                                      due_on=parse_date(milestone["due_on"]), status=MilestoneStatus.TODO))
    db.session.flush()


def _check_past_date(value, now: datetime) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise SheetError(_("Saisissez une date réelle, par exemple 15/03/2027."))
    problem = past_date_problem(value, to_paris(now).date())
    if problem:
        raise SheetError(problem)


def update_roadmap(sheet: ProductSheet, *, actor, statuses: dict, launched_on: date | None = None,
                   now: datetime | None = None) -> None:
    """`launched_on` is a date (not in the future) or None; anything else is refused, nothing changed."""
    now = now or utcnow()
    if launched_on is not None:
        _check_past_date(launched_on, now)
    for milestone in queries.milestones_of(sheet):
        status = statuses.get(milestone.id)
        if status in set(MilestoneStatus) and status != milestone.status:
            milestone.status = status
            milestone.done_on = now.date() if status == MilestoneStatus.DONE else None
    sheet.launched_on = launched_on
    db.session.flush()


def record_measure(sheet: ProductSheet, *, actor, indicator: str, value: str, measured_on: date,
                   now: datetime | None = None) -> IndicatorMeasure:
    """A measured value, dated between 2000 and today: a measure cannot come from the future."""
    now = now or utcnow()
    _check_past_date(measured_on, now)
    names = [i["name"] for i in queries.get_version(sheet, sheet.current_version).content["indicators"] if i["name"]]
    if indicator not in names:
        raise SheetError(_("Choisissez un des indicateurs de la fiche."))
    measure = IndicatorMeasure(sheet_id=sheet.id, indicator=indicator, value=value.strip()[:100], measured_on=measured_on,
                               created_at=now)
    db.session.add(measure)
    db.session.flush()
    return measure


def send_roadmap_reminders(now: datetime | None = None) -> int:
    """+1, +3 and +6 months after approval: one reminder each, never twice (cron-safe)."""
    now = now or utcnow()
    sent = 0
    for sheet in queries.approved_sheets():
        due = sum(1 for months in ROADMAP_REMINDER_MONTHS if now >= _add_months(sheet.approved_at, months))
        if due > sheet.roadmap_reminders_sent:
            sheet.roadmap_reminders_sent = due
            emails.queue_roadmap_reminder(sheet, ROADMAP_REMINDER_MONTHS[due - 1])
            sent += 1
    db.session.flush()
    return sent


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return moment.replace(year=year, month=month, day=day)


def remind_waiting_sheets(now: datetime | None = None) -> int:
    """Tell trainers about sheets waiting for a review, or for a second opinion, more than 48 h (once per wait)."""
    from datetime import timedelta

    now = now or utcnow()
    limit = now - timedelta(hours=48)
    waiting = queries.sheets_waiting_since(limit)
    second = queries.sheets_awaiting_second_opinion_since(limit)
    if waiting or second:
        emails.queue_waiting_reminder(waiting, second)
        for sheet in waiting + [sheet for sheet, _review in second]:
            sheet.reminder_sent_at = now
        db.session.flush()
    return len(waiting) + len(second)


def release_sheet(sheet: ProductSheet, *, reviewer, now: datetime | None = None) -> None:
    """The reviewer hands the sheet back to the queue so that another trainer can take it: to wait for a
    review, or for the second opinion if one was asked in this round. A second click (the sheet locked and
    re-read first) finds it no longer hers and is refused."""
    _lock(sheet)
    if sheet.claimed_by_id != reviewer.id:
        raise SheetError(_("Seule la personne qui relit la fiche peut la rendre."))
    target = SheetState.SECOND_REVIEW if queries.reviews_in_round(sheet, sheet.review_round) else SheetState.SUBMITTED
    _move(sheet, target, actor=reviewer, reason=_("Rendue à la file de relecture."), now=now or utcnow())
    emails.queue_state_changed(sheet)


# --- Version history --------------------------------------------------------------------------------------


def restore_version(sheet: ProductSheet, *, actor, number: int, base_version: int,
                    now: datetime | None = None) -> SheetVersion:
    """An earlier version comes back as a new version (nothing is lost: the versions in between stay), on
    the timeline with who restored which. `base_version` is the latest version the page showed: a save since
    (another tab) is a StaleVersion, except the same restore sent twice (a double click), which finds it done."""
    now = now or utcnow()
    _lock(sheet)
    if not sheet.can_restore(actor):
        raise NotEditable(_("Cette fiche n’est pas modifiable en ce moment (envoyée en relecture ou validée) : "
                            "aucune version n’a été restaurée."))
    earlier = queries.get_version(sheet, number)
    if earlier is None:
        raise SheetError(_("Cette version n’existe pas."))
    latest = queries.get_version(sheet, sheet.current_version)
    if (latest.number == base_version + 1 and latest.kind == SaveKind.RESTORE and latest.restored_from == number
            and latest.author_id == actor.id):
        return latest  # the same restore, sent twice
    if number == sheet.current_version:
        raise SheetError(_("C’est déjà la version actuelle : rien à restaurer."))
    version = save_version(sheet, author=actor, content=earlier.content, base_version=base_version, now=now,
                           kind=SaveKind.RESTORE, restored_from=number)
    record_action(sheet, actor=actor, now=now,
                  reason=_("Version %(old)s restaurée : elle devient la version %(new)s.", old=number, new=version.number))
    return version


# --- Comments on the follow-up ---------------------------------------------------------------------------


def comment_follow_up(sheet: ProductSheet, *, author, target: str, body: str,
                      now: datetime | None = None) -> SheetFollowUpComment:
    """A trainer's comment on one milestone (`target` « jalon-<id> ») or one indicator (« indicateur-<n> »,
    its position in the approved version) of the sheet's roadmap."""
    now = now or utcnow()
    if not sheet.can_review(author):
        raise SheetError(_("Vous ne pouvez pas commenter votre propre feuille de route."))
    text = (body or "").strip()
    if not text:
        raise SheetError(_("Écrivez votre commentaire."))
    kind, _sep, value = (target or "").partition("-")
    milestone_id, indicator = None, None
    if kind == "jalon" and value.isdigit():
        milestone = db.session.get(SheetMilestone, int(value))
        milestone_id = milestone.id if milestone is not None and milestone.sheet_id == sheet.id else None
    elif kind == "indicateur" and value.isdigit():
        names = [i["name"] for i in queries.get_version(sheet, sheet.current_version).content["indicators"]]
        indicator = names[int(value)] if int(value) < len(names) and names[int(value)] else None
    if milestone_id is None and indicator is None:
        raise SheetError(_("Choisissez un jalon ou un indicateur de cette feuille de route."))
    comment = SheetFollowUpComment(sheet_id=sheet.id, milestone_id=milestone_id, indicator=indicator,
                                   author_id=author.id, body=text[:2000], created_at=now)
    db.session.add(comment)
    db.session.flush()
    emails.queue_follow_up_comment(sheet, comment)
    return comment
