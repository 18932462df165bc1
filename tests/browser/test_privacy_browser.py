"""« Mes données » in Chromium: axe finds nothing on the new pages (the erasure form in its error state too),
and a person erases her account from the « zone de danger »."""

from playwright.sync_api import expect

from beta_training.accounts.models import Role
from tests.a11y import assert_accessible
from tests.conftest import browser_login
from tests.factories import PASSWORD, make_user
from tests.privacy.world import EMAIL, seed_person


def test_axe_on_the_personal_data_pages(page):
    person = seed_person()
    browser_login(page, EMAIL, PASSWORD)
    for url in ("/compte/", "/compte/mes-donnees", "/compte/mes-donnees/supprimer", "/donnees-personnelles"):
        page.goto(url)
        assert_accessible(page, url)
    page.goto("/compte/mes-donnees/supprimer")
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page, "erasure form in error")
    assert person.user.email == EMAIL


def test_axe_on_the_admin_and_trainer_pages(page):
    admin = make_user(roles=[Role.ADMIN], email="admin-rgpd@exemple.gouv.fr")
    subject = make_user()
    browser_login(page, admin.email, PASSWORD)
    for url in (f"/admin/utilisateurs/{subject.id}/donnees", "/gestion/effacements"):
        page.goto(url)
        assert_accessible(page, url)


def test_erase_my_account_in_the_browser(page, mailbox):
    seed_person()
    browser_login(page, EMAIL, PASSWORD)
    page.goto("/compte/mes-donnees")
    page.get_by_role("link", name="Supprimer mon compte…").click()
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("label[for=confirm]").click()
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.get_by_text("Votre compte a été supprimé")).to_be_visible()
    assert mailbox.wait_for(1)


def test_my_data_fits_a_phone_screen(page):
    """At 375 px every piece of text of the page, the count of each kind included, is on the screen."""
    seed_person()
    browser_login(page, EMAIL, PASSWORD)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/compte/mes-donnees")
    off_screen = page.evaluate("""() => [...document.querySelectorAll("main *")]
        .filter(el => [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
        .filter(el => { const r = el.getBoundingClientRect(); return r.width && (r.left < 0 || r.right > innerWidth + 1); })
        .map(el => el.textContent.trim().slice(0, 60))""")
    assert off_screen == []
    assert page.get_by_text("1 enregistrement").first.is_visible()


def test_the_erasure_form_reads_on_a_phone(page):
    """At 375 px the password's label and hint take the width left by « Afficher » (not a few words per line), and
    the « Je comprends… » checkbox stands apart from the buttons."""
    seed_person()
    browser_login(page, EMAIL, PASSWORD)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/compte/mes-donnees/supprimer")
    layout = page.evaluate("""() => {
        const lines = node => { const range = document.createRange(); range.selectNodeContents(node);
            return new Set([...range.getClientRects()].filter(r => r.width).map(r => Math.round(r.top))).size; };
        const label = document.querySelector('label[for=password]');
        const box = el => el.getBoundingClientRect();
        return {labelLines: lines(label.firstChild), hintLines: lines(label.querySelector('.fr-hint-text')),
                gap: box(document.querySelector('form ul.fr-btns-group button')).top
                     - box(document.querySelector('#confirm').closest('.fr-checkbox-group')).bottom};
    }""")
    assert layout["labelLines"] == 1 and layout["hintLines"] <= 2, layout
    assert layout["gap"] >= 16, layout
    assert_accessible(page, "erasure form at 375 px")


def test_an_admin_export_leads_back_to_the_page_with_its_download(page):
    """Refused without a reason, then recorded: the page comes back without the old error, lists the request and
    links its ZIP, which downloads."""
    admin = make_user(roles=[Role.ADMIN], email="admin-export@exemple.gouv.fr")
    subject = make_user()
    browser_login(page, admin.email, PASSWORD)
    page.goto(f"/admin/utilisateurs/{subject.id}/donnees")
    submit = page.get_by_role("button", name="Enregistrer la demande et préparer le ZIP")
    submit.click()
    expect(page.locator("#error-summary")).to_be_visible()
    page.locator("#export-reason").fill("Courriel du 3 mars, identité vérifiée")
    submit.click()
    page.wait_for_url(f"**/admin/utilisateurs/{subject.id}/donnees")
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.get_by_text("Aucune demande enregistrée")).to_have_count(0)
    expect(page.locator("#historique-demandes li")).to_contain_text("Courriel du 3 mars")
    assert_accessible(page, "admin data page after an export")
    with page.expect_download() as download:
        page.locator(".fr-alert--success").get_by_role("link", name="Télécharger le ZIP").click()
    assert download.value.suggested_filename.startswith(f"donnees-{subject.id}-")
