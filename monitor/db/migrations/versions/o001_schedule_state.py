"""schedule: the scheduler's per-source state (interval, next due, running job, failures)

Revision ID: o001
Revises: 0001
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

import monitor.db.types


revision = 'o001'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule_state',
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('interval_seconds', sa.Float(), nullable=False),
    sa.Column('next_due', monitor.db.types.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('job', sa.String(length=100), nullable=True),
    sa.Column('last_started', monitor.db.types.UTCDateTime(), nullable=True),
    sa.Column('last_finished', monitor.db.types.UTCDateTime(), nullable=True),
    sa.Column('last_status', sa.String(length=40), nullable=True),
    sa.Column('last_stored', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated', monitor.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('source')
    )
    with op.batch_alter_table('schedule_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_state_next_due'), ['next_due'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('schedule_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_state_next_due'))
    op.drop_table('schedule_state')
