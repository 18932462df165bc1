import re

import pytest
import sqlalchemy as sa
import yaml
from bs4 import BeautifulSoup
from freezegun import freeze_time

from beta_training.accounts.models import Role
from beta_training.core.models import to_paris, utcnow
from beta_training.extensions import db
from beta_training.sheets.models import SheetState, SheetVersion
from tests.conftest import login
from tests.factories import ANSWERED_PARTS, make_product_sheet, make_sheet_review, make_user
from tests.sheets.startup_front_matter import front_matter_problems

ROLES = ["anonymous", "owner", "other_learner", "trainer", "course_lead", "admin"]
LOGIN = "login"


@pytest.fixture
def world(app):
    users = {"owner": make_user(), "other_learner": make_user(), "trainer": make_user(roles=[Role.TRAINER]),
             "course_lead": make_user(roles=[Role.COURSE_LEAD]), "admin": make_user(roles=[Role.ADMIN])}
    draft = make_product_sheet(users["owner"], content={"s1_problem": "Un drame secret"})
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
    first = client.post(f"/fiches/{sheet.id}/modifier", data={"base_version": "1", "name": "Mon produit", "s4_worst_case": "Texte de l’onglet A"})
    assert first.status_code == 302
    stale = client.post(f"/fiches/{sheet.id}/modifier", data={"base_version": "1", "name": "Mon produit", "s4_worst_case": "Texte de l’onglet B"})
    assert stale.status_code == 409
    page = BeautifulSoup(stale.text, "html.parser")
    assert page.select_one("#conflict h2").get_text(strip=True) == "Cette fiche a été enregistrée ailleurs entre-temps"
    # This tab's text stays in the field, the other version's is shown right under it, word for word.
    context = page.find("textarea", attrs={"name": "s4_worst_case"})
    assert context.get_text().strip() == "Texte de l’onglet B"
    [theirs] = context.find_parent("div", class_="fr-fieldset__element").select(".fr-callout")
    assert [p.get_text(strip=True) for p in theirs.find_all("p")] == ["Texte de la version 2 :", "Texte de l’onglet A"]
    # A section both tabs agree on gets no second copy.
    name = page.find(attrs={"name": "name"})
    assert name["value"] == "Mon produit" and not name.find_parent("div", class_="fr-fieldset__element").select(".fr-callout")
    # (Saving again after reconciling is the sheets editor's fix, with its own test.)
    autosave = client.post(f"/fiches/{sheet.id}/brouillon", data={"base_version": "1", "s4_worst_case": "C"})
    assert autosave.status_code == 409 and autosave.json["conflict"] is True
    db.session.refresh(sheet)
    assert sheet.current_version == 2  # nothing overwritten: version 2 is still tab A's
    assert db.session.scalar(sa.select(SheetVersion.content).where(SheetVersion.number == 2))["s4_worst_case"] == "Texte de l’onglet A"


def test_learner_sees_each_comment_beside_its_part(client, world):
    sheet = make_product_sheet(world["users"]["owner"], state=SheetState.CHANGES_REQUESTED)
    make_sheet_review(sheet, section_comments={"s3": "Chiffrez le point de départ", "roadmap": "Datez le jalon 2"},
                      overall_comment="Presque")
    login(client, world["users"]["owner"])
    for url, container in ((f"/fiches/{sheet.id}", "section"), (f"/fiches/{sheet.id}/modifier", "fieldset")):
        page = BeautifulSoup(client.get(url).text, "html.parser")
        callouts = {element.find_parent(container)["id"]: element.get_text(" ", strip=True) for element in page.select(".bt-feedback")
                    if element.find_parent(container) is not None and element.find_parent(container).get("id")}
        assert [key for key, text in callouts.items() if "Chiffrez le point de départ" in text] == ["partie-3"], url
    show = BeautifulSoup(client.get(f"/fiches/{sheet.id}").text, "html.parser")
    roadmap = show.find("h2", id="part-roadmap").find_parent("section")
    assert "Datez le jalon 2" in roadmap.get_text() and "Datez le jalon 2" not in show.find(id="partie-3").get_text()


def _table(page, caption: str) -> list[list[str]]:
    """The rows of the table with this caption, each as the texts of its cells (header cells included)."""
    table = page.find("caption", string=caption).find_parent("table")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])] for row in table.tbody.find_all("tr")]


@freeze_time("2027-01-12 10:00:00")
def test_follow_up_page_and_impact_view(client, world):
    from datetime import date

    from beta_training.core.models import utcnow
    from beta_training.sheets.models import IndicatorMeasure, ProductSheet, SheetMilestone

    owner = world["users"]["owner"]
    indicators = [{"name": "Délai", "baseline": "30", "target": "5"}, {"name": "", "baseline": "", "target": ""},
                  {"name": "", "baseline": "", "target": ""}]
    sheet = make_product_sheet(owner, state=SheetState.APPROVED, approved_at=utcnow(), content={"name": "Trouve ta formation",
                                                                                               "indicators": indicators})
    other_owner = make_user()
    make_product_sheet(other_owner, state=SheetState.APPROVED, approved_at=utcnow(), content={"name": "Dossier facile"})
    unapproved = make_product_sheet(make_user(), state=SheetState.SUBMITTED, content={"name": "Pas encore validée"})
    milestones = [SheetMilestone(sheet_id=sheet.id, position=1, title="Premiers usagers", due_on=date(2027, 1, 15), status="todo"),
                  SheetMilestone(sheet_id=sheet.id, position=2, title="Partenariat", due_on=date(2027, 1, 5), status="todo"),
                  SheetMilestone(sheet_id=sheet.id, position=3, title="Lancement", due_on=date(2027, 4, 1), status="todo"),
                  SheetMilestone(sheet_id=sheet.id, position=4, title="Bilan", due_on=date(2027, 6, 1), status="todo"),
                  # Never counted: the sheet is not approved.
                  SheetMilestone(sheet_id=unapproved.id, position=1, title="Hors compte", due_on=date(2027, 1, 15),
                                 status="done", done_on=date(2027, 1, 2))]
    db.session.add_all(milestones)
    db.session.commit()
    first, second, third, fourth = (m.id for m in milestones[:4])

    # A trainer reads the roadmap but cannot change it.
    login(client, world["users"]["trainer"])
    page = BeautifulSoup(client.get(f"/fiches/{sheet.id}/feuille-de-route").text, "html.parser")
    assert _table(page, "Jalons") == [["Premiers usagers", "15 janvier 2027", "À faire"],
                                      ["Partenariat", "5 janvier 2027 échéance passée", "À faire"],
                                      ["Lancement", "1er avril 2027", "À faire"],
                                      ["Bilan", "1er juin 2027", "À faire"]]
    assert client.post(f"/fiches/{sheet.id}/feuille-de-route", data={f"status-{first}": "done"}).status_code == 403

    # The owner marks three milestones done today (two on time, one late), the launch, then a measure.
    login(client, owner)
    response = client.post(f"/fiches/{sheet.id}/feuille-de-route",
                           data={f"status-{first}": "done", f"status-{second}": "done", f"status-{third}": "done",
                                 f"status-{fourth}": "todo",
                                 "launched_on": "2027-01-10"})
    assert response.status_code == 302
    done = db.session.execute(sa.select(SheetMilestone.title, SheetMilestone.status, SheetMilestone.done_on)
                              .where(SheetMilestone.sheet_id == sheet.id).order_by(SheetMilestone.position)).all()
    assert done == [("Premiers usagers", "done", date(2027, 1, 12)), ("Partenariat", "done", date(2027, 1, 12)),
                    ("Lancement", "done", date(2027, 1, 12)), ("Bilan", "todo", None)]
    assert db.session.get(ProductSheet, sheet.id).launched_on == date(2027, 1, 10)
    response = client.post(f"/fiches/{sheet.id}/feuille-de-route",
                           data={"action": "measure", "indicator": "Délai", "value": "12", "measured_on": "2027-01-08"})
    assert response.status_code == 302
    assert db.session.execute(sa.select(IndicatorMeasure.indicator, IndicatorMeasure.value, IndicatorMeasure.measured_on)).all() == [
        ("Délai", "12", date(2027, 1, 8))]
    page = BeautifulSoup(client.get(f"/fiches/{sheet.id}/feuille-de-route").text, "html.parser")
    assert _table(page, "Valeurs mesurées") == [["8 janvier 2027", "Délai", "12"]]

    missing = client.post(f"/fiches/{sheet.id}/feuille-de-route", data={"action": "measure", "indicator": "Délai"})
    assert missing.status_code == 422
    invalid = {field["name"] for field in BeautifulSoup(missing.text, "html.parser").select('[aria-invalid="true"]')}
    assert invalid == {"value", "measured_on"}
    assert client.get("/fiches/impact").status_code == 403

    login(client, world["users"]["course_lead"])
    page = BeautifulSoup(client.get("/fiches/impact").text, "html.parser")
    assert _table(page, "Chiffres clés") == [
        ["Fiches validées", "2"],
        ["Jalons faits / prévus", "3 / 4"],
        ["Jalons faits à temps", "2"],
        ["Fiches avec des indicateurs mesurés", "1 (1 mesure)"],
        ["Services lancés", "1"],
    ]
    listed = [" ".join(li.get_text(" ", strip=True).split()) for li in page.find("h2", string="Fiches validées").find_next("ul").find_all("li")]
    assert sorted(listed) == [
        f"Dossier facile — {other_owner.full_name}, validée le 12 janvier 2027",
        f"Trouve ta formation — {owner.full_name}, validée le 12 janvier 2027 · lancé le 10 janvier 2027",
    ]


def test_sheet_cli_commands(app, mailbox):
    from datetime import timedelta

    from beta_training.core.models import utcnow

    make_user(roles=[Role.TRAINER], email="relectrice@example.gouv.fr")
    make_product_sheet(state=SheetState.SUBMITTED, submitted_at=utcnow() - timedelta(days=3))
    runner = app.test_cli_runner()
    assert "sheets waiting over 48 h: 1" in runner.invoke(args=["sheets", "remind"]).output
    assert "sheets waiting over 48 h: 0" in runner.invoke(args=["sheets", "remind"]).output
    assert "roadmap reminders: 0" in runner.invoke(args=["sheets", "roadmap-reminders"]).output
    assert mailbox.wait_for(1)[0]["To"] == "relectrice@example.gouv.fr"


def test_new_sheet_linked_to_the_mooc_run_and_the_alpha_application(client, world):
    from beta_training.sheets.models import ProductSheet
    from tests.factories import make_application, make_enrolment, make_mooc

    owner = world["users"]["owner"]
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    enrolment = make_enrolment(run, owner)
    application = make_application(user=owner, state="confirmed")
    make_application(user=owner, state="draft")  # a draft is not offered
    login(client, owner)
    page = client.get("/fiches/nouvelle").text
    assert f"{course.title} (Session 01)" in page and application.cohort.title in page
    response = client.post("/fiches/nouvelle", data={"enrolment_id": str(enrolment.id), "application_id": str(application.id)})
    assert response.status_code == 302
    sheet = db.session.scalar(sa.select(ProductSheet).order_by(ProductSheet.id.desc()))
    assert (sheet.enrolment_id, sheet.application_id) == (enrolment.id, application.id)
    # An application that is not one of hers: refused with a message on the field, no sheet.
    refused = client.post("/fiches/nouvelle", data={"application_id": "999999"})
    assert refused.status_code == 200
    error = BeautifulSoup(refused.text, "html.parser").select_one("#application_id-messages, .fr-error-text")
    assert error.get_text(strip=True) == "N'est pas un choix valide."
    assert db.session.scalars(sa.select(ProductSheet.id).where(ProductSheet.owner_id == owner.id).order_by(ProductSheet.id)).all() == [
        world["draft"].id, sheet.id]


def test_queue_and_sheet_pages_do_not_grow_with_sheets(client, world, count_queries):
    from tests.factories import make_application, make_enrolment, make_mooc

    _course, run = make_mooc(sequences=(1,), kinds=("text",))
    login(client, world["users"]["trainer"])

    def add_sheets(n):
        for _ in range(n):
            author = make_user()
            make_product_sheet(author, state=SheetState.SUBMITTED, enrolment_id=make_enrolment(run, author).id,
                               application_id=make_application(user=author).id)

    def counted(url):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    add_sheets(2)
    sheet = world["draft"]
    make_sheet_review(sheet, section_comments={"s1": "x"})
    few = (counted("/fiches/relecture"), counted(f"/fiches/{sheet.id}"), counted(f"/fiches/{sheet.id}/relecture"))
    add_sheets(20)
    for _ in range(5):
        make_sheet_review(sheet)
    assert (counted("/fiches/relecture"), counted(f"/fiches/{sheet.id}"), counted(f"/fiches/{sheet.id}/relecture")) == few


def test_a4_preview_and_release_of_a_claimed_sheet(client, world):
    from beta_training.sheets.models import ProductSheet

    sheet = make_product_sheet(world["users"]["owner"], state=SheetState.SUBMITTED, content={"pitch": "Permettre à tous"})
    login(client, world["users"]["owner"])
    page = client.get(f"/fiches/{sheet.id}/apercu").text
    assert "Permettre à tous" in page and "bt-a4" in page
    login(client, world["users"]["other_learner"])
    assert client.get(f"/fiches/{sheet.id}/apercu").status_code == 403
    login(client, world["users"]["trainer"])
    client.post(f"/fiches/{sheet.id}/prendre")
    login(client, world["users"]["course_lead"])
    client.post(f"/fiches/{sheet.id}/rendre")  # not hers to release
    assert db.session.get(ProductSheet, sheet.id).claimed_by_id == world["users"]["trainer"].id
    login(client, world["users"]["trainer"])
    client.post(f"/fiches/{sheet.id}/rendre")
    db.session.expire_all()
    released = db.session.get(ProductSheet, sheet.id)
    assert released.state == SheetState.SUBMITTED and released.claimed_by_id is None


def test_a_roadmap_row_half_filled_says_what_is_missing_and_dates_read_in_french(client, world):
    """« Proposer à partir de mes réponses » fills an indicator's name only: the pages say what is left."""
    content = {"indicators": [{"name": "Familles inscrites", "baseline": "", "target": "200"}],
               "milestones": [{"title": "Premier Open Lab", "due_on": "2027-01-15", "priority": ""},
                              {"title": "Ouverture", "due_on": "", "priority": ""}]}
    sheet = make_product_sheet(world["users"]["owner"], content=content)
    login(client, world["users"]["owner"])
    for url in (f"/fiches/{sheet.id}", f"/fiches/{sheet.id}/apercu"):
        text = BeautifulSoup(client.get(url).text, "html.parser").get_text(" ", strip=True)
        assert "Familles inscrites : départ à compléter → 200 à 6 mois" in text, url
        assert "15 janvier 2027 : Premier Open Lab" in text and "date à compléter : Ouverture" in text, url
        assert "2027-01-15" not in text, url


# --- Text is never lost (issue #10) ----------------------------------------------------------------------

READY = {
    **ANSWERED_PARTS,
    "indicators": [{"name": "Délai", "baseline": "30 j", "target": "5 j"}, {"name": "Usagers", "baseline": "0", "target": "200"},
                   {"name": "", "baseline": "", "target": ""}],
    "milestones": [{"title": "Premiers usagers", "due_on": "2027-01-15", "priority": "1"}]
                  + [{"title": "", "due_on": "", "priority": ""}] * 5,
}


def _hidden_base_version(page: str) -> str:
    return re.search(r'<input id="base_version" name="base_version" type="hidden" value="(\d*)"', page).group(1)


def test_after_a_conflict_the_reconciled_text_saves(client, world):
    """The conflict page carries the latest version number: the reconciled text saves at once."""
    sheet = world["draft"]
    login(client, world["users"]["owner"])
    tab_a = client.post(f"/fiches/{sheet.id}/modifier", data={"base_version": "1", "name": "Mon produit", "s4_worst_case": "Texte de l’onglet A"})
    assert tab_a.status_code == 302
    conflict = client.post(f"/fiches/{sheet.id}/modifier", data={"base_version": "1", "name": "Mon produit", "s4_worst_case": "Texte de l’onglet B"})
    assert conflict.status_code == 409
    base = _hidden_base_version(conflict.text)
    assert base == "2"
    reconciled = client.post(f"/fiches/{sheet.id}/modifier", data={
        "base_version": base, "name": "Mon produit", "s4_worst_case": "Texte de l’onglet A\nTexte de l’onglet B"})
    assert reconciled.status_code == 302
    db.session.refresh(sheet)
    latest = db.session.scalar(sa.select(SheetVersion).where(SheetVersion.sheet_id == sheet.id, SheetVersion.number == 3))
    assert sheet.current_version == 3 and latest.content["s4_worst_case"] == "Texte de l’onglet A\nTexte de l’onglet B"


@pytest.fixture
def sent_sheet(client, world):
    """The owner's sheet, sent for review from another tab while the editor is still open here."""
    sheet = make_product_sheet(world["users"]["owner"], content=READY)
    login(client, world["users"]["owner"])
    assert client.post(f"/fiches/{sheet.id}/envoyer").status_code == 302
    db.session.refresh(sheet)
    assert sheet.state == SheetState.SUBMITTED
    return sheet


def test_autosave_on_a_sent_sheet_answers_a_json_refusal(client, world, sent_sheet):
    response = client.post(f"/fiches/{sent_sheet.id}/brouillon", data={"base_version": "1", "s4_worst_case": "Tapé après l’envoi"},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 409 and response.is_json
    assert response.json["error"] == "not_editable" and response.json["state"] == "submitted"
    assert "envoyée en relecture" in response.json["message"] and "téléchargez-le" in response.json["message"]
    login(client, world["users"]["other_learner"])  # not hers: a JSON 403, not the HTML error page
    response = client.post(f"/fiches/{sent_sheet.id}/brouillon", data={"base_version": "1", "s4_worst_case": "Pirate"})
    assert response.status_code == 403 and response.json["error"] == "forbidden" and response.json["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetVersion).where(SheetVersion.sheet_id == sent_sheet.id)) == 1


def test_save_button_on_a_sent_sheet_shows_the_typed_text_back(client, world, sent_sheet):
    response = client.post(f"/fiches/{sent_sheet.id}/modifier", data={
        "base_version": "1", "name": "Mon produit", "s4_worst_case": "Un paragraphe tapé après l’envoi"})
    assert response.status_code == 409
    assert "Un paragraphe tapé après l’envoi" in response.text
    assert "Votre texte n’a pas été enregistré" in response.text and "envoyée en relecture" in response.text
    assert "Télécharger mon texte" in response.text and "data-autosave-url" not in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetVersion).where(SheetVersion.sheet_id == sent_sheet.id)) == 1
    login(client, world["users"]["other_learner"])  # someone else's sheet stays a plain 403
    assert client.post(f"/fiches/{sent_sheet.id}/modifier", data={"base_version": "1", "s4_worst_case": "x"}).status_code == 403


def test_a_second_click_on_send_lands_on_the_same_result(client, world):
    from beta_training.core.models import OutboxMessage, StateChange

    sheet = make_product_sheet(world["users"]["owner"], content=READY)
    login(client, world["users"]["owner"])
    first = client.post(f"/fiches/{sheet.id}/envoyer")
    first_page = client.get(first.headers["Location"]).text
    mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    second = client.post(f"/fiches/{sheet.id}/envoyer")
    assert first.status_code == second.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    assert "Fiche envoyée en relecture" in first_page
    assert "Cette fiche est déjà envoyée en relecture" in client.get(second.headers["Location"]).text
    sent = db.session.scalars(sa.select(StateChange).where(StateChange.subject_type == "product_sheets",
                                                           StateChange.subject_id == sheet.id)).all()
    assert [change.to_state for change in sent] == ["submitted"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == mails  # nothing sent twice


def test_the_breadcrumb_leads_each_reader_back_to_her_own_list(client, world):
    """The owner back to « Mes fiches produit »; a reviewer back to the sheets to review, not to a list of her own."""
    sheet = make_product_sheet(world["users"]["owner"], state=SheetState.SUBMITTED)

    def trail(user, page_url):
        login(client, user)
        page = BeautifulSoup(client.get(page_url).text, "html.parser")
        return [(link.get_text(strip=True), link.get("href")) for link in page.select(".fr-breadcrumb__link")][:-1]

    for page_url in (f"/fiches/{sheet.id}", f"/fiches/{sheet.id}/apercu", f"/fiches/{sheet.id}/feuille-de-route"):
        assert ("Mes fiches produit", "/fiches/") in trail(world["users"]["owner"], page_url), page_url
        reviewer_trail = trail(world["users"]["trainer"], page_url)
        assert ("Fiches produit à relire", "/fiches/relecture") in reviewer_trail, page_url
        assert "Mes fiches produit" not in [text for text, _href in reviewer_trail], page_url


def test_the_markdown_export_passes_the_startup_front_matter_rules_of_beta_gouv_fr(app, login_as):
    """A phase's start written as a quoted string ('2026-12-01') is rejected by the site: it must be a YAML date."""
    owner = make_user("fm-owner@example.gouv.fr")
    sheet = make_product_sheet(owner, state=SheetState.APPROVED, approved_at=utcnow())
    response = login_as(owner).get(f"/fiches/{sheet.id}/fiche.md")
    assert response.status_code == 200
    front = yaml.safe_load(response.get_data(as_text=True)[4:].partition("\n---\n")[0])
    assert front_matter_problems(front) == []
    assert front["phases"][0]["start"] == to_paris(sheet.approved_at).date()
