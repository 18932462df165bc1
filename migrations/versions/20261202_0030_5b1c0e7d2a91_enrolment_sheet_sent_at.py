"""enrolments.sheet_sent_at: the course is told that the learner's fiche produit is sent

Courses used to read the sheets' table to know it; now the sheets domain tells the enrolment, so the
dependency points one way (sheets → courses).

Revision ID: 5b1c0e7d2a91
Revises: 80fef9afbc61
Create Date: 2026-12-02 00:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b1c0e7d2a91'
down_revision = '80fef9afbc61'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('enrolments', sa.Column('sheet_sent_at', sa.DateTime(), nullable=True))
    # Enrolments whose linked sheet is already sent (or further) keep counting it.
    op.execute(
        "UPDATE enrolments SET sheet_sent_at = ("
        " SELECT MIN(COALESCE(product_sheets.submitted_at, product_sheets.updated_at)) FROM product_sheets"
        " WHERE product_sheets.enrolment_id = enrolments.id AND product_sheets.state <> 'draft')"
    )


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+), not a batch rebuild: dropping the old enrolments table would set
    # product_sheets.enrolment_id to NULL (ON DELETE SET NULL) and unlink every sheet from its course.
    op.drop_column('enrolments', 'sheet_sent_at')
