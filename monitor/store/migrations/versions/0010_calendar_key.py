"""calendar key: the secret of a subscriber's calendar feed URL

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriber") as batch:
        batch.add_column(sa.Column("calendar_key", sqlmodel.AutoString(length=64), nullable=True))
        batch.create_unique_constraint("uq_subscriber_calendar_key", ["calendar_key"])


def downgrade() -> None:
    with op.batch_alter_table("subscriber") as batch:
        batch.drop_constraint("uq_subscriber_calendar_key", type_="unique")
        batch.drop_column("calendar_key")
