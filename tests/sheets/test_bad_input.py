"""Fiches produit refuse bad input clearly (issue #10, section 5): roadmap follow-up dates, crafted milestone
dates and priorities (in French, field by field), measures from the future, and a trainer reviewing her own
sheet. Shown through the pages, and at the service level."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.core.models import to_paris, utcnow
from beta_training.extensions import db
from beta_training.sheets import services
from beta_training.sheets.models import IndicatorMeasure, ProductSheet, SheetMilestone, SheetState, SheetVersion
from tests.conftest import login
from tests.factories import make_product_sheet, make_user


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _today() -> date:
    return to_paris(utcnow()).date()


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'id="{field}-message-error-1">([^<]*)<', page)
    return match.group(1) if match else ""


def _summary(page: str) -> list[str]:
    block = re.search(r'id="error-summary".*?</ul>', page, re.S)
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", block.group(0), re.S)] if block else []


# --- Roadmap follow-up ---------------------------------------------------------------------------------------

INDICATORS = [{"name": "Délai", "baseline": "30", "target": "5"}, {"name": "", "baseline": "", "target": ""},
              {"name": "", "baseline": "", "target": ""}]


@pytest.fixture
def approved(app):
    owner = make_user()
    launched = _today() - timedelta(days=30)
    sheet = make_product_sheet(owner, state=SheetState.APPROVED, content={"indicators": INDICATORS}, launched_on=launched)
    db.session.add(SheetMilestone(sheet_id=sheet.id, position=1, title="Premiers usagers", due_on=_today(), status="todo"))
    db.session.commit()
    return owner, sheet, launched


@pytest.mark.parametrize("typed,message", [
    ("pas une date", "Saisissez une date réelle, par exemple 15/03/2027."),
    ("2027-02-30", "Saisissez une date réelle, par exemple 15/03/2027."),
    ("tomorrow", "Saisissez une date réelle, par exemple 15/03/2027."),
    ("future", "La date ne peut pas être dans le futur"),
    ("1999-12-31", "La date ne peut pas être antérieure au 01/01/2000."),
])
def test_a_bad_launch_date_is_a_field_error_and_changes_nothing(client, approved, typed, message):
    owner, sheet, launched = approved
    milestone_id = db.session.scalar(sa.select(SheetMilestone.id))
    if typed in ("tomorrow", "future"):
        typed = (_today() + timedelta(days=1 if typed == "tomorrow" else 800)).isoformat()
        message = "La date ne peut pas être dans le futur"
    login(client, owner)
    response = client.post(f"/fiches/{sheet.id}/feuille-de-route", data={f"status-{milestone_id}": "done", "launched_on": typed})
    assert response.status_code == 422
    assert _field_error(response.text, "launched_on").startswith(message)
    assert "Feuille de route mise à jour" not in response.text
    db.session.refresh(sheet)
    assert sheet.launched_on == launched
    assert db.session.get(SheetMilestone, milestone_id).status == "todo"


def test_a_launch_date_can_be_set_or_cleared(client, approved):
    owner, sheet, _launched = approved
    login(client, owner)
    assert client.post(f"/fiches/{sheet.id}/feuille-de-route", data={"launched_on": _today().isoformat()}).status_code == 302
    db.session.refresh(sheet)
    assert sheet.launched_on == _today()
    assert client.post(f"/fiches/{sheet.id}/feuille-de-route", data={"launched_on": ""}).status_code == 302
    db.session.refresh(sheet)
    assert sheet.launched_on is None


@pytest.mark.parametrize("measured_on,message", [
    ("2099-01-01", "La date ne peut pas être dans le futur"),
    ("1970-01-01", "La date ne peut pas être antérieure au 01/01/2000."),
    ("31/02/2026", "Saisissez une date réelle, par exemple 15/03/2027."),
])
def test_a_measure_out_of_bounds_is_refused(client, approved, measured_on, message):
    owner, sheet, _launched = approved
    login(client, owner)
    response = client.post(f"/fiches/{sheet.id}/feuille-de-route",
                           data={"action": "measure", "indicator": "Délai", "value": "12", "measured_on": measured_on})
    assert response.status_code == 422 and _field_error(response.text, "measured_on").startswith(message)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorMeasure)) == 0


def test_a_measure_of_an_indicator_the_sheet_does_not_have_is_refused_in_french(client, approved):
    owner, sheet, _launched = approved
    login(client, owner)
    response = client.post(f"/fiches/{sheet.id}/feuille-de-route",
                           data={"action": "measure", "indicator": "Inventé", "value": "1", "measured_on": _today().isoformat()})
    assert response.status_code == 422
    assert _field_error(response.text, "indicator") == "Choisissez un des indicateurs de la fiche."


def test_the_follow_up_services_guard_dates_too(ctx, approved):
    owner, sheet, launched = approved
    tomorrow = _today() + timedelta(days=1)
    for launched_on in ("2026-01-10", tomorrow, date(1999, 1, 1)):
        with pytest.raises(services.SheetError):
            services.update_roadmap(sheet, actor=owner, statuses={}, launched_on=launched_on)
    for measured_on in (date(2099, 1, 1), tomorrow, "2026-01-10"):
        with pytest.raises(services.SheetError):
            services.record_measure(sheet, actor=owner, indicator="Délai", value="1", measured_on=measured_on)
    db.session.rollback()
    assert db.session.get(ProductSheet, sheet.id).launched_on == launched
    services.record_measure(sheet, actor=owner, indicator="Délai", value="1", measured_on=_today())
    db.session.commit()
    assert db.session.scalar(sa.select(IndicatorMeasure.measured_on)) == _today()


# --- The sheet's milestones: real dates, priorities 1 to 3, errors in French --------------------------------


def _sheet_form(sheet, **milestone):
    return {"base_version": str(sheet.current_version), "name": "Mon produit", "s1_problem": "Un problème",
            "s1_solution": "Une solution", "milestones-0-title": "Premiers usagers",
            **{f"milestones-0-{key}": value for key, value in milestone.items()}}


def _versions(sheet) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(SheetVersion).where(SheetVersion.sheet_id == sheet.id))


@pytest.mark.parametrize("due_on", ["pas-une-d", "2027-02-30", "0001-01-01", "2099-12-31", "20270315", "2027-W11-1",
                                    "30/02/2027", "15/3/2027"])
def test_a_crafted_milestone_date_is_refused_on_its_field(client, due_on):
    owner = make_user()
    sheet = make_product_sheet(owner)
    login(client, owner)
    response = client.post(f"/fiches/{sheet.id}/modifier", data=_sheet_form(sheet, due_on=due_on, priority="1"))
    assert response.status_code == 422
    error = _field_error(response.text, "milestones-0-due_on")
    assert error.startswith(("Saisissez une date réelle au format JJ/MM/AAAA", "Choisissez une échéance entre le 01/01/2000"))
    assert _summary(response.text) == [f'<a href="#milestones-0-due_on">Jalon 1 – Échéance : {error}</a>']
    autosave = client.post(f"/fiches/{sheet.id}/brouillon", data=_sheet_form(sheet, due_on=due_on))
    assert autosave.status_code == 422 and autosave.json["errors"]["milestones"][0] == {"due_on": [error]}
    assert _versions(sheet) == 1


def test_an_invalid_priority_gets_a_french_message_not_a_raw_dict(client):
    owner = make_user()
    sheet = make_product_sheet(owner)
    login(client, owner)
    response = client.post(f"/fiches/{sheet.id}/modifier", data=_sheet_form(sheet, due_on="2027-01-15", priority="9"))
    assert response.status_code == 422
    assert _summary(response.text) == [
        '<a href="#milestones-0-priority">Jalon 1 – Priorité : Choisissez la priorité 1, 2 ou 3, ou aucune.</a>']
    assert _field_error(response.text, "milestones-0-priority") == "Choisissez la priorité 1, 2 ou 3, ou aucune."
    assert "{" not in "".join(_summary(response.text)) and "Not a valid" not in response.text
    autosave = client.post(f"/fiches/{sheet.id}/brouillon", data=_sheet_form(sheet, priority="9"))
    assert autosave.json["errors"]["milestones"][0] == {"priority": ["Choisissez la priorité 1, 2 ou 3, ou aucune."]}
    assert _versions(sheet) == 1


def test_a_plausible_milestone_is_saved(client):
    owner = make_user()
    sheet = make_product_sheet(owner)
    login(client, owner)
    due_on = (_today() + timedelta(days=180)).isoformat()
    assert client.post(f"/fiches/{sheet.id}/modifier", data=_sheet_form(sheet, due_on=due_on, priority="2")).status_code == 302
    latest = db.session.scalar(sa.select(SheetVersion.content).where(SheetVersion.sheet_id == sheet.id, SheetVersion.number == 2))
    assert latest["milestones"][0] == {"title": "Premiers usagers", "due_on": due_on, "priority": "2"}


def test_a_milestone_typed_jj_mm_aaaa_is_saved_as_the_date_picker_sends_it(client):
    """Where there is no date picker, a person types « 15/03/2027 », as the field's hint says."""
    owner = make_user()
    sheet = make_product_sheet(owner)
    login(client, owner)
    due = _today() + timedelta(days=180)
    response = client.post(f"/fiches/{sheet.id}/modifier", data=_sheet_form(sheet, due_on=due.strftime("%d/%m/%Y")))
    assert response.status_code == 302
    latest = db.session.scalar(sa.select(SheetVersion.content).where(SheetVersion.sheet_id == sheet.id, SheetVersion.number == 2))
    assert latest["milestones"][0]["due_on"] == due.isoformat()


def test_the_version_service_refuses_a_crafted_milestone_date(ctx):
    owner = make_user()
    sheet = make_product_sheet(owner)
    content = {"milestones": [{"title": "Jalon", "due_on": "2027-13-01", "priority": "1"}]}
    with pytest.raises(services.SheetError, match="Jalon 1"):
        services.save_version(sheet, author=owner, content=content, base_version=1)
    db.session.rollback()
    assert _versions(sheet) == 1


# --- Nobody reviews her own sheet ----------------------------------------------------------------------------


def test_a_trainer_cannot_claim_her_own_sheet(client):
    author = make_user(roles=[Role.TRAINER])
    sheet = make_product_sheet(author, state=SheetState.SUBMITTED, content={"name": "Ma fiche"})
    login(client, author)
    queue = client.get("/fiches/relecture").text
    assert "Votre fiche : une autre personne la relira" in queue and "Prendre « Ma fiche »" not in queue
    assert client.post(f"/fiches/{sheet.id}/prendre").status_code == 403
    assert client.get(f"/fiches/{sheet.id}/relecture").status_code == 403
    db.session.refresh(sheet)
    assert (sheet.state, sheet.claimed_by_id) == (SheetState.SUBMITTED, None)

    colleague = make_user(roles=[Role.TRAINER])
    login(client, colleague)
    assert client.post(f"/fiches/{sheet.id}/prendre").status_code == 302
    db.session.refresh(sheet)
    assert (sheet.state, sheet.claimed_by_id) == (SheetState.IN_REVIEW, colleague.id)


def test_a_trainer_cannot_approve_her_own_sheet(client):
    author = make_user(roles=[Role.COURSE_LEAD])
    # As a sheet claimed before this rule existed would be.
    sheet = make_product_sheet(author, state=SheetState.IN_REVIEW, claimed_by_id=author.id, claimed_at=utcnow())
    login(client, author)
    response = client.post(f"/fiches/{sheet.id}/relecture", data={"verdict": "approved", "overall_comment": "Parfait"})
    assert response.status_code == 403
    assert client.post(f"/fiches/{sheet.id}/rendre").status_code == 403
    db.session.refresh(sheet)
    assert sheet.state == SheetState.IN_REVIEW and sheet.approved_at is None
    assert client.get(f"/fiches/{sheet.id}").status_code == 200  # she still reads her sheet


def test_the_review_services_refuse_the_author(ctx):
    author = make_user(roles=[Role.TRAINER])
    submitted = make_product_sheet(author, state=SheetState.SUBMITTED)
    with pytest.raises(services.SheetError, match="votre propre fiche"):
        services.claim_sheet(submitted, reviewer=author)
    claimed = make_product_sheet(author, state=SheetState.IN_REVIEW, claimed_by_id=author.id, claimed_at=utcnow())
    with pytest.raises(services.SheetError, match="votre propre fiche"):
        services.review_sheet(claimed, reviewer=author, verdict=SheetState.APPROVED, overall_comment="",
                              section_comments={}, scores={})
    db.session.rollback()
    assert db.session.get(ProductSheet, submitted.id).state == SheetState.SUBMITTED
    assert db.session.get(ProductSheet, claimed.id).state == SheetState.IN_REVIEW


def test_a_measure_dated_jj_mm_aaaa_is_saved(client, approved):
    """Typed by hand where there is no date picker: « 01/02/2026 » is the 1st of February."""
    owner, sheet, _launched = approved
    login(client, owner)
    response = client.post(f"/fiches/{sheet.id}/feuille-de-route",
                           data={"action": "measure", "indicator": "Délai", "value": "12", "measured_on": "01/02/2026"})
    assert response.status_code == 302
    assert "1er février 2026" in client.get(f"/fiches/{sheet.id}/feuille-de-route").text
