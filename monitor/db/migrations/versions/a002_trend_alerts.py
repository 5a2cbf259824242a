"""trend alerts: alerts.trend (the volume rule), firings per (alert, day) and their deliveries

Revision ID: a002
Revises: a001
Create Date: 2026-12-02

A trend alert fires when a day's volume of its selection (a topic, language or
source, narrowed by the alert's filters) is far above the previous days'.  A
firing is a row unique per (alert, day), written before anything is sent; its
deliveries are unique per (firing, channel) and written in the transaction that
sends, exactly like story matches and ``alert_deliveries`` (a001).
"""

from alembic import op
import sqlalchemy as sa

import monitor.db.types


revision = 'a002'
down_revision = 'a001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trend', sa.JSON(), nullable=True))
    with op.batch_alter_table('alert_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trend', sa.JSON(), nullable=True))
    op.create_table('alert_trend_firings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('baseline_mean', sa.Float(), nullable=False),
    sa.Column('baseline_std', sa.Float(), nullable=False),
    sa.Column('z', sa.Float(), nullable=False),
    sa.Column('baseline_days', sa.Integer(), nullable=False),
    sa.Column('baseline_start', sa.Date(), nullable=False),
    sa.Column('baseline_end', sa.Date(), nullable=False),
    sa.Column('fired_at', monitor.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_id', 'day', name='uq_alert_trend_firings_alert_day')
    )
    op.create_table('alert_trend_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firing_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('delivered_at', monitor.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['firing_id'], ['alert_trend_firings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('firing_id', 'channel', name='uq_alert_trend_deliveries_firing_channel')
    )


def downgrade() -> None:
    op.drop_table('alert_trend_deliveries')
    op.drop_table('alert_trend_firings')
    with op.batch_alter_table('alert_versions', schema=None) as batch_op:
        batch_op.drop_column('trend')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('trend')
