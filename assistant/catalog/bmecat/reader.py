"""Streamed, hardened reading of BMEcat 1.2 and 2005 files.

Why streamed: a supplier's catalogue has tens of thousands of products; the reader keeps one product element
in memory at a time (``iterparse``, each product cleared after it is read), so memory does not grow with the file.

Why hardened: a catalogue is an upload from outside. An internal DTD subset (where "billion laughs" entity
expansion and external entities are declared) is refused, and so is a DOCTYPE that points anywhere but at a
plain BMEcat DTD file name; that file is never read. defusedxml refuses entity declarations and external
references on top, should the first check ever be bypassed.

BMEcat 1.2 (``ARTICLE``, ``SUPPLIER_AID``, ``ARTICLE_*``) is read into the same values as 2005 (``PRODUCT``,
``SUPPLIER_PID``, ``PRODUCT_*``) by renaming the 1.2 elements once; features are read in both styles, the classic
``FNAME``/``FVALUE``/``FUNIT`` and the 2005 "onto" style ``FTEMPLATE``/``FT_ID``/``FT_NAME`` with ``FVALUE`` or
``VALUE_IDREF`` (ECLASS IRDIs, with ``FVALUE_DETAILS`` as the readable value).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, iterparse
from defusedxml.ElementTree import _TreeBuilder as TreeBuilder  # the builder defusedxml itself uses

TRANSACTIONS = ("T_NEW_CATALOG", "T_UPDATE_PRODUCTS", "T_UPDATE_PRICES")
# 1.2 element names and their 2005 equivalents: read once, then one code path for both versions.
_V12 = {
    "ARTICLE": "PRODUCT", "SUPPLIER_AID": "SUPPLIER_PID", "ARTICLE_DETAILS": "PRODUCT_DETAILS",
    "ARTICLE_FEATURES": "PRODUCT_FEATURES", "ARTICLE_ORDER_DETAILS": "PRODUCT_ORDER_DETAILS",
    "ARTICLE_PRICE_DETAILS": "PRODUCT_PRICE_DETAILS", "ARTICLE_PRICE": "PRODUCT_PRICE",
    "ARTICLE_REFERENCE": "PRODUCT_REFERENCE", "ART_ID_TO": "PROD_ID_TO", "MANUFACTURER_AID": "MANUFACTURER_PID",
    "ARTICLE_STATUS": "PRODUCT_STATUS",
}  # fmt: skip
_LANGS = {"deu": "de", "ger": "de", "de": "de", "eng": "en", "en": "en"}
_PLAIN_DTD = re.compile(r"^[A-Za-z0-9_.-]{1,100}\.dtd$")  # a bare file name: nothing to fetch
_SPACE = re.compile(r"\s+")


class BmecatError(ValueError):
    """The file cannot be imported at all; ``code`` names the message people read (see ``importer.TEXTS``)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Header:
    version: str  # "1.2" or "2005"
    transaction: str  # T_NEW_CATALOG, T_UPDATE_PRODUCTS, T_UPDATE_PRICES
    catalog_id: str
    catalog_version: str
    catalog_name: str
    languages: tuple[str, ...]  # default first ("de", "en" or a three-letter code)
    currency: str
    territories: tuple[str, ...]
    supplier_name: str
    prev_version: str = ""  # T_UPDATE_*: the catalogue version the update applies to


@dataclass(frozen=True)
class Feature:
    key: str  # ETIM code (EF…), ECLASS IRDI (0173-1#02-…) or the name as the supplier writes it
    names: dict[str, str]  # per language
    values: tuple[str, ...]  # in the catalogue's default language where given per language
    value_ids: tuple[str, ...]  # VALUE_IDREF (ECLASS value IRDIs)
    unit: str
    system: str  # REFERENCE_FEATURE_SYSTEM_NAME, e.g. ETIM-9.0, ECLASS-12.0
    group: str  # REFERENCE_FEATURE_GROUP_ID (ETIM class, ECLASS class)

    def name(self, lang: str) -> str:
        return self.names.get(lang) or next(iter(self.names.values()), "") or self.key


@dataclass(frozen=True)
class Price:
    price_type: str  # net_list, gros_list, net_customer, nrp, …
    amount: Decimal
    currency: str
    lower_bound: Decimal  # tier: from this quantity on
    territories: tuple[str, ...]
    valid_from: date | None
    valid_to: date | None
    tax: Decimal | None = None
    factor: Decimal = Decimal(1)


@dataclass(frozen=True)
class Document:
    source: str
    mime_type: str
    purpose: str  # data_sheet, normal, thumbnail, detail, safety_data_sheet, others, …
    description: str


@dataclass
class Item:
    """One PRODUCT (2005) or ARTICLE (1.2) as read; ``problems`` make the importer skip it."""

    path: str  # e.g. /BMECAT/T_NEW_CATALOG/PRODUCT[17]
    sku: str
    mode: str = "new"  # new | update | delete
    present: set[str] = field(default_factory=set)  # details, features, order, prices, documents, references
    names: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    gtin: str = ""
    manufacturer: str = ""
    manufacturer_pid: str = ""
    manufacturer_type: str = ""
    statuses: list[str] = field(default_factory=list)
    delivery_days: Decimal | None = None
    order_unit: str = ""
    content_unit: str = ""
    units_per_order_unit: Decimal | None = None
    price_quantity: Decimal = Decimal(1)
    quantity_min: Decimal | None = None
    quantity_interval: Decimal | None = None
    prices: list[Price] = field(default_factory=list)
    features: list[Feature] = field(default_factory=list)
    groups: list[tuple[str, str]] = field(default_factory=list)  # (system, group id)
    references: list[tuple[str, str]] = field(default_factory=list)  # (type, article number)
    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Parser(DefusedXMLParser):
    """defusedxml's parser, plus: no internal DTD subset, and a DOCTYPE may only name a plain .dtd file."""

    def __init__(self) -> None:
        super().__init__(target=TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True)
        self.parser.StartDoctypeDeclHandler = self._check_doctype

    def _check_doctype(self, name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
        if has_internal_subset:
            raise BmecatError("hostile_dtd_subset")
        if sysid and not _PLAIN_DTD.match(sysid):
            raise BmecatError("hostile_dtd_fetch", dtd=sysid[:200])


def _local(tag: str, v12: bool) -> str:
    name = tag.rsplit("}", 1)[-1]
    return _V12.get(name, name) if v12 else name


def _text(el: Element | None) -> str:
    return "" if el is None else _SPACE.sub(" ", "".join(el.itertext())).strip()


def _lang(el: Element, default: str) -> str:
    raw = (el.get("lang") or "").strip().lower()
    return _LANGS.get(raw, raw) if raw else default


def _decimal(value: str, what: str, problems: list[str]) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        problems.append(f"{what} is not a number: {value[:40]!r}")
        return None
    if not number.is_finite():
        problems.append(f"{what} is not a number: {value[:40]!r}")
        return None
    return number


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


class _Reader:
    def __init__(self) -> None:
        self.version = ""
        self.v12 = False
        self.transaction = ""
        self.default_lang = "de"
        self.currency = "EUR"
        self.territories: tuple[str, ...] = ()
        self.counts: dict[str, int] = {}

    # ---------------------------------------------------------------- children by (renamed) local name
    def kids(self, el: Element, name: str) -> list[Element]:
        return [c for c in el if _local(c.tag, self.v12) == name]

    def kid(self, el: Element, name: str) -> Element | None:
        return next((c for c in el if _local(c.tag, self.v12) == name), None)

    def per_lang(self, elements: list[Element]) -> dict[str, str]:
        out: dict[str, str] = {}
        for el in elements:
            text = _text(el)
            if text:
                out.setdefault(_lang(el, self.default_lang), text)
        return out

    # ---------------------------------------------------------------- header
    def header(self, el: Element) -> Header:
        catalog = self.kid(el, "CATALOG")
        if catalog is None:
            raise BmecatError("no_catalog_header")
        langs = self.kids(catalog, "LANGUAGE")
        ordered = sorted(langs, key=lambda e: (e.get("default") or "").lower() != "true")
        languages = tuple(dict.fromkeys(_LANGS.get(_text(e).lower(), _text(e).lower()) for e in ordered if _text(e)))
        self.default_lang = languages[0] if languages else "de"
        self.currency = _text(self.kid(catalog, "CURRENCY")) or "EUR"
        self.territories = tuple(_text(t) for t in self.kids(catalog, "TERRITORY") if _text(t))
        catalog_id = _text(self.kid(catalog, "CATALOG_ID"))
        if not catalog_id:
            raise BmecatError("no_catalog_id")
        supplier = self.kid(el, "SUPPLIER")
        names = self.per_lang(self.kids(catalog, "CATALOG_NAME"))
        return Header(
            version=self.version, transaction=self.transaction, catalog_id=catalog_id[:100],
            catalog_version=_text(self.kid(catalog, "CATALOG_VERSION")),
            catalog_name=names.get(self.default_lang) or next(iter(names.values()), ""),
            languages=languages or ("de",), currency=self.currency, territories=self.territories,
            supplier_name=_text(self.kid(supplier, "SUPPLIER_NAME")) if supplier is not None else "",
        )

    # ---------------------------------------------------------------- one product
    def item(self, el: Element, path: str) -> Item:
        item = Item(path=path, sku=_text(self.kid(el, "SUPPLIER_PID")), mode=(el.get("mode") or "new").lower())
        if not item.sku:
            item.problems.append("SUPPLIER_PID is missing" if not self.v12 else "SUPPLIER_AID is missing")
        for child in el:
            name = _local(child.tag, self.v12)
            if name == "PRODUCT_DETAILS":
                self.details(child, item)
            elif name == "PRODUCT_FEATURES":
                self.features(child, item)
            elif name == "PRODUCT_ORDER_DETAILS":
                self.order(child, item)
            elif name == "PRODUCT_PRICE_DETAILS":
                self.prices(child, item)
            elif name == "MIME_INFO":
                self.documents(child, item)
            elif name == "PRODUCT_REFERENCE":
                target = _text(self.kid(child, "PROD_ID_TO"))
                if target:
                    item.present.add("references")
                    item.references.append(((child.get("type") or "others").lower(), target))
        return item

    def details(self, el: Element, item: Item) -> None:
        item.present.add("details")
        item.names = self.per_lang(self.kids(el, "DESCRIPTION_SHORT"))
        item.descriptions = self.per_lang(self.kids(el, "DESCRIPTION_LONG"))
        for kw in self.kids(el, "KEYWORD"):
            if _text(kw):
                item.keywords.setdefault(_lang(kw, self.default_lang), []).append(_text(kw))
        gtin = [_text(e) for e in self.kids(el, "INTERNATIONAL_PID")
                if (e.get("type") or "gtin").lower() in ("gtin", "ean")] + [_text(e) for e in self.kids(el, "EAN")]
        item.gtin = next((g for g in gtin if g), "")
        item.manufacturer = _text(self.kid(el, "MANUFACTURER_NAME"))
        item.manufacturer_pid = _text(self.kid(el, "MANUFACTURER_PID"))
        item.manufacturer_type = _text(self.kid(el, "MANUFACTURER_TYPE_DESCR"))
        item.statuses = [(s.get("type") or _text(s)).lower() for s in self.kids(el, "PRODUCT_STATUS")]
        days = _text(self.kid(el, "DELIVERY_TIME"))
        item.delivery_days = _decimal(days, "DELIVERY_TIME", item.problems) if days else None

    def features(self, el: Element, item: Item) -> None:
        item.present.add("features")
        system = _text(self.kid(el, "REFERENCE_FEATURE_SYSTEM_NAME"))
        group = _text(self.kid(el, "REFERENCE_FEATURE_GROUP_ID")) or _text(self.kid(el, "REFERENCE_FEATURE_GROUP_NAME"))
        if group:
            item.groups.append((system, group))
        for f in el.iter():
            if _local(f.tag, self.v12) != "FEATURE":
                continue
            template = self.kid(f, "FTEMPLATE")
            names = self.per_lang(self.kids(f, "FNAME"))
            unit = _text(self.kid(f, "FUNIT"))
            key = _text(self.kid(f, "FT_IDREF"))
            if template is not None:
                key = _text(self.kid(template, "FT_ID")) or key
                names = self.per_lang(self.kids(template, "FT_NAME")) or names
                unit = unit or _text(self.kid(template, "FT_UNIT"))
            key = key or names.get(self.default_lang) or next(iter(names.values()), "")
            if not key:
                continue
            raw = [(v, _lang(v, "")) for v in self.kids(f, "FVALUE") if _text(v)]
            mine = [_text(v) for v, lang in raw if lang in ("", self.default_lang)]
            values = mine or [_text(v) for v, _ in raw]
            ids = tuple(_text(v) for v in self.kids(f, "VALUE_IDREF") if _text(v))
            if ids and not values:  # the readable value of an IRDI travels in FVALUE_DETAILS
                details = self.per_lang(self.kids(f, "FVALUE_DETAILS"))
                values = [details.get(self.default_lang) or next(iter(details.values()), "")] if details else []
            item.features.append(Feature(key=key[:200], names=names, values=tuple(v for v in values if v),
                                         value_ids=ids, unit=unit, system=system, group=group))

    def order(self, el: Element, item: Item) -> None:
        item.present.add("order")
        item.order_unit = _text(self.kid(el, "ORDER_UNIT"))
        item.content_unit = _text(self.kid(el, "CONTENT_UNIT"))
        p = item.problems
        item.units_per_order_unit = _decimal(_text(self.kid(el, "NO_CU_PER_OU")), "NO_CU_PER_OU", p)
        item.price_quantity = _decimal(_text(self.kid(el, "PRICE_QUANTITY")), "PRICE_QUANTITY", p) or Decimal(1)
        item.quantity_min = _decimal(_text(self.kid(el, "QUANTITY_MIN")), "QUANTITY_MIN", p)
        item.quantity_interval = _decimal(_text(self.kid(el, "QUANTITY_INTERVAL")), "QUANTITY_INTERVAL", p)

    def prices(self, el: Element, item: Item) -> None:
        item.present.add("prices")
        valid_from = valid_to = None
        for dt in self.kids(el, "DATETIME"):
            day = _date(_text(self.kid(dt, "DATE")))
            if dt.get("type") == "valid_start_date":
                valid_from = day
            elif dt.get("type") == "valid_end_date":
                valid_to = day
        for pe in self.kids(el, "PRODUCT_PRICE"):
            amount = _decimal(_text(self.kid(pe, "PRICE_AMOUNT")), "PRICE_AMOUNT", item.problems)
            if amount is None:
                if not _text(self.kid(pe, "PRICE_AMOUNT")):
                    item.problems.append("PRICE_AMOUNT is missing")
                continue
            lower = _decimal(_text(self.kid(pe, "LOWER_BOUND")), "LOWER_BOUND", item.problems) or Decimal(1)
            tax = _decimal(_text(self.kid(pe, "TAX")), "TAX", item.problems)
            factor = _decimal(_text(self.kid(pe, "PRICE_FACTOR")), "PRICE_FACTOR", item.problems) or Decimal(1)
            item.prices.append(Price(
                price_type=(pe.get("price_type") or "net_list").lower(), amount=amount,
                currency=_text(self.kid(pe, "PRICE_CURRENCY")) or self.currency, lower_bound=lower,
                territories=tuple(_text(t) for t in self.kids(pe, "TERRITORY") if _text(t)) or self.territories,
                valid_from=valid_from, valid_to=valid_to, tax=tax, factor=factor,
            ))

    def documents(self, el: Element, item: Item) -> None:
        item.present.add("documents")
        for mime in self.kids(el, "MIME"):
            source = _text(self.kid(mime, "MIME_SOURCE"))
            if source:
                item.documents.append(Document(
                    source=source[:500], mime_type=_text(self.kid(mime, "MIME_TYPE")),
                    purpose=_text(self.kid(mime, "MIME_PURPOSE")) or "others",
                    description=_text(self.kid(mime, "MIME_DESCR")) or _text(self.kid(mime, "MIME_ALT")),
                ))


def _drop(parent: Element | None, el: Element) -> None:
    """Forget a product once read: memory stays at one product, however long the file."""
    el.clear()
    if parent is not None:
        parent.remove(el)


def read_bmecat(source: str | Path | IO[bytes]) -> Iterator[Header | Item]:
    """The header first, then every product of the transaction, one at a time.

    Raises BmecatError for a file that cannot be read at all (not XML, hostile, not BMEcat, no transaction).
    A product with problems is yielded with ``problems`` set, so the report can name it and go on.
    """
    reader = _Reader()
    stack: list[str] = []
    header_el: Element | None = None
    header: Header | None = None
    root: Element | None = None
    transaction: Element | None = None
    try:
        for event, el in iterparse(source, events=("start", "end"), parser=_Parser()):
            if event == "start":
                raw = el.tag.rsplit("}", 1)[-1]
                if root is None:
                    root = el
                    if raw != "BMECAT":
                        raise BmecatError("not_bmecat", root=raw[:50])
                    reader.version = (el.get("version") or "").strip()
                    if reader.version.startswith("1."):
                        reader.v12 = True
                    elif not reader.version.startswith("2005"):
                        raise BmecatError("unsupported_version", version=reader.version[:20] or "?")
                name = _local(el.tag, reader.v12)
                if len(stack) == 1 and name in TRANSACTIONS:
                    reader.transaction = name
                    transaction = el
                elif len(stack) == 1 and name.startswith("T_"):
                    raise BmecatError("unsupported_transaction", transaction=name[:50])
                stack.append(name)
                continue
            name = stack.pop()
            if len(stack) == 1 and name == "HEADER":
                header_el = el
            elif len(stack) == 2 and name == "PRODUCT" and stack[1] in TRANSACTIONS:
                if header is None:
                    if header_el is None:
                        raise BmecatError("no_catalog_header")
                    header = reader.header(header_el)
                    yield header
                n = reader.counts[name] = reader.counts.get(name, 0) + 1
                tag = "ARTICLE" if reader.v12 else "PRODUCT"
                yield reader.item(el, f"/BMECAT/{stack[1]}/{tag}[{n}]")
                _drop(transaction, el)
            elif len(stack) == 2 and stack[1] in TRANSACTIONS:
                _drop(transaction, el)  # catalogue group maps and the like: not read, not kept
    except BmecatError:
        raise
    except EntitiesForbidden as exc:
        raise BmecatError("hostile_entities") from exc
    except (ExternalReferenceForbidden, DTDForbidden) as exc:
        raise BmecatError("hostile_external") from exc
    except DefusedXmlException as exc:
        raise BmecatError("hostile_entities") from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise BmecatError("not_xml", line=line, column=column) from exc
    if root is None:
        raise BmecatError("not_xml", line=1, column=0)
    if not reader.transaction:
        raise BmecatError("no_transaction")
    if header is None:  # a transaction without products
        if header_el is None:
            raise BmecatError("no_catalog_header")
        yield reader.header(header_el)
