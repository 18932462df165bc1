"""Every foundation route answered for every role, and the page skeleton every page must have."""

import pytest
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.cohorts.models import CohortStatus
from tests.conftest import login
from tests.factories import make_cohort, make_course, make_course_module, make_course_run, make_sequence, make_user

ROLES = ["anonymous", "user", "trainer", "course_lead", "admin"]

LOGIN = "login"  # expected: 302 to the login page


@pytest.fixture
def world(app):
    users = {
        "user": make_user(),
        "trainer": make_user(roles=[Role.TRAINER]),
        "course_lead": make_user(roles=[Role.COURSE_LEAD]),
        "admin": make_user(roles=[Role.ADMIN]),
    }
    published = make_cohort(slug="alpha-publiee")
    draft = make_cohort(slug="alpha-brouillon", status=CohortStatus.DRAFT)
    course = make_course(slug="mooc-test")
    make_course_run(course)
    make_sequence(make_course_module(course))
    return {"users": users, "published": published, "draft": draft, "target": users["user"]}


def _as(client, world, role):
    if role != "anonymous":
        login(client, world["users"][role])
    return client


PUBLIC_PAGES = [
    "/", "/accessibilite", "/mentions-legales", "/donnees-personnelles", "/gestion-des-cookies",
    "/plan-du-site", "/alpha/", "/alpha/alpha-publiee", "/mooc/", "/mooc/mooc-test",
    "/compte/mot-de-passe-oublie", "/compte/inscription/verifiez-vos-courriels",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_answer_everyone(client, world, role, url):
    assert _as(client, world, role).get(url).status_code == 200


# (url, {role: expected}) — expected is a status code, or LOGIN for a redirect to the login page.
PROTECTED = [
    ("/compte/", {"anonymous": LOGIN, "user": 200, "trainer": 200, "course_lead": 200, "admin": 200}),
    ("/compte/profil", {"anonymous": LOGIN, "user": 200, "trainer": 200, "course_lead": 200, "admin": 200}),
    ("/compte/mot-de-passe", {"anonymous": LOGIN, "user": 200, "trainer": 200, "course_lead": 200, "admin": 200}),
    ("/compte/connexion", {"anonymous": 200, "user": 302, "trainer": 302, "course_lead": 302, "admin": 302}),
    ("/compte/inscription", {"anonymous": 200, "user": 302, "trainer": 302, "course_lead": 302, "admin": 302}),
    ("/admin/utilisateurs", {"anonymous": LOGIN, "user": 403, "trainer": 403, "course_lead": 403, "admin": 200}),
    ("/admin/utilisateurs/{target}", {"anonymous": LOGIN, "user": 403, "trainer": 403, "course_lead": 403, "admin": 200}),
    ("/admin/utilisateurs/999999", {"anonymous": LOGIN, "user": 403, "trainer": 403, "course_lead": 403, "admin": 404}),
    ("/alpha/alpha-brouillon", {"anonymous": 404, "user": 404, "trainer": 200, "course_lead": 404, "admin": 200}),
    ("/alpha/inconnue", {"anonymous": 404, "user": 404, "trainer": 404, "course_lead": 404, "admin": 404}),
    # The dev outbox page is off outside development, even for admins.
    ("/admin/courriels", {"anonymous": LOGIN, "user": 403, "trainer": 403, "course_lead": 403, "admin": 404}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url,expected", PROTECTED, ids=[u for u, _ in PROTECTED])
def test_protected_pages_by_role(client, world, role, url, expected):
    expected = expected[role]
    response = _as(client, world, role).get(url.format(target=world["target"].id))
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/compte/connexion?next=")
    else:
        assert response.status_code == expected


POSTS = [
    ("/admin/utilisateurs/{target}/roles", {"role": "trainer"}),
    ("/admin/utilisateurs/{target}/roles/trainer/retirer", {}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url,data", POSTS, ids=[u for u, _ in POSTS])
def test_admin_actions_by_role(client, world, role, url, data):
    response = _as(client, world, role).post(url.format(target=world["target"].id), data=data)
    expected = {"anonymous": 302, "admin": 302}.get(role, 403)
    assert response.status_code == expected
    if role == "anonymous":
        assert response.headers["Location"].startswith("/compte/connexion")


def test_outbox_page_for_admins_in_development(app, client, world):
    app.config["MAIL_OUTBOX_PAGE"] = True
    from beta_training.core.mail import queue_email
    from beta_training.core import db as core_db

    with app.test_request_context():
        queue_email("claude@example.gouv.fr", "Bienvenue", "accounts/password_changed",
                    user=world["users"]["admin"], reset_link="https://example.test/reset")
        core_db.commit()
    login(client, world["users"]["admin"])
    page = client.get("/admin/courriels")
    assert page.status_code == 200 and "Bienvenue" in page.text
    assert "<td>envoyé</td>" in page.text or "<td>à envoyer</td>" in page.text  # in French, not « sent »
    login(client, world["users"]["trainer"])
    assert client.get("/admin/courriels").status_code == 403


SKELETON_PAGES = PUBLIC_PAGES + ["/compte/connexion", "/compte/inscription", "/page-qui-n-existe-pas"]


def test_every_page_has_the_dsfr_skeleton(client, world):
    titles = {}
    for url in SKELETON_PAGES:
        response = client.get(url)
        soup = BeautifulSoup(response.text, "html.parser")
        assert soup.html["lang"] == "fr", url
        assert len(soup.find_all("h1")) == 1, url
        title = soup.title.get_text(strip=True)
        assert title and title not in titles, f"{url} repeats the title of {titles.get(title)}"
        titles[title] = url
        assert soup.select_one('.fr-skiplinks a[href="#content"]') and soup.find(id="content"), url
        assert soup.select_one(".fr-header .fr-logo").get_text(" ", strip=True) == "République Française"
        bottom = soup.select_one(".fr-footer__bottom-list").get_text(" ", strip=True)
        for mandatory in ("Accessibilité : non conforme", "Mentions légales", "Données personnelles", "Gestion des cookies"):
            assert mandatory in bottom, url
        for link in soup.select('a[target="_blank"]'):
            assert link["title"].endswith("nouvelle fenêtre"), (url, link)


def test_error_pages_use_the_layout(client):
    response = client.get("/page-qui-n-existe-pas")
    assert response.status_code == 404
    assert "Page non trouvée" in response.text and "fr-footer" in response.text


def test_403_page_in_layout(client, world):
    login(client, world["users"]["user"])
    response = client.get("/admin/utilisateurs")
    assert response.status_code == 403
    assert "Accès refusé" in response.text and "fr-footer" in response.text


def test_500_page_in_layout(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Erreur inattendue" in response.text and "fr-footer" in response.text


def test_navigation_depends_on_role(client, world):
    assert "Administration" not in client.get("/").text
    login(client, world["users"]["user"])
    assert "Mon compte" in client.get("/").text and "Administration" not in client.get("/").text
    login(client, world["users"]["admin"])
    assert "Administration" in client.get("/").text


def test_dates_are_shown_in_paris_time(client, world):
    from datetime import UTC, datetime

    from beta_training.extensions import db

    world["published"].applications_open_at = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    world["published"].applications_close_at = datetime(2026, 7, 1, 21, 59, tzinfo=UTC)
    db.session.commit()
    assert "1er juillet 2026 à 23h59" in client.get("/alpha/alpha-publiee").text


def test_language_switch_keeps_french_default_and_returns(client):
    assert '<html lang="fr"' in client.get("/").text
    response = client.post("/langue", data={"lang": "en", "next": "/plan-du-site"})
    assert response.status_code == 302 and response.headers["Location"] == "/plan-du-site"
    english = client.get("/").text
    assert '<html lang="en"' in english and ">Home</a>" in english and "Accessibility: non conforme" in english
    response = client.post("/langue", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
