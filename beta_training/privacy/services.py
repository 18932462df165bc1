"""Erasure of an account and the retention rules. Plain functions: the acting user and values come in as
arguments; the caller commits (one erasure is one transaction).

What an erasure does (the « zone de danger » page and /donnees-personnelles say the same):
- the account goes, and with it (foreign keys ON DELETE CASCADE) roles, sign-in events, MOOC enrolments and
  their progress, quiz attempts, attestations, forum subscriptions, preferences, read marks, drafts,
  notifications and reports, the alumni profile and one-time form keys;
- Alpha applications stay for statistics, anonymised: no account, names, structure, job and every free-text
  answer cleared; kept: the session, state and dates, type of administration, département, situation, the
  reviewers' scores (their comments cleared) and the timeline (its reasons cleared). Drafts are deleted; an
  application still open (submitted, waiting list, seat offered or confirmed) is withdrawn first, which frees
  the seat for the waiting list as a withdrawal always does; the scores a former trainer gave other candidates
  stay, their reviewer emptied (ON DELETE SET NULL);
- dossiers of appels à intrapreneurs are deleted with their evaluations and their timeline; the evaluations a
  former trainer wrote of others' dossiers stay, their reviewer emptied;
- products: her place in their teams goes; the products, their comité files and decisions stay, her name and
  address removed from them; the comité notes a former trainer gave stay, signed « Ancien·ne formateur·rice »
  (a decided comité's averages do not change after the fact); the indicator values she recorded stay, unsigned;
- fiches produit are deleted, or, if she chooses, kept for the trainers without an owner, her name and address
  removed from every version, review, milestone and measure;
- forum posts stay, shown « Ancien·ne participant·e »; her name, her @mention and her address are removed from
  every post, revision, thread title and moderation text (her first and last names on their own too, in the
  threads she wrote in);
- emails to her address, and emails naming her, leave the outbox; the confirmation of the erasure is the one
  exception, written last, and its row is deleted once sent (core.mail: erase_after_delivery);
- a PrivacyAction records that an erasure took place: date, origin, admin, counts — no personal data.
"""

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from beta_training.accounts import proconnect
from beta_training.accounts.models import RetentionWarning, Role, SignInEvent, User, UserRole
from beta_training.accounts.services import check_password
from beta_training.calls.models import CallJuror, Dossier
from beta_training.cohorts import services as cohort_services
from beta_training.cohorts.models import (
    APPLICATION_TRANSITIONS,
    ApplicationReview,
    ApplicationState,
    CohortApplication,
)
from beta_training.core.db import earlier_submission, lock_for_update
from beta_training.core.mail import queue_email
from beta_training.core.models import FormSubmission, OutboxMessage, OutboxState, StateChange, to_paris, utcnow
from beta_training.courses import services as course_services
from beta_training.courses.models import CourseInvitation, CourseRun
from beta_training.extensions import db
from beta_training.forum import services as forum_services
from beta_training.forum.models import ForumDraft, ForumPost, ForumPostRevision, ForumReport, ForumThread
from beta_training.privacy.models import Origin, PrivacyAction, PrivacyActionKind
from beta_training.products.models import (
    Committee,
    CommitteeScore,
    Product,
    ProductIndicator,
    ProductMember,
    ProductMilestone,
    ProductPhasePeriod,
)
from beta_training.sheets import services as sheet_services
from beta_training.sheets.models import (
    IndicatorMeasure,
    ProductSheet,
    SheetFollowUpComment,
    SheetMilestone,
    SheetReview,
    SheetVersion,
)
FORMER_PARTICIPANT = "Ancien·ne participant·e"
REMOVED_ADDRESS = "[adresse supprimée]"
DE_FORMER_PARTICIPANT = re.compile(r"\b([Dd])e " + re.escape(FORMER_PARTICIPANT))


class ErasureRefused(Exception):
    """The erasure cannot be done; the message is safe to show."""


def can_erase(user: User) -> bool:
    """Accounts holding a role (trainers, course leads, admins) are not erased, by themselves or by the
    retention job: their reviews and decisions about others are records of the service. An admin first
    revokes the roles (recorded), then the account can go."""
    return not user.roles


# How long an identity confirmed through ProConnect stays good for an erasure.
PROCONNECT_CONFIRMATION_WINDOW = proconnect.RECENT_AUTHENTICATION


def reauthenticated(user: User, password: str | None = None, *, proconnect_confirmed_at: datetime | None = None,
                    now: datetime | None = None) -> bool:
    """Whether the person at the keyboard proved she holds the account. Password accounts re-type the password;
    an account without one (ProConnect) has just confirmed her identity through ProConnect (a round trip that
    came back with the account's identity, `proconnect_confirmed_at`)."""
    if user.has_password:
        return check_password(user, password or "")
    now = now or utcnow()
    return proconnect_confirmed_at is not None and now - proconnect_confirmed_at <= PROCONNECT_CONFIRMATION_WINDOW


# --- Personal strings ------------------------------------------------------------------------------------


class Scrubber:
    """Finds and removes one person's identifying strings from free text."""

    def __init__(self, user: User):
        self.email = user.email
        self.full_names = {n for n in (user.full_name, f"{user.last_name} {user.first_name}".strip()) if n.strip()}
        self.handle = forum_services.handle(user)
        self.words = {w for w in (user.first_name.strip(), user.last_name.strip()) if len(w) >= 2}
        strict = [re.escape(self.email)] + [re.escape(n) for n in sorted(self.full_names, key=len, reverse=True)]
        self._strict = re.compile("|".join(strict), re.IGNORECASE)
        self._mention = re.compile(rf"@{re.escape(self.handle)}\b", re.IGNORECASE) if self.handle else None
        self._words = (re.compile(r"\b(" + "|".join(re.escape(w) for w in self.words) + r")\b", re.IGNORECASE)
                       if self.words else None)

    def like_patterns(self, loose: bool = False) -> list[str]:
        """What a SQL prefilter looks for (LIKE, case-sensitive on PostgreSQL: lower() on both sides)."""
        needles = [self.email, *self.full_names] + ([f"@{self.handle}"] if self.handle else [])
        if loose:
            needles += list(self.words)
        return [f"%{needle.lower()}%" for needle in needles]

    def text(self, value: str, loose: bool = False) -> str:
        """`value` without her address, full name and @mention; with `loose`, her first and last names on their
        own too (where they surely mean her: her own texts, the threads she wrote in)."""
        if not value:
            return value
        value = self._strict.sub(lambda m: REMOVED_ADDRESS if "@" in m.group(0) else FORMER_PARTICIPANT, value)
        if self._mention is not None:
            value = self._mention.sub(FORMER_PARTICIPANT, value)
        if loose and self._words is not None:
            value = self._words.sub(FORMER_PARTICIPANT, value)
        # « Question de Agnès » became « Question de Ancien·ne participant·e »: French elides « de » before it.
        return DE_FORMER_PARTICIPANT.sub(r"\1’" + FORMER_PARTICIPANT, value)

    def json(self, value, loose: bool = True):
        if isinstance(value, str):
            return self.text(value, loose)
        if isinstance(value, list):
            return [self.json(v, loose) for v in value]
        if isinstance(value, dict):
            return {k: self.json(v, loose) for k, v in value.items()}
        return value


def _mentioning(column, scrubber: Scrubber, loose: bool = False):
    return sa.or_(*(sa.func.lower(column).like(p) for p in scrubber.like_patterns(loose)))


def _scrub_rows(model, columns: tuple, scrubber: Scrubber, *where, loose: bool = False) -> int:
    """Scrub text `columns` of the rows of `model` that mention her (all rows matching `where`)."""
    query = sa.select(model).where(*where, sa.or_(*(_mentioning(getattr(model, c), scrubber, loose) for c in columns)))
    changed = 0
    for row in db.session.scalars(query).unique().all():
        for column in columns:
            before = getattr(row, column)
            after = scrubber.text(before, loose)
            if after != before:
                setattr(row, column, after)
                changed += 1
    return changed


# --- Erasure -----------------------------------------------------------------------------------------------


def erase_account(user: User, *, origin: Origin, actor: User | None = None, reason: str = "",
                  keep_sheets: bool = False, submission_key: str | None = None,
                  inactive_before: datetime | None = None, now: datetime | None = None) -> PrivacyAction | None:
    """Erase `user`'s account as the module docstring says. Returns the erasure's record, or None if the
    account was already gone (a second click, the job and a person at once) or, with `inactive_before`
    (the retention job), if she signed in meanwhile. Raises ErasureRefused for an account holding a role."""
    now = now or utcnow()
    user_id = user.id
    lock_for_update(User, user_id)  # a second click waits here, then finds the account gone
    user = db.session.get(User, user_id, populate_existing=True)
    if user is None:
        return None
    if inactive_before is not None and (user.last_seen_at >= inactive_before or _warning(user_id) is None):
        return None
    if not can_erase(user):
        raise ErasureRefused(_("Ce compte a un rôle (formation, administration) : retirez d’abord ses rôles."))
    scrubber = Scrubber(user)
    email = user.email
    counts = {"applications_anonymised": 0, "applications_deleted": 0, "sheets_deleted": 0, "sheets_kept": 0,
              "forum_posts_kept": 0, "forum_texts_cleaned": 0, "emails_deleted": 0}

    # Alpha applications: withdrawn if still open, then anonymised (drafts deleted).
    applications = db.session.scalars(sa.select(CohortApplication).where(CohortApplication.user_id == user_id)).all()
    for application in applications:
        if application.state == ApplicationState.DRAFT:
            db.session.delete(application)
            counts["applications_deleted"] += 1
            continue
        # Still to come: the seat goes back to the waiting list, as any withdrawal does. A session already
        # held keeps its record as it was (attendance counts in the statistics).
        upcoming = application.cohort.ends_on >= to_paris(now).date()
        if upcoming and ApplicationState.WITHDRAWN in APPLICATION_TRANSITIONS[ApplicationState(application.state)]:
            cohort_services.withdraw_application(application, actor=user, reason="", now=now)
        _anonymise_application(application, now)
        counts["applications_anonymised"] += 1

    # Fiches produit of others she had taken for review (a former trainer): back to the queue for another one,
    # as if she had handed them back (an « en relecture » fiche always has its reviewer).
    for claimed in db.session.scalars(sa.select(ProductSheet).where(ProductSheet.claimed_by_id == user_id)).unique():
        sheet_services.release_sheet(claimed, reviewer=user, now=now)

    # Fiches produit: deleted, or kept without owner and without her name.
    sheets = db.session.scalars(sa.select(ProductSheet).where(ProductSheet.owner_id == user_id)).unique().all()
    for sheet in sheets:
        if keep_sheets:
            _anonymise_sheet(sheet, scrubber, now)
            counts["sheets_kept"] += 1
        else:
            db.session.execute(sa.delete(ProductSheet).where(ProductSheet.id == sheet.id))
            counts["sheets_deleted"] += 1
    db.session.flush()

    # Appels à intrapreneurs: her dossiers go with the account (ON DELETE CASCADE, their evaluations with them);
    # their timelines would outlive them, pointing at nothing (or, once a number is reused, at someone else's).
    db.session.execute(sa.delete(StateChange).where(
        StateChange.subject_type == Dossier.__tablename__,
        StateChange.subject_id.in_(sa.select(Dossier.id).where(Dossier.owner_id == user_id)))
        .execution_options(synchronize_session=False))

    # Juries: a seat held by her account goes with it (ON DELETE CASCADE); an invitation to her address she never
    # took up would outlive it, her address in it.
    db.session.execute(sa.delete(CallJuror).where(CallJuror.email == user.email.lower())
                       .execution_options(synchronize_session=False))

    # Products: her place in their teams goes with the account (ON DELETE CASCADE); the products, their comité
    # files and decisions stay (the incubator's record), her name and address out of them.
    _scrub_products(user_id, scrubber)

    # Forum: posts stay (author set to nobody by the foreign key); her name and mentions leave every text.
    counts["forum_posts_kept"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(ForumPost).where(ForumPost.author_id == user_id))
    counts["forum_texts_cleaned"] = _scrub_forum(user_id, scrubber)

    # Other free texts that may name her: moderation and timeline reasons, reports, privacy records.
    _scrub_rows(StateChange, ("reason",), scrubber)
    _scrub_rows(ForumReport, ("reason",), scrubber)
    _scrub_rows(PrivacyAction, ("reason",), scrubber)
    db.session.execute(sa.delete(CourseInvitation).where(sa.func.lower(CourseInvitation.email) == email.lower()))

    # The outbox: every email to her, and every email naming her.
    counts["emails_deleted"] = db.session.execute(sa.delete(OutboxMessage).where(sa.or_(
        sa.func.lower(OutboxMessage.recipient) == email.lower(),
        _mentioning(OutboxMessage.subject, scrubber), _mentioning(OutboxMessage.text_body, scrubber),
        _mentioning(OutboxMessage.html_body, scrubber),
    )).execution_options(synchronize_session=False)).rowcount

    record = PrivacyAction(kind=PrivacyActionKind.ERASURE, origin=Origin(origin),
                           actor_id=actor.id if actor is not None and origin == Origin.ADMIN else None,
                           reason=scrubber.text(reason.strip(), loose=True), counts=counts,
                           submission_key=submission_key, created_at=now)
    db.session.add(record)
    # Her last email, to the address about to go; its row goes once sent.
    queue_email(email, _("Votre compte a été supprimé"), "privacy/erased", erase_after_delivery=True,
                origin=Origin(origin), counts=counts, keep_sheets=keep_sheets)
    course_services.learner_leaves_dashboards(user_id)  # her enrolments go with the account: no longer counted
    db.session.delete(user)
    db.session.flush()
    return record


def _anonymise_application(application: CohortApplication, now: datetime) -> None:
    application.user_id = None
    for field in ("first_name", "last_name", "administration", "job_title", "product_name", "problem", "solution",
                  "first_users", "motivation", "needs", "rejection_reason"):
        setattr(application, field, "")
    application.anonymised_at = now
    db.session.execute(sa.update(ApplicationReview).where(ApplicationReview.application_id == application.id)
                       .values(comment=""))
    db.session.execute(sa.update(StateChange).where(StateChange.subject_type == CohortApplication.__tablename__,
                                                    StateChange.subject_id == application.id).values(reason=""))


def _anonymise_sheet(sheet: ProductSheet, scrubber: Scrubber, now: datetime) -> None:
    sheet.owner_id = None  # no owner: kept, anonymised (ProductSheet.owner_name)
    sheet.title = scrubber.text(sheet.title, loose=True)
    for version in db.session.scalars(sa.select(SheetVersion).where(SheetVersion.sheet_id == sheet.id)):
        version.content = scrubber.json(version.content)
    for review in db.session.scalars(sa.select(SheetReview).where(SheetReview.sheet_id == sheet.id)):
        review.overall_comment = scrubber.text(review.overall_comment, loose=True)
        review.section_comments = scrubber.json(review.section_comments)
    _scrub_rows(SheetMilestone, ("title",), scrubber, SheetMilestone.sheet_id == sheet.id, loose=True)
    _scrub_rows(IndicatorMeasure, ("indicator", "value"), scrubber, IndicatorMeasure.sheet_id == sheet.id, loose=True)
    _scrub_rows(SheetFollowUpComment, ("indicator", "body"), scrubber, SheetFollowUpComment.sheet_id == sheet.id, loose=True)
    db.session.execute(sa.update(StateChange).where(StateChange.subject_type == ProductSheet.__tablename__,
                                                    StateChange.subject_id == sheet.id).values(reason=""))


def _scrub_products(user_id: int, scrubber: Scrubber) -> None:
    """Her name out of the products whose team she is in: their texts are her team's (her first and last names
    alone surely mean her there, as in her fiches), the team's shared address cleared if it was hers."""
    products = sa.select(ProductMember.product_id).where(ProductMember.user_id == user_id).scalar_subquery()
    committees = sa.select(Committee.id).where(Committee.product_id.in_(products)).scalar_subquery()
    for product in db.session.scalars(sa.select(Product).where(Product.id.in_(products))).unique():
        product.name, product.pitch = scrubber.text(product.name, loose=True), scrubber.text(product.pitch, loose=True)
        if product.contact.strip().lower() == scrubber.email.lower():
            product.contact = ""
    for committee in db.session.scalars(sa.select(Committee).where(Committee.id.in_(committees))).unique():
        for column in ("objectives_reached", "learnings", "team_needs", "decision_reasons"):
            setattr(committee, column, scrubber.text(getattr(committee, column), loose=True))
        committee.priorities = scrubber.json(committee.priorities)
    _scrub_rows(CommitteeScore, ("comment",), scrubber, CommitteeScore.committee_id.in_(committees), loose=True)
    _scrub_rows(ProductMember, ("name", "role"), scrubber, ProductMember.product_id.in_(products), loose=True)
    _scrub_rows(ProductIndicator, ("name",), scrubber, ProductIndicator.product_id.in_(products), loose=True)
    _scrub_rows(ProductMilestone, ("title",), scrubber, ProductMilestone.product_id.in_(products), loose=True)
    _scrub_rows(ProductPhasePeriod, ("reason",), scrubber, ProductPhasePeriod.product_id.in_(products), loose=True)
    _scrub_rows(StateChange, ("reason",), scrubber, sa.or_(
        (StateChange.subject_type == Product.__tablename__) & StateChange.subject_id.in_(products),
        (StateChange.subject_type == Committee.__tablename__) & StateChange.subject_id.in_(committees)), loose=True)


def _scrub_forum(user_id: int, scrubber: Scrubber) -> int:
    """Her name out of the forum: strictly (address, full name, @mention) everywhere; her first and last names
    alone too in the threads she wrote in, where they surely mean her."""
    her_threads = sa.select(ForumPost.thread_id).where(ForumPost.author_id == user_id).scalar_subquery()
    cleaned = 0
    for loose, where in ((True, ForumPost.thread_id.in_(her_threads)), (False, ForumPost.thread_id.not_in(her_threads))):
        posts = db.session.scalars(sa.select(ForumPost).where(where, sa.or_(
            _mentioning(ForumPost.body, scrubber, loose), _mentioning(ForumPost.hidden_reason, scrubber, loose),
            ForumPost.is_opening & ForumPost.thread_id.in_(sa.select(ForumThread.id).where(
                _mentioning(ForumThread.title, scrubber, loose)))))).unique().all()
        for post in posts:
            body = scrubber.text(post.body, loose)
            title = scrubber.text(post.thread.title, loose) if post.is_opening else None
            if body != post.body or (title is not None and title != post.thread.title):
                forum_services.rewrite_post_text(post, body=body, title=title)
                cleaned += 1
            post.hidden_reason = scrubber.text(post.hidden_reason, loose)
        cleaned += _scrub_rows(ForumPostRevision, ("title", "body"), scrubber,
                               ForumPostRevision.post_id.in_(sa.select(ForumPost.id).where(where)), loose=loose)
        cleaned += _scrub_rows(ForumThread, ("title", "state_reason"), scrubber,
                               ForumThread.id.in_(sa.select(ForumPost.thread_id).where(where)), loose=loose)
    return cleaned


def record_admin_export(subject: User, *, actor: User, reason: str, submission_key: str | None = None) -> PrivacyAction:
    """An admin exports someone's data (a request received by mail): who, when, why. The same form sent twice
    records once."""
    earlier = earlier_submission(PrivacyAction, submission_key, lock=(User, subject.id), actor_id=actor.id)
    if earlier is not None:
        return earlier
    record = PrivacyAction(kind=PrivacyActionKind.EXPORT, origin=Origin.ADMIN, subject_id=subject.id,
                           actor_id=actor.id, reason=reason.strip(), submission_key=submission_key)
    db.session.add(record)
    db.session.flush()
    return record


DOWNLOAD_WINDOW = timedelta(hours=1)


def can_download(record: PrivacyAction, *, subject: User, actor: User, now: datetime | None = None) -> bool:
    """The ZIP of an admin's export: for the admin who recorded it, for that person, within the hour."""
    return (record.kind == PrivacyActionKind.EXPORT and record.subject_id == subject.id and record.actor_id == actor.id
            and (now or utcnow()) - record.created_at <= DOWNLOAD_WINDOW)


def erasures_newest_first() -> sa.Select:
    return (sa.select(PrivacyAction).where(PrivacyAction.kind == PrivacyActionKind.ERASURE)
            .order_by(PrivacyAction.created_at.desc(), PrivacyAction.id.desc()))


def can_see_erasures(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_any_role(Role.TRAINER, Role.COURSE_LEAD))


# --- Retention ------------------------------------------------------------------------------------------------


def years_before(moment: datetime, years: int) -> datetime:
    """The same day `years` earlier (28 February for a 29 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def retention_cutoffs(now: datetime) -> tuple[datetime, datetime]:
    """(erase: inactive since before this, warn: inactive since before this)."""
    config = current_app.config
    erase_before = years_before(now, config["RETENTION_INACTIVE_YEARS"])
    return erase_before, erase_before + timedelta(days=config["RETENTION_WARNING_DAYS"])


def _warning(user_id: int) -> RetentionWarning | None:
    return db.session.get(RetentionWarning, user_id, populate_existing=True)


def _inactive_since_before(moment: datetime):
    return sa.func.coalesce(User.last_login_at, User.created_at) < moment


def _without_role():
    return ~sa.exists().where(UserRole.user_id == User.id)


def accounts_to_warn(now: datetime) -> list[int]:
    _erase_before, warn_before = retention_cutoffs(now)
    return db.session.scalars(sa.select(User.id).where(
        _inactive_since_before(warn_before), ~sa.exists().where(RetentionWarning.user_id == User.id), _without_role(),
    ).order_by(User.id)).all()


def warn_of_erasure(user_id: int, now: datetime) -> bool:
    """Write the warning once (the row is locked: two runs at once write one)."""
    lock_for_update(User, user_id)
    user = db.session.get(User, user_id, populate_existing=True)
    _erase_before, warn_before = retention_cutoffs(now)
    if user is None or _warning(user_id) is not None or user.last_seen_at >= warn_before or not can_erase(user):
        return False
    db.session.add(RetentionWarning(user_id=user_id, warned_at=now))
    erase_on = max(now + timedelta(days=current_app.config["RETENTION_WARNING_DAYS"]),
                   _erasure_date(user.last_seen_at))
    queue_email(user.email, _("Votre compte sera supprimé le %(date)s sans nouvelle connexion",
                              date=to_paris(erase_on).strftime("%d/%m/%Y")),
                "privacy/retention_warning", user=user, erase_on=erase_on)
    return True


def _erasure_date(last_seen: datetime) -> datetime:
    years = current_app.config["RETENTION_INACTIVE_YEARS"]
    try:
        return last_seen.replace(year=last_seen.year + years)
    except ValueError:
        return last_seen.replace(year=last_seen.year + years, day=28)


def accounts_to_erase(now: datetime) -> list[int]:
    """Inactive past the limit, and warned at least RETENTION_WARNING_DAYS ago."""
    erase_before, _warn_before = retention_cutoffs(now)
    warned_before = now - timedelta(days=current_app.config["RETENTION_WARNING_DAYS"])
    return db.session.scalars(sa.select(User.id).where(
        _inactive_since_before(erase_before), _without_role(), sa.exists().where(
            RetentionWarning.user_id == User.id, RetentionWarning.warned_at <= warned_before),
    ).order_by(User.id)).all()


def erase_inactive(user_id: int, now: datetime) -> PrivacyAction | None:
    user = db.session.get(User, user_id)
    if user is None:
        return None
    erase_before, _warn_before = retention_cutoffs(now)
    return erase_account(user, origin=Origin.RETENTION, inactive_before=erase_before, now=now)


def purge_expired_records(now: datetime) -> dict:
    """What is kept for a limited time, gone after it (idempotent: a second run finds nothing)."""
    config = current_app.config
    days = lambda name: now - timedelta(days=config[name])  # noqa: E731
    outbox_done = sa.or_(OutboxMessage.state.in_([OutboxState.SENT, OutboxState.FAILED]),
                         OutboxMessage.erase_after_delivery)
    deletions = {
        "sign_in_events": sa.delete(SignInEvent).where(SignInEvent.created_at < days("SIGN_IN_EVENTS_RETENTION_DAYS")),
        "outbox_messages": sa.delete(OutboxMessage).where(
            outbox_done, OutboxMessage.created_at < days("OUTBOX_RETENTION_DAYS")),
        "forum_drafts": sa.delete(ForumDraft).where(ForumDraft.updated_at < days("DRAFTS_RETENTION_DAYS")),
        "form_submissions": sa.delete(FormSubmission).where(FormSubmission.created_at < days("FORM_KEYS_RETENTION_DAYS")),
        "privacy_actions": sa.delete(PrivacyAction).where(
            PrivacyAction.created_at < days("PRIVACY_ACTIONS_RETENTION_DAYS")),
        # An invitation serves until its session's contents close: then it can enrol nobody.
        "course_invitations": sa.delete(CourseInvitation).where(CourseInvitation.run_id.in_(
            sa.select(CourseRun.id).where(CourseRun.access_ends_at < now))),
    }
    return {name: db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
            for name, statement in deletions.items()}


def requests_about(subject: User) -> list[PrivacyAction]:
    """The admins' exports for `subject`, newest first (her erasure, once done, names nobody)."""
    return db.session.scalars(sa.select(PrivacyAction).where(PrivacyAction.subject_id == subject.id)
                              .order_by(PrivacyAction.created_at.desc()).limit(50)).all()
