"""call_apart: calls staff split apart, which matching never links again

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_apart",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.AutoString(length=300), nullable=False),
        sa.Column("other_source_id", sa.Integer(), nullable=False),
        sa.Column("other_key", sqlmodel.AutoString(length=300), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_source_id"], ["source.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "key", "other_source_id", "other_key",
                            name="uq_call_apart"),  # fmt: skip
    )
    op.create_index("ix_call_apart_source_id", "call_apart", ["source_id"])
    op.create_index("ix_call_apart_other_source_id", "call_apart", ["other_source_id"])


def downgrade() -> None:
    op.drop_index("ix_call_apart_other_source_id", "call_apart")
    op.drop_index("ix_call_apart_source_id", "call_apart")
    op.drop_table("call_apart")
