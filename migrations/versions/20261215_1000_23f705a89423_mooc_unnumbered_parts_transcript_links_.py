"""MOOC: unnumbered parts (introduction, documents utiles), transcript links, video testimonies, course presentation

Revision ID: 23f705a89423
Revises: 06302e3e79f3
Create Date: 2026-12-15 10:00:00.000000

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


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('video_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prerequisites', sa.String(length=200), server_default='', nullable=False))

    # Modules get their own number (the introduction before Module 1 has none); existing ones keep theirs.
    with op.batch_alter_table('course_modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    op.execute("UPDATE course_modules SET number = position")

    with op.batch_alter_table('sequences', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=True)

    # A video's transcript may be a link (the PDFs of the original course) instead of text: one of them.
    with op.batch_alter_table('course_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transcript_url', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('is_testimony', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_constraint(op.f('ck_course_items_video_has_transcript'), type_='check')
        batch_op.create_check_constraint(op.f('ck_course_items_video_has_transcript'), sa.text(NEW_CHECK))


def downgrade():
    # The old rule wants the text: a video with only a link keeps it, written as its transcript.
    op.execute("UPDATE course_items SET transcript = 'Transcription : ' || transcript_url "
               "WHERE kind = 'video' AND transcript = '' AND transcript_url != ''")

    with op.batch_alter_table('course_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_course_items_video_has_transcript'), type_='check')
        batch_op.create_check_constraint(op.f('ck_course_items_video_has_transcript'), sa.text(OLD_CHECK))
        batch_op.drop_column('is_testimony')
        batch_op.drop_column('transcript_url')

    op.execute("UPDATE sequences SET number = 0 WHERE number IS NULL")

    with op.batch_alter_table('sequences', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('course_modules', schema=None) as batch_op:
        batch_op.drop_column('number')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        for column in ('prerequisites', 'video_minutes', 'description'):
            batch_op.drop_column(column)
