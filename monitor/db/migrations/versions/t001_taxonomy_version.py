"""articles.taxonomy_version: which taxonomy tagged the article, so a retag can resume

Revision ID: t001
Revises: 0001
Create Date: 2026-11-29
"""

from alembic import op
import sqlalchemy as sa

revision = "t001"
down_revision = "0001"
branch_labels = ("topics",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch_op:
        batch_op.add_column(sa.Column("taxonomy_version", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_column("taxonomy_version")
