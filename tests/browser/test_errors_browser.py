"""Error pages a person can meet after submitting a form, in Chromium, with axe."""

import pytest

from tests.a11y import assert_accessible
from tests.conftest import browser_login
from tests.factories import PASSWORD, make_user
from tests.simultaneous import user_row_locked_elsewhere

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("config_overrides", [{"DATABASE_LOCK_TIMEOUT_MS": 300}])
def test_busy_database_page_keeps_the_way_back_to_the_typed_text(app, page):
    user = make_user(email="occupe@example.gouv.fr")
    browser_login(page, "occupe@example.gouv.fr", PASSWORD)
    page.goto("/compte/profil")
    page.get_by_label("Prénom").fill("Dominique")

    with user_row_locked_elsewhere(app, user.id):
        page.get_by_role("button", name="Enregistrer").click()
        page.get_by_role("heading", name="Service très sollicité").wait_for()
        assert_accessible(page, "503")
    page.go_back()
    assert page.get_by_label("Prénom").input_value() == "Dominique"  # the browser kept what was typed
