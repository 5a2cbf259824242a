"""web dashboard: users and per-user read state of alert entries

Revision ID: w001
Revises: 0001
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

import monitor.db.types


revision = 'w001'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('created', monitor.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('web_read_state',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('read_at', monitor.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['web_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'match_id')
    )


def downgrade() -> None:
    op.drop_table('web_read_state')
    op.drop_table('web_users')
