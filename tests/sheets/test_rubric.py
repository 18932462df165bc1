"""The fiche review as a real rubric: the grid shown with its levels and averages round by round, nobody reviewing
her own fiche on any route, a second opinion as a lifecycle step, earlier comments kept per section, comments on
the follow-up's milestones and indicators."""

import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.core import db as core_db
from beta_training.core.models import OutboxMessage, StateChange
from beta_training.extensions import db
from beta_training.sheets import queries, services
from beta_training.sheets.models import (
    LEVEL_NAMES,
    RUBRIC,
    SCORE_LEVELS,
    SheetFollowUpComment,
    SheetReview,
    SheetState,
    content_label,
)
from tests.conftest import login
from tests.factories import COMPLETE_SHEET, make_product_sheet, make_sheet_review, make_sheet_version, make_user


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def people(app):
    return {"owner": make_user(first_name="Léa"), "anne": make_user(roles=[Role.TRAINER], first_name="Anne", last_name="Relue"),
            "bruno": make_user(roles=[Role.TRAINER], first_name="Bruno", last_name="Second"),
            "other": make_user()}


def _table(page, caption_start: str) -> list[list[str]]:
    caption = page.find("caption", string=re.compile("^" + re.escape(caption_start)))
    assert caption is not None, f"no table « {caption_start} »"
    table = caption.find_parent("table")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])] for row in table.find_all("tr")]


def _page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def _buttons(page, text: str) -> list:
    return [button for button in page.find_all("button") if button.get_text(" ", strip=True).startswith(text)]


def _table_rows(page) -> list[list[str]]:
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])] for row in page.select("tbody tr")]


def _review(client, sheet, **data):
    return client.post(f"/fiches/{sheet.id}/relecture", data=data)


def _states(sheet):
    return [(c.from_state, c.to_state, c.actor_id, c.reason) for c in queries.timeline(sheet)]


# --- The grid, shown ----------------------------------------------------------------------------------------


def test_every_criterion_says_what_each_level_means_in_french():
    assert SCORE_LEVELS == (1, 2, 3, 4, 5) and set(LEVEL_NAMES) == set(SCORE_LEVELS)
    for criterion in RUBRIC:
        descriptors = [str(criterion.descriptor(level)) for level in SCORE_LEVELS]
        assert len(set(descriptors)) == 5 and all(d.endswith(".") for d in descriptors), criterion.key


def test_the_grid_is_shown_round_by_round_with_levels_and_averages_to_the_owner_and_the_trainers(client, people):
    sheet = make_product_sheet(people["owner"], state=SheetState.CHANGES_REQUESTED, review_round=2)
    make_sheet_review(sheet, people["anne"], round=1, scores={"positioning": 2, "indicators": 1})
    make_sheet_review(sheet, people["anne"], round=2, verdict="second_review",
                      scores={"positioning": 3, "indicators": 4, "go_to_market": 5})
    make_sheet_review(sheet, people["bruno"], round=2, scores={"positioning": 4, "indicators": 4})
    db.session.commit()

    for reader, url in ((people["owner"], f"/fiches/{sheet.id}"), (people["anne"], f"/fiches/{sheet.id}/relecture"),
                        (people["bruno"], f"/fiches/{sheet.id}")):
        login(client, reader)
        page = _page(client, url)
        latest = _table(page, "Tour 2")
        assert latest[0] == ["Critère", "Moyenne", "Note d’Anne Relue", "Note de Bruno Second"]
        positioning = latest[1]
        assert positioning[0] == "Positionnement (cible, proposition de valeur)"
        assert positioning[2].startswith("3 sur 5 : Correct") and str(RUBRIC[0].descriptor(3)) in positioning[2]
        assert positioning[3].startswith("4 sur 5 : Solide") and positioning[1] == "3,5"
        rows = {row[0]: row for row in latest}
        assert rows["Stratégie de mise en marché"][1:] == [
            "5,0", f"5 sur 5 : Exemplaire {RUBRIC[4].descriptor(5)}", "non noté"]
        assert rows["Utilité attendue pour les usagers"][1:] == ["—", "non noté", "non noté"]
        # The mean of the criteria's averages, (3.5 + 4 + 5) / 3, first (it stays in sight on a phone), then
        # each reviewer's own mean.
        assert rows["Moyenne générale"][1:] == ["4,2", "4,0", "4,0"]
        assert _table(page, "Tour 1")[-1][1:] == ["1,5", "1,5"]
        # Newest round first; every level of every criterion explained.
        captions = [c.get_text() for c in page.select("#grille caption")]
        assert captions[0].startswith("Tour 2") and captions[1].startswith("Tour 1")
        assert all(str(c.descriptor(level)) in page.find(id="rubric-levels").get_text() for c in RUBRIC for level in SCORE_LEVELS)


def test_scores_outside_the_levels_are_not_kept(ctx, people):
    sheet = make_product_sheet(people["owner"], state="in_review", content=COMPLETE_SHEET, claimed_by_id=people["anne"].id,
                               claimed_at=services.utcnow())
    review = services.review_sheet(sheet, reviewer=people["anne"], verdict=SheetState.APPROVED, overall_comment="",
                                   section_comments={}, scores={"positioning": "9", "indicators": "4", "pirate": "3"})
    assert review.scores == {"indicators": 4}
    assert review.round == 1


# --- Nobody reviews her own fiche ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.TRAINER, Role.COURSE_LEAD, Role.ADMIN])
def test_a_trainer_cannot_review_her_own_fiche_on_any_review_route(client, role):
    me = make_user(roles=[role])
    claimed = make_product_sheet(me, state="in_review", content=COMPLETE_SHEET, claimed_by_id=me.id, claimed_at=services.utcnow())
    waiting = make_product_sheet(me, state="submitted", content=COMPLETE_SHEET)
    second = make_product_sheet(me, state="second_review", content=COMPLETE_SHEET)
    make_sheet_review(second, verdict="second_review")
    approved = make_product_sheet(me, state="approved", content=COMPLETE_SHEET, approved_at=services.utcnow())
    services.create_milestones(approved)
    db.session.commit()
    milestone = queries.milestones_of(approved)[0]
    login(client, me)
    before = {model: db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in (SheetReview, StateChange, SheetFollowUpComment, OutboxMessage)}
    requests = [
        ("get", f"/fiches/{waiting.id}/relecture", {}),
        ("post", f"/fiches/{waiting.id}/prendre", {}),
        ("post", f"/fiches/{second.id}/prendre", {}),
        ("post", f"/fiches/{claimed.id}/relecture", {"verdict": "approved"}),
        ("post", f"/fiches/{claimed.id}/relecture", {"verdict": "second_review", "second_opinion_reason": "Moi ?"}),
        ("post", f"/fiches/{claimed.id}/rendre", {}),
        ("post", f"/fiches/{approved.id}/feuille-de-route/commentaires",
         {"target": f"jalon-{milestone.id}", "body": "Bravo à moi", "submission_key": "k1"}),
    ]
    for method, url, data in requests:
        assert getattr(client, method)(url, data=data).status_code == 403, url
    assert {model: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in before} == before
    assert db.session.get(type(claimed), claimed.id).state == "in_review"


def test_the_services_refuse_her_own_fiche_too(ctx, people):
    me = people["anne"]
    sheet = make_product_sheet(me, state="approved", content=COMPLETE_SHEET, approved_at=services.utcnow())
    services.create_milestones(sheet)
    with pytest.raises(services.SheetError):
        services.comment_follow_up(sheet, author=me, target=f"jalon-{queries.milestones_of(sheet)[0].id}", body="Moi")


# --- A second opinion ---------------------------------------------------------------------------------------


def test_a_reviewer_asks_for_a_second_opinion_and_a_second_trainer_decides(client, people):
    sheet = make_product_sheet(people["owner"], state="submitted", content=COMPLETE_SHEET)
    anne, bruno = people["anne"], people["bruno"]
    login(client, anne)
    assert client.post(f"/fiches/{sheet.id}/prendre").status_code == 302
    # The reason is required, in French, and nothing is recorded without it.
    refused = _review(client, sheet, verdict="second_review", score_positioning="2")
    assert refused.status_code == 422 and "Dites à vos collègues pourquoi vous demandez un second avis." in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetReview)) == 0
    assert _review(client, sheet, verdict="second_review", second_opinion_reason="Je connais mal le domaine scolaire.",
                   score_positioning="2", comment_s1="Chiffrez le drame.").status_code == 302
    db.session.refresh(sheet)
    assert sheet.state == "second_review" and sheet.claimed_by_id is None
    assert _states(sheet)[-1] == ("in_review", "second_review", anne.id, "Je connais mal le domaine scolaire.")
    subjects = {(m.recipient, m.subject) for m in db.session.scalars(sa.select(OutboxMessage))}
    assert (people["owner"].email, "Votre fiche produit attend un second avis") in subjects
    assert (bruno.email, f"Second avis demandé sur une fiche produit : {sheet.title}") in subjects
    assert (anne.email, f"Second avis demandé sur une fiche produit : {sheet.title}") not in subjects

    # The queue shows it waiting for a second reviewer: the one who asked cannot take it, another can.
    queue = _page(client, "/fiches/relecture?etat=second_review")
    assert "Vous avez donné le premier avis" in queue.get_text() and not _buttons(queue, "Donner le second avis")
    refused = client.post(f"/fiches/{sheet.id}/prendre", follow_redirects=True)
    assert "le second avis revient à une autre formatrice ou un autre formateur" in refused.text
    assert db.session.get(type(sheet), sheet.id).state == "second_review"

    login(client, bruno)
    queue = _page(client, "/fiches/relecture?etat=second_review")
    assert _buttons(queue, "Donner le second avis")
    assert client.post(f"/fiches/{sheet.id}/prendre").status_code == 302
    # A third opinion is not offered: the second review decides.
    refused = _review(client, sheet, verdict="second_review", second_opinion_reason="Encore un ?")
    assert "Un second avis a déjà été demandé pour ce tour" in refused.text
    db.session.refresh(sheet)
    assert sheet.state == "in_review" and sheet.claimed_by_id == bruno.id
    assert _review(client, sheet, verdict="approved", score_positioning="4").status_code == 302
    db.session.refresh(sheet)
    assert sheet.state == "approved"
    assert [(r.reviewer_id, r.verdict, r.round) for r in queries.reviews_in_round(sheet, 1)] == [
        (anne.id, "second_review", 1), (bruno.id, "approved", 1)]


def test_the_second_opinion_reason_stays_with_the_team_the_owner_sees_only_the_step(client, people):
    sheet = make_product_sheet(people["owner"], state="in_review", content=COMPLETE_SHEET,
                               claimed_by_id=people["anne"].id, claimed_at=services.utcnow())
    login(client, people["anne"])
    assert _review(client, sheet, verdict="second_review", second_opinion_reason="Je doute de son équipe.",
                   score_positioning="2").status_code == 302

    login(client, people["owner"])
    history = _page(client, f"/fiches/{sheet.id}").find("h2", string="Historique").find_next("ol").get_text(" ", strip=True)
    assert "En relecture → En attente d’un second avis" in history and "Je doute de son équipe." not in history
    login(client, people["bruno"])
    history = _page(client, f"/fiches/{sheet.id}").find("h2", string="Historique").find_next("ol").get_text(" ", strip=True)
    assert "Je doute de son équipe." in history


def test_while_the_second_opinion_waits_the_first_reviewer_reads_her_review_without_a_form(client, people):
    sheet = make_product_sheet(people["owner"], state="second_review", content=COMPLETE_SHEET, review_round=1)
    make_sheet_review(sheet, people["anne"], verdict="second_review", overall_comment="Le problème est flou.",
                      section_comments={"s1": "Chiffrez le drame."}, scores={"positioning": 2})
    db.session.commit()
    login(client, people["anne"])
    page = _page(client, f"/fiches/{sheet.id}/relecture")
    assert not _buttons(page, "Envoyer la relecture") and page.find("input", attrs={"name": "verdict"}) is None
    text = page.get_text(" ", strip=True)
    assert "le second avis revient à une autre formatrice ou un autre formateur" in text
    assert "Votre relecture (tour 1" in text and "Le problème est flou." in text and "Chiffrez le drame." in text
    # A tab left open with the form: the refusal says the second opinion is someone else's.
    refused = _review(client, sheet, verdict="approved", score_positioning="4")
    assert "le second avis revient à une autre formatrice" in refused.text and "n’est plus en relecture" not in refused.text
    # The queue names who gave the first opinion under « Relue par ».
    queue = _page(client, "/fiches/relecture?etat=second_review")
    assert _table_rows(queue)[0][5] == "Anne Relue (premier avis)"


def test_the_second_reviewer_is_not_offered_a_third_opinion(client, people):
    sheet = make_product_sheet(people["owner"], state="in_review", content=COMPLETE_SHEET, review_round=1,
                               claimed_by_id=people["bruno"].id, claimed_at=services.utcnow())
    make_sheet_review(sheet, people["anne"], verdict="second_review")
    db.session.commit()
    login(client, people["bruno"])
    page = _page(client, f"/fiches/{sheet.id}/relecture")
    assert {i["value"] for i in page.find_all("input", attrs={"name": "verdict"})} == {"changes_requested", "approved"}
    assert page.find("textarea", attrs={"name": "second_opinion_reason"}) is None
    refused = _review(client, sheet, verdict="second_review", second_opinion_reason="Un troisième ?")
    assert refused.status_code == 422 and "Un second avis a déjà été demandé pour ce tour" in refused.text


def test_a_third_opinion_is_refused_in_words(ctx, people):
    sheet = make_product_sheet(people["owner"], state="in_review", content=COMPLETE_SHEET, claimed_by_id=people["bruno"].id,
                               claimed_at=services.utcnow())
    make_sheet_review(sheet, people["anne"], verdict="second_review")
    with pytest.raises(services.SheetError, match="Un second avis a déjà été demandé pour ce tour"):
        services.review_sheet(sheet, reviewer=people["bruno"], verdict=SheetState.SECOND_REVIEW, overall_comment="",
                              section_comments={}, scores={}, second_opinion_reason="Et un troisième ?")


def test_released_during_a_second_opinion_it_waits_for_the_second_opinion_again(ctx, people):
    sheet = make_product_sheet(people["owner"], state="second_review", content=COMPLETE_SHEET)
    make_sheet_review(sheet, people["anne"], verdict="second_review")
    services.claim_sheet(sheet, reviewer=people["bruno"])
    assert sheet.state == "in_review"
    services.release_sheet(sheet, reviewer=people["bruno"])
    assert sheet.state == "second_review"
    # The owner may still withdraw it.
    services.withdraw_sheet(sheet, actor=people["owner"])
    assert sheet.state == "draft"


# --- What changed since the last review ---------------------------------------------------------------------


def test_a_browser_save_stores_its_lines_with_newlines_only(ctx, people):
    sheet = make_product_sheet(people["owner"], content={**COMPLETE_SHEET, "s1_problem": "Un.\nDeux."})
    version = services.save_version(sheet, author=people["owner"], base_version=1,
                                    content={**COMPLETE_SHEET, "s1_problem": "Un.\r\nDeux.\rTrois."})
    assert version.content["s1_problem"] == "Un.\nDeux.\nTrois."


def test_what_changed_since_the_review_ignores_line_endings_and_keeps_paragraphs(client, people):
    before = {**COMPLETE_SHEET, "s1_problem": "Premier paragraphe.\nDeuxième paragraphe.", "s1_solution": "Alpha.\nBêta."}
    sheet = make_product_sheet(people["owner"], state="in_review", content=before, claimed_by_id=people["anne"].id,
                               claimed_at=services.utcnow(), review_round=2)
    make_sheet_review(sheet, people["bruno"], version_number=1, round=1)
    # Saved by a browser before line endings were normalised: the same text, with \r\n.
    make_sheet_version(sheet, 2, {**before, "s1_problem": "Premier paragraphe.\r\nDeuxième paragraphe.",
                                  "s1_solution": "Alpha.\r\nBêta modifiée.\r\nGamma."}, author=people["owner"])
    sheet.current_version = 2
    db.session.commit()
    login(client, people["anne"])
    section = _page(client, f"/fiches/{sheet.id}/relecture").find(id="diff-title").find_parent("section")
    assert [h.get_text(strip=True) for h in section.find_all("h3")] == [content_label("s1_solution")]
    paragraphs = [p.get_text(" ", strip=True) for p in section.select("p.bt-diff__para")]
    assert paragraphs == ["Alpha.", "supprimé : Bêta. ajouté : Bêta modifiée.", "Paragraphe ajouté Gamma."]


def test_a_round_is_one_submission_and_its_reviews(ctx, people):
    owner, anne = people["owner"], people["anne"]
    sheet = make_product_sheet(owner, content=COMPLETE_SHEET)
    services.submit_sheet(sheet, actor=owner)
    assert sheet.review_round == 1
    services.withdraw_sheet(sheet, actor=owner)  # withdrawn before anyone reviewed it: still round 1
    services.submit_sheet(sheet, actor=owner)
    assert sheet.review_round == 1
    services.claim_sheet(sheet, reviewer=anne)
    services.review_sheet(sheet, reviewer=anne, verdict=SheetState.CHANGES_REQUESTED, overall_comment="", section_comments={},
                          scores={})
    services.submit_sheet(sheet, actor=owner)
    assert sheet.review_round == 2
    services.claim_sheet(sheet, reviewer=anne)
    review = services.review_sheet(sheet, reviewer=anne, verdict=SheetState.APPROVED, overall_comment="", section_comments={},
                                   scores={})
    assert review.round == 2


# --- Earlier comments stay visible -----------------------------------------------------------------------------


def test_earlier_rounds_comments_stay_beside_their_section_newest_first(client, people):
    sheet = make_product_sheet(people["owner"], state="submitted", content=COMPLETE_SHEET, review_round=3)
    make_sheet_review(sheet, people["anne"], round=1, section_comments={"s1": "Premier tour : chiffrez.", "roadmap": "Datez."})
    make_sheet_review(sheet, people["bruno"], round=2, section_comments={"s1": "Deuxième tour : mieux."})
    make_sheet_review(sheet, people["anne"], round=3, verdict="second_review", section_comments={"s2": "Troisième tour."})
    db.session.commit()
    login(client, people["owner"])
    page = _page(client, f"/fiches/{sheet.id}")
    part1 = page.find(id="partie-1")
    history = [li.get_text(" ", strip=True) for li in part1.select(".bt-comment-history li")]
    assert [h.split(" :")[0].rsplit(",", 1)[0] for h in history] == ["Tour 2, Bruno Second", "Tour 1, Anne Relue"]
    assert "Deuxième tour : mieux." in history[0] and "Premier tour : chiffrez." in history[1]
    assert "Troisième tour." in page.find(id="partie-2").select_one(".bt-feedback").get_text()  # the latest, beside it
    login(client, people["bruno"])
    review = _page(client, f"/fiches/{sheet.id}/relecture")
    section = review.find(id="review-s1").find_parent("section")
    assert [li.get_text(" ", strip=True).split(" :")[0].rsplit(",", 1)[0] for li in section.select(".bt-comment-history li")] == [
        "Tour 2, Bruno Second", "Tour 1, Anne Relue"]


# --- Comments on the follow-up ------------------------------------------------------------------------------


def _approved(owner):
    sheet = make_product_sheet(owner, state="approved", approved_at=services.utcnow(), content={
        **COMPLETE_SHEET, "milestones": [{"title": "Premières familles", "due_on": "2027-01-15", "priority": "1"}]
        + [{"title": "", "due_on": "", "priority": ""}] * 5})
    services.create_milestones(sheet)
    db.session.commit()
    return sheet


def test_trainers_comment_on_milestones_and_indicators_and_the_owner_sees_them(client, people):
    sheet = _approved(people["owner"])
    milestone = queries.milestones_of(sheet)[0]
    indicator = next(i["name"] for i in COMPLETE_SHEET["indicators"] if i["name"])
    login(client, people["anne"])
    page = _page(client, f"/fiches/{sheet.id}/feuille-de-route")
    options = [o.get_text() for o in page.select("#target option")]
    assert f"Jalon : {milestone.title}" in options and f"Indicateur : {indicator}" in options
    for target, body, key in ((f"jalon-{milestone.id}", "Datez la mise en ligne.", "k1"), ("indicateur-0", "Mesurez chaque mois.", "k2"),
                              ("indicateur-0", "Mesurez chaque mois.", "k2")):  # the last: a double click
        assert client.post(f"/fiches/{sheet.id}/feuille-de-route/commentaires",
                           data={"target": target, "body": body, "submission_key": key}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetFollowUpComment)) == 2
    [mail] = [m for m in db.session.scalars(sa.select(OutboxMessage)) if m.subject.startswith("Un commentaire sur votre feuille")][:1]
    assert mail.recipient == people["owner"].email and "Datez la mise en ligne." in mail.text_body

    login(client, people["owner"])
    page = _page(client, f"/fiches/{sheet.id}/feuille-de-route")
    comments = page.find(id="commentaires").find_parent("section")
    text = comments.get_text(" ", strip=True)
    assert "Sur les jalons Premières familles Anne Relue" in text and "Datez la mise en ligne." in text
    assert f"Sur les indicateurs {indicator} Anne Relue" in text and "Mesurez chaque mois." in text
    assert comments.find("form") is None  # the owner reads, trainers write
    assert client.post(f"/fiches/{sheet.id}/feuille-de-route/commentaires",
                       data={"target": "indicateur-0", "body": "Moi aussi", "submission_key": "k3"}).status_code == 403


@pytest.mark.parametrize("data,message", [
    ({"target": "indicateur-0", "body": "  "}, "Écrivez votre commentaire."),
    ({"target": "jalon-999999", "body": "Sur quoi ?"}, "Choisissez un jalon ou un indicateur de cette feuille de route."),
    ({"target": "", "body": "Sur quoi ?"}, "Choisissez un jalon ou un indicateur."),
])
def test_a_comment_without_text_or_target_is_refused_in_french(client, people, data, message):
    sheet = _approved(people["owner"])
    login(client, people["anne"])
    response = client.post(f"/fiches/{sheet.id}/feuille-de-route/commentaires", data={**data, "submission_key": "k"})
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetFollowUpComment)) == 0


def test_a_comment_on_a_milestone_of_another_sheet_is_refused(ctx, people):
    sheet, other = _approved(people["owner"]), _approved(people["other"])
    with pytest.raises(services.SheetError):
        services.comment_follow_up(sheet, author=people["anne"], target=f"jalon-{queries.milestones_of(other)[0].id}", body="?")
    core_db.rollback()
