"""Read side of the forum. Every page runs a fixed number of queries, whatever the thread length."""

from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, lazyload

from beta_training.accounts.models import User
from beta_training.core.models import PageGeneration
from beta_training.core.page_cache import KeptByGeneration, generation_watching, watch
from beta_training.core.pagination import paginate_rows
from beta_training.courses.models import CourseModule, Sequence
from beta_training.extensions import db
from beta_training.forum import search
from beta_training.forum.membership import is_staff, runs_and_cohorts_of
from beta_training.forum.models import (
    DELETED_STATES,
    LISTED_STATES,
    UNPUBLISHED_STATES,
    Forum,
    ForumCategory,
    ForumDraft,
    ForumPost,
    ForumPostRevision,
    ForumReadMark,
    ForumReport,
    ForumSubscription,
    ForumThread,
    PostState,
    ThreadState,
)

THREADS_PER_PAGE = 25
REPLIES_PER_PAGE = 20
FILTERS = ("sans-reponse", "sans-reponse-equipe", "non-lus")


def users_by_id(user_ids) -> dict[int, User]:
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(set(user_ids))))}


def forum_of_run(run_id: int) -> Forum | None:
    return db.session.scalar(sa.select(Forum).where(Forum.course_run_id == run_id))


def has_every_sequence_category(forum: Forum, run) -> bool:
    """False once the course has a sequence the forum has no category for (the course grew)."""
    sequences = db.session.scalar(sa.select(sa.func.count()).select_from(Sequence).join(CourseModule)
                                  .where(CourseModule.course_id == run.course_id))
    return sum(1 for c in forum.categories if c.sequence_id is not None) >= sequences


def forum_of_cohort(cohort_id: int) -> Forum | None:
    return db.session.scalar(sa.select(Forum).where(Forum.cohort_id == cohort_id))


def _readable(query, staff: bool, user_id):
    """`query` on forums, limited to those the person may read: staff see every forum."""
    if staff:
        return query
    runs, cohorts = runs_and_cohorts_of(user_id)
    return query.where(sa.or_(Forum.course_run_id.in_(runs), Forum.cohort_id.in_(cohorts)))


def forums_for(user) -> list[Forum]:
    """The forums a person may read: staff see every forum."""
    return list(db.session.scalars(_readable(sa.select(Forum).order_by(Forum.created_at.desc()), is_staff(user), user.id)))


# --- Threads --------------------------------------------------------------------------------------------


def _visible_threads(viewer):
    return _visible_to(is_staff(viewer), viewer.id)


def _visible_to(staff: bool, user_id):
    """Threads a reader sees in listings: not deleted; held ones only to their author and staff."""
    condition = ForumThread.opening_state.not_in(DELETED_STATES)
    if not staff:
        condition = condition & sa.or_(ForumThread.opening_state.in_(LISTED_STATES), ForumThread.author_id == user_id)
    return condition


@cache
def _read_mark_alias():
    """Made once per process (at first use, once every model is mapped): building an alias costs more than the
    rest of the badge's query, on every signed-in page. A SQL construct only, the same for everyone: the
    viewer's id is a bound parameter of each query."""
    return aliased(ForumReadMark)


def _read_mark_join(viewer):
    mark = _read_mark_alias()
    return mark, sa.and_(mark.thread_id == ForumThread.id, mark.user_id == viewer.id)


def list_threads(forum: Forum, viewer, *, category_id: int | None = None, filter_name: str | None = None):
    """A page of (thread, last_read_post_id) rows: pinned first, then latest activity."""
    mark, on = _read_mark_join(viewer)
    query = (
        sa.select(ForumThread, sa.func.coalesce(mark.last_read_post_id, 0).label("last_read"))
        .options(*THREAD_AS_LISTED)
        .outerjoin(mark, on)
        .where(ForumThread.forum_id == forum.id, _visible_threads(viewer))
        .order_by(ForumThread.pinned.desc(), ForumThread.last_post_at.desc(), ForumThread.id.desc())
    )
    if category_id is not None:
        query = query.where(ForumThread.category_id == category_id)
    if filter_name == "sans-reponse":
        query = query.where(ForumThread.reply_count == 0, ForumThread.state != ThreadState.CLOSED,
                            ForumThread.is_announcement.is_(False))
    elif filter_name == "sans-reponse-equipe":
        query = query.where(ForumThread.has_staff_reply.is_(False), ForumThread.accepted_post_id.is_(None),
                            ForumThread.state != ThreadState.CLOSED, ForumThread.is_announcement.is_(False))
    elif filter_name == "non-lus":
        query = query.where(ForumThread.last_post_id > sa.func.coalesce(mark.last_read_post_id, 0))
    # The whole forum (its first view): counted from the kept thread counts, not thread by thread.
    total = (lambda: listed_thread_total(forum, viewer)) if category_id is None and filter_name is None else None
    return paginate_rows(query, per_page=THREADS_PER_PAGE, total=total)


def listed_thread_total(forum: Forum, viewer) -> int:
    """How many threads of the forum the reader sees in its listing (_visible_threads): its kept thread counts,
    and for a learner her own threads the others do not see (held), from her rows (one query)."""
    staff = is_staff(viewer)
    own, generation = db.session.execute(_own_unlisted_statement(), {"forum_id": forum.id, "user_id": viewer.id}).one()
    counts = _kept_thread_counts.get(ALL_FORUMS, _thread_counts, generation=generation or 0)
    listed, not_deleted = counts.get(forum.id, (0, 0))
    return not_deleted if staff else listed + own


@cache
def _own_unlisted_statement() -> sa.Select:
    user_id, forum_id = sa.bindparam("user_id", type_=sa.Integer), sa.bindparam("forum_id", type_=sa.Integer)
    own = (sa.select(sa.func.count()).select_from(ForumThread)
           .where(ForumThread.author_id == user_id, ForumThread.forum_id == forum_id,
                  ForumThread.opening_state.not_in(LISTED_STATES | DELETED_STATES)).scalar_subquery())
    generation = sa.select(PageGeneration.generation).where(PageGeneration.page == THREAD_COUNTS).scalar_subquery()
    return sa.select(own, generation)


def lead_questions_waiting(forum: Forum) -> int:
    """Questions to the course lead that no staff member has answered yet (her flag). From the category's
    threads still waiting (ix_forum_threads_waiting), not from every thread of the forum."""
    lead_questions = sa.select(ForumCategory.id).where(ForumCategory.forum_id == forum.id,
                                                       ForumCategory.kind == "lead_questions")
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ForumThread)
        .where(ForumThread.category_id.in_(lead_questions),
               ForumThread.opening_state.in_(LISTED_STATES), ForumThread.has_staff_reply.is_(False),
               ForumThread.accepted_post_id.is_(None), ForumThread.state != ThreadState.CLOSED)
    )


# The badge counts, in the forums a person reads, the threads she sees whose last post is newer than what she
# has read. Counted thread by thread, that is every thread of the forum at every signed-in page (~10,000 at
# the benchmark's scale). Instead: how many threads each forum lists is the same for everyone, kept per
# process until a thread is created, deleted, moved or its opening changes state (a reply changes none of
# it: no write per post beyond the thread's own row, none per reader); from it, one query subtracts what is
# hers: the threads she has read up to their last post (her read marks), the listed threads without any
# post she could see (last_post_id 0, rare), and adds her own threads the others do not see (held).
THREAD_COUNTS = generation_watching("forum.thread_counts", watch(ForumThread, "opening_state", "forum_id"))
_kept_thread_counts = KeptByGeneration(THREAD_COUNTS, max_entries=1)
ALL_FORUMS = "all"


def _thread_counts() -> dict[int, tuple[int, int]]:
    """Forum id → (threads listed to everyone, threads not deleted: what staff see)."""
    return {forum_id: (listed, kept) for forum_id, listed, kept in db.session.execute(
        sa.select(ForumThread.forum_id, sa.func.count().filter(ForumThread.opening_state.in_(LISTED_STATES)),
                  sa.func.count().filter(ForumThread.opening_state.not_in(DELETED_STATES)))
        .group_by(ForumThread.forum_id))}


def unread_thread_count(user) -> int:
    """For the navigation badge: threads with a post the person has not seen, in the forums they read.

    One query on every signed-in page (the forums are a subquery, not a list of Forum objects loaded first),
    whose work grows with the person's own read marks, not with the forums' threads; a second one after a
    thread was created, deleted or moderated, in this process."""
    staff = is_staff(user)
    rows = db.session.execute(_unread_count_statement(staff), {"user_id": user.id}).all()
    if not rows:
        return 0
    counts = _kept_thread_counts.get(ALL_FORUMS, _thread_counts, generation=rows[0].generation or 0)
    seen = 1 if staff else 0
    unread = sum(counts.get(forum_id, (0, 0))[seen] - no_post + own - read for forum_id, no_post, own, read, _g in rows)
    # Never below zero, should a thread change between the two reads (another transaction, on PostgreSQL).
    return max(unread, 0)


@cache
def _unread_count_statement(staff: bool) -> sa.Select:
    """The badge's query, built once per process for staff and once for the others (building it took longer
    than running it). Nothing of a person is in it: her id is the bound parameter `user_id` of each run.
    One row per forum she reads: (forum id, threads she sees without any post, her own threads the others do
    not see, threads she has read up to their last post, the thread counts' generation)."""
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    seen = ForumThread.opening_state.not_in(DELETED_STATES) if staff else ForumThread.opening_state.in_(LISTED_STATES)
    # Per forum, with the forum's row: a seek in ix_forum_threads_unread (the threads without any post).
    no_post = (sa.select(sa.func.count()).select_from(ForumThread)
               .where(ForumThread.forum_id == Forum.id, ForumThread.last_post_id == 0, seen).scalar_subquery())
    # Hers, grouped by forum, each read from her own rows first (her threads by author, her read marks by
    # their key): written per forum, the planner would go through every thread of the forum instead.
    own = (sa.select(ForumThread.forum_id, sa.func.count().label("threads"))
           .where(ForumThread.author_id == user_id, ForumThread.opening_state.not_in(LISTED_STATES | DELETED_STATES),
                  ForumThread.last_post_id != 0)
           .group_by(ForumThread.forum_id).subquery("own"))
    mark = aliased(ForumReadMark)
    read = (sa.select(ForumThread.forum_id, sa.func.count().label("threads"))
            .select_from(mark).join(ForumThread, ForumThread.id == mark.thread_id)
            .where(mark.user_id == user_id, _visible_to(staff, user_id), ForumThread.last_post_id != 0,
                   ForumThread.last_post_id <= mark.last_read_post_id)
            .group_by(ForumThread.forum_id).subquery("read"))
    generation = sa.select(PageGeneration.generation).where(PageGeneration.page == THREAD_COUNTS).scalar_subquery()
    query = (sa.select(Forum.id, no_post, sa.func.coalesce(own.c.threads, 0) if not staff else sa.literal(0),
                       sa.func.coalesce(read.c.threads, 0), generation.label("generation"))
             .outerjoin(read, read.c.forum_id == Forum.id))
    if not staff:
        query = query.outerjoin(own, own.c.forum_id == Forum.id)
    return _readable(query, staff, user_id)


def read_mark(user, thread: ForumThread) -> int:
    return db.session.scalar(sa.select(ForumReadMark.last_read_post_id).where(
        ForumReadMark.user_id == user.id, ForumReadMark.thread_id == thread.id)) or 0


# --- A thread's posts -----------------------------------------------------------------------------------


def _post_visibility(viewer):
    """Deleted and hidden posts stay in place (as a placeholder); those never published only for their author
    and staff."""
    if is_staff(viewer):
        return sa.true()
    return sa.or_(ForumPost.state.not_in(UNPUBLISHED_STATES), ForumPost.author_id == viewer.id)


# Authors are shown by their names (whether one was staff is the post's own `author_is_staff`): not their roles,
# which User.roles would read for every page of posts or threads by a query of its own (three on a thread page).
AUTHOR_BY_NAME = joinedload(ForumPost.author).lazyload(User.roles)
# A forum's list of threads: their forum is the one shown, already loaded (with its categories), not joined again.
THREAD_AS_LISTED = (joinedload(ForumThread.author).lazyload(User.roles), lazyload(ForumThread.forum))


def get_thread(thread_id: int) -> ForumThread | None:
    """A thread with its forum, category and author's name (not her roles, nor its forum's categories)."""
    return db.session.get(ForumThread, thread_id, options=[
        joinedload(ForumThread.author).lazyload(User.roles), joinedload(ForumThread.forum).lazyload(Forum.categories)])


def opening_post(thread: ForumThread) -> ForumPost:
    return db.session.scalar(sa.select(ForumPost).options(AUTHOR_BY_NAME)
                             .where(ForumPost.thread_id == thread.id, ForumPost.is_opening.is_(True)))


def thread_replies(thread: ForumThread, viewer):
    """A page of replies in order, without the accepted answer (shown first, above the list)."""
    query = (
        sa.select(ForumPost).options(AUTHOR_BY_NAME)
        .where(ForumPost.thread_id == thread.id, ForumPost.parent_id.is_(None), ForumPost.is_opening.is_(False),
               _post_visibility(viewer))
        .order_by(ForumPost.id)
    )
    if thread.accepted_post_id is not None:
        query = query.where(ForumPost.id != thread.accepted_post_id)
    return db.paginate(query, per_page=REPLIES_PER_PAGE, error_out=False, max_per_page=None)


def comments_of(post_ids: list[int], viewer) -> dict[int, list[ForumPost]]:
    if not post_ids:
        return {}
    grouped: dict[int, list[ForumPost]] = {pid: [] for pid in post_ids}
    for comment in db.session.scalars(
        sa.select(ForumPost).options(AUTHOR_BY_NAME)
        .where(ForumPost.parent_id.in_(post_ids), _post_visibility(viewer)).order_by(ForumPost.id)
    ):
        grouped[comment.parent_id].append(comment)
    return grouped


def subscription(user_id: int, *, thread: ForumThread | None = None, forum: Forum | None = None) -> ForumSubscription | None:
    column, value = (ForumSubscription.thread_id, thread.id) if thread is not None else (ForumSubscription.forum_id, forum.id)
    return db.session.scalar(sa.select(ForumSubscription).where(ForumSubscription.user_id == user_id, column == value))


def follows_forum(user, forum: Forum) -> bool:
    """Staff follow every forum unless they opted out; others when they chose to."""
    row = subscription(user.id, forum=forum)
    return row.active if row is not None else is_staff(user)


def follows_thread(user, thread: ForumThread) -> bool:
    row = subscription(user.id, thread=thread)
    return bool(row and row.active)


def draft(user, target: str) -> ForumDraft | None:
    return db.session.scalar(sa.select(ForumDraft).where(ForumDraft.user_id == user.id, ForumDraft.target == target))


def edit_version(post: ForumPost) -> int:
    """What an edit form was filled from: the post's number of revisions, one more at every edit."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(ForumPostRevision)
                             .where(ForumPostRevision.post_id == post.id))


def revisions(post: ForumPost) -> list[ForumPostRevision]:
    return list(db.session.scalars(
        sa.select(ForumPostRevision).where(ForumPostRevision.post_id == post.id).order_by(ForumPostRevision.id.desc())))


# --- Moderation -----------------------------------------------------------------------------------------


AWAITING_MODERATOR = (PostState.HELD, PostState.REFUSED)  # held, hidden or not: still to publish


def moderation_queue(forum: Forum):
    """Posts with open reports, and held posts, oldest first: (post, open report count) rows."""
    open_reports = (
        sa.select(ForumReport.post_id, sa.func.count().label("reports"))
        .where(ForumReport.resolved_at.is_(None)).group_by(ForumReport.post_id).subquery()
    )
    query = (
        sa.select(ForumPost, sa.func.coalesce(open_reports.c.reports, 0))
        .join(ForumThread, ForumThread.id == ForumPost.thread_id)
        .outerjoin(open_reports, open_reports.c.post_id == ForumPost.id)
        .where(ForumThread.forum_id == forum.id, ForumPost.state.not_in(DELETED_STATES),
               sa.or_(open_reports.c.reports > 0, ForumPost.state.in_(AWAITING_MODERATOR)))
        .order_by(ForumPost.id)
    )
    return paginate_rows(query, per_page=THREADS_PER_PAGE)


def open_reports_of(post_ids: list[int]) -> dict[int, list[ForumReport]]:
    grouped: dict[int, list[ForumReport]] = {pid: [] for pid in post_ids}
    if post_ids:
        for report in db.session.scalars(sa.select(ForumReport).where(
                ForumReport.post_id.in_(post_ids), ForumReport.resolved_at.is_(None)).order_by(ForumReport.id)):
            grouped[report.post_id].append(report)
    return grouped


def moderation_count(forum: Forum) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(ForumPost.id))).select_from(ForumPost)
        .join(ForumThread, ForumThread.id == ForumPost.thread_id)
        .outerjoin(ForumReport, sa.and_(ForumReport.post_id == ForumPost.id, ForumReport.resolved_at.is_(None)))
        .where(ForumThread.forum_id == forum.id, ForumPost.state.not_in(DELETED_STATES),
               sa.or_(ForumReport.id.is_not(None), ForumPost.state.in_(AWAITING_MODERATOR)))
    )


def posts_by_user_since(user_id: int, since) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ForumPost).where(
        ForumPost.author_id == user_id, ForumPost.created_at >= since))


def approved_post_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ForumPost).where(
        ForumPost.author_id == user_id, ForumPost.state.in_((PostState.PUBLISHED, PostState.HIDDEN))))


# --- Search ---------------------------------------------------------------------------------------------


def search_posts(forum: Forum, viewer, text: str):
    """A page of (post, thread title) rows matching `text`, best first; empty when nothing to look for."""
    visible = sa.and_(
        ForumThread.forum_id == forum.id, _visible_threads(viewer), ForumPost.state == PostState.PUBLISHED,
    )
    base = sa.select(ForumPost).join(ForumThread, ForumThread.id == ForumPost.thread_id).where(visible)
    if db.engine.dialect.name == "postgresql":
        words = db.session.execute(sa.text("SELECT token, lexemes FROM ts_debug('french', :text) WHERE alias <> 'blank'"),
                                   {"text": text}).all()
        tsquery = search.postgres_tsquery(words)
        if tsquery is None:
            query = base.where(sa.false())
        else:
            query_vector = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), tsquery)
            document = sa.func.to_tsvector(sa.literal_column("'french'::regconfig"), ForumPost.search_text)
            query = base.where(document.op("@@")(query_vector)).order_by(
                sa.func.ts_rank_cd(document, query_vector).desc(), ForumPost.id.desc())
    else:
        match = search.fts_match_expression(text)
        if match is None:
            query = base.where(sa.false())
        else:
            fts = sa.table(search.FTS_TABLE, sa.column("rowid"))
            ranked = (
                sa.select(fts.c.rowid.label("post_id"), sa.func.bm25(sa.literal_column(search.FTS_TABLE)).label("rank"))
                .where(sa.literal_column(search.FTS_TABLE).op("MATCH")(match)).subquery()
            )
            query = base.join(ranked, ranked.c.post_id == ForumPost.id).order_by(ranked.c.rank, ForumPost.id.desc())
    return db.paginate(query, per_page=THREADS_PER_PAGE, error_out=False, max_per_page=None)

