"""The fiche's owner pressing « Envoyer en relecture » or « Retirer de la relecture » again in a second tab, after
the first one (or a review) moved the sheet on; or answering a part after unenrolling from the run in another
tab: back to the sheet (or the course) with what happened, never « Accès refusé »; nothing changes and
nothing is emailed. Someone else's sheet stays a 403."""

import pytest

import sqlalchemy as sa
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.extensions import db
from beta_training.sheets.models import SheetReview
from beta_training.sheets.models import SheetState
from tests.conftest import login
from tests.factories import COMPLETE_SHEET, make_enrolment, make_mooc, make_product_sheet, make_user
from tests.records import timeline_of
from tests.second_tab import assert_led_back, outbox_count


def _page(sheet) -> str:
    return f"/fiches/{sheet.id}"


def test_withdrawing_again_from_a_second_tab_says_the_sheet_is_already_a_draft(client):
    sheet = make_product_sheet(state=SheetState.SUBMITTED, content=COMPLETE_SHEET)
    login(client, sheet.owner)
    assert client.post(f"{_page(sheet)}/retirer").status_code == 302
    sent, moves = outbox_count(), timeline_of(sheet)
    again = client.post(f"{_page(sheet)}/retirer")
    assert_led_back(client, again, _page(sheet), "Cette fiche est déjà retirée de la relecture : elle est en brouillon, modifiable.")
    db.session.refresh(sheet)
    assert sheet.state == SheetState.DRAFT and timeline_of(sheet) == moves and outbox_count() == sent
    theirs = make_product_sheet(state=SheetState.SUBMITTED, content=COMPLETE_SHEET)  # not hers: still forbidden
    assert client.post(f"{_page(theirs)}/retirer").status_code == 403
    db.session.refresh(theirs)
    assert theirs.state == SheetState.SUBMITTED


@pytest.mark.parametrize("state,label", [(SheetState.APPROVED, "Validée"),
                                         (SheetState.CHANGES_REQUESTED, "Modifications demandées")])
def test_withdrawing_a_sheet_reviewed_meanwhile_says_where_it_stands(client, state, label):
    sheet = make_product_sheet(state=state, content=COMPLETE_SHEET)
    login(client, sheet.owner)
    response = client.post(f"{_page(sheet)}/retirer")
    assert_led_back(client, response, _page(sheet), f"Cette fiche est désormais « {label} » : cette action n’est plus "
                                                    "possible, rien n’a été modifié.")
    db.session.refresh(sheet)
    assert sheet.state == state and timeline_of(sheet) == [] and outbox_count() == 0


@pytest.mark.parametrize("state,message", [
    (SheetState.APPROVED, "Cette fiche est déjà validée : il n’y a plus rien à envoyer."),
    (SheetState.SUBMITTED, "Cette fiche est déjà envoyée en relecture : rien n’a été envoyé une deuxième fois."),
])
def test_sending_from_a_tab_left_open_says_it_is_already_sent_or_validated(client, state, message):
    sheet = make_product_sheet(state=state, content=COMPLETE_SHEET)
    login(client, sheet.owner)
    response = client.post(f"{_page(sheet)}/envoyer")
    assert_led_back(client, response, _page(sheet), message)
    db.session.refresh(sheet)
    assert sheet.state == state and timeline_of(sheet) == [] and outbox_count() == 0
    login(client, make_user())  # someone else's sheet: still « Accès refusé »
    assert client.post(f"{_page(sheet)}/envoyer").status_code == 403
    assert client.post(f"{_page(sheet)}/retirer").status_code == 403
    db.session.refresh(sheet)
    assert sheet.state == state and timeline_of(sheet) == []


def test_a_part_answered_after_unenrolling_in_another_tab_leads_back_to_the_course(client):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    enrolment = make_enrolment(run, state="unenrolled")
    part_url = f"/fiches/mooc/{course.slug}/{run.slug}/sequence/1"
    course_page = f"/mooc/{course.slug}?run={run.slug}"
    login(client, enrolment.user)
    response = client.post(part_url, data={"base_version": "0", "s1_problem": "Tapé après la désinscription"})
    assert_led_back(client, response, course_page, "Vous n’êtes plus inscrit·e à cette session : rien n’est enregistré.")
    autosave = client.post(f"{part_url}/brouillon", data={"base_version": "0", "s1_problem": "x"})
    assert autosave.status_code == 409 and autosave.json["saved"] is False
    assert "Vous n’êtes plus inscrit·e" in autosave.json["message"]
    login(client, make_user())  # never enrolled: a stranger to the run
    assert client.post(part_url, data={"base_version": "0", "s1_problem": "x"}).status_code == 403
    assert client.post(f"{part_url}/brouillon", data={"base_version": "0", "s1_problem": "x"}).status_code == 403


@pytest.mark.parametrize("meanwhile, expected", [
    ("sent", "Cette fiche vient d’être relue (« Modifications demandées ») : votre relecture n’a pas été envoyée."),
    ("colleague", "Cette fiche est en relecture par Camille Collègue : votre relecture n’a pas été envoyée."),
])
def test_a_review_sent_again_or_after_a_colleague_took_the_sheet_says_so_and_keeps_the_text(client, meanwhile, expected):
    trainer = make_user(roles=[Role.TRAINER])
    sheet = make_product_sheet(state=SheetState.SUBMITTED, content=COMPLETE_SHEET)
    login(client, trainer)
    assert client.post(f"{_page(sheet)}/prendre").status_code == 302
    review = {"verdict": "changes_requested", "overall_comment": "Précisez les usagers."}
    if meanwhile == "sent":
        assert client.post(f"{_page(sheet)}/relecture", data=review).status_code == 302
    else:  # released, then taken by a colleague in the meantime
        colleague = make_user(roles=[Role.TRAINER], first_name="Camille", last_name="Collègue")
        sheet.claimed_by_id = colleague.id
        db.session.commit()
    reviews = db.session.scalar(sa.select(sa.func.count()).select_from(SheetReview))

    again = client.post(f"{_page(sheet)}/relecture", data={**review, "overall_comment": "Une seconde relecture."})

    page = BeautifulSoup(again.text, "html.parser")
    assert expected in [alert.get_text(" ", strip=True) for alert in page.select(".fr-alert--error")]
    assert page.find("textarea", attrs={"name": "overall_comment"}).get_text().strip() == "Une seconde relecture."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetReview)) == reviews
