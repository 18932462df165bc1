"""Date pickers in Chromium order the digits as the browser's own language does, whatever the page's language:
an American English Chromium takes « 07112027 » as the 11th of July. The hint therefore gives an example in words,
which no picker contradicts. (Playwright's `locale` does not change that order in headless Chromium: even the
French context of conftest's `page` shows MM/DD/YYYY, so the test says what it sees.)"""

import re

import pytest

from beta_training.accounts.models import Role
from tests.a11y import assert_accessible
from tests.conftest import browser_login
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_an_american_picker_and_the_hint_do_not_contradict_each_other(browser, live_server):
    make_user(email="dates-trainer@example.gouv.fr", roles=[Role.TRAINER])
    page = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    page.set_default_timeout(20_000)
    try:
        browser_login(page, "dates-trainer@example.gouv.fr", PASSWORD)
        page.goto("/alpha/gestion/nouvelle")
        page.locator("#starts_on").click()
        page.keyboard.type("07112027")  # in the order the picker shows its fields: month first here
        assert page.locator("#starts_on").input_value() == "2027-07-11"
        for field in ("starts_on", "ends_on", "day_starts_at", "applications_open_at"):
            hint = page.locator(f"label[for={field}] .fr-hint-text").inner_text()
            assert re.search(r"Par exemple : (7 novembre 2027( à 9 h 30)?|9 h 30)$", hint), hint
            assert not re.search(r"JJ|AAAA|hh:mm|\d+/\d+|\d+:\d+", hint), f"{field}: « {hint} » may contradict the picker"
        assert_accessible(page, "formulaire de session")
    finally:
        page.context.close()
