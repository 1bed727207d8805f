"""source health: items per run, healthy flag and reason, health events

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from monitor.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fetch_run") as batch:
        batch.add_column(sa.Column("items", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("source") as batch:
        batch.add_column(
            sa.Column("healthy", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("health_reason", sa.Text(), nullable=True))
    op.create_table(
        "source_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("source_event") as batch:
        batch.create_index("ix_source_event_source_id", ["source_id"])
        batch.create_index("ix_source_event_at", ["at"])


def downgrade() -> None:
    op.drop_table("source_event")
    with op.batch_alter_table("source") as batch:
        batch.drop_column("health_reason")
        batch.drop_column("healthy")
    with op.batch_alter_table("fetch_run") as batch:
        batch.drop_column("items")
