"""Today's catalogue and an account's prices as BMEcat 2005, for a buyer's procurement system.

The features written are the catalogue's own columns under the names of the mapping file's first entries
(``knowledge/bmecat-mapping.yml``), so the export imports back into the same products: the round trip is tested.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from assistant.catalog.bmecat.writer import ExportHeader, ExportPrice, ExportProduct, write_bmecat
from assistant.retrieval.models import Product

SUPPLIER_NAME = "Example Industrietechnik"
# Column -> (feature name as written, unit); the names are the first of each column in bmecat-mapping.yml.
FEATURES: tuple[tuple[str, str, str], ...] = (
    ("family", "Produktfamilie", ""), ("series", "Serie", ""), ("material", "Werkstoff", ""),
    ("seal_material", "Dichtungswerkstoff", ""), ("connection", "Anschluss", ""), ("size", "Nenngröße", ""),
    ("temp_min_c", "Temperatur min.", "°C"), ("temp_max_c", "Temperatur max.", "°C"),
    ("pressure_max_bar", "Betriebsdruck max.", "bar"), ("certifications", "Zertifizierungen", ""),
    ("media", "Medien", ""), ("industries", "Branchen", ""),
)  # fmt: skip


def _value(product: Product, column: str) -> str:
    value = getattr(product, column)
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def features_of(product: Product) -> tuple[tuple[str, str, str], ...]:
    return tuple((name, _value(product, column), unit) for column, name, unit in FEATURES
                 if _value(product, column))


def export_product(product: Product, price: Decimal, *, price_type: str, valid_from: date,
                   price_unit: str | None = None, min_order_qty: int | None = None,
                   lead_time_days: int | None = None) -> ExportProduct:
    """One article with one price (a customer's or the list price), valid from ``valid_from``."""
    return ExportProduct(
        sku=product.sku, names={"de": product.name_de, "en": product.name_en},
        price_unit=price_unit or product.price_unit,
        prices=(ExportPrice(amount=price, price_type=price_type, valid_from=valid_from),),
        min_order_qty=min_order_qty or product.min_order_qty,
        delivery_days=product.lead_time_days if lead_time_days is None else lead_time_days,
        features=features_of(product), feature_group=product.family,
        successor=product.successor_sku if product.status == "discontinued" else "",
        manufacturer=SUPPLIER_NAME,
    )


def catalogue_bmecat(products: Iterable[ExportProduct], *, catalog_id: str, name: str, buyer: str,
                     generated: datetime) -> bytes:
    out = io.BytesIO()
    header = ExportHeader(catalog_id=catalog_id, catalog_version="1.0", catalog_name=name,
                          supplier_name=SUPPLIER_NAME, buyer_name=buyer, generated=generated)
    write_bmecat(out, header, products)
    return out.getvalue()


class PriceLine(Protocol):
    """What the export reads of ``assistant.commerce.prices.PriceRow``."""

    @property
    def sku(self) -> str: ...
    @property
    def price_eur(self) -> Decimal | None: ...
    @property
    def is_customer_price(self) -> bool: ...
    @property
    def price_unit(self) -> str: ...
    @property
    def min_order_qty(self) -> int: ...
    @property
    def lead_time_days(self) -> int: ...


def price_list_bmecat(rows: Iterable[PriceLine], products: Mapping[str, Product], *, customer_id: str, buyer: str,
                      today: date, generated: datetime) -> bytes:
    """The account's price rows (``assistant.commerce.prices.PriceRow``) as a T_NEW_CATALOG.

    Each price is the one the account pays today: ``net_customer`` where it is negotiated, else ``net_list``,
    valid from today (the day the prices were read). Articles the knowledge catalogue does not know are left out.
    """
    exported = []
    for row in rows:
        product = products.get(row.sku)
        price = row.price_eur
        if product is None or price is None:
            continue
        exported.append(export_product(
            product, Decimal(price), price_type="net_customer" if row.is_customer_price else "net_list",
            valid_from=today, price_unit=row.price_unit, min_order_qty=row.min_order_qty,
            lead_time_days=row.lead_time_days))
    return catalogue_bmecat(exported, catalog_id=f"{customer_id}-{today.isoformat()}",
                            name=f"Preisliste {buyer}", buyer=buyer, generated=generated)
