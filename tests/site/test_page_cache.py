"""The page cache for anonymous visitors (core/page_cache.py): what it serves to whom, and that every write a
page shows retires it, in this process and in another one on the same database."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import make_response
from freezegun import freeze_time
from itsdangerous import URLSafeTimedSerializer

from beta_training import create_app
from beta_training.cohorts import services as cohort_services
from beta_training.config import TestConfig
from beta_training.core import db as core_db
from beta_training.core.models import utcnow
from beta_training.core.page_cache import cached_for_anonymous
from beta_training.courses import services as course_services
from beta_training.extensions import db
from beta_training.privacy import services as privacy_services
from beta_training.privacy.models import Origin
from tests.conftest import CsrfClient, login
from tests.factories import (
    make_application,
    make_call,
    make_cohort,
    make_course,
    make_course_item,
    make_course_module,
    make_course_run,
    make_enrolment,
    make_programme_item,
    make_sequence,
    make_speaker,
    make_user,
)

TOKEN = re.compile(r'(name="csrf_token" value="|name="csrf-token" content=")([^"]+)"')


@pytest.fixture
def world(app):
    cohort = make_cohort(slug="alpha-cache", title="Session Alpha en cache", seats=3)
    speaker = make_speaker(cohort, name="Agnès Intervenante")
    make_programme_item(cohort, title="Atelier découverte", speakers=[speaker])
    course = make_course(slug="mooc-cache", title="Cours en cache", summary="Résumé du cours")
    run = make_course_run(course, slug="printemps", name="Session de printemps")
    sequence = make_sequence(make_course_module(course, title="Premier module"), title="Première séquence")
    item = make_course_item(sequence, title="Vidéo d’accueil")
    learner = make_user(first_name="Zoé", last_name="Apprenante")
    enrolment = make_enrolment(run, learner, completed_at=utcnow(), attestation_code="ABCD-EFGH-JK")
    return {"cohort": cohort, "speaker": speaker, "course": course, "run": run, "sequence": sequence, "item": item,
            "learner": learner, "enrolment": enrolment,
            "alice": make_user(first_name="Alice", last_name="Premier"),
            "bruno": make_user(first_name="Bruno", last_name="Second")}


PAGES = ["/", "/alpha/", "/alpha/alpha-cache", "/mooc/", "/mooc/mooc-cache", "/mooc/attestations/ABCD-EFGH-JK"]


@pytest.fixture
def uncached_app(database_url, smtp_server):
    """Another app on the test's database with the page cache off."""
    other = create_app(type("Uncached", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "MAIL_PORT": smtp_server.port, "PAGE_CACHE_ENABLED": False}))
    yield other
    with other.app_context():
        db.engine.dispose()


def cache(app):
    return app.page_cache


def tokenless(html: str) -> str:
    return TOKEN.sub(r'\1TOKEN"', html)


def raw_token(client) -> str:
    with client.session_transaction() as session:
        return session["csrf_token"]


# --- Served to whom -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_an_anonymous_page_is_rendered_once_then_served_from_the_cache(app, world, path):
    visitor = app.test_client()
    first = visitor.get(path)
    assert first.status_code == 200
    rendered = cache(app).stats["rendered"]
    second = app.test_client().get(path)
    assert second.status_code == 200
    assert cache(app).stats["rendered"] == rendered  # not rendered again
    assert cache(app).stats["hits"] >= 1
    assert tokenless(second.text) == tokenless(first.text)
    assert second.headers["Cache-Control"] == "private, no-cache"
    assert second.headers["ETag"].startswith('W/"')
    assert "Cookie" in second.headers["Vary"]
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", PAGES)
def test_each_cached_page_as_anonymous_user_a_and_user_b(app, world, path):
    """Whatever the order, nobody sees another's page: the header names the signed-in person, anonymous sees
    « Se connecter »."""
    anonymous, alice, bruno = app.test_client(), app.test_client(), app.test_client()
    login(alice, world["alice"])
    login(bruno, world["bruno"])
    for _round in range(2):  # the second round meets whatever the first one cached
        for client, shown, hidden in ((anonymous, ["Se connecter"], ["Alice Premier", "Bruno Second"]),
                                      (alice, ["Alice Premier"], ["Bruno Second", "Se connecter"]),
                                      (bruno, ["Bruno Second"], ["Alice Premier", "Se connecter"]),
                                      (anonymous, ["Se connecter"], ["Alice Premier", "Bruno Second"])):
            page = client.get(path)
            assert page.status_code == 200
            for text in shown:
                assert text in page.text
            for text in hidden:
                assert text not in page.text
    signed_in = alice.get(path)
    assert "ETag" not in signed_in.headers and signed_in.headers.get("Cache-Control") != "private, no-cache"


@pytest.mark.parametrize("path", PAGES)
def test_every_visitor_gets_a_token_of_her_own_session_and_the_copy_holds_none(app, world, path):
    """The page holds each visitor's CSRF token (footer language form, meta), never another's; the copy kept
    holds none at all."""
    first, second = app.test_client(), app.test_client()
    first_page, second_page = first.get(path), second.get(path)
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    for client, page in ((first, first_page), (second, second_page)):
        tokens = {match.group(2) for match in TOKEN.finditer(page.text)}
        assert tokens and {serializer.loads(token) for token in tokens} == {raw_token(client)}
    assert raw_token(first) != raw_token(second)
    for entry in cache(app).entries.values():
        for client in (first, second):
            assert raw_token(client).encode() not in entry.body
        assert cache(app).placeholder.encode() in entry.body


def test_the_session_the_cache_makes_is_the_one_flask_makes(app, world, uncached_app):
    app.test_client().get("/")  # cached
    cached = app.test_client().get("/").headers["Set-Cookie"]
    fresh = uncached_app.test_client().get("/").headers["Set-Cookie"]
    name = app.config["SESSION_COOKIE_NAME"]
    assert cached.startswith(name + "=") and fresh.startswith(name + "=")
    assert cached.split(";", 1)[1] == fresh.split(";", 1)[1]  # the same attributes
    value = cached.split(";", 1)[0].split("=", 1)[1]
    assert set(app.session_interface.get_signing_serializer(app).loads(value)) == {"csrf_token"}


def test_the_token_served_from_the_cache_is_accepted_by_the_language_form(app, world):
    app.test_client().get("/alpha/")  # cached
    visitor = app.test_client()
    page = visitor.get("/alpha/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = visitor.post("/langue", data={"lang": "en", "csrf_token": token, "next": "/alpha/"}, csrf=False)
    assert response.status_code == 302
    assert '<html lang="en"' in visitor.get("/alpha/").text


@pytest.mark.parametrize("path", PAGES)
def test_a_page_served_from_the_cache_is_the_page_flask_renders_for_that_visitor(app, world, uncached_app, path):
    """Byte for byte, but the CSRF token's signature: a nonce, a form key or any other value made for one
    response that found its way into a cached page would differ here."""
    app.test_client().get(path)  # cached by someone else
    visitor = app.test_client()
    cached = visitor.get(path)
    assert cache(app).stats["hits"] >= 1
    assert uncached_app.page_cache is None
    uncached = uncached_app.test_client()
    uncached.set_cookie(app.config["SESSION_COOKIE_NAME"], visitor.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
    fresh = uncached.get(path)
    assert tokenless(cached.text) == tokenless(fresh.text)
    per_response = {"set-cookie", "x-request-id", "etag", "cache-control", "content-length", "date"}
    assert ({(k, v) for k, v in cached.headers.items() if k.lower() not in per_response}
            == {(k, v) for k, v in fresh.headers.items() if k.lower() not in per_response})


def test_a_pending_flash_is_shown_to_its_visitor_and_never_kept(app, world):
    app.test_client().get("/alpha/")  # cached
    flashed = app.test_client()
    flashed.get("/")  # a session with its CSRF token, as any browser has
    with flashed.session_transaction() as session:
        session["_flashes"] = [("info", "Un message pour cette personne seulement")]
    assert "Un message pour cette personne seulement" in flashed.get("/alpha/").text
    assert "Un message pour cette personne seulement" not in app.test_client().get("/alpha/").text
    assert "Un message pour cette personne seulement" not in flashed.get("/alpha/").text  # shown once


def test_a_remember_me_cookie_goes_to_flask(app, world):
    """Flask-Login signs a person in from it: the cache cannot tell, so it does not answer."""
    app.test_client().get("/")
    visitor = app.test_client()
    visitor.set_cookie("remember_token", "anything")
    rendered = cache(app).stats["rendered"]
    visitor.get("/")
    assert cache(app).stats["rendered"] == rendered  # passed to Flask, not through the cache's render
    assert cache(app).stats["hits"] == 0


def test_a_response_that_sets_a_cookie_is_never_kept(app):
    calls = []

    @cached_for_anonymous()
    def sets_a_cookie():
        calls.append(1)
        response = make_response("<p>bonjour</p>")
        response.set_cookie("choice", "1")
        return response

    app.add_url_rule("/essai-cookie", "essai_cookie", sets_a_cookie)
    for _ in range(3):
        assert app.test_client().get("/essai-cookie").headers["Set-Cookie"].startswith("choice=1")
    assert len(calls) == 3
    assert cache(app).stats["stored"] == 0


def test_only_ok_pages_are_kept(app, world):
    for _ in range(2):
        assert app.test_client().get("/mooc/attestations/ZZZZ-ZZZZ-ZZ").status_code == 404
        assert app.test_client().get("/alpha/inconnue").status_code == 404
    assert cache(app).stats["stored"] == 0


def test_the_language_and_the_query_string_are_part_of_the_key(app, world):
    french = app.test_client()
    assert '<html lang="fr"' in french.get("/").text
    english = app.test_client()
    with english.session_transaction() as session:
        session["lang"] = "en"
        session["csrf_token"] = "a" * 40
    assert '<html lang="en"' in english.get("/").text
    assert '<html lang="fr"' in french.get("/").text
    other_run = make_course_run(world["course"], slug="automne", name="Session d’automne")
    assert "Session d’automne" in app.test_client().get(f"/mooc/mooc-cache?run={other_run.slug}").text
    assert "Session de printemps" in app.test_client().get("/mooc/mooc-cache?run=printemps").text


def test_head_and_if_none_match(app, world):
    visitor = app.test_client()
    page = visitor.get("/alpha/alpha-cache")
    head = visitor.head("/alpha/alpha-cache")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == page.headers["Content-Length"]
    assert head.headers["ETag"] == page.headers["ETag"]
    again = visitor.get("/alpha/alpha-cache", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # Another visitor's copy holds another token: not hers.
    other = app.test_client()
    other.get("/")
    assert other.get("/alpha/alpha-cache", headers={"If-None-Match": page.headers["ETag"]}).status_code == 200
    # Signed in, the anonymous copy is not hers either.
    login(visitor, world["alice"])
    signed_in = visitor.get("/alpha/alpha-cache", headers={"If-None-Match": page.headers["ETag"]})
    assert signed_in.status_code == 200 and "Alice Premier" in signed_in.text


def test_if_none_match_after_a_write_gets_the_new_page(app, world):
    visitor = app.test_client()
    etag = visitor.get("/alpha/alpha-cache").headers["ETag"]
    world["cohort"].title = "Session Alpha renommée"
    db.session.commit()
    page = visitor.get("/alpha/alpha-cache", headers={"If-None-Match": etag})
    assert page.status_code == 200 and "Session Alpha renommée" in page.text


def test_a_copy_does_not_outlive_the_moment_its_page_changes_with_the_clock(app, world):
    closes = world["cohort"].applications_close_at
    with freeze_time(closes - timedelta(seconds=1)):
        assert "Candidatures ouvertes" in app.test_client().get("/alpha/alpha-cache").text
        assert "Candidatures ouvertes" in app.test_client().get("/alpha/alpha-cache").text
        assert cache(app).stats["hits"] == 1
    with freeze_time(closes):
        assert "Candidatures closes" in app.test_client().get("/alpha/alpha-cache").text


def test_switched_off_every_request_is_rendered(app, world, uncached_app):
    client = uncached_app.test_client()
    assert "Session Alpha en cache" in client.get("/alpha/alpha-cache").text
    db.session.execute(sa.text("UPDATE cohorts SET title = 'Changé en SQL' WHERE slug = 'alpha-cache'"))
    db.session.commit()  # behind the ORM's back: no generation bumped
    assert "Changé en SQL" in client.get("/alpha/alpha-cache").text


def test_a_write_behind_the_orms_back_is_not_seen_before_the_copy_expires(app, world):
    """What the cache does (and why every write must go through the session): shown by a change no flush sees."""
    assert "Session Alpha en cache" in app.test_client().get("/alpha/alpha-cache").text
    db.session.execute(sa.text("UPDATE cohorts SET title = 'Changé en SQL' WHERE slug = 'alpha-cache'"))
    db.session.commit()
    assert "Session Alpha en cache" in app.test_client().get("/alpha/alpha-cache").text


def test_a_generation_that_cannot_be_read_leaves_the_page_to_flask(app, world, monkeypatch):
    import sqlite3

    app.test_client().get("/alpha/")  # cached

    def unreachable(page):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(cache(app), "_generation", unreachable)
    page = app.test_client().get("/alpha/")
    assert page.status_code == 200 and "Session Alpha en cache" in page.text
    assert cache(app).stats["hits"] == 0


@pytest.mark.parametrize("config_overrides", [{"SEND_HSTS": True}])
def test_a_copy_keeps_the_security_headers_of_its_render(app, world):
    app.test_client().get("/")
    served = app.test_client().get("/")
    assert cache(app).stats["hits"] == 1
    assert served.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in served.headers["Content-Security-Policy"]


def test_the_home_page_shows_an_open_call_until_its_closing_second(app):
    now = utcnow().replace(microsecond=0)
    call = make_call(title="Appel en cache", incubator="Incubateur des territoires", opens_at=now - timedelta(days=1),
                     closes_at=now + timedelta(hours=2))
    make_call(title="Appel à venir", opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=9))
    make_call(title="Appel clos", opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=2))
    with freeze_time(call.closes_at):  # the closing second still files a dossier
        home = app.test_client().get("/").text
        assert "Appel à intrapreneurs : Appel en cache" in home and f"/appels/{call.id}" in home
        assert "Appel à venir" not in home and "Appel clos" not in home
        assert "Appel en cache" in app.test_client().get("/").text
        assert cache(app).stats["hits"] == 1
    with freeze_time(call.closes_at + timedelta(seconds=1)):
        assert "Appel en cache" not in app.test_client().get("/").text
