"""Forum pages. A person who is neither a member of a forum nor staff gets 404 on everything in it: they
see nothing of it, not even that a thread exists."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from beta_training.cohorts.models import Cohort
from beta_training.core import db as core_db
from beta_training.core.actions import authorise, confirmed_action
from beta_training.core.errors import json_endpoint, json_error
from beta_training.core.forms import ConfirmForm, choices, new_submission_key
from beta_training.core.markdown import render_markdown
from beta_training.core.states import InvalidTransition
from beta_training.courses.models import CourseRun
from beta_training.extensions import csrf, db
from beta_training.forum import emails, queries, services
from beta_training.forum import search as search_text
from beta_training.forum.forms import (
    CommentForm,
    DraftForm,
    EditPostForm,
    PreferencesForm,
    ReasonForm,
    ReplyForm,
    ReportForm,
    ThreadForm,
    UnsubscribeForm,
)
from beta_training.forum.membership import is_staff
from beta_training.forum.models import REPORT_GONE, Forum, ForumPost, ForumThread, ThreadState, draft_target

bp = Blueprint("forum", __name__, url_prefix="/forum")


def _rules() -> services.PostingRules:
    return services.PostingRules.from_config(current_app.config)


def _forum_or_404(forum_id: int) -> Forum:
    forum = db.get_or_404(Forum, forum_id)
    if not forum.can_view(current_user):
        abort(404)
    return forum


def _thread_or_404(forum_id: int, thread_id: int) -> ForumThread:
    thread = queries.get_thread(thread_id)
    if thread is None or thread.forum_id != forum_id or not thread.can_view(current_user):
        abort(404)
    return thread


def _post_or_404(post_id: int) -> ForumPost:
    post = db.get_or_404(ForumPost, post_id)
    if not post.thread.can_view(current_user) or (post.is_held and not post.can_read_body(current_user)):
        abort(404)
    return post


# What a forum service refuses: its own reasons (ForumError, already in words for the person) and a move the
# post's state no longer allows (a second click, another moderator first).
REFUSALS = (services.ForumError, InvalidTransition)


def _confirmed(allowed, act, *, to: str, done: str | None = None):
    """A button that changes something: the house sequence of core.actions, with the forum's refusals."""
    return confirmed_action(allowed, act, to=to, done=done, refusals=REFUSALS)


def _with_reason(allowed, form, act, *, to: str, done: str, back: str | None = None, **page):
    """A change that needs a reason: GET shows the form (forum/reason_form.html, with `page`; « Annuler » leads
    to `back`, by default `to`), a valid POST goes the confirmed way with `act(reason)`, an invalid one shows
    the form again with its errors."""
    if not allowed():
        abort(403)
    if form.validate_on_submit():
        return confirmed_action(allowed, lambda: act(form.reason.data), to=to, done=done, refusals=REFUSALS, form=form)
    return render_template("forum/reason_form.html", form=form, back=back or to, **page), 422 if form.errors else 200


def _thread_url(thread: ForumThread, post: ForumPost | None = None, **args) -> str:
    anchor = {"_anchor": f"message-{post.id}"} if post is not None else {}
    return url_for("forum.show_thread", forum_id=thread.forum_id, thread_id=thread.id, **args, **anchor)


# --- Forums ---------------------------------------------------------------------------------------------


@bp.get("/")
@login_required
def list_forums():
    return render_template("forum/list_forums.html", forums=queries.forums_for(current_user))


@bp.get("/mooc/<int:run_id>")
@login_required
def run_forum(run_id):
    run = db.get_or_404(CourseRun, run_id)
    forum = queries.forum_of_run(run_id)
    if forum is None or not queries.has_every_sequence_category(forum, run):
        forum = services.forum_for_run(run)
    return _enter(forum)


@bp.get("/alpha/<int:cohort_id>")
@login_required
def cohort_forum(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    forum = queries.forum_of_cohort(cohort_id)
    if forum is None:
        forum = services.forum_for_cohort(cohort)
    return _enter(forum)


def _enter(forum: Forum):
    if not forum.can_view(current_user):
        core_db.rollback()
        abort(404)
    forum_id = forum.id
    core_db.commit()
    return redirect(url_for("forum.show_forum", forum_id=forum_id))


@bp.get("/<int:forum_id>")
@login_required
def show_forum(forum_id):
    forum = _forum_or_404(forum_id)
    category_id = request.args.get("categorie", type=int)
    category = forum.category(category_id) if category_id else None
    filter_name = request.args.get("filtre") if request.args.get("filtre") in queries.FILTERS else None
    threads = queries.list_threads(forum, current_user, category_id=category.id if category else None,
                                   filter_name=filter_name)
    return render_template(
        "forum/show_forum.html", forum=forum, threads=threads, category=category, filter_name=filter_name,
        staff=is_staff(current_user), follows=queries.follows_forum(current_user, forum), form=ConfirmForm(),
        lead_waiting=queries.lead_questions_waiting(forum),
        moderation_count=queries.moderation_count(forum) if forum.can_moderate(current_user) else 0,
    )


@bp.post("/<int:forum_id>/suivre")
@login_required
def follow_forum(forum_id):
    forum = _forum_or_404(forum_id)
    follow = request.form.get("suivre") == "1"
    return _confirmed(lambda: forum.can_view(current_user), lambda: services.follow_forum(current_user, forum, follow),
                      to=url_for("forum.show_forum", forum_id=forum.id),
                      done=_("Vous suivez ce forum : chaque nouveau message vous sera signalé selon vos préférences.")
                      if follow else _("Vous ne suivez plus ce forum."))


@bp.route("/<int:forum_id>/nouveau-sujet", methods=["GET", "POST"])
@login_required
def new_thread(forum_id):
    forum = _forum_or_404(forum_id)
    form = ThreadForm(category_id=request.args.get("categorie", type=int))
    form.category_id.choices = choices([(c.id, c.title) for c in forum.categories])
    if not is_staff(current_user):
        del form.announcement
    form.submission_key.data = form.submission_key.data or new_submission_key()
    draft = queries.draft(current_user, draft_target(forum=forum))
    if draft is not None and request.method == "GET":
        form.title.data, form.body.data, form.kind.data = draft.title, draft.body, draft.kind or form.kind.data
        form.category_id.data = draft.category_id or form.category_id.data
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = render_markdown(form.body.data)
        else:
            try:
                thread = services.start_thread(
                    forum, current_user, category_id=form.category_id.data, kind=form.kind.data, title=form.title.data,
                    body=form.body.data, announcement=bool(form.announcement.data) if "announcement" in form else False,
                    rules=_rules(), submission_key=form.submission_key.data or None)
            except services.AlreadyPublished as already:  # sent again from a tab opened before: led to it
                core_db.rollback()
                flash(str(already), "info")
                return redirect(_thread_url(already.post.thread))
            except services.ForumError as error:
                form.body.errors.append(str(error))
            else:
                core_db.commit()
                flash(_("Votre message attend la validation de l’équipe : il sera visible ensuite.") if thread.is_held
                      else _("Sujet publié."), "info" if thread.is_held else "success")
                return redirect(_thread_url(thread))
    return render_template("forum/new_thread.html", forum=forum, form=form, preview=preview,
                           draft=draft), 422 if form.errors else 200


def _save_draft(target: str, forum: Forum | None = None):
    """Autosave while typing (JSON): nothing is published, only kept for later."""
    form = DraftForm()
    if not form.validate_on_submit():
        return json_error(422, "too_long", _("Le brouillon n’a pas pu être enregistré : le texte est trop long."), saved=False)
    # Only a category of this forum is kept (a stale or crafted id would break the draft's foreign key).
    category_id = form.category_id.data if forum is not None and forum.category(form.category_id.data) else None
    draft = services.save_draft(current_user, target, body=form.body.data or "", title=form.title.data or "",
                                category_id=category_id, kind=form.kind.data or "", rules=_rules())
    core_db.commit()
    return jsonify(saved=True, saved_at=format_datetime(draft.updated_at, "HH'h'mm"))


@bp.post("/<int:forum_id>/nouveau-sujet/brouillon")
@json_endpoint
@login_required
def autosave_thread_draft(forum_id):
    forum = _forum_or_404(forum_id)
    return _save_draft(draft_target(forum=forum), forum)


@bp.post("/<int:forum_id>/sujets/<int:thread_id>/brouillon")
@json_endpoint
@login_required
def autosave_reply_draft(forum_id, thread_id):
    thread = _thread_or_404(forum_id, thread_id)
    if not thread.can_reply(current_user):
        # A member's draft on a thread locked or closed since her page was shown: a state, not a right (409).
        return json_error(409, "thread_closed", _("Ce sujet n’accepte plus de réponses : votre texte n’a pas été enregistré."))
    return _save_draft(draft_target(thread=thread))


@bp.get("/<int:forum_id>/recherche")
@login_required
def search(forum_id):
    forum = _forum_or_404(forum_id)
    text = (request.args.get("q") or "").strip()[:200]
    results = queries.search_posts(forum, current_user, text) if text else None
    return render_template("forum/search.html", forum=forum, text=text, results=results, highlight=search_text.highlight)


# --- A thread -------------------------------------------------------------------------------------------


@bp.get("/<int:forum_id>/sujets/<int:thread_id>")
@login_required
def show_thread(forum_id, thread_id):
    thread = _thread_or_404(forum_id, thread_id)
    opening = queries.opening_post(thread)
    accepted = db.session.get(ForumPost, thread.accepted_post_id) if thread.accepted_post_id else None
    replies = queries.thread_replies(thread, current_user)
    shown = ([accepted] if accepted else []) + list(replies.items)
    comments = queries.comments_of([post.id for post in shown], current_user)
    last_read = queries.read_mark(current_user, thread)
    seen = [opening.id] + [p.id for p in shown] + [c.id for group in comments.values() for c in group]
    draft = queries.draft(current_user, draft_target(thread=thread))
    reply_form = ReplyForm(body=draft.body if draft else None, submission_key=new_submission_key())
    page = render_template(
        "forum/show_thread.html", forum=thread.forum, thread=thread, opening=opening, accepted=accepted,
        replies=replies, comments=comments, last_read=last_read, reply_form=reply_form, form=ConfirmForm(), draft=draft,
        follows=queries.follows_thread(current_user, thread), staff=is_staff(current_user),
    )
    # Marked read once rendered (committing before would expire every post the template reads), in a
    # transaction of its own that starts with its write: concurrent readers then queue instead of failing.
    # The mark only moves forward: a page read again, with nothing newer than the mark read above, writes
    # nothing (on SQLite every write waits for the one writer; a mark moved further meanwhile stays ahead).
    if max(seen) > last_read:
        reader_id, thread_id = current_user.id, thread.id
        core_db.commit()
        services.mark_read(reader_id, thread_id, max(seen))
        core_db.commit()
    return page


@bp.post("/<int:forum_id>/sujets/<int:thread_id>/repondre")
@login_required
def post_reply(forum_id, thread_id):
    thread = _thread_or_404(forum_id, thread_id)
    is_comment = bool(request.form.get("parent_id"))
    form = CommentForm() if is_comment else ReplyForm()
    if form.validate_on_submit() and request.form.get("action") != "preview":
        try:
            post = services.reply(thread, current_user, body=form.body.data,
                                  parent_id=int(form.parent_id.data) if is_comment else None, rules=_rules(),
                                  submission_key=form.submission_key.data or None)  # "" is no key
        except services.AlreadyPublished as already:  # sent again from a tab opened before: led to it
            core_db.rollback()
            flash(str(already), "info")
            post = already.post
        except services.ForumError as error:
            form.body.errors.append(str(error))
        else:
            core_db.commit()
            if post.is_held:
                flash(_("Votre message attend la validation de l’équipe : il sera visible ensuite."), "info")
        if not form.errors:
            last_page = max(queries.thread_replies(thread, current_user).pages, 1)
            return redirect(_thread_url(thread, post, page=last_page))
    # Preview, or errors: the reply form on its own page, text kept.
    preview = render_markdown(form.body.data) if not form.errors and form.body.data else None
    return render_template("forum/reply.html", forum=thread.forum, thread=thread, form=form, preview=preview,
                           is_comment=is_comment), 422 if form.errors else 200


@bp.post("/<int:forum_id>/sujets/<int:thread_id>/suivre")
@login_required
def follow_thread(forum_id, thread_id):
    thread = _thread_or_404(forum_id, thread_id)
    follow = request.form.get("suivre") == "1"
    return _confirmed(lambda: thread.can_view(current_user), lambda: services.follow_thread(current_user, thread, follow),
                      to=_thread_url(thread), done=_("Vous suivez ce sujet.") if follow else _("Vous ne suivez plus ce sujet."))


@bp.post("/<int:forum_id>/sujets/<int:thread_id>/accepter/<int:post_id>")
@login_required
def accept_answer(forum_id, thread_id, post_id):
    thread = _thread_or_404(forum_id, thread_id)
    post = _post_or_404(post_id)
    return _confirmed(lambda: thread.can_accept(current_user), lambda: services.accept_answer(thread, current_user, post),
                      to=_thread_url(thread), done=_("Réponse acceptée : elle s’affiche en tête du sujet."))


@bp.post("/<int:forum_id>/sujets/<int:thread_id>/retirer-acceptation")
@login_required
def withdraw_acceptance(forum_id, thread_id):
    thread = _thread_or_404(forum_id, thread_id)
    return _confirmed(lambda: thread.can_accept(current_user), lambda: services.withdraw_acceptance(thread, current_user),
                      to=_thread_url(thread), done=_("La réponse n’est plus marquée comme acceptée."))


@bp.post("/<int:forum_id>/sujets/<int:thread_id>/epingler")
@login_required
def pin_thread(forum_id, thread_id):
    thread = _thread_or_404(forum_id, thread_id)
    pinned = request.form.get("epingler") == "1"
    return _confirmed(lambda: thread.can_moderate(current_user), lambda: services.set_pinned(thread, current_user, pinned),
                      to=_thread_url(thread), done=_("Sujet épinglé en tête du forum.") if pinned else _("Sujet désépinglé."))


STATE_ACTIONS = {"verrouiller": ThreadState.LOCKED, "fermer": ThreadState.CLOSED, "rouvrir": ThreadState.OPEN}
STATE_DONE = {"verrouiller": _l("Sujet verrouillé."), "fermer": _l("Sujet fermé."), "rouvrir": _l("Sujet rouvert.")}


@bp.route("/<int:forum_id>/sujets/<int:thread_id>/<any(verrouiller, fermer, rouvrir):action>", methods=["GET", "POST"])
@login_required
def change_thread_state(forum_id, thread_id, action):
    thread = _thread_or_404(forum_id, thread_id)
    target, allowed, to = STATE_ACTIONS[action], (lambda: thread.can_moderate(current_user)), _thread_url(thread)
    if target == ThreadState.OPEN:  # reopening needs no reason: a button, no page
        if request.method == "GET":
            abort(405 if allowed() else 403)
        return _confirmed(allowed, lambda: services.change_thread_state(thread, current_user, target), to=to,
                          done=str(STATE_DONE[action]))
    title = _("Verrouiller « %(t)s »", t=thread.title) if target == ThreadState.LOCKED else _("Fermer « %(t)s »", t=thread.title)
    return _with_reason(allowed, ReasonForm(), lambda reason: services.change_thread_state(thread, current_user, target, reason=reason),
                        to=to, done=str(STATE_DONE[action]), forum=thread.forum, thread=thread, title=title,
                        hint=_("La raison s’affiche en tête du sujet pour tous les membres."))


# --- A post ---------------------------------------------------------------------------------------------


@bp.route("/messages/<int:post_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_post(post_id):
    post = _post_or_404(post_id)
    authorise(post.can_edit(current_user), rightful=post.may_change(current_user), changed=post.locked_message,
              to=_thread_url(post.thread, post))
    form = EditPostForm(obj=post, title=post.thread.title if post.is_opening else None)
    if not post.is_opening:
        del form.title
    if request.method == "GET":
        form.loaded_version.data = queries.edit_version(post)
    preview, conflict = None, False
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = render_markdown(form.body.data)
        else:
            try:
                services.edit_post(post, current_user, body=form.body.data,
                                   title=form.title.data if "title" in form else None,
                                   loaded_version=form.loaded_version.data, rules=_rules())
            except services.EditedMeanwhile as error:  # the typed text stays in the form; sending again replaces
                core_db.rollback()
                form.form_errors.append(str(error))
                conflict = True
                # Set on the field's raw data too: rendering prefers what was posted, the stale number.
                form.loaded_version.raw_data = None
                form.loaded_version.data = error.current_version
            except services.ForumError as error:
                form.body.errors.append(str(error))
            else:
                core_db.commit()
                flash(_("Message modifié."), "success")
                return redirect(_thread_url(post.thread, post))
    return render_template("forum/edit_post.html", forum=post.thread.forum, thread=post.thread, post=post, form=form,
                           preview=preview, conflict=conflict), 409 if conflict else (422 if form.errors else 200)


@bp.get("/messages/<int:post_id>/historique")
@login_required
def post_history(post_id):
    post = _post_or_404(post_id)
    if not post.can_read_body(current_user):
        abort(403)
    return render_template("forum/post_history.html", forum=post.thread.forum, thread=post.thread, post=post,
                           revisions=queries.revisions(post))


@bp.post("/messages/<int:post_id>/supprimer")
@login_required
def delete_post(post_id):
    post = _post_or_404(post_id)
    # The opening post takes its thread with it: back to the forum.
    to = url_for("forum.show_forum", forum_id=post.thread.forum_id) if post.is_opening else _thread_url(post.thread)
    # Its author or staff, whatever its state: the service says why a second tab's click can no longer delete it.
    return _confirmed(lambda: post.may_change(current_user), lambda: services.delete_post(post, current_user), to=to,
                      done=_("Message supprimé."))


@bp.route("/messages/<int:post_id>/signaler", methods=["GET", "POST"])
@login_required
def report_post(post_id):
    post = _post_or_404(post_id)
    authorise(post.can_report(current_user), rightful=post.may_report(current_user), changed=str(REPORT_GONE),
              to=_thread_url(post.thread, post))
    return _with_reason(lambda: post.can_report(current_user), ReportForm(),
                        lambda reason: services.report_post(post, current_user, reason),
                        to=_thread_url(post.thread, post), done=_("Merci : l’équipe va examiner ce message."),
                        forum=post.thread.forum, thread=post.thread, post=post, title=_("Signaler un message"))


@bp.route("/messages/<int:post_id>/masquer", methods=["GET", "POST"])
@login_required
def hide_post(post_id):
    post = _post_or_404(post_id)
    back = _thread_url(post.thread, post)
    to = url_for("forum.moderation", forum_id=post.thread.forum_id) if request.args.get("retour") == "moderation" else back
    return _with_reason(lambda: post.thread.can_moderate(current_user), ReasonForm(),
                        lambda reason: services.hide_post(post, current_user, reason),
                        to=to, done=_("Message masqué ; son auteur en est informé par courriel."),
                        forum=post.thread.forum, thread=post.thread, post=post, title=_("Masquer un message"),
                        hint=_("Son auteur recevra cette raison par courriel."), back=back)


@bp.post("/messages/<int:post_id>/<any(retablir, conserver, approuver):action>")
@login_required
def moderate_post(post_id, action):
    post = _post_or_404(post_id)
    service, message = {
        "retablir": (services.restore_post, _("Message rétabli ; son auteur en est informé.")),
        "conserver": (services.keep_post, _("Signalements classés : le message reste visible.")),
        "approuver": (services.approve_held_post, _("Message publié.")),
    }[action]
    to = (url_for("forum.moderation", forum_id=post.thread.forum_id) if request.form.get("retour") == "moderation"
          else _thread_url(post.thread, post))
    return _confirmed(lambda: post.thread.can_moderate(current_user), lambda: service(post, current_user), to=to,
                      done=message)


@bp.get("/<int:forum_id>/moderation")
@login_required
def moderation(forum_id):
    forum = _forum_or_404(forum_id)
    if not forum.can_moderate(current_user):
        abort(403)
    queue = queries.moderation_queue(forum)
    reports = queries.open_reports_of([post.id for post, _count in queue.items])
    return render_template("forum/moderation.html", forum=forum, queue=queue, reports=reports, form=ConfirmForm())


# --- Email preferences and unsubscribe ------------------------------------------------------------------


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm(email_frequency=services.email_frequency(current_user.id))
    if form.validate_on_submit():
        services.set_email_frequency(current_user.id, form.email_frequency.data)
        core_db.commit()
        flash(_("Préférences enregistrées."), "success")
        return redirect(url_for("forum.preferences"))
    return render_template("forum/preferences.html", form=form), 422 if form.errors else 200


@bp.route("/desabonnement/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client's one-click POST has no CSRF token, the signed link is the proof
def unsubscribe(token):
    """The link in an email. A GET changes nothing (mail scanners open links): it shows one button, a form
    with its CSRF token, that unsubscribes; the page then offers a way back to the choice from before. The
    mail client's one-click POST (List-Unsubscribe=One-Click, RFC 8058) unsubscribes at once."""
    data = emails.read_unsubscribe_token(token)
    if data is None:
        abort(404)
    user_id, scope = data
    if request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click":
        services.unsubscribe(user_id, scope)
        core_db.commit()
        return "", 204
    form = UnsubscribeForm()
    if request.method == "GET":
        return render_template("forum/unsubscribe.html", scope=scope, form=form)
    if not form.validate_on_submit():  # the page's own buttons are normal forms: CSRF checked
        abort(400)
    if form.undo.data:
        previous = emails.read_undo_token(form.undo.data, user_id, scope)
        if previous is None:
            abort(400)
        services.undo_unsubscribe(user_id, scope, previous)
        core_db.commit()
        flash(_("C’est noté : vous recevez de nouveau ces courriels."), "success")
        return redirect(url_for("forum.preferences") if current_user.is_authenticated else url_for("site.home"))
    previous = services.unsubscribe(user_id, scope)
    core_db.commit()
    undo = UnsubscribeForm(formdata=None, undo=emails.undo_token(user_id, scope, previous)) if previous else None
    return render_template("forum/unsubscribed.html", scope=scope, form=undo)
