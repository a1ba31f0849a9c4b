"""answers experts gave and verified, served ahead of generation (`verified_answers`)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "verified_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("verifier", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visibility", Json, nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("review_asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["interaction_id"], ["interactions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "message_ts"),
    )
    op.create_index("ix_verified_answers_status", "verified_answers", ["status"])


def downgrade() -> None:
    op.drop_index("ix_verified_answers_status", table_name="verified_answers")
    op.drop_table("verified_answers")
