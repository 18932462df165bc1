"""Emails as the SMTP server receives them, byte for byte (the loopback server of tests/conftest.py): encoded
headers, line lengths, the text and HTML alternatives, inline styles, the bloc-marque and the button, links on
BASE_URL from a scheduled job, attachments, and one connection per batch."""

from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import jinja2.nodes
import pytest
from bs4 import BeautifulSoup
from flask import has_request_context, url_for

from beta_training.accounts.emails import queue_password_reset
from beta_training.config import ROOT
from beta_training.core import db as core_db
from beta_training.core import jobs
from beta_training.core.mail import deliver_messages, queue_email
from beta_training.core.models import utcnow
from tests.conftest import html_part, text_part
from tests.factories import make_application, make_cohort, make_outbox_message, make_user

BASE_URL = "https://formation.example.gouv.fr"
LONG_SUBJECT = ("Votre candidature à la session Alpha du 7 novembre 2017 a été retenue : "
                "voici où et quand nous trouver")


def received(mailbox, count: int = 1) -> list[tuple[bytes, object]]:
    """The raw bytes of each message the server received, and the message a client reads from them."""
    mailbox.wait_for(count)
    return [(raw, BytesParser(policy=policy.default).parsebytes(raw)) for raw in mailbox.raw_messages]


def lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n")


def test_a_long_french_subject_comes_back_intact_in_short_ascii_lines(app, mailbox):
    """RFC 2047 encoded words, folded: the subject reads back letter for letter, every line of the message is
    at most 78 characters (RFC 5322's « SHOULD »; 998 is the limit), CRLF only, 7-bit: any relay takes it."""
    user = make_user(first_name="Éloïse")
    with app.test_request_context():
        queue_email(user.email, LONG_SUBJECT, "accounts/password_changed", user=user, reset_link=f"{BASE_URL}/x")
        core_db.commit()
    [(raw, message)] = received(mailbox)
    assert message["Subject"] == LONG_SUBJECT
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nSubject: " in b"\r\n" + headers and b"=?utf-8?" in headers  # encoded, not raw UTF-8
    assert raw.isascii()
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert max(len(line) for line in lines(raw)) <= 78
    assert "Bonjour Éloïse," in text_part(message)
    assert "Bonjour Éloïse," in html_part(message)


def test_a_paragraph_longer_than_the_line_limit_is_encoded_in_short_lines(app, mailbox):
    """One line of 2,000 characters (a forum post, a bulk message; inlined CSS makes long lines too): sent as
    such, it breaks SMTP's 998-octet limit and relays cut or refuse it. Quoted-printable keeps lines short."""
    paragraph = "Une phrase accentuée, longue, sans retour à la ligne. " * 40
    message = make_outbox_message(text_body=paragraph, html_body=f"<p>{paragraph}</p>")
    deliver_messages([message.id])
    [(raw, received_message)] = received(mailbox)
    assert max(len(line) for line in lines(raw)) <= 78
    assert text_part(received_message).strip() == paragraph.strip()
    assert f"<p>{paragraph}</p>" in html_part(received_message)


@pytest.mark.parametrize("config_overrides", [{"BASE_URL": BASE_URL}])
def test_the_html_alternative_has_inline_styles_the_bloc_marque_and_a_button_on_base_url(app, mailbox):
    user = make_user(first_name="Camille")
    queue_password_reset(user)  # outside a request: url_for() builds on BASE_URL
    core_db.commit()
    [(raw, message)] = received(mailbox)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]

    html = BeautifulSoup(html_part(message), "html.parser")
    assert html.find("style") is None and html.find("link") is None  # nothing left for a client to drop
    assert html.find("img") is None  # no remote image, nor any image
    marque = html.select_one(".bloc-marque")
    assert marque.get_text(" ", strip=True) == "RÉPUBLIQUE FRANÇAISE"
    assert "font-weight: 700" in marque["style"]
    [button] = html.select("a.button")
    assert button.get_text(strip=True) == "Choisir un nouveau mot de passe"
    assert "background-color: #000091" in button["style"] and "color: #ffffff" in button["style"]
    assert button["href"].startswith(f"{BASE_URL}/compte/reinitialiser/")
    paragraphs = html.select(".content p")
    assert paragraphs and all("margin" in p["style"] for p in paragraphs)
    assert {a["href"].startswith(f"{BASE_URL}/") for a in html.find_all("a")} == {True}
    assert html.select_one(".footer").get_text(" ", strip=True).startswith("Vous recevez ce courriel parce que")

    text = text_part(message)
    assert text.startswith("RÉPUBLIQUE FRANÇAISE — beta.gouv.fr formation")
    assert button["href"] in text


@pytest.mark.parametrize("config_overrides", [{"BASE_URL": BASE_URL}])
def test_emails_of_a_scheduled_job_link_to_base_url(app, mailbox):
    """A job runs without a request (the worker, a thread after a commit, cron): its emails' links are built on
    BASE_URL, never on the development default http://127.0.0.1:5000."""
    cohort = make_cohort(starts_on=(utcnow() + timedelta(days=2)).date())
    application = make_application(cohort, state="confirmed")
    assert not has_request_context()
    assert jobs.run_now("cohorts.send_reminders")["sessions"] == 1
    [(raw, message)] = received(mailbox)
    html, text = html_part(message), text_part(message)
    assert b"127.0.0.1" not in raw and "127.0.0.1" not in html and "127.0.0.1" not in text
    soup = BeautifulSoup(html, "html.parser")
    [button] = soup.select("a.button")
    assert button["href"] == f"{BASE_URL}/alpha/candidatures/{application.id}"
    assert {a["href"].startswith(f"{BASE_URL}/") for a in soup.find_all("a")} == {True}
    assert f"{BASE_URL}/alpha/candidatures/{application.id}" in text
    assert "Lieu : Paris — de 9h30 à 17h30" in text.splitlines()  # it ran into the next sentence


@pytest.mark.parametrize("config_overrides", [{"BASE_URL": BASE_URL}])
def test_links_typed_in_a_bulk_message_are_made_absolute_on_base_url(app, mailbox):
    """Markdown written by a trainer may link `/alpha/…` as on the site: in an email that leads nowhere."""
    from beta_training.cohorts.emails import queue_bulk_message

    application = make_application(make_cohort(), state="confirmed")
    queue_bulk_message(application, "Programme", "Voir [le programme](/alpha/programme) et [la FAQ](https://beta.gouv.fr/faq).")
    core_db.commit()
    [(raw, message)] = received(mailbox)
    links = {a.get_text(): a["href"] for a in BeautifulSoup(html_part(message), "html.parser").select(".content a")}
    assert links["le programme"] == f"{BASE_URL}/alpha/programme"
    assert links["la FAQ"] == "https://beta.gouv.fr/faq"


@pytest.mark.parametrize("config_overrides", [{"BASE_URL": "https://example.gouv.fr/formation"}])
def test_url_for_outside_a_request_uses_base_url_and_its_path(app):
    assert not has_request_context()
    assert url_for("site.home", _external=True) == "https://example.gouv.fr/formation/"


def test_an_ics_attachment_arrives_as_text_calendar_with_its_parameters(app, mailbox):
    user = make_user()
    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nLOCATION:Salle Éole\r\nEND:VCALENDAR\r\n".encode()
    with app.test_request_context():
        queue_email(user.email, "Place confirmée", "accounts/password_changed", user=user, reset_link=f"{BASE_URL}/x",
                    attachments=[{"filename": "alpha.ics", "content_type": "text/calendar; method=REQUEST", "data": ics}])
        core_db.commit()
    [(raw, message)] = received(mailbox)
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST" and attachment.get_content_charset() == "utf-8"
    assert attachment.get_content_disposition() == "attachment" and attachment.get_filename() == "alpha.ics"
    assert attachment.get_payload(decode=True) == ics
    assert raw.isascii() and max(len(line) for line in lines(raw)) <= 78


def test_a_batch_goes_over_one_smtp_connection(app, mailbox):
    messages = [make_outbox_message(recipient=f"{n}@example.gouv.fr") for n in "abc"]
    counts = deliver_messages([m.id for m in messages])
    assert counts["sent"] == 3
    mailbox.wait_for(3)
    assert len(set(mailbox.peers)) == 1


def _email_templates() -> list[Path]:
    folder = ROOT / "templates" / "emails"
    return sorted(p for p in folder.glob("*/*.html") if not p.name.startswith("_"))


@pytest.mark.parametrize("path", _email_templates(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_email_has_one_button_for_its_main_action(app, path):
    tree = app.jinja_env.parse(path.read_text())
    calls = [call for call in tree.find_all(jinja2.nodes.Call)
             if isinstance(call.node, jinja2.nodes.Name) and call.node.name == "button"]
    assert len(calls) == 1
