"""BMEcat 2005 ``T_NEW_CATALOG`` writer: what a buyer's procurement system imports.

Written product by product to a stream, in the element order of the BMEcat 2005 schema, so that an export of a
large account never holds the whole document in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO
from xml.etree.ElementTree import Element, SubElement, tostring

NAMESPACE = "http://www.bmecat.org/bmecat/2005"
LANG3 = {"de": "deu", "en": "eng"}
# The catalogue's price units as BMEcat order units (UN/ECE Rec. 20): unit, content unit, content per unit.
UNITS: dict[str, tuple[str, str, int]] = {
    "piece": ("C62", "C62", 1), "m": ("MTR", "MTR", 1), "pack10": ("PK", "C62", 10), "pack100": ("PK", "C62", 100),
}


@dataclass(frozen=True)
class ExportHeader:
    catalog_id: str
    catalog_version: str
    catalog_name: str
    supplier_name: str
    buyer_name: str
    generated: datetime
    languages: tuple[str, ...] = ("de", "en")
    currency: str = "EUR"
    territory: str = "DE"


@dataclass(frozen=True)
class ExportPrice:
    amount: Decimal
    price_type: str = "net_customer"
    lower_bound: Decimal = Decimal(1)
    valid_from: date | None = None
    valid_to: date | None = None
    currency: str = "EUR"
    territory: str = "DE"


@dataclass(frozen=True)
class ExportProduct:
    sku: str
    names: dict[str, str]  # per language ("de", "en")
    price_unit: str  # piece | m | pack10 | pack100
    prices: tuple[ExportPrice, ...]
    min_order_qty: int = 1
    delivery_days: int | None = None
    features: tuple[tuple[str, str, str], ...] = ()  # (name, value, unit)
    feature_system: str = "B2B-ASSISTANT"  # the catalogue's own columns, not a public classification
    feature_group: str = ""
    successor: str = ""
    manufacturer: str = ""
    documents: tuple[tuple[str, str, str], ...] = field(default=())  # (url, mime type, purpose)


def _el(parent: Element, name: str, text: str | None = None, **attrs: str) -> Element:
    el = SubElement(parent, name, attrs)
    if text is not None:
        el.text = text
    return el


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _product(p: ExportProduct, header: ExportHeader) -> Element:
    product = Element("PRODUCT", {"mode": "new"})
    _el(product, "SUPPLIER_PID", p.sku)
    details = _el(product, "PRODUCT_DETAILS")
    for lang in header.languages:
        if p.names.get(lang):
            _el(details, "DESCRIPTION_SHORT", p.names[lang][:150], lang=LANG3.get(lang, lang))
    if p.manufacturer:
        _el(details, "MANUFACTURER_NAME", p.manufacturer)
    if p.delivery_days is not None:
        _el(details, "DELIVERY_TIME", str(p.delivery_days))
    if p.features:
        features = _el(product, "PRODUCT_FEATURES")
        _el(features, "REFERENCE_FEATURE_SYSTEM_NAME", p.feature_system)
        _el(features, "REFERENCE_FEATURE_GROUP_ID", p.feature_group or "-")
        for name, value, unit in p.features:
            feature = _el(features, "FEATURE")
            _el(feature, "FNAME", name)
            _el(feature, "FVALUE", value)
            if unit:
                _el(feature, "FUNIT", unit)
    order_unit, content_unit, per_unit = UNITS[p.price_unit]
    order = _el(product, "PRODUCT_ORDER_DETAILS")
    _el(order, "ORDER_UNIT", order_unit)
    _el(order, "CONTENT_UNIT", content_unit)
    _el(order, "NO_CU_PER_OU", str(per_unit))
    _el(order, "PRICE_QUANTITY", "1")
    _el(order, "QUANTITY_MIN", str(p.min_order_qty))
    _el(order, "QUANTITY_INTERVAL", "1")
    by_validity: dict[tuple[date | None, date | None], list[ExportPrice]] = {}
    for price in p.prices:
        by_validity.setdefault((price.valid_from, price.valid_to), []).append(price)
    for (start, end), prices in by_validity.items():
        details = _el(product, "PRODUCT_PRICE_DETAILS")
        for kind, day in (("valid_start_date", start), ("valid_end_date", end)):
            if day is not None:
                _el(_el(details, "DATETIME", type=kind), "DATE", day.isoformat())
        for price in prices:
            pe = _el(details, "PRODUCT_PRICE", price_type=price.price_type)
            _el(pe, "PRICE_AMOUNT", _amount(price.amount))
            _el(pe, "PRICE_CURRENCY", price.currency)
            _el(pe, "LOWER_BOUND", f"{price.lower_bound:g}")
            _el(pe, "TERRITORY", price.territory)
    if p.documents:
        mime_info = _el(product, "MIME_INFO")
        for url, mime_type, purpose in p.documents:
            mime = _el(mime_info, "MIME")
            _el(mime, "MIME_TYPE", mime_type)
            _el(mime, "MIME_SOURCE", url)
            _el(mime, "MIME_PURPOSE", purpose)
    if p.successor:
        _el(_el(product, "PRODUCT_REFERENCE", type="followup"), "PROD_ID_TO", p.successor)
    return product


def _header(header: ExportHeader) -> Element:
    el = Element("HEADER")
    _el(el, "GENERATOR_INFO", "B2B buying assistant")
    catalog = _el(el, "CATALOG")
    for i, lang in enumerate(header.languages):
        _el(catalog, "LANGUAGE", LANG3.get(lang, lang), **({"default": "true"} if i == 0 else {}))
    _el(catalog, "CATALOG_ID", header.catalog_id)
    _el(catalog, "CATALOG_VERSION", header.catalog_version)
    _el(catalog, "CATALOG_NAME", header.catalog_name, lang=LANG3.get(header.languages[0], header.languages[0]))
    generated = _el(catalog, "DATETIME", type="generation_date")
    _el(generated, "DATE", header.generated.date().isoformat())
    _el(generated, "TIME", header.generated.strftime("%H:%M:%S"))
    _el(catalog, "TERRITORY", header.territory)
    _el(catalog, "CURRENCY", header.currency)
    _el(_el(el, "BUYER"), "BUYER_NAME", header.buyer_name)
    _el(_el(el, "SUPPLIER"), "SUPPLIER_NAME", header.supplier_name)
    return el


def write_bmecat(out: IO[bytes], header: ExportHeader, products: Iterable[ExportProduct]) -> int:
    """Write the whole document; returns the number of products written."""
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<BMECAT version="2005" xmlns="{NAMESPACE}">\n'.encode())
    out.write(tostring(_header(header), encoding="utf-8", xml_declaration=False) + b"\n")
    out.write(b"<T_NEW_CATALOG>\n")
    count = 0
    for product in products:
        out.write(tostring(_product(product, header), encoding="utf-8", xml_declaration=False) + b"\n")
        count += 1
    out.write(b"</T_NEW_CATALOG>\n</BMECAT>\n")
    return count
