"""Order drafts: reorder a past order or quick-order article numbers, adjust, confirm.

A draft is stored (not kept in the dialogue) so that it survives restarts and replicas, and so that
confirming is idempotent: a draft becomes at most one order, however often "yes" is said or sent.
Every quote is priced at today's customer price and flags what changed since the original order:
price changes, articles out of stock (with lead time) and discontinued articles (with their successor).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from assistant import clock
from assistant.commerce import validation
from assistant.commerce.domain import (
    DraftView,
    OrderCriteria,
    OutboxItem,
    PlacedOrder,
    ProductInfo,
    UserInfo,
)
from assistant.commerce.orders import hint_filter
from assistant.commerce.outbox import webhook_items
from assistant.commerce.prices import PriceService
from assistant.commerce.repository import CommerceRepository, get_repository
from assistant.commerce.validation import Identity, QuantityError, require_role
from assistant.errors import InvalidInput, NotFound
from assistant.settings import Settings, get_settings

ORDERING_ROLES = ("buyer", "approver")
MAX_LINES = 100
SHIPPING_DAYS = 2


class DraftNotOrderable(InvalidInput):
    """The draft cannot be placed as it is; ``reason``: empty, discontinued, below_minimum, not_draft."""

    def __init__(self, reason: str, positions: Sequence[int] = ()):
        super().__init__(reason)
        self.reason = reason
        self.positions = tuple(positions)


@dataclass(frozen=True)
class QuoteLine:
    position: int
    sku: str
    name: str
    quantity: int
    price_unit: str
    unit_price_eur: Decimal
    previous_unit_price_eur: Decimal | None
    line_total_eur: Decimal
    stock_qty: int
    lead_time_days: int
    min_order_qty: int
    discontinued: bool
    successor_sku: str | None
    successor_name: str | None
    family: str

    @property
    def price_changed(self) -> bool:
        return (
            self.previous_unit_price_eur is not None and self.previous_unit_price_eur != self.unit_price_eur
        )

    @property
    def in_stock(self) -> bool:
        return self.stock_qty >= self.quantity

    @property
    def below_minimum(self) -> bool:
        return self.quantity < self.min_order_qty


@dataclass(frozen=True)
class DraftQuote:
    draft_id: str
    status: str
    source_order_number: str | None
    order_number: str | None
    lines: tuple[QuoteLine, ...]
    total_eur: Decimal
    expected_delivery: date | None

    @property
    def price_changes(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.price_changed]

    @property
    def out_of_stock(self) -> list[QuoteLine]:
        return [line for line in self.lines if not line.in_stock and not line.discontinued]

    @property
    def discontinued(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.discontinued]


def add_working_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


class DraftService:
    """Reorder and quick order share one draft model; quickorder.py only adds the line parsing."""

    def __init__(
        self,
        repo: CommerceRepository | None = None,
        prices: PriceService | None = None,
        settings: Settings | None = None,
    ):
        self.repo = repo or get_repository()
        self.prices = prices or PriceService(self.repo)
        self.settings = settings or get_settings()

    # -- creating ---------------------------------------------------------------------------------------
    def from_order(self, identity: Identity, order_number: str, only_hint: str | None = None) -> DraftQuote:
        """Draft a reorder of a past order (optionally only the lines a hint names: "nur die O-Ringe")."""
        customer = require_role(identity, *ORDERING_ROLES)
        number = validation.order_number(order_number)
        # One transaction for the lookup, the insert and the quote's product and price reads.
        with self.repo.transaction():
            found = self.repo.find_orders(customer, OrderCriteria(order_number=number), 1)
            if not found:
                raise NotFound("order not found")
            order = found[0]
            lines = list(order.lines)
            if only_hint:
                families, names = hint_filter(only_hint)
                lines = [
                    line
                    for line in lines
                    if line.family in families or any(n in line.name.lower() for n in names)
                ]
                if not lines:
                    raise NotFound("no matching lines")
            draft = self.repo.create_draft(
                customer,
                str(identity.user_id),
                [(line.sku, line.quantity, line.unit_price_eur) for line in lines],
                source_order_number=order.order_number,
            )
            return self._quote(identity, draft)

    def from_lines(
        self, identity: Identity, lines: Sequence[tuple[str, object]], po_reference: str | None = None
    ) -> DraftQuote:
        """Draft a quick order from (sku, quantity) pairs; unknown skus raise NotFound naming none of them."""
        customer = require_role(identity, *ORDERING_ROLES)
        if not lines:
            raise DraftNotOrderable("empty")
        if len(lines) > MAX_LINES:
            raise InvalidInput("too many lines")
        skus = [validation.sku(sku) for sku, _ in lines]
        with self.repo.transaction():
            products = self.repo.get_products(skus)
            missing = [s for s in skus if s not in products]
            if missing:
                raise UnknownArticles(missing)
            clean = [(sku, validation.quantity(qty)) for sku, (_, qty) in zip(skus, lines, strict=True)]
            po = validation.po_reference(po_reference) if po_reference else None
            draft = self.repo.create_draft(
                customer, str(identity.user_id), [(s, q, None) for s, q in clean], po_reference=po
            )
            return self._quote(identity, draft)

    # -- reading ---------------------------------------------------------------------------------------
    def quote(self, identity: Identity, draft_id: str) -> DraftQuote:
        with self.repo.transaction():
            return self._quote(identity, self._draft(identity, draft_id))

    def _draft(self, identity: Identity, draft_id: str) -> DraftView:
        customer = require_role(identity, *ORDERING_ROLES)
        draft = self.repo.get_draft(customer, str(identity.user_id), validation.draft_id(draft_id))
        if draft is None:
            raise NotFound("draft not found")
        return draft

    def _quote(self, identity: Identity, draft: DraftView, today: date | None = None) -> DraftQuote:
        skus = [line.sku for line in draft.lines]
        products = self.repo.get_products(skus)
        successors = self.repo.get_products([p.successor_sku for p in products.values() if p.successor_sku])
        prices = self.prices.unit_prices(identity, products.values())
        lang = identity.locale
        quote_lines = []
        for line in draft.lines:
            p = products[line.sku]
            price = prices[p.sku] or p.list_price_eur
            successor = successors.get(p.successor_sku or "")
            quote_lines.append(
                QuoteLine(
                    position=line.position,
                    sku=p.sku,
                    name=p.name(lang),
                    quantity=line.quantity,
                    price_unit=p.price_unit,
                    unit_price_eur=price,
                    previous_unit_price_eur=line.previous_unit_price_eur,
                    line_total_eur=(price * line.quantity).quantize(Decimal("0.01")),
                    stock_qty=p.stock_qty,
                    lead_time_days=p.lead_time_days,
                    min_order_qty=p.min_order_qty,
                    discontinued=p.is_discontinued,
                    successor_sku=successor.sku if successor else None,
                    successor_name=successor.name(lang) if successor else None,
                    family=p.family,
                )
            )
        total = sum((q.line_total_eur for q in quote_lines), Decimal("0.00"))
        return DraftQuote(
            draft_id=draft.id,
            status=draft.status,
            source_order_number=draft.source_order_number,
            order_number=draft.order_number,
            lines=tuple(quote_lines),
            total_eur=total,
            expected_delivery=self._expected(products, draft, today or clock.today(self.settings)),
        )

    @staticmethod
    def _expected(products: dict[str, ProductInfo], draft: DraftView, today: date) -> date | None:
        if not draft.lines:
            return None
        wait = max(
            (0 if products[line.sku].stock_qty >= line.quantity else products[line.sku].lead_time_days)
            for line in draft.lines
        )
        return add_working_days(today + timedelta(days=wait), SHIPPING_DAYS)

    # -- modifying -------------------------------------------------------------------------------------
    def _rewrite(
        self, identity: Identity, draft: DraftView, lines: list[tuple[str, int, Decimal | None]]
    ) -> DraftQuote:
        customer = require_role(identity, *ORDERING_ROLES)
        if draft.status != "draft":
            raise DraftNotOrderable("not_draft")
        updated = self.repo.replace_draft_lines(customer, str(identity.user_id), draft.id, lines)
        return self._quote(identity, updated)

    @staticmethod
    def _rows(draft: DraftView) -> list[tuple[str, int, Decimal | None]]:
        return [(line.sku, line.quantity, line.previous_unit_price_eur) for line in draft.lines]

    @staticmethod
    def _index(draft: DraftView, position: int) -> int:
        for i, line in enumerate(draft.lines):
            if line.position == position:
                return i
        raise NotFound("no such position")

    def set_quantity(self, identity: Identity, draft_id: str, position: int, quantity: object) -> DraftQuote:
        draft = self._draft(identity, draft_id)
        i = self._index(draft, position)
        product = self.repo.get_products([draft.lines[i].sku])[draft.lines[i].sku]
        rows = self._rows(draft)
        rows[i] = (rows[i][0], validation.quantity(quantity, product.min_order_qty), rows[i][2])
        return self._rewrite(identity, draft, rows)

    def remove_position(self, identity: Identity, draft_id: str, position: int) -> DraftQuote:
        draft = self._draft(identity, draft_id)
        rows = self._rows(draft)
        del rows[self._index(draft, position)]
        return self._rewrite(identity, draft, rows)

    def remove_matching(self, identity: Identity, draft_id: str, hint: str) -> DraftQuote:
        """Remove the lines a product hint names ("ohne die Schläuche", "drop the valves")."""
        draft = self._draft(identity, draft_id)
        families, names = hint_filter(hint)
        products = self.repo.get_products([line.sku for line in draft.lines])

        def matches(sku: str) -> bool:
            p = products[sku]
            text = f"{p.name_de} {p.name_en}".lower()
            return p.family in families or any(n in text for n in names) or sku == hint.strip().upper()

        rows = [row for row in self._rows(draft) if not matches(row[0])]
        if len(rows) == len(draft.lines):
            raise NotFound("no matching lines")
        return self._rewrite(identity, draft, rows)

    def replace_with_successor(
        self, identity: Identity, draft_id: str, position: int | None = None
    ) -> DraftQuote:
        """Swap a discontinued article (or all of them) for its successor, keeping the quantity."""
        draft = self._draft(identity, draft_id)
        products = self.repo.get_products([line.sku for line in draft.lines])
        targets = (
            {draft.lines[self._index(draft, position)].position}
            if position is not None
            else {line.position for line in draft.lines}
        )
        rows: list[tuple[str, int, Decimal | None]] = [
            (line.sku, line.quantity, line.previous_unit_price_eur) for line in draft.lines
        ]
        replaced = 0
        for line in draft.lines:
            p = products[line.sku]
            if line.position in targets and p.is_discontinued and p.successor_sku:
                i = next(i for i, row in enumerate(rows) if row[0] == line.sku)
                del rows[i]
                same = next((j for j, row in enumerate(rows) if row[0] == p.successor_sku), None)
                if same is None:
                    # The old price is not comparable with another article's price: drop it.
                    rows.insert(i, (p.successor_sku, line.quantity, None))
                else:
                    rows[same] = (p.successor_sku, rows[same][1] + line.quantity, rows[same][2])
                replaced += 1
        if not replaced:
            raise NotFound("nothing to replace")
        return self._rewrite(identity, draft, rows)

    def add_sku(self, identity: Identity, draft_id: str, sku: str, quantity: object) -> DraftQuote:
        draft = self._draft(identity, draft_id)
        clean = validation.sku(sku)
        product = self.repo.get_products([clean]).get(clean)
        if product is None:
            raise UnknownArticles([clean])
        qty = validation.quantity(quantity, product.min_order_qty)
        rows = self._rows(draft)
        for i, row in enumerate(rows):
            if row[0] == clean:
                rows[i] = (clean, validation.quantity(row[1] + qty), row[2])
                break
        else:
            if len(rows) >= MAX_LINES:
                raise InvalidInput("too many lines")
            rows.append((clean, qty, None))
        return self._rewrite(identity, draft, rows)

    # -- confirming ------------------------------------------------------------------------------------
    def confirm(self, identity: Identity, draft_id: str, today: date | None = None) -> PlacedOrder:
        """Place the order, or route it for approval (limit or budget exceeded). Idempotent per draft."""
        customer = require_role(identity, *ORDERING_ROLES)
        draft = self._draft(identity, draft_id)
        today = today or clock.today(self.settings)
        quote = self._quote(identity, draft, today)
        if draft.status == "draft":
            if not quote.lines:
                raise DraftNotOrderable("empty")
            if quote.discontinued:
                raise DraftNotOrderable("discontinued", [q.position for q in quote.discontinued])
            low = [q.position for q in quote.lines if q.below_minimum]
            if low:
                raise DraftNotOrderable("below_minimum", low)
        user = self.repo.get_user(customer, str(identity.user_id))
        if user is None:
            raise NotFound("user not found")
        reason = None
        if user.approval_limit_eur is not None and quote.total_eur > user.approval_limit_eur:
            reason = "approval_limit"

        approvers = [u for u in self.repo.users_with_role(customer, "approver") if u.id != user.id]

        def notify(placed: PlacedOrder) -> list[OutboxItem]:
            return self._notifications(customer, user.name, user.email, approvers, placed)

        return self.repo.place_order(
            customer,
            user.id,
            draft.id,
            priced_lines=[(q.sku, q.name, q.quantity, q.price_unit, q.unit_price_eur) for q in quote.lines],
            total_eur=quote.total_eur,
            expected_delivery=quote.expected_delivery,
            cost_centre_id=user.cost_centre_id,
            approval_reason=reason,
            notifications=notify,
            today=today,
        )

    def _notifications(
        self, customer: str, name: str, email: str, approvers: list[UserInfo], placed: PlacedOrder
    ) -> list[OutboxItem]:
        payload = {
            "customer": customer,
            "order_number": placed.order_number,
            "status": placed.status,
            "total_eur": str(placed.total_eur),
            "reason": placed.approval_reason,
        }
        items: list[OutboxItem] = []
        if placed.status == "pending_approval":
            for approver in approvers:
                subject, body = approval_request_text(approver.locale, name, placed)
                items.append(
                    OutboxItem("email", "approval_requested", approver.email, subject, body, payload)
                )
        else:
            subject, body = confirmation_text("de", placed)
            items.append(OutboxItem("email", "order_placed", email, subject, body, payload))
        return items + webhook_items(self.settings, "order_" + placed.status, payload)


class UnknownArticles(NotFound):
    """Article numbers that are not in the catalogue (valid format, no such product)."""

    def __init__(self, skus: Sequence[str]):
        super().__init__("unknown articles")
        self.skus = tuple(skus)


def _money(value: Decimal, lang: str) -> str:
    text = f"{value:,.2f}"
    return (
        text.replace(",", "X").replace(".", ",").replace("X", ".") + " EUR" if lang != "en" else f"EUR {text}"
    )


def approval_request_text(lang: str, requester: str, placed: PlacedOrder) -> tuple[str, str]:
    reason_de = {"approval_limit": "Ihr Freigabelimit", "budget": "das Restbudget der Kostenstelle"}
    reason_en = {"approval_limit": "their approval limit", "budget": "the cost centre's remaining budget"}
    if lang == "en":
        return (
            f"Approval needed: order {placed.order_number}",
            f"{requester} placed order {placed.order_number} for {_money(placed.total_eur, 'en')}, "
            "which exceeds "
            f"{reason_en.get(placed.approval_reason or '', 'a limit')}. Please approve or reject it in the "
            "assistant or the customer portal.",
        )
    return (
        f"Freigabe erforderlich: Bestellung {placed.order_number}",
        f"{requester} hat die Bestellung {placed.order_number} über {_money(placed.total_eur, 'de')} "
        f"angelegt; sie überschreitet {reason_de.get(placed.approval_reason or '', 'ein Limit')}. "
        "Bitte geben Sie sie im "
        "Assistenten oder im Kundenportal frei oder lehnen Sie sie ab.",
    )


def confirmation_text(lang: str, placed: PlacedOrder) -> tuple[str, str]:
    when = placed.expected_delivery.strftime("%d.%m.%Y") if placed.expected_delivery else "-"
    if lang == "en":
        return (
            f"Order confirmation {placed.order_number}",
            f"Thank you for your order {placed.order_number} ({_money(placed.total_eur, 'en')}). "
            f"Expected delivery: {when}.",
        )
    return (
        f"Auftragsbestätigung {placed.order_number}",
        f"Vielen Dank für Ihre Bestellung {placed.order_number} ({_money(placed.total_eur, 'de')}). "
        f"Voraussichtliche Lieferung: {when}.",
    )


@lru_cache(maxsize=1)
def get_draft_service() -> DraftService:
    return DraftService()


def reorder_quote_errors(quote: DraftQuote) -> list[QuantityError]:
    """Quantities of a quote that would be refused at confirm (for a friendly warning beforehand)."""
    return [QuantityError("below_minimum", q.min_order_qty) for q in quote.lines if q.below_minimum]
