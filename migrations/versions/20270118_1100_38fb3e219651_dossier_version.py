"""A dossier's version (call_dossiers.version): autosave's optimistic lock, so a second tab cannot overwrite the first

Revision ID: 38fb3e219651
Revises: 438584c37041
Create Date: 2027-01-18 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '38fb3e219651'
down_revision = '438584c37041'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('call_dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('call_dossiers', schema=None) as batch_op:
        batch_op.alter_column('version', server_default=None)


def downgrade():
    with op.batch_alter_table('call_dossiers', schema=None) as batch_op:
        batch_op.drop_column('version')
