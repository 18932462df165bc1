"""The one way a view carries out a button that changes something (« Confirmer », « Prendre », « Masquer »…).

Every such view is the house sequence: load (404, done by the view) → authorise with a model predicate
(403) → the confirmation form, i.e. its CSRF token (400) → one service call → commit → flash → redirect.
A refusal from the service (a domain error, or a transition a second click no longer finds allowed) rolls
back, says why, and leads back: never a 500, never a half-done change.
"""

from collections.abc import Callable

from flask import abort, flash, redirect
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from beta_training.core import db as core_db
from beta_training.core.forms import ConfirmForm
from beta_training.core.states import InvalidTransition


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
