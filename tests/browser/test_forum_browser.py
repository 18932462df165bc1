"""Forum in Chromium: a learner asks the course lead, the question waits under « Sans réponse de l'équipe »,
the lead answers, the learner is emailed over SMTP and accepts the answer, which takes the thread out of the
filter. A corpus of XSS payloads, rendered with the Content-Security-Policy bypassed, runs nothing. Axe on
every forum page."""

import re

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.extensions import db
from beta_training.forum import services
from beta_training.forum.models import ForumPost, ForumThread
from tests.a11y import assert_accessible
from tests.conftest import browser_login, tick
from tests.factories import PASSWORD, make_enrolment, make_mooc, make_user
from tests.forum.test_views import XSS_PAYLOADS

pytestmark = pytest.mark.browser


def _logout(page):
    page.goto("/compte/")
    page.get_by_role("button", name="Se déconnecter").first.click()


def _thread_titles(page):
    return [t.strip() for t in page.locator("#threads h3").all_inner_texts()] if page.locator("#threads").count() else []


@pytest.mark.parametrize("config_overrides", [{"FORUM_NOTIFY_GRACE_SECONDS": 0}])  # no waiting for the cron here
def test_learner_asks_the_lead_gets_the_answer_by_email_and_accepts_it(app, page, mailbox):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    learner = make_user(email="apprenante@example.gouv.fr", first_name="Awa", last_name="Diallo")
    make_enrolment(run, learner)
    make_user(email="responsable@example.gouv.fr", first_name="Claire", last_name="Responsable", roles=[Role.COURSE_LEAD])
    title = "Comment convaincre mon sponsor ?"

    browser_login(page, "apprenante@example.gouv.fr", PASSWORD)
    page.goto(f"/forum/mooc/{run.id}")
    page.get_by_role("link", name="Nouveau sujet").click()
    page.get_by_label("Catégorie").select_option(label="Questions à la responsable de la formation")
    tick(page.get_by_label("Question", exact=True))
    page.get_by_label("Titre").fill(title)
    page.get_by_label(re.compile("^Message")).fill("Mon sponsor hésite : **que lui montrer** en premier ?")
    page.get_by_role("button", name="Prévisualiser").click()
    page.get_by_role("heading", name="Aperçu").wait_for()
    assert page.locator(".fr-callout strong").inner_text() == "que lui montrer"
    page.get_by_role("button", name="Publier").first.click()
    page.get_by_role("heading", name=title).wait_for()

    page.get_by_role("link", name=page.locator("nav.fr-breadcrumb a").nth(1).inner_text()).click()
    page.get_by_role("link", name="Sans réponse de l’équipe").click()
    assert _thread_titles(page) == [title]
    _logout(page)

    browser_login(page, "responsable@example.gouv.fr", PASSWORD)
    page.goto(f"/forum/mooc/{run.id}")
    page.get_by_text("1 question à la responsable attend une réponse de l’équipe.").wait_for()
    page.get_by_role("link", name=title).click()
    page.get_by_label("Votre réponse").fill("Montrez-lui un premier usager servi, même à la main.")
    page.get_by_role("button", name="Publier la réponse").click()
    page.get_by_text("Montrez-lui un premier usager servi").wait_for()
    assert page.locator(".fr-badge", has_text="Équipe").count() == 1
    _logout(page)

    db.session.commit()  # the command shares this test's session: end its read (a cron run starts afresh)
    assert app.test_cli_runner().invoke(args=["forum", "send-notifications"]).output == "forum notifications: 2\n"
    [email] = [m for m in mailbox.wait_for(2) if m["To"] == "apprenante@example.gouv.fr"]
    assert email["Subject"] == f"Nouvelle réponse : {title}"
    text = email.get_body(("plain",)).get_content()
    assert "Montrez-lui un premier usager servi" in text and "/forum/desabonnement/" in text

    browser_login(page, "apprenante@example.gouv.fr", PASSWORD)
    link = re.search(r"http://\S+/forum/\d+/sujets/\d+#message-\d+", text).group(0)  # on BASE_URL (cron)
    page.goto(re.sub(r"^http://[^/]+", "", link))
    page.get_by_role("button", name=re.compile("^Accepter cette réponse")).click()
    page.get_by_text("Réponse acceptée : elle s’affiche en tête du sujet.").wait_for()
    assert page.locator(".bt-post--accepted").inner_text().count("Montrez-lui") == 1
    page.goto(f"/forum/{db.session.scalar(sa.select(ForumThread.forum_id))}?filtre=sans-reponse-equipe")
    assert _thread_titles(page) == []


@pytest.mark.parametrize("config_overrides", [{"FORUM_POST_LIMIT": 1000}])
def test_xss_corpus_runs_nothing_in_chromium(browser, live_server, app):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    author = make_user(email="xss@example.gouv.fr")
    make_enrolment(run, author)
    with app.test_request_context():
        forum = services.forum_for_run(run)
        rules = services.PostingRules(max_posts=1000)
        thread = services.start_thread(forum, author, category_id=forum.categories[0].id, kind="discussion",
                                       title="<img src=x onerror=window.__xss.push('title')>", body=XSS_PAYLOADS[0], rules=rules)
        for payload in XSS_PAYLOADS[1:]:
            services.reply(thread, author, body=payload, rules=rules)
        db.session.commit()
        forum_id, thread_id = forum.id, thread.id
        last_post = db.session.scalar(sa.select(sa.func.max(ForumPost.id)))
    pages = (len(XSS_PAYLOADS) + 19) // 20
    # The CSP would block inline scripts anyway: bypass it, so only the sanitiser stands in the way.
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", bypass_csp=True)
    context.add_init_script("window.__xss = []; for (const f of ['alert', 'confirm', 'prompt']) "
                            "{ window[f] = (...a) => window.__xss.push(f); }")
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        browser_login(page, "xss@example.gouv.fr", PASSWORD)
        urls = [f"/forum/{forum_id}/sujets/{thread_id}?page={n}" for n in range(1, pages + 1)] + [
            f"/forum/{forum_id}", f"/forum/{forum_id}/recherche?q=script+window", f"/forum/messages/{last_post}/modifier"]
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("load")
            for link in page.locator(".bt-post__body a").all()[:20]:  # links are inert too
                link.hover()
            assert page.evaluate("window.__xss") == [], url
            active = page.evaluate("""() => [...document.querySelectorAll('.bt-post__body *, #threads *, main h1')]
                .filter(e => ['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'IMG', 'STYLE', 'FORM', 'BASE', 'META'].includes(e.tagName.toUpperCase())
                          || [...e.attributes].some(a => a.name.startsWith('on') || a.name === 'style' || /^\\s*(javascript|data|vbscript):/i.test(a.value)))
                .map(e => e.outerHTML)""")
            assert active == [], (url, active)
        assert dialogs == []
        assert page.locator("main h1").first.inner_text() == "Modifier un message"
    finally:
        context.close()


def test_axe_on_every_forum_page(page):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    learner = make_user(email="a11y-forum@example.gouv.fr")
    peer = make_user(email="a11y-peer@example.gouv.fr")
    for user in (learner, peer):
        make_enrolment(run, user)
    lead = make_user(email="a11y-forum-lead@example.gouv.fr", roles=[Role.COURSE_LEAD])
    from flask import current_app

    with current_app.test_request_context():
        forum = services.forum_for_run(run)
        thread = services.start_thread(forum, learner, category_id=forum.categories[0].id, kind="question",
                                       title="Une question d’usager", body="Quelle **première** étape ?")
        answer = services.reply(thread, lead, body="Rencontrer des usagers.")
        services.reply(thread, learner, body="Merci !", parent_id=answer.id)
        services.accept_answer(thread, learner, answer)
        rude = services.reply(thread, peer, body="Message discutable")
        services.report_post(rude, learner, "Hors charte")
        services.edit_post(queries_opening := db.session.scalar(sa.select(ForumPost).where(ForumPost.is_opening.is_(True))),
                           learner, body="Quelle **première** étape, concrètement ?")
        db.session.commit()
        forum_id, thread_id, rude_id, opening_id = forum.id, thread.id, rude.id, queries_opening.id
        from beta_training.forum.emails import unsubscribe_token

        token = unsubscribe_token(learner.id, f"thread:{thread_id}")

    browser_login(page, "a11y-forum@example.gouv.fr", PASSWORD)
    for url in ["/forum/", f"/forum/{forum_id}", f"/forum/{forum_id}?filtre=non-lus", f"/forum/{forum_id}/sujets/{thread_id}",
                f"/forum/{forum_id}/recherche?q=usagers", f"/forum/{forum_id}/recherche?q=introuvable",
                f"/forum/messages/{opening_id}/modifier", f"/forum/messages/{opening_id}/historique",
                f"/forum/messages/{rude_id}/signaler", "/forum/preferences", f"/forum/desabonnement/{token}"]:
        page.goto(url)
        assert_accessible(page, url)
    page.goto(f"/forum/desabonnement/{token}")
    page.get_by_role("button", name="Confirmer le désabonnement").click()
    page.get_by_role("heading", name="Désabonnement enregistré").wait_for()
    assert_accessible(page, "unsubscribed, with the way back")
    page.get_by_role("button", name="C’était une erreur : me réabonner").click()
    page.get_by_text("C’est noté : vous recevez de nouveau ces courriels.").wait_for()
    page.goto(f"/forum/{forum_id}/nouveau-sujet")
    page.get_by_role("button", name="Publier").click()
    page.get_by_text("Donnez un titre.").first.wait_for()
    assert_accessible(page, "new thread (errors)")
    page.goto(f"/forum/{forum_id}/sujets/{thread_id}")
    page.get_by_label("Votre réponse").fill("Un *aperçu*")
    page.get_by_role("button", name="Prévisualiser").click()
    page.get_by_role("heading", name="Aperçu").wait_for()
    assert_accessible(page, "reply preview")
    _logout(page)

    browser_login(page, "a11y-forum-lead@example.gouv.fr", PASSWORD)
    for url in [f"/forum/{forum_id}/moderation", f"/forum/{forum_id}/sujets/{thread_id}",
                f"/forum/{forum_id}/sujets/{thread_id}/verrouiller"]:
        page.goto(url)
        assert_accessible(page, url)
    page.get_by_role("button", name="Confirmer").click()
    page.get_by_text("Indiquez la raison.").first.wait_for()
    assert_accessible(page, "lock (errors)")
    # Keyboard only: reach the reason, type it, submit with Enter on the button.
    page.get_by_label(re.compile("^Raison")).focus()
    page.keyboard.type("Pause de 24 heures.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Sujet verrouillé : plus de réponses pour le moment.").wait_for()
    assert_accessible(page, "locked thread")


def test_a_reply_being_written_survives_a_reload(page):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    learner = make_user(email="brouillon@example.gouv.fr")
    make_enrolment(run, learner)
    from flask import current_app

    with current_app.test_request_context():
        forum = services.forum_for_run(run)
        thread = services.start_thread(forum, learner, category_id=forum.categories[1].id, kind="discussion",
                                       title="Un long retour d’expérience", body="Je commence.")
        db.session.commit()
        url = f"/forum/{forum.id}/sujets/{thread.id}"
    browser_login(page, "brouillon@example.gouv.fr", PASSWORD)
    page.goto(url)
    page.get_by_label("Votre réponse").fill("Trois semaines au guichet m’ont appris")
    page.get_by_text("Brouillon enregistré automatiquement").wait_for()
    page.reload()
    assert page.get_by_label("Votre réponse").input_value() == "Trois semaines au guichet m’ont appris"
    page.get_by_role("button", name="Publier la réponse").click()
    page.get_by_text("Trois semaines au guichet m’ont appris").first.wait_for()
    assert page.get_by_label("Votre réponse").input_value() == ""
