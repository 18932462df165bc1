"""Page cache generations: one counter per page cached for anonymous visitors, bumped by the writes it shows

Revision ID: a4c9e2f7d318
Revises: 66167470c1b2
Create Date: 2027-01-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'a4c9e2f7d318'
down_revision = "66167470c1b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'page_cache_generations',
        sa.Column('page', sa.String(length=120), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('page', name=op.f('pk_page_cache_generations')),
    )


def downgrade():
    op.drop_table('page_cache_generations')
