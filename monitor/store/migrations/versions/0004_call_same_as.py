"""call.same_as_id: one call published by several sources

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call") as batch:
        batch.add_column(sa.Column("same_as_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_call_same_as_id_call", "call", ["same_as_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_call_same_as_id", ["same_as_id"])


def downgrade() -> None:
    with op.batch_alter_table("call") as batch:
        batch.drop_index("ix_call_same_as_id")
        batch.drop_constraint("fk_call_same_as_id_call", type_="foreignkey")
        batch.drop_column("same_as_id")
