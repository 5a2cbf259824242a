"""sources: per-URL HTTP validators for conditional GETs

Revision ID: s001
Revises: 0001
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

import monitor.db.types


revision = 's001'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('http_validators',
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.String(length=64), nullable=True),
    sa.Column('updated', monitor.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('url')
    )
    with op.batch_alter_table('http_validators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_http_validators_source'), ['source'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('http_validators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_http_validators_source'))
    op.drop_table('http_validators')
