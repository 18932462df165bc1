"""The trainers' fiche queue: its page of ids picked and counted in SQL, its lines read in one query, without
building the mapped fiches; the same fiches, in the same order, with the same columns as the fiches themselves
say (oldest submission first, then by number)."""

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import current_app

from beta_training.accounts.models import Role
from beta_training.core.models import utcnow
from beta_training.core.templating import format_dt
from beta_training.extensions import db
from beta_training.sheets.models import ProductSheet, SheetReview, SheetState
from beta_training.sheets.queries import QUEUE_STATES
from tests.conftest import login
from tests.factories import make_application, make_enrolment, make_mooc, make_product_sheet, make_user

PER_PAGE = 25


def _queue_lines(client, query: str = "") -> tuple[list[list[str]], str]:
    """Every line of every page of the queue (its cells' text), and the caption of the first page."""
    lines, caption, page = [], None, 1
    while True:
        html = BeautifulSoup(client.get(f"/fiches/relecture?page={page}&{query}").text, "html.parser")
        caption = caption or html.select_one("caption").get_text(strip=True)
        rows = [[cell.get_text(" ", strip=True) for cell in row.select("td")] for row in html.select("tbody tr")]
        if rows == [["Aucune fiche en attente."]]:
            return lines, caption
        lines += rows
        page += 1


def _expected_lines(states, viewer) -> list[list[str]]:
    """The queue as the mapped fiches say it should read, sorted here as the queue always sorted them."""
    sheets = db.session.scalars(sa.select(ProductSheet).where(ProductSheet.state.in_(states))).all()
    sheets.sort(key=lambda sheet: (sheet.submitted_at is None, sheet.submitted_at, sheet.id))

    def action(sheet):
        if sheet.owner_id == viewer.id:
            return "Votre fiche : une autre personne la relira"
        if sheet.state == SheetState.SUBMITTED:
            return f"Prendre « {sheet.title} »"
        if sheet.state == SheetState.SECOND_REVIEW:
            first_opinion = db.session.scalar(sa.select(SheetReview.id).where(
                SheetReview.sheet_id == sheet.id, SheetReview.round == sheet.review_round, SheetReview.reviewer_id == viewer.id))
            return ("Vous avez donné le premier avis : le second revient à une autre personne" if first_opinion
                    else f"Donner le second avis « {sheet.title} »")
        if sheet.state == SheetState.IN_REVIEW and sheet.claimed_by_id == viewer.id:
            return f"Relire « {sheet.title} »"
        return "—"

    with current_app.test_request_context():  # dates written as the page writes them (Paris time, French)
        return [[sheet.title, sheet.owner_name, sheet.linked_to or "—", sheet.state_label, format_dt(sheet.submitted_at),
                 sheet.claimed_by.full_name if sheet.claimed_by else "—", action(sheet)] for sheet in sheets]


@pytest.fixture
def queue(app):
    """Some 60 fiches, 45 in the queue: submitted, in review (by this trainer or another), sent back; some at
    the same instant (the number decides); from a MOOC, an Alpha session, both or neither; one of them of an
    erased owner; and drafts and approved ones, which the queue leaves out."""
    rng = random.Random(16)
    trainer, other_trainer = make_user(roles=[Role.TRAINER]), make_user(roles=[Role.TRAINER])
    _course, run = make_mooc(sequences=(1,), kinds=("text",))
    start = utcnow() - timedelta(days=20)
    instants = [start + timedelta(hours=rng.randrange(400)) for _ in range(12)]
    for n in range(60):
        state = rng.choice([*QUEUE_STATES, *QUEUE_STATES, SheetState.DRAFT, SheetState.APPROVED])
        owner = trainer if n == 7 else make_user()
        values = {"submitted_at": rng.choice(instants) if state != SheetState.DRAFT else None}
        if state == SheetState.IN_REVIEW:
            values["claimed_by_id"] = rng.choice([trainer, other_trainer]).id
        if n % 3 != 0:
            values["enrolment_id"] = make_enrolment(run, owner).id
        if n % 4 == 0:
            values["application_id"] = make_application(user=owner).id
        sheet = make_product_sheet(owner, state=state, content={"name": f"Produit {n}"}, **values)
        if n == 11:
            sheet.owner_id = None  # kept after its owner erased her account
            db.session.commit()
    return trainer


def test_the_queue_lists_the_fiches_in_the_same_order_and_with_the_same_columns_as_the_fiches_say(client, queue):
    login(client, queue)
    lines, caption = _queue_lines(client)
    expected = _expected_lines(QUEUE_STATES, queue)
    assert len(expected) > PER_PAGE  # two pages at least
    assert lines == expected
    assert caption == f"{len(expected)} fiches"
    assert any("Ancien·ne participant·e" in line for line in lines)
    assert any(" · " in line[2] for line in lines)  # a MOOC and an Alpha session
    for state in QUEUE_STATES:
        lines, caption = _queue_lines(client, f"etat={state}")
        expected = _expected_lines([state], queue)
        assert lines == expected and caption.startswith(f"{len(expected)} fiche")


def test_the_queue_builds_no_mapped_fiche_nor_its_people(client, queue):
    """Its lines are plain rows: loading 25 fiches with their owner, reviewer, enrolment, run, course and
    application objects cost more than all of the page's queries."""
    login(client, queue)
    client.get("/fiches/relecture")  # the signed-in trainer loaded once
    loaded = []

    def count(target, _context):
        loaded.append(type(target).__name__)

    sa.event.listen(db.Model, "load", count, propagate=True)
    try:
        assert client.get("/fiches/relecture").status_code == 200
    finally:
        sa.event.remove(db.Model, "load", count)
    assert "ProductSheet" not in loaded and loaded.count("User") <= 1  # the signed-in trainer only


def test_the_queue_runs_as_many_queries_for_1000_fiches_as_for_30(client, count_queries):
    """30: two pages, so that the second one has lines too."""
    trainer = make_user(roles=[Role.TRAINER])
    owners = [make_user() for _ in range(3)]
    login(client, trainer)
    now = utcnow()

    def add(count):
        db.session.execute(sa.insert(ProductSheet), [
            {"owner_id": owners[n % 3].id, "state": QUEUE_STATES[n % 3], "title": f"Produit {n}",
             "submitted_at": now - timedelta(minutes=n % 50),
             "claimed_by_id": trainer.id if QUEUE_STATES[n % 3] == SheetState.IN_REVIEW else None,
             "created_at": now, "updated_at": now}
            for n in range(count)])
        db.session.commit()

    urls = ["/fiches/relecture", "/fiches/relecture?page=2", "/fiches/relecture?etat=in_review"]

    def counted():
        counts = []
        for url in urls:
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return counts

    add(30)
    few = counted()
    add(970)
    assert counted() == few
    caption = BeautifulSoup(client.get(urls[0]).text, "html.parser").select_one("caption").get_text(strip=True)
    assert caption == "1000 fiches"
