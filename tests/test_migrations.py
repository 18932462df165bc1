"""Migrations from an empty database reach head, match the models exactly, and go back down."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from beta_training import create_app
from beta_training.config import TestConfig
from beta_training.extensions import db
from beta_training.forum.search import is_managed_outside_models
from tests.conftest import POSTGRES_URL, is_postgres


@pytest.fixture
def empty_database_url(tmp_path, worker_id):
    if not is_postgres():
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    server = sa.make_url(POSTGRES_URL)
    name = f"{server.database}_migrations_{worker_id}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _app_for(url):
    return create_app(type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))


def include_name(name, type_, parent_names):
    return not is_managed_outside_models(name, type_)  # as migrations/env.py does


def _schema_diff():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_reaches_head_without_drift(empty_database_url):
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        assert _schema_diff() == []
        db.engine.dispose()


def test_drift_check_notices_a_model_change(empty_database_url):
    """The guard itself can fail: a column the migrations do not create shows up as a diff."""
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        extra = sa.Column("not_migrated", sa.Integer)
        db.metadata.tables["users"].append_column(extra)
        try:
            assert any(change[0] == "add_column" for change in _schema_diff())
        finally:
            db.metadata.tables["users"]._columns.remove(extra)
        db.engine.dispose()


def test_downgrade_to_base_and_up_again(empty_database_url):
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _schema_diff() == []
        db.engine.dispose()


@pytest.mark.skipif(is_postgres(), reason="SQLite only: PostgreSQL alters tables in place")
def test_sqlite_migrations_run_without_foreign_keys_and_give_them_back(empty_database_url):
    """SQLite rebuilds a table to alter it; with foreign keys on, dropping the old copy would delete in cascade
    what references it (tests/courses/test_course_parts_migration.py shows the rows are kept). The connection
    goes back to the pool enforcing them again, and a migration leaving a reference to nothing is refused."""
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            connection.rollback()  # the pragma is ignored inside a transaction
            driver_connection = connection.connection.driver_connection
            driver_connection.execute("PRAGMA foreign_keys=OFF")
            driver_connection.execute(
                "INSERT INTO item_completions (enrolment_id, item_id, source, completed_at) "
                "VALUES (404, 404, 'button', '2026-12-02 00:00:00')")
            driver_connection.commit()
            driver_connection.execute("PRAGMA foreign_keys=ON")
        # Already at head, the same upgrade succeeded a moment ago: only the check can fail it now. Flask-Migrate
        # logs the error and exits 1, so a release step stops there.
        with pytest.raises(SystemExit):
            upgrade()
        db.engine.dispose()
