"""Personal data: sign-in events, the record of erasures and admin exports, retention warnings; applications and
fiches produit that outlive an erased account (anonymised), and the outbox row erased once sent

sign_in_events: one row per sign-in (method, network), purged after SIGN_IN_EVENTS_RETENTION_DAYS.
privacy_actions: erasures (no personal data) and exports made by an admin for someone.
retention_warnings: the warning of the retention purge was written (sent once; a sign-in deletes it).
cohort_applications.user_id (+ anonymised_at) and product_sheets.owner_id become nullable: what is kept of an
erased account points to nobody (a fiche without owner is one kept anonymised). outbox_messages.erase_after_delivery: the erasure's confirmation email.

Revision ID: 7c2d9e4f1a36
Revises: b7d41e2c9a63
Create Date: 2027-01-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



revision = '7c2d9e4f1a36'
down_revision = 'b7d41e2c9a63'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('network', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_events'))
    )
    op.create_index(op.f('ix_sign_in_events_created_at'), 'sign_in_events', ['created_at'], unique=False)
    op.create_index(op.f('ix_sign_in_events_user_id'), 'sign_in_events', ['user_id'], unique=False)
    op.create_table('privacy_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('submission_key', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_privacy_actions_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['users.id'], name=op.f('fk_privacy_actions_subject_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_actions'))
    )
    op.create_index(op.f('ix_privacy_actions_created_at'), 'privacy_actions', ['created_at'], unique=False)
    op.create_index(op.f('ix_privacy_actions_subject_id'), 'privacy_actions', ['subject_id'], unique=False)
    op.create_table('retention_warnings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('warned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_retention_warnings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_retention_warnings'))
    )
    op.add_column('outbox_messages', sa.Column('erase_after_delivery', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('cohort_applications', sa.Column('anonymised_at', sa.DateTime(), nullable=True))
    # Batch rebuilds on SQLite (migrations/env.py turns foreign keys off around them: nothing cascades).
    with op.batch_alter_table('cohort_applications', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('product_sheets', schema=None) as batch_op:
        batch_op.alter_column('owner_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    # Anonymised rows have no owner to go back to: they go.
    op.execute("DELETE FROM product_sheets WHERE owner_id IS NULL")
    op.execute("DELETE FROM cohort_applications WHERE user_id IS NULL")
    with op.batch_alter_table('product_sheets', schema=None) as batch_op:
        batch_op.alter_column('owner_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('cohort_applications', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
    op.drop_column('cohort_applications', 'anonymised_at')
    op.drop_column('outbox_messages', 'erase_after_delivery')
    op.drop_table('retention_warnings')
    op.drop_index(op.f('ix_privacy_actions_subject_id'), table_name='privacy_actions')
    op.drop_index(op.f('ix_privacy_actions_created_at'), table_name='privacy_actions')
    op.drop_table('privacy_actions')
    op.drop_index(op.f('ix_sign_in_events_user_id'), table_name='sign_in_events')
    op.drop_index(op.f('ix_sign_in_events_created_at'), table_name='sign_in_events')
    op.drop_table('sign_in_events')
