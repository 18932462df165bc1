"""Write side of the forum. Plain functions: the acting user and values in, rows out; the caller commits."""

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import nh3
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from flask_babel import gettext as _

from beta_training.accounts.models import User
from beta_training.cohorts.models import Cohort
from beta_training.core.db import earlier_submission, lock_for_update
from beta_training.core.markdown import render_markdown
from beta_training.core.models import upsert, utcnow
from beta_training.core.states import InvalidTransition, transition
from beta_training.courses import queries as courses
from beta_training.courses.models import CourseRun
from beta_training.extensions import db
from beta_training.forum import emails, membership, queries, search
from beta_training.forum.membership import is_staff
from beta_training.forum.models import (
    APPROVED,
    DELETED_FROM,
    DELETED_STATES,
    HIDDEN_FROM,
    LISTED_STATES,
    POST_TRANSITIONS,
    REPORT_GONE,
    RESTORED,
    THREAD_TRANSITIONS,
    CategoryKind,
    EmailFrequency,
    Forum,
    ForumCategory,
    ForumDraft,
    ForumKind,
    ForumNotification,
    ForumPost,
    ForumPostRevision,
    ForumPreference,
    ForumReadMark,
    ForumReport,
    ForumSubscription,
    ForumThread,
    NotificationReason,
    PostState,
    ThreadKind,
    ThreadState,
    draft_target,
)

MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9.\-]*[a-z0-9])", re.IGNORECASE)


class ForumError(Exception):
    """A refused operation; the message is safe to show to the user."""


class AlreadyPublished(ForumError):
    """The same words, by the same person, at the same place, a moment ago (a second tab opened before the
    first one published): nothing new is written; `post` is the one already there, to lead her to."""

    def __init__(self, message: str, *, post: ForumPost):
        super().__init__(message)
        self.post = post


class EditedMeanwhile(ForumError):
    """The edit form was filled from an older text of the post (another tab, or staff, saved since):
    `current_version` is the version to send again to replace it."""

    def __init__(self, message: str, *, current_version: int):
        super().__init__(message)
        self.current_version = current_version


# How long the same words by the same person at the same place count as the same message sent twice (a tab
# opened before the first one published) rather than something said again on purpose.
DUPLICATE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class PostingRules:
    """From the configuration: how fast one may post, how long a post may be, whether to hold newcomers."""

    max_posts: int = 10
    per: timedelta = timedelta(minutes=10)
    max_title: int = 200
    max_body: int = 10_000
    hold_first_posts: int = 0  # a new account's first N posts wait for a moderator (0 = off)

    @classmethod
    def from_config(cls, config) -> "PostingRules":
        return cls(max_posts=config["FORUM_POST_LIMIT"], per=timedelta(seconds=config["FORUM_POST_LIMIT_SECONDS"]),
                   max_body=config["FORUM_MAX_BODY"], hold_first_posts=config["FORUM_HOLD_FIRST_POSTS"])


# --- Forums and categories --------------------------------------------------------------------------------


def forum_for_run(run) -> Forum:
    """The run's forum, created on first use: « Questions à la responsable », « Général », one per sequence."""
    run_id = run.id
    lock_for_update(CourseRun, run_id)  # first visitors (or a course that grew) queue: one forum, built once
    run = db.session.get(CourseRun, run_id)
    forum = queries.forum_of_run(run.id)
    if forum is None:
        forum = Forum(kind=ForumKind.COURSE_RUN, course_run_id=run.id, title=f"{run.course.title} – {run.name}")
        db.session.add(forum)
        db.session.flush()
    outline = courses.get_course_outline(run.course.slug)
    _ensure_categories(forum, [(s.id, s.label) for module in outline.modules for s in module.sequences])
    return forum


def forum_for_cohort(cohort) -> Forum:
    cohort_id = cohort.id
    lock_for_update(Cohort, cohort_id)  # first visitors queue: one forum, built once
    cohort = db.session.get(Cohort, cohort_id)
    forum = queries.forum_of_cohort(cohort.id)
    if forum is None:
        forum = Forum(kind=ForumKind.COHORT, cohort_id=cohort.id, title=cohort.title)
        db.session.add(forum)
        db.session.flush()
    _ensure_categories(forum, [])
    return forum


def _ensure_categories(forum: Forum, sequences: list[tuple[int, str]]) -> None:
    """Idempotent: adds what is missing (a sequence added to the course later gets its category)."""
    existing = {(c.kind, c.sequence_id) for c in forum.categories}
    wanted = [(CategoryKind.LEAD_QUESTIONS, None, _("Questions à la responsable de la formation")),
              (CategoryKind.GENERAL, None, _("Général"))] + [(CategoryKind.SEQUENCE, sid, title) for sid, title in sequences]
    position = max((c.position for c in forum.categories), default=0)
    for kind, sequence_id, title in wanted:
        if (kind, sequence_id) not in existing:
            position += 1
            forum.categories.append(ForumCategory(kind=kind, sequence_id=sequence_id, title=title, position=position))
    db.session.flush()


# --- Posting ----------------------------------------------------------------------------------------------


def _check_rules(author, body: str, rules: PostingRules, now: datetime, title: str | None = None) -> None:
    if not body.strip():
        raise ForumError(_("Écrivez votre message."))
    if len(body) > rules.max_body:
        raise ForumError(_("Votre message dépasse %(n)s caractères.", n=rules.max_body))
    if title is not None and not (0 < len(title.strip()) <= rules.max_title):
        raise ForumError(_("Le titre doit faire entre 1 et %(n)s caractères.", n=rules.max_title))
    if not is_staff(author) and queries.posts_by_user_since(author.id, now - rules.per) >= rules.max_posts:
        minutes = int(rules.per.total_seconds() // 60)
        raise ForumError(_("Vous avez publié %(n)s messages en %(m)s minutes : attendez un peu avant le suivant.",
                           n=rules.max_posts, m=minutes))


def _should_hold(author, rules: PostingRules) -> bool:
    return bool(rules.hold_first_posts and not is_staff(author)
                and queries.approved_post_count(author.id) < rules.hold_first_posts)


def _plain_text(body_html: str) -> str:
    return html.unescape(nh3.clean(body_html, tags=set()))


def _new_post(thread: ForumThread, author, body: str, now: datetime, *, parent_id=None, is_opening=False,
              held=False, submission_key: str | None = None) -> ForumPost:
    post = ForumPost(thread=thread, author_id=author.id, parent_id=parent_id, is_opening=is_opening, body=body,
                     body_html=str(render_markdown(body)), author_is_staff=is_staff(author), created_at=now,
                     state=PostState.HELD if held else PostState.PUBLISHED, submission_key=submission_key)
    post.search_text = _search_text(post, thread)
    db.session.add(post)
    db.session.flush()
    _index(post)
    return post


def _search_text(post: ForumPost, thread: ForumThread) -> str:
    text = _plain_text(post.body_html)
    return f"{thread.title}\n{text}" if post.is_opening else text


def _index(post: ForumPost) -> None:
    """SQLite keeps its own FTS5 table of French stems; PostgreSQL indexes search_text itself."""
    if db.engine.dialect.name != "sqlite":
        return
    db.session.execute(sa.text(f"DELETE FROM {search.FTS_TABLE} WHERE rowid = :id"), {"id": post.id})
    db.session.execute(sa.text(f"INSERT INTO {search.FTS_TABLE} (rowid, stems) VALUES (:id, :stems)"),
                       {"id": post.id, "stems": " ".join(search.stems(post.search_text))})


def _same_post_since(author, *, since: datetime, body: str, thread_id: int | None = None,
                     forum_id: int | None = None, title: str | None = None, parent_id: int | None = None):
    """Her own post with these very words at this place, written since `since` and not deleted: an opening
    post with this title in `forum_id`, or a reply (parent_id None) or comment (on `parent_id`) in `thread_id`.
    Callers hold the place's lock, so of two tabs sent at once the second one finds the first one's post."""
    query = sa.select(ForumPost).where(ForumPost.author_id == author.id, ForumPost.body == body,
                                       ForumPost.created_at >= since, ForumPost.state.not_in(DELETED_STATES))
    if forum_id is not None:
        query = query.join(ForumThread, ForumPost.thread_id == ForumThread.id).where(
            ForumThread.forum_id == forum_id, ForumThread.title == title, ForumPost.is_opening.is_(True))
    else:
        query = query.where(ForumPost.thread_id == thread_id, ForumPost.is_opening.is_(False),
                            ForumPost.parent_id.is_(None) if parent_id is None else ForumPost.parent_id == parent_id)
    return db.session.scalars(query.order_by(ForumPost.id).limit(1)).first()


def start_thread(forum: Forum, author, *, category_id: int, kind: str, title: str, body: str,
                 announcement: bool = False, rules: PostingRules = PostingRules(), now: datetime | None = None,
                 submission_key: str | None = None) -> ForumThread:
    """Open a thread. The same form sent twice (its one-time key) gives back the thread of the first send;
    the same title and words sent again from another tab within DUPLICATE_WINDOW raise AlreadyPublished."""
    now = now or utcnow()
    earlier = earlier_submission(ForumPost, submission_key, lock=(Forum, forum.id), author_id=author.id)
    if earlier is not None:
        return earlier.thread
    lock_for_update(Forum, forum.id)  # (again, when no key came): two tabs sent at once queue here
    if not forum.can_view(author):
        raise ForumError(_("Ce forum est réservé à ses apprenants et à l’équipe."))
    category = forum.category(category_id)
    if category is None:
        raise ForumError(_("Choisissez une catégorie de ce forum."))
    if announcement and not is_staff(author):
        raise ForumError(_("Seule l’équipe publie des annonces."))
    same = _same_post_since(author, since=now - DUPLICATE_WINDOW, body=body, forum_id=forum.id, title=title.strip())
    if same is not None:
        raise AlreadyPublished(_("Ce sujet est déjà publié."), post=same)
    _check_rules(author, body, rules, now, title=title)
    held = _should_hold(author, rules)
    thread = ForumThread(forum=forum, category=category, author_id=author.id, kind=ThreadKind(kind), title=title.strip(),
                         is_announcement=announcement, pinned=announcement, created_at=now, last_post_at=now,
                         opening_state=PostState.HELD if held else PostState.PUBLISHED)
    db.session.add(thread)
    db.session.flush()
    post = _new_post(thread, author, body, now, is_opening=True, held=held, submission_key=submission_key)
    _subscribe(author.id, thread=thread)  # one follows one's own threads
    discard_draft(author, draft_target(forum=forum))
    refresh_thread_counts(thread)
    mark_read(author.id, thread.id, post.id)
    if not held:
        _notify(post, now)
    return thread


def reply(thread: ForumThread, author, *, body: str, parent_id: int | None = None,
          rules: PostingRules = PostingRules(), now: datetime | None = None, submission_key: str | None = None) -> ForumPost:
    """A reply to the thread, or a comment on a reply (one level: a comment on a comment attaches to its reply).
    The same form sent twice (its one-time key) gives back the post of the first send; the same words at the
    same place sent again from another tab within DUPLICATE_WINDOW raise AlreadyPublished. A deleted or
    hidden message takes no comment."""
    now = now or utcnow()
    earlier = earlier_submission(ForumPost, submission_key, lock=(ForumThread, thread.id), author_id=author.id)
    if earlier is not None:
        return earlier
    lock_for_update(ForumThread, thread.id)  # (again, when no key came): two tabs sent at once queue here
    if not thread.can_reply(author):
        raise ForumError(_("Ce sujet n’accepte plus de réponses.") if thread.forum.can_view(author)
                         else _("Ce forum est réservé à ses apprenants et à l’équipe."))
    if parent_id is not None:
        parent = db.session.get(ForumPost, parent_id)
        if parent is None or parent.thread_id != thread.id or parent.is_opening:
            raise ForumError(_("Le message commenté n’est plus là."))
        root = db.session.get(ForumPost, parent.parent_id) if parent.parent_id else parent
        if not (parent.accepts_comments and root.accepts_comments):
            raise ForumError(_("Ce message a été supprimé ou masqué : il ne peut plus être commenté. "
                               "Votre commentaire n’a pas été publié."))
        parent_id = root.id
    same = _same_post_since(author, since=now - DUPLICATE_WINDOW, body=body, thread_id=thread.id, parent_id=parent_id)
    if same is not None:
        raise AlreadyPublished(_("Ce message est déjà publié."), post=same)
    _check_rules(author, body, rules, now)
    held = _should_hold(author, rules)
    post = _new_post(thread, author, body, now, parent_id=parent_id, held=held, submission_key=submission_key)
    _subscribe(author.id, thread=thread)  # and the threads one took part in
    if parent_id is None:
        discard_draft(author, draft_target(thread=thread))
    refresh_thread_counts(thread)
    mark_read(author.id, thread.id, post.id)
    if not held:
        _notify(post, now)
    return post


def save_draft(author, target: str, *, body: str, title: str = "", category_id: int | None = None, kind: str = "",
               rules: PostingRules = PostingRules(), now: datetime | None = None) -> ForumDraft:
    """Keep what is being written (one draft per person and place); the same text again changes nothing."""
    lock_for_update(User, author.id)  # one draft per person and place: two autosaves at once queue
    draft = queries.draft(author, target)
    if draft is None:
        draft = ForumDraft(user_id=author.id, target=target)
        db.session.add(draft)
    values = {"body": body[:rules.max_body], "title": title[:rules.max_title], "category_id": category_id, "kind": kind}
    if any(getattr(draft, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(draft, name, value)
        draft.updated_at = now or utcnow()
    db.session.flush()
    return draft


def discard_draft(author, target: str) -> None:
    db.session.execute(sa.delete(ForumDraft).where(ForumDraft.user_id == author.id, ForumDraft.target == target))


def refresh_thread_counts(thread: ForumThread) -> None:
    """Recount what listings and filters read, from the posts everyone can see."""
    visible = sa.and_(ForumPost.thread_id == thread.id, ForumPost.state == PostState.PUBLISHED)
    replies, staff_replies, last_id, last_at = db.session.execute(sa.select(
        sa.func.count().filter(ForumPost.is_opening.is_(False)),
        sa.func.count().filter(ForumPost.is_opening.is_(False), ForumPost.author_is_staff.is_(True)),
        sa.func.max(ForumPost.id), sa.func.max(ForumPost.created_at),
    ).where(visible)).one()
    thread.reply_count, thread.has_staff_reply = replies, staff_replies > 0
    thread.last_post_id, thread.last_post_at = last_id or 0, last_at or thread.created_at
    db.session.flush()


def edit_post(post: ForumPost, editor, *, body: str, title: str | None = None, loaded_version: int | None = None,
              rules: PostingRules = PostingRules(), now: datetime | None = None) -> ForumPost:
    """Keep the previous text as a revision, then change it; « modifié » shows from now on.

    `loaded_version`: the post's edit version (queries.edit_version, its revision count) the form was
    filled from. Saved since (another tab, staff) and this form changes the text: EditedMeanwhile, nothing
    is written; sending again with the current version replaces it."""
    lock_for_update(ForumPost, post.id)  # a second click waits, then finds the text unchanged
    db.session.refresh(post)
    now = now or utcnow()
    if not post.can_edit(editor):
        raise ForumError(post.locked_message() if post.may_change(editor) else _("Vous ne pouvez plus modifier ce message."))
    if not body.strip() or len(body) > rules.max_body:
        raise ForumError(_("Votre message doit faire entre 1 et %(n)s caractères.", n=rules.max_body))
    new_title = title.strip() if (post.is_opening and title is not None) else post.thread.title
    if not (0 < len(new_title) <= rules.max_title):
        raise ForumError(_("Le titre doit faire entre 1 et %(n)s caractères.", n=rules.max_title))
    if body == post.body and new_title == post.thread.title:
        return post  # nothing changed (a double click: the second finds its own text): no revision, no mark
    current_version = queries.edit_version(post)
    if loaded_version is not None and loaded_version != current_version:
        raise EditedMeanwhile(_("Ce message a été modifié entre-temps (dans un autre onglet ou par l’équipe) : "
                                "rien n’est enregistré. Son texte actuel est affiché ci-dessous, le vôtre est resté "
                                "dans le formulaire : relisez-les, puis enregistrez de nouveau pour le remplacer."),
                              current_version=current_version)
    db.session.add(ForumPostRevision(post_id=post.id, title=post.thread.title if post.is_opening else "",
                                     body=post.body, edited_by_id=editor.id, created_at=now))
    post.thread.title = new_title
    post.body, post.body_html, post.edited_at = body, str(render_markdown(body)), now
    post.search_text = _search_text(post, post.thread)
    db.session.flush()
    _index(post)
    return post


def rewrite_post_text(post: ForumPost, *, body: str, title: str | None = None) -> None:
    """Replace a post's text (and its thread's title) without a revision or « modifié »: not an edit by
    someone, the removal of an erased person's name (privacy). Its HTML, search text and index follow."""
    if title is not None and post.is_opening:
        post.thread.title = title
    post.body, post.body_html = body, str(render_markdown(body))
    post.search_text = _search_text(post, post.thread)
    db.session.flush()
    _index(post)


def move_post(post: ForumPost, target: PostState, *, actor, reason: str = "", now: datetime | None = None) -> None:
    """The one way a post changes state: allowed by POST_TRANSITIONS (core guard), recorded with who, when and
    why; an opening post's state is copied to its thread, which listings filter on."""
    transition(post, POST_TRANSITIONS, target, actor=actor, reason=reason, now=now)
    if post.is_opening:
        post.thread.opening_state = target


def delete_post(post: ForumPost, actor, now: datetime | None = None) -> None:
    """Soft delete: the text goes, a placeholder stays so the conversation still reads (for members only if
    they had seen the post); the opening post takes its thread with it."""
    lock_for_update(ForumPost, post.id)  # a second click waits, then finds the post already deleted
    db.session.refresh(post)
    if post.is_deleted:
        return  # a second click: already done
    if not post.can_delete(actor):
        raise ForumError(post.locked_message() if post.may_change(actor) else _("Vous ne pouvez pas supprimer ce message."))
    reason = _("Supprimé par son auteur·e.") if actor.id == post.author_id else _("Supprimé par l’équipe.")
    move_post(post, DELETED_FROM[PostState(post.state)], actor=actor, reason=reason, now=now)
    thread = post.thread
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
    refresh_thread_counts(thread)


# --- Questions: accepted answer ---------------------------------------------------------------------------


def accept_answer(thread: ForumThread, actor, post: ForumPost) -> None:
    if not thread.can_accept(actor):
        raise ForumError(_("Seul l’auteur de la question ou l’équipe choisit la réponse acceptée."))
    if post.thread_id != thread.id or post.is_opening or post.parent_id is not None or not post.is_visible_to_everyone:
        raise ForumError(_("Seule une réponse visible de ce sujet peut être acceptée."))
    thread.accepted_post_id = post.id
    db.session.flush()


def withdraw_acceptance(thread: ForumThread, actor) -> None:
    if not thread.can_accept(actor):
        raise ForumError(_("Seul l’auteur de la question ou l’équipe choisit la réponse acceptée."))
    thread.accepted_post_id = None
    db.session.flush()


# --- Staff: pin, lock, close ------------------------------------------------------------------------------


def set_pinned(thread: ForumThread, actor, pinned: bool) -> None:
    if not thread.can_moderate(actor):
        raise ForumError(_("Réservé à l’équipe."))
    thread.pinned = pinned
    db.session.flush()


def change_thread_state(thread: ForumThread, actor, target: str, reason: str = "", now: datetime | None = None) -> None:
    """Lock, close or reopen, with the reason shown on the thread and recorded in its timeline."""
    lock_for_update(ForumThread, thread.id)  # a second click waits, then finds the thread already changed
    db.session.refresh(thread)
    if not thread.can_moderate(actor):
        raise ForumError(_("Réservé à l’équipe."))
    target = ThreadState(target)
    if thread.state == target:
        return  # a second click: already done (the first one's reason stays)
    if target != ThreadState.OPEN and not reason.strip():
        raise ForumError(_("Indiquez la raison : elle s’affiche sur le sujet."))
    try:
        transition(thread, THREAD_TRANSITIONS, target, actor=actor, reason=reason.strip(), now=now)
    except InvalidTransition:
        raise ForumError(_("Ce sujet est déjà dans cet état.")) from None
    thread.state_reason = reason.strip() if target != ThreadState.OPEN else ""
    db.session.flush()


# --- Reports and moderation -------------------------------------------------------------------------------


def report_post(post: ForumPost, reporter, reason: str, now: datetime | None = None) -> ForumReport:
    """One report per person and post: reporting twice keeps the first."""
    lock_for_update(ForumPost, post.id)  # one report per person and post: two clicks queue
    db.session.refresh(post)
    if not post.can_report(reporter):
        raise ForumError(str(REPORT_GONE) if post.may_report(reporter) else _("Vous ne pouvez pas signaler ce message."))
    if not reason.strip():
        raise ForumError(_("Dites à l’équipe ce qui pose problème."))
    existing = db.session.scalar(sa.select(ForumReport).where(
        ForumReport.post_id == post.id, ForumReport.reporter_id == reporter.id))
    if existing is not None:
        return existing
    report = ForumReport(post_id=post.id, reporter_id=reporter.id, reason=reason.strip()[:1000], created_at=now or utcnow())
    db.session.add(report)
    db.session.flush()
    return report


def _resolve_reports(post: ForumPost, moderator, outcome: str, now: datetime) -> None:
    db.session.execute(sa.update(ForumReport).where(ForumReport.post_id == post.id, ForumReport.resolved_at.is_(None))
                       .values(resolved_at=now, resolved_by_id=moderator.id, outcome=outcome))


def hide_post(post: ForumPost, moderator, reason: str, now: datetime | None = None) -> None:
    """Hidden from members (a placeholder stays; a held post stays out of their sight, refused); the author
    is told why by email."""
    lock_for_update(ForumPost, post.id)  # a second click waits, then finds the post already hidden
    db.session.refresh(post)
    if not post.thread.can_moderate(moderator):
        raise ForumError(_("Réservé à l’équipe."))
    if not reason.strip():
        raise ForumError(_("Indiquez la raison : l’auteur la recevra."))
    if post.is_hidden:
        return  # already hidden (a second click): the author was told once
    now = now or utcnow()
    reason = reason.strip()[:500]
    # A deleted post has no move here: the guard refuses it.
    move_post(post, HIDDEN_FROM.get(PostState(post.state), PostState.HIDDEN), actor=moderator, reason=reason, now=now)
    post.hidden_reason = reason
    _resolve_reports(post, moderator, "hidden", now)
    if post.thread.accepted_post_id == post.id:
        post.thread.accepted_post_id = None
    refresh_thread_counts(post.thread)
    emails.queue_post_hidden(post)


def restore_post(post: ForumPost, moderator, now: datetime | None = None) -> None:
    """Back to what it was before it was hidden: published, or held when it was hidden while held."""
    lock_for_update(ForumPost, post.id)  # a second click waits, then finds the post already restored
    db.session.refresh(post)
    if not post.thread.can_moderate(moderator):
        raise ForumError(_("Réservé à l’équipe."))
    if not post.is_hidden:
        return
    move_post(post, RESTORED[PostState(post.state)], actor=moderator, reason=_("Rétabli par l’équipe."), now=now)
    post.hidden_reason = ""
    refresh_thread_counts(post.thread)
    emails.queue_post_restored(post)


def keep_post(post: ForumPost, moderator, now: datetime | None = None) -> None:
    """The reports were unfounded: they are closed, the post stays."""
    lock_for_update(ForumPost, post.id)  # a second click waits, then finds the reports already closed
    if not post.thread.can_moderate(moderator):
        raise ForumError(_("Réservé à l’équipe."))
    _resolve_reports(post, moderator, "kept", now or utcnow())
    db.session.flush()


def approve_held_post(post: ForumPost, moderator, now: datetime | None = None) -> None:
    """A newcomer's post goes live: its thread too if it opened one, and its notifications leave now. (One
    hidden while held is published hidden: it stays out of sight until restored.)"""
    lock_for_update(ForumPost, post.id)  # a second click waits, then finds the post already published
    db.session.refresh(post)
    if not post.thread.can_moderate(moderator):
        raise ForumError(_("Réservé à l’équipe."))
    if post.state not in APPROVED:
        return  # already published (a second click)
    move_post(post, APPROVED[PostState(post.state)], actor=moderator, reason=_("Publié par l’équipe."), now=now)
    refresh_thread_counts(post.thread)
    _notify(post, now or utcnow())


# --- Follows, preferences, read marks ---------------------------------------------------------------------


def _subscribe(user_id: int, *, thread: ForumThread | None = None, forum: Forum | None = None, active: bool = True,
               only_if_new: bool = True) -> None:
    """The race-safe upsert: an unsubscribe link is followed without a session, so nothing serialises two
    clicks on it; the second insert of the same (person, place) must update the first one's row."""
    if only_if_new and queries.subscription(user_id, thread=thread, forum=forum) is not None:
        return  # posting again in a thread one unfollowed does not re-follow it
    place = {"thread_id": thread.id} if thread is not None else {"forum_id": forum.id}
    upsert(ForumSubscription, {"user_id": user_id, **place}, {"active": active})


def follow_thread(user, thread: ForumThread, follow: bool = True) -> None:
    lock_for_update(User, user.id)  # one subscription per person and thread: two clicks queue
    _subscribe(user.id, thread=thread, active=follow, only_if_new=False)


def follow_forum(user, forum: Forum, follow: bool = True) -> None:
    lock_for_update(User, user.id)  # one subscription per person and forum: two clicks queue
    _subscribe(user.id, forum=forum, active=follow, only_if_new=False)


def set_email_frequency(user_id: int, frequency: str) -> None:
    upsert(ForumPreference, {"user_id": user_id}, {"email_frequency": EmailFrequency(frequency)})


def email_frequency(user_id: int) -> str:
    preference = db.session.get(ForumPreference, user_id)
    return preference.email_frequency if preference else EmailFrequency.IMMEDIATE


def mark_read(user_id: int, thread_id: int, up_to_post_id: int) -> None:
    """Moves forward only (reading page 1 of a long thread again does not mark it unread). One INSERT … ON
    CONFLICT statement: many readers of a thread at once never read-then-write (SQLite refuses that under
    contention). Ids, not objects: reading an expired object would start the transaction with a SELECT."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(ForumReadMark).values(
        user_id=user_id, thread_id=thread_id, last_read_post_id=up_to_post_id)
    newer = insert.excluded.last_read_post_id
    db.session.execute(insert.on_conflict_do_update(
        index_elements=["user_id", "thread_id"],
        set_={"last_read_post_id": sa.case((newer > ForumReadMark.last_read_post_id, newer),
                                           else_=ForumReadMark.last_read_post_id)},
    ))


FOLLOWING = "following"  # what unsubscribe() returns for a thread or forum that was followed


def _unsubscribe_place(scope: str) -> tuple[str, Forum | ForumThread | None]:
    kind, _sep, target = scope.partition(":")
    model = {"thread": ForumThread, "forum": Forum}.get(kind)
    return kind, (db.session.get(model, int(target)) if model is not None else None)


def unsubscribe(user_id: int, scope: str) -> str | None:
    """What the signed link in an email does: stop this thread (« thread:<id> »), this forum (« forum:<id> »)
    or every forum email (« all »). Returns what undo_unsubscribe() must put back: the email frequency chosen
    until now (daily digest or each message), FOLLOWING for a place that was followed, or None when there was
    nothing to stop."""
    lock_for_update(User, user_id)  # the link followed twice at once (mail scanner and person): one row
    kind, place = _unsubscribe_place(scope)
    if kind not in ("thread", "forum"):
        previous = email_frequency(user_id)
        set_email_frequency(user_id, EmailFrequency.NONE)
        return None if previous == EmailFrequency.NONE else previous
    user = queries.users_by_id([user_id]).get(user_id)
    if place is None or user is None:
        return None
    following = queries.follows_thread(user, place) if kind == "thread" else queries.follows_forum(user, place)
    _subscribe(user_id, **{kind: place}, active=False, only_if_new=False)  # an explicit « no » (staff follow by default)
    return FOLLOWING if following else None


def undo_unsubscribe(user_id: int, scope: str, previous: str) -> None:
    """The way back offered after unsubscribing: the choice from before, as unsubscribe() returned it."""
    kind, place = _unsubscribe_place(scope)
    if kind not in ("thread", "forum"):
        set_email_frequency(user_id, EmailFrequency(previous))
    elif place is not None and previous == FOLLOWING:
        _subscribe(user_id, **{kind: place}, active=True, only_if_new=False)


# --- Notifications ----------------------------------------------------------------------------------------


def handle(user) -> str:
    """@prénom.nom, without accents or spaces: how members mention each other."""
    plain = search.strip_accents(f"{user.first_name}.{user.last_name}".lower())
    return re.sub(r"[^a-z0-9.]+", "-", plain).strip("-.")


def mentioned_user_ids(forum: Forum, body: str) -> set[int]:
    handles = {m.lower() for m in MENTION.findall(body)}
    if not handles:
        return set()
    readers = queries.users_by_id(membership.all_reader_ids(forum))
    return {user.id for user in readers.values() if handle(user) in handles}


def _notify(post: ForumPost, now: datetime) -> None:
    """Who hears of a new post: followers of the thread and of the forum (staff by default), people mentioned,
    every member for an announcement — never its author, nobody twice, only people who may read it."""
    thread, forum = post.thread, post.thread.forum
    reasons: dict[int, str] = {}
    if thread.is_announcement and post.is_opening:
        reasons.update(dict.fromkeys(membership.all_reader_ids(forum), NotificationReason.ANNOUNCEMENT))
    forum_followers = db.session.execute(sa.select(ForumSubscription.user_id, ForumSubscription.active)
                                         .where(ForumSubscription.forum_id == forum.id)).all()
    opted = {user_id: active for user_id, active in forum_followers}
    staff_ids = set(db.session.scalars(membership.staff_ids()))
    for user_id in {u for u, active in opted.items() if active} | {s for s in staff_ids if opted.get(s, True)}:
        reasons.setdefault(user_id, NotificationReason.FOLLOWED_FORUM)
    for user_id in db.session.scalars(sa.select(ForumSubscription.user_id).where(
            ForumSubscription.thread_id == thread.id, ForumSubscription.active.is_(True))):
        if reasons.get(user_id) != NotificationReason.ANNOUNCEMENT:
            reasons[user_id] = NotificationReason.FOLLOWED_THREAD
    for user_id in mentioned_user_ids(forum, post.body):
        reasons[user_id] = NotificationReason.MENTION
    reasons.pop(post.author_id, None)
    allowed = membership.readers_among(forum, set(reasons))
    if not allowed:
        return
    frequencies = dict(db.session.execute(sa.select(ForumPreference.user_id, ForumPreference.email_frequency)
                                          .where(ForumPreference.user_id.in_(allowed))).all())
    for user_id in sorted(allowed):
        if frequencies.get(user_id, EmailFrequency.IMMEDIATE) == EmailFrequency.NONE:
            continue
        # No email yet: send_notifications() or send_digests() writes it once the grace period is over.
        db.session.add(ForumNotification(user_id=user_id, post_id=post.id, reason=reasons[user_id], created_at=now))
    db.session.flush()


def _chosen_frequency():
    """The recipient's email choice as it is now (not when the post was written): whoever switched to the
    digest, or to no email, in the meantime is served accordingly."""
    chosen = (sa.select(ForumPreference.email_frequency).where(ForumPreference.user_id == ForumNotification.user_id)
              .scalar_subquery())
    return sa.func.coalesce(chosen, EmailFrequency.IMMEDIATE)


def _claim(*conditions, now: datetime) -> list[ForumNotification]:
    """Take the pending notifications matching `conditions` with one conditional UPDATE, the first statement of
    the caller's transaction (SQLite then waits for the write lock instead of failing on a stale read;
    PostgreSQL makes a concurrent run wait for the row locks, then skip these rows): two runs at once never
    take the same notification, and the emails are written in the transaction that took it."""
    claimed = db.session.execute(
        sa.update(ForumNotification).where(ForumNotification.emailed_at.is_(None), *conditions)
        .values(emailed_at=now).returning(ForumNotification.id)).scalars().all()
    if not claimed:
        return []
    return list(db.session.scalars(sa.select(ForumNotification).where(ForumNotification.id.in_(claimed))
                                   .order_by(ForumNotification.post_id, ForumNotification.id)))


def _still_visible(post: ForumPost) -> bool:
    """Hidden, deleted or held since it was written: nobody is emailed about it, ever."""
    return post.is_visible_to_everyone and post.thread.opening_state in LISTED_STATES


def send_notifications(*, grace: timedelta, now: datetime | None = None) -> int:
    """One email per notification whose grace period is over, to people who want each message by email; the
    text is the post's as it is now (edits in the grace period included). A notification of a post no longer
    visible is taken and dropped, as are those of people who chose no email since. Idempotent (cron, every
    minute): a notification is emailed at most once, even by two runs at the same time."""
    now = now or utcnow()
    notifications = _claim(ForumNotification.created_at <= now - grace, _chosen_frequency() != EmailFrequency.DAILY,
                           now=now)
    recipients = queries.users_by_id({n.user_id for n in notifications})
    dropped = set(db.session.scalars(sa.select(ForumPreference.user_id).where(
        ForumPreference.user_id.in_(recipients), ForumPreference.email_frequency == EmailFrequency.NONE)))
    sent = 0
    for notification in notifications:
        user = recipients.get(notification.user_id)
        if user is None or not user.active or user.id in dropped or not _still_visible(notification.post):
            continue
        emails.queue_new_post(user, notification.post, notification.reason)
        sent += 1
    db.session.flush()
    return sent


def send_digests(*, grace: timedelta, now: datetime | None = None) -> int:
    """One email per person choosing the daily digest, with their notifications past the grace period (younger
    ones wait for the next digest) whose post is still visible. Claimed like send_notifications(): run twice,
    the second run finds nothing."""
    now = now or utcnow()
    notifications = _claim(ForumNotification.created_at <= now - grace, _chosen_frequency() == EmailFrequency.DAILY,
                           now=now)
    by_user: dict[int, list[ForumNotification]] = {}
    for notification in notifications:
        if _still_visible(notification.post):
            by_user.setdefault(notification.user_id, []).append(notification)
    recipients = queries.users_by_id(by_user)
    sent = 0
    for user_id in sorted(by_user):
        user = recipients.get(user_id)
        if user is not None and user.active:
            emails.queue_digest(user, by_user[user_id])
            sent += 1
    db.session.flush()
    return sent
