"""how each knowledge source is read and synced (`knowledge_sources.spec`)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("knowledge_sources", sa.Column("spec", Json, nullable=True))


def downgrade() -> None:
    op.drop_column("knowledge_sources", "spec")
