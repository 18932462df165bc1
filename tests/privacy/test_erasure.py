"""The erasure leaves none of her personal data in any table, keeps what it says it keeps, and ends her session."""

import html
import json
import re

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role, User
from beta_training.calls.models import Dossier
from beta_training.cohorts.models import ApplicationReview, CohortApplication
from beta_training.core.mail import drain_deliveries
from beta_training.core.models import OutboxMessage, StateChange
from beta_training.extensions import db
from beta_training.forum import search
from beta_training.forum.models import ForumPost, ForumPostRevision, ForumThread
from beta_training.privacy import services
from beta_training.privacy.models import Origin, PrivacyAction
from beta_training.products.models import Committee, CommitteeScore, Product
from beta_training.sheets.models import ProductSheet, SheetVersion
from tests import factories as f
from tests.conftest import login
from tests.privacy.world import EMAIL, FIRST, LAST, seed_person


def leftovers(strings) -> list[str]:
    """Every text or JSON cell of every table (SQLAlchemy metadata) that contains one of `strings`, any case."""
    found = []
    needles = [s.lower() for s in strings]
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)).all():
            for column, value in zip(columns, row):
                text = (json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value or "").lower()
                found += [f"{table.name}.{column.name}: {needle!r}" for needle in needles if needle in text]
    return found


def search_index_leftovers(strings) -> list[str]:
    """SQLite's forum search index (FTS5 stems, outside the models) must not keep her name either."""
    if db.engine.dialect.name != "sqlite":
        return []
    stems = {stem for s in strings for stem in search.stems(s)}
    rows = db.session.execute(sa.text(f"SELECT stems FROM {search.FTS_TABLE}")).scalars().all()
    return [stem for stem in stems if any(stem in row.split() for row in rows)]


@pytest.mark.parametrize("keep_sheets", [False, True], ids=["sheets deleted", "sheets kept"])
def test_erasure_leaves_no_personal_data_in_any_table(app, mailbox, keep_sheets):
    person = seed_person()
    assert leftovers(person.personal)  # the scan finds them before (it would not prove anything otherwise)
    if db.engine.dialect.name == "sqlite":  # PostgreSQL indexes search_text itself (scanned with the rest)
        assert search_index_leftovers([FIRST, LAST])

    record = services.erase_account(person.user, origin=Origin.SELF, keep_sheets=keep_sheets)
    from beta_training.core import db as core_db

    core_db.commit()
    assert drain_deliveries(timeout=30)

    assert leftovers(person.personal) == []
    assert search_index_leftovers([FIRST, LAST]) == []
    assert db.session.get(User, person.user.id) is None
    assert record.counts["applications_anonymised"] == 2
    # The confirmation went to her address, then its outbox row went too.
    [message] = mailbox.to(EMAIL)
    assert "supprimé" in message["Subject"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.erase_after_delivery)) == 0


def test_what_the_erasure_keeps(app):
    person = seed_person()
    services.erase_account(person.user, origin=Origin.SELF, keep_sheets=True)
    db.session.commit()

    application = db.session.get(CohortApplication, person.ids["application"])
    assert application.user_id is None and application.anonymised_at is not None
    assert (application.state, application.attended, application.departement) == ("confirmed", True, "69")
    assert application.full_name == "Ancien·ne candidat·e"
    [review] = db.session.scalars(sa.select(ApplicationReview).where(ApplicationReview.application_id == application.id))
    assert (review.problem_score, review.comment) == (4, "")
    # The open application of an upcoming session was withdrawn first (its seat freed), then anonymised.
    assert db.session.get(CohortApplication, person.ids["open_application"]).state == "withdrawn"

    sheet = db.session.get(ProductSheet, person.ids["sheet"])
    assert sheet.owner_id is None and sheet.owner_name == "Ancien·ne participant·e"
    versions = db.session.scalars(sa.select(SheetVersion).where(SheetVersion.sheet_id == sheet.id)
                                  .order_by(SheetVersion.number)).all()  # PostgreSQL gives no order unless asked
    assert len(versions) == 2 and "Ancien·ne participant·e" in versions[1].content["s1_problem"]

    # Her posts stay, signed by nobody; her name and @mention are gone from hers and from others'.
    reply = db.session.get(ForumPost, person.ids["reply"])
    assert reply.author_id is None and reply.body == "Ma réponse, signée Ancien·ne participant·e"
    mention = db.session.get(ForumPost, person.ids["mention"])
    assert mention.body == "Merci Ancien·ne participant·e ! Et merci Ancien·ne participant·e."
    assert "Ancien·ne participant·e" in mention.body_html and "zephyrine" not in mention.search_text.lower()
    assert db.session.get(ForumThread, person.ids["thread"]).title == "Question d’Ancien·ne participant·e"
    [revision] = db.session.scalars(sa.select(ForumPostRevision).where(ForumPostRevision.post_id == reply.id))
    assert revision.body == "Ancienne version d’Ancien·ne participant·e"

    [erasure] = db.session.scalars(sa.select(PrivacyAction)).all()
    assert (erasure.kind, erasure.origin, erasure.subject_id, erasure.actor_id) == ("erasure", "self", None, None)
    assert erasure.counts["sheets_kept"] == 1 and erasure.counts["forum_posts_kept"] == 2


def test_sheets_are_deleted_unless_she_keeps_them(app):
    person = seed_person()
    services.erase_account(person.user, origin=Origin.SELF)
    db.session.commit()
    assert db.session.get(ProductSheet, person.ids["sheet"]) is None


def test_an_account_with_a_role_is_not_erased(app):
    trainer = f.make_user(roles=[Role.TRAINER])
    with pytest.raises(services.ErasureRefused):
        services.erase_account(trainer, origin=Origin.SELF)
    db.session.rollback()
    assert db.session.get(User, trainer.id) is not None


def test_a_former_trainers_scores_of_other_candidates_outlive_her_account(app, client):
    """Her roles revoked, a former trainer can go; the reviews she gave others stay, signed by nobody."""
    former = f.make_user(first_name="Fanny", last_name="Formatrice")
    application = f.make_application()
    review = f.make_application_review(application, former, problem_score=4, motivation_score=3, solution_score=5)
    review_id = review.id
    services.erase_account(former, origin=Origin.SELF)
    db.session.commit()

    kept = db.session.get(ApplicationReview, review_id)
    assert kept is not None and kept.reviewer_id is None
    assert (kept.problem_score, kept.motivation_score, kept.solution_score) == (4, 3, 5)
    login(client, f.make_user(roles=[Role.TRAINER]))
    page = client.get(f"/alpha/gestion/candidatures/{application.id}")
    assert page.status_code == 200 and "Ancien·ne formateur·rice" in page.text and "Fanny" not in page.text


def test_a_former_trainer_erased_while_reviewing_a_fiche_hands_it_back_to_the_queue(app):
    """« En relecture » always has its reviewer (a database rule): her erasure puts the fiche back in the queue,
    recorded, and its owner is told, as when a reviewer hands it back."""
    former = f.make_user(first_name="Fanny", last_name="Formatrice")
    sheet = f.make_product_sheet(state="in_review", claimed_by_id=former.id)
    sheet_id = sheet.id
    services.erase_account(former, origin=Origin.SELF)
    db.session.commit()

    kept = db.session.get(ProductSheet, sheet_id)
    assert kept.state == "submitted" and kept.claimed_by_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == kept.owner.email)) == 1


# --- Through the page ---------------------------------------------------------------------------------------


def test_self_erasure_asks_for_the_password_then_ends_the_session(app, client, mailbox):
    person = seed_person()
    user_id = person.user.id
    login(client, person.user)

    wrong = client.post("/compte/mes-donnees/supprimer", data={"password": "pas le bon", "confirm": "y"})
    assert wrong.status_code == 422 and "Le mot de passe est incorrect" in wrong.text
    assert db.session.get(User, person.user.id) is not None

    unconfirmed = client.post("/compte/mes-donnees/supprimer", data={"password": f.PASSWORD})
    assert unconfirmed.status_code == 422 and "définitive" in unconfirmed.text
    assert db.session.get(User, person.user.id) is not None

    done = client.post("/compte/mes-donnees/supprimer", data={"password": f.PASSWORD, "confirm": "y"})
    assert done.status_code == 302
    assert db.session.get(User, user_id) is None
    assert client.get("/compte/").status_code == 302  # signed out: the account page sends to the login page
    assert len(mailbox.to(EMAIL)) == 1


def test_the_erasure_page_explains_what_happens(app, client):
    user = f.make_user()
    login(client, user)
    page = client.get("/compte/mes-donnees/supprimer")
    assert page.status_code == 200
    for words in ("Zone de danger", "Ancien·ne participant·e", "anonymisées", "définitive"):
        assert words in page.text


def test_a_thread_names_the_erased_author_in_its_hidden_labels(app, client):
    person = seed_person()
    thread = db.session.get(ForumThread, person.ids["thread"])
    services.erase_account(person.user, origin=Origin.SELF)
    db.session.commit()
    login(client, f.make_user(roles=[Role.ADMIN]))
    page = client.get(f"/forum/{thread.forum_id}/sujets/{thread.id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert not re.search(r"message de\s*</span>", text)  # « Modifier – message de » and no one
    assert re.search(r"(Masquer|Signaler)<span class=\"fr-sr-only\"> – message d’Ancien·ne participant·e</span>", text)
    assert "Accepter cette réponse<span class=\"fr-sr-only\"> d’Ancien·ne participant·e</span>" in text


def test_a_name_replaced_after_de_is_elided(app):
    scrubber = services.Scrubber(f.make_user(first_name="Agnès", last_name="Agent"))
    assert scrubber.text("La question de Agnès Agent, reprise par Agnès Agent.") == (
        "La question d’Ancien·ne participant·e, reprise par Ancien·ne participant·e.")


def test_her_products_stay_without_her_and_her_dossiers_leave_no_timeline(app):
    """Her place in a product's team goes with the account; the product, its comité file and the notes given stay,
    her name and address out of them; her dossiers go, and their timeline with them."""
    person = seed_person()
    services.erase_account(person.user, origin=Origin.SELF)
    db.session.commit()

    product = db.session.get(Product, person.ids["product"])
    assert product.members == [] and product.contact == ""
    committee = db.session.get(Committee, person.ids["committee"])
    assert committee.objectives_reached == "Ancien·ne participant·e a mené 12 entretiens."
    assert committee.priorities == [{"title": "Former Ancien·ne participant·e", "expected": "Autonomie"}]
    assert committee.decision_reasons == "Bravo à Ancien·ne participant·e."
    [score] = db.session.scalars(sa.select(CommitteeScore).where(CommitteeScore.committee_id == committee.id))
    assert score.scorer_id is not None and score.comment == "Ancien·ne participant·e connaît son terrain."

    assert db.session.get(Dossier, person.ids["dossier"]) is None
    assert db.session.scalars(sa.select(StateChange).where(
        StateChange.subject_type == Dossier.__tablename__, StateChange.subject_id == person.ids["dossier"])).all() == []


def test_a_former_trainers_comite_notes_outlive_her_account(app, client):
    """Her roles revoked, a former trainer can go; the notes she gave a decided comité stay (its averages do not
    change after the fact), signed « Ancien·ne formateur·rice »."""
    former = f.make_user(first_name="Fanny", last_name="Formatrice")
    committee = f.make_committee(state="decided")
    score_id = f.make_committee_score(committee, former, bilan=2, objectifs=2, besoins=2).id
    f.make_committee_score(committee, bilan=4, objectifs=4, besoins=4)
    services.erase_account(former, origin=Origin.SELF)
    db.session.commit()

    kept = db.session.get(CommitteeScore, score_id)
    assert kept is not None and kept.scorer_id is None and kept.scores == {"bilan": 2, "objectifs": 2, "besoins": 2}
    login(client, f.make_user(roles=[Role.TRAINER]))
    page = client.get(f"/produits/comites/{committee.id}")
    assert page.status_code == 200 and "Ancien·ne formateur·rice" in page.text and "Fanny" not in page.text
    assert "Moyenne générale : 3,0<" in page.text  # her 2s still count (the other member gave 4s)
