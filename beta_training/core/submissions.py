"""One-time form keys: the same form sent twice (double click, two tabs, a browser resending it) does its
work once; the second request is sent where the first one led.

A form carries a hidden `submission_key` (core.forms.SubmissionKeyField, a new one each time the page is
shown). The view claims it in the transaction that does the work, then records where it leads; the unique
(user, key) row makes the claim atomic: a simultaneous second request waits for the first one's
transaction, then finds its row. (Rows that keep their own key — forum posts, bulk emails — use
core.db.earlier_submission instead, which needs no ledger.)
"""

import sqlalchemy as sa

from beta_training.core.models import FormSubmission
from beta_training.extensions import db


def _earlier(user_id: int, key: str) -> FormSubmission | None:
    return db.session.scalar(sa.select(FormSubmission).where(FormSubmission.user_id == user_id, FormSubmission.key == key))


def claim(user, key: str | None) -> FormSubmission | None:
    """Claim `key` for `user` in the current transaction: None if this request is the first to send it (do
    the work, then `record` where it leads), else the earlier submission. A form without a key (a page
    rendered before keys existed) is always first."""
    if not key:
        return None
    earlier = _earlier(user.id, key)
    if earlier is not None:
        return earlier
    try:
        with db.session.begin_nested():
            db.session.add(FormSubmission(user_id=user.id, key=key))
    except sa.exc.IntegrityError:  # a simultaneous request committed it first
        return _earlier(user.id, key)
    return None


def record(user, key: str | None, location: str) -> None:
    if key:
        db.session.execute(sa.update(FormSubmission).where(FormSubmission.user_id == user.id, FormSubmission.key == key)
                           .values(location=location))
