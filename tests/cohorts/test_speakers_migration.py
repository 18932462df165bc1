"""The migration that gives each session its own speakers keeps every programme as it was."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from beta_training.extensions import db
from tests.test_migrations import _app_for, empty_database_url  # noqa: F401 — the fixture is used below

BEFORE = "431c19f3b945"
NOW = datetime(2026, 11, 1, 9, 0)


def _insert(table, **values):
    columns = ", ".join(values)
    return db.session.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + k for k in values)}) RETURNING id"),
                              values).scalar()


def _cohort(slug, starts_on):
    return _insert("cohorts", slug=slug, title=slug, edition=1, starts_on=starts_on, ends_on=starts_on, daily_hours="",
                   format="presentiel", place_name="", address="", access_link="", seats=10, practical_info="",
                   applications_open_at=NOW, applications_close_at=datetime(2026, 11, 2), confirmation_delay_days=7,
                   status="archived", created_at=NOW, updated_at=NOW)


def _item(cohort_id, day, *speaker_ids):
    item_id = _insert("programme_items", cohort_id=cohort_id, day=day, position=0, title="Atelier", description="")
    for speaker_id in speaker_ids:
        db.session.execute(sa.text("INSERT INTO programme_item_speakers VALUES (:i, :s)"), {"i": item_id, "s": speaker_id})
    return item_id


def _speakers_of_items():
    return db.session.execute(sa.text(
        "SELECT i.id, i.cohort_id, s.cohort_id, s.name, s.role FROM programme_items i "
        "JOIN programme_item_speakers l ON l.programme_item_id = i.id JOIN speakers s ON s.id = l.speaker_id "
        "ORDER BY i.id, s.name")).all()


def test_a_speaker_shared_by_two_sessions_becomes_one_row_per_session(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        first, second = _cohort("alpha-2017", date(2017, 11, 7)), _cohort("alpha-2018", date(2018, 3, 5))
        camille = _insert("speakers", name="Camille", role="coach", organisation="DINUM", created_at=NOW, updated_at=NOW)
        ines = _insert("speakers", name="Inès", role="sponsor", organisation="", created_at=NOW, updated_at=NOW)
        _insert("speakers", name="Jamais utilisé", role="autre", organisation="", created_at=NOW, updated_at=NOW)
        one, two = _item(first, date(2017, 11, 7), camille, ines), _item(second, date(2018, 3, 5), camille)
        db.session.commit()

        upgrade()
        rows = _speakers_of_items()
        # Every item keeps its speakers, each now a row of the item's own session.
        assert [(item, name, role) for item, _c, _s, name, role in rows] == [
            (one, "Camille", "coach"), (one, "Inès", "sponsor"), (two, "Camille", "coach")]
        assert all(item_cohort == speaker_cohort for _i, item_cohort, speaker_cohort, _n, _r in rows)
        speakers = db.session.execute(sa.text("SELECT name, cohort_id FROM speakers ORDER BY name, cohort_id")).all()
        assert speakers == [("Camille", first), ("Camille", second), ("Inès", first), ("Jamais utilisé", second)]
        db.session.commit()

        downgrade(revision=BEFORE)
        names = db.session.execute(sa.text("SELECT name FROM speakers ORDER BY name")).scalars().all()
        assert names == ["Camille", "Inès", "Jamais utilisé"]
        assert [(item, name) for item, _c, name, _r in db.session.execute(sa.text(
            "SELECT i.id, i.cohort_id, s.name, s.role FROM programme_items i JOIN programme_item_speakers l "
            "ON l.programme_item_id = i.id JOIN speakers s ON s.id = l.speaker_id ORDER BY i.id, s.name")).all()] == [
            (one, "Camille"), (one, "Inès"), (two, "Camille")]
        db.session.remove()
        db.engine.dispose()
