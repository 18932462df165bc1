"""Attestations: the learner's name frozen at completion; who signs a run's attestations

enrolments.attestation_name keeps the name as it was when the course was completed, so an attestation
already handed out and its verification page stay the same whatever the account is renamed to. Enrolments
completed before it get the current name (the best that is known). course_runs.signatory_name and
signatory_role: who signs (empty: « L'équipe pédagogique »).

Revision ID: 4e1a7c9b2d05
Revises: 30ce4e6e0bdd
Create Date: 2026-12-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '4e1a7c9b2d05'
down_revision = '30ce4e6e0bdd'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('enrolments', sa.Column('attestation_name', sa.String(length=201), nullable=True))
    op.execute(
        "UPDATE enrolments SET attestation_name = ("
        " SELECT TRIM(users.first_name || ' ' || users.last_name) FROM users WHERE users.id = enrolments.user_id)"
        " WHERE completed_at IS NOT NULL"
    )
    op.add_column('course_runs', sa.Column('signatory_name', sa.String(length=120), server_default='', nullable=False))
    op.add_column('course_runs', sa.Column('signatory_role', sa.String(length=120), server_default='', nullable=False))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+), not a batch rebuild: dropping the old enrolments table would delete in
    # cascade what references it (see 5b1c0e7d2a91).
    op.drop_column('course_runs', 'signatory_role')
    op.drop_column('course_runs', 'signatory_name')
    op.drop_column('enrolments', 'attestation_name')
