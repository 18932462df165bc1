"""A linked resource may give the size of the document it links to (course_items.resource_size_bytes)

Revision ID: 3d8f2a61c9e7
Revises: 38fb3e219651
Create Date: 2027-01-17 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '3d8f2a61c9e7'
down_revision = '38fb3e219651'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, no default: the existing links keep saying their type and site only (a size is never guessed).
    with op.batch_alter_table('course_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resource_size_bytes', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('course_items', schema=None) as batch_op:
        batch_op.drop_column('resource_size_bytes')
