"""Forum services: posting rules, answers, moderation, notifications and digests, search (on both databases)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.core.models import OutboxMessage, StateChange, utcnow
from beta_training.core.states import InvalidTransition
from beta_training.extensions import db
from beta_training.forum import queries, services
from beta_training.forum.models import (
    APPROVED,
    DELETED_FROM,
    HIDDEN_FROM,
    POST_TRANSITIONS,
    RESTORED,
    ForumNotification,
    ForumPreference,
    ForumPost,
    ForumPostRevision,
    ForumReport,
    ForumSubscription,
    PostState,
    ThreadState,
)
from tests.conftest import is_postgres
from tests.factories import make_cohort, make_forum, make_forum_member, make_mooc, make_user
from tests.simultaneous import row_inserted_meanwhile

RULES = services.PostingRules()
GRACE = timedelta(minutes=2)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def forum(ctx):
    return make_forum()


def _subjects(recipient=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return [m.subject for m in db.session.scalars(query)]


def _after_grace(**kwargs):
    """What the cron runs send once the grace period of everything written so far is over."""
    later = utcnow() + GRACE
    return services.send_notifications(grace=GRACE, now=later, **kwargs), services.send_digests(grace=GRACE, now=later)


def _ask(forum, author, title="Comment trouver mes premiers usagers ?", body="Je cherche des usagers.", **values):
    return services.start_thread(forum, author, category_id=forum.categories[0].id, kind="question", title=title,
                                 body=body, **values)


def test_a_run_forum_has_the_lead_general_and_one_category_per_sequence(ctx):
    course, run = make_mooc(sequences=(2, 1), kinds=("text",))
    forum = services.forum_for_run(run)
    again = services.forum_for_run(run)
    assert again.id == forum.id
    assert [c.title for c in forum.categories] == [
        "Questions à la responsable de la formation", "Général",
        "Séquence 1 : Séquence 1", "Séquence 2 : Séquence 2", "Séquence 3 : Séquence 3"]
    cohort_forum = services.forum_for_cohort(make_cohort())
    assert [c.kind for c in cohort_forum.categories] == ["lead_questions", "general"]


def test_thread_and_replies_keep_the_listing_counts(forum):
    learner, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    thread = _ask(forum, learner)
    assert (thread.reply_count, thread.has_staff_reply) == (0, False)
    peer_reply = services.reply(thread, make_forum_member(forum), body="Moi aussi.")
    assert (thread.reply_count, thread.has_staff_reply, thread.last_post_id) == (1, False, peer_reply.id)
    answer = services.reply(thread, lead, body="Allez voir les guichets.")
    assert (thread.reply_count, thread.has_staff_reply) == (2, True) and answer.author_is_staff
    comment = services.reply(thread, learner, body="Merci", parent_id=answer.id)
    on_comment = services.reply(thread, learner, body="Et encore", parent_id=comment.id)
    assert comment.parent_id == answer.id and on_comment.parent_id == answer.id  # one level of comments
    assert queries.follows_thread(learner, thread)  # one's own thread is followed


def test_only_readers_post_and_closed_threads_refuse_replies(forum):
    outsider = make_user()
    with pytest.raises(services.ForumError, match="réservé"):
        _ask(forum, outsider)
    learner, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    thread = _ask(forum, learner)
    with pytest.raises(services.ForumError, match="raison"):
        services.change_thread_state(thread, lead, ThreadState.LOCKED, reason="")
    with pytest.raises(services.ForumError, match="équipe"):
        services.change_thread_state(thread, learner, ThreadState.LOCKED, reason="Je ferme")
    services.change_thread_state(thread, lead, ThreadState.LOCKED, reason="On se calme.")
    with pytest.raises(services.ForumError, match="n’accepte plus"):
        services.reply(thread, learner, body="Mais…")
    services.change_thread_state(thread, lead, ThreadState.OPEN)
    services.reply(thread, learner, body="Merci.")
    services.change_thread_state(thread, lead, ThreadState.CLOSED, reason="Doublon.")
    moves = db.session.execute(sa.select(StateChange.from_state, StateChange.to_state, StateChange.reason).where(
        StateChange.subject_type == "forum_threads", StateChange.subject_id == thread.id).order_by(StateChange.id)).all()
    assert moves == [("open", "locked", "On se calme."), ("locked", "open", ""), ("open", "closed", "Doublon.")]


def test_accepted_answer_by_the_asker_or_staff_only(forum):
    asker, other, lead = make_forum_member(forum), make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    thread = _ask(forum, asker)
    answer = services.reply(thread, lead, body="Voici.")
    with pytest.raises(services.ForumError):
        services.accept_answer(thread, other, answer)
    opening = queries.opening_post(thread)
    with pytest.raises(services.ForumError, match="réponse visible"):
        services.accept_answer(thread, asker, opening)
    services.accept_answer(thread, asker, answer)
    assert thread.accepted_post_id == answer.id
    services.delete_post(answer, lead)
    assert thread.accepted_post_id is None  # a deleted answer is no longer accepted


def test_edit_keeps_history_and_delete_leaves_a_placeholder(forum):
    author, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    thread = _ask(forum, author, body="Premier jet")
    opening = queries.opening_post(thread)
    services.edit_post(opening, author, body="Premier jet", title=thread.title)
    assert opening.edited_at is None  # nothing changed, no « modifié »
    services.edit_post(opening, author, body="Version **2**", title="Nouveau titre")
    assert opening.edited_at is not None and thread.title == "Nouveau titre" and "<strong>2</strong>" in opening.body_html
    [revision] = queries.revisions(opening)
    assert (revision.title, revision.body) == ("Comment trouver mes premiers usagers ?", "Premier jet")
    with pytest.raises(services.ForumError):
        services.edit_post(opening, make_forum_member(forum), body="vandalisme")
    reply = services.reply(thread, author, body="Oups")
    services.delete_post(reply, author)
    assert reply.state == PostState.DELETED and thread.reply_count == 0
    assert db.session.get(ForumPost, reply.id) is not None  # soft: the row stays
    services.delete_post(opening, lead)
    assert thread.is_deleted and db.session.scalar(sa.select(sa.func.count()).select_from(ForumPostRevision)) == 1


def test_posting_is_rate_limited_per_person_and_staff_are_exempt(forum):
    learner, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    rules = services.PostingRules(max_posts=3, per=timedelta(minutes=10))
    thread = _ask(forum, learner, rules=rules)
    services.reply(thread, learner, body="2", rules=rules)
    services.reply(thread, learner, body="3", rules=rules)
    with pytest.raises(services.ForumError, match="attendez un peu"):
        services.reply(thread, learner, body="4", rules=rules)
    later = utcnow() + timedelta(minutes=11)
    services.reply(thread, learner, body="4", rules=rules, now=later)
    for n in range(5):
        services.reply(thread, lead, body=f"équipe {n}", rules=rules)


@pytest.mark.parametrize("body,message", [("   ", "Écrivez"), ("x" * 10_001, "dépasse")])
def test_length_limits(forum, body, message):
    with pytest.raises(services.ForumError, match=message):
        _ask(forum, make_forum_member(forum), body=body)


def test_a_new_accounts_first_posts_wait_for_a_moderator(forum):
    rules = services.PostingRules(hold_first_posts=1)
    newcomer, peer, lead = make_forum_member(forum), make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    thread = _ask(forum, newcomer, rules=rules)
    assert thread.is_held and not thread.can_view(peer) and thread.can_view(newcomer) and thread.can_view(lead)
    assert _subjects(lead.email) == []  # nobody hears of it before a moderator publishes it
    assert [p.id for p, _n in queries.moderation_queue(forum).items] == [queries.opening_post(thread).id]
    _after_grace()
    assert _subjects(lead.email) == []  # held all along: never sent, however long it waits
    services.approve_held_post(queries.opening_post(thread), lead)
    assert not thread.is_held and thread.can_view(peer)
    _after_grace()
    assert _subjects(lead.email) == [f"Nouveau sujet : {thread.title}"]
    services.reply(thread, newcomer, body="Une fois accepté, je publie directement.", rules=rules)
    assert db.session.scalar(sa.select(ForumPost.state).order_by(ForumPost.id.desc()).limit(1)) == PostState.PUBLISHED


def test_reports_hide_and_restore_tell_the_author(forum):
    author, reporter, lead = make_forum_member(forum), make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    thread = _ask(forum, author)
    post = services.reply(thread, author, body="Propos déplacés")
    first = services.report_post(post, reporter, "Insultant")
    assert services.report_post(post, reporter, "Encore").id == first.id  # reporting twice keeps one report
    with pytest.raises(services.ForumError):
        services.report_post(post, author, "moi-même")
    assert queries.moderation_count(forum) == 1
    services.hide_post(post, lead, "Propos contraires à la charte.")
    assert post.state == PostState.HIDDEN and not post.can_read_body(reporter) and post.can_read_body(author)
    assert thread.reply_count == 0 and queries.moderation_count(forum) == 0
    assert db.session.scalar(sa.select(ForumReport.outcome)) == "hidden"
    services.restore_post(post, lead)
    assert post.state == PostState.PUBLISHED and thread.reply_count == 1
    assert _subjects(author.email)[-2:] == ["Votre message a été masqué par l’équipe", "Votre message est de nouveau visible"]


def test_notifications_go_to_followers_mentions_and_staff_never_to_the_author(forum):
    asker = make_forum_member(forum, first_name="Élodie", last_name="Martin")
    follower, bystander = make_forum_member(forum), make_forum_member(forum)
    lead = make_user(roles=[Role.COURSE_LEAD])
    tired_lead = make_user(roles=[Role.TRAINER])
    outsider = make_user(first_name="Élodie", last_name="Martin-Horsforum")
    services.follow_forum(tired_lead, forum, False)  # staff follow by default, unless they opted out
    thread = _ask(forum, asker)
    services.follow_thread(follower, thread)
    _after_grace()
    assert _subjects(lead.email) == [f"Nouveau sujet : {thread.title}"] and _subjects(tired_lead.email) == []
    services.reply(thread, lead, body="Bonjour @elodie.martin, regardez la séquence 2.")
    _after_grace()
    assert _subjects(asker.email) == [f"{lead.full_name} vous a mentionné·e : {thread.title}"]
    assert _subjects(follower.email) == [f"Nouvelle réponse : {thread.title}"]
    assert _subjects(bystander.email) == [] and _subjects(outsider.email) == []
    assert _subjects(lead.email) == [f"Nouveau sujet : {thread.title}"]  # not about her own reply
    rows = db.session.scalars(sa.select(ForumNotification)).all()
    assert len(rows) == len({(n.user_id, n.post_id) for n in rows})


def test_a_notification_waits_for_the_grace_period_and_carries_the_post_as_it_is_then(forum):
    asker, follower, changed_mind = make_forum_member(forum), make_forum_member(forum), make_forum_member(forum)
    thread = _ask(forum, asker)
    for user in (follower, changed_mind):
        services.follow_thread(user, thread)
    written = utcnow()
    post = services.reply(thread, asker, body="Premier jet, avec une coquille.", now=written)
    assert services.send_notifications(grace=GRACE, now=written + GRACE - timedelta(seconds=1)) == 0
    services.edit_post(post, asker, body="Version relue.")  # fixed within the grace period
    services.set_email_frequency(changed_mind.id, "none")
    assert services.send_notifications(grace=GRACE, now=written + GRACE) == 1
    [body] = db.session.scalars(sa.select(OutboxMessage.text_body).where(OutboxMessage.recipient == follower.email))
    assert "Version relue." in body and "Premier jet" not in body
    assert _subjects(changed_mind.email) == []


def test_announcements_reach_every_member(forum):
    members = [make_forum_member(forum) for _ in range(3)]
    lead = make_user(roles=[Role.COURSE_LEAD])
    with pytest.raises(services.ForumError, match="annonces"):
        _ask(forum, members[0], announcement=True)
    thread = _ask(forum, lead, title="Classe virtuelle jeudi", announcement=True)
    assert thread.pinned
    assert _after_grace() == (3, 0)
    for member in members:
        assert _subjects(member.email) == ["Annonce : Classe virtuelle jeudi"]


def test_daily_digest_once_per_post_and_none_means_none(forum):
    asker, daily, silent = make_forum_member(forum), make_forum_member(forum), make_forum_member(forum)
    services.set_email_frequency(daily.id, "daily")
    services.set_email_frequency(silent.id, "none")
    thread = _ask(forum, asker)
    for user in (daily, silent):
        services.follow_thread(user, thread)
    services.reply(thread, asker, body="Précision 1")
    services.reply(thread, asker, body="Précision 2")
    assert _subjects(daily.email) == [] and _subjects(silent.email) == []
    assert services.send_digests(grace=GRACE) == 0  # within the grace period: for the next digest
    later = utcnow() + GRACE
    assert services.send_notifications(grace=GRACE, now=later) == 0  # not for those who chose the digest
    assert services.send_digests(grace=GRACE, now=later) == 1
    assert services.send_digests(grace=GRACE, now=later) == 0  # run twice: nothing new, nothing sent
    assert _subjects(daily.email) == ["Forum : 2 nouveaux messages"] and _subjects(silent.email) == []
    services.reply(thread, asker, body="Précision 3")
    assert services.send_digests(grace=GRACE, now=utcnow() + GRACE) == 1
    assert _subjects(daily.email) == ["Forum : 2 nouveaux messages", "Forum : 1 nouveau message"]


def test_unsubscribe_scopes_and_way_back_to_the_previous_choice(forum):
    learner = make_forum_member(forum)
    thread = _ask(forum, make_forum_member(forum))
    services.follow_thread(learner, thread)
    assert services.unsubscribe(learner.id, f"thread:{thread.id}") == services.FOLLOWING
    assert not queries.follows_thread(learner, thread)
    assert services.unsubscribe(learner.id, f"thread:{thread.id}") is None  # nothing left to stop
    services.undo_unsubscribe(learner.id, f"thread:{thread.id}", services.FOLLOWING)
    assert queries.follows_thread(learner, thread)
    services.set_email_frequency(learner.id, "daily")
    assert services.unsubscribe(learner.id, "all") == "daily"
    assert services.email_frequency(learner.id) == "none"
    services.undo_unsubscribe(learner.id, "all", "daily")
    assert services.email_frequency(learner.id) == "daily"  # the digest, as before: not « each message »
    lead = make_user(roles=[Role.COURSE_LEAD])
    services.unsubscribe(lead.id, f"forum:{forum.id}")
    assert not queries.follows_forum(lead, forum)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumSubscription).where(
        ForumSubscription.user_id == lead.id)) == 1


@pytest.mark.skipif(not is_postgres(), reason="SQLite lets one writer at a time: no insert can slip in between")
def test_a_second_click_on_the_unsubscribe_link_meanwhile_updates_the_first_ones_row(app, forum, monkeypatch):
    """The link is followed without a session, so the service queues two clicks on the person's row. Without
    that lock (taken away here: the other connection's insert would wait for it), both would look and find no
    row: the upsert alone still leaves one."""
    monkeypatch.setattr(services, "lock_for_update", lambda model, row_id: None)
    learner = make_forum_member(forum)
    thread = _ask(forum, make_forum_member(forum))
    db.session.commit()
    first_click = {"user_id": learner.id, "thread_id": thread.id, "active": False, "created_at": sa.func.now()}
    with row_inserted_meanwhile(app, ForumSubscription.__table__, first_click) as inserted:
        services.unsubscribe(learner.id, f"thread:{thread.id}")
        db.session.commit()
    with row_inserted_meanwhile(app, ForumPreference.__table__, {"user_id": learner.id, "email_frequency": "none"}):
        services.unsubscribe(learner.id, "all")
        db.session.commit()
    assert inserted and not queries.follows_thread(learner, thread)
    assert services.email_frequency(learner.id) == "none"


def test_filters_and_unread(forum):
    asker, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    reader = make_forum_member(forum)
    lonely = _ask(forum, asker, title="Personne ne répond")
    peer_only = _ask(forum, asker, title="Seulement des pairs")
    services.reply(peer_only, reader, body="Je ne sais pas")
    answered = _ask(forum, asker, title="L’équipe a répondu")
    services.reply(answered, lead, body="Réponse")

    def titles(filter_name, viewer=asker):
        return [t.title for t, _last in queries.list_threads(forum, viewer, filter_name=filter_name).items]

    assert titles("sans-reponse") == [lonely.title]
    assert sorted(titles("sans-reponse-equipe")) == sorted([lonely.title, peer_only.title])
    assert set(titles("non-lus", reader)) == {lonely.title, answered.title}  # read by answering the other
    services.mark_read(reader.id, lonely.id, lonely.last_post_id)
    assert titles("non-lus", reader) == [answered.title]
    assert queries.unread_thread_count(reader) == 1
    assert queries.lead_questions_waiting(forum) == 2


def test_search_finds_plural_for_singular_ranked_highlighted_and_only_what_the_reader_may_see(forum):
    author, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    thread = _ask(forum, author, title="Recrutement", body="Nous avons interrogé un usager de la CAF.")
    strong = services.reply(thread, author, body="L'usager, encore l'usager : un usager content.")
    hidden = services.reply(thread, author, body="Un usager mécontent (masqué).")
    services.hide_post(hidden, lead, "Hors sujet")
    _ask(forum, author, title="Autre chose", body="Rien à voir : des tableaux.")
    page = queries.search_posts(forum, author, "usagers")
    found = [post.id for post in page.items]
    assert set(found) == {queries.opening_post(thread).id, strong.id}
    assert found[0] == strong.id  # three mentions rank above one
    from beta_training.forum.search import highlight

    assert "<mark>usager</mark>" in str(highlight(strong.search_text, "usagers"))
    assert queries.search_posts(forum, author, "Usagères").total == 2  # case and accents
    other_forum = make_forum()
    assert queries.search_posts(other_forum, make_forum_member(other_forum), "usagers").total == 0
    assert queries.search_posts(forum, author, '"; DROP TABLE forum_posts; --').total == 0


def test_highlight_escapes_the_text_around_the_marks():
    from beta_training.forum.search import highlight

    html = str(highlight('<script>alert("usager")</script> usager', "usager"))
    assert "<script" not in html and "&lt;/script&gt;" in html and html.count("<mark>") == 2


def test_an_alpha_forum_is_for_participants_holding_a_seat(ctx):
    from tests.factories import make_application

    cohort = make_cohort()
    forum = make_forum(cohort=cohort)
    confirmed = make_forum_member(forum)
    waitlisted = make_application(cohort, state="waitlisted", waitlist_position=1).user
    assert forum.can_view(confirmed) and not forum.can_view(waitlisted)
    assert [f.id for f in queries.forums_for(confirmed)] == [forum.id]
    assert queries.forums_for(waitlisted) == []


# --- Moderation states: one column, one table, one guard --------------------------------------------------


def _moves(post):
    return [(c.from_state, c.to_state, c.actor_id, c.reason) for c in db.session.scalars(
        sa.select(StateChange).where(StateChange.subject_type == "forum_posts", StateChange.subject_id == post.id)
        .order_by(StateChange.id))]


def test_every_moderation_move_is_recorded_with_its_actor_and_reason(forum):
    author, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    post = services.reply(_ask(forum, author), author, body="Propos limites")
    services.hide_post(post, lead, "  Hors charte.  ")
    services.hide_post(post, lead, "Encore")  # a second click: nothing more
    services.restore_post(post, lead)
    services.delete_post(post, author)
    services.delete_post(post, author)
    assert _moves(post) == [
        ("published", "hidden", lead.id, "Hors charte."),
        ("hidden", "published", lead.id, "Rétabli par l’équipe."),
        ("published", "deleted", author.id, "Supprimé par son auteur·e."),
    ]


def test_the_guard_refuses_a_move_the_table_does_not_allow(forum):
    author, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    post = services.reply(_ask(forum, author), author, body="Oups")
    services.delete_post(post, lead)
    for target in (PostState.PUBLISHED, PostState.HIDDEN, PostState.HELD):
        with pytest.raises(InvalidTransition):
            services.move_post(post, target, actor=lead, reason="Essai")
    with pytest.raises(InvalidTransition):  # hiding a deleted post: refused, the author is not emailed
        services.hide_post(post, lead, "Trop tard")
    assert post.state == PostState.DELETED and _moves(post) == [("published", "deleted", lead.id, "Supprimé par l’équipe.")]
    assert "Votre message a été masqué par l’équipe" not in _subjects(author.email)


def test_the_transition_table_matches_what_moderators_can_do():
    """Each action's moves are moves of the table; the end states have none."""
    for action in (APPROVED, HIDDEN_FROM, RESTORED, DELETED_FROM):
        for source, target in action.items():
            assert target in POST_TRANSITIONS[source], (action, source, target)
    assert POST_TRANSITIONS[PostState.DELETED] == POST_TRANSITIONS[PostState.WITHDRAWN] == set()


def test_a_post_never_published_stays_out_of_members_sight_whatever_follows(forum):
    """Hidden or deleted while held, a newcomer's post is refused or withdrawn: its author and staff still see it
    (a placeholder once deleted), other members never did and still do not; restoring a refused post puts it
    back in the queue, not online."""
    rules = services.PostingRules(hold_first_posts=5)
    asker, newcomer, peer = make_forum_member(forum), make_forum_member(forum), make_forum_member(forum)
    lead = make_user(roles=[Role.COURSE_LEAD])
    thread = _ask(forum, asker)
    refused = services.reply(thread, newcomer, body="Publicité", rules=rules)
    withdrawn = services.reply(thread, newcomer, body="Finalement non", rules=rules)
    services.hide_post(refused, lead, "Publicité")
    services.delete_post(withdrawn, newcomer)
    assert (refused.state, withdrawn.state) == (PostState.REFUSED, PostState.WITHDRAWN)

    def seen_by(user):
        return [p.id for p in queries.thread_replies(thread, user).items]

    assert seen_by(peer) == []
    assert seen_by(newcomer) == seen_by(lead) == [refused.id, withdrawn.id]
    assert [p.id for p, _n in queries.moderation_queue(forum).items] == [refused.id]
    services.restore_post(refused, lead)
    assert refused.state == PostState.HELD and seen_by(peer) == []
    services.approve_held_post(refused, lead)
    assert refused.state == PostState.PUBLISHED and seen_by(peer) == [refused.id] and thread.reply_count == 1


def test_an_opening_posts_state_is_copied_to_its_thread(forum):
    rules = services.PostingRules(hold_first_posts=1)
    newcomer, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    thread = _ask(forum, newcomer, rules=rules)
    opening = queries.opening_post(thread)
    assert thread.opening_state == opening.state == PostState.HELD
    services.hide_post(opening, lead, "Hors sujet")
    assert thread.opening_state == PostState.REFUSED and thread.is_held
    services.approve_held_post(opening, lead)  # published, still hidden: the thread is listed, its text is not shown
    assert thread.opening_state == PostState.HIDDEN and not thread.is_held
    services.delete_post(opening, lead)
    assert thread.opening_state == PostState.DELETED and thread.is_deleted


def test_the_unread_badge_is_one_query_for_learners_and_staff(forum, count_queries):
    """It is on every signed-in page: the forums a person reads are a subquery, not a list loaded first."""
    other = make_forum()
    learner, lead = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    author = make_forum_member(other)
    for target, writer in ((forum, make_forum_member(forum)), (other, author)):
        _ask(target, writer)
    db.session.commit()
    assert learner.roles is not None and lead.roles is not None  # loaded, as the signed-in user of a request is
    with count_queries() as first:
        assert queries.unread_thread_count(learner) == 1
    assert first.count == 2  # and the forums' thread counts, kept until a thread is created, deleted, moderated
    for reader, expected in ((learner, 1), (lead, 2)):  # a learner reads her run's forum only; staff read both
        assert reader.id and reader.roles is not None  # loaded, as the signed-in user of a request is
        with count_queries() as counted:
            assert queries.unread_thread_count(reader) == expected
        assert counted.count == 1
