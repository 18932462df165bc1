"""The layout's parts built once per process (issue #16): the main menu per access (role gates, configuration,
mounting path), the layout's fixed URLs per mounting path. Whoever comes next in the same process sees her own
menu, her own badge and her own current page, never the previous person's."""

from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.site import navigation
from tests.conftest import login
from tests.factories import make_user, make_user_role


def _menu(response) -> dict:
    """Label → (URL, current page?) of each link of the main menu, plus the sub-menus' labels."""
    assert response.status_code == 200
    nav = BeautifulSoup(response.text, "html.parser").find("nav", id="navigation-main")
    links = {" ".join(link.find(string=True, recursive=False).split()): (link["href"], link.get("aria-current"))
             for link in nav.select("a.fr-nav__link")}
    return {"links": links, "menus": [button.get_text(strip=True) for button in nav.select("button.fr-nav__btn")],
            "badges": [badge.find(string=True, recursive=False) for badge in nav.select(".fr-badge")]}


def _as(app, user):
    client = app.test_client()
    if user is not None:
        login(client, user)
    return client


def test_each_access_gets_its_own_menu_in_one_process(app):
    admin, trainer = make_user(roles=[Role.ADMIN]), make_user(roles=[Role.TRAINER])
    course_lead, learner = make_user(roles=[Role.COURSE_LEAD]), make_user()
    # The widest menu first: had it been kept for everyone, the others would show it.
    assert _menu(_as(app, admin).get("/"))["menus"] == ["Mon espace", "Gestion", "Administration"]
    assert _menu(_as(app, learner).get("/"))["menus"] == ["Mon espace"]
    trainer_menu = _menu(_as(app, trainer).get("/"))
    assert trainer_menu["menus"] == ["Mon espace", "Gestion"]
    assert "Gérer les sessions Alpha" in trainer_menu["links"] and "Utilisateurs" not in trainer_menu["links"]
    course_lead_menu = _menu(_as(app, course_lead).get("/"))
    assert course_lead_menu["menus"] == ["Mon espace", "Gestion"]
    assert "Gérer les MOOC" in course_lead_menu["links"] and "Gérer les sessions Alpha" not in course_lead_menu["links"]
    anonymous = _menu(_as(app, None).get("/plan-du-site"))
    assert anonymous["menus"] == [] and list(anonymous["links"]) == ["Accueil", "Formation Alpha", "MOOC"]
    # A role granted while the process runs shows at the learner's next page.
    make_user_role(Role.TRAINER, user=learner)
    assert _menu(_as(app, learner).get("/"))["menus"] == ["Mon espace", "Gestion"]


def test_the_outbox_entry_follows_the_configuration(app):
    admin = _as(app, make_user(roles=[Role.ADMIN]))
    app.config["MAIL_OUTBOX_PAGE"] = True
    assert "Courriels envoyés" in _menu(admin.get("/"))["links"]
    app.config["MAIL_OUTBOX_PAGE"] = False
    assert "Courriels envoyés" not in _menu(admin.get("/"))["links"]


def test_current_page_and_badge_are_each_page_s_own(app, monkeypatch):
    reader, other = make_user(), make_user()
    monkeypatch.setattr(navigation, "unread_thread_count", lambda user: 7 if user.id == reader.id else 0)
    forums = _menu(_as(app, reader).get("/forum/"))
    assert forums["links"]["Forums"] == ("/forum/", "page") and forums["badges"] == ["7"]
    home = _menu(_as(app, other).get("/"))
    assert [label for label, (_url, current) in home["links"].items() if current] == ["Accueil"]
    assert home["badges"] == []


def test_layout_links_follow_the_path_the_application_is_mounted_on(app):
    mount = "/formation"
    client = _as(app, make_user())
    assert 'href="/plan-du-site"' in client.get("/").text  # built (and kept) for the root first
    page = client.get("/", base_url=f"http://localhost{mount}")
    assert page.status_code == 200
    assert f'href="{mount}/plan-du-site"' in page.text and f'action="{mount}/compte/deconnexion"' in page.text
    assert f'href="{mount}/static/css/app.css"' in page.text
    assert _menu(page)["links"]["MOOC"] == (f"{mount}/mooc/", None)


def test_what_is_kept_stays_bounded_whatever_the_mounting_paths(app, monkeypatch):
    from beta_training.core import templating

    monkeypatch.setattr(templating, "MAX_FIXED_URLS", 30)
    monkeypatch.setattr(navigation, "MAX_MENUS", 3)
    client = _as(app, make_user())
    for n in range(6):
        page = client.get("/", base_url=f"http://localhost/chemin{n}")
        assert f'href="/chemin{n}/plan-du-site"' in page.text and _menu(page)["links"]["MOOC"][0] == f"/chemin{n}/mooc/"
    assert len(app.extensions["core.fixed_urls"]) <= 30 and len(app.extensions["site.navigation"]) <= 3
