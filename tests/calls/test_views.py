"""Pages of the appel à intrapreneurs, through the client (CSRF on)."""

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role, User
from beta_training.calls.models import DEFAULT_CRITERIA, Call, Dossier
from beta_training.core.i18n import format_moment
from beta_training.core.models import OutboxMessage, PARIS, utcnow
from beta_training.extensions import db
from tests import factories as f
from tests.factories import COMPLETE_DOSSIER


def _form(dossier_values: dict) -> dict:
    data = {key: value for key, value in dossier_values.items() if not isinstance(value, bool)}
    data.update({key: "y" for key, value in dossier_values.items() if value is True})
    return data


def test_a_trainer_creates_a_call_in_paris_time_with_the_default_criteria(client, login_as):
    login_as(f.make_user(roles=[Role.TRAINER]))
    page = client.get("/appels/nouveau")
    assert page.status_code == 200
    for criterion in DEFAULT_CRITERIA:  # prefilled, one per line
        assert criterion in page.text
    response = client.post("/appels/nouveau", data={
        "title": "Appel 2027", "incubator": "Incubateur des territoires", "opens_at": "2027-03-01T09:00",
        "closes_at": "2027-03-15T18:00", "guide": "Lisez **bien**.", "criteria": "\n".join(DEFAULT_CRITERIA) + "\nUn quatrième",
        "preselect_count": "12"})
    assert response.status_code == 302
    call = db.session.scalar(sa.select(Call))
    assert call.closes_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == "2027-03-15 18:00"
    assert call.closes_at.utcoffset() == timedelta(0) and call.closes_at.hour == 17  # stored UTC (winter: UTC+1)
    assert call.criteria == [*DEFAULT_CRITERIA, "Un quatrième"] and call.preselect_count == 12


def test_a_call_form_with_mistakes_says_so_in_french(client, login_as):
    login_as(f.make_user(roles=[Role.TRAINER]))
    response = client.post("/appels/nouveau", data={"title": "", "incubator": "X", "opens_at": "2027-03-15T09:00",
                                                    "closes_at": "2027-03-01T09:00", "criteria": "", "preselect_count": "0"})
    assert response.status_code == 422
    for message in ("Donnez un titre à l’appel.", "La clôture doit suivre l’ouverture.", "Indiquez au moins un critère.",
                    "Indiquez un nombre entre 1 et 100."):
        assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Call)) == 0


def test_anyone_reads_an_open_call_and_its_guide_sanitised(client):
    call = f.make_call(guide="## Calendrier\n\nDeux semaines. <script>alert(1)</script>[lien](javascript:alert(1))")
    page = client.get(f"/appels/{call.id}")
    assert page.status_code == 200
    assert "<h3>Calendrier</h3>" in page.text and "<script>alert" not in page.text  # under « Guide de l’appel » (h2) and 'href="javascript' not in page.text
    assert "Se connecter pour déposer un projet" in page.text
    assert call.title in client.get("/appels/").text


def test_a_call_to_come_is_hidden_from_the_public(client):
    call = f.make_call(opens_at=utcnow() + timedelta(days=2))
    assert client.get(f"/appels/{call.id}").status_code == 404
    assert call.title not in client.get("/appels/").text


def test_a_candidate_starts_from_her_fiche_edits_and_files(client, login_as, mailbox):
    owner = f.make_user()
    sheet = f.make_product_sheet(owner, content={"name": "Mes aides", "s1_problem": "Chaque année, 4 000 familles…"})
    f.make_product_sheet(f.make_user(), content={"name": "La fiche d’une autre"})
    call = f.make_call()
    login_as(owner)
    page = client.get(f"/appels/{call.id}/deposer")
    assert "Mes aides" in page.text and "La fiche d’une autre" not in page.text
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page.text).group(1)
    response = client.post(f"/appels/{call.id}/deposer", data={"source": str(sheet.id), "submission_key": key})
    dossier = db.session.scalar(sa.select(Dossier))
    assert response.headers["Location"] == f"/appels/dossiers/{dossier.id}/modifier"
    editor = client.get(f"/appels/dossiers/{dossier.id}/modifier")
    assert "Chaque année, 4 000 familles…" in editor.text and "La notation portera principalement sur cette question" in editor.text
    response = client.post(f"/appels/dossiers/{dossier.id}/modifier", data={**_form(COMPLETE_DOSSIER), "action": "submit"})
    assert response.status_code == 302 and response.headers["Location"] == f"/appels/dossiers/{dossier.id}"
    db.session.refresh(dossier)
    assert (dossier.state, dossier.sheet_id) == ("submitted", sheet.id)
    [message] = mailbox.messages
    assert message["To"] == owner.email and "Dossier déposé" in message["Subject"]


def test_a_missing_consent_or_callback_keeps_the_draft_and_names_them(client, login_as):
    dossier = f.make_dossier(callback="", consent_guide=False)
    login_as(dossier.owner)
    data = _form({**COMPLETE_DOSSIER, "callback": "", "consent_guide": False, "problem": "Nouveau problème"})
    response = client.post(f"/appels/dossiers/{dossier.id}/modifier", data={**data, "action": "submit"})
    assert response.status_code == 422
    assert "il manque des réponses pour le déposer" in response.text
    assert 'id="callback-message-error-1"' in response.text and 'id="consent_guide-message-error-1"' in response.text
    assert "consent_share-message-error" not in response.text
    db.session.refresh(dossier)
    assert (dossier.state, dossier.problem) == ("draft", "Nouveau problème")


def test_an_answer_longer_than_ten_lines_is_refused_in_french(client, login_as):
    dossier = f.make_dossier()
    login_as(dossier.owner)
    response = client.post(f"/appels/dossiers/{dossier.id}/modifier",
                           data={**_form(COMPLETE_DOSSIER), "problem": "x" * 1201, "action": "save"})
    assert response.status_code == 422 and "10 lignes au plus : 1200 caractères" in response.text


def test_an_answer_of_more_than_ten_lines_is_refused_in_french_and_kept(client, login_as):
    dossier = f.make_dossier()
    login_as(dossier.owner)
    eleven = "\n".join(f"Ligne {n}" for n in range(1, 12))
    response = client.post(f"/appels/dossiers/{dossier.id}/modifier",
                           data={**_form(COMPLETE_DOSSIER), "solution": eleven, "action": "save"})
    assert response.status_code == 422
    assert "10 lignes au plus : votre réponse en compte 11, raccourcissez-la." in response.text
    assert "Ligne 11" in response.text  # her text stays in the field
    ten = "\n".join(f"Ligne {n}" for n in range(1, 11))
    assert client.post(f"/appels/dossiers/{dossier.id}/modifier",
                       data={**_form(COMPLETE_DOSSIER), "solution": ten + "\n\n", "action": "save"}).status_code == 302


def test_filing_one_second_after_closing_is_refused_and_the_draft_kept(client, login_as, mailbox):
    call = f.make_call(opens_at=utcnow() - timedelta(days=14), closes_at=utcnow() - timedelta(seconds=1))
    dossier = f.make_dossier(call)
    login_as(dossier.owner)
    response = client.post(f"/appels/dossiers/{dossier.id}/modifier",
                           data={**_form(COMPLETE_DOSSIER), "problem": "Tapé trop tard", "action": "submit"})
    assert response.status_code == 409
    assert "est clos depuis le" in response.text and "Votre brouillon est conservé." in response.text
    db.session.refresh(dossier)
    assert (dossier.state, dossier.problem) == ("draft", "Tapé trop tard")
    assert mailbox.messages == []


def test_opening_the_filing_page_of_a_closed_call_says_it_is_closed_not_that_a_draft_failed(client, login_as):
    closes_at = datetime(2026, 3, 15, 17, 0, 0, tzinfo=timezone.utc)  # 18h00 in Paris (winter)
    call = f.make_call(opens_at=closes_at - timedelta(days=14), closes_at=closes_at)
    login_as(f.make_user())
    response = client.get(f"/appels/{call.id}/deposer")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "est clos depuis le 15 mars 2026 à 18h00 (heure de Paris) : il ne reçoit plus de dossiers." in page
    assert "Votre brouillon est conservé" not in page and "min00s" not in page


def test_autosave_keeps_the_draft_and_stops_once_filed(client, login_as):
    dossier = f.make_dossier()
    login_as(dossier.owner)
    headers = {"X-Requested-With": "fetch"}
    response = client.post(f"/appels/dossiers/{dossier.id}/brouillon", headers=headers,
                           data={**_form(COMPLETE_DOSSIER), "solution": "Tapé en continu"})
    assert response.status_code == 200 and response.json["saved"] is True
    db.session.refresh(dossier)
    assert (dossier.solution, dossier.state) == ("Tapé en continu", "draft")
    dossier.state, dossier.submitted_at = "submitted", utcnow()
    db.session.commit()
    refused = client.post(f"/appels/dossiers/{dossier.id}/brouillon", headers=headers, data=_form(COMPLETE_DOSSIER))
    assert refused.status_code == 409 and refused.json["saved"] is False


def test_an_incomplete_deposer_then_the_missing_answers_files_the_dossier(client, login_as, mailbox):
    """The page shown again after « Déposer » refused for missing answers holds the version just saved: the next
    autosave and « Déposer » go through (they used to be refused as from another tab)."""
    dossier = f.make_dossier(**{key: (False if isinstance(value, bool) else "") for key, value in COMPLETE_DOSSIER.items()})
    login_as(dossier.owner)
    page = client.get(f"/appels/dossiers/{dossier.id}/modifier").text
    base = re.search(r'name="base_version" type="hidden" value="(\d+)"', page).group(1)
    incomplete = {**_form(COMPLETE_DOSSIER), "base_version": base, "action": "submit"}
    incomplete.pop("consent_share")
    shown = client.post(f"/appels/dossiers/{dossier.id}/modifier", data=incomplete)
    assert shown.status_code == 422 and "il manque des réponses" in shown.text
    new_base = re.search(r'name="base_version" type="hidden" value="(\d+)"', shown.text).group(1)
    assert int(new_base) == int(base) + 1
    autosave = client.post(f"/appels/dossiers/{dossier.id}/brouillon", headers={"X-Requested-With": "fetch"},
                           data={**incomplete, "base_version": new_base, "opinion": "Un mot de plus"})
    assert autosave.status_code == 200, autosave.json
    filed = client.post(f"/appels/dossiers/{dossier.id}/modifier",
                        data={**_form(COMPLETE_DOSSIER), "opinion": "Un mot de plus", "base_version": str(autosave.json["version"]),
                              "action": "submit"})
    assert filed.status_code == 302
    db.session.refresh(dossier)
    assert (dossier.state, dossier.opinion) == ("submitted", "Un mot de plus")


def test_two_tabs_autosaving_one_dossier_never_overwrite_each_other(client, login_as):
    dossier = f.make_dossier()
    login_as(dossier.owner)
    headers = {"X-Requested-With": "fetch"}
    page = client.get(f"/appels/dossiers/{dossier.id}/modifier").text
    assert 'data-version-field="base_version"' in page
    base = re.search(r'name="base_version" type="hidden" value="(\d+)"', page).group(1)
    tab_a = client.post(f"/appels/dossiers/{dossier.id}/brouillon", headers=headers,
                        data={**_form(COMPLETE_DOSSIER), "solution": "Écrit dans l’onglet A", "base_version": base})
    assert tab_a.status_code == 200 and tab_a.json["version"] == int(base) + 1
    # Tab B was opened on the same version: its text would erase A's.
    tab_b = client.post(f"/appels/dossiers/{dossier.id}/brouillon", headers=headers,
                        data={**_form(COMPLETE_DOSSIER), "solution": "Écrit dans l’onglet B", "base_version": base})
    assert tab_b.status_code == 409 and tab_b.json["conflict"] is True and tab_b.json["saved"] is False
    db.session.refresh(dossier)
    assert dossier.solution == "Écrit dans l’onglet A"
    # Its button shows B's text back, to download, and saves nothing.
    pressed = client.post(f"/appels/dossiers/{dossier.id}/modifier",
                          data={**_form(COMPLETE_DOSSIER), "solution": "Écrit dans l’onglet B", "base_version": base,
                                "action": "save"})
    assert pressed.status_code == 409 and "Écrit dans l’onglet B" in pressed.text
    assert "Télécharger mon texte" in pressed.text and "Reprendre la dernière version" in pressed.text
    db.session.refresh(dossier)
    assert (dossier.solution, dossier.version) == ("Écrit dans l’onglet A", int(base) + 1)
    # A's next autosave, on the version it was handed, goes through; so does a double click's second save.
    for _ in range(2):
        again = client.post(f"/appels/dossiers/{dossier.id}/brouillon", headers=headers,
                            data={**_form(COMPLETE_DOSSIER), "solution": "A continue", "base_version": str(int(base) + 1)})
        assert again.status_code == 200, again.json
    db.session.refresh(dossier)
    assert (dossier.solution, dossier.version) == ("A continue", int(base) + 2)


def test_typing_in_a_second_tab_after_filing_shows_the_text_back(client, login_as, mailbox):
    dossier = f.make_dossier()
    login_as(dossier.owner)
    assert client.post(f"/appels/dossiers/{dossier.id}/modifier",
                       data={**_form(COMPLETE_DOSSIER), "action": "submit"}).status_code == 302  # tab A files
    response = client.post(f"/appels/dossiers/{dossier.id}/modifier",  # tab B, with a word typed since
                           data={**_form(COMPLETE_DOSSIER), "opinion": "Mon avis tapé dans l’autre onglet", "action": "submit"})
    assert response.status_code == 409
    assert "Mon avis tapé dans l’autre onglet" in response.text and "Votre texte n’a pas été enregistré" in response.text
    assert "Télécharger mon texte" in response.text and "data-autosave-url" not in response.text
    assert "Déposer mon dossier" not in response.text
    db.session.refresh(dossier)
    assert (dossier.state, dossier.opinion) == ("submitted", COMPLETE_DOSSIER["opinion"])
    again = client.post(f"/appels/dossiers/{dossier.id}/modifier", data={**_form(COMPLETE_DOSSIER), "action": "submit"})
    assert again.status_code in (302, 303) and again.headers["Location"] == f"/appels/dossiers/{dossier.id}"  # same text
    login_as(f.make_user())  # someone else's dossier stays a plain 403
    assert client.post(f"/appels/dossiers/{dossier.id}/modifier", data=_form(COMPLETE_DOSSIER)).status_code == 403


def test_a_candidate_sees_only_her_dossiers(client, login_as):
    mine, hers = f.make_dossier(title="Mon projet"), f.make_dossier(title="Son projet", state="submitted")
    login_as(mine.owner)
    listing = client.get("/appels/mes-dossiers").text
    assert "Mon projet" in listing and "Son projet" not in listing
    assert client.get(f"/appels/dossiers/{hers.id}").status_code == 403
    assert client.post(f"/appels/dossiers/{hers.id}/modifier", data=_form(COMPLETE_DOSSIER)).status_code == 403


def test_reviewers_score_and_the_queue_sorts_and_filters_by_average(client, login_as):
    call = f.make_call()
    low, high, unscored = (f.make_dossier(call, state="submitted", title=t) for t in ("Projet bas", "Projet haut", "Projet neuf"))
    f.make_dossier(call, title="Brouillon caché")
    trainer = f.make_user(roles=[Role.TRAINER])
    f.make_dossier_evaluation(low, scores=(2, 2, 2))
    f.make_dossier_evaluation(high, scores=(5, 4, 5))
    login_as(trainer)
    response = client.post(f"/appels/dossiers/{low.id}/evaluation", data={
        "score_1": "1", "comment_1": "Peu chiffré", "score_2": "2", "score_3": "3"})
    assert response.status_code == 302
    queue = client.get(f"/appels/{call.id}/preselection").text
    assert "Brouillon caché" not in queue
    assert queue.index("Projet haut") < queue.index("Projet bas") < queue.index("Projet neuf")
    assert "(dont la vôtre)" in queue
    ascending = client.get(f"/appels/{call.id}/preselection?sort=score_asc").text
    assert ascending.index("Projet bas") < ascending.index("Projet haut")
    filtered = client.get(f"/appels/{call.id}/preselection?min_score=4").text
    assert "Projet haut" in filtered and "Projet bas" not in filtered and "Projet neuf" not in filtered
    again = client.get(f"/appels/dossiers/{low.id}/evaluation").text  # her scores, to edit
    assert "Peu chiffré" in again


def test_an_evaluation_without_scores_is_refused_in_french(client, login_as):
    dossier = f.make_dossier(state="submitted")
    login_as(f.make_user(roles=[Role.TRAINER]))
    response = client.post(f"/appels/dossiers/{dossier.id}/evaluation",
                           data={"score_1": "9", "score_2": "4", "score_3": "4"})
    assert response.status_code == 422 and "Donnez une note de 1 à 5." in response.text
    assert "Not a valid choice" not in response.text


def test_preselecting_beyond_the_number_is_refused_with_a_message(client, login_as):
    call = f.make_call(preselect_count=1)
    first, second = f.make_dossier(call, state="submitted"), f.make_dossier(call, state="submitted")
    login_as(f.make_user(roles=[Role.TRAINER]))
    assert client.post(f"/appels/dossiers/{first.id}/preselection", data={"decision": "preselect"}).status_code == 302
    client.post(f"/appels/dossiers/{second.id}/preselection", data={"decision": "preselect"})
    assert "déjà pré-sélectionné 1 projets" in client.get(f"/appels/{call.id}/preselection").text
    db.session.refresh(second)
    assert second.state == "submitted"


def test_informing_prefills_editable_french_texts_and_sends_them(client, login_as, mailbox):
    call = f.make_call(opens_at=utcnow() - timedelta(days=15), closes_at=utcnow() - timedelta(days=1))
    chosen, other = f.make_dossier(call, state="preselected"), f.make_dossier(call, state="submitted")
    login_as(f.make_user(roles=[Role.TRAINER]))
    page = client.get(f"/appels/{call.id}/informer").text
    assert "Votre projet est pré-sélectionné" in page and "session express de coaching" in page
    response = client.post(f"/appels/{call.id}/informer", data={
        "coaching_at": "2027-04-02T14:00", "coaching_place": "https://webinaire.numerique.gouv.fr/coaching",
        "preselected_subject": "Bravo", "preselected_body": "Texte modifié pour les lauréats.",
        "others_subject": "Merci", "others_body": "Texte modifié pour les autres.", "confirm": "y"})
    assert response.status_code == 302
    sent = {m["To"]: m for m in mailbox.messages}
    assert sent[chosen.owner.email]["Subject"] == "Bravo"
    assert "2 avril 2027 à 14h00" in sent[chosen.owner.email].get_body(("plain",)).get_content()
    assert sent[other.owner.email]["Subject"] == "Merci"
    db.session.refresh(other)
    assert other.state == "not_preselected"


def test_informing_again_from_a_stale_tab_says_when_they_were_informed(client, login_as, mailbox):
    call = f.make_call(opens_at=utcnow() - timedelta(days=15), closes_at=utcnow() - timedelta(days=1))
    f.make_dossier(call, state="preselected"), f.make_dossier(call, state="submitted")
    login_as(f.make_user(roles=[Role.TRAINER]))
    data = {"coaching_at": "2027-04-02T14:00", "coaching_place": "Salle 1", "preselected_subject": "Bravo",
            "preselected_body": "Oui.", "others_subject": "Merci", "others_body": "Non.", "confirm": "y"}
    assert client.post(f"/appels/{call.id}/informer", data=data).status_code == 302
    client.get(f"/appels/{call.id}/preselection")  # the first tab reads its confirmation
    sent = len(mailbox.messages)
    response = client.post(f"/appels/{call.id}/informer", data=data)  # the second tab, left open
    assert response.status_code == 302
    db.session.refresh(call)
    page = client.get(response.headers["Location"]).text
    assert f"Les candidat·es ont déjà été informé·es le {format_moment(call.informed_at)}" in page
    assert len(mailbox.messages) == sent


def _bulk_dossiers(call, count: int) -> None:
    """`count` filed dossiers, each by its own candidate (as a real call: one owner per row to show)."""
    now, first = utcnow(), f._n()
    emails = [f"bulk{first}-{n}@example.gouv.fr" for n in range(count)]
    db.session.execute(sa.insert(User), [{"email": email, "first_name": "Prénom", "last_name": f"Nom {n}",
                                          "password_hash": None} for n, email in enumerate(emails)])
    owners = db.session.scalars(sa.select(User.id).where(User.email.in_(emails))).all()
    db.session.execute(sa.insert(Dossier), [
        {"call_id": call.id, "owner_id": owner_id, "state": "submitted", "submitted_at": now, "title": f"Projet {n}",
         "problem": "", "solution": "", "first_users": "", "opinion": "", "callback": "oui", "consent_guide": True,
         "consent_share": True, "created_at": now, "updated_at": now} for n, owner_id in enumerate(owners)])
    db.session.commit()


def test_the_queue_costs_the_same_queries_for_10_and_1000_dossiers(client, login_as, count_queries):
    call = f.make_call()
    login_as(f.make_user(roles=[Role.TRAINER]))
    counts = {}
    for total in (10, 1000):
        _bulk_dossiers(call, total - sum(counts))
        for dossier in db.session.scalars(sa.select(Dossier).order_by(Dossier.id.desc()).limit(3)).all():
            f.make_dossier_evaluation(dossier, reviewer=f.make_user(roles=[Role.TRAINER]))
        with count_queries() as counter:
            response = client.get(f"/appels/{call.id}/preselection?sort=score")
        assert response.status_code == 200 and f"{total} dossiers" in response.text
        counts[total] = counter.count
    assert counts[10] == counts[1000]


def test_a_crafted_answer_to_the_callback_question_is_refused_in_french(client, login_as):
    dossier = f.make_dossier()
    login_as(dossier.owner)
    response = client.post(f"/appels/dossiers/{dossier.id}/modifier",
                           data={**_form(COMPLETE_DOSSIER), "callback": "peut-être", "action": "save"})
    assert response.status_code == 422 and "Répondez oui ou non." in response.text


def test_editing_a_call_shows_its_times_in_paris_and_keeps_them(client, login_as):
    call = f.make_call()
    login_as(f.make_user(roles=[Role.TRAINER]))
    page = client.get(f"/appels/{call.id}/modifier").text
    paris_close = call.closes_at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{paris_close}"' in page
    response = client.post(f"/appels/{call.id}/modifier", data={
        "title": "Nouveau titre", "incubator": call.incubator, "opens_at": "2027-07-01T09:00",
        "closes_at": "2027-07-15T18:00", "guide": "", "criteria": "Un seul critère", "preselect_count": "10"})
    assert response.status_code == 302
    db.session.refresh(call)
    assert (call.title, call.criteria, call.preselect_count, call.closes_at.hour) == ("Nouveau titre", ["Un seul critère"], 10, 16)


def _call_data(call, **values) -> dict:
    return {"title": call.title, "incubator": call.incubator, "opens_at": "2027-07-01T09:00",
            "closes_at": "2027-07-15T18:00", "guide": "", "criteria": "\n".join(call.criteria),
            "preselect_count": str(call.preselect_count), **values}


def test_once_a_dossier_is_scored_the_criteria_are_locked(client, login_as):
    call = f.make_call()
    login_as(f.make_user(roles=[Role.TRAINER]))
    assert "readonly" not in client.get(f"/appels/{call.id}/modifier").text  # nothing scored yet: free to change
    f.make_dossier_evaluation(f.make_dossier(call, state="submitted"))
    page = client.get(f"/appels/{call.id}/modifier").text
    assert re.search(r'<textarea[^>]*name="criteria"[^>]*readonly', page)
    assert "Des dossiers sont déjà évalués sur ces critères : ils ne peuvent plus changer." in page
    response = client.post(f"/appels/{call.id}/modifier", data=_call_data(call, criteria="Un autre critère"))  # crafted
    assert response.status_code == 422 and "ils ne peuvent plus changer" in response.text
    db.session.refresh(call)
    assert call.criteria == list(DEFAULT_CRITERIA)
    response = client.post(f"/appels/{call.id}/modifier", data=_call_data(call, title="Renommé"))  # the rest still changes
    assert response.status_code == 302
    db.session.refresh(call)
    assert call.title == "Renommé"


def test_the_preselection_number_never_drops_below_the_preselected(client, login_as):
    call = f.make_call(preselect_count=3)
    for _ in range(2):
        f.make_dossier(call, state="preselected")
    login_as(f.make_user(roles=[Role.TRAINER]))
    response = client.post(f"/appels/{call.id}/modifier", data=_call_data(call, preselect_count="1"))
    assert response.status_code == 422
    assert "2 projets sont déjà pré-sélectionnés : indiquez au moins 2" in response.text
    db.session.refresh(call)
    assert call.preselect_count == 3
    assert client.post(f"/appels/{call.id}/modifier", data=_call_data(call, preselect_count="2")).status_code == 302


def test_the_menu_leads_candidates_to_their_dossiers_and_trainers_to_the_calls(client, login_as):
    login_as(f.make_user())
    menu = client.get("/appels/").text
    assert 'href="/appels/mes-dossiers"' in menu
    login_as(f.make_user(roles=[Role.TRAINER]))
    assert re.search(r'<a class="fr-nav__link" href="/appels/"[^>]*>\s*Appels à intrapreneurs', client.get("/").text)


def test_the_demo_has_a_closed_call_to_preselect_and_an_open_one_with_agnes_draft(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # idempotent
    calls = db.session.scalars(sa.select(Call).order_by(Call.opens_at)).all()
    assert [c.is_open(utcnow()) for c in calls] == [False, True]
    closed_states = db.session.scalars(sa.select(Dossier.state).where(Dossier.call_id == calls[0].id)).all()
    assert closed_states == ["submitted"] * 3
    [draft] = db.session.scalars(sa.select(Dossier).where(Dossier.call_id == calls[1].id)).all()
    assert draft.owner.email == "agent@demo.beta.gouv.fr" and draft.sheet_id is not None and draft.problem


# --- French ---------------------------------------------------------------------------------------------------


def test_counts_agree_in_number(client, login_as):
    call = f.make_call(opens_at=utcnow() - timedelta(days=15), closes_at=utcnow() - timedelta(days=1))
    login_as(f.make_user(roles=[Role.TRAINER]))
    assert "0 dossier déposé, 0 pré-sélectionné, 0 brouillon en cours." in client.get(f"/appels/{call.id}").text
    f.make_dossier(call, state="preselected"), f.make_dossier(call, state="submitted")
    assert "1 projet pré-sélectionné sur" in client.get(f"/appels/{call.id}/preselection").text
    page = client.get(f"/appels/{call.id}/informer").text
    assert "1 dossier pré-sélectionné recevra le premier message" in page
    assert "L’autre dossier déposé recevra le second et sera marqué « non retenu »." in page
    assert "les 1 autres" not in page


def test_the_incubator_name_is_elided_and_not_announced_as_a_person(client, login_as, mailbox):
    call = f.make_call(incubator="Incubateur des territoires")
    assert "Appel lancé par" not in client.get(f"/appels/{call.id}").text
    dossier = f.make_dossier(call)
    login_as(dossier.owner)
    client.post(f"/appels/dossiers/{dossier.id}/modifier", data={**_form(COMPLETE_DOSSIER), "action": "submit"})
    [message] = mailbox.messages
    assert "d’Incubateur des territoires" in message.get_body(("plain",)).get_content()
    assert "de Incubateur" not in message.get_body(("html",)).get_content()
    login_as(f.make_user(roles=[Role.TRAINER]))
    page = client.get(f"/appels/{call.id}/informer").text
    assert "L’équipe d’Incubateur des territoires" in page and "de Incubateur" not in page


def test_the_error_summary_puts_no_full_stop_before_the_colon(client, login_as):
    dossier = f.make_dossier(consent_guide=False)
    login_as(dossier.owner)
    response = client.post(f"/appels/dossiers/{dossier.id}/modifier",
                           data={**_form({**COMPLETE_DOSSIER, "consent_guide": False}), "action": "submit"})
    assert "J’ai lu le guide de l’appel à intrapreneurs : Cette réponse est obligatoire" in response.text
    assert ". :" not in response.text


def test_informing_leaves_a_text_email_without_markdown_and_a_history_without_repetition(client, login_as, mailbox):
    call = f.make_call(opens_at=utcnow() - timedelta(days=15), closes_at=utcnow() - timedelta(days=1))
    f.make_dossier(call, state="preselected")
    other = f.make_dossier(call, state="submitted")
    trainer = f.make_user(roles=[Role.TRAINER])
    login_as(trainer)
    client.post(f"/appels/{call.id}/informer", data={
        "coaching_at": "2027-04-02T14:00", "coaching_place": "Salle 1", "preselected_subject": "Bravo",
        "preselected_body": "Une **session express** vous attend.", "others_subject": "Merci",
        "others_body": "Votre projet n’a **pas** été retenu.", "confirm": "y"})
    texts = [m.get_body(("plain",)).get_content() for m in mailbox.messages]
    assert any("Une session express vous attend." in text for text in texts)
    assert any("Votre projet n’a pas été retenu." in text for text in texts)
    assert not any("**" in text for text in texts)
    assert any("<strong>session express</strong>" in m.get_body(("html",)).get_content() for m in mailbox.messages)
    page = client.get(f"/appels/dossiers/{other.id}").text
    assert f"Non retenu à la pré-sélection ({trainer.full_name})" in page
    assert "Non retenu à la pré-sélection : Non retenu à la pré-sélection" not in page
    assert "Non retenu à la pré-sélection (" + trainer.full_name + ") : " not in page
