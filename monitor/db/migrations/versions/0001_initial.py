"""initial schema: sources, articles, topics, crawl runs

Revision ID: 0001
Revises: 
Create Date: 2026-11-29
"""

from alembic import op
import sqlalchemy as sa

import monitor.db.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crawl_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_key', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('started', monitor.db.types.UTCDateTime(), nullable=False),
    sa.Column('finished', monitor.db.types.UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('items_stored', sa.Integer(), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_key', name='uq_crawl_runs_run_key')
    )
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crawl_runs_source'), ['source'], unique=False)

    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('outlet', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('created', monitor.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('canonical_url', sa.String(length=2048), nullable=False),
    sa.Column('guid', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('published', monitor.db.types.UTCDateTime(), nullable=True),
    sa.Column('fetched', monitor.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', monitor.db.types.UTCDateTime(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('language_confidence', sa.Float(), nullable=True),
    sa.Column('declared_language', sa.String(length=8), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_of', sa.Integer(), nullable=True),
    sa.Column('similarity', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['duplicate_of'], ['articles.id'], ),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('canonical_url')
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index('ix_articles_content_hash', ['content_hash'], unique=False)
        batch_op.create_index('ix_articles_language_published', ['language', 'published'], unique=False)
        batch_op.create_index('ix_articles_published', ['published'], unique=False)
        batch_op.create_index('ix_articles_source_published', ['source_id', 'published'], unique=False)
        batch_op.create_index('ix_articles_story', ['story_id'], unique=False)

    op.create_table('article_topics',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.String(length=100), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'topic_id')
    )
    with op.batch_alter_table('article_topics', schema=None) as batch_op:
        batch_op.create_index('ix_article_topics_topic', ['topic_id', 'article_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('article_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_article_topics_topic')

    op.drop_table('article_topics')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index('ix_articles_story')
        batch_op.drop_index('ix_articles_source_published')
        batch_op.drop_index('ix_articles_published')
        batch_op.drop_index('ix_articles_language_published')
        batch_op.drop_index('ix_articles_content_hash')

    op.drop_table('articles')
    op.drop_table('sources')
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crawl_runs_source'))

    op.drop_table('crawl_runs')
