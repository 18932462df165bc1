"""A candidate's buttons pressed again in a second tab, after the first one (or the offer's expiry) moved her
application on: back to her application with what happened, never « Accès refusé »; nothing changes and
nothing is emailed. Someone else's application stays a 403 (checked in the same tests)."""

import re

import pytest
import sqlalchemy as sa

from beta_training.cohorts import services
from beta_training.cohorts.models import ApplicationState, CohortApplication
from beta_training.core import db as core_db
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import COMPLETE_ANSWERS, make_application, make_cohort, make_user
from tests.records import timeline_of
from tests.second_tab import assert_led_back, outbox_count


def _page(application) -> str:
    return f"/alpha/candidatures/{application.id}"


def test_confirming_again_from_a_second_tab_leads_back_to_the_confirmed_seat(client):
    mine = make_application(make_cohort(), state="accepted")
    login(client, mine.user)
    assert client.post(f"{_page(mine)}/confirmer").status_code == 302
    sent = outbox_count()
    again = client.post(f"{_page(mine)}/confirmer")
    assert_led_back(client, again, _page(mine), "Votre place est confirmée.")
    db.session.refresh(mine)
    assert mine.state == ApplicationState.CONFIRMED
    assert [move[1] for move in timeline_of(mine)] == ["confirmed"]  # recorded once
    assert outbox_count() == sent  # no second confirmation email


@pytest.mark.parametrize("first,second,state,label", [
    ("confirmer", "decliner", "confirmed", "Place confirmée"),
    ("decliner", "confirmer", "declined", "Place déclinée"),
    ("retirer", "confirmer", "withdrawn", "Retirée"),
])
def test_the_other_answer_from_a_second_tab_says_where_the_application_stands(client, first, second, state, label):
    mine = make_application(make_cohort(), state="accepted")
    login(client, mine.user)
    assert client.post(f"{_page(mine)}/{first}").status_code == 302
    sent, moves = outbox_count(), timeline_of(mine)
    again = client.post(f"{_page(mine)}/{second}")
    assert_led_back(client, again, _page(mine), f"Cette candidature est désormais « {label} » : cette action n’est "
                                                "plus possible, rien n’a été modifié.")
    db.session.refresh(mine)
    assert mine.state == state and timeline_of(mine) == moves and outbox_count() == sent
    theirs = make_application(mine.cohort, state="accepted")  # someone else's: still « Accès refusé »
    for action in (first, second):
        assert client.post(f"{_page(theirs)}/{action}").status_code == 403
    db.session.refresh(theirs)
    assert theirs.state == ApplicationState.ACCEPTED and timeline_of(theirs) == []


def test_declining_an_offer_that_expired_meanwhile_says_so(client):
    mine = make_application(make_cohort(), state="expired")  # the cron expired it while her email sat open
    login(client, mine.user)
    response = client.post(f"{_page(mine)}/decliner")
    assert_led_back(client, response, _page(mine), "Cette candidature est désormais « Offre expirée »")
    db.session.refresh(mine)
    assert mine.state == ApplicationState.EXPIRED and outbox_count() == 0


def test_withdrawing_a_rejected_application_from_an_old_tab_says_it_was_not_retained(client):
    mine = make_application(make_cohort(), state="rejected")
    login(client, mine.user)
    response = client.post(f"{_page(mine)}/retirer")
    assert_led_back(client, response, _page(mine), "Cette candidature est désormais « Non retenue »")
    db.session.refresh(mine)
    assert mine.state == ApplicationState.REJECTED and outbox_count() == 0


def test_the_application_form_sent_from_a_tab_left_open_after_the_offer_says_nothing_was_saved(client):
    mine = make_application(make_cohort(), state="accepted", motivation="Ma motivation d’origine")
    login(client, mine.user)
    response = client.post(f"/alpha/{mine.cohort.slug}/candidater", data={"motivation": "Tapée dans l’onglet resté ouvert"})
    assert_led_back(client, response, _page(mine), "Votre candidature est désormais « Place proposée, à confirmer » : "
                                                   "elle ne peut plus être modifiée, vos modifications n’ont pas été enregistrées.")
    db.session.refresh(mine)
    assert mine.motivation == "Ma motivation d’origine" and mine.state == ApplicationState.ACCEPTED


# --- The application form sent from a tab opened before another tab saved or sent it ------------------------


def _loaded_version(page: str) -> str:
    return re.search(r'id="loaded_version" name="loaded_version" type="hidden" value="([^"]*)"', page).group(1)


def _complete(**changes) -> dict:
    return {**{k: ("y" if v is True else v) for k, v in COMPLETE_ANSWERS.items()}, "first_name": "Ada",
            "last_name": "Lovelace", "action": "submit", **changes}


def test_an_older_tab_cannot_replace_the_answers_sent_from_a_newer_one(client):
    mine = make_application(make_cohort(), state="draft")
    login(client, mine.user)
    url = f"/alpha/{mine.cohort.slug}/candidater"
    older, newer = _loaded_version(client.get(url).text), _loaded_version(client.get(url).text)
    sent = client.post(url, data=_complete(motivation="Envoyée du nouvel onglet", loaded_version=newer))
    assert sent.status_code == 302
    refused = client.post(url, data=_complete(motivation="Tapée dans l’ancien onglet", loaded_version=older))
    assert refused.status_code == 409
    assert "Votre candidature a été enregistrée entre-temps depuis un autre onglet : rien n’a été modifié." in refused.text
    assert "Envoyée du nouvel onglet</p>" in refused.text  # the saved answer, shown
    assert re.search(r">\s*Tapée dans l’ancien onglet</textarea>", refused.text)  # the typed one, kept
    db.session.refresh(mine)
    assert mine.motivation == "Envoyée du nouvel onglet" and mine.state == ApplicationState.SUBMITTED
    # Sending again from the refused page (it carries the current version) replaces the answers, knowingly.
    again = client.post(url, data=_complete(motivation="Tapée dans l’ancien onglet", loaded_version=_loaded_version(refused.text)))
    assert again.status_code == 302
    db.session.refresh(mine)
    assert mine.motivation == "Tapée dans l’ancien onglet"


def test_a_tab_opened_before_the_application_existed_cannot_replace_it(client):
    cohort, user = make_cohort(), make_user(first_name="Ada", last_name="Lovelace")
    login(client, user)
    url = f"/alpha/{cohort.slug}/candidater"
    older = _loaded_version(client.get(url).text)
    assert older == ""
    assert client.post(url, data=_complete(motivation="Premier onglet", loaded_version=older)).status_code == 302
    assert client.post(url, data=_complete(motivation="Second onglet", loaded_version=older)).status_code == 409
    application = db.session.scalar(sa.select(CohortApplication).where(CohortApplication.user_id == user.id))
    assert application.motivation == "Premier onglet"


def test_a_double_click_on_send_is_no_conflict(client):
    mine = make_application(make_cohort(), state="draft")
    login(client, mine.user)
    url = f"/alpha/{mine.cohort.slug}/candidater"
    version = _loaded_version(client.get(url).text)
    for _click in range(2):
        assert client.post(url, data=_complete(loaded_version=version)).status_code == 302
    db.session.refresh(mine)
    assert mine.state == ApplicationState.SUBMITTED


def test_autosave_moves_the_version_on_and_answers_409_conflict_to_an_older_tab(client):
    mine = make_application(make_cohort(), state="draft")
    login(client, mine.user)
    url = f"/alpha/{mine.cohort.slug}/candidater"
    older = newer = _loaded_version(client.get(url).text)
    for text in ("Première frappe", "Deuxième frappe"):  # one tab typing: each autosave based on the last one
        saved = client.post(f"{url}/brouillon", data={"motivation": text, "loaded_version": newer})
        assert saved.status_code == 200 and saved.json["saved"] is True
        newer = saved.json["version"]
    stale = client.post(f"{url}/brouillon", data={"motivation": "L’autre onglet", "loaded_version": older})
    assert stale.status_code == 409 and stale.json["conflict"] is True and stale.json["saved"] is False
    assert "enregistrée entre-temps" in stale.json["message"]
    db.session.refresh(mine)
    assert mine.motivation == "Deuxième frappe"
    # The button of the tab that typed last still saves (its version came back with its autosave).
    assert client.post(url, data={"motivation": "Deuxième frappe", "action": "save", "loaded_version": newer}).status_code == 302


def test_save_answers_refuses_a_stale_version_and_passes_the_same_answers(app):
    mine = make_application(make_cohort(), state="submitted")
    version = mine.edit_version
    services.save_answers(mine, actor=mine.user, values={"motivation": "Nouvelle"}, loaded_version=version)
    core_db.commit()
    with pytest.raises(services.EditedMeanwhile) as stale:
        services.save_answers(mine, actor=mine.user, values={"motivation": "Ancienne"}, loaded_version=version)
    assert stale.value.current_version == mine.edit_version != version
    services.save_answers(mine, actor=mine.user, values={"motivation": "Nouvelle"}, loaded_version=version)  # no change
    assert mine.motivation == "Nouvelle"


def test_a_trainer_cannot_write_about_a_candidate_once_her_application_is_anonymised(client):
    """Her account erased, her application keeps its scores for the statistics: no new comment or score (words
    about her back in what the erasure emptied), no decision. A trainer's tab left open is told why."""
    from beta_training.privacy import services as privacy_services
    from beta_training.privacy.models import Origin

    application = make_application(make_cohort(), state="submitted")
    trainer = make_user(roles=["trainer"])
    privacy_services.erase_account(application.user, origin=Origin.SELF)
    core_db.commit()
    login(client, trainer)
    page = _review_page(application)
    assert client.get(page).status_code == 200
    text = client.get(page).text
    assert 'id="anonymisee"' in text and "Mon évaluation" not in text and "Enregistrer la décision" not in text
    scored = client.post(f"{page}/evaluation", data={"problem_score": 5, "motivation_score": 5, "solution_score": 5,
                                                      "comment": "Commentaire après effacement : Thomas Leroy"})
    assert_led_back(client, scored, page, "Cette candidature a été anonymisée")
    decided = client.post(f"{page}/decision", data={"decision": "accepted", "reason": "Thomas Leroy"})
    assert_led_back(client, decided, page, "Cette candidature a été anonymisée")
    from beta_training.cohorts.models import ApplicationReview

    db.session.refresh(application)
    assert application.state == ApplicationState.WITHDRAWN
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApplicationReview)
                             .where(ApplicationReview.application_id == application.id)) == 0
    # In the queue: named « Ancien·ne candidat·e » (a link with words); her history is not other erased people's.
    other = make_application(application.cohort, state="submitted")
    privacy_services.erase_account(other.user, origin=Origin.SELF)
    core_db.commit()
    queue = client.get(f"/alpha/gestion/{application.cohort_id}/candidatures").text
    assert re.search(rf'href="{_review_page(application)}">Ancien·ne candidat·e</a>', queue)
    assert "Historique avec nous" not in client.get(page).text
    candidate = make_user()
    login(client, candidate)  # not a trainer: still « Accès refusé »
    assert client.post(f"{page}/evaluation", data={"problem_score": 5}).status_code == 403


def _review_page(application) -> str:
    return f"/alpha/gestion/candidatures/{application.id}"
