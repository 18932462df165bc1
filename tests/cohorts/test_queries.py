"""Read-side helpers the Alpha views use instead of their own queries."""

import itertools

import pytest

from beta_training.cohorts import queries
from beta_training.extensions import db
from tests.factories import make_application, make_cohort, make_programme_item, make_speaker


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def test_a_slug_is_taken_only_by_another_session(ctx):
    cohort = make_cohort(slug="alpha-lyon")
    assert queries.slug_taken_by_another_cohort("alpha-lyon", None)  # a new session
    assert not queries.slug_taken_by_another_cohort("alpha-lyon", cohort)  # its own slug, saved again
    assert queries.slug_taken_by_another_cohort("alpha-lyon", make_cohort())
    assert not queries.slug_taken_by_another_cohort("alpha-nantes", None)


def test_speakers_are_the_session_s_own_by_name_and_an_item_s_are_its_own(ctx):
    cohort, other = make_cohort(), make_cohort()
    zoe, ali = make_speaker(cohort, name="Zoé Martin"), make_speaker(cohort, name="Ali Benali")
    make_speaker(other, name="Bea Autre")
    item = make_programme_item(cohort, speakers=[zoe])
    make_programme_item(cohort, speakers=[ali])
    assert [s.name for s in queries.speakers_of(cohort)] == ["Ali Benali", "Zoé Martin"]
    assert queries.speaker_ids_of(item) == [zoe.id]


def test_applications_of_a_session_ignore_ids_from_another_session(ctx):
    cohort, other = make_cohort(), make_cohort()
    second, first = make_application(cohort), make_application(cohort)
    stranger = make_application(other)
    wanted = [first.id, stranger.id, second.id]
    assert [a.id for a in queries.applications_of_cohort(cohort.id, wanted)] == sorted([first.id, second.id])


def test_a_page_s_waitlist_ranks_are_the_whole_list_s(ctx):
    """The queue's ranks (a page's applications, each counting those ahead) are the whole list's (a window over
    it, as the CSV export reads them) and each application's own page's: positions left with gaps by those who
    left the list, another session's list and applications not on the list do not count."""
    cohort, other = make_cohort(), make_cohort()
    waiting = [make_application(cohort, state="waitlisted", waitlist_position=position) for position in (3, 4, 9, 12, 20)]
    make_application(other, state="waitlisted", waitlist_position=1)
    stranger = make_application(other, state="waitlisted", waitlist_position=5)
    submitted = make_application(cohort)
    whole_list = queries.waitlist_ranks(cohort.id)
    assert whole_list == {application.id: rank for rank, application in enumerate(waiting, start=1)}
    for page in (waiting, waiting[3:], [waiting[4], submitted, waiting[1], stranger]):
        expected = {a.id: whole_list[a.id] for a in page if a in waiting}
        assert queries.waitlist_ranks(cohort.id, [a.id for a in page]) == expected
        assert expected == {a.id: queries.waitlist_rank(a) for a in page if a in waiting}
    assert queries.waitlist_ranks(cohort.id, []) == {}
    assert queries.waitlist_ranks(other.id, [stranger.id, waiting[0].id]) == {stranger.id: 2}


def test_the_seats_left_read_from_the_counts_by_state_are_those_counted(ctx):
    """The queue reads them from the counts it shows (one query fewer): the same number as seats_left(), down to
    a full session (never below zero)."""
    cohort = make_cohort(seats=3)
    for state in ("submitted", "waitlisted", "rejected", "declined", "expired", "withdrawn", "draft"):
        make_application(cohort, state=state)
    for state in ("accepted", "confirmed", "confirmed", "accepted"):
        counts = queries.state_counts_by_cohort([cohort.id])[cohort.id]
        assert queries.seats_left_from(cohort, counts) == queries.seats_left(cohort)
        make_application(cohort, state=state)
    counts = queries.state_counts_by_cohort([cohort.id])[cohort.id]
    assert queries.seats_left(cohort) == queries.seats_left_from(cohort, counts) == 0
    assert queries.seats_left_by_cohort([cohort]) == {cohort.id: 0}


def test_the_queue_s_count_is_its_number_of_rows_whatever_the_filters(ctx):
    """The queue counts its rows on their own (cheaper than around the query): the same number as the rows the
    query gives, for each filter and sort, drafts and another session's applications left out."""
    cohort, other = make_cohort(), make_cohort()
    for n, (state, kind, departement) in enumerate(itertools.product(
            ("draft", "submitted", "waitlisted", "rejected"), ("operateur", "collectivite"), ("69", "75"))):
        make_application(cohort, state=state, administration_type=kind, departement=departement,
                         review_count=n % 3, average_score=(n % 5) + 0.5 if n % 3 else None)
    make_application(other, state="submitted")
    for filters in ({}, {"state": "waitlisted"}, {"administration_type": "collectivite"}, {"departement": "75"},
                    {"min_score": 3, "sort": "score"}, {"state": "submitted", "departement": "69", "min_score": 1},
                    {"state": "draft"}, {"sort": "waitlist"}):
        rows = db.session.execute(queries.review_queue_query(cohort, **filters)).all()
        assert queries.review_queue_count(cohort, **filters) == len(rows)
    assert queries.review_queue_count(cohort) == 12
