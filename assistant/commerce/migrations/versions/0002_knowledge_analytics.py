"""knowledge analytics: unanswered questions and answer feedback

Revision ID: 0002_kb_analytics
Revises: 0001
Create Date: 2026-11-23 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The kb_* models live in assistant/analytics.py, which assistant.commerce.models does not import; importing it
# here registers them on Base.metadata wherever this migration runs, so autogenerate comparisons see them.
import assistant.analytics  # noqa: F401

revision = "0002_kb_analytics"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_unanswered",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("group_key", sa.String(length=300), nullable=False),
        sa.Column("top_score", sa.Float(), nullable=True),
        sa.Column("conversation", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_unanswered")),
    )
    with op.batch_alter_table("kb_unanswered", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_unanswered_created_at"), ["created_at"], unique=False)
    op.create_table(
        "kb_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("message_index", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=4), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("question", sa.String(length=500), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_feedback")),
        sa.UniqueConstraint("conversation", "message_index", name=op.f("uq_kb_feedback_conversation")),
    )


def downgrade() -> None:
    op.drop_table("kb_feedback")
    with op.batch_alter_table("kb_unanswered", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_unanswered_created_at"))
    op.drop_table("kb_unanswered")
