"""From a BMEcat product to a row of the catalogue (knowledge/README.md's columns), through the mapping file.

The mapping file (``knowledge/bmecat-mapping.yml``) is the content team's: which ETIM feature codes, ECLASS IRDIs
or feature names fill which column, which supplier words mean which certification or medium code, and which
classification means which product family. Units are converted here: °F and K to °C, psi, MPa, kPa and mbar to
bar, inch, cm and m to mm. Every feature no column takes is kept as a named value in the record.

A *record* is what the importer keeps per article (the catalogue's sidecar): the product as the supplier sent
it, sections by name, so that a T_UPDATE_PRICES replaces the prices and nothing else, and a changed mapping file
re-maps every article without the supplier sending it again.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from assistant.catalog.bmecat.reader import Item
from assistant.retrieval.models import CERTIFICATION_CODES, FAMILIES, INDUSTRIES, MEDIA

SECTIONS: dict[str, tuple[str, ...]] = {
    "details": ("names", "descriptions", "keywords", "gtin", "manufacturer", "manufacturer_pid", "manufacturer_type",
                "statuses", "delivery_days"),
    "features": ("features", "groups"),
    "order": ("order_unit", "content_unit", "units_per_order_unit", "price_quantity", "quantity_min",
              "quantity_interval"),
    "prices": ("prices",),
    "documents": ("documents",),
    "references": ("references",),
}  # fmt: skip
TEXT_COLUMNS = ("family", "series", "material", "seal_material", "connection", "size")
CODE_COLUMNS = {"certifications": CERTIFICATION_CODES, "media": MEDIA, "industries": INDUSTRIES}
NUMBER_COLUMNS = {"temp_min_c": "temperature", "temp_max_c": "temperature", "temp_range": "temperature",
                  "pressure_max_bar": "pressure"}
_NUMBER = re.compile(r"[-+−]?\d+(?:[.,]\d+)?")

# Units as suppliers write them (symbols, words, UN/ECE Rec. 20 codes) -> (kind, function to the catalogue's unit)
_UNITS: dict[str, tuple[str, Any]] = {}
for _names, _kind, _fn in (
    (("°c", "c", "cel", "degc", "grad c", "°", ""), "temperature", lambda v: v),
    (("°f", "f", "fah", "degf"), "temperature", lambda v: (v - 32) * 5 / 9),
    (("k", "kel", "kelvin"), "temperature", lambda v: v - 273.15),
    (("bar", "bar(g)", "barg"), "pressure", lambda v: v),
    (("psi", "ps", "psig", "lbf/in²", "lbf/in2"), "pressure", lambda v: v * 0.0689475729),
    (("mpa", "mpa(g)"), "pressure", lambda v: v * 10),
    (("kpa", "kpa(g)"), "pressure", lambda v: v / 100),
    (("mbar", "mbr"), "pressure", lambda v: v / 1000),
    (("pa", "pal"), "pressure", lambda v: v / 100_000),
    (("mm", "mmt"), "length", lambda v: v),
    (("in", "inch", "zoll", "inh", '"', "″"), "length", lambda v: v * 25.4),
    (("cm", "cmt"), "length", lambda v: v * 10),
    (("m", "mtr"), "length", lambda v: v * 1000),
):
    for _n in _names:
        _UNITS[(_kind, _n)] = (_kind, _fn)  # type: ignore[index]

ORDER_UNITS = {"c62": "piece", "pce": "piece", "pc": "piece", "pcs": "piece", "stk": "piece", "stück": "piece",
               "piece": "piece", "ea": "piece", "mtr": "m", "m": "m", "meter": "m", "metre": "m"}
PACK_UNITS = {"pk", "pa", "pack", "pkg", "pck", "set", "bx", "box", "pak", "karton", "ct"}


class MappingError(ValueError):
    """The mapping file is broken (message names the key)."""


def fold(text: str) -> str:
    """Feature names compare without case, accents and spacing: "Max. Betriebsdruck" == "max.betriebsdruck"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_]+", "", text)


@dataclass
class Mapping:
    columns: dict[str, tuple[str, str]]  # folded feature key/name -> (column, unit kind)
    values: dict[str, dict[str, str]]  # column -> folded supplier word or IRDI -> catalogue value
    families: dict[str, str]  # folded class id -> family
    territory: str = "DE"
    currency: str = "EUR"
    defaults: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Mapping:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise MappingError(f"{path.name}: cannot be read as YAML ({exc.__class__.__name__})") from exc
        return cls.of(data, path.name)

    @classmethod
    def of(cls, data: dict[str, Any], name: str = "mapping") -> Mapping:
        if not isinstance(data, dict):
            raise MappingError(f"{name}: must be a mapping of keys to values")
        columns: dict[str, tuple[str, str]] = {}
        for column, spec in (data.get("columns") or {}).items():
            if column not in (*TEXT_COLUMNS, *CODE_COLUMNS, *NUMBER_COLUMNS):
                raise MappingError(f"{name}: columns.{column} is not a catalogue column")
            features = spec.get("features") if isinstance(spec, dict) else spec
            if not isinstance(features, list):
                raise MappingError(f"{name}: columns.{column}.features must be a list")
            kind = NUMBER_COLUMNS.get(column, "length" if column == "size" else "text")
            for feature in features:
                key = fold(str(feature))
                if key in columns and columns[key][0] != column:
                    raise MappingError(f"{name}: feature {feature!r} is mapped to {columns[key][0]} and {column}")
                columns[key] = (column, kind)
        values: dict[str, dict[str, str]] = {}
        for column, table in (data.get("values") or {}).items():
            if not isinstance(table, dict):
                raise MappingError(f"{name}: values.{column} must map words to values")
            allowed = CODE_COLUMNS.get(column) or (FAMILIES if column == "family" else None)
            for word, value in table.items():
                if allowed is not None and str(value) not in allowed:
                    raise MappingError(f"{name}: values.{column}.{word}: {value!r} is not one of {', '.join(allowed)}")
                values.setdefault(column, {})[fold(str(word))] = str(value)
        families = {}
        for group, family in (data.get("families") or {}).items():
            if family not in FAMILIES:
                raise MappingError(f"{name}: families.{group}: {family!r} is not one of {', '.join(FAMILIES)}")
            families[fold(str(group))] = family
        defaults = dict(data.get("defaults") or {})
        return cls(columns, values, families, str(data.get("territory") or "DE"), str(data.get("currency") or "EUR"),
                   defaults)


# ------------------------------------------------------------------------------------------------ records
def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def record_of(item: Item) -> dict[str, Any]:
    """The product as sent, JSON-ready, only the sections the file named (plus the article number)."""
    data = asdict(item)
    record: dict[str, Any] = {"sku": item.sku}
    for section in sorted(item.present):
        for key in SECTIONS[section]:
            record[key] = _plain(data[key])
    return record


def merge(old: dict[str, Any] | None, item: Item) -> dict[str, Any]:
    """An update: the sections the file names replace the old ones; every other section stays as it was."""
    merged = dict(old or {})
    merged.update(record_of(item))
    return merged


# ------------------------------------------------------------------------------------------------ mapping
@dataclass
class Mapped:
    row: dict[str, str] | None  # the catalogue row, None when the product cannot be a row
    problems: list[str]
    unmapped: list[str]  # display names of the features no column took
    features: dict[str, str]  # every feature as a named value (for the report, the page and the answers)
    notes: list[str] = field(default_factory=list)  # words that matched no code, and the like


def _number(text: str) -> float | None:
    m = _NUMBER.search(text)
    return float(m.group(0).replace("−", "-").replace(",", ".")) if m else None


def _numbers(values: list[str]) -> list[float]:
    out: list[float] = []
    for value in values:
        out.extend(float(n.replace("−", "-").replace(",", ".")) for n in _NUMBER.findall(value))
    return out


def _unit_of(feature: dict[str, Any]) -> str:
    unit = (feature.get("unit") or "").strip()
    if unit:
        return unit
    tail = re.sub(r"^[\s\d.,+\-−…~]+", "", " ".join(feature.get("values") or [])).strip()
    return tail.split(" ")[0] if tail else ""


def convert(value: float, unit: str, kind: str) -> float | None:
    """The value in the catalogue's unit (°C, bar, mm); None for a unit of another kind."""
    key = unit.strip().casefold().replace(" ", "")
    entry = _UNITS.get((kind, key))  # type: ignore[call-overload]
    if entry is None:
        return None
    return float(entry[1](value))


def _fmt(number: float) -> str:
    """One decimal, half up as people round (0.25 inch is 6.35 mm, written 6.4), no trailing zero."""
    rounded = Decimal(repr(number)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return str(rounded.to_integral_value()) if rounded == rounded.to_integral_value() else str(rounded)


def _display(feature: dict[str, Any]) -> str:
    value = " … ".join(feature.get("values") or []) or ", ".join(feature.get("value_ids") or [])
    unit = feature.get("unit") or ""
    return f"{value} {unit}".strip()


def feature_name(feature: dict[str, Any], lang: str = "de") -> str:
    names = feature.get("names") or {}
    return names.get(lang) or next(iter(names.values()), "") or feature["key"]


def list_price(record: dict[str, Any], mapping: Mapping, today: date) -> tuple[Decimal | None, str]:
    """Net list price per order unit, valid today, in the catalogue's currency and territory; else a reason."""
    candidates = []
    for p in record.get("prices") or []:
        if p["currency"] != mapping.currency:
            continue
        if p["territories"] and mapping.territory not in p["territories"]:
            continue
        if (p["valid_from"] and date.fromisoformat(p["valid_from"]) > today) or (
                p["valid_to"] and date.fromisoformat(p["valid_to"]) < today):
            continue
        rank = {"net_list": 0, "net_customer": 2, "gros_list": 1}.get(p["price_type"])
        if rank is None:
            continue
        amount = Decimal(p["amount"]) * Decimal(p.get("factor") or 1)
        if p["price_type"] == "gros_list":
            if not p.get("tax"):
                continue
            amount = amount / (1 + Decimal(p["tax"]))
        candidates.append((rank, Decimal(p["lower_bound"]), amount))
    if not candidates:
        return None, f"no net list price in {mapping.currency} valid today for territory {mapping.territory}"
    _, _, amount = min(candidates, key=lambda c: (c[0], c[1]))
    quantity = Decimal(record.get("price_quantity") or 1)
    per_unit = (amount / quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if per_unit <= 0:
        return None, "the list price is not positive"
    return per_unit, ""


def price_unit(record: dict[str, Any]) -> tuple[str | None, str]:
    unit = (record.get("order_unit") or "C62").strip().casefold()
    if unit in ORDER_UNITS:
        return ORDER_UNITS[unit], ""
    per = record.get("units_per_order_unit")
    if unit in PACK_UNITS and per is not None:
        try:
            count = Decimal(per)
        except InvalidOperation:
            count = Decimal(0)
        if count == 10:
            return "pack10", ""
        if count == 100:
            return "pack100", ""
        if count == 1:
            return "piece", ""
    return None, (f"order unit {record.get('order_unit')!r} with {per or '?'} per unit is not one of piece, m, "
                  "pack of 10, pack of 100")


def _family(record: dict[str, Any], mapping: Mapping, found: dict[str, list[dict[str, Any]]]) -> str | None:
    for feature in found.get("family", []):
        for word in [*feature.get("value_ids", []), *feature.get("values", [])]:
            family = mapping.values.get("family", {}).get(fold(word)) or (word if word in FAMILIES else None)
            if family:
                return family
    for _system, group in record.get("groups") or []:
        if fold(group) in mapping.families:
            return mapping.families[fold(group)]
    default = mapping.defaults.get("family")
    return str(default) if default in FAMILIES else None


def map_record(record: dict[str, Any], mapping: Mapping, today: date, *, stock_qty: int | None = None,
               datasheet_id: str = "") -> Mapped:
    """The catalogue row of one record, or the reasons it cannot be one."""
    problems: list[str] = []
    notes: list[str] = []
    found: dict[str, list[dict[str, Any]]] = {}
    unmapped: list[str] = []
    named: dict[str, str] = {}
    for feature in record.get("features") or []:
        target = mapping.columns.get(fold(feature["key"])) or next(
            (mapping.columns[fold(n)] for n in (feature.get("names") or {}).values() if fold(n) in mapping.columns),
            None)
        display = feature_name(feature)
        named[display] = _display(feature)
        if target is None:
            unmapped.append(display if display == feature["key"] else f"{display} ({feature['key']})")
            continue
        found.setdefault(target[0], []).append(feature)

    row: dict[str, str] = {"sku": record["sku"]}
    names = record.get("names") or {}
    row["name_de"] = names.get("de") or names.get("en") or next(iter(names.values()), "")
    row["name_en"] = names.get("en") or names.get("de") or next(iter(names.values()), "")
    if not row["name_de"]:
        problems.append("DESCRIPTION_SHORT is missing: the article has no name")
    family = _family(record, mapping, found)
    if family is None:
        groups = ", ".join(g for _, g in record.get("groups") or []) or "none"
        problems.append(f"no product family: map its class ({groups}) under 'families' in the mapping file")
    row["family"] = family or ""
    for column in ("series", "material", "seal_material", "connection"):
        features = found.get(column, [])
        words = [w for f in features for w in (f.get("values") or [])]
        mapped = [mapping.values.get(column, {}).get(fold(w), w) for w in words]
        row[column] = ", ".join(dict.fromkeys(mapped))
    row["series"] = row["series"] or record.get("manufacturer_type") or "-"
    for column in ("material", "connection"):
        row[column] = row[column] or "-"
    row["size"] = _size(found.get("size", []), notes) or "-"
    temps = _temperatures(found, problems)
    if temps is not None:
        row["temp_min_c"], row["temp_max_c"] = _fmt(temps[0]), _fmt(temps[1])
    pressure = _pressure(found.get("pressure_max_bar", []), problems)
    if pressure is None and family == "drive" and not found.get("pressure_max_bar"):
        pressure = 0.0  # drive parts are not pressure-rated (knowledge/README.md)
    if pressure is None and not any("pressure" in p for p in problems):
        problems.append("no maximum pressure: map a pressure feature to pressure_max_bar")
    row["pressure_max_bar"] = _fmt(pressure) if pressure is not None else ""
    for column, allowed in CODE_COLUMNS.items():
        codes: list[str] = []
        for feature in found.get(column, []):
            for word in [*feature.get("value_ids", []), *_split(feature.get("values") or [])]:
                code = mapping.values.get(column, {}).get(fold(word)) or (word if word in allowed else None)
                if code is None:
                    if word not in feature.get("value_ids", []):
                        notes.append(f"{column}: {word!r} matches no code")
                    continue
                if code not in codes:
                    codes.append(code)
        row[column] = ";".join(codes)
    successor = next((sku for kind, sku in record.get("references") or [] if kind == "followup"), "")
    row["status"] = "discontinued" if successor else "active"
    row["successor_sku"] = successor
    price, why = list_price(record, mapping, today)
    if price is None:
        problems.append(why)
    row["list_price_eur"] = f"{price:.2f}" if price is not None else ""
    unit, why = price_unit(record)
    if unit is None:
        problems.append(why)
    row["price_unit"] = unit or ""
    minimum = record.get("quantity_min")
    row["min_order_qty"] = str(max(1, math.ceil(float(minimum)))) if minimum else "1"
    days = record.get("delivery_days")
    row["lead_time_days"] = str(max(0, math.ceil(float(days)))) if days is not None else str(
        int(mapping.defaults.get("lead_time_days", 10)))
    row["stock_qty"] = str(stock_qty if stock_qty is not None else int(mapping.defaults.get("stock_qty", 0)))
    row["datasheet_id"] = datasheet_id
    return Mapped(None if problems else row, problems, unmapped, named, notes)


def _split(values: list[str]) -> list[str]:
    return [w.strip() for v in values for w in re.split(r"[;,]| und | and ", v) if w.strip()]


def _temperatures(found: dict[str, list[dict[str, Any]]], problems: list[str]) -> tuple[float, float] | None:
    low = high = None
    for column in ("temp_range", "temp_min_c", "temp_max_c"):
        for feature in found.get(column, []):
            unit = _unit_of(feature) or "°C"
            numbers = [convert(n, unit, "temperature") for n in _numbers(list(feature.get("values") or []))]
            if any(n is None for n in numbers):
                problems.append(f"{feature_name(feature)}: unit {unit!r} is not a temperature unit")
                return None
            values = [n for n in numbers if n is not None]
            if not values:
                continue
            if column == "temp_range":
                low, high = (min(values), max(values)) if len(values) > 1 else (low, high)
            elif column == "temp_min_c":
                low = values[0]
            else:
                high = values[-1]
    if low is None or high is None:
        missing = " and ".join(n for n, v in (("minimum", low), ("maximum", high)) if v is None)
        problems.append(f"no {missing} temperature: map a feature to temp_min_c/temp_max_c or temp_range")
        return None
    if low > high:
        problems.append(f"minimum temperature {_fmt(low)} °C is above the maximum {_fmt(high)} °C")
        return None
    return low, high


def _pressure(features: list[dict[str, Any]], problems: list[str]) -> float | None:
    for feature in features:
        unit = _unit_of(feature) or "bar"
        numbers = _numbers(list(feature.get("values") or []))
        if not numbers:
            continue
        value = convert(max(numbers), unit, "pressure")
        if value is None:
            problems.append(f"{feature_name(feature)}: unit {unit!r} is not a pressure unit")
            return None
        if value < 0:
            problems.append(f"{feature_name(feature)}: a maximum pressure below 0 bar")
            return None
        return value
    return None


def _size(features: list[dict[str, Any]], notes: list[str]) -> str:
    for feature in features:
        values = list(feature.get("values") or [])
        unit = (feature.get("unit") or "").strip()
        number = _number(values[0]) if values else None
        if unit and number is not None and re.fullmatch(r"[-+]?\d+(?:[.,]\d+)?", values[0].strip()):
            mm = convert(number, unit, "length")
            if mm is not None:
                return f"{_fmt(mm)} mm"
            notes.append(f"size: unit {unit!r} is not a length")
        if values:
            return values[0]  # a token as people type it: G1/4, DN25, 1/2"
    return ""
