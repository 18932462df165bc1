"""The outbox message page in Chromium: the email's HTML version is drawn as a mail client draws it (its inline
styles apply in the preview's own document, the site's policy refuses nothing), and the page passes axe."""

import pytest

from beta_training.accounts.models import Role
from beta_training.core import db as core_db
from beta_training.core.mail import queue_email
from tests.a11y import assert_accessible
from tests.conftest import browser_login
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("config_overrides", [{"MAIL_OUTBOX_PAGE": True}])]

# What the preview draws: the bloc-marque's weight, the button's colours (all from style attributes).
DRAWN = """() => {
  const style = selector => getComputedStyle(document.querySelector(selector));
  return {blocMarque: style('.bloc-marque').fontWeight, button: [style('a.button').backgroundColor, style('a.button').color],
          buttonText: document.querySelector('a.button').textContent.trim()};
}"""


def test_the_html_preview_draws_the_bloc_marque_and_the_button_without_a_policy_error(app, page):
    with app.test_request_context():
        admin = make_user(roles=[Role.ADMIN])
        message = queue_email("claude@example.gouv.fr", "Votre mot de passe a changé", "accounts/password_changed",
                              user=make_user(first_name="Claude"), reset_link="https://example.test/reset")
        core_db.commit()
    errors = []
    page.on("console", lambda entry: errors.append(entry.text) if entry.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_login(page, admin.email, PASSWORD)
    page.goto(f"/admin/courriels/{message.id}")
    preview = page.locator("iframe[title='Version HTML du courriel « Votre mot de passe a changé »']")
    preview.wait_for()
    frame = preview.element_handle().content_frame()
    frame.wait_for_load_state("load")
    assert frame.get_by_text("RÉPUBLIQUE").is_visible()
    drawn = frame.locator("body").evaluate(f"body => ({DRAWN})()")
    assert drawn == {"blocMarque": "700", "button": ["rgb(0, 0, 145)", "rgb(255, 255, 255)"],
                     "buttonText": "Choisir un nouveau mot de passe"}
    assert_accessible(page, "outbox message")
    assert errors == []  # no « Refused to apply inline style » (nor anything else)
