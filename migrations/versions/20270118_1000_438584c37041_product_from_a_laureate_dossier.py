"""A product from a lauréat dossier of an appel à intrapreneurs: products.dossier_id (unique)

Revision ID: 438584c37041
Revises: 14902b1464b7
Create Date: 2027-01-18 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '438584c37041'
down_revision = '14902b1464b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dossier_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_products_dossier_id'), ['dossier_id'], unique=True)
        batch_op.create_foreign_key(batch_op.f('fk_products_dossier_id_call_dossiers'), 'call_dossiers', ['dossier_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_products_dossier_id_call_dossiers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_products_dossier_id'))
        batch_op.drop_column('dossier_id')
