"""forum posts: one moderation state instead of held / hidden_at / deleted_at

Revision ID: c68fb2237b54
Revises: 23f705a89423
Create Date: 2026-12-03 09:00:00

A post's `held`, `hidden_at` (+ `hidden_by_id`) and `deleted_at` become one `state` (forum.models.PostState),
moved only through the core guard, which records each move in `state_changes`. The eight combinations of
the old columns map to six states: a post deleted or hidden while still held keeps out of members' sight
(withdrawn, refused), as it did. The thread's `held` and `deleted_at`, which copied its opening post's, become
`opening_state`, the same copy in one column. `hidden_reason` stays on the post: the thread page shows it.

Who hid a post and when, and when it was deleted, were only in the dropped columns: they are written to the
timeline (`state_changes`) first. Downgrade reads them back from there (a post deleted after being hidden
comes back deleted, not also hidden).
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c68fb2237b54'
down_revision = '23f705a89423'
branch_labels = None
depends_on = None

posts = sa.table(
    'forum_posts',
    sa.column('id', sa.Integer), sa.column('thread_id', sa.Integer), sa.column('is_opening', sa.Boolean),
    sa.column('held', sa.Boolean), sa.column('hidden_at', sa.DateTime), sa.column('hidden_by_id', sa.Integer),
    sa.column('hidden_reason', sa.String), sa.column('deleted_at', sa.DateTime), sa.column('state', sa.String),
)
threads = sa.table(
    'forum_threads',
    sa.column('id', sa.Integer), sa.column('held', sa.Boolean), sa.column('deleted_at', sa.DateTime),
    sa.column('opening_state', sa.String),
)
changes = sa.table(
    'state_changes',
    sa.column('id', sa.Integer), sa.column('subject_type', sa.String), sa.column('subject_id', sa.Integer),
    sa.column('from_state', sa.String), sa.column('to_state', sa.String), sa.column('actor_id', sa.Integer),
    sa.column('reason', sa.Text), sa.column('created_at', sa.DateTime),
)

def word(text: str):
    """A constant written into the SQL (a bound parameter in a SELECT list may have no type on PostgreSQL)."""
    return sa.literal_column(f"'{text}'", sa.String)


UNPUBLISHED = ('held', 'refused', 'withdrawn')
HIDDEN = ('hidden', 'refused')
DELETED = ('deleted', 'withdrawn')

held = posts.c.held.is_(True)
hidden = posts.c.hidden_at.is_not(None)
deleted = posts.c.deleted_at.is_not(None)
# Before it was deleted, and once it was hidden: what the post was, from the old columns.
BEFORE_DELETION = sa.case((sa.and_(held, hidden), word('refused')), (held, word('held')), (hidden, word('hidden')),
                          else_=word('published'))
BEFORE_HIDING = sa.case((held, word('held')), else_=word('published'))
HIDDEN_AS = sa.case((held, word('refused')), else_=word('hidden'))
DELETED_AS = sa.case((held, word('withdrawn')), else_=word('deleted'))
STATE = sa.case((deleted, DELETED_AS), else_=BEFORE_DELETION)


def _record(moves: sa.Select) -> None:
    """Append moves to the timeline, unless already there (an upgrade after a downgrade wrote them once)."""
    moves = moves.subquery()
    already = sa.exists().where(changes.c.subject_type == 'forum_posts', changes.c.subject_id == moves.c.subject_id,
                                changes.c.to_state == moves.c.to_state, changes.c.created_at == moves.c.created_at)
    columns = ['subject_type', 'subject_id', 'from_state', 'to_state', 'actor_id', 'reason', 'created_at']
    op.execute(changes.insert().from_select(columns, sa.select(*(moves.c[name] for name in columns)).where(~already)))


def upgrade():
    with op.batch_alter_table('forum_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=20), nullable=True))
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_state', sa.String(length=20), nullable=True))

    _record(sa.select(word('forum_posts').label('subject_type'), posts.c.id.label('subject_id'),
                      BEFORE_HIDING.label('from_state'), HIDDEN_AS.label('to_state'), posts.c.hidden_by_id.label('actor_id'),
                      posts.c.hidden_reason.label('reason'), posts.c.hidden_at.label('created_at')).where(hidden))
    _record(sa.select(word('forum_posts').label('subject_type'), posts.c.id.label('subject_id'),
                      BEFORE_DELETION.label('from_state'), DELETED_AS.label('to_state'),
                      sa.cast(sa.null(), sa.Integer).label('actor_id'), word('').label('reason'),
                      posts.c.deleted_at.label('created_at')).where(deleted))
    op.execute(posts.update().values(state=STATE))
    opening = (sa.select(posts.c.state).where(posts.c.thread_id == threads.c.id, posts.c.is_opening.is_(True))
               .limit(1).scalar_subquery())
    from_thread = sa.case(
        (sa.and_(threads.c.deleted_at.is_not(None), threads.c.held.is_(True)), word('withdrawn')),
        (threads.c.deleted_at.is_not(None), word('deleted')), (threads.c.held.is_(True), word('held')),
        else_=word('published'))
    op.execute(threads.update().values(opening_state=sa.func.coalesce(opening, from_thread)))

    with op.batch_alter_table('forum_posts', schema=None) as batch_op:
        batch_op.alter_column('state', existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_constraint('fk_forum_posts_hidden_by_id_users', type_='foreignkey')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('held')
        batch_op.drop_column('deleted_at')
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.alter_column('opening_state', existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column('held')
        batch_op.drop_column('deleted_at')


def _latest_move(into, column):
    """`column` of the post's latest recorded move into its present state."""
    return (sa.select(changes.c[column])
            .where(changes.c.subject_type == 'forum_posts', changes.c.subject_id == posts.c.id, changes.c.to_state == into)
            .order_by(changes.c.created_at.desc(), changes.c.id.desc()).limit(1).scalar_subquery())


def downgrade():
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC, as UTCDateTime does
    with op.batch_alter_table('forum_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('held', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))

    state = posts.c.state
    at = sa.func.coalesce(_latest_move(state, 'created_at'), sa.literal(now, sa.DateTime))
    op.execute(posts.update().values(
        held=state.in_(UNPUBLISHED),
        hidden_at=sa.case((state.in_(HIDDEN), at), else_=None),
        hidden_by_id=sa.case((state.in_(HIDDEN), _latest_move(state, 'actor_id')), else_=None),
        deleted_at=sa.case((state.in_(DELETED), at), else_=None),
    ))
    opening_deleted_at = (sa.select(posts.c.deleted_at).where(posts.c.thread_id == threads.c.id, posts.c.is_opening.is_(True))
                          .limit(1).scalar_subquery())
    op.execute(threads.update().values(
        held=threads.c.opening_state.in_(UNPUBLISHED),
        deleted_at=sa.case((threads.c.opening_state.in_(DELETED),
                            sa.func.coalesce(opening_deleted_at, sa.literal(now, sa.DateTime))), else_=None),
    ))

    with op.batch_alter_table('forum_posts', schema=None) as batch_op:
        batch_op.alter_column('held', existing_type=sa.Boolean(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_forum_posts_hidden_by_id_users'), 'users', ['hidden_by_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.drop_column('state')
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.alter_column('held', existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_column('opening_state')
