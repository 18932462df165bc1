"""What a second tab left open meets when its owner presses a button the object's state no longer allows:
led back to the object's page, told what happened, nothing changed (core.actions.authorise and the
services' guards). One assertion for every domain's tests."""

import sqlalchemy as sa

from beta_training.core.models import OutboxMessage
from beta_training.extensions import db


def assert_led_back(client, response, to: str, message: str) -> None:
    """A redirect (302 from a confirmed action, 303 from StateChanged) to `to`, whose page flashes `message`."""
    assert response.status_code in (302, 303), response.status_code
    assert response.headers["Location"] == to
    page = client.get(to)
    assert page.status_code == 200 and message in page.text, message


def outbox_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
