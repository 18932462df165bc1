"""Forum over HTTP: threads and posts through their pages, the unsubscribe link, and page queries that do
not grow with the length of a thread. Who may use each route (a non-member sees nothing of a forum) is in
the access matrix, tests/access_matrix.py."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from freezegun import freeze_time

from beta_training.accounts.models import Role
from beta_training.core.models import OutboxMessage, utcnow
from beta_training.extensions import db
from beta_training.forum import emails, services
from beta_training.forum.models import ForumPost, ForumReadMark, ForumReport, ForumThread
from tests.conftest import login
from tests.factories import make_forum, make_forum_member, make_forum_post, make_forum_thread, make_user


@pytest.fixture
def world(app):
    forum = make_forum()
    other_forum = make_forum()
    users = {
        "author": make_forum_member(forum), "member": make_forum_member(forum),
        "non_member": make_forum_member(other_forum),
        "trainer": make_user(roles=[Role.TRAINER]), "course_lead": make_user(roles=[Role.COURSE_LEAD]),
        "admin": make_user(roles=[Role.ADMIN]),
    }
    thread = make_forum_thread(forum, users["author"], title="Sujet secret du forum")
    reply = make_forum_post(thread, users["author"], body="Réponse de l’auteur")
    return {"forum": forum, "thread": thread, "reply": reply, "users": users}


def _url(template, world):
    return template.format(forum=world["forum"].id, thread=world["thread"].id, post=world["reply"].id,
                           run=world["forum"].course_run_id, category=world["forum"].categories[0].id)


def test_csrf_is_required_on_forum_forms(client, world):
    login(client, world["users"]["member"])
    response = client.post(_url("/forum/{forum}/sujets/{thread}/repondre", world), data={"body": "x"}, csrf=False)
    assert response.status_code == 400


def test_new_thread_with_preview_then_publish(client, world, mailbox):
    forum = world["forum"]
    login(client, world["users"]["member"])
    data = {"category_id": forum.categories[0].id, "kind": "question", "title": "Aide", "body": "**Gras** et <script>x</script>"}
    preview = client.post(f"/forum/{forum.id}/nouveau-sujet", data={**data, "action": "preview"})
    assert preview.status_code == 200 and "<strong>Gras</strong>" in preview.text and "<script>x" not in preview.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumThread)) == 1  # nothing saved yet
    missing = client.post(f"/forum/{forum.id}/nouveau-sujet", data={**data, "title": ""})
    assert missing.status_code == 422 and "Donnez un titre." in missing.text
    published = client.post(f"/forum/{forum.id}/nouveau-sujet", data=data)
    assert published.status_code == 302
    thread = db.session.scalar(sa.select(ForumThread).where(ForumThread.title == "Aide"))
    assert published.headers["Location"] == f"/forum/{forum.id}/sujets/{thread.id}"
    assert mailbox.messages == []  # nothing before the grace period is over
    with freeze_time(utcnow() + timedelta(seconds=client.application.config["FORUM_NOTIFY_GRACE_SECONDS"]),
                     real_asyncio=True):
        assert client.application.test_cli_runner().invoke(args=["forum", "send-notifications"]).exit_code == 0
    lead = world["users"]["course_lead"].email
    [lead_mail] = [m for m in mailbox.wait_for(3) if m["To"] == lead]
    assert lead_mail["Subject"] == "Nouveau sujet : Aide"
    # The raw bytes, as a mail client gets them: parsing would decode an RFC 2047 word and hide the fault.
    [raw] = [r for r in mailbox.raw_messages if f"\r\nTo: {lead}\r\n".encode() in r]
    base = re.escape(client.application.config["BASE_URL"].encode())
    assert re.search(rb"\r\nList-Unsubscribe: <" + base + rb"/forum/desabonnement/[\w.-]+>\r\n", raw)
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


def _unsubscribe_url(client, user, scope):
    with client.application.test_request_context():
        return f"/forum/desabonnement/{emails.unsubscribe_token(user.id, scope)}"


def _follows_forum_page(client, world, user):
    login(client, user)
    return "Ne plus suivre ce forum" in client.get(f"/forum/{world['forum'].id}").text


def test_opening_the_unsubscribe_link_changes_nothing_until_the_button(client, world):
    """Mail scanners open every link: a GET only shows one button, a form with its CSRF token."""
    lead = world["users"]["course_lead"]
    url = _unsubscribe_url(client, lead, f"forum:{world['forum'].id}")
    assert client.get("/forum/desabonnement/pas-un-jeton").status_code == 404
    for _scan in range(2):
        page = client.get(url)  # no login needed
        assert page.status_code == 200 and "l’ensemble de ce forum" in page.text
    forms = BeautifulSoup(page.text, "html.parser").select("main form")
    assert len(forms) == 1 and forms[0]["method"] == "post" and forms[0].select_one("input[name=csrf_token]")
    assert [b.get_text(strip=True) for b in forms[0].select("button")] == ["Confirmer le désabonnement"]
    assert _follows_forum_page(client, world, lead)  # still following
    assert client.post(url, data={}, csrf=False).status_code == 400  # a POST that is neither the form nor RFC 8058
    assert _follows_forum_page(client, world, lead)

    done = client.post(url)  # the button
    assert done.status_code == 200 and "Désabonnement enregistré" in done.text
    assert not _follows_forum_page(client, world, lead)


def test_rfc8058_one_click_post_unsubscribes_without_a_csrf_token(client, world):
    lead = world["users"]["course_lead"]
    url = _unsubscribe_url(client, lead, f"forum:{world['forum'].id}")
    # What a mail client sends: the signed link and this body, no cookie, no CSRF token.
    response = client.post(url, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert response.status_code == 204
    assert not _follows_forum_page(client, world, lead)


def _undo(client, page):
    form = BeautifulSoup(page.text, "html.parser").select_one("main form")
    assert form.select_one("button").get_text(strip=True) == "C’était une erreur : me réabonner"
    return client.post(page.request.path, data={"undo": form.select_one("input[name=undo]")["value"]})


def test_undo_restores_the_previous_choice(client, world):
    member = world["users"]["member"]
    services.set_email_frequency(member.id, "daily")
    db.session.commit()
    url = _unsubscribe_url(client, member, "all")
    page = client.post(url)
    assert "Vous ne recevrez plus aucun courriel du forum." in page.text
    assert services.email_frequency(member.id) == "none"
    assert _undo(client, page).status_code == 302
    assert services.email_frequency(member.id) == "daily"  # the digest she had chosen, not « each message »

    lead = world["users"]["course_lead"]  # staff follow forums by default: undoing follows again
    page = client.post(_unsubscribe_url(client, lead, f"forum:{world['forum'].id}"))
    assert not _follows_forum_page(client, world, lead)
    _undo(client, page)
    assert _follows_forum_page(client, world, lead)


def test_undo_takes_only_its_own_signed_choice(client, world):
    member = world["users"]["member"]
    url = _unsubscribe_url(client, member, "all")
    page = client.post(url)
    with client.application.test_request_context():
        forged = emails.undo_token(member.id + 1, "all", "immediate")  # signed, but for someone else
    for value in ("immediate", forged):
        assert client.post(url, data={"undo": value}).status_code == 400
    assert services.email_frequency(member.id) == "none"
    assert client.post(url, data={"undo": "x"}, csrf=False).status_code == 400  # the way back checks CSRF
    assert _undo(client, page).status_code == 302 and services.email_frequency(member.id) == "immediate"
    client.post(url)
    again = client.post(url)  # already unsubscribed: no way back to offer
    assert "Vous ne receviez déjà plus ces courriels." in again.text and "me réabonner" not in again.text


def test_accepted_answer_is_shown_first(client, world):
    thread, author = world["thread"], world["users"]["author"]
    first = make_forum_post(thread, world["users"]["member"], body="Première réponse")
    best = make_forum_post(thread, world["users"]["course_lead"], body="La bonne réponse")
    login(client, author)
    client.post(f"/forum/{world['forum'].id}/sujets/{thread.id}/accepter/{best.id}")
    text = client.get(f"/forum/{world['forum'].id}/sujets/{thread.id}").text
    assert text.index("La bonne réponse") < text.index("Réponse de l’auteur") < text.index(first.body)
    assert text.count("La bonne réponse") == 1 and "Réponse acceptée" in text


def test_report_goes_to_the_moderation_queue(client, world):
    login(client, world["users"]["member"])
    missing = client.post(f"/forum/messages/{world['reply'].id}/signaler", data={"reason": ""})
    assert missing.status_code == 422
    client.post(f"/forum/messages/{world['reply'].id}/signaler", data={"reason": "Hors charte"})
    assert db.session.scalar(sa.select(ForumReport.reason)) == "Hors charte"
    login(client, world["users"]["course_lead"])
    queue = client.get(f"/forum/{world['forum'].id}/moderation").text
    assert "Hors charte" in queue and "1 signalement" in queue
    client.post(f"/forum/messages/{world['reply'].id}/masquer", data={"reason": "Charte"})
    login(client, world["users"]["member"])
    thread_page = client.get(f"/forum/{world['forum'].id}/sujets/{world['thread'].id}").text
    assert "Réponse de l’auteur" not in thread_page and "masqué par l’équipe" in thread_page


def test_unread_count_in_the_navigation(client, world):
    member = world["users"]["member"]
    login(client, member)
    assert re.search(r"Forums\s*<span class=\"fr-badge[^>]*>1<span class=\"fr-sr-only\"> sujet non lu", client.get("/forum/").text)
    first_visit = client.get(f"/forum/{world['forum'].id}/sujets/{world['thread'].id}").text
    assert first_visit.count(">Nouveau</span>") == 2  # the opening post and the reply, both by someone else
    assert "sujet non lu" not in client.get("/forum/").text
    make_forum_post(world["thread"], world["users"]["course_lead"], body="Un complément")
    assert client.get(f"/forum/{world['forum'].id}/sujets/{world['thread'].id}").text.count(">Nouveau</span>") == 1


def test_a_thread_read_again_writes_nothing_and_a_new_post_moves_the_mark(client, world, count_queries):
    """The read mark only moves forward: a page read again with nothing newer writes nothing (on SQLite, every
    write waits for the one writer); a new post read moves the mark to it."""
    member, thread = world["users"]["member"], world["thread"]
    login(client, member)
    url = f"/forum/{world['forum'].id}/sujets/{thread.id}"
    client.get(url)  # first visit: the mark is written

    def mark_writes(statements):
        return [s for s in statements if "forum_read_marks" in s and s.lstrip().upper().startswith(("INSERT", "UPDATE"))]

    with count_queries() as again:
        assert client.get(url).status_code == 200
    assert mark_writes(again.statements) == []
    newer = make_forum_post(thread, world["users"]["course_lead"], body="Un complément")
    with count_queries() as after_a_post:
        assert client.get(url).status_code == 200
    assert len(mark_writes(after_a_post.statements)) == 1
    assert db.session.scalar(sa.select(ForumReadMark.last_read_post_id).where(
        ForumReadMark.user_id == member.id, ForumReadMark.thread_id == thread.id)) == newer.id


def test_authors_are_read_by_name_without_their_roles(client, count_queries):
    """A page of threads or posts shows its authors' names: their roles are not read (User.roles would read them
    by a query of its own for every page of posts: three on a thread page), nor its forum's categories again."""
    forum = make_forum()
    reader = make_forum_member(forum)
    authors = [make_forum_member(forum) for _ in range(3)]
    thread = make_forum_thread(forum, authors[0], title="Avec des réponses")
    for n in range(6):
        reply = make_forum_post(thread, authors[n % 3], body=f"Réponse {n}")
    make_forum_post(thread, authors[1], body="Un commentaire", parent_id=reply.id)
    login(client, reader)
    for url in (f"/forum/{forum.id}/sujets/{thread.id}", f"/forum/{forum.id}"):
        client.get(url)
        with count_queries() as page:
            assert client.get(url).status_code == 200
        roles = [s for s in page.statements if s.lstrip().upper().startswith("SELECT USER_ROLES")]
        categories = [s for s in page.statements if s.lstrip().upper().startswith("SELECT FORUM_CATEGORIES")]
        assert (roles, len(categories) <= 1) == ([], True), (url, roles, categories)
    page = client.get(f"/forum/{forum.id}/sujets/{thread.id}").text
    assert all(author.full_name in page for author in authors)


def _bulk_replies(thread, authors, count):
    """Plain INSERTs, authors taking turns (so every page shows the same mix of people)."""
    now = utcnow()
    db.session.execute(sa.insert(ForumPost), [
        {"thread_id": thread.id, "author_id": authors[n % len(authors)].id, "body": f"r{n}", "body_html": f"<p>r{n}</p>", "search_text": "",
         "created_at": now, "is_opening": False, "author_is_staff": False, "state": "published", "hidden_reason": ""}
        for n in range(count)])
    thread.reply_count += count
    thread.last_post_id = db.session.scalar(sa.select(sa.func.max(ForumPost.id)))
    db.session.commit()


def test_queries_per_page_do_not_grow_with_the_thread(client, count_queries):
    forum = make_forum()
    reader = make_forum_member(forum)
    authors = [make_forum_member(forum) for _ in range(3)]
    short = make_forum_thread(forum, authors[0], title="Court")
    long = make_forum_thread(forum, authors[0], title="Long")
    for thread, count in ((short, 10), (long, 1000)):
        _bulk_replies(thread, authors, count)
        first_reply = db.session.scalar(sa.select(ForumPost.id).where(ForumPost.thread_id == thread.id, ForumPost.is_opening.is_(False)))
        make_forum_post(thread, authors[1], body="commentaire", parent_id=first_reply)
    login(client, reader)
    counts = {}
    for thread in (short, long):
        url = f"/forum/{forum.id}/sujets/{thread.id}"
        client.get(url)  # first visit writes the read mark
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        counts[thread.title] = queries.count
    assert counts["Court"] == counts["Long"], counts
    pages, long_url = {}, f"/forum/{forum.id}/sujets/{long.id}"  # ids read outside the counted block
    for number in (2, 50):  # a page deep in the thread costs what an early one does
        with count_queries() as page_queries:
            assert client.get(f"{long_url}?page={number}").status_code == 200
        pages[number] = page_queries.count
    assert pages[2] == pages[50]
    forum_url = f"/forum/{forum.id}"
    with count_queries() as listing:
        assert client.get(forum_url).status_code == 200
    for n in range(30):
        make_forum_thread(forum, authors[n % 3], title=f"Sujet {n}")
    client.get(forum_url)  # new threads: the forums' thread counts (unread badge) are read again, once per process
    with count_queries() as longer_listing:
        client.get(forum_url)
    assert longer_listing.count == listing.count


XSS_PAYLOADS = [
    "<script>window.__xss.push('script')</script>",
    "<img src=x onerror=\"window.__xss.push('img')\">",
    "<svg onload=\"window.__xss.push('svg')\">",
    "<svg><script>window.__xss.push('svg-script')</script></svg>",
    "<body onload=\"window.__xss.push('body')\">",
    "<iframe src=\"javascript:window.__xss.push('iframe')\"></iframe>",
    "<iframe srcdoc=\"<script>parent.__xss.push('srcdoc')</script>\"></iframe>",
    "<a href=\"javascript:window.__xss.push('a')\">clic</a>",
    "[clic](javascript:window.__xss.push('md-link'))",
    "[clic](JaVaScRiPt:window.__xss.push('md-link-case'))",
    "[clic](  javascript:window.__xss.push('md-link-space'))",
    "[clic](&#106;avascript:window.__xss.push('md-entity'))",
    "[clic](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX194c3MucHVzaCgnZGF0YScpPC9zY3JpcHQ+)",
    "[clic](vbscript:msgbox(1))",
    "![x](javascript:window.__xss.push('md-img'))",
    "![x](x \"onerror=window.__xss.push('md-img-title')\")",
    "<details open ontoggle=\"window.__xss.push('details')\">",
    "<input autofocus onfocus=\"window.__xss.push('input')\">",
    "<select autofocus onfocus=\"window.__xss.push('select')\"></select>",
    "<textarea autofocus onfocus=\"window.__xss.push('textarea')\"></textarea>",
    "<video><source onerror=\"window.__xss.push('video')\"></video>",
    "<audio src=x onerror=\"window.__xss.push('audio')\"></audio>",
    "<object data=\"javascript:window.__xss.push('object')\"></object>",
    "<embed src=\"javascript:window.__xss.push('embed')\">",
    "<form action=\"javascript:window.__xss.push('form')\"><button>x</button></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss.push('mxss')\"></style></mglyph></table></mtext></math>",
    "<style>@import 'javascript:window.__xss.push(1)';</style>",
    "<link rel=stylesheet href=\"javascript:window.__xss.push('link')\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__xss.push('meta')\">",
    "<base href=\"javascript:window.__xss.push('base')//\">",
    "<div style=\"background:url(javascript:window.__xss.push('style'))\">x</div>",
    "<marquee onstart=\"window.__xss.push('marquee')\">x</marquee>",
    "<isindex type=image src=1 onerror=\"window.__xss.push('isindex')\">",
    "<table background=\"javascript:window.__xss.push('table')\"></table>",
    "<a href=\"  &#14;  javascript:window.__xss.push('ctrl')\">x</a>",
    "<scr<script>ipt>window.__xss.push('nested')</scr</script>ipt>",
    "<<script>script>window.__xss.push('double')<</script>/script>",
    "<script src=\"data:text/javascript,window.__xss.push('src')\"></script>",
    "`<script>window.__xss.push('code')</script>`",
    "    <script>window.__xss.push('indented-code')</script>",
    "<p title=\"</p><script>window.__xss.push('attr-break')</script>\">x</p>",
    "\"><script>window.__xss.push('quote-break')</script>",
    "'><img src=x onerror=window.__xss.push('single-quote')>",
    "<img src=\"x\" onerror=\"window.__xss.push('img2')\" />",
    "<img src=x:alert(1) onerror=eval(src)>",
    "<svg><animate onbegin=\"window.__xss.push('animate')\" attributeName=x dur=1s>",
    "<svg><a xlink:href=\"javascript:window.__xss.push('xlink')\"><text x=20 y=20>x</text></a></svg>",
    "<keygen autofocus onfocus=\"window.__xss.push('keygen')\">",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__xss.push('noscript')>\"></noscript>",
    "<template><script>window.__xss.push('template')</script></template>",
    "<a href=\"https://example.org\" onclick=\"window.__xss.push('onclick')\">lien</a>",
    "[lien](https://example.org \"\\\" onmouseover=window.__xss.push('md-title')\")",
    "<![CDATA[<script>window.__xss.push('cdata')</script>]]>",
    "<!--<script>window.__xss.push('comment')</script>-->",
    "@<script>window.__xss.push('mention')</script>",
]


@pytest.mark.parametrize("config_overrides", [{"FORUM_POST_LIMIT": 1000}])
def test_the_corpus_leaves_no_active_markup(client, world):
    assert len(XSS_PAYLOADS) >= 50
    login(client, world["users"]["member"])
    for payload in XSS_PAYLOADS:
        client.post(_url("/forum/{forum}/sujets/{thread}/repondre", world), data={"body": payload})
    from bs4 import BeautifulSoup

    bodies = db.session.scalars(sa.select(ForumPost.body_html).where(ForumPost.author_id == world["users"]["member"].id)).all()
    assert len(bodies) == len(XSS_PAYLOADS)
    for html in bodies:
        soup = BeautifulSoup(html, "html.parser")
        assert not soup.find_all(["script", "iframe", "object", "embed", "style", "svg", "img", "form", "input", "base", "meta", "link"])
        for tag in soup.find_all(True):
            assert not [name for name in tag.attrs if name.lower().startswith("on") or name == "style"], html
            if tag.name == "a":
                assert tag["href"].startswith(("http://", "https://", "mailto:")) if tag.get("href") else True
                assert tag.get("rel") and "nofollow" in tag["rel"] and "noopener" in tag["rel"]



def test_the_rate_limit_answers_with_a_message(client, world, app):
    app.config["FORUM_POST_LIMIT"] = 2
    login(client, world["users"]["member"])
    url = _url("/forum/{forum}/sujets/{thread}/repondre", world)
    assert client.post(url, data={"body": "1"}).status_code == 302
    assert client.post(url, data={"body": "2"}).status_code == 302
    refused = client.post(url, data={"body": "3 : texte gardé"})
    assert refused.status_code == 422 and "attendez un peu" in refused.text and "3 : texte gardé" in refused.text


def test_drafts_are_kept_while_typing_given_back_and_dropped_once_published(client, world):
    forum, thread = world["forum"], world["thread"]
    member = world["users"]["member"]
    login(client, member)
    new_thread_draft = f"/forum/{forum.id}/nouveau-sujet/brouillon"
    saved = client.post(new_thread_draft, data={"title": "Idée en cours", "body": "Premier jet", "kind": "discussion",
                                                "category_id": forum.categories[1].id})
    assert saved.status_code == 200 and saved.json["saved"] is True
    assert client.post(new_thread_draft, data={"body": "x"}, csrf=False).status_code == 400
    page = client.get(f"/forum/{forum.id}/nouveau-sujet").text
    assert "Votre brouillon du" in page and 'value="Idée en cours"' in page and "Premier jet</textarea>" in page
    client.post(f"/forum/{forum.id}/nouveau-sujet", data={"title": "Idée en cours", "body": "Version finale",
                                                          "kind": "discussion", "category_id": forum.categories[1].id})
    assert "Votre brouillon du" not in client.get(f"/forum/{forum.id}/nouveau-sujet").text

    reply_draft = f"/forum/{forum.id}/sujets/{thread.id}/brouillon"
    assert client.post(reply_draft, data={"body": "Je réponds bient"}).json["saved"] is True
    assert "Je réponds bient</textarea>" in client.get(f"/forum/{forum.id}/sujets/{thread.id}").text
    client.post(f"/forum/{forum.id}/sujets/{thread.id}/repondre", data={"body": "Je réponds bientôt."})
    assert "Je réponds bient</textarea>" not in client.get(f"/forum/{forum.id}/sujets/{thread.id}").text

    login(client, world["users"]["non_member"])
    assert client.post(reply_draft, data={"body": "intrus"}).status_code == 404
    assert client.post(new_thread_draft, data={"body": "intrus"}).status_code == 404


def test_a_double_click_publishes_once(client, world):
    forum, thread = world["forum"], world["thread"]
    login(client, world["users"]["member"])
    page = client.get(f"/forum/{forum.id}/sujets/{thread.id}").text
    key = re.search(r'id="submission_key" name="submission_key" type="hidden" value="(\w+)"', page).group(1)
    url = f"/forum/{forum.id}/sujets/{thread.id}/repondre"
    first = client.post(url, data={"body": "Une seule fois", "submission_key": key})
    second = client.post(url, data={"body": "Une seule fois", "submission_key": key})
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumPost).where(ForumPost.body == "Une seule fois")) == 1
    # A new form with other words: a new post (the same words again: see test_second_tab).
    client.post(url, data={"body": "Une seule fois, encore", "submission_key": "autre"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumPost).where(ForumPost.body.startswith("Une seule fois"))) == 2
    data = {"category_id": forum.categories[0].id, "kind": "question", "title": "Doublon ?", "body": "B", "submission_key": "k1"}
    client.post(f"/forum/{forum.id}/nouveau-sujet", data=data)
    client.post(f"/forum/{forum.id}/nouveau-sujet", data=data)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumThread).where(ForumThread.title == "Doublon ?")) == 1


def test_simultaneous_clicks_publish_once(app, world):
    """Two requests with the same key at the same instant: the thread row is locked, the second one finds
    the first one's post instead of writing another."""
    import threading

    forum, thread, member = world["forum"], world["thread"], world["users"]["member"]
    url = f"/forum/{forum.id}/sujets/{thread.id}/repondre"
    barrier, statuses = threading.Barrier(4), []
    member_login = member.get_id()

    def click():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = member_login
        token = client.get(url.replace("/repondre", "")).text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token).group(1)
        barrier.wait(timeout=30)
        response = client.post(url, data={"body": "Clic clic clic clic", "submission_key": "same", "csrf_token": csrf})
        statuses.append((response.status_code, response.headers.get("Location")))

    workers = [threading.Thread(target=click) for _ in range(4)]
    db.session.commit()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    db.session.commit()
    assert len(statuses) == 4 and {status for status, _ in statuses} == {302} and len({loc for _, loc in statuses}) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumPost).where(ForumPost.body == "Clic clic clic clic")) == 1


def test_simultaneous_first_visits_create_one_forum(app):
    import threading

    from beta_training.forum.models import Forum
    from tests.factories import make_enrolment, make_mooc

    _course, run = make_mooc(sequences=(1,), kinds=("text",))
    learners = [make_user() for _ in range(4)]
    for learner in learners:
        make_enrolment(run, learner)
    logins, barrier, locations = [u.get_id() for u in learners], threading.Barrier(4), []
    run_id = run.id

    def visit(user_login):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_login
        barrier.wait(timeout=30)
        response = client.get(f"/forum/mooc/{run_id}")
        locations.append((response.status_code, response.headers.get("Location")))

    workers = [threading.Thread(target=visit, args=(login_id,)) for login_id in logins]
    db.session.commit()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    db.session.commit()
    assert len(locations) == 4 and {status for status, _ in locations} == {302} and len({loc for _, loc in locations}) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Forum)) == 1


def test_a_move_the_post_no_longer_allows_is_refused_with_a_message(client, world):
    """Hiding a post deleted meanwhile (another tab, another moderator): nothing changes, the author is not
    emailed, the moderator is told why instead of a 500."""
    reply = world["reply"]
    login(client, world["users"]["author"])
    client.post(f"/forum/messages/{reply.id}/supprimer")
    login(client, world["users"]["course_lead"])
    response = client.post(f"/forum/messages/{reply.id}/masquer", data={"reason": "Charte"}, follow_redirects=True)
    assert response.status_code == 200 and "Action impossible dans l’état actuel" in response.text
    assert db.session.get(ForumPost, reply.id).state == "deleted"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_every_form_of_a_thread_carries_the_pages_csrf_token(client):
    """The posts' forms write their CSRF field themselves (templates/forum/_macros.html): the same field, with
    the token the page's other forms carry, which the server accepts."""
    forum = make_forum()
    author, moderator = make_forum_member(forum), make_user(roles=[Role.COURSE_LEAD])
    thread = make_forum_thread(forum, author)
    reply = make_forum_post(thread, author, body="Une réponse")
    login(client, moderator)  # staff: every form of a post (accept, delete, hide, comment)
    page = client.get(f"/forum/{forum.id}/sujets/{thread.id}").text
    soup = BeautifulSoup(page, "html.parser")
    expected = soup.find("meta", attrs={"name": "csrf-token"})["content"]
    fields = soup.select("article form input[name=csrf_token]")
    assert len(fields) >= 4
    assert {(field.get("id"), field.get("type"), field.get("value")) for field in fields} == {("csrf_token", "hidden", expected)}
    response = client.post(f"/forum/{forum.id}/sujets/{thread.id}/repondre", csrf=False,
                           data={"csrf_token": fields[-1]["value"], "parent_id": str(reply.id), "body": "Un commentaire",
                                 "submission_key": "cle-1"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(ForumPost.body).where(ForumPost.parent_id == reply.id)) == "Un commentaire"
