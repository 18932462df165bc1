"""A fiche's version history: every version listed (who, when, autosave or button), one shown, any two compared
paragraph by paragraph, an earlier one restored as a new version by its owner while she may edit it."""

import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.core.models import StateChange
from beta_training.extensions import db
from beta_training.sheets import queries, services
from beta_training.sheets.models import SaveKind, SheetVersion
from tests.conftest import login
from tests.factories import COMPLETE_SHEET, make_product_sheet, make_user
from tests.route_scenarios import _sheet_form


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _versions(sheet):
    return list(db.session.scalars(sa.select(SheetVersion).where(SheetVersion.sheet_id == sheet.id).order_by(SheetVersion.number)))


def _rows(page):
    table = page.find("caption").find_parent("table")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])] for row in table.tbody.find_all("tr")]


def test_each_save_says_how_it_was_made_and_the_list_shows_who_when_how(client, app):
    owner = make_user(first_name="Léa", last_name="Martin")
    sheet = make_product_sheet(owner, content=COMPLETE_SHEET)
    login(client, owner)
    form = _sheet_form(sheet)
    assert client.post(f"/fiches/{sheet.id}/brouillon", data=form, headers={"X-Requested-With": "fetch"}).status_code == 200
    assert client.post(f"/fiches/{sheet.id}/modifier", data={**form, "base_version": "2", "name": "Nouveau nom"}).status_code == 302
    assert [v.kind for v in _versions(sheet)] == [None, SaveKind.AUTOSAVE, SaveKind.MANUAL]  # the factory's: not known

    trainer = make_user(roles=[Role.TRAINER])
    for reader in (owner, trainer):
        login(client, reader)
        page = BeautifulSoup(client.get(f"/fiches/{sheet.id}/versions").text, "html.parser")
        rows = _rows(page)
        assert [row[0] for row in rows] == ["Version 3 actuelle", "Version 2", "Version 1"]
        assert [row[2:4] for row in rows] == [["Léa Martin", "Enregistrement"], ["Léa Martin", "Enregistrement automatique"],
                                              ["Léa Martin", "Non précisé"]]
        assert all(re.search(r"\d{4}", row[1]) for row in rows)  # when
        restore_buttons = [b for b in page.find_all("button") if b.get_text().startswith("Restaurer")]
        assert len(restore_buttons) == (2 if reader is owner else 0)


def test_one_version_is_shown_as_it_was(client):
    owner = make_user()
    sheet = make_product_sheet(owner, content={**COMPLETE_SHEET, "s4_worst_case": "Le texte d’avant."})
    services.save_version(sheet, author=owner, content={**COMPLETE_SHEET, "s4_worst_case": "Le texte d’après."}, base_version=1)
    db.session.commit()
    login(client, owner)
    old = client.get(f"/fiches/{sheet.id}/versions/1").text
    assert "Le texte d’avant." in old and "Le texte d’après." not in old
    assert client.get(f"/fiches/{sheet.id}/versions/7").status_code == 404
    login(client, make_user())
    assert client.get(f"/fiches/{sheet.id}/versions/1").status_code == 403


def test_paragraph_diff_keeps_paragraphs_and_says_changes_in_words():
    before = ["Premier paragraphe inchangé.", "Deux mille familles renoncent.", "Un paragraphe retiré."]
    after = ["Premier paragraphe inchangé.", "Trois mille familles renoncent.", "Un paragraphe nouveau en plus.", "Et un autre."]
    html = "".join(queries.paragraph_diff(before, after))
    page = BeautifulSoup(html, "html.parser")
    paragraphs = page.find_all("p")
    assert len(paragraphs) == 4  # one <p> per paragraph: never merged into one line
    assert paragraphs[0].get_text() == "Premier paragraphe inchangé." and not paragraphs[0].find(["ins", "del"])
    changed = paragraphs[1]
    assert changed.find("del").get_text() == "supprimé : Deux" and changed.find("ins").get_text() == "ajouté : Trois"
    assert changed.find("del").find(class_="fr-sr-only")  # said to screen readers, not only shown by colour
    # A paragraph replaced by two: the first compared word by word, the second added as a whole, with a visible label.
    assert "Paragraphe ajouté" in paragraphs[3].get_text() and paragraphs[3].find("ins").get_text() == "Et un autre."
    assert queries.paragraph_diff(["Seul."], []) and "Paragraphe supprimé" in str(queries.paragraph_diff(["Seul."], [])[0])
    assert "<script>" not in "".join(queries.paragraph_diff(["<script>"], ["<script>x"]))  # escaped


def test_any_two_versions_compare_question_by_question(client):
    owner = make_user()
    sheet = make_product_sheet(owner, content={**COMPLETE_SHEET, "s1_problem": "Ligne un.\nLigne deux"})
    services.save_version(sheet, author=owner, content={**COMPLETE_SHEET, "s1_problem": "Ligne un.\nLigne deux modifiée"},
                          base_version=1)
    services.save_version(sheet, author=owner, content={**COMPLETE_SHEET, "s1_problem": "Ligne un.\nLigne deux modifiée",
                                                        "s2_reach": "Par la mairie."}, base_version=2)
    db.session.commit()
    login(client, make_user(roles=[Role.COURSE_LEAD]))
    page = BeautifulSoup(client.get(f"/fiches/{sheet.id}/versions/comparer?de=1&a=3").text, "html.parser")
    sections = {s.find("h2").get_text(): s for s in page.select("section.bt-diff")}
    assert set(sections) == {"Séquence 1 – Le drame : quel problème, vécu par combien de personnes chaque année ?",
                             "Séquence 2 – Comment les atteindre : par quel canal, avec quel message ?"}
    problem = next(s for label, s in sections.items() if label.startswith("Séquence 1"))
    assert [p.get_text(" ", strip=True) for p in problem.find_all("p")] == ["Ligne un.", "Ligne deux ajouté : modifiée"]
    only_second = BeautifulSoup(client.get(f"/fiches/{sheet.id}/versions/comparer?de=2&a=3").text, "html.parser")
    assert len(only_second.select("section.bt-diff")) == 1
    assert client.get(f"/fiches/{sheet.id}/versions/comparer?de=1&a=9").status_code == 404


def test_the_owner_restores_an_earlier_version_as_a_new_one_recorded(client):
    owner = make_user()
    sheet = make_product_sheet(owner, content={**COMPLETE_SHEET, "name": "Premier nom"})
    services.save_version(sheet, author=owner, content={**COMPLETE_SHEET, "name": "Second nom"}, base_version=1)
    db.session.commit()
    login(client, owner)
    response = client.post(f"/fiches/{sheet.id}/versions/1/restaurer", data={"base_version": "2"}, follow_redirects=True)
    assert "Version 1 restaurée : c’est maintenant la version 3." in response.text
    versions = _versions(sheet)
    assert [(v.number, v.content["name"], v.kind, v.restored_from) for v in versions][-1] == (3, "Premier nom", SaveKind.RESTORE, 1)
    db.session.refresh(sheet)
    assert (sheet.current_version, sheet.title) == (3, "Premier nom")
    change = db.session.scalars(sa.select(StateChange).order_by(StateChange.id.desc())).first()
    assert (change.actor_id, change.reason) == (owner.id, "Version 1 restaurée : elle devient la version 3.")
    # The same button clicked again (the page still says version 2): done once, said once.
    again = client.post(f"/fiches/{sheet.id}/versions/1/restaurer", data={"base_version": "2"}, follow_redirects=True)
    assert "Version 1 restaurée" in again.text and len(_versions(sheet)) == 3
    # Another page, older still, restoring something else: refused in words, nothing written.
    stale = client.post(f"/fiches/{sheet.id}/versions/2/restaurer", data={"base_version": "2"}, follow_redirects=True)
    assert "rien n’a été restauré" in stale.text and len(_versions(sheet)) == 3


def test_only_the_owner_restores_and_only_while_she_may_edit(client):
    owner = make_user()
    sheet = make_product_sheet(owner, state="submitted", content=COMPLETE_SHEET)
    services.save_version(sheet, author=owner, content={**COMPLETE_SHEET, "name": "Autre"}, base_version=1)
    db.session.commit()
    for stranger in (make_user(), make_user(roles=[Role.TRAINER])):
        login(client, stranger)
        assert client.post(f"/fiches/{sheet.id}/versions/1/restaurer", data={"base_version": "2"}).status_code == 403
    login(client, owner)
    sent = client.post(f"/fiches/{sheet.id}/versions/1/restaurer", data={"base_version": "2"}, follow_redirects=True)
    assert "n’est pas modifiable en ce moment" in sent.text and len(_versions(sheet)) == 2
    page = BeautifulSoup(client.get(f"/fiches/{sheet.id}/versions").text, "html.parser")
    assert not [b for b in page.find_all("button") if b.get_text().startswith("Restaurer")]


def test_restoring_the_current_version_or_an_unknown_one_is_refused(ctx):
    owner = make_user()
    sheet = make_product_sheet(owner, content=COMPLETE_SHEET)
    for number in (1, 5):
        with pytest.raises(services.SheetError):
            services.restore_version(sheet, actor=owner, number=number, base_version=1)
    assert sheet.current_version == 1


def test_the_roadmap_compares_row_by_row_with_dates_in_french(client):
    owner = make_user()
    rows = [{"title": "Premiers usagers", "due_on": "2027-01-15", "priority": "1"}] + [{"title": "", "due_on": "", "priority": ""}] * 5
    sheet = make_product_sheet(owner, content={**COMPLETE_SHEET, "milestones": rows})
    services.save_version(sheet, author=owner, content={**COMPLETE_SHEET, "milestones": [
        {"title": "Premiers usagers", "due_on": "2027-02-01", "priority": "1"}] + rows[1:]}, base_version=1)
    db.session.commit()
    login(client, owner)
    text = " ".join(BeautifulSoup(client.get(f"/fiches/{sheet.id}/versions/comparer?de=1&a=2").text, "html.parser").get_text(" ").split())
    assert "supprimé : 15 janvier" in text and "ajouté : 1er février" in text and "2027-01-15" not in text
