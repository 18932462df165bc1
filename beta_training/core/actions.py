"""The one way a view carries out a button that changes something (« Confirmer », « Prendre », « Masquer »…).

Every such view is the house sequence: load (404, done by the view) → authorise with a model predicate
(403) → the confirmation form, i.e. its CSRF token (400) → one service call → commit → flash → redirect.
A refusal from the service (a domain error, or a transition a second click no longer finds allowed) rolls
back, says why, and leads back: never a 500, never a half-done change.

Who may act and what the object's state allows are two questions. Only the first one is a 403: the person
whose object it is, pressing a button in a second tab left open after she (a moderator, a cron) changed it,
is told what happened and led back to the object's page. A confirmed action asks the model's « who »
predicate and lets the service's guard refuse; a page with its own form calls `authorise()`, whose
StateChanged core.errors turns into that flash and redirect.
"""

from collections.abc import Callable

from flask import abort, flash, redirect
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from beta_training.core import db as core_db
from beta_training.core.forms import ConfirmForm
from beta_training.core.states import InvalidTransition


class StateChanged(Exception):
    """The rightful person asks for what the object's state no longer allows. core.errors answers it: the
    message flashed and a 303 to `to` (the object's page); a JSON endpoint gets 409 with `code`, the message
    and `extra`. Nothing was changed: the handler rolls back."""

    def __init__(self, message: str, *, to: str, code: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.to = to
        self.code = code
        self.extra = extra


def authorise(allowed: bool, *, rightful: bool, changed: str | Callable[[], str], to: str, **json) -> None:
    """Step 2 of the house sequence for a predicate that mixes who and state.

    `allowed` is the model predicate (e.g. ``post.can_edit(user)``), `rightful` its « who » half (e.g.
    ``post.is_author(user)``). A stranger gets 403; the rightful person the state now refuses gets
    StateChanged: `changed` (words, or a callable giving them, read only then) and back to `to`."""
    if allowed:
        return
    if not rightful:
        abort(403)
    raise StateChanged(changed() if callable(changed) else str(changed), to=to, **json)


def describe_refusal(error: Exception) -> str:
    if isinstance(error, InvalidTransition):
        return _("Action impossible dans l’état actuel : la page a peut-être changé entre-temps. Rechargez-la.")
    return str(error)


def confirmed_action(allowed: Callable[[], bool], act: Callable[[], object], *, to: str,
                     done: str | Callable[[object], str | None] | None = None, refused_to: str | None = None,
                     refusals: tuple[type[Exception], ...] = (InvalidTransition,),
                     describe: Callable[[Exception], str] = describe_refusal,
                     form: FlaskForm | None = None):
    """Authorise, check the form, run `act` (one service call), commit, flash `done`, redirect to `to`.

    `allowed` is the model predicate, e.g. ``lambda: sheet.can_submit(current_user)``. A refusal in
    `refusals` is flashed as `describe` words it and leads to `refused_to` (default: `to`).

    `done` may be a callable: it gets what `act` returned, after the commit, and words the message from
    it, e.g. the new state's label, or nothing (None) when a second click found the work already done."""
    if not allowed():
        abort(403)
    if not (form or ConfirmForm()).validate_on_submit():
        abort(400)
    try:
        result = act()
    except refusals as error:
        core_db.rollback()
        flash(describe(error), "error")
        return redirect(refused_to or to)
    core_db.commit()
    message = done(result) if callable(done) else done
    if message:
        flash(message, "success")
    return redirect(to)


def form_action(form: FlaskForm, act: Callable[[], object], *, to: str | Callable[[object], str],
                done: str | Callable[[object], str | None] | None = None,
                refusals: tuple[type[Exception], ...] = (InvalidTransition,),
                describe: Callable[[Exception], str] = describe_refusal):
    """Steps 4–6 of the house sequence for a page with its own form, once the form is valid: one service
    call, commit, flash `done`, redirect to `to` (each may be worded from what `act` returned).

    A refusal in `refusals` is rolled back and said at the top of the form, which keeps what was typed; the
    answer is then None, and the view renders its page again (422)."""
    try:
        result = act()
    except refusals as error:
        core_db.rollback()
        form.form_errors.append(describe(error))
        return None
    core_db.commit()
    message = done(result) if callable(done) else done
    if message:
        flash(message, "success")
    return redirect(to(result) if callable(to) else to)
