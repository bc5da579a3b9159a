"""order_lines: account and order date copied from the order, index (customer_id, sku, order_date, order_id)

Revision ID: 0004_order_lines_sku_date
Revises: 0003_orders_date_id
Create Date: 2026-11-23 22:20:00

A product hint for an article that an account only bought long ago walked the account's orders newest first
and probed each one's lines: about 30,000 orders (over 100 ms on PostgreSQL at 200k orders) before five
matched. With the account and the date on the line, the matching orders of one article are one index range,
read newest first and stopped after the limit.

On SQLite making the columns NOT NULL rebuilds the table (batch mode); env.py switches foreign keys off for
the migration, or dropping the old table would cascade into shipment_lines.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_order_lines_sku_date"
down_revision = "0003_orders_date_id"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("order_date", sa.Date(), nullable=True))
    # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33.
    op.execute(
        "UPDATE order_lines SET customer_id = orders.customer_id, order_date = orders.order_date "
        "FROM orders WHERE orders.id = order_lines.order_id"
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("order_date", existing_type=sa.Date(), nullable=False)
        batch_op.create_index(
            "ix_order_lines_customer_sku_date", ["customer_id", "sku", "order_date", "order_id"], unique=False
        )
    op.execute("ANALYZE order_lines")


def downgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_customer_sku_date")
        batch_op.drop_column("order_date")
        batch_op.drop_column("customer_id")
    op.execute("ANALYZE order_lines")
