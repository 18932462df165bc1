"""speakers belong to a session: a role given in one session never rewrites another's

Revision ID: 87512fc234a8
Revises: 431c19f3b945
Create Date: 2026-12-01 23:13:00

A speaker used by several sessions is split into one row per session (same name, role and organisation),
and each session's programme items point to that session's row. A speaker used by no programme item goes
to the session that starts last (the one most likely being prepared), or is dropped when there is none.

On SQLite the batch steps rebuild `speakers`; dropping the old table would cascade to
`programme_item_speakers`, so the links are read before each step and written back after it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '87512fc234a8'
down_revision = '431c19f3b945'
branch_labels = None
depends_on = None

speakers = sa.table(
    'speakers',
    sa.column('id', sa.Integer), sa.column('cohort_id', sa.Integer), sa.column('name', sa.String),
    sa.column('role', sa.String), sa.column('organisation', sa.String), sa.column('created_at', sa.DateTime),
    sa.column('updated_at', sa.DateTime),
)
links = sa.table('programme_item_speakers', sa.column('programme_item_id', sa.Integer), sa.column('speaker_id', sa.Integer))
items = sa.table('programme_items', sa.column('id', sa.Integer), sa.column('cohort_id', sa.Integer))
cohorts = sa.table('cohorts', sa.column('id', sa.Integer), sa.column('starts_on', sa.Date))


def _read_links(bind):
    return [dict(row._mapping) for row in bind.execute(sa.select(links.c.programme_item_id, links.c.speaker_id))]


def _write_links(bind, rows):
    """Put the links back exactly as read (the SQLite rebuild may have cascaded them away)."""
    bind.execute(links.delete())
    if rows:
        bind.execute(links.insert(), rows)


def upgrade():
    bind = op.get_bind()
    saved = _read_links(bind)
    with op.batch_alter_table('speakers', schema=None) as batch_op:  # names stop being unique before the split
        batch_op.add_column(sa.Column('cohort_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_speakers_name', type_='unique')
    _write_links(bind, saved)

    used = bind.execute(
        sa.select(links.c.speaker_id, items.c.cohort_id).distinct()
        .join(items, items.c.id == links.c.programme_item_id)
        .order_by(links.c.speaker_id, items.c.cohort_id)
    ).all()
    cohorts_of = {}
    for speaker_id, cohort_id in used:
        cohorts_of.setdefault(speaker_id, []).append(cohort_id)
    for speaker_id, cohort_ids in cohorts_of.items():
        bind.execute(speakers.update().where(speakers.c.id == speaker_id).values(cohort_id=cohort_ids[0]))
        original = bind.execute(sa.select(speakers).where(speakers.c.id == speaker_id)).one()._mapping
        for cohort_id in cohort_ids[1:]:
            copy = {key: original[key] for key in ('name', 'role', 'organisation', 'created_at', 'updated_at')}
            new_id = bind.execute(speakers.insert().values(cohort_id=cohort_id, **copy).returning(speakers.c.id)).scalar_one()
            bind.execute(
                links.update()
                .where(links.c.speaker_id == speaker_id,
                       links.c.programme_item_id.in_(sa.select(items.c.id).where(items.c.cohort_id == cohort_id)))
                .values(speaker_id=new_id)
            )
    latest = bind.execute(sa.select(cohorts.c.id).order_by(cohorts.c.starts_on.desc(), cohorts.c.id.desc()).limit(1)).scalar()
    if latest is None:
        bind.execute(speakers.delete().where(speakers.c.cohort_id.is_(None)))
    else:
        bind.execute(speakers.update().where(speakers.c.cohort_id.is_(None)).values(cohort_id=latest))

    saved = _read_links(bind)
    with op.batch_alter_table('speakers', schema=None) as batch_op:
        batch_op.alter_column('cohort_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_speakers_cohort_name', ['cohort_id', 'name'])
        batch_op.create_foreign_key(batch_op.f('fk_speakers_cohort_id_cohorts'), 'cohorts', ['cohort_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_speakers_cohort_id'), ['cohort_id'], unique=False)
    _write_links(bind, saved)


def downgrade():
    """Speakers become global again: rows sharing a name are merged into the oldest one (its role wins)."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(speakers.c.id, speakers.c.name).order_by(speakers.c.name, speakers.c.id)).all()
    keep = {}
    for speaker_id, name in rows:
        kept = keep.setdefault(name, speaker_id)
        if kept == speaker_id:
            continue
        # An item linked to both rows keeps one link.
        other = links.alias('other')
        both = sa.select(other.c.programme_item_id).where(other.c.speaker_id == kept)
        bind.execute(links.delete().where(links.c.speaker_id == speaker_id, links.c.programme_item_id.in_(both)))
        bind.execute(links.update().where(links.c.speaker_id == speaker_id).values(speaker_id=kept))
        bind.execute(speakers.delete().where(speakers.c.id == speaker_id))

    saved = _read_links(bind)
    with op.batch_alter_table('speakers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_speakers_cohort_id'))
        batch_op.drop_constraint(batch_op.f('fk_speakers_cohort_id_cohorts'), type_='foreignkey')
        batch_op.drop_constraint('uq_speakers_cohort_name', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_speakers_name'), ['name'])
        batch_op.drop_column('cohort_id')
    _write_links(bind, saved)
