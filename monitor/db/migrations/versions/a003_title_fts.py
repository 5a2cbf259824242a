"""PostgreSQL: a GIN index on the title alone, for title: searches

Revision ID: a003
Revises: a002
Create Date: 2026-12-02

The full-text index ``monitor_tsv(title, text)`` (a001) stores no weights, so a
``title:(sanctions russia)`` pre-filter had to take every article with both words
anywhere and verify each one (0.5-1.4 s at 100,000 articles).  ``monitor_title_tsv``
indexes the folded title only; monitor/search/pg_filter.py sends title-only parts of
a query to it.  SQLite needs nothing: FTS5 filters columns itself (``{title} : ...``).
"""

from alembic import op


revision = 'a003'
down_revision = 'a002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION monitor_title_tsv(title text) RETURNS tsvector LANGUAGE sql IMMUTABLE "
        "PARALLEL SAFE AS $$ SELECT to_tsvector('monitor_simple', monitor_fold(title)) $$"
    )
    op.execute("CREATE INDEX ix_articles_title_fts ON articles USING gin (monitor_title_tsv(title))")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP INDEX IF EXISTS ix_articles_title_fts")
    op.execute("DROP FUNCTION IF EXISTS monitor_title_tsv(text)")
