"""Forum: one per MOOC run and per Alpha session; categories, threads (question or discussion), posts
(replies and one level of comments), reports, follows, read marks and the notifications to email."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import UTCDateTime, utcnow
from beta_training.extensions import db
from beta_training.forum import membership
from beta_training.forum.membership import is_staff


class ForumKind(StrEnum):
    COURSE_RUN = "course_run"
    COHORT = "cohort"


class CategoryKind(StrEnum):
    LEAD_QUESTIONS = "lead_questions"
    GENERAL = "general"
    SEQUENCE = "sequence"


class ThreadKind(StrEnum):
    QUESTION = "question"
    DISCUSSION = "discussion"


THREAD_KIND_LABELS = {ThreadKind.QUESTION: _l("Question"), ThreadKind.DISCUSSION: _l("Discussion")}


class ThreadState(StrEnum):
    OPEN = "open"
    LOCKED = "locked"  # visible, no new posts for now (a heated exchange, a pause)
    CLOSED = "closed"  # finished: duplicate, off topic, settled


THREAD_TRANSITIONS = {
    ThreadState.OPEN: {ThreadState.LOCKED, ThreadState.CLOSED},
    ThreadState.LOCKED: {ThreadState.OPEN, ThreadState.CLOSED},
    ThreadState.CLOSED: {ThreadState.OPEN},
}

THREAD_STATE_LABELS = {ThreadState.OPEN: _l("Ouvert"), ThreadState.LOCKED: _l("Verrouillé"), ThreadState.CLOSED: _l("Fermé")}


class PostState(StrEnum):
    """Where a post stands in moderation. Held posts (a new account's first ones, when the setting says so)
    have not been published yet: their author and staff see them, nobody else, in whatever state follows."""

    HELD = "held"  # waits for a moderator
    PUBLISHED = "published"
    HIDDEN = "hidden"  # hidden by staff once published: members see a placeholder, author and staff the text
    REFUSED = "refused"  # hidden by staff while held: « Rétablir » puts it back in the queue, « Publier » makes it HIDDEN
    DELETED = "deleted"  # the text is gone; a placeholder stays so the conversation still reads
    WITHDRAWN = "withdrawn"  # deleted before publication: the placeholder only for its author and staff


POST_TRANSITIONS = {
    PostState.HELD: {PostState.PUBLISHED, PostState.REFUSED, PostState.WITHDRAWN},
    PostState.REFUSED: {PostState.HELD, PostState.HIDDEN, PostState.WITHDRAWN},
    PostState.PUBLISHED: {PostState.HIDDEN, PostState.DELETED},
    PostState.HIDDEN: {PostState.PUBLISHED, PostState.DELETED},
    PostState.DELETED: set(),
    PostState.WITHDRAWN: set(),
}

# Which move each moderation action makes, from each state it applies to.
APPROVED = {PostState.HELD: PostState.PUBLISHED, PostState.REFUSED: PostState.HIDDEN}
HIDDEN_FROM = {PostState.PUBLISHED: PostState.HIDDEN, PostState.HELD: PostState.REFUSED}
RESTORED = {PostState.HIDDEN: PostState.PUBLISHED, PostState.REFUSED: PostState.HELD}
DELETED_FROM = {PostState.PUBLISHED: PostState.DELETED, PostState.HIDDEN: PostState.DELETED,
                PostState.HELD: PostState.WITHDRAWN, PostState.REFUSED: PostState.WITHDRAWN}

UNPUBLISHED_STATES = frozenset({PostState.HELD, PostState.REFUSED, PostState.WITHDRAWN})
HIDDEN_STATES = frozenset({PostState.HIDDEN, PostState.REFUSED})
DELETED_STATES = frozenset({PostState.DELETED, PostState.WITHDRAWN})
# A thread is listed to its forum's members while its opening post is in one of these.
LISTED_STATES = frozenset({PostState.PUBLISHED, PostState.HIDDEN})

# Said to a member whose report reaches a post hidden or deleted since her page was shown.
REPORT_GONE = _l("Ce message n’est plus visible : il a été masqué ou supprimé entre-temps, il n’y a plus rien à signaler.")


class EmailFrequency(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    NONE = "none"


EMAIL_FREQUENCY_LABELS = {
    EmailFrequency.IMMEDIATE: _l("Un courriel à chaque nouveau message"),
    EmailFrequency.DAILY: _l("Un résumé par jour"),
    EmailFrequency.NONE: _l("Aucun courriel"),
}


class NotificationReason(StrEnum):
    FOLLOWED_THREAD = "followed_thread"
    FOLLOWED_FORUM = "followed_forum"
    MENTION = "mention"
    ANNOUNCEMENT = "announcement"


class Forum(db.Model):
    __tablename__ = "forums"
    __table_args__ = (
        sa.CheckConstraint("(course_run_id IS NULL) != (cohort_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    course_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course_runs.id", ondelete="CASCADE"), unique=True)
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    categories: Mapped[list["ForumCategory"]] = relationship(
        back_populates="forum", cascade="all, delete-orphan", order_by="ForumCategory.position", lazy="selectin"
    )

    def is_member(self, user) -> bool:
        """Learners of the run (active enrolment) or participants of the session (offered or confirmed seat)."""
        if user is None or not user.is_authenticated:
            return False
        # Asked for every post of a page: remembered on this instance (one request, one session).
        answers = self.__dict__.setdefault("_members_seen", {})
        if user.id not in answers:
            answers[user.id] = membership.is_member(self, user.id)
        return answers[user.id]

    def can_view(self, user) -> bool:
        return is_staff(user) or self.is_member(user)

    def can_moderate(self, user) -> bool:
        return is_staff(user)

    def category(self, category_id: int) -> "ForumCategory | None":
        return next((c for c in self.categories if c.id == category_id), None)


class ForumCategory(db.Model):
    __tablename__ = "forum_categories"
    __table_args__ = (
        sa.UniqueConstraint("forum_id", "position", name="uq_forum_categories_forum_position"),
        sa.UniqueConstraint("forum_id", "sequence_id", name="uq_forum_categories_forum_sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(20))
    sequence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sequences.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(250))

    forum: Mapped[Forum] = relationship(back_populates="categories")

    @property
    def is_for_the_lead(self) -> bool:
        return self.kind == CategoryKind.LEAD_QUESTIONS


class ForumThread(db.Model):
    __tablename__ = "forum_threads"
    __table_args__ = (
        sa.Index("ix_forum_threads_listing", "forum_id", "pinned", "last_post_at"),
        # The unread badge: a forum's threads without any post (a seek), and how many each forum lists (read
        # from the index alone when the kept counts are made again).
        sa.Index("ix_forum_threads_unread", "forum_id", "last_post_id", "opening_state"),
        # The course lead's flag: a category's threads no staff member has answered yet, without the others.
        sa.Index("ix_forum_threads_waiting", "category_id", "has_staff_reply", "accepted_post_id", "state",
                 "opening_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_categories.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default=ThreadKind.QUESTION)
    title: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(20), default=ThreadState.OPEN)
    state_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    pinned: Mapped[bool] = mapped_column(default=False)
    is_announcement: Mapped[bool] = mapped_column(default=False)
    # The opening post's state, copied by services.move_post(): listings filter threads on it without a join.
    # Held (or refused): only its author and staff see the thread; deleted (or withdrawn): staff only.
    opening_state: Mapped[str] = mapped_column(sa.String(20), default=PostState.PUBLISHED)
    # No foreign key: threads and posts would reference each other (a cycle PostgreSQL cannot create in one
    # pass); services set it only to a reply of this thread, and clear it when that reply goes.
    accepted_post_id: Mapped[int | None]
    # Kept up to date by services.refresh_thread_counts(), so listings never count posts.
    reply_count: Mapped[int] = mapped_column(default=0)
    has_staff_reply: Mapped[bool] = mapped_column(default=False)
    last_post_id: Mapped[int] = mapped_column(default=0)
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forum: Mapped[Forum] = relationship(lazy="joined", innerjoin=True)
    category: Mapped[ForumCategory] = relationship(lazy="joined", innerjoin=True)
    author = relationship("User", lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.state == ThreadState.OPEN

    @property
    def is_question(self) -> bool:
        return self.kind == ThreadKind.QUESTION

    @property
    def is_held(self) -> bool:
        return self.opening_state in UNPUBLISHED_STATES

    @property
    def is_deleted(self) -> bool:
        return self.opening_state in DELETED_STATES

    @property
    def kind_label(self) -> str:
        return str(THREAD_KIND_LABELS[ThreadKind(self.kind)])

    @property
    def state_label(self) -> str:
        return str(THREAD_STATE_LABELS[ThreadState(self.state)])

    def can_view(self, user) -> bool:
        if self.is_deleted and not is_staff(user):
            return False
        if self.is_held and not (is_staff(user) or (user.is_authenticated and user.id == self.author_id)):
            return False
        return self.forum.can_view(user)

    def can_reply(self, user) -> bool:
        return self.is_open and self.opening_state in LISTED_STATES and self.forum.can_view(user)

    def can_accept(self, user) -> bool:
        """The asker or staff mark the accepted answer of a question."""
        return self.is_question and user.is_authenticated and (user.id == self.author_id or is_staff(user))

    def can_moderate(self, user) -> bool:
        return self.forum.can_moderate(user)


class ForumPost(db.Model):
    """The opening post of a thread (is_opening), a reply (parent_id NULL) or a comment on a reply."""

    __tablename__ = "forum_posts"
    __table_args__ = (
        sa.Index("ix_forum_posts_thread_order", "thread_id", "parent_id", "id"),
        # A form carries a one-time key: the second click of a double click finds the post of the first.
        sa.UniqueConstraint("author_id", "submission_key", name="uq_forum_posts_author_submission"),
        sa.CheckConstraint("NOT (is_opening AND parent_id IS NOT NULL)", name="opening_has_no_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_threads.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    is_opening: Mapped[bool] = mapped_column(default=False)
    submission_key: Mapped[str | None] = mapped_column(sa.String(40))
    author_is_staff: Mapped[bool] = mapped_column(default=False)  # the badge, as it was when posting
    body: Mapped[str] = mapped_column(sa.Text)  # Markdown as typed
    body_html: Mapped[str] = mapped_column(sa.Text)  # rendered and sanitised once, at save time
    # Title (opening posts) and body as plain words: what the full-text index reads.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moves only through services.move_post(), which records who, when and why (core.models.StateChange).
    state: Mapped[str] = mapped_column(sa.String(20), default=PostState.PUBLISHED)
    # Shown with a hidden post to its author and staff, and emailed to the author: kept on the post so a
    # thread page needs no look-up in the timeline. The timeline has it too, with who hid it and when.
    hidden_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    thread: Mapped[ForumThread] = relationship(foreign_keys=[thread_id])  # usually already in the session
    author = relationship("User", foreign_keys=[author_id], lazy="joined")

    @property
    def body_markup(self) -> Markup:
        """The post as HTML, marked safe for templates. Trusted because it is never what was typed: services
        render the Markdown and sanitise the result with nh3 (core.markdown.render_markdown) whenever the
        text is written, and store only that."""
        return Markup(self.body_html)

    @property
    def is_visible_to_everyone(self) -> bool:
        return self.state == PostState.PUBLISHED

    @property
    def is_held(self) -> bool:
        """Not published (yet): the « en attente de validation » badge, and nobody but author and staff sees it."""
        return self.state in UNPUBLISHED_STATES

    @property
    def is_hidden(self) -> bool:
        return self.state in HIDDEN_STATES

    @property
    def is_deleted(self) -> bool:
        return self.state in DELETED_STATES

    def can_read_body(self, user) -> bool:
        """Deleted posts show a placeholder to all; hidden or held ones their author and staff only."""
        if self.is_deleted:
            return False
        if self.state == PostState.PUBLISHED:
            return True
        return is_staff(user) or (user.is_authenticated and user.id == self.author_id)

    # Each predicate below mixes who and state: its « who » half (may_change, may_report) tells the person
    # whose button it was, pressed in a tab left open after the post or thread moved on, from a stranger
    # (core.actions.authorise): she is told why (locked_message), a stranger gets 403.

    def is_author(self, user) -> bool:
        return bool(user is not None and user.is_authenticated and user.id == self.author_id)

    def may_change(self, user) -> bool:
        """Who edits and deletes it while its state allows: its author and staff."""
        return self.is_author(user) or is_staff(user)

    def can_edit(self, user) -> bool:
        if self.is_deleted or not user.is_authenticated:
            return False
        if is_staff(user):
            return True
        return user.id == self.author_id and self.thread.is_open and not self.is_hidden

    def can_delete(self, user) -> bool:
        return self.can_edit(user)

    def locked_message(self) -> str:
        """Why its author can no longer edit or delete it."""
        if self.is_deleted:
            return _("Ce message est supprimé : il n’y a plus rien à modifier.")
        if self.is_hidden:
            return _("Ce message a été masqué par l’équipe : il ne peut plus être modifié ni supprimé.")
        return _("Ce sujet est désormais « %(state)s » : ses messages ne peuvent plus être modifiés ni supprimés.",
                 state=self.thread.state_label.lower())

    def may_report(self, user) -> bool:
        """Who reports it while it is visible to everyone: a member of its forum, not its author."""
        return bool(user.is_authenticated and user.id != self.author_id and self.thread.forum.can_view(user))

    def can_report(self, user) -> bool:
        return self.may_report(user) and self.is_visible_to_everyone

    @property
    def accepts_comments(self) -> bool:
        """A deleted or hidden message takes no comment (nobody would see what it answers)."""
        return not (self.is_deleted or self.is_hidden)


class ForumPostRevision(db.Model):
    """The text a post had before an edit: the history behind the « modifié » mark."""

    __tablename__ = "forum_post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    edited_by = relationship("User", lazy="joined")


class ForumReport(db.Model):
    __tablename__ = "forum_reports"
    __table_args__ = (sa.UniqueConstraint("post_id", "reporter_id", name="uq_forum_reports_post_reporter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(sa.String(20), default="")  # hidden | kept

    reporter = relationship("User", foreign_keys=[reporter_id], lazy="joined")


class ForumSubscription(db.Model):
    """Follow a thread or a whole forum. `active` false = explicitly unfollowed (staff default is overridden)."""

    __tablename__ = "forum_subscriptions"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "thread_id", name="uq_forum_subscriptions_user_thread"),
        sa.UniqueConstraint("user_id", "forum_id", name="uq_forum_subscriptions_user_forum"),
        sa.CheckConstraint("(thread_id IS NULL) != (forum_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), index=True)
    forum_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ForumReadMark(db.Model):
    """The last post a user has seen in a thread (post ids only grow): unread = the thread has a later one."""

    __tablename__ = "forum_read_marks"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True)
    last_read_post_id: Mapped[int] = mapped_column(default=0)


class ForumPreference(db.Model):
    __tablename__ = "forum_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email_frequency: Mapped[str] = mapped_column(sa.String(20), default=EmailFrequency.IMMEDIATE)


class ForumNotification(db.Model):
    """One post to tell one person about. Unique per (user, post): nobody hears twice of the same post.
    Nothing is emailed before the grace period (FORUM_NOTIFY_GRACE_SECONDS) is over; `emailed_at` is set when
    it is dealt with: carried by an email (on its own, or in a digest), or dropped because the post was hidden,
    deleted or held by then, or its reader chose no email."""

    __tablename__ = "forum_notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "post_id", name="uq_forum_notifications_user_post"),
        sa.Index("ix_forum_notifications_pending", "emailed_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[ForumPost] = relationship(lazy="joined", innerjoin=True)


class ForumDraft(db.Model):
    """What someone is writing and has not published: a new thread in a forum ("forum:<id>") or a reply in
    a thread ("thread:<id>"). Saved while typing, given back when the page is opened again, gone once published."""

    __tablename__ = "forum_drafts"
    __table_args__ = (sa.UniqueConstraint("user_id", "target", name="uq_forum_drafts_user_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(sa.String(40))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_categories.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20), default="")
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def draft_target(*, forum: Forum | None = None, thread: ForumThread | None = None) -> str:
    return f"thread:{thread.id}" if thread is not None else f"forum:{forum.id}"
