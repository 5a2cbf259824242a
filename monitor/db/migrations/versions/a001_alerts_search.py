"""alerts (versioned, matches, deliveries) and full-text search (SQLite FTS5 / PostgreSQL tsvector)

Revision ID: a001
Revises: 0001
Create Date: 2026-11-30

Search indexes the same words the ingest matcher sees (monitor/topics/normalize.py:
case-folded, accents stripped).  SQLite: an FTS5 external-content table over
``articles`` (tokenizer unicode61, remove_diacritics 2, ``_`` as a word character)
kept in sync by triggers that store ``monitor_fold(title)``/``monitor_fold(text)``,
a Python function (monitor/search/fold.py) registered on every connection by
monitor.db.engine: the index holds exactly the matcher's words, in every script.
A connection without that function (a bare sqlite3 shell) cannot write articles.  PostgreSQL: ``monitor_fold(text)`` (lower, unaccent, non-word
characters to spaces, a few extra letters) and an expression GIN index on
``monitor_tsv(title, text)`` with the ``monitor_simple`` configuration.
"""

from alembic import op
import sqlalchemy as sa

import monitor.db.types


revision = 'a001'
down_revision = '0001'
branch_labels = None
depends_on = None

# Single letters that lower() + unaccent leave different from the ingest matcher.
PG_FROM = 'ǢǣǮǯǼǽǾǿςϐϑϒϓϔϕϖϰϱϲϵϹЀЃЇЌЍЎЙйѐѓїќѝўѶѷӁӂӐӑӒӓӖӗӚӛӜӝӞӟӢӣӤӥӦӧӪӫӬӭӮӯӰӱӲӳӴӵӸӹᲀᲁᲂᲃᲄᲅᲆᲇᲈẛάέήίόύώΆιΈΉΐΊΰΎΌΏ'
PG_TO = 'ææʒʒææøøσβθΥΥΥφπκρςεςегікиуииегікиуѵѵжжааааееәәжжззииииооөөээууууууччыывдосттъѣꙋsαεηιουωαιεηιιυυοω'
# Fallback when the unaccent extension is unavailable: Latin letters with diacritics.
PG_LATIN_FROM = 'àáâãäåāăąçćĉċčďèéêëēĕėęěĝğġģĥìíîïĩīĭįìĵķĺļľñńņňòóôõöōŏőŕŗřśŝşšţťùúûüũūŭůűųŵýÿŷźżžłøđħßæœ'
PG_LATIN_TO = 'aaaaaaaaacccccdeeeeeeeeegggghiiiiiiiiijklllnnnnoooooooorrrssssttuuuuuuuuuuwyyyzzzlodhsao'

FTS_COLUMNS = "title, text, content='articles', content_rowid='id', tokenize=\"unicode61 remove_diacritics 2 tokenchars '_'\""


def sqlite_fold(expr: str) -> str:
    """``expr`` folded by ``monitor_fold``, the Python function monitor.db.engine registers on every connection."""
    return f"monitor_fold({expr})"


def _sqlite_upgrade() -> None:
    title, text = "coalesce(new.title, '')", "new.text"
    old_title, old_text = "coalesce(old.title, '')", "old.text"
    op.execute(f"CREATE VIRTUAL TABLE articles_fts USING fts5({FTS_COLUMNS})")
    insert = f"INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, {sqlite_fold(title)}, {sqlite_fold(text)});"
    delete = (f"INSERT INTO articles_fts(articles_fts, rowid, title, text) "
              f"VALUES ('delete', old.id, {sqlite_fold(old_title)}, {sqlite_fold(old_text)});")
    op.execute(f"CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN {delete} END")
    op.execute(f"CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN {delete} {insert} END")
    op.execute(
        f"INSERT INTO articles_fts(rowid, title, text) SELECT id, "
        f"{sqlite_fold(title.replace('new.', ''))}, {sqlite_fold(text.replace('new.', ''))} FROM articles"
    )


def _pg_upgrade() -> None:
    bind = op.get_bind()
    available = bind.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'").first()
    if available:
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        schema = bind.exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'unaccent'").scalar_one()
        op.execute(
            "CREATE OR REPLACE FUNCTION monitor_unaccent(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            f"STRICT AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, t) $$"
        )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION monitor_unaccent(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            f"STRICT AS $$ SELECT translate(t, '{PG_LATIN_FROM}', '{PG_LATIN_TO}') $$"
        )
    op.execute("CREATE TEXT SEARCH CONFIGURATION monitor_simple (COPY = pg_catalog.simple)")
    op.execute(
        "CREATE OR REPLACE FUNCTION monitor_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
        "SELECT translate(regexp_replace(monitor_unaccent(lower(coalesce(t, ''))), '[^[:alnum:]]+', ' ', 'g'), "
        f"'{PG_FROM}', '{PG_TO}') $$"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION monitor_tsv(title text, body text) RETURNS tsvector LANGUAGE sql IMMUTABLE "
        "PARALLEL SAFE AS $$ SELECT setweight(to_tsvector('monitor_simple', monitor_fold(title)), 'A') || "
        "to_tsvector('monitor_simple', monitor_fold(body)) $$"
    )
    op.execute("CREATE INDEX ix_articles_fts ON articles USING gin (monitor_tsv(title, text))")


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('delivery', sa.JSON(), nullable=False),
    sa.Column('muted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created', monitor.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated', monitor.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('alert_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('delivery', sa.JSON(), nullable=False),
    sa.Column('created', monitor.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_id', 'version', name='uq_alert_versions_alert_version')
    )
    op.create_table('alert_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('story_key', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('matched_at', monitor.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_id', 'story_key', name='uq_alert_matches_alert_story')
    )
    with op.batch_alter_table('alert_matches', schema=None) as batch_op:
        batch_op.create_index('ix_alert_matches_alert_matched', ['alert_id', 'matched_at'], unique=False)
    op.create_table('alert_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('delivered_at', monitor.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['match_id'], ['alert_matches.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('match_id', 'channel', name='uq_alert_deliveries_match_channel')
    )
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        _sqlite_upgrade()
    elif dialect == 'postgresql':
        _pg_upgrade()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for trigger in ('articles_fts_ai', 'articles_fts_ad', 'articles_fts_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_articles_fts")
        op.execute("DROP FUNCTION IF EXISTS monitor_tsv(text, text)")
        op.execute("DROP FUNCTION IF EXISTS monitor_fold(text)")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS monitor_simple")
        op.execute("DROP FUNCTION IF EXISTS monitor_unaccent(text)")
    op.drop_table('alert_deliveries')
    with op.batch_alter_table('alert_matches', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_matches_alert_matched')
    op.drop_table('alert_matches')
    op.drop_table('alert_versions')
    op.drop_table('alerts')
