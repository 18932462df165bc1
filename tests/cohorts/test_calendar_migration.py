"""The migration that gives sessions daily times and a calendar SEQUENCE keeps what the free text said, and
marks the confirmed seats as holding the invitation they were sent."""

from datetime import date, datetime, time

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from beta_training.extensions import db
from tests.test_migrations import _app_for, empty_database_url  # noqa: F401 — the fixture is used below

BEFORE = "9c2e4b7d1a30"
NOW = datetime(2026, 11, 1, 9, 0)


def _insert(table: str, **values):
    """A row with `values`; every other required column gets a plain value of its type."""
    for column in sa.inspect(db.engine).get_columns(table):
        if column["name"] in values or column["nullable"] or column["name"] == "id" or column.get("default"):
            continue
        kind = column["type"].python_type
        values[column["name"]] = {str: "", int: 0, bool: False, datetime: NOW, date: NOW.date()}[kind]
    names = ", ".join(values)
    return db.session.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + k for k in values)}) "
                                      "RETURNING id"), values).scalar()


def _cohort(slug: str, daily_hours: str) -> int:
    return _insert("cohorts", slug=slug, starts_on=date(2027, 3, 2), ends_on=date(2027, 3, 4), daily_hours=daily_hours,
                   seats=10, applications_open_at=NOW, applications_close_at=datetime(2026, 12, 1), status="published")


@pytest.mark.parametrize(("text", "expected"), [
    ("de 9h à 18h", (time(9), time(18))),
    ("9 h 30 – 17 h 15", (time(9, 30), time(17, 15))),
    ("9:00-12:30", (time(9), time(12, 30))),
    ("", (time(9, 30), time(17, 30))),
    ("toute la journée", (time(9, 30), time(17, 30))),
    ("18h à 9h", (time(9, 30), time(17, 30))),  # not a day: the default
])
def test_daily_hours_text_becomes_two_times(empty_database_url, text, expected):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        cohort = _cohort("alpha-lyon", text)
        db.session.commit()
        upgrade()
        row = db.session.execute(sa.text("SELECT day_starts_at, day_ends_at, calendar_sequence FROM cohorts WHERE id = :id"),
                                 {"id": cohort}).one()
        assert (_as_time(row[0]), _as_time(row[1]), row[2]) == (*expected, 0)
        db.session.remove()
        db.engine.dispose()


def _as_time(value) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)  # SQLite gives the stored text


def test_confirmed_seats_hold_the_invitation_and_downgrade_writes_the_text_back(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        cohort = _cohort("alpha-lyon", "de 9h à 18h")
        users = [_insert("users", email=f"{name}@example.gouv.fr") for name in ("confirmee", "proposee")]
        confirmed_at = datetime(2026, 11, 20, 10, 0)
        confirmed = _insert("cohort_applications", cohort_id=cohort, user_id=users[0], state="confirmed",
                            confirmed_at=confirmed_at)
        offered = _insert("cohort_applications", cohort_id=cohort, user_id=users[1], state="accepted",
                          offer_expires_at=datetime(2026, 12, 1))
        db.session.commit()

        upgrade()
        sent = dict(db.session.execute(sa.text("SELECT id, calendar_sent_at FROM cohort_applications")).all())
        assert {key: value and str(value)[:16] for key, value in sent.items()} == {
            confirmed: "2026-11-20 10:00", offered: None}
        db.session.execute(sa.text("UPDATE cohorts SET day_starts_at = :t WHERE id = :id").bindparams(sa.bindparam("t", type_=sa.Time)),
                           {"t": time(9, 30), "id": cohort})
        db.session.commit()

        downgrade(revision=BEFORE)
        assert db.session.execute(sa.text("SELECT daily_hours FROM cohorts")).scalar() == "de 9h30 à 18h"
        db.session.remove()
        db.engine.dispose()
