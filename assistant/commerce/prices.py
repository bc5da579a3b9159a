"""Customer-specific prices: what this account pays today, or the list price / "on request" for visitors.

Who sees an account's prices: buyers and approvers (``PRICE_ROLES``), the people who order and pay. A technician of
the account sees what a visitor sees (list price or "on request") and gets no price-list download, for the same
reason technicians get no invoices: negotiated prices are commercial data, not technical data. One rule, here;
documents.py and the price action read it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from assistant.commerce import validation
from assistant.commerce.domain import FAMILIES, ProductInfo
from assistant.commerce.repository import CommerceRepository, get_repository
from assistant.commerce.validation import Identity
from assistant.errors import InvalidInput, NotFound
from assistant.sanitize import csv_cell

PRICE_ROLES = frozenset({"buyer", "approver"})
ACCOUNT_SUBJECT = "pricelist:account"  # a signed link to the account's own articles (no family, no list)
MAX_ACCOUNT_ARTICLES = 20_000


def sees_account_prices(identity: Identity) -> bool:
    """True for a logged-in buyer or approver of an account; technicians and visitors see list prices."""
    return not identity.is_anonymous and bool(identity.customer_id) and bool(identity.roles & PRICE_ROLES)


@dataclass(frozen=True)
class PriceRow:
    sku: str
    name: str
    price_eur: Decimal | None  # None: price on request (anonymous visitors, no public price)
    price_unit: str
    list_price_eur: Decimal
    is_customer_price: bool
    min_order_qty: int
    lead_time_days: int
    stock_qty: int
    status: str
    successor_sku: str | None

    @property
    def on_request(self) -> bool:
        return self.price_eur is None


class PriceService:
    """One place for the rule: customer price, else list price; anonymous sees list or on request."""

    def __init__(self, repo: CommerceRepository | None = None, *, show_list_prices_to_anonymous: bool = True):
        self.repo = repo or get_repository()
        self.show_list_prices_to_anonymous = show_list_prices_to_anonymous

    def unit_prices(self, identity: Identity, products: Iterable[ProductInfo]) -> dict[str, Decimal | None]:
        products = list(products)
        if not sees_account_prices(identity):
            return {
                p.sku: (p.list_price_eur if self.show_list_prices_to_anonymous else None) for p in products
            }
        special = self.repo.customer_prices(identity.customer_id, [p.sku for p in products])
        return {p.sku: special.get(p.sku, p.list_price_eur) for p in products}

    def _rows(self, identity: Identity, products: list[ProductInfo]) -> list[PriceRow]:
        prices = self.unit_prices(identity, products)
        special = (
            set(self.repo.customer_prices(identity.customer_id or "", [p.sku for p in products]))
            if sees_account_prices(identity) else set()
        )
        lang = identity.locale
        return [
            PriceRow(
                sku=p.sku,
                name=p.name(lang),
                price_eur=prices[p.sku],
                price_unit=p.price_unit,
                list_price_eur=p.list_price_eur,
                is_customer_price=p.sku in special,
                min_order_qty=p.min_order_qty,
                lead_time_days=p.lead_time_days,
                stock_qty=p.stock_qty,
                status=p.status,
                successor_sku=p.successor_sku,
            )
            for p in products
        ]

    def price(self, identity: Identity, sku: str) -> PriceRow:
        clean = validation.sku(sku)
        product = self.repo.get_products([clean]).get(clean)
        if product is None:
            raise NotFound("unknown sku")
        return self._rows(identity, [product])[0]

    def price_list(
        self, identity: Identity, *, family: str | None = None, skus: Iterable[str] = ()
    ) -> list[PriceRow]:
        """Rows for a product family or a list of article numbers (unknown skus are left out)."""
        if family is not None:
            if family not in FAMILIES:
                raise InvalidInput("unknown product family")
            products = self.repo.products_by_family(family)
        else:
            wanted = [validation.sku(s) for s in skus]
            if not wanted:
                raise InvalidInput("no articles given")
            found = self.repo.get_products(wanted)
            products = [found[s] for s in dict.fromkeys(wanted) if s in found]
        return self._rows(identity, products)

    def account_price_list(self, identity: Identity) -> list[PriceRow]:
        """The account's articles (those with a negotiated price), for the BMEcat price list."""
        if not sees_account_prices(identity) or not identity.customer_id:
            raise InvalidInput("no account prices for this identity")
        skus = self.repo.customer_price_skus(identity.customer_id)[:MAX_ACCOUNT_ARTICLES]
        found = self.repo.get_products(skus)
        return self._rows(identity, [found[s] for s in skus if s in found])

    @staticmethod
    def to_csv(rows: Iterable[PriceRow], lang: str = "de") -> str:
        """Semicolon CSV with decimal comma for German Excel, comma CSV for English.

        Every cell goes through ``csv_cell``: a catalogue name starting with ``=`` or ``@`` is shown, not run.
        """
        de = lang != "en"
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";" if de else ",")
        writer.writerow(
            [
                "Artikelnummer",
                "Bezeichnung",
                "Preis EUR",
                "Einheit",
                "Mindestmenge",
                "Lieferzeit Tage",
                "Status",
            ]
            if de
            else ["SKU", "Name", "Price EUR", "Unit", "Min. qty", "Lead time days", "Status"]
        )
        for r in rows:
            if r.price_eur is None:
                price = "auf Anfrage" if de else "on request"
            else:
                price = f"{r.price_eur:.2f}"
                price = price.replace(".", ",") if de else price
            writer.writerow([csv_cell(cell) for cell in
                             (r.sku, r.name, price, r.price_unit, r.min_order_qty, r.lead_time_days, r.status)])
        return out.getvalue()


def price_list_subject_id(family: str | None, skus: Iterable[str]) -> str:
    """What a signed price-list link is for: a family, a list of articles, or (neither) the account's articles."""
    skus = list(skus)
    if family is None and not skus:
        return ACCOUNT_SUBJECT
    if family is not None:
        return f"pricelist:family:{family}"
    return "pricelist:skus:" + "+".join(sorted({s.upper() for s in skus}))


def price_list_subject(subject_id: str) -> tuple[str | None, list[str]]:
    if subject_id == ACCOUNT_SUBJECT:
        return None, []
    kind, _, rest = subject_id.removeprefix("pricelist:").partition(":")
    if not subject_id.startswith("pricelist:") or not rest:
        raise InvalidInput("not a price list link")
    if kind == "family":
        if rest not in FAMILIES:
            raise InvalidInput("unknown product family")
        return rest, []
    if kind == "skus":
        skus = rest.split("+")
        if len(skus) > 50:
            raise InvalidInput("too many articles")
        return None, [validation.sku(s) for s in skus]  # NotFound for anything that is not an article number
    raise InvalidInput("not a price list link")
