"""A member's buttons and forms on a post, pressed in a tab left open after the team hid the post or locked
its thread (or after she deleted it): back to the thread with why, never « Accès refusé »; nothing changes.
Anyone else's post stays a 403."""

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.core import db as core_db
from beta_training.extensions import db
from beta_training.forum import services
from beta_training.forum.models import ForumPost, ForumReport, PostState
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
