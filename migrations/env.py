import logging
from contextlib import contextmanager
from logging.config import fileConfig

from flask import current_app

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# Loggers created before a migration runs in the same process (tests, `flask db upgrade` at start) keep logging.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def render_item(type_, obj, autogen_context):
    """Render the app's UTCDateTime as a plain DateTime: migrations must not import application code."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime()"
    return False


def include_name(name, type_, parent_names):
    from beta_training.core.jobs import is_job_queue_object
    from beta_training.forum.search import is_managed_outside_models

    return not is_managed_outside_models(name, type_) and not is_job_queue_object(name, type_)


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True, render_item=render_item, include_name=include_name
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            render_item=render_item,
            include_name=include_name,
            # One transaction for the whole upgrade on SQLite too (Alembic commits each step there by default):
            # a failed step, or the foreign key check below, leaves the database as it was.
            transactional_ddl=True,
            **conf_args
        )

        with foreign_keys_off_on_sqlite(connection):
            with context.begin_transaction():
                context.run_migrations()
                check_foreign_keys(connection)


@contextmanager
def foreign_keys_off_on_sqlite(connection):
    """SQLite alters most things by rebuilding the table (copy, DROP, rename: Alembic's batch mode). The app's
    connections enforce foreign keys, and then that DROP deletes in cascade every row that references the
    table (items, quiz answers, progress…) or sets their reference to NULL. SQLite's documented procedure for
    schema changes is to turn foreign keys off around them (outside a transaction: the pragma is ignored inside
    one), then check that nothing points nowhere. The pooled connection gets them back afterwards."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver_connection = connection.connection.driver_connection
    driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if connection.in_transaction():  # a read Alembic made after the commit (autobegun): nothing to keep
            connection.rollback()
        driver_connection.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(connection):
    if connection.dialect.name != "sqlite":
        return
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if dangling:  # raised inside the transaction: the migration is rolled back
        raise RuntimeError(f"the migration leaves rows that reference nothing (table, rowid, parent, key): {dangling[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
