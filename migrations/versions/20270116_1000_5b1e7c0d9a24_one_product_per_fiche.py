"""One product per fiche: products.sheet_id unique

Revision ID: 5b1e7c0d9a24
Revises: 5e1f0c2b7a94
Create Date: 2027-01-16 10:00:00

"""
from alembic import op

revision = '5b1e7c0d9a24'
down_revision = '5e1f0c2b7a94'
branch_labels = None
depends_on = None


def upgrade():
    # A fiche made into two products before this revision keeps only its first product linked (the later ones
    # stay, without their fiche), so that the unique index can be built.
    op.execute("UPDATE products SET sheet_id = NULL WHERE sheet_id IS NOT NULL AND id <> "
               "(SELECT MIN(p.id) FROM products p WHERE p.sheet_id = products.sheet_id)")
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_sheet_id'))
        batch_op.create_index(batch_op.f('ix_products_sheet_id'), ['sheet_id'], unique=True)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_sheet_id'))
        batch_op.create_index(batch_op.f('ix_products_sheet_id'), ['sheet_id'], unique=False)
