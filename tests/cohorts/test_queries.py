"""Read-side helpers the Alpha views use instead of their own queries."""

import pytest

from beta_training.cohorts import queries
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
