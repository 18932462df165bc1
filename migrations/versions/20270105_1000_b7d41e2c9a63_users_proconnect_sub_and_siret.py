"""Users: the ProConnect identity (sub) and the SIRET it gives

users.proconnect_idp_id and users.proconnect_sub identify the person at ProConnect (ProConnect's `sub` is
unique per identity provider, so the pair is unique; empty for password-only accounts), so a return visit signs
in by them, not by the email. users.siret is the establishment ProConnect gives.

Revision ID: b7d41e2c9a63
Revises: 4e1a7c9b2d05
Create Date: 2027-01-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d41e2c9a63'
down_revision = '4e1a7c9b2d05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('siret', sa.String(length=14), nullable=True))
        batch_op.add_column(sa.Column('proconnect_sub', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('proconnect_idp_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_users_proconnect_identity', ['proconnect_idp_id', 'proconnect_sub'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_proconnect_identity', type_='unique')
        batch_op.drop_column('proconnect_idp_id')
        batch_op.drop_column('proconnect_sub')
        batch_op.drop_column('siret')
