"""PostgreSQL full-text functions: pin their search_path, so a pg_dump restores its indexes

Revision ID: a006
Revises: a005
Create Date: 2026-11-30

``monitor_tsv`` (a001) and ``monitor_title_tsv`` (a003), the expressions of the
GIN indexes ``ix_articles_fts`` and ``ix_articles_title_fts``, call
``monitor_fold`` and name the ``monitor_simple`` configuration without a schema.
pg_restore builds indexes with an empty search_path, so restoring a documented
``pg_dump -Fc`` backup failed on both ("function monitor_fold(text) does not
exist") and left search without its indexes.  Each function now carries
``SET search_path`` to the schema it lives in (dumped with its definition).
SQLite has no such functions: nothing to do there.
"""

from alembic import op


revision = 'a006'
down_revision = 'a005'
branch_labels = None
depends_on = None

FUNCTIONS = ("monitor_tsv(text, text)", "monitor_title_tsv(text)")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar_one()
    for function in FUNCTIONS:
        op.execute(f'ALTER FUNCTION {function} SET search_path = "{schema}", pg_catalog')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} RESET search_path")
