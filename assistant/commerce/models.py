"""SQLAlchemy 2 models of the commerce data (the default backend behind the repository).

Every table that holds account data carries ``customer_id`` so that each query can be scoped by the
verified account, and the hot lookups have composite indexes that start with ``customer_id``.
Money is ``Numeric(12, 2)``; dates that people talk about ("last Monday") are plain dates in Europe/Berlin.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(12, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="DE")
    language: Mapped[str] = mapped_column(String(2), default="de")


class CostCentre(Base):
    __tablename__ = "cost_centres"
    __table_args__ = (UniqueConstraint("customer_id", "code", name="uq_cost_centres_customer_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200), default="")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    budget_eur: Mapped[Decimal] = mapped_column(Money)
    spent_eur: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    roles: Mapped[str] = mapped_column(String(100))  # ';'-separated: buyer, approver, technician
    locale: Mapped[str] = mapped_column(String(2), default="de")
    approval_limit_eur: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    cost_centre_id: Mapped[int | None] = mapped_column(ForeignKey("cost_centres.id"), nullable=True)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(";") if r)


class Product(Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    family: Mapped[str] = mapped_column(String(30), index=True)
    series: Mapped[str] = mapped_column(String(30), index=True)
    material: Mapped[str] = mapped_column(String(100), default="")
    seal_material: Mapped[str] = mapped_column(String(100), default="")
    connection: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[str] = mapped_column(String(30), default="")
    temp_min_c: Mapped[float | None] = mapped_column(Numeric(7, 1), nullable=True)
    temp_max_c: Mapped[float | None] = mapped_column(Numeric(7, 1), nullable=True)
    pressure_max_bar: Mapped[float | None] = mapped_column(Numeric(8, 1), nullable=True)
    certifications: Mapped[str] = mapped_column(String(300), default="")
    media: Mapped[str] = mapped_column(String(300), default="")
    industries: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    successor_sku: Mapped[str | None] = mapped_column(String(20), nullable=True)
    list_price_eur: Mapped[Decimal] = mapped_column(Money)
    price_unit: Mapped[str] = mapped_column(String(10), default="piece")
    min_order_qty: Mapped[int] = mapped_column(Integer, default=1)
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)
    stock_qty: Mapped[int] = mapped_column(Integer, default=0)
    datasheet_id: Mapped[str] = mapped_column(String(100), default="")


class CustomerPrice(Base):
    """Today's negotiated price of one article for one account (absent: list price)."""

    __tablename__ = "customer_prices"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    price_eur: Mapped[Decimal] = mapped_column(Money)
    valid_from: Mapped[date] = mapped_column(Date)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_date_id", "customer_id", "order_date", "id"),
        Index("ix_orders_customer_number", "customer_id", "order_number"),
        Index("ix_orders_customer_po", "customer_id", "po_reference"),
        Index("ix_orders_customer_status_date", "customer_id", "status", "order_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_number: Mapped[str] = mapped_column(String(12), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    po_reference: Mapped[str | None] = mapped_column(String(40), nullable=True)
    order_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # pending_approval, rejected, open, in_progress, partially_shipped, shipped, delivered, cancelled
    status: Mapped[str] = mapped_column(String(20))
    cost_centre_id: Mapped[int | None] = mapped_column(ForeignKey("cost_centres.id"), nullable=True)
    total_eur: Mapped[Decimal] = mapped_column(Money)
    expected_delivery: Mapped[date | None] = mapped_column(Date, nullable=True)
    # One order per confirmed draft: the unique constraint is what makes confirm idempotent.
    draft_id: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="order", order_by="Shipment.shipped_on", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        Index("ix_order_lines_order", "order_id", "position"),
        # "Orders of this account with this article, newest first": a range per article that stops after the
        # limit, however far back the article was last ordered.
        Index("ix_order_lines_customer_sku_date", "customer_id", "sku", "order_date", "order_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # Copies of the order's account and date (orders never change either), for the index above.
    customer_id: Mapped[str] = mapped_column(String(20))
    order_date: Mapped[date] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(10), default="piece")
    unit_price_eur: Mapped[Decimal] = mapped_column(Money)
    shipped_qty: Mapped[int] = mapped_column(Integer, default=0)
    delivered_qty: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="raise")


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_customer_number", "customer_id", "delivery_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_number: Mapped[str] = mapped_column(String(12), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tracking_url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # in_transit, delayed, delivered
    shipped_on: Mapped[date] = mapped_column(Date)
    expected_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    delivered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    delay_reason_de: Mapped[str | None] = mapped_column(String(300), nullable=True)
    delay_reason_en: Mapped[str | None] = mapped_column(String(300), nullable=True)

    order: Mapped[Order] = relationship(back_populates="shipments")
    lines: Mapped[list[ShipmentLine]] = relationship(cascade="all, delete-orphan")


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    batch: Mapped[str | None] = mapped_column(String(30), nullable=True)


class Document(Base):
    """An account's document; the PDF lives under var/documents/ and is rendered on first download."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_customer_order", "customer_id", "order_id"),
        Index("ix_documents_customer_shipment", "customer_id", "shipment_id"),
        Index("ix_documents_customer_kind_sku", "customer_id", "kind", "sku"),
        Index("ix_documents_customer_batch", "customer_id", "batch"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    # invoice, delivery_note, certificate_3_1, declaration_of_conformity
    kind: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(30))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), nullable=True)
    shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), nullable=True
    )
    sku: Mapped[str | None] = mapped_column(String(20), nullable=True)
    batch: Mapped[str | None] = mapped_column(String(30), nullable=True)
    issued_on: Mapped[date] = mapped_column(Date)
    file_path: Mapped[str] = mapped_column(String(300))  # relative to var/documents/


class OrderDraft(Base):
    __tablename__ = "order_drafts"
    __table_args__ = (Index("ix_order_drafts_customer_user", "customer_id", "user_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    source_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, confirmed, pending_approval
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    po_reference: Mapped[str | None] = mapped_column(String(40), nullable=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[OrderDraftLine]] = relationship(
        order_by="OrderDraftLine.position", cascade="all, delete-orphan"
    )


class OrderDraftLine(Base):
    __tablename__ = "order_draft_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("order_drafts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    quantity: Mapped[int] = mapped_column(Integer)
    previous_unit_price_eur: Mapped[Decimal | None] = mapped_column(Money, nullable=True)


class Approval(Base):
    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_customer_status", "customer_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    requested_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, approved, rejected
    reason: Mapped[str] = mapped_column(String(40))  # approval_limit, budget
    decision_note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    amount_eur: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Rfq(Base):
    """Request for quotation (table only; the RFQ dialogue is a later issue)."""

    __tablename__ = "rfqs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # RFQ-2026-000123
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), nullable=True)
    company: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    free_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    desired_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(2), default="de")
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[RfqLine]] = relationship(cascade="all, delete-orphan")


class RfqLine(Base):
    __tablename__ = "rfq_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfqs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(20), nullable=True)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(10), nullable=True)


class CallbackTicket(Base):
    """Callback request handed to sales (table only; the dialogue is a later issue)."""

    __tablename__ = "callback_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # CB-2026-000123
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), nullable=True)
    company: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    items: Mapped[str | None] = mapped_column(Text, nullable=True)
    free_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    desired_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(2), default="de")
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Counter(Base):
    """Number ranges (order and delivery numbers), advanced with one atomic UPDATE ... RETURNING."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class OutboxMessage(Base):
    """Transactional outbox: written in the same transaction as the business change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(120), unique=True)  # also the e-mail Message-ID
    channel: Mapped[str] = mapped_column(String(10))  # email, webhook
    topic: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(String(500))  # ';'-separated e-mails or the webhook URL
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
