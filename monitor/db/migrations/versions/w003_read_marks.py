"""web_read_marks: a per-(user, alert) read watermark, so "mark all read" stops writing a row per entry

Revision ID: w003
Revises: w002
Create Date: 2026-11-30

"Mark all read" inserted one ``web_read_state`` row per match of the alert: with
500,000 matches and a few users the table reached millions of rows, and the unread
counts of every dashboard page joined and counted all of a user's rows, so pages
slowed down with history.  A mark means "every match of this alert with id <=
``through_match_id`` is read by this user"; "mark all read" raises it and deletes
the rows it implies, and unread counts become index range counts above the mark
(monitor/web/read_state.py).

The table starts empty: no mark implies nothing, so existing rows keep meaning
what they meant and each user's rows of an alert fold into a mark at their next
"mark all read" there.  Folding them here would read ``alert_matches``, another
branch's table that need not exist yet when this one runs (and has no foreign key
from here for the same reason).

Downgrade turns the marks back into rows when ``alert_matches`` exists, so
nothing that was read becomes unread, then drops the table.
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import monitor.db.types


revision = 'w003'
down_revision = 'w002'
branch_labels = None
depends_on = None

MARKS = sa.table('web_read_marks', sa.column('user_id', sa.Integer()), sa.column('alert_id', sa.Integer()),
                 sa.column('through_match_id', sa.Integer()))
READ_STATE = sa.table('web_read_state', sa.column('user_id', sa.Integer()), sa.column('match_id', sa.Integer()),
                      sa.column('read_at', monitor.db.types.UTCDateTime()))
MATCHES = sa.table('alert_matches', sa.column('id', sa.Integer()), sa.column('alert_id', sa.Integer()))


def upgrade() -> None:
    op.create_table('web_read_marks',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('through_match_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['web_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'alert_id')
    )


def downgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table('alert_matches'):
        bind.execute(_rows_of_marks())
    op.drop_table('web_read_marks')


def _rows_of_marks() -> sa.Insert:
    """INSERT of a ``web_read_state`` row for every match a mark covers that has none yet."""
    now = sa.literal(datetime.now(timezone.utc), monitor.db.types.UTCDateTime())
    has_row = sa.exists().where(READ_STATE.c.user_id == MARKS.c.user_id, READ_STATE.c.match_id == MATCHES.c.id)
    covered = (sa.select(MARKS.c.user_id, MATCHES.c.id, now)
               .select_from(MARKS.join(MATCHES, sa.and_(MATCHES.c.alert_id == MARKS.c.alert_id,
                                                        MATCHES.c.id <= MARKS.c.through_match_id)))
               .where(~has_row))
    return READ_STATE.insert().from_select(['user_id', 'match_id', 'read_at'], covered)
