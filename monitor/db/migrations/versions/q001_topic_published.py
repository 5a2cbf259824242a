"""article_topics.published: the tagged article's publication time, for per-topic daily counts

Revision ID: q001
Revises: 0001
Create Date: 2026-11-30

A topic's trend counts its articles per day.  Joining article_topics to articles
looks up every tagged article (~125,000 rows for a topic of a 1M-article
database: over a second); with the article's ``published`` copied onto its tag
rows, the index ``(topic_id, published)`` answers a day range by itself.

The copy is kept by triggers, never by application code, so it cannot go stale:
every INSERT (and UPDATE of article_id/published) of a tag row takes the
article's current ``published``; every UPDATE of an article's ``published``
rewrites its tag rows.
"""

from alembic import op
import sqlalchemy as sa

import monitor.db.types


revision = 'q001'
down_revision = '0001'
branch_labels = None
depends_on = None

COPY = "(SELECT published FROM articles WHERE articles.id = {ref})"

SQLITE_TRIGGERS = {
    # SQLite BEFORE triggers cannot change NEW: set the copy right after the row is written.
    "article_topics_published_ai":
        "AFTER INSERT ON article_topics BEGIN UPDATE article_topics SET published = {copy} "
        "WHERE rowid = new.rowid; END",
    # recursive_triggers is off (SQLite's default): this UPDATE does not fire itself again.
    "article_topics_published_au":
        "AFTER UPDATE OF article_id, published ON article_topics BEGIN UPDATE article_topics SET published = {copy} "
        "WHERE rowid = new.rowid AND published IS NOT {copy}; END",
    "articles_published_au":
        "AFTER UPDATE OF published ON articles BEGIN UPDATE article_topics SET published = new.published "
        "WHERE article_id = new.id; END",
}


def upgrade() -> None:
    with op.batch_alter_table('article_topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published', monitor.db.types.UTCDateTime(), nullable=True))
    op.execute(f"UPDATE article_topics SET published = {COPY.format(ref='article_topics.article_id')}")
    with op.batch_alter_table('article_topics', schema=None) as batch_op:
        batch_op.create_index('ix_article_topics_topic_published', ['topic_id', 'published'], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} " + body.format(copy=COPY.format(ref="new.article_id")))
    elif dialect == 'postgresql':
        op.execute(
            "CREATE FUNCTION monitor_topic_published() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"NEW.published := {COPY.format(ref='NEW.article_id')}; RETURN NEW; END $$")
        op.execute("CREATE TRIGGER article_topics_published BEFORE INSERT OR UPDATE OF article_id, published "
                   "ON article_topics FOR EACH ROW EXECUTE FUNCTION monitor_topic_published()")
        op.execute(
            "CREATE FUNCTION monitor_article_published() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE article_topics SET published = NEW.published WHERE article_id = NEW.id; RETURN NULL; END $$")
        op.execute("CREATE TRIGGER articles_published AFTER UPDATE OF published ON articles FOR EACH ROW "
                   "WHEN (OLD.published IS DISTINCT FROM NEW.published) EXECUTE FUNCTION monitor_article_published()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS articles_published ON articles")
        op.execute("DROP TRIGGER IF EXISTS article_topics_published ON article_topics")
        op.execute("DROP FUNCTION IF EXISTS monitor_article_published()")
        op.execute("DROP FUNCTION IF EXISTS monitor_topic_published()")
    with op.batch_alter_table('article_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_article_topics_topic_published')
        batch_op.drop_column('published')
