import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.extensions import db
from beta_training.sheets.models import SheetState, SheetVersion
from tests.conftest import login
from tests.factories import make_product_sheet, make_sheet_review, make_user

ROLES = ["anonymous", "owner", "other_learner", "trainer", "course_lead", "admin"]
LOGIN = "login"


@pytest.fixture
def world(app):
    users = {"owner": make_user(), "other_learner": make_user(), "trainer": make_user(roles=[Role.TRAINER]),
             "course_lead": make_user(roles=[Role.COURSE_LEAD]), "admin": make_user(roles=[Role.ADMIN])}
    draft = make_product_sheet(users["owner"], content={"problem": "Un drame secret"})
    return {"users": users, "draft": draft}


READERS = {"anonymous": LOGIN, "owner": 200, "other_learner": 403, "trainer": 200, "course_lead": 200, "admin": 200}
ROUTES = [
    ("/fiches/", {"anonymous": LOGIN, "owner": 200, "other_learner": 200, "trainer": 200, "course_lead": 200, "admin": 200}),
    ("/fiches/{sheet}", READERS),
    ("/fiches/{sheet}/fiche.pdf", READERS),
    ("/fiches/{sheet}/fiche.md", READERS),
    ("/fiches/{sheet}/modifier", {"anonymous": LOGIN, "owner": 200, "other_learner": 403, "trainer": 403, "course_lead": 403, "admin": 403}),
    ("/fiches/relecture", {"anonymous": LOGIN, "owner": 403, "other_learner": 403, "trainer": 200, "course_lead": 200, "admin": 200}),
    ("/fiches/{sheet}/relecture", {"anonymous": LOGIN, "owner": 403, "other_learner": 403, "trainer": 200, "course_lead": 200, "admin": 200}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url,expected", ROUTES, ids=[u for u, _ in ROUTES])
def test_routes_by_role(client, world, role, url, expected):
    if role != "anonymous":
        login(client, world["users"][role])
    response = client.get(url.format(sheet=world["draft"].id))
    expected = expected[role]
    if expected == LOGIN:
        assert response.status_code == 302 and response.headers["Location"].startswith("/compte/connexion?next=")
    else:
        assert response.status_code == expected
        if expected == 403:
            assert "Un drame secret" not in response.text


@pytest.mark.parametrize("role", ["other_learner", "trainer"])
def test_only_the_owner_writes_submits_or_autosaves(client, world, role):
    sheet = world["draft"]
    login(client, world["users"][role])
    for url in (f"/fiches/{sheet.id}/modifier", f"/fiches/{sheet.id}/brouillon", f"/fiches/{sheet.id}/envoyer"):
        assert client.post(url, data={"base_version": "1", "name": "Pirate"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetVersion)) == 1


def test_stale_save_shows_both_texts(client, world):
    sheet = world["draft"]
    login(client, world["users"]["owner"])
    first = client.post(f"/fiches/{sheet.id}/modifier", data={"base_version": "1", "name": "Mon produit", "context": "Texte de l’onglet A"})
    assert first.status_code == 302
    stale = client.post(f"/fiches/{sheet.id}/modifier", data={"base_version": "1", "name": "Mon produit", "context": "Texte de l’onglet B"})
    assert stale.status_code == 409
    assert "Texte de l’onglet A" in stale.text and "Texte de l’onglet B" in stale.text
    assert "enregistrée ailleurs" in stale.text
    autosave = client.post(f"/fiches/{sheet.id}/brouillon", data={"base_version": "1", "context": "C"})
    assert autosave.status_code == 409 and autosave.json["conflict"] is True
    db.session.refresh(sheet)
    assert sheet.current_version == 2


def test_learner_sees_feedback_beside_each_section(client, world):
    sheet = make_product_sheet(world["users"]["owner"], state=SheetState.CHANGES_REQUESTED)
    make_sheet_review(sheet, section_comments={"problem": "Chiffrez le drame"}, overall_comment="Presque")
    login(client, world["users"]["owner"])
    assert "Chiffrez le drame" in client.get(f"/fiches/{sheet.id}").text
    assert "Chiffrez le drame" in client.get(f"/fiches/{sheet.id}/modifier").text
