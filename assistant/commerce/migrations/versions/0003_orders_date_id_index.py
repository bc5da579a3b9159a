"""orders: index (customer_id, order_date, id) for "newest first" searches

Revision ID: 0003_orders_date_id
Revises: 0002_kb_analytics
Create Date: 2026-11-23 21:30:00

Every order search sorts by ``order_date DESC, id DESC`` and takes the first few rows. With the index on
``(customer_id, order_date)`` PostgreSQL had to read and sort all orders of the newest days (hundreds at
200k orders) before it could stop; with ``id`` in the index a backward scan yields the rows already in
that order and stops after the limit. The new index serves every query the old one did, so it replaces it.
"""

from __future__ import annotations

from alembic import op

revision = "0003_orders_date_id"
down_revision = "0002_kb_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_customer_date_id", "orders", ["customer_id", "order_date", "id"])
    op.drop_index("ix_orders_customer_date", table_name="orders")
    # Without statistics for the new index SQLite prefers it over (customer_id, po_reference) and walks all
    # of an account's orders to find one PO reference (30 ms instead of 2 at 200k orders).
    op.execute("ANALYZE orders")


def downgrade() -> None:
    op.create_index("ix_orders_customer_date", "orders", ["customer_id", "order_date"])
    op.drop_index("ix_orders_customer_date_id", table_name="orders")
    op.execute("ANALYZE orders")
