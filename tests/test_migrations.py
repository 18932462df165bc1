"""Migrations from an empty database reach head, match the models exactly, and go back down."""

from datetime import date, datetime
from uuid import uuid4

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from beta_training import create_app
from beta_training.config import TestConfig
from beta_training.core.jobs import is_job_queue_object
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
    return not is_managed_outside_models(name, type_) and not is_job_queue_object(name, type_)  # as migrations/env.py does


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


# --- Data steps -------------------------------------------------------------------------------------------

POST_STATE_REVISION = "c68fb2237b54"  # forum posts: one moderation state


def _revision_before(revision: str) -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_revision(revision).down_revision


def _filler(column):
    """A value for a required column the test does not care about."""
    python_type = column.type.python_type
    if python_type is bool:
        return False
    if python_type is int:
        return 1
    if python_type is datetime:
        return datetime(2026, 11, 30, 9, 0)
    if python_type is date:
        return date(2026, 11, 30)
    return f"{column.name}-{uuid4().hex[:8]}"[: getattr(column.type, "length", None) or 100]


def _insert(connection, table_name: str, **values) -> int:
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    for column in table.columns:
        if column.name not in values and not column.nullable and not column.primary_key and column.server_default is None:
            values[column.name] = _filler(column)
    return connection.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()


def _rows(connection, table_name: str, *columns: str) -> dict:
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    return {row.id: tuple(row[1:]) for row in connection.execute(sa.select(table.c.id, *(table.c[c] for c in columns)))}


def _assert_attached(connection, reply, comment):
    assert _rows(connection, "forum_posts", "parent_id")[comment] == (reply,)
    for table in ("forum_reports", "forum_post_revisions", "forum_notifications"):
        assert [post for post, in _rows(connection, table, "post_id").values()] == [reply], table


def test_post_state_migration_maps_every_combination_and_goes_back(empty_database_url):
    """held / hidden_at / deleted_at → one state; the thread's copy follows its opening post; who hid a post and
    when go to the timeline, and come back from it on downgrade."""
    hidden_at, deleted_at = datetime(2026, 12, 1, 10, 30, 15, 123456), datetime(2026, 12, 2, 8, 0)
    app = _app_for(empty_database_url)
    with app.app_context():
        before = _revision_before(POST_STATE_REVISION)
        upgrade(revision=before)
        with db.engine.begin() as connection:
            moderator = _insert(connection, "users")
            cohort = _insert(connection, "cohorts", applications_open_at=datetime(2026, 10, 1),
                             applications_close_at=datetime(2026, 11, 1), starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 5))
            forum = _insert(connection, "forums", kind="cohort", cohort_id=cohort)
            category = _insert(connection, "forum_categories", forum_id=forum)

            def thread(held=False, deleted_at=None):
                return _insert(connection, "forum_threads", forum_id=forum, category_id=category, held=held,
                               deleted_at=deleted_at)

            def post(thread_id, *, held=False, hidden=False, deleted=False, is_opening=False):
                return _insert(connection, "forum_posts", thread_id=thread_id, is_opening=is_opening, held=held,
                               hidden_at=hidden_at if hidden else None, hidden_by_id=moderator if hidden else None,
                               hidden_reason="Hors charte" if hidden else "", deleted_at=deleted_at if deleted else None)

            listed, waiting, gone = thread(), thread(held=True), thread(deleted_at=deleted_at)
            expected = {
                post(listed, is_opening=True): "published",
                post(listed): "published",
                post(listed, held=True): "held",
                post(listed, hidden=True): "hidden",
                post(listed, deleted=True): "deleted",
                post(listed, held=True, hidden=True): "refused",
                post(listed, held=True, deleted=True): "withdrawn",
                post(listed, hidden=True, deleted=True): "deleted",
                post(waiting, is_opening=True, held=True): "held",
                post(gone, is_opening=True, deleted=True): "deleted",
            }
            reply = next(p for p, state in expected.items() if state == "published" and p != min(expected))
            # What hangs on posts must survive the rebuild of their table (SQLite drops and recreates it).
            expected[post(listed)] = "published"
            comment = max(expected)
            forum_posts = sa.Table("forum_posts", sa.MetaData(), autoload_with=connection)
            connection.execute(forum_posts.update().where(forum_posts.c.id == comment).values(parent_id=reply))
            _insert(connection, "forum_reports", post_id=reply, reporter_id=moderator, resolved_at=None)
            _insert(connection, "forum_post_revisions", post_id=reply, edited_by_id=moderator)
            _insert(connection, "forum_notifications", post_id=reply, user_id=moderator, emailed_at=None)
            old_flags = _rows(connection, "forum_posts", "held", "hidden_at", "hidden_by_id", "deleted_at")

        upgrade(revision=POST_STATE_REVISION)
        with db.engine.connect() as connection:
            _assert_attached(connection, reply, comment)
            assert "opening_has_no_parent" in str(sa.inspect(connection).get_check_constraints("forum_posts"))
            assert {post_id: state for post_id, (state,) in _rows(connection, "forum_posts", "state").items()} == expected
            assert _rows(connection, "forum_threads", "opening_state") == {
                listed: ("published",), waiting: ("held",), gone: ("deleted",)}
            timeline = sa.Table("state_changes", sa.MetaData(), autoload_with=connection)
            hides = connection.execute(
                sa.select(timeline.c.subject_id, timeline.c.from_state, timeline.c.to_state, timeline.c.actor_id,
                          timeline.c.reason, timeline.c.created_at)
                .where(timeline.c.subject_type == "forum_posts", timeline.c.to_state.in_(("hidden", "refused")))
                .order_by(timeline.c.subject_id)).all()
            assert [tuple(row[1:]) for row in hides] == [
                ("published", "hidden", moderator, "Hors charte", hidden_at),
                ("held", "refused", moderator, "Hors charte", hidden_at),
                ("published", "hidden", moderator, "Hors charte", hidden_at),
            ]
            deletions = connection.execute(
                sa.select(timeline.c.from_state, timeline.c.to_state, timeline.c.created_at)
                .where(timeline.c.to_state.in_(("deleted", "withdrawn"))).order_by(timeline.c.subject_id)).all()
            assert [tuple(row) for row in deletions] == [
                ("published", "deleted", deleted_at), ("held", "withdrawn", deleted_at),
                ("hidden", "deleted", deleted_at), ("published", "deleted", deleted_at)]

        downgrade(revision=before)
        with db.engine.connect() as connection:
            _assert_attached(connection, reply, comment)
            flags = _rows(connection, "forum_posts", "held", "hidden_at", "hidden_by_id", "deleted_at")
            hidden_then_deleted = next(p for p, state in expected.items() if old_flags[p][1] and old_flags[p][3])
            # The one combination one state cannot hold: deleted after being hidden comes back deleted only.
            assert flags.pop(hidden_then_deleted) == (False, None, None, deleted_at)
            old_flags.pop(hidden_then_deleted)
            assert {p: (bool(held), *rest) for p, (held, *rest) in flags.items()} == {
                p: (bool(held), *rest) for p, (held, *rest) in old_flags.items()}
            assert {t: (bool(held), at) for t, (held, at) in _rows(connection, "forum_threads", "held", "deleted_at").items()} == {
                listed: (False, None), waiting: (True, None), gone: (False, deleted_at)}
        upgrade()  # and up again: the timeline is not written twice
        with db.engine.connect() as connection:
            timeline = sa.Table("state_changes", sa.MetaData(), autoload_with=connection)
            assert connection.execute(sa.select(sa.func.count()).select_from(timeline)).scalar_one() == 7
        db.engine.dispose()
