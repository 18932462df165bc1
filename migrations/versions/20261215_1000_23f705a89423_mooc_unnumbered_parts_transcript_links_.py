"""MOOC: unnumbered parts (introduction, documents utiles), transcript links, video testimonies, course presentation

Revision ID: 23f705a89423
Revises: 06302e3e79f3
Create Date: 2026-12-15 10:00:00.000000

On SQLite the batch steps on `sequences` and `course_items` rebuild those tables (copy, DROP, rename); the
app's connections turn foreign keys on, so the DROP would delete every row that references them, in
cascade (items, quiz choices, files, learners' progress), and empty the forum categories' sequence. Those
rows are read before each step and written back after it. PostgreSQL alters the tables in place.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '23f705a89423'
down_revision = '06302e3e79f3'
branch_labels = None
depends_on = None

OLD_CHECK = "kind != 'video' OR (transcript != '' AND video_url != '')"
NEW_CHECK = "kind != 'video' OR (video_url != '' AND (transcript != '' OR transcript_url != ''))"


def _keeping_what_references(table_name, alter):
    """Run `alter` (a batch step on `table_name`); on SQLite, put back what its rebuild deleted or emptied."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        alter()
        return
    meta = sa.MetaData()
    meta.reflect(bind)
    deleted, nulled, parents = set(), [], [table_name]
    while parents:  # ON DELETE CASCADE deletes the children, and theirs in turn
        parent = parents.pop()
        for table in meta.sorted_tables:
            for key in table.foreign_keys:
                if key.column.table.name != parent:
                    continue
                action = (key.ondelete or "").upper()
                if action == "CASCADE" and table.name not in deleted:
                    deleted.add(table.name)
                    parents.append(table.name)
                elif action == "SET NULL":
                    nulled.append((table, key.parent))
    rows = {name: [dict(row._mapping) for row in bind.execute(sa.select(meta.tables[name]))] for name in deleted}
    references = [(table, column, bind.execute(sa.select(*table.primary_key.columns, column).where(column.is_not(None))).all())
                  for table, column in nulled if table.name not in deleted]
    alter()
    for table in meta.sorted_tables:  # parents first
        if table.name in deleted and rows[table.name]:
            bind.execute(table.delete())
            bind.execute(table.insert(), rows[table.name])
    for table, column, values in references:
        (key,) = table.primary_key.columns
        for row_id, value in values:
            bind.execute(table.update().where(key == row_id).values({column.name: value}))


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('video_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prerequisites', sa.String(length=200), server_default='', nullable=False))

    # Modules get their own number (the introduction before Module 1 has none); existing ones keep theirs.
    with op.batch_alter_table('course_modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    op.execute("UPDATE course_modules SET number = position")

    def sequences_may_be_unnumbered():
        with op.batch_alter_table('sequences', schema=None) as batch_op:
            batch_op.alter_column('number', existing_type=sa.Integer(), nullable=True)

    _keeping_what_references('sequences', sequences_may_be_unnumbered)

    # A video's transcript may be a link (the PDFs of the original course) instead of text: one of them.
    def items_with_transcript_links():
        with op.batch_alter_table('course_items', schema=None) as batch_op:
            batch_op.add_column(sa.Column('transcript_url', sa.String(length=500), server_default='', nullable=False))
            batch_op.add_column(sa.Column('is_testimony', sa.Boolean(), server_default=sa.false(), nullable=False))
            batch_op.drop_constraint(op.f('ck_course_items_video_has_transcript'), type_='check')
            batch_op.create_check_constraint(op.f('ck_course_items_video_has_transcript'), sa.text(NEW_CHECK))

    _keeping_what_references('course_items', items_with_transcript_links)


def downgrade():
    # The old rule wants the text: a video with only a link keeps it, written as its transcript.
    op.execute("UPDATE course_items SET transcript = 'Transcription : ' || transcript_url "
               "WHERE kind = 'video' AND transcript = '' AND transcript_url != ''")

    def items_without_transcript_links():
        with op.batch_alter_table('course_items', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_course_items_video_has_transcript'), type_='check')
            batch_op.create_check_constraint(op.f('ck_course_items_video_has_transcript'), sa.text(OLD_CHECK))
            batch_op.drop_column('is_testimony')
            batch_op.drop_column('transcript_url')

    _keeping_what_references('course_items', items_without_transcript_links)

    op.execute("UPDATE sequences SET number = 0 WHERE number IS NULL")

    def sequences_numbered():
        with op.batch_alter_table('sequences', schema=None) as batch_op:
            batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)

    _keeping_what_references('sequences', sequences_numbered)

    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch rebuild of `courses` would cascade to everything.
    op.drop_column('course_modules', 'number')
    for column in ('prerequisites', 'video_minutes', 'description'):
        op.drop_column('courses', column)
