"""DSFR details in Chromium: the back office in sub-menus of the main menu (at 1280 px and in the phone menu), the
forum categories folded into one button on a phone, icon buttons that show their text."""

import pytest
from playwright.sync_api import expect

from beta_training.accounts.models import Role
from tests.a11y import FINITE_ANIMATIONS_DONE, assert_accessible
from tests.conftest import browser_login
from tests.factories import (
    PASSWORD, make_enrolment, make_forum, make_forum_post, make_forum_thread, make_mooc, make_product_sheet, make_user,
)

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 800}


def _main_menu(page):
    return page.get_by_role("navigation", name="Menu principal")


def test_the_back_office_is_in_sub_menus_on_one_line(page):
    make_user(email="admin@example.gouv.fr", roles=[Role.ADMIN])
    page.set_viewport_size(DESKTOP)
    browser_login(page, "admin@example.gouv.fr", PASSWORD)
    menu = _main_menu(page)
    # Admins see the whole back office, in three sub-menus: seven entries instead of twelve.
    assert menu.locator(".fr-nav__list > .fr-nav__item").count() == 7
    tops = {round(box["y"]) for box in (item.bounding_box() for item in menu.locator(".fr-nav__list > .fr-nav__item").all())}
    assert len(tops) == 1

    manage = menu.get_by_role("button", name="Gestion")
    review = menu.get_by_role("link", name="Relire les fiches")
    expect(manage).to_have_attribute("aria-expanded", "false")
    expect(review).to_be_hidden()
    manage.click()
    expect(manage).to_have_attribute("aria-expanded", "true")
    expect(review).to_be_visible()
    assert_accessible(page, "main menu with a sub-menu open")
    review.click()
    page.wait_for_url("**/fiches/relecture")
    # The current page is in the « Gestion » sub-menu: the button says so, the link is the current page.
    expect(_main_menu(page).get_by_role("button", name="Gestion")).to_have_attribute("aria-current", "true")
    expect(_main_menu(page).get_by_role("link", name="Relire les fiches", include_hidden=True)).to_have_attribute(
        "aria-current", "page")

    # With the keyboard: the sub-menu opens with Enter and its first link takes the focus with Tab. (Once the
    # page has loaded and settled: a key pressed while DSFR is still starting its menus was seen lost under load.)
    page.wait_for_load_state("load")
    page.wait_for_function(FINITE_ANIMATIONS_DONE, timeout=5000)
    administration = _main_menu(page).get_by_role("button", name="Administration")
    # DSFR marks a sub-menu button once its script handles it: a key pressed before is a plain button's.
    expect(administration).to_have_attribute("data-fr-js-collapse-button", "true")
    administration.focus()
    expect(administration).to_be_focused()
    page.keyboard.press("Enter")
    expect(administration).to_have_attribute("aria-expanded", "true")
    users = _main_menu(page).get_by_role("link", name="Utilisateurs")
    expect(users).to_be_visible()
    page.keyboard.press("Tab")
    expect(users).to_be_focused()


def test_the_sub_menus_open_in_the_phone_menu(page):
    make_user(email="formatrice@example.gouv.fr", roles=[Role.TRAINER])
    page.set_viewport_size(PHONE)
    browser_login(page, "formatrice@example.gouv.fr", PASSWORD)
    page.get_by_role("button", name="Menu").click()
    manage = _main_menu(page).get_by_role("button", name="Gestion")
    expect(manage).to_be_visible()
    manage.click()
    _main_menu(page).get_by_role("link", name="Gérer les sessions Alpha").click()
    page.wait_for_url("**/alpha/gestion/")
    assert _main_menu(page).get_by_role("button", name="Administration").count() == 0  # trainers only


def test_forum_categories_are_one_button_on_a_phone(page):
    forum = make_forum()
    make_user(email="responsable@example.gouv.fr", roles=[Role.COURSE_LEAD])
    page.set_viewport_size(PHONE)
    browser_login(page, "responsable@example.gouv.fr", PASSWORD)
    page.goto(f"/forum/{forum.id}")
    categories = page.get_by_role("navigation", name="Catégories")
    general = categories.get_by_role("link", name="Général")
    button = categories.get_by_role("button", name="Catégorie : toutes")
    expect(general).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    # The list of threads starts in the first screen, not below the categories.
    assert page.get_by_role("heading", name="Tous les sujets").bounding_box()["y"] < PHONE["height"]
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    general.click()
    page.wait_for_url("**/forum/*categorie=*")
    expect(page.get_by_role("navigation", name="Catégories").get_by_role("button")).to_have_text("Catégorie : Général")

    page.set_viewport_size(DESKTOP)  # beside the threads, the list itself
    expect(page.get_by_role("navigation", name="Catégories").get_by_role("link", name="Général")).to_be_visible()
    expect(page.get_by_role("navigation", name="Catégories").get_by_role("button")).to_be_hidden()


NOT_CUT = "el => el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1"
ICON = "el => getComputedStyle(el, '::before').maskImage || getComputedStyle(el, '::before').webkitMaskImage"


def test_accepting_an_answer_and_downloading_a_fiche_show_their_words(page):
    _course, run = make_mooc(sequences=(1,), kinds=("text",))
    forum = make_forum(run=run)
    learner = make_user(email="apprenante@example.gouv.fr")
    make_enrolment(run, learner)
    thread = make_forum_thread(forum, learner, title="Comment trouver un sponsor ?")
    make_forum_post(thread, make_user(roles=[Role.COURSE_LEAD]), body="Par le problème.")
    sheet = make_product_sheet(learner)
    page.set_viewport_size(PHONE)
    browser_login(page, "apprenante@example.gouv.fr", PASSWORD)
    page.goto(f"/forum/{forum.id}/sujets/{thread.id}")
    accept = page.get_by_role("button", name="Accepter cette réponse")
    # The words are on screen, not a lone ✓ with the text cut off by the button's width.
    assert accept.evaluate(NOT_CUT)
    assert accept.bounding_box()["width"] > 150

    page.goto(f"/fiches/{sheet.id}")
    pdf = page.get_by_role("link", name="Fiche A4 (PDF)")
    markdown = page.get_by_role("link", name="Page produit beta.gouv.fr (Markdown)")
    assert pdf.evaluate(NOT_CUT) and markdown.evaluate(NOT_CUT)
    assert "file-pdf" in pdf.evaluate(ICON) and "file-text" in markdown.evaluate(ICON)  # two icons, not two arrows
