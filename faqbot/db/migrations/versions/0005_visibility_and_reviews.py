"""each answer records what its asker could see (`scope`), whether only the asker saw it
(`private`) and where everything it was built from is visible (`visibility`); corrections wait
for an admin's review before anyone else is shown them

Answers recorded before this revision keep what can be known of them: a DM's or /ask's answer
is private and visible nowhere else, a channel's is visible in that channel only (which
passages it used, and how visible they were, was not recorded). Corrections recorded before it
wait for review like new ones.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BATCH = 500

interactions = sa.table(
    "interactions",
    sa.column("id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("request", Json),
    sa.column("private", sa.Boolean),
    sa.column("visibility", Json),
)


def upgrade() -> None:
    # Plain ADD COLUMNs with constant defaults: SQLite's batch mode would otherwise copy the
    # table, and dropping the old `interactions` cascades to every vote and correction.
    private = sa.Column("private", sa.Boolean(), nullable=False, server_default="0")
    op.add_column("interactions", private)
    op.add_column("interactions", sa.Column("scope", Json, nullable=True))
    op.add_column("interactions", sa.Column("visibility", Json, nullable=True))
    status = sa.Column("status", sa.String(16), nullable=False, server_default="pending")
    op.add_column("corrections", status)
    op.add_column("corrections", sa.Column("reviewer", sa.String(64), nullable=True))
    reviewed_at = sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True)
    op.add_column("corrections", reviewed_at)
    op.create_index("ix_corrections_user_created", "corrections", ["user_id", "created_at"])
    _backfill_interactions()


def _backfill_interactions() -> None:
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(interactions.c.id, interactions.c.channel, interactions.c.request)
            .where(interactions.c.id > last)
            .order_by(interactions.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            private = bool((row.request or {}).get("private")) or (row.channel or "")[:1] == "D"
            visibility = [] if private else [row.channel] if row.channel else ["public"]
            connection.execute(
                interactions.update()
                .where(interactions.c.id == row.id)
                .values(private=private, visibility=visibility)
            )
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_corrections_user_created")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewer")
        batch_op.drop_column("status")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("visibility")
        batch_op.drop_column("scope")
        batch_op.drop_column("private")
