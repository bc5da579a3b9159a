"""analytics events: turns, conversations, daily aggregates and review cases (the content team's cockpit)

Revision ID: 0005_analytics_events
Revises: 0004_order_lines_sku_date
Create Date: 2026-12-04 10:00:00

The models live in assistant/analytics/events.py. ``an_daily`` is what the insights page reads: counters per
day, touchpoint, language and metric, kept current by the analytics writer, so a period is a few hundred rows
whatever the number of events.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assistant.analytics  # noqa: F401  (registers the analytics models on Base.metadata)

revision = "0005_analytics_events"
down_revision = "0004_order_lines_sku_date"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "an_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("first_message", sa.Integer(), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("logged_in", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("touchpoint", sa.String(length=10), nullable=False),
        sa.Column("sku", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=60), nullable=True),
        sa.Column("sources", sa.String(length=4000), nullable=True),
        sa.Column("flows", sa.String(length=200), nullable=True),
        sa.Column("question", sa.String(length=500), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("rating", sa.String(length=4), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_an_turns")),
    )
    op.create_index("ix_an_turns_kind_day", "an_turns", ["kind", "day", "created_at"])
    op.create_index("ix_an_turns_conversation", "an_turns", ["conversation", "first_message"])
    op.create_index("ix_an_turns_created_at", "an_turns", ["created_at"])
    op.create_table(
        "an_conversations",
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("touchpoint", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("logged_in", sa.Boolean(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("asked", sa.Boolean(), nullable=False),
        sa.Column("finder", sa.Boolean(), nullable=False),
        sa.Column("rfq", sa.Boolean(), nullable=False),
        sa.Column("rfq_sent", sa.Boolean(), nullable=False),
        sa.Column("reordered", sa.Boolean(), nullable=False),
        sa.Column("handoff", sa.Boolean(), nullable=False),
        sa.Column("ces_flow", sa.String(length=10), nullable=True),
        sa.Column("ces_score", sa.Integer(), nullable=True),
        sa.Column("ces_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("conversation", name=op.f("pk_an_conversations")),
    )
    op.create_index("ix_an_conversations_last_at", "an_conversations", ["last_at"])
    op.create_table(
        "an_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("touchpoint", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "touchpoint", "language", "metric", name=op.f("pk_an_daily")),
    )
    op.create_table(
        "an_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=True),
        sa.Column("conversation", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("touchpoint", sa.String(length=10), nullable=False),
        sa.Column("sku", sa.String(length=20), nullable=True),
        sa.Column("sources", sa.String(length=4000), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_an_cases")),
    )
    op.create_index("ix_an_cases_turn", "an_cases", ["turn_id"])
    op.create_index(op.f("ix_an_cases_created_at"), "an_cases", ["created_at"])


def downgrade() -> None:
    op.drop_table("an_cases")
    op.drop_table("an_daily")
    op.drop_table("an_conversations")
    op.drop_table("an_turns")
