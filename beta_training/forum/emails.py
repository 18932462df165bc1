"""Forum emails, written to the outbox. Each carries a signed one-click unsubscribe link, in its body and in
the List-Unsubscribe headers (RFC 8058) that mail clients turn into an « unsubscribe » button."""

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from beta_training.core.i18n import ngettext
from beta_training.core.mail import queue_email
from beta_training.forum.models import NotificationReason

UNSUBSCRIBE_SALT = "forum.unsubscribe"
UNDO_SALT = "forum.unsubscribe.undo"


def unsubscribe_token(user_id: int, scope: str) -> str:
    """`scope`: "thread:<id>", "forum:<id>" or "all". No expiry: an old email's link must still work."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).dumps({"u": user_id, "s": scope})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    return int(data["u"]), str(data["s"])


def undo_token(user_id: int, scope: str, previous: str) -> str:
    """Carried by the « undo » button of the unsubscribe page: what to put back, signed so it cannot be swapped."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNDO_SALT).dumps({"u": user_id, "s": scope, "p": previous})


def read_undo_token(token: str, user_id: int, scope: str) -> str | None:
    """The choice to restore, if `token` was issued for this person and scope."""
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNDO_SALT).loads(token)
    except BadSignature:
        return None
    return str(data["p"]) if (data.get("u"), data.get("s")) == (user_id, scope) else None


def _unsubscribe_context(user, scope: str, label: str) -> dict:
    link = url_for("forum.unsubscribe", token=unsubscribe_token(user.id, scope), _external=True)
    return {
        "unsubscribe_link": link, "unsubscribe_label": label,
        "preferences_link": url_for("forum.preferences", _external=True),
        "headers": {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    }


def _post_link(post) -> str:
    return url_for("forum.show_thread", forum_id=post.thread.forum_id, thread_id=post.thread_id,
                   _external=True, _anchor=f"message-{post.id}")


def queue_new_post(user, post, reason: str) -> None:
    thread = post.thread
    if reason == NotificationReason.FOLLOWED_THREAD:
        scope, label = f"thread:{thread.id}", _("Ne plus suivre ce sujet")
    elif reason == NotificationReason.FOLLOWED_FORUM:
        scope, label = f"forum:{thread.forum_id}", _("Ne plus suivre ce forum")
    else:
        scope, label = "all", _("Ne plus recevoir aucun courriel du forum")
    if reason == NotificationReason.ANNOUNCEMENT:
        subject = _("Annonce : %(title)s", title=thread.title)
    elif reason == NotificationReason.MENTION:
        subject = _("%(name)s vous a mentionné·e : %(title)s", name=post.author.full_name, title=thread.title)
    elif post.is_opening:
        subject = _("Nouveau sujet : %(title)s", title=thread.title)
    else:
        subject = _("Nouvelle réponse : %(title)s", title=thread.title)
    queue_email(user.email, subject, "forum/new_post", user=user, post=post, thread=thread, link=_post_link(post),
                **_unsubscribe_context(user, scope, label))


def queue_digest(user, notifications) -> None:
    subject = ngettext("Forum : %(num)s nouveau message", "Forum : %(num)s nouveaux messages", len(notifications))
    queue_email(user.email, subject, "forum/digest", user=user,
                items=[(n.post, _post_link(n.post)) for n in notifications],
                forum_link=url_for("forum.list_forums", _external=True),
                **_unsubscribe_context(user, "all", _("Ne plus recevoir aucun courriel du forum")))


def queue_post_hidden(post) -> None:
    if post.author is None:
        return
    queue_email(post.author.email, _("Votre message a été masqué par l’équipe"), "forum/post_hidden", user=post.author,
                post=post, thread=post.thread, link=_post_link(post),
                **_unsubscribe_context(post.author, "all", _("Ne plus recevoir aucun courriel du forum")))


def queue_post_restored(post) -> None:
    if post.author is None:
        return
    queue_email(post.author.email, _("Votre message est de nouveau visible"), "forum/post_restored", user=post.author,
                post=post, thread=post.thread, link=_post_link(post),
                **_unsubscribe_context(post.author, "all", _("Ne plus recevoir aucun courriel du forum")))
