"""Sessions: daily times and the calendar event's SEQUENCE; applications: calendar_sent_at

Sessions get daily start and end times (instead of free text) and the SEQUENCE of their calendar event;
applications, when the session's event was sent to the person's calendar. Sessions may now be cancelled
(status 'cancelled', no schema change).

The free text `daily_hours` (« de 9h à 18h ») becomes two times: read from the text when it names two
(9h, 9h30, 9 h 30, 9:30), else the default 9:30–17:30. People whose seat is confirmed received the all-day
invitation with the confirmation email: their `calendar_sent_at` is their confirmation date, so giving up
the seat now sends them its cancellation.

Revision ID: 30ce4e6e0bdd
Revises: fc926a0233e6
Create Date: 2026-12-22 10:00:00

"""
import re
from datetime import time

import sqlalchemy as sa
from alembic import op

revision = '30ce4e6e0bdd'
down_revision = 'fc926a0233e6'
branch_labels = None
depends_on = None

DEFAULT_HOURS = (time(9, 30), time(17, 30))
HOUR = re.compile(r"(\d{1,2})\s*[hH:]\s*(\d{2})?")

cohorts = sa.table(
    'cohorts', sa.column('id', sa.Integer), sa.column('daily_hours', sa.String),
    sa.column('day_starts_at', sa.Time), sa.column('day_ends_at', sa.Time),
)


def hours_from_text(text: str) -> tuple[time, time]:
    found = []
    for hour, minute in HOUR.findall(text or ""):
        if int(hour) < 24 and int(minute or 0) < 60:
            found.append(time(int(hour), int(minute or 0)))
    if len(found) >= 2 and found[0] < found[1]:
        return found[0], found[1]
    return DEFAULT_HOURS


def _hour(value: time) -> str:
    return f"{value.hour}h{value.minute:02d}" if value.minute else f"{value.hour}h"


def upgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('day_starts_at', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('day_ends_at', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), nullable=False, server_default='0'))
    connection = op.get_bind()
    for cohort_id, text in connection.execute(sa.select(cohorts.c.id, cohorts.c.daily_hours)).all():
        starts_at, ends_at = hours_from_text(text)
        connection.execute(cohorts.update().where(cohorts.c.id == cohort_id)
                           .values(day_starts_at=starts_at, day_ends_at=ends_at))
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.alter_column('day_starts_at', existing_type=sa.Time(), nullable=False)
        batch_op.alter_column('day_ends_at', existing_type=sa.Time(), nullable=False)
        batch_op.alter_column('calendar_sequence', existing_type=sa.Integer(), server_default=None)
        batch_op.create_check_constraint(op.f('ck_cohorts_day_hours_ordered'), 'day_ends_at > day_starts_at')
        batch_op.create_check_constraint(op.f('ck_cohorts_calendar_sequence_not_negative'), 'calendar_sequence >= 0')
        batch_op.drop_column('daily_hours')

    with op.batch_alter_table('cohort_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_sent_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE cohort_applications SET calendar_sent_at = confirmed_at WHERE state = 'confirmed'")


def downgrade():
    with op.batch_alter_table('cohort_applications', schema=None) as batch_op:
        batch_op.drop_column('calendar_sent_at')

    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('daily_hours', sa.String(length=100), nullable=False, server_default=''))
    connection = op.get_bind()
    rows = connection.execute(sa.select(cohorts.c.id, cohorts.c.day_starts_at, cohorts.c.day_ends_at)).all()
    for cohort_id, starts_at, ends_at in rows:
        connection.execute(cohorts.update().where(cohorts.c.id == cohort_id)
                           .values(daily_hours=f"de {_hour(starts_at)} à {_hour(ends_at)}"))
    # The earlier schema has no cancelled status: a cancelled session is kept, as archived.
    op.execute("UPDATE cohorts SET status = 'archived' WHERE status = 'cancelled'")
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.alter_column('daily_hours', existing_type=sa.String(length=100), server_default=None)
        batch_op.drop_constraint(op.f('ck_cohorts_calendar_sequence_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_cohorts_day_hours_ordered'), type_='check')
        batch_op.drop_column('calendar_sequence')
        batch_op.drop_column('day_ends_at')
        batch_op.drop_column('day_starts_at')
