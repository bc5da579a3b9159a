"""Order status: by number, by a resolved OrderReference, open orders, the latest order.

Every call is scoped by the verified account; an order of another account raises the same ``NotFound``
as a number that was never issued.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Protocol

from assistant.commerce import validation
from assistant.commerce.domain import OrderCriteria, OrderLineView, OrderView, ShipmentView
from assistant.commerce.repository import CommerceRepository, get_repository
from assistant.commerce.validation import Identity, require_account
from assistant.errors import NotFound


class OrderRef(Protocol):
    """The fields of assistant.commerce.resolver.OrderReference that the search uses."""

    order_number: str | None
    po_reference: str | None
    date_from: date | None
    date_to: date | None
    latest: bool
    open_only: bool
    product_hint: str | None
    sku: str | None


# Words buyers use for product kinds -> (families, name fragments). Keys are normalised (see _normalise).
_HINTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "o-ring": ((), ("o-ring",)),
    "oring": ((), ("o-ring",)),
    "dichtring": ((), ("o-ring",)),
    "dichtung": (("seal",), ()),
    "seal": (("seal",), ()),
    "gasket": ((), ("dichtung", "gasket")),
    "flachdichtung": ((), ("flachdichtung",)),
    "schlauch": (("hose",), ()),
    "schlaeuche": (("hose",), ()),
    "hose": (("hose",), ()),
    "kupplung": (("hydraulic_coupling",), ()),
    "schnellkupplung": (("hydraulic_coupling",), ()),
    "coupling": (("hydraulic_coupling",), ()),
    "ventil": (("valve",), ()),
    "valve": (("valve",), ()),
    "kugelhahn": ((), ("kugelhahn",)),
    "magnetventil": ((), ("magnetventil",)),
    "verschraubung": (("pneumatic_fitting", "hygienic_fitting"), ()),
    "steckverschraubung": (("pneumatic_fitting",), ()),
    "fitting": (("pneumatic_fitting", "hygienic_fitting"), ()),
    "push-in": (("pneumatic_fitting",), ()),
    "riemen": (("drive",), ()),
    "zahnriemen": (("drive",), ()),
    "belt": (("drive",), ()),
    "antrieb": (("drive",), ()),
}
_PLURALS = ("en", "es", "e", "n", "s")


def _normalise(word: str) -> str:
    text = word.strip().lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9\-]", "", text)


def hint_filter(hint: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Map a product hint ("O-Ringe", "Schläuche", "valves") to families and name fragments."""
    if not hint:
        return (), ()
    families: list[str] = []
    names: list[str] = []
    for raw in hint.split()[:4]:
        word = _normalise(raw)
        if len(word) < 3:
            continue
        candidates = [word] + [
            word[: -len(p)] for p in _PLURALS if word.endswith(p) and len(word) - len(p) >= 3
        ]
        for cand in candidates:
            if cand in _HINTS:
                fams, frags = _HINTS[cand]
                families.extend(fams)
                names.extend(frags)
                break
        else:
            names.append(candidates[-1][:40])
    return tuple(dict.fromkeys(families)), tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class LineStatus:
    position: int
    sku: str
    name: str
    quantity: int
    shipped_qty: int
    delivered_qty: int
    status: str  # open, partially_shipped, shipped, delivered


@dataclass(frozen=True)
class OrderStatus:
    order: OrderView
    lines: tuple[LineStatus, ...]
    shipments: tuple[ShipmentView, ...]
    expected_delivery: date | None
    delayed: tuple[ShipmentView, ...]

    @property
    def order_number(self) -> str:
        return self.order.order_number

    @property
    def status(self) -> str:
        return self.order.status

    def tracking_links(self) -> list[tuple[str, str, str]]:
        """(delivery number, carrier, URL) of shipments still on their way."""
        return [
            (s.delivery_number, s.carrier, s.tracking_url)
            for s in self.shipments
            if s.tracking_url and s.status != "delivered"
        ]

    def delay_explanation(self, lang: str) -> str | None:
        """One plain sentence per delayed shipment, in the buyer's language (None when on time)."""
        if not self.delayed:
            return None
        parts = []
        for s in self.delayed:
            reason = s.delay_reason(lang) or ("unknown reason" if lang == "en" else "Grund unbekannt")
            when = (
                s.expected_on.strftime("%d.%m.%Y" if lang != "en" else "%d %b %Y") if s.expected_on else None
            )
            if lang == "en":
                text = f"Delivery {s.delivery_number} is delayed: {reason}."
                text += f" It is now expected on {when}." if when else ""
            else:
                text = f"Die Lieferung {s.delivery_number} verzögert sich: {reason}."
                text += f" Sie wird jetzt am {when} erwartet." if when else ""
            parts.append(text)
        return " ".join(parts)


def order_status(order: OrderView) -> OrderStatus:
    lines = tuple(
        LineStatus(
            line.position,
            line.sku,
            line.name,
            line.quantity,
            line.shipped_qty,
            line.delivered_qty,
            line.status,
        )
        for line in order.lines
    )
    pending = [s for s in order.shipments if s.status != "delivered"]
    expected = max((s.expected_on for s in pending if s.expected_on), default=None)
    if any(line.status == "open" for line in lines) and order.expected_delivery:
        expected = max(expected, order.expected_delivery) if expected else order.expected_delivery
    delayed = tuple(s for s in order.shipments if s.status == "delayed")
    return OrderStatus(order, lines, order.shipments, expected, delayed)


def lines_matching(order: OrderView, hint: str | None) -> list[OrderLineView]:
    """Lines of an order that a product hint refers to ("die O-Ringe aus der Bestellung")."""
    families, names = hint_filter(hint)
    if not families and not names:
        return []
    return [
        line for line in order.lines if line.family in families or any(n in line.name.lower() for n in names)
    ]


class OrderService:
    def __init__(self, repo: CommerceRepository | None = None):
        self.repo = repo or get_repository()

    def get_order(self, identity: Identity, number: str) -> OrderStatus:
        customer = require_account(identity)
        clean = validation.order_number(number)
        found = self.repo.find_orders(customer, OrderCriteria(order_number=clean), 1)
        if not found:
            raise NotFound("order not found")
        return order_status(found[0])

    def find_orders(self, identity: Identity, ref: OrderRef, limit: int = 5) -> list[OrderView]:
        """Orders matching a resolved reference, newest first; [] when nothing (or nothing valid) matches."""
        customer = require_account(identity)
        try:
            criteria = self._criteria(ref)
        except NotFound:
            return []
        if getattr(ref, "latest", False):
            skip = max(0, min(int(getattr(ref, "skip", 0) or 0), 10))
            return self.repo.find_orders(customer, criteria, skip + 1)[skip:]
        return self.repo.find_orders(customer, criteria, max(1, min(limit, 50)))

    def nearest_orders(self, identity: Identity, ref: OrderRef, limit: int = 3) -> list[OrderView]:
        """Alternatives when find_orders found nothing: orders nearest the asked date, else the latest."""
        customer = require_account(identity)
        limit = max(1, min(limit, 20))
        if ref.date_from or ref.date_to:
            start = ref.date_from or ref.date_to
            end = ref.date_to or ref.date_from
            assert start is not None and end is not None
            middle = start + timedelta(days=(end - start).days // 2)
            return self.repo.orders_near(customer, middle, limit)
        return self.repo.find_orders(customer, OrderCriteria(), limit)

    def open_orders(self, identity: Identity, limit: int = 10) -> list[OrderView]:
        customer = require_account(identity)
        return self.repo.find_orders(customer, OrderCriteria(open_only=True), max(1, min(limit, 50)))

    def latest_order(self, identity: Identity) -> OrderStatus:
        customer = require_account(identity)
        found = self.repo.find_orders(customer, OrderCriteria(), 1)
        if not found:
            raise NotFound("no orders")
        return order_status(found[0])

    def status_for(self, identity: Identity, ref: OrderRef) -> list[OrderStatus]:
        return [order_status(o) for o in self.find_orders(identity, ref)]

    @staticmethod
    def _criteria(ref: OrderRef) -> OrderCriteria:
        families, names = hint_filter(ref.product_hint)
        return OrderCriteria(
            order_number=validation.order_number(ref.order_number) if ref.order_number else None,
            po_reference=validation.po_reference(ref.po_reference) if ref.po_reference else None,
            date_from=ref.date_from,
            date_to=ref.date_to,
            open_only=bool(getattr(ref, "open_only", False)),
            sku=validation.sku(ref.sku) if ref.sku else None,
            families=families,
            name_terms=names,
        )


@lru_cache(maxsize=1)
def get_order_service() -> OrderService:
    return OrderService()
