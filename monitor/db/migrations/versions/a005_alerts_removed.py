"""alerts_removed: alerts taken out by ``monitor alerts remove``, and ids never handed out again

Revision ID: a005
Revises: a004
Create Date: 2026-11-30

Removing an alert deletes its versions, matches, deliveries, marks and firings
(foreign keys, ON DELETE CASCADE).  Its id must not come back: SQLite gives a new
row the largest id plus one, so after removing the newest alert the next one would
take its id, and with it the webhook idempotency keys, Message-IDs and Atom entry
ids receivers have already seen.  This table keeps each removed alert's id, name,
query and match count; ``add_alert`` numbers new alerts above its ids.
"""

from alembic import op
import sqlalchemy as sa

from monitor.db.types import UTCDateTime


revision = 'a005'
down_revision = 'a004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alerts_removed',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('matches', sa.Integer(), nullable=False),
    sa.Column('created', UTCDateTime(), nullable=False),
    sa.Column('removed', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('alerts_removed')
