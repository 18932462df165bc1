"""Transaction edge: commit, then deliver the mail the transaction wrote to the outbox."""

import sqlalchemy as sa

from beta_training.extensions import db

OUTBOX_IDS_KEY = "outbox_ids"


def commit() -> None:
    """Commit the request's unit of work, then try to deliver the mail it queued (never before)."""
    from beta_training.core.mail import deliver_pending

    session = db.session()
    queued = list(session.info.pop(OUTBOX_IDS_KEY, []))
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    if queued:
        deliver_pending(ids=queued)


def rollback() -> None:
    session = db.session()
    session.info.pop(OUTBOX_IDS_KEY, None)
    session.rollback()


def configure_sqlite(engine: sa.Engine) -> None:
    """WAL, a busy timeout and foreign keys; explicit BEGIN so SQLite transactions behave like PostgreSQL's."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself (pysqlite legacy mode off)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")
