"""The fiche produit, sequence by sequence (issue #12): a part's page at the end of its sequence saves into the
learner's one fiche for the enrolment (versions and conflicts as in the editor), the course outline ticks the
answered parts, the roadmap is proposed from the answers, trainers comment part by part, and a fiche with an
empty part is not sent."""

import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.core.models import OutboxMessage
from beta_training.courses.models import EnrolmentSheetPart
from beta_training.extensions import db
from beta_training.sheets import services
from beta_training.sheets.models import (
    PART_BY_SEQUENCE,
    PARTS,
    ProductSheet,
    SheetReview,
    SheetState,
    SheetVersion,
    propose_roadmap,
)
from tests.conftest import login
from tests.factories import (
    ANSWERED_PARTS,
    COMPLETE_SHEET,
    make_enrolment,
    make_mooc,
    make_product_sheet,
    make_sheet_review,
    make_user,
)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def course(app):
    """A course of five numbered sequences (one text each) and a learner enrolled in its run."""
    course, run = make_mooc(sequences=(4, 1), kinds=("text",))
    enrolment = make_enrolment(run)
    return {"course": course, "run": run, "enrolment": enrolment, "learner": enrolment.user,
            "url": lambda number: f"/fiches/mooc/{course.slug}/{run.slug}/sequence/{number}"}


def _answers(number, **changed):
    return {question.key: ANSWERED_PARTS[question.key] for question in PART_BY_SEQUENCE[number].questions} | changed


def _sheet_of(enrolment):
    db.session.expire_all()
    return db.session.scalar(sa.select(ProductSheet).where(ProductSheet.enrolment_id == enrolment.id))


def _latest(sheet):
    return db.session.scalar(sa.select(SheetVersion.content).where(
        SheetVersion.sheet_id == sheet.id, SheetVersion.number == sheet.current_version))


def _answered(enrolment):
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(EnrolmentSheetPart.sequence_number)
                                     .where(EnrolmentSheetPart.enrolment_id == enrolment.id)))


# --- A part's page ---------------------------------------------------------------------------------------------


def test_the_first_answer_creates_the_one_fiche_of_the_enrolment(client, course):
    login(client, course["learner"])
    page = client.get(course["url"](2))
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.h1.get_text(" ", strip=True) == "Votre fiche produit : Séquence 2 : Trouver ses premiers utilisateurs"
    assert [field["name"] for field in soup.select("#part-form textarea")] == ["s2_first_users", "s2_reach", "s2_open_lab"]
    assert "Vous arrivez au bout de la séquence 2. Répondez à ses questions" in soup.get_text()
    assert soup.find("input", attrs={"name": "base_version"})["value"] == "0"
    assert _sheet_of(course["enrolment"]) is None  # showing the questions creates nothing

    assert client.post(course["url"](2), data={"base_version": "0", **_answers(2)}).status_code == 302
    sheet = _sheet_of(course["enrolment"])
    assert (sheet.owner_id, sheet.state, sheet.current_version) == (course["learner"].id, SheetState.DRAFT, 2)
    assert {key: _latest(sheet)[key] for key in _answers(2)} == _answers(2)
    assert "Vos réponses à la séquence 2 sont enregistrées dans votre fiche produit (version 2)." in client.get(course["url"](2)).text
    # The next part goes into the same fiche.
    assert client.post(course["url"](3), data={"base_version": "2", **_answers(3)}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductSheet)) == 1
    assert _sheet_of(course["enrolment"]).current_version == 3


def test_nothing_typed_creates_no_fiche(client, course):
    login(client, course["learner"])
    assert client.post(course["url"](1), data={"base_version": "0"}).status_code == 302
    response = client.post(course["url"](1) + "/brouillon", data={"base_version": "0", "s1_problem": "  "})
    assert response.status_code == 200 and response.json["saved"] is True and response.json["version"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductSheet)) == 0


def test_a_part_save_leaves_the_other_parts_as_they_were(client, course):
    sheet = make_product_sheet(course["learner"], enrolment_id=course["enrolment"].id,
                               content={**COMPLETE_SHEET, "usertypes": ["etat"], "thematiques": "emploi"})
    before = _latest(sheet)
    login(client, course["learner"])
    response = client.post(course["url"](4), data={"base_version": "1", "s4_worst_case": "Le sponsor s’en va.",
                                                   "s4_small_actions": "", "s1_problem": "Pirate : pas de cette partie"})
    assert response.status_code == 302
    sheet = _sheet_of(course["enrolment"])
    after = _latest(sheet)
    assert sheet.current_version == 2
    assert after == {**before, "s4_worst_case": "Le sponsor s’en va.", "s4_small_actions": ""}


def test_a_stale_part_save_is_a_conflict_like_in_the_editor(client, course):
    sheet = make_product_sheet(course["learner"], enrolment_id=course["enrolment"].id)
    login(client, course["learner"])
    # The full editor, in another tab, saves version 2.
    editor = {"base_version": "1", "name": "Mon produit", "s3_impact": "Texte de l’éditeur"}
    assert client.post(f"/fiches/{sheet.id}/modifier", data=editor).status_code == 302
    stale = client.post(course["url"](3), data={"base_version": "1", "s3_impact": "Texte de la fin de séquence"})
    assert stale.status_code == 409
    page = BeautifulSoup(stale.text, "html.parser")
    assert page.select_one("#conflict h2").get_text(strip=True) == "Votre fiche a été enregistrée ailleurs entre-temps"
    field = page.find("textarea", attrs={"name": "s3_impact"})
    assert field.get_text().strip() == "Texte de la fin de séquence"  # her text stays, the other one is shown below
    assert "Texte de l’éditeur" in field.find_parent("div", class_="fr-mb-3w").select_one(".fr-callout").get_text()
    assert page.find("input", attrs={"name": "base_version"})["value"] == "2"
    autosave = client.post(course["url"](3) + "/brouillon", data={"base_version": "1", "s3_impact": "x"})
    assert autosave.status_code == 409 and autosave.json["conflict"] is True and autosave.json["latest"] == 2
    sheet = _sheet_of(course["enrolment"])
    assert sheet.current_version == 2 and _latest(sheet)["s3_impact"] == "Texte de l’éditeur"
    # Reconciled from the conflict page (it carries version 2): saved.
    assert client.post(course["url"](3), data={"base_version": "2", "s3_impact": "Les deux textes"}).status_code == 302
    assert _latest(_sheet_of(course["enrolment"]))["s3_impact"] == "Les deux textes"


def test_a_first_answer_from_a_page_shown_before_the_fiche_existed_is_a_conflict(client, course):
    login(client, course["learner"])
    assert client.post(course["url"](1) + "/brouillon", data={"base_version": "0", "s1_problem": "Onglet A"}).json["version"] == 2
    response = client.post(course["url"](1) + "/brouillon", data={"base_version": "0", "s1_problem": "Onglet B"})
    assert response.status_code == 409 and response.json["conflict"] is True
    assert _latest(_sheet_of(course["enrolment"]))["s1_problem"] == "Onglet A"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductSheet)) == 1


def test_a_part_of_a_sent_fiche_is_not_saved_and_the_text_is_shown_back(client, course):
    make_product_sheet(course["learner"], state=SheetState.SUBMITTED, enrolment_id=course["enrolment"].id,
                       content=COMPLETE_SHEET)
    login(client, course["learner"])
    shown = BeautifulSoup(client.get(course["url"](5)).text, "html.parser")
    assert "n’est plus modifiable" in shown.get_text() and not shown.select("#part-form")
    assert "Répondez à ses questions" not in shown.get_text()  # nothing to answer any more
    assert ANSWERED_PARTS["s5_tool"] in shown.get_text()
    response = client.post(course["url"](5), data={"base_version": "1", "s5_tool": "Tapé après l’envoi"})
    assert response.status_code == 409
    assert "Tapé après l’envoi" in response.text and "Vos réponses n’ont pas été enregistrées" in response.text
    autosave = client.post(course["url"](5) + "/brouillon", data={"base_version": "1", "s5_tool": "x"})
    assert autosave.status_code == 409 and autosave.json["error"] == "not_editable"
    assert _sheet_of(course["enrolment"]).current_version == 1


@pytest.mark.parametrize("typed", ["ftp://outil.example.org/", "javascript:alert(1)", "outil.example.org",
                                   "https://", "https://a.example.org/ deux mots"])
def test_the_tool_s_addresses_are_web_addresses(client, course, typed):
    login(client, course["learner"])
    response = client.post(course["url"](5), data={"base_version": "0", "s5_tool": "Un formulaire",
                                                   "s5_urls": f"https://bon.example.org/\n{typed}"})
    assert response.status_code == 422
    error = BeautifulSoup(response.text, "html.parser").select_one("#s5_urls-message-error-1").get_text(strip=True)
    assert error.startswith("Ligne 2 : ") and "https:// ou http://" in error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductSheet)) == 0


def test_addresses_are_checked_by_the_service_too_and_shown_as_links(ctx):
    with pytest.raises(services.SheetError, match="n’est pas une adresse web"):
        services.clean_content({"s5_urls": "https://ok.example.org/\njavascript:alert(1)"})
    cleaned = services.clean_content({"s5_urls": "  https://ok.example.org/a \n\n http://ok.example.org/b  "})
    assert cleaned["s5_urls"] == "https://ok.example.org/a\nhttp://ok.example.org/b"


def test_the_part_page_is_for_learners_of_the_run_with_a_part_for_the_sequence(client, course):
    login(client, make_user())  # not enrolled
    assert client.get(course["url"](1)).status_code == 403
    login(client, make_user(roles=[Role.TRAINER]))  # staff preview the course, but answer nothing
    assert client.get(course["url"](1)).status_code == 403
    login(client, course["learner"])
    assert client.get(course["url"](6)).status_code == 404  # no part for a sixth sequence
    assert client.get(f"/fiches/mooc/{course['course'].slug}/session-inconnue/sequence/1").status_code == 404


# --- The course: reaching the part, and the outline ----------------------------------------------------------------


def _outline_part(page: str, number: int):
    return BeautifulSoup(page, "html.parser").find(id=f"fiche-sequence-{number}")


def test_the_outline_ticks_answered_parts_and_unticks_an_emptied_one(client, course):
    course_url = f"/mooc/{course['course'].slug}?run={course['run'].slug}"
    login(client, course["learner"])
    for number in range(1, 6):
        entry = _outline_part(client.get(course_url).text, number)
        assert entry.a["href"] == course["url"](number) and "répondue" not in entry.get_text()
    client.post(course["url"](1), data={"base_version": "0", **_answers(1)})
    client.post(course["url"](4), data={"base_version": "2", **_answers(4, s4_small_actions="")})  # one question left
    page = client.get(course_url).text
    assert [n for n in range(1, 6) if "répondue" in _outline_part(page, n).get_text()] == [1]
    assert _answered(course["enrolment"]) == [1]
    client.post(course["url"](4), data={"base_version": "3", **_answers(4)})
    assert _answered(course["enrolment"]) == [1, 4]
    # Emptied again, from the full editor: no longer ticked.
    sheet = _sheet_of(course["enrolment"])
    texts = {key: value for key, value in _latest(sheet).items() if isinstance(value, str)}
    assert client.post(f"/fiches/{sheet.id}/modifier", data={**texts, "base_version": "4", "s1_solution": ""}).status_code == 302
    page = client.get(course_url).text
    assert [n for n in range(1, 6) if "répondue" in _outline_part(page, n).get_text()] == [4]
    assert _answered(course["enrolment"]) == [4]


def test_the_last_item_of_a_sequence_leads_to_its_part_then_the_part_to_the_next_sequence(client, course):
    from beta_training.courses import queries as course_queries

    items = course_queries.ordered_items(course_queries.get_course_outline(course["course"].slug))
    login(client, course["learner"])
    item_url = lambda item: f"/mooc/{course['course'].slug}/{course['run'].slug}/contenu/{item.key}"  # noqa: E731
    page = BeautifulSoup(client.get(item_url(items[1])).text, "html.parser")  # the one item of sequence 2: its last
    following = page.find("a", string=re.compile("^Suivant"))
    assert following.get_text(strip=True) == "Suivant : votre fiche produit, séquence 2" and following["href"] == course["url"](2)
    assert page.select_one("#fiche-produit a")["href"] == course["url"](2)
    part = BeautifulSoup(client.get(course["url"](2)).text, "html.parser")
    assert part.find("a", string=re.compile("^Suivant"))["href"] == item_url(items[2])
    assert part.find("a", string=re.compile("^Précédent"))["href"] == item_url(items[1])
    last = BeautifulSoup(client.get(course["url"](5)).text, "html.parser")
    assert last.find("a", string=re.compile("^Retour au programme")) is not None


def test_a_second_fiche_for_the_same_enrolment_is_not_offered(client, course):
    make_product_sheet(course["learner"], enrolment_id=course["enrolment"].id)
    login(client, course["learner"])
    options = BeautifulSoup(client.get("/fiches/nouvelle").text, "html.parser").select("#enrolment_id option")
    assert [option["value"] for option in options] == [""]
    assert client.post("/fiches/nouvelle", data={"enrolment_id": str(course["enrolment"].id)}).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductSheet)) == 1


# --- The roadmap, proposed from the answers -------------------------------------------------------------------------


EMPTY_INDICATOR = {"name": "", "baseline": "", "target": ""}
EMPTY_MILESTONE = {"title": "", "due_on": "", "priority": ""}


def test_proposals_fill_only_empty_rows_one_line_or_one_sentence_a_row():
    content = {
        "s1_deployment": "- Rencontrer dix familles\n2. Ouvrir le formulaire\n\n• Inscrire cinquante familles.",
        "s3_measures": "Taux de recours. Délai de réponse ; Heures économisées",  # one line: one sentence a row
        "s3_first_checks": "Appeler dix familles",
        "indicators": [EMPTY_INDICATOR, {"name": "", "baseline": "30 j", "target": ""}, EMPTY_INDICATOR],
        "milestones": [{"title": "Mon jalon", "due_on": "", "priority": ""}, {"title": "", "due_on": "2027-01-15", "priority": ""},
                       EMPTY_MILESTONE, EMPTY_MILESTONE, EMPTY_MILESTONE, EMPTY_MILESTONE],
    }
    proposed, filled = propose_roadmap(content)
    assert [m["title"] for m in proposed["milestones"]] == [
        "Mon jalon", "", "Rencontrer dix familles", "Ouvrir le formulaire", "Inscrire cinquante familles", ""]
    assert proposed["milestones"][1]["due_on"] == "2027-01-15"  # a row with a date is hers: left alone
    assert [i["name"] for i in proposed["indicators"]] == ["Taux de recours", "", "Délai de réponse"]
    assert filled == {"milestones": [2, 3, 4], "indicators": [0, 2]}
    assert content["milestones"][2] == EMPTY_MILESTONE  # the content given is not changed
    again, filled_again = propose_roadmap({**content, **proposed})
    assert again == proposed and filled_again == {"milestones": [], "indicators": []}  # no duplicates
    typed = {**content, "s1_deployment": "Mon jalon"}
    assert propose_roadmap(typed)[1]["milestones"] == []  # already there, in her own words


def test_the_editor_proposes_roadmap_rows_without_saving_or_overwriting(client, course):
    sheet = make_product_sheet(course["learner"])
    login(client, course["learner"])
    rows = {**{f"indicators-{n}-{key}": "" for n in range(3) for key in ("name", "baseline", "target")},
            **{f"milestones-{n}-{key}": "" for n in range(6) for key in ("title", "due_on", "priority")}}  # as a browser sends
    form = {**rows, "base_version": "1", "name": "Mon produit", "s1_deployment": "Rencontrer dix familles\nOuvrir le service",
            "s3_measures": "Taux de recours", "s3_first_checks": "Appeler dix familles",
            "milestones-0-title": "Tapé par elle", "indicators-1-target": "200", "action": "suggest"}
    response = client.post(f"/fiches/{sheet.id}/modifier", data=form)
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    value = lambda name: page.find("input", attrs={"name": name})["value"] if page.find("input", attrs={"name": name}).has_attr("value") else ""  # noqa: E731
    assert [value(f"milestones-{n}-title") for n in range(6)] == [
        "Tapé par elle", "Rencontrer dix familles", "Ouvrir le service", "", "", ""]
    assert [value(f"indicators-{n}-name") for n in range(3)] == ["Taux de recours", "", "Appeler dix familles"]
    assert value("indicators-1-target") == "200"
    assert "4 propositions ajoutées à la feuille de route" in page.select_one("#suggestions").get_text()
    hints = page.select_one("label[for=milestones-1-title]").get_text()
    assert "proposé à partir de vos réponses" in hints
    assert page.find("textarea", attrs={"name": "s1_deployment"}).get_text().strip().startswith("Rencontrer dix familles")
    db.session.refresh(sheet)
    assert sheet.current_version == 1  # nothing saved: she reads, changes, then saves


# --- Sending, reviewing ---------------------------------------------------------------------------------------------


def test_sending_a_fiche_with_an_empty_part_is_refused_naming_the_parts(client, course):
    course["run"].requires_sheet = True
    db.session.commit()
    sheet = make_product_sheet(course["learner"], enrolment_id=course["enrolment"].id,
                               content={**COMPLETE_SHEET, "s2_open_lab": "", "s5_urls": ""})
    login(client, course["learner"])
    response = client.post(f"/fiches/{sheet.id}/envoyer", follow_redirects=True)
    assert ("Répondez à toutes les questions de ces parties avant d’envoyer la fiche : « Séquence 2 : Trouver ses premiers "
            "utilisateurs » ; « Séquence 5 : Faire de l’industriel en mode artisanal ».") in response.text
    db.session.refresh(sheet)
    assert sheet.state == SheetState.DRAFT and course["enrolment"].sheet_sent_at is None
    show = BeautifulSoup(client.get(f"/fiches/{sheet.id}").text, "html.parser")
    assert [a["href"] for a in show.select(".fr-notice a")] == ["#partie-2", "#partie-5"]

    client.post(course["url"](2), data={"base_version": "1", **_answers(2)})
    response = client.post(f"/fiches/{sheet.id}/envoyer", follow_redirects=True)
    assert "« Séquence 5 : Faire de l’industriel en mode artisanal » avant d’envoyer" in response.text
    client.post(course["url"](5), data={"base_version": "2", **_answers(5)})
    client.post(f"/fiches/{sheet.id}/envoyer")
    db.session.expire_all()
    assert db.session.get(ProductSheet, sheet.id).state == SheetState.SUBMITTED
    assert db.session.get(type(course["enrolment"]), course["enrolment"].id).sheet_sent_at is not None


def test_a_trainer_comments_part_by_part_and_the_learner_sees_it_at_the_end_of_the_sequence(client, course, app):
    from beta_training.core.models import utcnow

    trainer = make_user(roles=[Role.TRAINER])
    sheet = make_product_sheet(course["learner"], state=SheetState.IN_REVIEW, enrolment_id=course["enrolment"].id,
                               content=COMPLETE_SHEET, claimed_by_id=trainer.id, claimed_at=utcnow())
    login(client, trainer)
    review = BeautifulSoup(client.get(f"/fiches/{sheet.id}/relecture").text, "html.parser")
    comment_fields = [field["name"] for field in review.select("textarea[name^=comment_]")]
    assert comment_fields == ["comment_header", "comment_s1", "comment_s2", "comment_s3", "comment_s4", "comment_s5", "comment_roadmap"]
    # Each comment field sits beside its part's answers.
    beside = review.find("textarea", attrs={"name": "comment_s3"}).find_parent("section")
    assert beside.h2.get_text(" ", strip=True).startswith("Séquence 3 : Mesurer son impact dans le réel")
    assert ANSWERED_PARTS["s3_impact"] in beside.get_text()
    response = client.post(f"/fiches/{sheet.id}/relecture", data={
        "verdict": "changes_requested", "comment_s3": "Donnez un point de départ.", "comment_roadmap": "Datez les jalons.",
        "score_indicators": "3"})
    assert response.status_code == 302

    login(client, course["learner"])
    part3 = BeautifulSoup(client.get(course["url"](3)).text, "html.parser")
    assert "Donnez un point de départ." in part3.select_one(".bt-feedback").get_text()
    part2 = BeautifulSoup(client.get(course["url"](2)).text, "html.parser")
    assert not part2.select(".bt-feedback")
    [mail] = [m for m in db.session.scalars(sa.select(OutboxMessage)) if m.subject.startswith("Votre fiche produit : des modifications")]
    # The email names the commented parts, in the fiche's order.
    assert ("Des commentaires vous attendent à côté de 2 parties de votre fiche : « Séquence 3 : Mesurer son impact "
            "dans le réel », « Feuille de route à 6 mois ».") in mail.text_body


def test_the_review_email_names_the_one_part_commented(client, course):
    from beta_training.core.models import utcnow

    trainer = make_user(roles=[Role.TRAINER])
    sheet = make_product_sheet(course["learner"], state=SheetState.IN_REVIEW, enrolment_id=course["enrolment"].id,
                               content=COMPLETE_SHEET, claimed_by_id=trainer.id, claimed_at=utcnow())
    login(client, trainer)
    response = client.post(f"/fiches/{sheet.id}/relecture", data={
        "verdict": "changes_requested", "comment_s2": "Nommez vos premiers utilisateurs."})
    assert response.status_code == 302
    [mail] = [m for m in db.session.scalars(sa.select(OutboxMessage)) if m.subject.startswith("Votre fiche produit : des modifications")]
    sentence = "Un commentaire vous attend à côté de la partie « Séquence 2 : Trouver ses premiers utilisateurs »."
    assert sentence in mail.text_body
    assert sentence in BeautifulSoup(mail.html_body, "html.parser").get_text(" ", strip=True)


# --- Query counts ---------------------------------------------------------------------------------------------------


def test_the_new_pages_do_not_grow_with_sheets_parts_or_reviews(client, course, count_queries):
    trainer = make_user(roles=[Role.TRAINER])
    sheet = make_product_sheet(course["learner"], state=SheetState.CHANGES_REQUESTED, enrolment_id=course["enrolment"].id,
                               content=COMPLETE_SHEET)
    submitted = make_product_sheet(state=SheetState.SUBMITTED, content=COMPLETE_SHEET)

    def add(n):
        for _ in range(n):
            learner = make_user()
            other = make_product_sheet(learner, enrolment_id=make_enrolment(course["run"], learner).id, content=COMPLETE_SHEET)
            db.session.add_all(EnrolmentSheetPart(enrolment_id=other.enrolment_id, sequence_number=number,
                                                  answered_at=other.created_at) for number in range(1, 6))
            make_sheet_review(sheet, section_comments={part.key: "Un commentaire" for part in PARTS})
            make_sheet_review(submitted, section_comments={"s1": "x"})
        db.session.commit()

    def counted():
        counts = []
        for user, url in ((course["learner"], course["url"](3)), (course["learner"], f"/fiches/{sheet.id}"),
                          (course["learner"], f"/fiches/{sheet.id}/modifier"), (trainer, f"/fiches/{submitted.id}/relecture")):
            login(client, user)
            with count_queries() as counter:
                assert client.get(url).status_code == 200, url
            counts.append(counter.count)
        return counts

    add(10)
    few = counted()
    add(90)
    assert counted() == few


# --- The demo -------------------------------------------------------------------------------------------------------


def test_the_demo_learner_s_fiche_is_written_part_by_part_and_one_part_is_commented(app, client):
    from beta_training.accounts.services import get_user_by_email

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    agent = get_user_by_email("agent@demo.beta.gouv.fr")
    [sheet] = db.session.scalars(sa.select(ProductSheet).where(ProductSheet.owner_id == agent.id)).all()
    content = _latest(sheet)
    assert sheet.state == SheetState.CHANGES_REQUESTED and sheet.enrolment_id is not None
    assert all(part.is_answered(content) for part in PARTS) and content["name"] == "Cantine à 1 €"
    assert services.clean_content(content) == content  # as the pages would save it
    [review] = db.session.scalars(sa.select(SheetReview).where(SheetReview.sheet_id == sheet.id)).all()
    assert list(review.section_comments) == ["s3"] and review.reviewer.email == "formatrice@demo.beta.gouv.fr"
    assert _answered(db.session.get(type(sheet.enrolment), sheet.enrolment_id)) == [1, 2, 3, 4, 5]
    login(client, agent)
    page = BeautifulSoup(client.get(f"/fiches/{sheet.id}").text, "html.parser")
    assert "point de départ" in page.find(id="partie-3").select_one(".bt-feedback").get_text()


def _spoken(element) -> str:
    """What a screen reader reads of an element: its text outside aria-hidden nodes."""
    copy = BeautifulSoup(str(element), "html.parser")
    for hidden in copy.select("[aria-hidden=true]"):
        hidden.decompose()
    return " ".join(copy.get_text(" ").split())


def test_the_ticks_of_the_side_menus_are_read_as_words_not_as_a_check_mark(client, course):
    login(client, course["learner"])
    client.post(course["url"](1), data={"base_version": "0", **_answers(1)})
    part_menu = BeautifulSoup(client.get(course["url"](2)).text, "html.parser").select(".fr-sidemenu__link")
    assert "✓" in part_menu[0].get_text()
    assert _spoken(part_menu[0]) == "Séquence 1 : Résoudre les problèmes des usagers (répondue)"
    assert _spoken(part_menu[1]) == "Séquence 2 : Trouver ses premiers utilisateurs"

    item_url = f"/mooc/{course['course'].slug}/{course['run'].slug}/contenu/"
    text_item = BeautifulSoup(client.get(course["url"](1)).text, "html.parser").find("a", string=re.compile("^Précédent"))
    client.get(text_item["href"])  # a text item is done once read
    item_menu = BeautifulSoup(client.get(text_item["href"]).text, "html.parser").select(".fr-sidemenu__link")
    assert text_item["href"].startswith(item_url) and item_menu[0].select_one(".fr-icon-check-line[aria-hidden=true]")
    assert _spoken(item_menu[0]).endswith("(terminé)")
