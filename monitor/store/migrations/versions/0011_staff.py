"""staff: users with roles, the audit log, and destinations owned by a subscriber's email row

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("role", sqlmodel.AutoString(length=10), nullable=False),
        sa.Column("nonce", sqlmodel.AutoString(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.AutoString(length=320), nullable=False),
        sa.Column("action", sqlmodel.AutoString(length=60), nullable=False),
        sa.Column("target", sqlmodel.AutoString(length=300), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_actor", "audit_event", ["actor"])
    op.create_index("ix_audit_event_action", "audit_event", ["action"])
    with op.batch_alter_table("subscriber") as batch:
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_subscriber_owner_id", "subscriber", ["owner_id"], ["id"],
                                 ondelete="CASCADE")  # fmt: skip
        batch.create_index("ix_subscriber_owner_id", ["owner_id"])


def downgrade() -> None:
    with op.batch_alter_table("subscriber") as batch:
        batch.drop_index("ix_subscriber_owner_id")
        batch.drop_constraint("fk_subscriber_owner_id", type_="foreignkey")
        batch.drop_column("owner_id")
    op.drop_table("audit_event")
    op.drop_table("staff_user")
