"""The outbox pages for admins (development): a message's facts, its attachments to download, its text and a
preview of its HTML version under a policy of its own (its CSS is inline; the site's policy forbids that)."""

from datetime import datetime, timezone

import pytest
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.core import db as core_db
from beta_training.core.mail import queue_email
from beta_training.core.models import OutboxState
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_user

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//beta//test//FR\r\nEND:VCALENDAR\r\n"
pytestmark = pytest.mark.parametrize("config_overrides", [{"MAIL_OUTBOX_PAGE": True}])


@pytest.fixture
def message(app):
    with app.test_request_context():
        message = queue_email("claude@example.gouv.fr", "Votre mot de passe a changé", "accounts/password_changed",
                              attachments=[{"filename": "session-alpha.ics", "content_type": "text/calendar; method=REQUEST",
                                            "data": ICS}],
                              user=make_user(first_name="Claude"), reset_link="https://example.test/reset")
        message.state, message.attempts = OutboxState.FAILED, 3
        message.created_at = datetime(2027, 1, 6, 8, 30, tzinfo=timezone.utc)
        message.sent_at = datetime(2027, 1, 6, 8, 45, tzinfo=timezone.utc)
        message.last_error = "550 boîte inconnue"
        db.session.commit()
        return message


@pytest.fixture
def admin(client):
    login(client, make_user(roles=[Role.ADMIN]))
    return client


def test_the_message_page_gives_its_facts_attachments_text_and_an_html_preview(admin, message):
    page = admin.get(f"/admin/courriels/{message.id}")
    assert page.status_code == 200
    content = BeautifulSoup(page.text, "html.parser").find(id="content")
    facts = {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True) for dt in content.dl.find_all("dt")}
    assert facts == {
        "Destinataire": "claude@example.gouv.fr", "Objet": "Votre mot de passe a changé",
        "État": f"{message.state_label} (3 tentatives)",
        "Écrit le": "6 janvier 2027 à 09h30", "Envoyé le": "6 janvier 2027 à 09h45",  # Paris time
        "Dernière erreur": "550 boîte inconnue",
    }
    [link] = content.select("a.fr-link--download")
    assert link["href"] == f"/admin/courriels/{message.id}/pieces-jointes/1"
    assert link.get_text(" ", strip=True) == f"Télécharger session-alpha.ics text/calendar – 1 ko"
    [frame] = content.find_all("iframe")
    assert frame["src"] == f"/admin/courriels/{message.id}/apercu"
    assert frame.has_attr("sandbox") and not frame["sandbox"]  # nothing allowed: no script, no top navigation
    assert frame["title"] == "Version HTML du courriel « Votre mot de passe a changé »"
    assert "Le mot de passe de votre compte vient d’être modifié" in content.find("pre").get_text()
    # The page's own policy lets it frame a page of the site.
    assert "frame-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_message_not_sent_yet_says_so(admin, app):
    with app.test_request_context():
        message = queue_email("x@example.gouv.fr", "En attente", "accounts/password_changed",
                              user=make_user(), reset_link="https://example.test/reset")
        db.session.commit()
    content = BeautifulSoup(admin.get(f"/admin/courriels/{message.id}").text, "html.parser")
    assert content.find("dt", string="Envoyé le").find_next_sibling("dd").get_text(strip=True) == "pas encore envoyé"
    assert "Aucune pièce jointe." in content.get_text()


def test_the_preview_serves_the_html_under_its_own_sandboxed_policy(admin, message):
    response = admin.get(f"/admin/courriels/{message.id}/apercu")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.text == message.html_body  # as written to the outbox, inline styles and all
    assert 'style="' in response.text and "bloc-marque" in response.text
    policy = {d.split()[0]: d.split()[1:] for d in response.headers["Content-Security-Policy"].split("; ")}
    assert policy["default-src"] == ["'none'"] and policy["style-src"] == ["'unsafe-inline'"]
    assert "script-src" not in policy and policy["sandbox"] == []  # nothing runs, an opaque origin
    assert policy["frame-ancestors"] == ["'self'"] and policy["form-action"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_attachment_downloads_as_it_was_sent(admin, message):
    response = admin.get(f"/admin/courriels/{message.id}/pieces-jointes/1")
    assert response.status_code == 200 and response.data == ICS
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert response.headers["Content-Disposition"] == "attachment; filename=session-alpha.ics"
    assert admin.get(f"/admin/courriels/{message.id}/pieces-jointes/2").status_code == 404
    assert admin.get(f"/admin/courriels/{message.id}/pieces-jointes/0").status_code == 404


def test_outside_development_the_preview_and_attachments_do_not_exist(app, admin, message):
    app.config["MAIL_OUTBOX_PAGE"] = False
    for path in ("apercu", "pieces-jointes/1"):
        assert admin.get(f"/admin/courriels/{message.id}/{path}").status_code == 404
