"""the context each answer was generated from, dataset reviews, and the adapter registry

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 07:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("context", Json, nullable=False, server_default="{}"))

    op.create_table(
        "dataset_reviews",
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["interaction_id"], ["interactions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("interaction_id"),
    )
    op.create_table(
        "adapters",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("base_model", sa.String(length=200), nullable=False),
        sa.Column("dataset_version", sa.String(length=100), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("metrics", Json, nullable=False),
        sa.Column("training", Json, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("adapters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adapters_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("adapters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adapters_status"))
    op.drop_table("adapters")
    op.drop_table("dataset_reviews")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("context")
