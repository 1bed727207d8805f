"""fetch_run by source and start: the dashboard's figures read recent runs from the index

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_fetch_run_source_id_started_at", "fetch_run", ["source_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_fetch_run_source_id_started_at", "fetch_run")
