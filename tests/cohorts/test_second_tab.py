"""A candidate's buttons pressed again in a second tab, after the first one (or the offer's expiry) moved her
application on: back to her application with what happened, never « Accès refusé »; nothing changes and
nothing is emailed. Someone else's application stays a 403 (checked in the same tests)."""

import pytest

from beta_training.cohorts.models import ApplicationState
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_application, make_cohort
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
