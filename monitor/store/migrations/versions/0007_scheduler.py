"""scheduler: per-source fetch interval, job state

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("every", sa.Integer(), nullable=True))
    op.create_table(
        "job_state",
        sa.Column("id", sqlmodel.AutoString(length=150), nullable=False),
        sa.Column("trigger", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sqlmodel.AutoString(length=20), nullable=True),
        sa.Column("last_summary", sa.Text(), nullable=True),
        sa.Column("holder", sqlmodel.AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("job_state")
    with op.batch_alter_table("source") as batch:
        batch.drop_column("every")
