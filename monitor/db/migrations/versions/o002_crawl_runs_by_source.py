"""crawl_runs: index (source, started) in place of (source)

Revision ID: o002
Revises: o001
Create Date: 2026-11-30

Source health reads each source's newest 30 runs and the sources page each source's
last run. With an index on ``source`` alone both sorted every run the source ever had,
with its stats JSON (~6 KB a row): ~2.6 s for the sources page at 60,000 runs, growing
with the table. Ordered by ``(source, started)`` they read only the rows they return.
The new index serves lookups by source alone, so the old one goes.
"""

from alembic import op


revision = 'o002'
down_revision = 'o001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.create_index('ix_crawl_runs_source_started', ['source', 'started'], unique=False)
        batch_op.drop_index('ix_crawl_runs_source')


def downgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.create_index('ix_crawl_runs_source', ['source'], unique=False)
        batch_op.drop_index('ix_crawl_runs_source_started')
