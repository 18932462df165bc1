"""Error pages a person can meet after submitting a form, in Chromium, with axe."""

import sqlite3

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import User
from tests.a11y import assert_accessible
from tests.conftest import browser_login, is_postgres
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("config_overrides", [{"DATABASE_LOCK_TIMEOUT_MS": 300}])
def test_busy_database_page_keeps_the_way_back_to_the_typed_text(app, page):
    user = make_user(email="occupe@example.gouv.fr")
    browser_login(page, "occupe@example.gouv.fr", PASSWORD)
    page.goto("/compte/profil")
    page.get_by_label("Prénom").fill("Dominique")

    if is_postgres():  # another process holds the row (PostgreSQL) or the database (SQLite) lock
        engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        holder = engine.connect()
        holder.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    else:
        holder = sqlite3.connect(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    try:
        page.get_by_role("button", name="Enregistrer").click()
        page.get_by_role("heading", name="Service très sollicité").wait_for()
        assert_accessible(page, "503")
    finally:
        holder.rollback()
        holder.close()
    page.go_back()
    assert page.get_by_label("Prénom").input_value() == "Dominique"  # the browser kept what was typed
