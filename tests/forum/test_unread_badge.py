"""The navigation's unread badge (issue #16): each forum's thread counts are kept per process, the person's
own part (her read marks, her held threads) is read at each page. After every kind of write, the badge equals
its definition, counted thread by thread: in the forums she reads, the threads she sees whose last post is
newer than what she has read."""

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role, User
from beta_training.core.models import PageGeneration
from beta_training.forum import queries, services
from beta_training.forum.membership import is_staff
from beta_training.forum.models import DELETED_STATES, LISTED_STATES, ForumReadMark, ForumThread, PostState
from beta_training.extensions import db
from beta_training.privacy import services as privacy
from beta_training.privacy.models import Origin
from tests.factories import make_forum, make_forum_member, make_user


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _by_definition(user) -> int:
    """Thread by thread, in Python: the meaning of the badge."""
    forums = {forum.id for forum in queries.forums_for(user)}
    marks = dict(db.session.execute(sa.select(ForumReadMark.thread_id, ForumReadMark.last_read_post_id)
                                    .where(ForumReadMark.user_id == user.id)).all())
    staff = is_staff(user)
    return sum(
        1 for thread in db.session.scalars(sa.select(ForumThread))
        if thread.forum_id in forums and thread.opening_state not in DELETED_STATES
        and (staff or thread.opening_state in LISTED_STATES or thread.author_id == user.id)
        and thread.last_post_id > marks.get(thread.id, 0)
    )


def _ask(forum, author, title, **values):
    return services.start_thread(forum, author, category_id=forum.categories[0].id, kind="question", title=title,
                                 body=f"{title} : le détail.", **values)


def test_the_badge_is_its_definition_after_every_kind_of_write(ctx):
    forum, other = make_forum(), make_forum()
    ana, bea, newcomer = make_forum_member(forum), make_forum_member(forum), make_forum_member(forum)
    outsider = make_forum_member(other)
    lead = make_user(roles=[Role.COURSE_LEAD])
    readers = {"ana": ana, "bea": bea, "newcomer": newcomer, "outsider": outsider, "lead": lead}
    db.session.commit()
    seen = []

    def check(step, expected=None):
        db.session.commit()
        db.session.expire_all()
        got = {name: queries.unread_thread_count(db.session.get(User, user_id)) for name, user_id in
               ((name, user.id) for name, user in readers.items() if db.session.get(User, user.id) is not None)}
        assert got == {name: _by_definition(db.session.get(User, readers[name].id)) for name in got}, step
        if expected is not None:
            assert got == expected, step
        seen.append(step)

    check("nothing yet", {"ana": 0, "bea": 0, "newcomer": 0, "outsider": 0, "lead": 0})
    first = _ask(forum, ana, "Premiers usagers")
    check("a thread: unread for the others, read by its author",
          {"ana": 0, "bea": 1, "newcomer": 1, "outsider": 0, "lead": 1})
    _ask(other, outsider, "Ailleurs")
    check("a thread in another forum: staff only", {"ana": 0, "bea": 1, "newcomer": 1, "outsider": 0, "lead": 2})
    services.mark_read(bea.id, first.id, first.last_post_id)
    check("read", {"ana": 0, "bea": 0, "newcomer": 1, "outsider": 0, "lead": 2})
    reply = services.reply(db.session.get(ForumThread, first.id), newcomer, body="Une piste")
    check("a reply: unread again for those who had read", {"ana": 1, "bea": 1, "newcomer": 0, "outsider": 0, "lead": 2})
    refused = sa.update(ForumThread).where(ForumThread.id == first.id)
    db.session.execute(refused.values(opening_state=PostState.REFUSED))  # by hand: no service leaves replies under it
    check("a thread with replies, its opening refused: its author and staff", {"ana": 1, "bea": 0, "newcomer": 0,
                                                                              "outsider": 0, "lead": 2})
    db.session.execute(refused.values(opening_state=PostState.PUBLISHED))
    check("published again", {"ana": 1, "bea": 1, "newcomer": 0, "outsider": 0, "lead": 2})
    held = _ask(forum, bea, "Retenu", rules=services.PostingRules(hold_first_posts=5))
    assert held.opening_state == PostState.HELD
    check("a held thread: seen by its author and staff, no published post yet", {"ana": 1, "bea": 1, "newcomer": 0,
                                                                                  "outsider": 0, "lead": 2})
    opening = queries.opening_post(held)
    services.approve_held_post(opening, lead)
    check("approved: everyone", {"ana": 2, "bea": 1, "newcomer": 1, "outsider": 0, "lead": 3})
    lonely = _ask(forum, newcomer, "Sans réponse")
    services.hide_post(queries.opening_post(lonely), lead, "Hors sujet")
    assert lonely.opening_state == PostState.HIDDEN and lonely.last_post_id == 0
    check("its only post hidden: listed, no post anyone could read")
    services.delete_post(queries.opening_post(db.session.get(ForumThread, held.id)), lead)
    check("deleted: nobody")
    services.delete_post(reply, lead)
    check("a reply deleted: the last post goes back")
    services.mark_read(ana.id, first.id, first.last_post_id)
    services.mark_read(lead.id, first.id, 10**9)
    check("read again")
    privacy.erase_account(db.session.get(User, newcomer.id), origin=Origin.SELF)
    check("an account erased: its enrolment and marks go, its threads stay")
    enrolled = readers.pop("newcomer")
    assert db.session.get(User, enrolled.id) is None
    _ask(forum, bea, "Encore une question")
    check("one more thread after all that")
    assert len(seen) == 15


def test_a_reply_does_not_retire_the_kept_counts_a_new_thread_does(ctx):
    """No write per reader, and none per post beyond the thread's own row: a reply leaves the forums' thread
    counts as kept; a thread created or moderated bumps them once."""
    forum = make_forum()
    asker, reader = make_forum_member(forum), make_forum_member(forum)
    thread = _ask(forum, asker, "Question")
    db.session.commit()

    def generation():
        return db.session.scalar(sa.select(PageGeneration.generation).where(PageGeneration.page == queries.THREAD_COUNTS))

    before = generation()
    marks = db.session.scalar(sa.select(sa.func.count()).select_from(ForumReadMark))
    services.reply(thread, reader, body="Réponse")
    db.session.commit()
    assert generation() == before
    # The reply wrote one read mark, its author's: nothing for the other readers.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumReadMark)) == marks + 1
    assert queries.unread_thread_count(asker) == 1
    _ask(forum, reader, "Autre")
    db.session.commit()
    assert generation() == before + 1 and queries.unread_thread_count(asker) == 2


def test_one_query_at_ten_and_at_a_thousand_threads(ctx, count_queries):
    forum = make_forum()
    reader, asker = make_forum_member(forum), make_forum_member(forum)
    lead = make_user(roles=[Role.COURSE_LEAD])
    counts = {}
    for total in (10, 1000):
        existing = db.session.scalar(sa.select(sa.func.count()).select_from(ForumThread))
        thread = _ask(forum, asker, f"Modèle {total}")
        db.session.execute(sa.insert(ForumThread), [
            {"forum_id": forum.id, "category_id": thread.category_id, "author_id": asker.id, "kind": "question",
             "title": f"Sujet {n}", "state": thread.state, "state_reason": "", "pinned": False, "is_announcement": False,
             "reply_count": 0, "has_staff_reply": False, "last_post_id": thread.last_post_id,
             "last_post_at": thread.last_post_at, "created_at": thread.created_at, "opening_state": PostState.PUBLISHED}
            for n in range(total - existing - 1)])
        db.session.commit()
        for user in (reader, lead):
            assert user.roles is not None
            assert queries.unread_thread_count(user) == total == _by_definition(user)
            with count_queries() as counted:
                assert queries.unread_thread_count(user) == total
            counts[total, user.id] = counted.count
    assert set(counts.values()) == {1}


def test_the_listing_counts_what_it_lists_from_the_kept_counts(ctx, count_queries):
    """The forum's first page says how many threads there are (its pages): from the kept thread counts and
    the reader's own held threads, the number of threads the listing goes through."""
    forum = make_forum()
    ana, bea = make_forum_member(forum), make_forum_member(forum)
    lead = make_user(roles=[Role.COURSE_LEAD])
    for n in range(3):
        _ask(forum, ana, f"Sujet {n}")
    _ask(forum, bea, "Retenu", rules=services.PostingRules(hold_first_posts=5))
    gone = _ask(forum, ana, "Supprimé")
    services.delete_post(queries.opening_post(gone), lead)
    db.session.commit()

    def totals():
        listed = {}
        for name, user in (("ana", ana), ("bea", bea), ("lead", lead)):
            threads = queries.list_threads(forum, user)
            listed[name] = (threads.total, len(threads.items))
        return listed

    assert totals() == {"ana": (3, 3), "bea": (4, 4), "lead": (4, 4)}
    _ask(forum, bea, "Encore")
    db.session.commit()
    assert totals() == {"ana": (4, 4), "bea": (5, 5), "lead": (5, 5)}
    assert queries.lead_questions_waiting(forum) == 4
    assert ana.roles is not None
    with count_queries() as counted:
        queries.list_threads(forum, ana)
    counts = [statement for statement in counted.statements if "count(" in statement]
    # One count, of her own held threads (with the generation of the kept counts): not of every listed thread.
    assert len(counts) == 1 and "forum_read_marks" not in counts[0] and "forum_threads.author_id =" in counts[0]
