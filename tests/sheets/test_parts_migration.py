"""The migration to one part per sequence (7c2e5a9d41b8) keeps every word of a fiche written in the old
structure — every version, and the reviews' comments — down and up again, on SQLite and PostgreSQL; the
history still displays; a fiche written in the new structure keeps its words when going down."""

from types import SimpleNamespace

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from beta_training.accounts.models import Role
from beta_training.core.models import utcnow
from beta_training.extensions import db
from beta_training.sheets import exports, queries, services
from beta_training.sheets.models import QUESTIONS, ProductSheet
from tests.factories import ANSWERED_PARTS, _save, make_sheet_review, make_sheet_version, make_user
from tests.test_migrations import _app_for, empty_database_url  # noqa: F401 — the fixture is used below

BEFORE = "c68fb2237b54"
ROADMAP = {
    "indicators": [{"name": "Familles inscrites", "baseline": "35", "target": "150"}, {"name": "", "baseline": "", "target": ""},
                   {"name": "", "baseline": "", "target": ""}],
    "milestones": [{"title": "Deux communes pilotes", "due_on": "2027-03-01", "priority": "1"}]
                  + [{"title": "", "due_on": "", "priority": ""}] * 5,
    "usertypes": ["particulier"],
    "thematiques": "éducation, solidarité",
}
# The first version: no context yet. The second: every section at its old limit (1,500; team 800).
OLD_V1 = {"name": "Cantine à 1 €", "pitch": "Le tarif social en deux minutes.", "context": "",
          "problem": "Des familles renoncent au tarif social.", "solution": "", "strategy": "", "team": "", **ROADMAP}
OLD_V2 = {"name": "Cantine à 1 €", "pitch": "Permettre aux familles modestes d’obtenir le tarif social en deux minutes.",
          "context": ("Dans notre département, le dossier papier réclame six justificatifs. " * 30)[:1500].strip(),
          "problem": ("Chaque année, 4 000 familles renoncent au tarif social de la cantine. " * 30)[:1500].strip(),
          "solution": ("Un formulaire relié au quotient familial, sans pièce justificative. " * 30)[:1500].strip(),
          "strategy": ("Par les centres sociaux, puis l’association des maires. " * 40)[:1500].strip(),
          "team": ("Une intrapreneure, un coach ; sponsor : la direction de l’éducation. " * 20)[:800].strip(), **ROADMAP}
OLD_COMMENTS = {"problem": "Chiffrez le drame.", "context": "Trop long.", "pitch": "Plus court.", "strategy": "Quel canal ?"}

versions = sa.table("sheet_versions", sa.column("sheet_id", sa.Integer), sa.column("number", sa.Integer),
                    sa.column("content", sa.JSON))
reviews = sa.table("sheet_reviews", sa.column("sheet_id", sa.Integer), sa.column("section_comments", sa.JSON))
# The three tables as they were at BEFORE.
sheets_then = sa.table("product_sheets", sa.column("id", sa.Integer), sa.column("owner_id", sa.Integer),
                       sa.column("state", sa.String), sa.column("title", sa.String), sa.column("current_version", sa.Integer),
                       sa.column("roadmap_reminders_sent", sa.Integer), sa.column("created_at", sa.DateTime),
                       sa.column("updated_at", sa.DateTime))
versions_then = sa.table("sheet_versions", sa.column("sheet_id", sa.Integer), sa.column("number", sa.Integer),
                         sa.column("content", sa.JSON), sa.column("author_id", sa.Integer), sa.column("saved_at", sa.DateTime))
reviews_then = sa.table("sheet_reviews", sa.column("sheet_id", sa.Integer), sa.column("reviewer_id", sa.Integer),
                        sa.column("version_number", sa.Integer), sa.column("verdict", sa.String),
                        sa.column("overall_comment", sa.Text), sa.column("section_comments", sa.JSON),
                        sa.column("scores", sa.JSON), sa.column("created_at", sa.DateTime))


def _stored(sheet_id):
    """The JSON as stored (plain SQL: the models may not match the schema mid-test)."""
    with db.engine.connect() as connection:
        contents = connection.execute(sa.select(versions.c.content).where(versions.c.sheet_id == sheet_id)
                                      .order_by(versions.c.number)).scalars().all()
        comments = connection.execute(sa.select(reviews.c.section_comments).where(reviews.c.sheet_id == sheet_id)).scalar_one()
    return contents, comments


def test_a_fiche_of_the_old_structure_keeps_every_word_down_and_up(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        # The people exist before going down: the users table has grown since BEFORE (the model no longer fits it).
        owner, reviewer = (SimpleNamespace(id=make_user(roles=roles).id) for roles in ((), [Role.TRAINER]))
        db.session.remove()
        downgrade(revision=BEFORE)
        db.session().expire_on_commit = False  # nothing read back through the models, which join users
        # Written with the old pages, in plain SQL: the tables have grown since (review rounds, how a version was
        # saved), so the models no longer fit them.
        now = utcnow().replace(tzinfo=None)
        with db.engine.begin() as connection:
            sheet_id = connection.execute(sa.insert(sheets_then).values(
                owner_id=owner.id, state="changes_requested", title=OLD_V2["name"], current_version=2,
                roadmap_reminders_sent=0, created_at=now, updated_at=now).returning(sheets_then.c.id)).scalar_one()
            for number, content in ((1, OLD_V1), (2, OLD_V2)):
                connection.execute(sa.insert(versions_then).values(sheet_id=sheet_id, number=number, content=content,
                                                                   author_id=owner.id, saved_at=now))
            connection.execute(sa.insert(reviews_then).values(
                sheet_id=sheet_id, reviewer_id=reviewer.id, version_number=1, verdict="changes_requested",
                overall_comment="", section_comments=OLD_COMMENTS, scores={}, created_at=now))

        upgrade()
        (v1, v2), comments = _stored(sheet_id)
        assert v2["s1_problem"] == OLD_V2["problem"] + "\n\nLe contexte : " + OLD_V2["context"]
        assert v1["s1_problem"] == OLD_V1["problem"]  # no context: nothing added
        assert (v2["name"], v2["pitch"], v2["s1_solution"], v2["s2_reach"], v2["s1_partners"]) == (
            OLD_V2["name"], OLD_V2["pitch"], OLD_V2["solution"], OLD_V2["strategy"], OLD_V2["team"])
        assert {key: v2[key] for key in ROADMAP} == ROADMAP
        assert not set(v2) & {"context", "problem", "solution", "strategy", "team"}
        assert all(v2[key] == "" for key in ("s1_deployment", "s1_scale_up", "s2_first_users", "s2_open_lab", "s3_impact",
                                             "s3_first_checks", "s3_measures", "s4_worst_case", "s4_small_actions", "s5_tool",
                                             "s5_urls"))
        assert comments == {"header": "Pitch : Plus court.",
                            "s1": "Le contexte : Trop long.\n\nLe problème (« le drame ») : Chiffrez le drame.",
                            "s2": "La stratégie de mise en marché : Quel canal ?"}
        # Every word fits the new limits: the next save (an autosave) keeps it all.
        with app.test_request_context():
            cleaned = services.clean_content(v2)
            assert {key: cleaned[key] for key in QUESTIONS} == {key: v2[key] for key in QUESTIONS}
            # The history still displays: the diff since the reviewed version, the PDF of the first version.
            reviewed, diffs = queries.changes_since_last_review(db.session.get(ProductSheet, sheet_id))
            assert reviewed == 1 and list(diffs)[:3] == ["pitch", "s1_problem", "s1_solution"]
            assert exports.one_pager_pdf(v1, owner_name="Léa", version=1).startswith(b"%PDF")
        db.session.remove()

        downgrade(revision=BEFORE)
        (v1, v2), comments = _stored(sheet_id)
        assert (v1, v2, comments) == (OLD_V1, OLD_V2, OLD_COMMENTS)  # exactly as written

        upgrade()
        (v1_again, v2_again), comments_again = _stored(sheet_id)
        assert v2_again["s1_problem"].endswith("Le contexte : " + OLD_V2["context"]) and comments_again["s2"].endswith("Quel canal ?")
        db.session.remove()
        db.engine.dispose()


def test_a_fiche_of_the_new_structure_keeps_its_words_going_down(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        owner = make_user()
        sheet = _save(ProductSheet(owner_id=owner.id, state="draft", title="Mon produit", current_version=1))
        new = {"name": "Mon produit", "pitch": "En une phrase.", **ANSWERED_PARTS, **ROADMAP}
        make_sheet_version(sheet, number=1, content=new, author=owner)
        make_sheet_review(sheet, section_comments={"s1": "Sur le drame.", "s3": "Sur l’impact.", "roadmap": "Sur les jalons."})
        sheet_id = sheet.id
        db.session.commit()
        db.session.remove()

        downgrade(revision=BEFORE)
        [old], comments = _stored(sheet_id)
        assert set(old) == {"name", "pitch", "context", "problem", "solution", "strategy", "team", *ROADMAP}
        words = " ".join(old[key] for key in ("context", "problem", "solution", "strategy", "team"))
        for key, answer in ANSWERED_PARTS.items():
            assert answer in words, key
        assert old["strategy"].startswith(ANSWERED_PARTS["s2_reach"] + "\n\nDéploiement dans les 6 mois : ")
        assert comments == {"problem": "Sur le drame.", "context": "Séquence 3 : Mesurer son impact dans le réel : Sur l’impact.",
                            "strategy": "Feuille de route à 6 mois : Sur les jalons."}
        upgrade()
        db.session.remove()
        db.engine.dispose()
