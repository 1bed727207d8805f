"""feedback: readers' word on calls (wrong tag, not relevant, 👍/👎 from a digest)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sqlmodel.AutoString(length=40), nullable=True),
        sa.Column("kind", sqlmodel.AutoString(length=20), nullable=False),
        sa.Column("via", sqlmodel.AutoString(length=10), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.AutoString(length=10), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscriber.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feedback_call_id", "feedback", ["call_id"])
    op.create_index("ix_feedback_subscriber_id", "feedback", ["subscriber_id"])
    op.create_index("ix_feedback_at", "feedback", ["at"])
    op.create_index("ix_feedback_status", "feedback", ["status"])


def downgrade() -> None:
    op.drop_table("feedback")
