"""Load the product catalogue (knowledge/products.csv, the fixed column contract) into product rows.

Rows are validated against the contract so that a broken edit by the content team is reported with its
line number instead of turning into odd prices in a buyer's draft.
"""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from assistant.commerce.domain import FAMILIES
from assistant.commerce.validation import SKU_RE

COLUMNS = (
    "sku", "name_de", "name_en", "family", "series", "material", "seal_material", "connection", "size",
    "temp_min_c", "temp_max_c", "pressure_max_bar", "certifications", "media", "industries", "status",
    "successor_sku", "list_price_eur", "price_unit", "min_order_qty", "lead_time_days", "stock_qty",
    "datasheet_id",
)  # fmt: skip
PRICE_UNITS = {"piece", "m", "pack10", "pack100"}


class CatalogError(ValueError):
    """The catalogue file breaks the schema contract (message names file and line)."""


def _num(value: str) -> float | None:
    value = value.strip()
    return float(value) if value else None


def load_products(path: Path) -> list[dict[str, Any]]:
    """Rows as dicts ready for ``insert(Product)``; raises CatalogError on any contract violation."""
    if not path.is_file():
        raise CatalogError(f"{path}: catalogue file not found")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise CatalogError(f"{path}: missing columns {missing}")
        for lineno, raw in enumerate(reader, start=2):
            where = f"{path.name}:{lineno}"
            r = {k: (raw.get(k) or "").strip() for k in COLUMNS}
            if not SKU_RE.fullmatch(r["sku"]):
                raise CatalogError(f"{where}: bad sku {r['sku']!r}")
            if r["sku"] in seen:
                raise CatalogError(f"{where}: duplicate sku {r['sku']}")
            seen.add(r["sku"])
            if r["family"] not in FAMILIES:
                raise CatalogError(f"{where}: unknown family {r['family']!r}")
            if r["status"] not in ("active", "discontinued"):
                raise CatalogError(f"{where}: bad status {r['status']!r}")
            unit = {"Stück": "piece", "pack of 10": "pack10", "pack of 100": "pack100"}.get(
                r["price_unit"], r["price_unit"]
            )
            if unit not in PRICE_UNITS:
                raise CatalogError(f"{where}: bad price_unit {r['price_unit']!r}")
            try:
                price = Decimal(r["list_price_eur"])
                row = {
                    **{k: r[k] for k in COLUMNS if k not in ("temp_min_c", "temp_max_c", "pressure_max_bar")},
                    "temp_min_c": _num(r["temp_min_c"]),
                    "temp_max_c": _num(r["temp_max_c"]),
                    "pressure_max_bar": _num(r["pressure_max_bar"]),
                    "list_price_eur": price,
                    "price_unit": unit,
                    "min_order_qty": int(r["min_order_qty"] or 1),
                    "lead_time_days": int(r["lead_time_days"] or 0),
                    "stock_qty": int(r["stock_qty"] or 0),
                    "successor_sku": r["successor_sku"] or None,
                }
            except (InvalidOperation, ValueError) as exc:
                raise CatalogError(f"{where}: bad number ({exc.__class__.__name__})") from exc
            if price <= 0:
                raise CatalogError(f"{where}: price must be positive")
            rows.append(row)
    skus = {r["sku"] for r in rows}
    for r in rows:
        if r["status"] == "discontinued" and r["successor_sku"] and r["successor_sku"] not in skus:
            raise CatalogError(f"{path.name}: successor {r['successor_sku']} of {r['sku']} is not in the file")
    if not rows:
        raise CatalogError(f"{path}: no products")
    return rows


def default_catalogue(knowledge_dir: Path) -> Path:
    return knowledge_dir / "products.csv"
