"""Deterministic demo data relative to today (Europe/Berlin): `assistant demo seed`.

The same ``today`` and ``orders`` always give the same data. Fixed scenarios the docs, tests and demo rely on
(all of account K-10001 unless noted):
- order 4711 (Anna Müller, PO-<year>-0815) is in transit with DHL tracking;
- order 100000 of Anna Müller on last Monday (the most recent Monday strictly before today) containing O-rings,
  a discontinued article with successor, an article whose price has changed since and one out of stock;
- two orders of Anna Müller on the same day (9 days ago): 4720 and 4721;
- delivery 80012 has an EN 10204 3.1 certificate;
- order 4712 is partially delivered, order 4715 has a delayed shipment with a reason;
- order 4800 belongs to K-10002 (for cross-account tests).
The scenarios hold on every day of the year: each has a day of its own in K-10001 (`scenario_days`), whatever
the weekday, and no bulk order of K-10001 lands on one of them, so "last Monday's order" is always exactly one.
Bulk orders are inserted with Core executemany and explicit ids, so 200k orders take a few minutes at most.
PDFs are rendered lazily on first download; only the scenario documents are rendered here.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, text

from assistant import clock
from assistant.commerce import demo_people
from assistant.commerce.catalog import load_products
from assistant.commerce.db import Database
from assistant.commerce.models import (
    Approval,
    Base,
    CallbackTicket,
    CostCentre,
    Counter,
    Customer,
    CustomerPrice,
    Document,
    Order,
    OrderDraft,
    OrderDraftLine,
    OrderLine,
    OutboxMessage,
    Product,
    Rfq,
    RfqLine,
    Shipment,
    ShipmentLine,
    User,
)
from assistant.settings import Settings

log = logging.getLogger(__name__)

CARRIERS = {
    "DHL": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={n}",
    "DB Schenker": "https://www.dbschenker.com/app/tracking-public/?refNumber={n}",
    "UPS": "https://www.ups.com/track?tracknum={n}",
    "DPD": "https://tracking.dpd.de/status/de_DE/parcel/{n}",
}
DELAYS = (
    ("Verzögerung beim Vorlieferanten: Werkstoffengpass bei 1.4404", "supplier delay: shortage of 1.4404 material"),
    ("Streik im Frachtzentrum des Spediteurs", "strike at the carrier's freight hub"),
    ("Witterungsbedingte Verzögerung im Transport", "weather-related transport delay"),
)
# Budgets per cost centre for the current year: (budget, spent). KST-4200 is nearly used up on purpose.
BUDGETS = {
    "KST-4100": (Decimal("60000"), Decimal("31250.40")),
    "KST-4200": (Decimal("5000"), Decimal("4650.00")),
    "KST-200": (Decimal("80000"), Decimal("22410.00")),
    "CC-710": (Decimal("50000"), Decimal("12900.00")),
}
FIRST_BULK_ORDER = 100001
LAST_MONDAY_ORDER = str(FIRST_BULK_ORDER - 1)
SCENARIO_NUMBERS = ("4700", "4702", "4711", "4712", "4715", "4720", "4721", "4800", LAST_MONDAY_ORDER)
SCENARIO_ACCOUNT = "K-10001"
FIRST_BULK_DELIVERY = 81001
CHUNK = 5000


class SeedError(RuntimeError):
    """The demo seed cannot run (message says why)."""


def last_monday(today: date) -> date:
    """The most recent Monday strictly before today (on a Monday: a week ago), as the resolver reads it."""
    return today - timedelta(days=today.weekday() or 7)


@dataclass(frozen=True)
class ScenarioDays:
    """The order day of each scenario; the K-10001 ones are pairwise different on every day of the year."""

    last_monday: date  # order 100000
    in_transit: date  # 4711
    delayed: date  # 4715
    partial: date  # 4712
    same_day_pair: date  # 4720 and 4721
    certificate: date  # 4702 (delivery 80012)
    old: date  # 4700
    other_account: date  # 4800, account K-10002

    def account_days(self) -> set[date]:
        """The days that belong to a scenario of K-10001: no other order of that account is placed on them."""
        return {self.last_monday, self.in_transit, self.delayed, self.partial, self.same_day_pair,
                self.certificate, self.old}  # fmt: skip


def scenario_days(today: date) -> ScenarioDays:
    """Each scenario at its usual distance from today, moved by a day where last Monday already took it.

    Last Monday is 1 to 7 days back, so only 4711 (4 days back, 3 on a Friday) and 4715 (6 days back, 5 on a
    Sunday) can meet it; the others are further back than any last Monday.
    """
    taken = {last_monday(today)}

    def first_free(*days_back: int) -> date:
        day = next(d for d in (today - timedelta(days=n) for n in days_back) if d not in taken)
        taken.add(day)
        return day

    return ScenarioDays(
        last_monday=last_monday(today),
        in_transit=first_free(4, 3, 5),
        delayed=first_free(6, 5, 7),
        partial=first_free(8),
        same_day_pair=first_free(9),
        certificate=first_free(20),
        old=first_free(75),
        other_account=today - timedelta(days=12),
    )


@dataclass
class _Rows:
    orders: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    shipment_lines: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    order_id: int = 0
    line_id: int = 0
    shipment_id: int = 0
    shipment_line_id: int = 0


@dataclass(frozen=True)
class SeedResult:
    orders: int
    lines: int
    shipments: int
    documents: int
    today: date
    seconds: float


class DemoSeeder:
    def __init__(
        self,
        db: Database,
        products_csv: Path,
        today: date | None = None,
        seed: int = 4711,
        settings: Settings | None = None,
    ):
        self.db = db
        self.settings = settings
        self.products_csv = products_csv
        self.today = today or clock.today(settings)
        self.days = scenario_days(self.today)
        self.rng = random.Random(seed)
        self.products: dict[str, dict[str, Any]] = {}
        self.prices: dict[tuple[str, str], Decimal] = {}
        self.rows = _Rows()
        self.delivery_no = FIRST_BULK_DELIVERY
        self.doc_counter = 0

    # -- helpers ---------------------------------------------------------------------------------------
    def _doc_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _created(self, day: date, hour: int = 9) -> datetime:
        local = datetime.combine(day, time(hour, self.rng.randrange(60)), ZoneInfo("Europe/Berlin"))
        return local.astimezone(UTC)

    def price_today(self, customer: str, sku: str) -> Decimal:
        return self.prices.get((customer, sku), Decimal(self.products[sku]["list_price_eur"]))

    def _pick(self, predicate: Any, prefer: Sequence[str] = ()) -> str:
        for sku in prefer:
            if sku in self.products and predicate(self.products[sku]):
                return sku
        matches = sorted(s for s, p in self.products.items() if predicate(p))
        if not matches:
            raise SeedError("the catalogue lacks an article the demo scenarios need")
        return matches[0]

    # -- main ------------------------------------------------------------------------------------------
    def run(self, n_orders: int = 200, if_empty: bool = False) -> SeedResult | None:
        started = datetime.now(UTC)
        with self.db.session() as s:
            has_data = s.scalar(select(func.count()).select_from(Customer)) or 0
        if has_data and if_empty:
            return None
        if has_data:
            self.wipe()
        catalogue = load_products(self.products_csv)
        self.products = {r["sku"]: r for r in catalogue}
        self._pick_scenario_articles()
        with self.db.session() as s:
            self._insert_people_and_products(s, catalogue)
        self._scenarios()
        self._bulk(max(0, n_orders - len(self.rows.orders)))
        self._write()
        self._render_scenario_pdfs()
        seconds = (datetime.now(UTC) - started).total_seconds()
        return SeedResult(
            len(self.rows.orders), len(self.rows.lines), len(self.rows.shipments), len(self.rows.documents),
            self.today, seconds,
        )  # fmt: skip

    def wipe(self) -> None:
        """Delete all commerce data (children first); the schema stays."""
        with self.db.session() as s:
            for model in (
                OutboxMessage, Approval, OrderDraftLine, OrderDraft, Document, ShipmentLine, Shipment,
                OrderLine, Order, CustomerPrice, RfqLine, Rfq, CallbackTicket, User, CostCentre, Product,
                Customer, Counter,
            ):  # fmt: skip
                s.execute(delete(model))

    def _pick_scenario_articles(self) -> None:
        p = self.products

        def active(x: dict[str, Any]) -> bool:
            return x["status"] == "active"

        self.sku_push_in = self._pick(lambda x: active(x) and x["family"] == "pneumatic_fitting", ["3S-1208"])
        self.sku_coupling = self._pick(lambda x: active(x) and x["family"] == "hydraulic_coupling", ["QC-300-08"])
        self.sku_oring = self._pick(lambda x: active(x) and "o-ring" in x["name_de"].lower())
        self.sku_discontinued = self._pick(
            lambda x: x["status"] == "discontinued" and x["successor_sku"] in p, ["2S-1208", "3S-0604"]
        )
        self.sku_out_of_stock = self._pick(lambda x: active(x) and x["stock_qty"] == 0 and x["lead_time_days"] > 0)
        self.sku_hygienic = self._pick(lambda x: active(x) and x["family"] == "hygienic_fitting")
        self.sku_hose = self._pick(lambda x: active(x) and x["family"] == "hose")
        self.sku_valve = self._pick(lambda x: active(x) and x["family"] == "valve")
        actives = sorted(s for s, x in p.items() if active(x))
        # Articles whose price rose ~8 % (lines older than 30 days, and the last-Monday order, show the old one).
        self.price_changed = {self.sku_push_in, self.sku_oring, *actives[3::17]}
        self.active = actives
        self.discontinued = sorted(s for s, x in p.items() if x["status"] == "discontinued" and x["successor_sku"])

    def _insert_people_and_products(self, s: Any, catalogue: list[dict[str, Any]]) -> None:
        year_start, year_end = date(self.today.year, 1, 1), date(self.today.year, 12, 31)
        s.execute(insert(Customer), [a.__dict__ for a in demo_people.ACCOUNTS])
        centres: dict[tuple[str, str], int] = {}
        for u in demo_people.USERS:
            if u.cost_centre and (u.customer, u.cost_centre) not in centres:
                centres[(u.customer, u.cost_centre)] = len(centres) + 1
        s.execute(
            insert(CostCentre),
            [
                {
                    "id": cid, "customer_id": cust, "code": code, "name": f"Kostenstelle {code}",
                    "period_start": year_start, "period_end": year_end,
                    "budget_eur": BUDGETS.get(code, (Decimal("50000"), Decimal("0")))[0],
                    "spent_eur": BUDGETS.get(code, (Decimal("50000"), Decimal("0")))[1],
                }
                for (cust, code), cid in centres.items()
            ],
        )  # fmt: skip
        s.execute(
            insert(User),
            [
                {
                    "id": u.id, "customer_id": u.customer, "email": u.email, "name": u.name,
                    "roles": ";".join(u.roles), "locale": u.locale,
                    "approval_limit_eur": None if u.approval_limit_eur is None else Decimal(u.approval_limit_eur),
                    "cost_centre_id": centres.get((u.customer, u.cost_centre or "")),
                }
                for u in demo_people.USERS
            ],
        )  # fmt: skip
        s.execute(insert(Product), catalogue)
        price_rows = []
        for account in demo_people.ACCOUNTS:
            for sku in sorted(self.products):
                negotiated = account.id == "K-10001" and sku in (self.sku_push_in, self.sku_coupling)
                if self.rng.random() < 0.45 or negotiated:
                    discount = Decimal(self.rng.choice((5, 8, 10, 12, 15))) / 100
                    price = (Decimal(self.products[sku]["list_price_eur"]) * (1 - discount)).quantize(Decimal("0.01"))
                    self.prices[(account.id, sku)] = price
                    price_rows.append(
                        {"customer_id": account.id, "sku": sku, "price_eur": price,
                         "valid_from": self.today - timedelta(days=30)}
                    )  # fmt: skip
        s.execute(insert(CustomerPrice), price_rows)

    # -- orders ----------------------------------------------------------------------------------------
    def _historic_price(self, customer: str, sku: str, day: date) -> Decimal:
        price = self.price_today(customer, sku)
        if sku in self.price_changed and (self.today - day).days > 30:
            return (price / Decimal("1.08")).quantize(Decimal("0.01"))
        return price

    def _order(
        self,
        customer: str,
        user: str,
        day: date,
        items: Sequence[tuple[str, int]],
        *,
        number: str,
        po: str | None,
        status: str,
        expected: date | None,
        old_price_for: Iterable[str] = (),
    ) -> tuple[int, list[int]]:
        r = self.rows
        r.order_id += 1
        old = set(old_price_for)
        line_ids = []
        total = Decimal("0")
        for pos, (sku, wanted) in enumerate(items, start=1):
            r.line_id += 1
            qty = max(wanted, int(self.products[sku]["min_order_qty"]))
            price = self._historic_price(customer, sku, day)
            if sku in old:
                price = (self.price_today(customer, sku) / Decimal("1.08")).quantize(Decimal("0.01"))
            total += price * qty
            product = self.products[sku]
            r.lines.append(
                {"id": r.line_id, "order_id": r.order_id, "customer_id": customer, "order_date": day,
                 "position": pos, "sku": sku, "name": product["name_de"],
                 "quantity": qty, "unit": product["price_unit"], "unit_price_eur": price,
                 "shipped_qty": 0, "delivered_qty": 0}
            )  # fmt: skip
            line_ids.append(r.line_id)
        r.orders.append(
            {"id": r.order_id, "order_number": number, "customer_id": customer, "user_id": user,
             "po_reference": po, "order_date": day, "created_at": self._created(day), "status": status,
             "cost_centre_id": None, "total_eur": total.quantize(Decimal("0.01")), "expected_delivery": expected,
             "draft_id": None}
        )  # fmt: skip
        return r.order_id, line_ids

    def _ship(
        self,
        order_id: int,
        customer: str,
        line_qty: Sequence[tuple[int, int]],
        *,
        shipped: date,
        expected: date | None,
        delivered: date | None,
        status: str,
        number: str | None = None,
        carrier: str | None = None,
        delay: tuple[str, str] | None = None,
        certificate_skus: Iterable[str] = (),
        batch: str | None = None,
    ) -> int:
        r = self.rows
        r.shipment_id += 1
        if number is None:
            number = str(self.delivery_no)
            self.delivery_no += 1
        carrier = carrier or self.rng.choice(sorted(CARRIERS))
        tracking = f"{self.rng.randrange(10**11, 10**12)}"
        r.shipments.append(
            {"id": r.shipment_id, "delivery_number": number, "order_id": order_id, "customer_id": customer,
             "carrier": carrier, "tracking_number": tracking, "tracking_url": CARRIERS[carrier].format(n=tracking),
             "status": status, "shipped_on": shipped, "expected_on": expected, "delivered_on": delivered,
             "delay_reason_de": delay[0] if delay else None, "delay_reason_en": delay[1] if delay else None}
        )  # fmt: skip
        line_index = {line["id"]: line for line in r.lines[-60:]}
        batch = batch or f"CH{shipped:%y%m}-{self.rng.randrange(1000, 9999)}"
        for line_id, qty in line_qty:
            r.shipment_line_id += 1
            r.shipment_lines.append(
                {"id": r.shipment_line_id, "shipment_id": r.shipment_id, "order_line_id": line_id,
                 "quantity": qty, "batch": batch}
            )  # fmt: skip
            line = line_index[line_id]
            line["shipped_qty"] += qty
            if delivered:
                line["delivered_qty"] += qty
        self._doc(customer, "delivery_note", f"LS-{number}", order_id, r.shipment_id, None, None, shipped)
        for sku in certificate_skus:
            self._doc(customer, "certificate_3_1", f"Z31-{number}-{sku}", order_id, r.shipment_id, sku, batch, shipped)
        return r.shipment_id

    def _doc(
        self, customer: str, kind: str, number: str, order_id: int | None, shipment_id: int | None,
        sku: str | None, batch: str | None, day: date,
    ) -> str:  # fmt: skip
        doc_id = self._doc_id()
        self.rows.documents.append(
            {"id": doc_id, "customer_id": customer, "kind": kind, "number": number, "order_id": order_id,
             "shipment_id": shipment_id, "sku": sku, "batch": batch, "issued_on": day,
             "file_path": f"{customer}/{doc_id}.pdf"}
        )  # fmt: skip
        return doc_id

    def _scenarios(self) -> None:
        t = self.today
        year = t.year
        k1 = SCENARIO_ACCOUNT
        # 4700: older order with a hose and a discontinued coupling, fully delivered.
        d = self.days.old
        oid, lines = self._order(
            k1, "u-1002", d, [(self.sku_hose, 25), (self.sku_discontinued, 10)],
            number="4700", po=f"PO-{year}-0702", status="delivered", expected=d + timedelta(days=4),
        )  # fmt: skip
        self._ship(oid, k1, [(lines[0], 25), (lines[1], 10)], shipped=d + timedelta(days=2),
                   expected=d + timedelta(days=4), delivered=d + timedelta(days=4), status="delivered")
        self._doc(k1, "invoice", "RE-4700", oid, None, None, None, d + timedelta(days=2))
        # 4702: hygienic fittings, delivery 80012 with a 3.1 certificate (per batch).
        d = self.days.certificate
        oid, lines = self._order(
            k1, "u-1002", d, [(self.sku_hygienic, 12), (self.sku_oring, 20)],
            number="4702", po=f"PO-{year}-0744", status="delivered", expected=d + timedelta(days=5),
        )  # fmt: skip
        self._ship(oid, k1, [(lines[0], 12), (lines[1], 20)], shipped=d + timedelta(days=3),
                   expected=d + timedelta(days=5), delivered=d + timedelta(days=5), status="delivered",
                   number="80012", carrier="DB Schenker", certificate_skus=[self.sku_hygienic],
                   batch="CH-2611-0815")  # fmt: skip
        self._doc(k1, "invoice", "RE-4702", oid, None, None, None, d + timedelta(days=3))
        self._doc(k1, "declaration_of_conformity", f"DoC-{self.sku_hygienic}", oid, None, self.sku_hygienic,
                  None, d + timedelta(days=3))
        # Two orders of Anna on the same day.
        d = self.days.same_day_pair
        for number, po, items in (
            ("4720", f"PO-{year}-0790", [(self.sku_push_in, 100), (self.sku_valve, 2)]),
            ("4721", f"PO-{year}-0791", [(self.sku_oring, 30)]),
        ):
            oid, lines = self._order(k1, "u-1001", d, items, number=number, po=po, status="delivered",
                                     expected=d + timedelta(days=3))
            self._ship(oid, k1, [(line, q) for line, (_, q) in zip(lines, items, strict=True)],
                       shipped=d + timedelta(days=1), expected=d + timedelta(days=3),
                       delivered=d + timedelta(days=3), status="delivered")
            self._doc(k1, "invoice", f"RE-{number}", oid, None, None, None, d + timedelta(days=1))
        # 4712: partial delivery (Lena); the coupling follows.
        d = self.days.partial
        oid, lines = self._order(
            k1, "u-1004", d, [(self.sku_push_in, 40), (self.sku_coupling, 6)],
            number="4712", po=f"PO-{year}-0801", status="partially_shipped", expected=t + timedelta(days=4),
        )  # fmt: skip
        self._ship(oid, k1, [(lines[0], 40), (lines[1], 2)], shipped=d + timedelta(days=1),
                   expected=d + timedelta(days=3), delivered=d + timedelta(days=3), status="delivered")
        # 4715: delayed shipment with a reason (Thomas).
        d = self.days.delayed
        oid, lines = self._order(
            k1, "u-1002", d, [(self.sku_hygienic, 8)],
            number="4715", po=f"PO-{year}-0809", status="shipped", expected=t - timedelta(days=1),
        )  # fmt: skip
        self._ship(oid, k1, [(lines[0], 8)], shipped=d + timedelta(days=2), expected=t + timedelta(days=5),
                   delivered=None, status="delayed", delay=DELAYS[0], carrier="DB Schenker")
        # 4711: Anna, in transit with DHL tracking.
        d = self.days.in_transit
        oid, lines = self._order(
            k1, "u-1001", d, [(self.sku_push_in, 50), (self.sku_coupling, 4)],
            number="4711", po=f"PO-{year}-0815", status="shipped", expected=t + timedelta(days=1),
        )  # fmt: skip
        self._ship(oid, k1, [(lines[0], 50), (lines[1], 4)], shipped=t - timedelta(days=1),
                   expected=t + timedelta(days=1), delivered=None, status="in_transit",
                   number="80031", carrier="DHL", certificate_skus=[self.sku_coupling])  # fmt: skip
        self._doc(k1, "invoice", "RE-4711", oid, None, None, None, t - timedelta(days=1))
        # Last Monday (Anna): O-rings, a discontinued article, a price change and an out-of-stock article.
        d = self.days.last_monday
        self._order(
            k1, "u-1001", d,
            [(self.sku_oring, 50), (self.sku_discontinued, 20), (self.sku_push_in, 30), (self.sku_out_of_stock, 5)],
            number=LAST_MONDAY_ORDER, po=f"PO-{year}-0822", status="in_progress",
            expected=t + timedelta(days=3), old_price_for=[self.sku_push_in, self.sku_oring],
        )  # fmt: skip
        # 4800: another account (cross-account tests), with documents.
        d = self.days.other_account
        k2 = "K-10002"
        oid, lines = self._order(k2, "u-2001", d, [(self.sku_hygienic, 4)], number="4800",
                                 po=f"PO-{year}-0815", status="delivered", expected=d + timedelta(days=3))
        self._ship(oid, k2, [(lines[0], 4)], shipped=d + timedelta(days=1), expected=d + timedelta(days=3),
                   delivered=d + timedelta(days=3), status="delivered", number="80013",
                   certificate_skus=[self.sku_hygienic])
        self._doc(k2, "invoice", "RE-4800", oid, None, None, None, d + timedelta(days=1))

    def _bulk(self, n: int) -> None:
        rng = self.rng
        accounts = [a.id for a in demo_people.ACCOUNTS]
        weights = [0.5, 0.3, 0.2]
        buyers = {
            a: [u.id for u in demo_people.USERS if u.customer == a and {"buyer", "approver"} & set(u.roles)]
            for a in accounts
        }
        skus = self.active
        # Discontinued articles appear in older orders (they were active then).
        old_skus = skus + self.discontinued * 3
        days = [self.today - timedelta(days=int(365 * rng.random() ** 1.15)) for _ in range(n)]
        days.sort()
        reserved = self.days.account_days()
        for i, day in enumerate(days):
            customer = rng.choices(accounts, weights)[0]
            if customer == SCENARIO_ACCOUNT and day in reserved:
                customer = accounts[(accounts.index(customer) + 1) % len(accounts)]
            user = rng.choice(buyers[customer])
            age = (self.today - day).days
            pool = old_skus if age > 90 else skus
            count = rng.choice((1, 1, 2, 2, 3, 3, 4, 5))
            items = []
            for sku in rng.sample(pool, count):
                mq = self.products[sku]["min_order_qty"]
                items.append((sku, mq * rng.choice((1, 1, 2, 5, 10))))
            number = str(FIRST_BULK_ORDER + i)
            # 1000-9999: never one of the scenario references (PO-<year>-0702 ... 0822), at any number of orders
            po = f"PO-{day.year}-{1000 + i % 9000:04d}" if rng.random() < 0.7 else None
            lead = max(self.products[s]["lead_time_days"] for s, _ in items)
            expected = day + timedelta(days=max(2, lead + 2))
            if age == 0:
                self._order(customer, user, day, items, number=number, po=po, status="open", expected=expected)
                continue
            if age < 3:
                oid, lines = self._order(customer, user, day, items, number=number, po=po, status="shipped",
                                         expected=self.today + timedelta(days=1))
                delay = DELAYS[rng.randrange(len(DELAYS))] if rng.random() < 0.05 else None
                eta = self.today + timedelta(days=4 if delay else 1)
                self._ship(oid, customer, [(lid, q) for lid, (_, q) in zip(lines, items, strict=True)],
                           shipped=day + timedelta(days=1), expected=eta,
                           delivered=None, status="delayed" if delay else "in_transit", delay=delay)
                continue
            partial = len(items) > 1 and rng.random() < (0.25 if age < 15 else 0.1)
            status = "partially_shipped" if partial and age < 15 else "delivered"
            oid, lines = self._order(customer, user, day, items, number=number, po=po, status=status,
                                     expected=expected if status == "delivered" else self.today + timedelta(days=3))
            pairs = [(lid, q) for lid, (_, q) in zip(lines, items, strict=True)]
            certs = [s for s, _ in items if self.products[s]["family"] in ("hygienic_fitting", "hydraulic_coupling")]
            first, rest = (pairs[:1], pairs[1:]) if partial else (pairs, [])
            shipped = day + timedelta(days=1)
            self._ship(oid, customer, first, shipped=shipped, expected=shipped + timedelta(days=2),
                       delivered=shipped + timedelta(days=2), status="delivered",
                       certificate_skus=[s for s, _ in items[:1] if s in certs])
            if rest and status == "delivered":
                later = shipped + timedelta(days=min(lead, 20) + 3)
                self._ship(oid, customer, rest, shipped=later, expected=later + timedelta(days=2),
                           delivered=later + timedelta(days=2), status="delivered",
                           certificate_skus=[s for s, _ in items[1:] if s in certs])
            self._doc(customer, "invoice", f"RE-{number}", oid, None, None, None, shipped)

    # -- writing ---------------------------------------------------------------------------------------
    def _write(self) -> None:
        r = self.rows
        max_number = max(int(o["order_number"]) for o in r.orders)
        with self.db.session() as s:
            for model, rows in (
                (Order, r.orders), (OrderLine, r.lines), (Shipment, r.shipments),
                (ShipmentLine, r.shipment_lines), (Document, r.documents),
            ):  # fmt: skip
                table = model.__table__
                for start in range(0, len(rows), CHUNK):
                    s.execute(insert(table), rows[start : start + CHUNK])
            s.execute(
                insert(Counter),
                [{"name": "order_number", "value": max_number}, {"name": "delivery_number", "value": self.delivery_no}],
            )
            if s.bind.dialect.name == "postgresql":
                for table in ("cost_centres", "orders", "order_lines", "shipments", "shipment_lines"):
                    s.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                        )
                    )
        with self.db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))

    def _render_scenario_pdfs(self) -> None:
        """Render the scenario documents now so the demo's first download is instant."""
        from assistant.commerce.documents import DocumentService
        from assistant.commerce.repository import SqlCommerceRepository

        scenario_orders = {o["id"] for o in self.rows.orders if o["order_number"] in SCENARIO_NUMBERS}
        repo = SqlCommerceRepository(self.db)
        service = DocumentService(repo, self.settings)
        for row in self.rows.documents:
            if row["order_id"] in scenario_orders:
                doc = repo.get_document(row["customer_id"], row["id"])
                if doc is not None:
                    service.pdf_path(doc)


def seed_demo(
    db: Database,
    products_csv: Path,
    *,
    orders: int = 200,
    today: date | None = None,
    if_empty: bool = False,
    settings: Settings | None = None,
) -> SeedResult | None:
    """Create the demo data; returns None when ``if_empty`` and data already exists."""
    return DemoSeeder(db, products_csv, today, settings=settings).run(orders, if_empty)


def ensure_schema(db: Database) -> None:
    """Create tables directly (tests that do not exercise migrations)."""
    Base.metadata.create_all(db.engine)
