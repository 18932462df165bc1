"""Fiche produit: one part per sequence of the MOOC; the course is told which parts are answered

The fiche was a startup sheet of seven sections (name, pitch, context, problem, solution, strategy, team);
it is now the header (name, pitch), then one part per sequence with its own questions, then the roadmap.
Every version of every sheet (the history must still display) and every review's per-section comments move
to the new keys, word for word:

    name → name            pitch → pitch
    problem → s1_problem (« le drame »), then « Le contexte : » + context, a blank line between them
    solution → s1_solution  strategy → s2_reach  team → s1_partners
    review comments: name, pitch → header; context, problem, solution, team → s1; strategy → s2 — each
    prefixed with its old section's name (« Le problème (« le drame ») : … »), several joined by a blank line

Indicators, milestones, user types, themes and any key this migration does not know are kept as they are.

enrolment_sheet_parts: the sequences whose part of the learner's fiche is answered (every question). None
is filled here: no fiche written before can have a complete part — each part has a question the old sheet
never asked (S1 the deployment and the scaling up, S2 the first users and the Open Lab, S3–S5 all).

Downgrade maps back. A fiche written in the old structure comes back exactly as it was. Answers to the new
questions have no old section: each goes, labelled with its question (« Déploiement dans les 6 mois : … »),
into the closest one (S1 deployment and scaling up, S2 first users and Open Lab → strategy; S3 and S4 →
context; S5 → solution), so no word is dropped; comments on S3, S4 and the roadmap go, labelled, to context
and strategy, S5's to solution. The loss: the old pages cut a section to its limit (1,500 or 800 characters)
the next time the sheet is saved, so a long fiche written in the new structure would lose its end then.

Revision ID: 7c2e5a9d41b8
Revises: c68fb2237b54
Create Date: 2026-12-20 10:00:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2e5a9d41b8'
down_revision = 'c68fb2237b54'
branch_labels = None
depends_on = None

OLD_SECTIONS = ("name", "pitch", "context", "problem", "solution", "strategy", "team")
# The old sections' names, as the old pages showed them (prefixes of the moved review comments).
OLD_LABELS = {
    "name": "Nom du produit", "pitch": "Pitch", "context": "Le contexte", "problem": "Le problème (« le drame »)",
    "solution": "La solution numérique", "strategy": "La stratégie de mise en marché",
    "team": "Équipe et administration sponsor",
}
NEW_QUESTIONS = (
    "name", "pitch", "s1_problem", "s1_solution", "s1_deployment", "s1_partners", "s1_scale_up", "s2_first_users",
    "s2_reach", "s2_open_lab", "s3_impact", "s3_first_checks", "s3_measures", "s4_worst_case", "s4_small_actions",
    "s5_tool", "s5_urls",
)
CONTEXT_PREFIX = "Le contexte : "
BLANK_LINE = "\n\n"

# Downgrade: where the answers to the new questions go (labelled), and the comments on the new parts.
NEW_ONLY = {
    "strategy": (("s1_deployment", "Déploiement dans les 6 mois"), ("s1_scale_up", "Vers un service public national"),
                 ("s2_first_users", "Premiers utilisateurs"), ("s2_open_lab", "Arguments pour un premier Open Lab")),
    "context": (("s3_impact", "Impact concret, avant et après"), ("s3_first_checks", "Vérifier les premiers succès à 3 mois"),
                ("s3_measures", "Mesures d’impact à deux ans"), ("s4_worst_case", "Le pire scénario"),
                ("s4_small_actions", "Les petites actions contre le pire")),
    "solution": (("s5_tool", "Premier outil de test sans développeur"), ("s5_urls", "Adresse(s) de l’outil")),
}
COMMENT_TARGET = {"name": "header", "pitch": "header", "context": "s1", "problem": "s1", "solution": "s1", "team": "s1",
                  "strategy": "s2"}
COMMENT_DEFAULT = {"header": "pitch", "s1": "problem", "s2": "strategy"}
NEW_ONLY_COMMENTS = {"s3": ("context", "Séquence 3 : Mesurer son impact dans le réel"),
                     "s4": ("context", "Séquence 4 : Survivre en milieu hostile"),
                     "s5": ("solution", "Séquence 5 : Faire de l’industriel en mode artisanal"),
                     "roadmap": ("strategy", "Feuille de route à 6 mois")}
LABELLED = re.compile(r"\n\n(?=(?:%s) : )" % "|".join(re.escape(label) for label in OLD_LABELS.values()))

versions = sa.table("sheet_versions", sa.column("id", sa.Integer), sa.column("content", sa.JSON))
reviews = sa.table("sheet_reviews", sa.column("id", sa.Integer), sa.column("section_comments", sa.JSON))


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _join(*texts) -> str:
    return BLANK_LINE.join(text for text in texts if text)


# --- Content of a version ---------------------------------------------------------------------------------


def content_up(old: dict) -> dict:
    if not isinstance(old, dict) or "s1_problem" in old:
        return old  # not a sheet's content, or already in the new structure
    text = {key: _text(old.get(key)) for key in OLD_SECTIONS}
    new = {key: "" for key in NEW_QUESTIONS}
    new.update(
        name=text["name"], pitch=text["pitch"],
        s1_problem=_join(text["problem"], CONTEXT_PREFIX + text["context"] if text["context"] else ""),
        s1_solution=text["solution"], s1_partners=text["team"], s2_reach=text["strategy"],
    )
    kept = {key: value for key, value in old.items() if key not in OLD_SECTIONS}  # roadmap, unknown keys
    return {**new, **kept}


def content_down(new: dict) -> dict:
    if not isinstance(new, dict) or "s1_problem" not in new:
        return new
    text = {key: _text(new.get(key)) for key in NEW_QUESTIONS}
    drame = text["s1_problem"]
    if drame.startswith(CONTEXT_PREFIX):
        problem, context = "", drame[len(CONTEXT_PREFIX):]
    else:
        problem, _, context = drame.partition(BLANK_LINE + CONTEXT_PREFIX)
    old = {"name": text["name"], "pitch": text["pitch"], "context": context, "problem": problem,
           "solution": text["s1_solution"], "strategy": text["s2_reach"], "team": text["s1_partners"]}
    for section, questions in NEW_ONLY.items():
        old[section] = _join(old[section], *(f"{label} : {text[key]}" for key, label in questions if text[key]))
    kept = {key: value for key, value in new.items() if key not in NEW_QUESTIONS}
    return {**old, **kept}


# --- A review's comments ----------------------------------------------------------------------------------


def comments_up(old: dict) -> dict:
    if not isinstance(old, dict):
        return old
    new = {}
    for section in OLD_SECTIONS:  # in the old page's order
        comment = _text(old.get(section))
        if comment:
            target = COMMENT_TARGET[section]
            new[target] = _join(new.get(target, ""), f"{OLD_LABELS[section]} : {comment}")
    kept = {key: value for key, value in old.items() if key not in OLD_SECTIONS}
    return {**new, **kept}


def comments_down(new: dict) -> dict:
    if not isinstance(new, dict):
        return new
    old = {}

    def add(section, comment):
        old[section] = _join(old.get(section, ""), comment)

    for target, default in COMMENT_DEFAULT.items():
        for chunk in LABELLED.split(_text(new.get(target))):
            if not chunk:
                continue
            section = next((s for s, label in OLD_LABELS.items()
                            if COMMENT_TARGET[s] == target and chunk.startswith(f"{label} : ")), None)
            if section is not None:
                add(section, chunk[len(OLD_LABELS[section]) + 3:])
            else:  # written after the migration: to the part's main section, as typed
                add(default, chunk)
    for target, (section, label) in NEW_ONLY_COMMENTS.items():
        if _text(new.get(target)):
            add(section, f"{label} : {new[target]}")
    kept = {key: value for key, value in new.items() if key not in (*COMMENT_DEFAULT, *NEW_ONLY_COMMENTS)}
    return {**old, **kept}


# --- Rewriting the rows -----------------------------------------------------------------------------------


def _rewrite(table, column: str, change, batch: int = 500) -> None:
    """Every row of `table`, `batch` at a time (a sheet has a version per autosave: there may be many)."""
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c[column]).where(table.c.id > last).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return
        for row_id, value in rows:
            changed = change(value)
            if changed != value:
                connection.execute(sa.update(table).where(table.c.id == row_id).values({column: changed}))
        last = rows[-1][0]


def upgrade():
    op.create_table(
        'enrolment_sheet_parts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('sequence_number', sa.Integer(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_enrolment_sheet_parts_enrolment_id_enrolments'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment_sheet_parts')),
        sa.UniqueConstraint('enrolment_id', 'sequence_number', name='uq_enrolment_sheet_parts_enrolment_sequence'),
    )
    with op.batch_alter_table('enrolment_sheet_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_sheet_parts_enrolment_id'), ['enrolment_id'], unique=False)

    _rewrite(versions, "content", content_up)
    _rewrite(reviews, "section_comments", comments_up)


def downgrade():
    _rewrite(reviews, "section_comments", comments_down)
    _rewrite(versions, "content", content_down)

    with op.batch_alter_table('enrolment_sheet_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_sheet_parts_enrolment_id'))
    op.drop_table('enrolment_sheet_parts')
