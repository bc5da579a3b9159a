"""Plain, frozen views of commerce data: what the repository returns and the services hand to callers.

They hold no session and no lazy attributes, so a real ERP or shop API can produce the same objects behind
the repository protocol, and callers (actions, routers) can never trigger a query by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

# The catalogue's product families are defined once, with the catalogue schema (re-exported here).
from assistant.retrieval.models import FAMILIES as FAMILIES


@dataclass(frozen=True)
class ProductInfo:
    sku: str
    name_de: str
    name_en: str
    family: str
    series: str
    status: str
    successor_sku: str | None
    list_price_eur: Decimal
    price_unit: str
    min_order_qty: int
    lead_time_days: int
    stock_qty: int
    datasheet_id: str = ""
    material: str = ""
    connection: str = ""
    size: str = ""

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_de

    @property
    def is_discontinued(self) -> bool:
        return self.status == "discontinued"


@dataclass(frozen=True)
class UserInfo:
    id: str
    customer_id: str
    email: str
    name: str
    roles: frozenset[str]
    locale: str
    approval_limit_eur: Decimal | None
    cost_centre_id: int | None


@dataclass(frozen=True)
class CostCentreInfo:
    id: int
    customer_id: str
    code: str
    budget_eur: Decimal
    spent_eur: Decimal
    period_start: date
    period_end: date

    @property
    def remaining_eur(self) -> Decimal:
        return self.budget_eur - self.spent_eur


@dataclass(frozen=True)
class ShipmentLineView:
    order_line_id: int
    quantity: int
    batch: str | None


@dataclass(frozen=True)
class ShipmentView:
    delivery_number: str
    carrier: str
    tracking_number: str | None
    tracking_url: str | None
    status: str
    shipped_on: date
    expected_on: date | None
    delivered_on: date | None
    delay_reason_de: str | None
    delay_reason_en: str | None
    lines: tuple[ShipmentLineView, ...] = ()

    def delay_reason(self, lang: str) -> str | None:
        return self.delay_reason_en if lang == "en" else self.delay_reason_de


@dataclass(frozen=True)
class OrderLineView:
    id: int
    position: int
    sku: str
    name: str
    family: str
    quantity: int
    unit: str
    unit_price_eur: Decimal
    shipped_qty: int
    delivered_qty: int

    @property
    def status(self) -> str:
        """open, partially_shipped, shipped, delivered: what a buyer asks about per position."""
        if self.delivered_qty >= self.quantity:
            return "delivered"
        if self.shipped_qty >= self.quantity:
            return "shipped"
        if self.shipped_qty > 0:
            return "partially_shipped"
        return "open"


@dataclass(frozen=True)
class OrderView:
    id: int
    order_number: str
    customer_id: str
    user_id: str | None
    po_reference: str | None
    order_date: date
    status: str
    total_eur: Decimal
    expected_delivery: date | None
    lines: tuple[OrderLineView, ...] = ()
    shipments: tuple[ShipmentView, ...] = ()


@dataclass(frozen=True)
class OrderCriteria:
    """What the repository can filter by; built by the order service from an OrderReference."""

    order_number: str | None = None
    po_reference: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    open_only: bool = False
    sku: str | None = None
    families: tuple[str, ...] = ()
    name_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    customer_id: str
    kind: str
    number: str
    order_number: str | None
    delivery_number: str | None
    sku: str | None
    batch: str | None
    issued_on: date
    file_path: str


@dataclass(frozen=True)
class DraftLineView:
    position: int
    sku: str
    quantity: int
    previous_unit_price_eur: Decimal | None


@dataclass(frozen=True)
class DraftView:
    id: str
    customer_id: str
    user_id: str
    status: str
    source_order_number: str | None
    po_reference: str | None
    order_number: str | None
    lines: tuple[DraftLineView, ...] = ()


@dataclass(frozen=True)
class ApprovalView:
    id: int
    customer_id: str
    order_number: str
    requested_by: str
    requested_by_name: str
    status: str
    reason: str
    amount_eur: Decimal
    created_at: datetime
    decided_by: str | None = None
    decision_note: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    """A notification to send after the transaction that caused it commits."""

    channel: str  # email | webhook
    topic: str
    recipient: str
    subject: str = ""
    body: str = ""
    payload: dict[str, object] = field(default_factory=dict)
    message_id: str | None = None


@dataclass(frozen=True)
class PlacedOrder:
    order_number: str
    status: str  # open | pending_approval
    total_eur: Decimal
    expected_delivery: date | None
    approval_reason: str | None = None
    already_placed: bool = False
