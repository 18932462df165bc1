"""A member's buttons and forms on a post, pressed in a tab left open after the team hid the post or locked
its thread (or after she deleted it): back to the thread with why, never « Accès refusé »; nothing changes.
Anyone else's post stays a 403."""

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.core import db as core_db
from beta_training.extensions import db
from beta_training.core.models import utcnow
from beta_training.forum import queries, services
from beta_training.forum.models import ForumPost, ForumReport, ForumThread, PostState
from tests.conftest import login
from tests.factories import make_forum, make_forum_member, make_forum_post, make_forum_thread, make_user
from tests.second_tab import assert_led_back


@pytest.fixture
def world(app):
    forum = make_forum()
    author, member, staff = make_forum_member(forum), make_forum_member(forum), make_user(roles=[Role.TRAINER])
    thread = make_forum_thread(forum, author, title="Un sujet")
    reply = make_forum_post(thread, author, body="Ma réponse d’origine")
    return {"thread": thread, "reply": reply, "author": author, "member": member, "staff": staff,
            "thread_page": f"/forum/{forum.id}/sujets/{thread.id}"}


def _hide(world):
    services.hide_post(world["reply"], world["staff"], "Hors sujet")
    core_db.commit()


def _lock(world):
    services.change_thread_state(world["thread"], world["staff"], "locked", reason="Sujet clos")
    core_db.commit()


HIDDEN = "Ce message a été masqué par l’équipe : il ne peut plus être modifié ni supprimé."
LOCKED = "Ce sujet est désormais « verrouillé » : ses messages ne peuvent plus être modifiés ni supprimés."


@pytest.mark.parametrize("change,message", [(_hide, HIDDEN), (_lock, LOCKED)])
def test_an_edit_sent_after_the_team_acted_leads_back_to_the_thread_with_why(client, world, change, message):
    reply = world["reply"]
    change(world)
    login(client, world["author"])
    response = client.post(f"/forum/messages/{reply.id}/modifier", data={"body": "Corrigée dans l’onglet resté ouvert"})
    assert_led_back(client, response, f"{world['thread_page']}#message-{reply.id}", message)
    assert db.session.get(ForumPost, reply.id).body == "Ma réponse d’origine"
    login(client, world["member"])  # not hers: still forbidden
    assert client.post(f"/forum/messages/{reply.id}/modifier", data={"body": "x"}).status_code == 403


def test_deleting_a_post_hidden_meanwhile_says_why_and_deletes_nothing(client, world):
    reply = world["reply"]
    _hide(world)
    login(client, world["author"])
    response = client.post(f"/forum/messages/{reply.id}/supprimer")
    assert_led_back(client, response, world["thread_page"], HIDDEN)
    assert db.session.get(ForumPost, reply.id).state == PostState.HIDDEN


def test_deleting_again_from_a_second_tab_leads_back_to_the_thread(client, world):
    reply = world["reply"]
    login(client, world["author"])
    assert client.post(f"/forum/messages/{reply.id}/supprimer").status_code == 302
    again = client.post(f"/forum/messages/{reply.id}/supprimer")
    assert_led_back(client, again, world["thread_page"], "Message supprimé.")
    assert db.session.get(ForumPost, reply.id).state == PostState.DELETED
    login(client, world["member"])
    other = make_forum_post(world["thread"], world["author"], body="Une autre")
    assert client.post(f"/forum/messages/{other.id}/supprimer").status_code == 403  # not hers
    assert db.session.get(ForumPost, other.id).state == PostState.PUBLISHED


def test_a_report_sent_after_the_team_hid_the_post_says_there_is_nothing_left_to_report(client, world):
    reply = world["reply"]
    _hide(world)
    login(client, world["member"])
    response = client.post(f"/forum/messages/{reply.id}/signaler", data={"reason": "Propos déplacés"})
    assert_led_back(client, response, f"{world['thread_page']}#message-{reply.id}",
                    "Ce message n’est plus visible : il a été masqué ou supprimé entre-temps, il n’y a plus rien à signaler.")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumReport)) == 0
    login(client, world["author"])  # one's own post is never reported
    assert client.post(f"/forum/messages/{reply.id}/signaler", data={"reason": "x"}).status_code == 403


def test_a_reply_draft_saved_after_the_thread_was_locked_is_a_state_not_a_right(client, world):
    _lock(world)
    login(client, world["member"])
    response = client.post(f"{world['thread_page']}/brouillon", data={"body": "Tapée avant le verrouillage"})
    assert response.status_code == 409 and response.json["error"] == "thread_closed"
    assert "n’accepte plus de réponses" in response.json["message"]


# --- The same words sent again from a tab opened before the first one published ---------------------------


def _form_key(client, url):
    page = client.get(url).text
    return re.search(r'name="submission_key" type="hidden" value="(\w+)"', page).group(1)


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_thread_published_again_from_a_tab_opened_earlier_leads_to_the_one_published(client, world):
    forum = world["thread"].forum
    login(client, world["member"])
    url = f"/forum/{forum.id}/nouveau-sujet"
    first_tab, second_tab = _form_key(client, url), _form_key(client, url)  # two tabs: two one-time keys
    data = {"category_id": forum.categories[1].id, "kind": "discussion", "title": "Une idée", "body": "Le même texte"}
    published = client.post(url, data={**data, "submission_key": first_tab})
    assert published.status_code == 302
    again = client.post(url, data={**data, "submission_key": second_tab})
    assert_led_back(client, again, published.headers["Location"], "Ce sujet est déjà publié.")
    assert _count(ForumThread, ForumThread.title == "Une idée") == 1
    # Other words (or the same ones elsewhere, or later) are a new thread.
    other = client.post(url, data={**data, "body": "Un autre texte", "submission_key": _form_key(client, url)})
    assert other.status_code == 302 and other.headers["Location"] != published.headers["Location"]
    assert _count(ForumThread, ForumThread.title == "Une idée") == 2


def test_a_reply_or_comment_sent_again_from_a_tab_opened_earlier_leads_to_the_one_published(client, world):
    login(client, world["member"])
    url, page = f"{world['thread_page']}/repondre", world["thread_page"]
    first_tab, second_tab = _form_key(client, page), _form_key(client, page)
    published = client.post(url, data={"body": "Ma réponse", "submission_key": first_tab})
    again = client.post(url, data={"body": "Ma réponse", "submission_key": second_tab})
    assert again.status_code == 302 and again.headers["Location"] == published.headers["Location"]
    assert "Ce message est déjà publié." in client.get(again.headers["Location"]).text
    assert _count(ForumPost, ForumPost.body == "Ma réponse") == 1
    reply_id = world["reply"].id
    for key in ("c1", "c2"):
        client.post(url, data={"body": "Mon commentaire", "parent_id": reply_id, "submission_key": key})
    assert _count(ForumPost, ForumPost.body == "Mon commentaire") == 1


def test_the_same_words_after_the_window_are_a_new_thread(app, world):
    forum, member = world["thread"].forum, world["member"]
    values = {"category_id": forum.categories[1].id, "kind": "discussion", "title": "Encore", "body": "Même texte"}
    first = services.start_thread(forum, member, **values, now=utcnow() - services.DUPLICATE_WINDOW - timedelta(seconds=1))
    second = services.start_thread(forum, member, **values)
    assert first.id != second.id
    with pytest.raises(services.AlreadyPublished) as already:
        services.start_thread(forum, member, **values)
    assert already.value.post.thread_id == second.id


@pytest.mark.parametrize("kind", ["thread", "reply"])
def test_two_tabs_sent_at_the_same_instant_publish_once(app, world, kind):
    """Different one-time keys (two tabs), the same words, at the same instant: the place is locked, the
    second request finds the first one's post."""
    forum, member = world["thread"].forum, world["member"]
    if kind == "thread":
        url, page = f"/forum/{forum.id}/nouveau-sujet", f"/forum/{forum.id}/nouveau-sujet"
        data = {"category_id": forum.categories[1].id, "kind": "discussion", "title": "Simultané", "body": "Deux onglets"}
    else:
        url, page, data = f"{world['thread_page']}/repondre", world["thread_page"], {"body": "Deux onglets"}
    barrier, statuses, member_login = threading.Barrier(3), [], member.get_id()

    def send(key):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = member_login
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(page).text).group(1)
        barrier.wait(timeout=30)
        response = client.post(url, data={**data, "submission_key": key, "csrf_token": csrf})
        statuses.append(response.status_code)

    workers = [threading.Thread(target=send, args=(f"tab{n}",)) for n in range(3)]
    db.session.commit()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    db.session.commit()
    assert statuses == [302, 302, 302]
    assert _count(ForumPost, ForumPost.body == "Deux onglets") == 1


# --- An edit saved from an older tab ------------------------------------------------------------------------


def _edit_version(client, post):
    page = client.get(f"/forum/messages/{post.id}/modifier").text
    return re.search(r'name="loaded_version" type="hidden" value="(\d+)"', page).group(1)


def test_an_edit_from_an_older_tab_is_refused_and_shows_both_texts(client, world):
    reply = world["reply"]
    login(client, world["author"])
    url = f"/forum/messages/{reply.id}/modifier"
    older, newer = _edit_version(client, reply), _edit_version(client, reply)
    assert client.post(url, data={"body": "Texte du deuxième onglet", "loaded_version": newer}).status_code == 302
    refused = client.post(url, data={"body": "Texte du premier onglet", "loaded_version": older})
    assert refused.status_code == 409
    assert "Ce message a été modifié entre-temps" in refused.text
    assert "Texte du deuxième onglet</p>" in refused.text  # the current text, shown
    assert re.search(r">\s*Texte du premier onglet</textarea>", refused.text)  # what she typed, kept
    assert db.session.get(ForumPost, reply.id).body == "Texte du deuxième onglet"
    # Sending again from the refused page (it now carries the current version) replaces it, knowingly.
    current = re.search(r'name="loaded_version" type="hidden" value="(\d+)"', refused.text).group(1)
    assert client.post(url, data={"body": "Texte du premier onglet", "loaded_version": current}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ForumPost, reply.id).body == "Texte du premier onglet"


def test_a_double_click_on_an_edit_is_no_conflict(client, world):
    reply = world["reply"]
    login(client, world["author"])
    url, version = f"/forum/messages/{reply.id}/modifier", _edit_version(client, world["reply"])
    for _click in range(2):
        assert client.post(url, data={"body": "Corrigé", "loaded_version": version}).status_code == 302
    assert len(queries.revisions(reply)) == 1


def test_edit_post_service_refuses_a_stale_version(app, world):
    reply, author = world["reply"], world["author"]
    services.edit_post(reply, author, body="Première correction", loaded_version=0)
    with pytest.raises(services.EditedMeanwhile) as stale:
        services.edit_post(reply, author, body="Depuis l’autre onglet", loaded_version=0)
    assert stale.value.current_version == 1 and reply.body == "Première correction"
    services.edit_post(reply, author, body="Depuis l’autre onglet", loaded_version=1)
    assert reply.body == "Depuis l’autre onglet"


# --- No comment on a deleted or hidden message ----------------------------------------------------------------


def _delete(world):
    services.delete_post(world["reply"], world["author"])
    core_db.commit()


@pytest.mark.parametrize("change", [_delete, _hide])
def test_a_deleted_or_hidden_message_takes_no_comment(client, world, change):
    reply = world["reply"]
    login(client, world["member"])
    assert f'for="comment-{reply.id}"' in client.get(world["thread_page"]).text  # offered while published
    change(world)
    login(client, world["member"])
    assert f'for="comment-{reply.id}"' not in client.get(world["thread_page"]).text
    response = client.post(f"{world['thread_page']}/repondre",
                           data={"body": "Commentaire d’un onglet resté ouvert", "parent_id": reply.id, "submission_key": "k"})
    assert response.status_code == 422
    assert "il ne peut plus être commenté" in response.text and "Commentaire d’un onglet resté ouvert" in response.text
    assert _count(ForumPost, ForumPost.parent_id == reply.id) == 0
