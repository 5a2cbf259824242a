"""web_users.session_key: a random key per user that every session cookie of theirs must carry

Revision ID: w002
Revises: w001
Create Date: 2026-12-03

Sessions used to be signed cookies holding only ``user_id``: a copied cookie
outlived sign-out and user removal, and became a later user given the same id.
A session now counts only while the user row with its id and its key exists
(monitor/web/auth.py).  Existing users get fresh random keys, so cookies issued
before this revision carry no key and sign out: users sign in again.

SQLite cannot make a column NOT NULL in place, so batch mode rebuilds
``web_users`` and drops the old table; with foreign keys on (monitor.db.engine,
and PRAGMA foreign_keys cannot change inside the migration's transaction) that
drop cascades to ``web_read_state``, so its rows are kept aside and put back.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = 'w002'
down_revision = 'w001'
branch_labels = None
depends_on = None

USERS = sa.table('web_users', sa.column('id', sa.Integer()), sa.column('session_key', sa.String(64)))
SAVED_READ_STATE = 'w002_saved_read_state'


def upgrade() -> None:
    op.add_column('web_users', sa.Column('session_key', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    for user_id in bind.execute(sa.select(USERS.c.id)).scalars().all():
        bind.execute(USERS.update().where(USERS.c.id == user_id).values(session_key=secrets.token_urlsafe(32)))
    with _read_state_kept(bind):
        with op.batch_alter_table('web_users', schema=None) as batch_op:
            batch_op.alter_column('session_key', existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    # Both databases drop a column in place (SQLite since 3.35): no rebuild, nothing cascades.
    op.execute('ALTER TABLE web_users DROP COLUMN session_key')


@contextmanager
def _read_state_kept(bind: sa.engine.Connection) -> Iterator[None]:
    """On SQLite, copy ``web_read_state`` to a temporary table around a rebuild of ``web_users``, then restore it."""
    if bind.dialect.name != 'sqlite':
        yield
        return
    op.execute(f'CREATE TEMP TABLE {SAVED_READ_STATE} AS SELECT user_id, match_id, read_at FROM web_read_state')
    yield
    op.execute('DELETE FROM web_read_state')
    op.execute(f'INSERT INTO web_read_state (user_id, match_id, read_at) '
               f'SELECT user_id, match_id, read_at FROM {SAVED_READ_STATE}')
    op.execute(f'DROP TABLE {SAVED_READ_STATE}')
