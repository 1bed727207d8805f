"""tags: taxonomy, history, call tags, labels, models; call.tagged_at/tagged_with

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call") as batch:
        batch.add_column(sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("tagged_with", sqlmodel.AutoString(length=64), nullable=True)
        )
    op.create_table(
        "tag",
        sa.Column("id", sqlmodel.AutoString(length=40), nullable=False),
        sa.Column("label_en", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("label_sv", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parent", sqlmodel.AutoString(length=40), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "tag_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sqlmodel.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.AutoString(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tag_event_tag_id", "tag_event", ["tag_id"])
    op.create_table(
        "call_tag",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sqlmodel.AutoString(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("origin", sqlmodel.AutoString(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id", "tag_id"),
    )
    op.create_index("ix_call_tag_tag_id", "call_tag", ["tag_id"])
    op.create_table(
        "label",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sqlmodel.AutoString(length=40), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_id", "tag_id", name="uq_label_call_tag"),
    )
    op.create_index("ix_label_call_id", "label", ["call_id"])
    op.create_table(
        "tag_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_hash", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("labels", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("combination", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("tag_model")
    op.drop_index("ix_label_call_id", "label")
    op.drop_table("label")
    op.drop_index("ix_call_tag_tag_id", "call_tag")
    op.drop_table("call_tag")
    op.drop_index("ix_tag_event_tag_id", "tag_event")
    op.drop_table("tag_event")
    op.drop_table("tag")
    with op.batch_alter_table("call") as batch:
        batch.drop_column("tagged_with")
        batch.drop_column("tagged_at")
