"""alert delivery marks per (alert, channel); alert_matches indexed by (alert_id, id) and by article

Revision ID: a004
Revises: a003
Create Date: 2026-11-30

``monitor alerts deliver`` (every 5 minutes under the scheduler) checked every
match ever recorded against ``alert_deliveries``, per alert and channel: 1.9 s
for a run with nothing to send at 500,000 matches, growing with history.
``alert_delivery_marks`` holds, per alert and channel, the match id through which
everything is delivered (or backfilled) and settled, so a run reads only the
matches above it (``ix_alert_matches_alert_id``: one alert's id range).  The
table starts empty, which means "look at every match": the first run after the
upgrade sends exactly what was pending before it, then sets the marks.

``ix_alert_matches_article``: revised articles refresh their matches' evidence
inside the store's flush transaction (monitor/alerts/matching.py), and deleting an
article cascades to its matches; both scanned the whole table.
"""

from alembic import op
import sqlalchemy as sa


revision = 'a004'
down_revision = 'a003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_delivery_marks',
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('through_match_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('alert_id', 'channel')
    )
    # plain CREATE INDEX on both databases: no batch rebuild of alert_matches, whose drop would cascade
    op.create_index('ix_alert_matches_alert_id', 'alert_matches', ['alert_id', 'id'], unique=False)
    op.create_index('ix_alert_matches_article', 'alert_matches', ['article_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_alert_matches_article', table_name='alert_matches')
    op.drop_index('ix_alert_matches_alert_id', table_name='alert_matches')
    op.drop_table('alert_delivery_marks')
