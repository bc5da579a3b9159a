"""Import a BMEcat file into today's catalogue: all or nothing.

Where the products go (until issue 15's single catalogue lands): one product CSV per supplier catalogue,
``knowledge/products-bmecat-<catalog>.csv``, in the agreed columns (the retrieval loaders, the finder, the shop
and the answers read every ``products*.csv``), and beside it ``knowledge/bmecat/<catalog>/``:

- ``catalog.jsonl``: one record per article with everything the columns cannot hold (names and descriptions
  in every language, GTIN, manufacturer part number, keywords, units, quantities, tiered prices with validity
  and territory, references, documents, every feature as a named value). Updates merge into these records.
- ``<id>.md``: one generated datasheet per article (its ``datasheet_id``): description, every feature, ordering
  data, documents. It carries no price, so a price update leaves its text, and so its embeddings, unchanged.

How a change is applied: everything is written to a hidden staging folder, the whole knowledge folder is checked
with the same loaders the index build uses (errors the change would introduce refuse it), the commerce rules are
checked with the same reader the demo seed uses, then the files are swapped in with renames, the index is rebuilt
(embeddings reused by content hash) and the commerce database's products are upserted. A failure at any step
puts the previous files back; nothing is half-applied.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import yaml

from assistant import clock
from assistant.articles import is_supplier_sku
from assistant.catalog.bmecat.mapping import Mapped, Mapping, MappingError, map_record, merge, record_of
from assistant.catalog.bmecat.reader import BmecatError, Header, Item, read_bmecat
from assistant.retrieval.loaders import PRODUCT_COLUMNS, SKU_RE, discover, load_all
from assistant.retrieval.models import Issue

log = logging.getLogger(__name__)
MAPPING_FILE = "bmecat-mapping.yml"
_lock = threading.Lock()

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "not_xml": "Die Datei ist kein gültiges XML (Zeile {line}, Spalte {column}).",
        "not_bmecat": "Die Datei ist kein BMEcat-Katalog (Wurzelelement {root}, erwartet BMECAT).",
        "unsupported_version": "BMEcat-Version {version} wird nicht unterstützt (1.2 und 2005 schon).",
        "unsupported_transaction": "Die Transaktion {transaction} wird nicht unterstützt "
                                   "(T_NEW_CATALOG, T_UPDATE_PRODUCTS, T_UPDATE_PRICES).",
        "no_transaction": "Die Datei enthält keine Transaktion (T_NEW_CATALOG, T_UPDATE_PRODUCTS, T_UPDATE_PRICES).",
        "no_catalog_header": "Der Kopf (HEADER/CATALOG) fehlt.",
        "no_catalog_id": "Der Kopf nennt keine CATALOG_ID.",
        "hostile_dtd_subset": "Abgelehnt: Die Datei deklariert eine eigene DTD (Entitäten, Entity-Expansion). "
                              "Ein BMEcat-Katalog braucht das nicht.",
        "hostile_dtd_fetch": "Abgelehnt: Die Datei verweist auf eine DTD zum Nachladen ({dtd}). "
                             "Dateien werden nie aus dem Netz oder vom Server geladen.",
        "hostile_entities": "Abgelehnt: Die Datei deklariert Entitäten (Entity-Expansion, \"Billion Laughs\").",
        "hostile_external": "Abgelehnt: Die Datei verweist auf externe Entitäten.",
        "no_catalogue_to_update": "Katalog {catalog} wurde noch nicht importiert: zuerst T_NEW_CATALOG importieren.",
        "nothing_imported": "Kein Artikel konnte übernommen werden; der Katalog bleibt, wie er war.",
        "mapping": "Die Zuordnungsdatei ist fehlerhaft: {detail}",
        "invalid": "Der Katalog würde ungültig; nichts wurde geändert.",
        "commerce": "Die Artikel passen nicht zur Shop-Datenbank: {detail}",
        "apply_failed": "Der Index konnte nicht neu gebaut werden; nichts wurde geändert.",
        "title": "BMEcat-Import {catalog} ({version}, {transaction})",
        "dry_run": "Probelauf: nichts wurde geändert.",
        "applied": "Übernommen; Index-Version {index} ist live.",
        "counts": "{imported} neu, {updated} geändert, {removed} entfernt, {unchanged} unverändert, "
                  "{skipped} übersprungen",
        "skipped": "Übersprungen:",
        "unmapped": "Nicht zugeordnete Merkmale (als benannte Werte behalten):",
        "notes": "Hinweise:",
        "refused": "Nicht übernommen:",
    },
    "en": {
        "not_xml": "The file is not well-formed XML (line {line}, column {column}).",
        "not_bmecat": "The file is not a BMEcat catalogue (root element {root}, expected BMECAT).",
        "unsupported_version": "BMEcat version {version} is not supported (1.2 and 2005 are).",
        "unsupported_transaction": "The transaction {transaction} is not supported "
                                   "(T_NEW_CATALOG, T_UPDATE_PRODUCTS, T_UPDATE_PRICES).",
        "no_transaction": "The file has no transaction (T_NEW_CATALOG, T_UPDATE_PRODUCTS, T_UPDATE_PRICES).",
        "no_catalog_header": "The header (HEADER/CATALOG) is missing.",
        "no_catalog_id": "The header names no CATALOG_ID.",
        "hostile_dtd_subset": "Refused: the file declares its own DTD (entities, entity expansion). "
                              "A BMEcat catalogue does not need one.",
        "hostile_dtd_fetch": "Refused: the file points to a DTD to be fetched ({dtd}). "
                             "Nothing is ever fetched from the network or the server's disk.",
        "hostile_entities": "Refused: the file declares entities (entity expansion, \"billion laughs\").",
        "hostile_external": "Refused: the file refers to external entities.",
        "no_catalogue_to_update": "Catalogue {catalog} has not been imported yet: import its T_NEW_CATALOG first.",
        "nothing_imported": "No article could be imported; the catalogue stays as it was.",
        "mapping": "The mapping file is broken: {detail}",
        "invalid": "The catalogue would become invalid; nothing was changed.",
        "commerce": "The articles do not fit the shop database: {detail}",
        "apply_failed": "The index could not be rebuilt; nothing was changed.",
        "title": "BMEcat import {catalog} ({version}, {transaction})",
        "dry_run": "Dry run: nothing was changed.",
        "applied": "Applied; index version {index} is live.",
        "counts": "{imported} new, {updated} updated, {removed} removed, {unchanged} unchanged, {skipped} skipped",
        "skipped": "Skipped:",
        "unmapped": "Unmapped features (kept as named values):",
        "notes": "Notes:",
        "refused": "Not applied:",
    },
}


class ImportRefused(Exception):
    """The import changes nothing; ``code``/``params`` name the message (``TEXTS``)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Skipped:
    path: str
    sku: str
    reason: str


@dataclass
class ImportReport:
    catalog_id: str = ""
    version: str = ""
    transaction: str = ""
    imported: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    unmapped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    products: list[dict[str, Any]] = field(default_factory=list)
    error: tuple[str, dict[str, Any]] | None = None
    issues: list[Issue] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False
    index_version: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def message(self, lang: str) -> str:
        if self.error is None:
            return ""
        code, params = self.error
        return TEXTS["en" if lang == "en" else "de"][code].format(**params)

    def to_json(self) -> dict[str, Any]:
        return {
            "catalog_id": self.catalog_id, "version": self.version, "transaction": self.transaction,
            "dry_run": self.dry_run, "applied": self.applied, "index_version": self.index_version or None,
            "error": None if self.error is None else {"code": self.error[0], "message_de": self.message("de"),
                                                      "message_en": self.message("en")},
            "issues": [{"path": i.path, "line": i.line, "message": i.message, "severity": i.severity}
                       for i in self.issues],
            "counts": {"imported": len(self.imported), "updated": len(self.updated), "removed": len(self.removed),
                       "unchanged": self.unchanged, "skipped": len(self.skipped)},
            "imported": self.imported, "updated": self.updated, "removed": self.removed,
            "products": self.products,
            "skipped": [{"path": s.path, "sku": s.sku, "reason": s.reason} for s in self.skipped],
            "unmapped_features": [{"feature": k, "count": n} for k, n in self.unmapped.most_common()],
            "notes": [{"note": k, "count": n} for k, n in self.notes.most_common()],
        }

    def text(self, lang: str = "de", limit: int = 50) -> str:
        t = TEXTS["en" if lang == "en" else "de"]
        lines = [t["title"].format(catalog=self.catalog_id or "?", version=self.version or "?",
                                   transaction=self.transaction or "?")]
        if self.error is not None:
            lines.append(f"{t['refused']} {self.message(lang)}")
            lines.extend(f"  {i}" for i in self.issues[:limit])
        lines.append(t["counts"].format(imported=len(self.imported), updated=len(self.updated),
                                        removed=len(self.removed), unchanged=self.unchanged,
                                        skipped=len(self.skipped)))
        if self.skipped:
            lines.append(t["skipped"])
            lines.extend(f"  {s.path} {s.sku}: {s.reason}" for s in self.skipped[:limit])
            if len(self.skipped) > limit:
                lines.append(f"  … +{len(self.skipped) - limit}")
        if self.unmapped:
            lines.append(t["unmapped"])
            lines.extend(f"  {n:>6} × {k}" for k, n in self.unmapped.most_common(limit))
        if self.notes:
            lines.append(t["notes"])
            lines.extend(f"  {n:>6} × {k}" for k, n in self.notes.most_common(limit))
        if self.ok:
            lines.append(t["dry_run"] if self.dry_run else t["applied"].format(index=self.index_version or "-"))
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ helpers
def catalog_slug(catalog_id: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", catalog_id.lower()).strip("-")[:60]
    return slug or "catalog"


def doc_id_for(slug: str, sku: str) -> str:
    """A stable document id per article: readable, and unique even where two numbers differ only in separators."""
    import hashlib

    digest = hashlib.sha256(sku.encode()).hexdigest()[:6]
    return f"bmecat-{slug}-{re.sub(r'[^a-z0-9]+', '-', sku.lower()).strip('-')[:50]}-{digest}"


@dataclass(frozen=True)
class Target:
    """Where one supplier catalogue lives inside the knowledge folder."""

    root: Path
    slug: str

    @property
    def csv_name(self) -> str:
        return f"products-bmecat-{self.slug}.csv"

    @property
    def csv(self) -> Path:
        return self.root / self.csv_name

    @property
    def folder(self) -> Path:
        return self.root / "bmecat" / self.slug

    @property
    def records(self) -> Path:
        return self.folder / "catalog.jsonl"


def read_records(path: Path) -> dict[str, str]:
    """sku -> the record's JSON line (kept as text: 50,000 parsed records would cost hundreds of MB)."""
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                sku = json.loads(line)["sku"]
                out[sku] = line.rstrip("\n")
    return out


def read_rows(path: Path) -> dict[str, list[str]]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        return {values[0]: values for values in reader if values}


def other_skus(root: Path, own: Path) -> set[str]:
    """Article numbers of every other product file: an import never takes over another file's article."""
    taken: set[str] = set()
    for path in discover(root)[2]:
        if path.resolve() == own.resolve():
            continue
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh)
                next(reader, None)
                taken.update(v[0].strip() for v in reader if v)
        except (OSError, UnicodeDecodeError):
            continue
    return taken


def datasheet(record: dict[str, Any], row: dict[str, str], mapped: Mapped, doc_id: str) -> str:
    """The generated datasheet of one article. No price, no stock: those change without the text changing."""
    names = record.get("names") or {}
    language = "de" if names.get("de") or not names.get("en") else "en"
    front = {"id": doc_id, "type": "datasheet", "language": language,
             "title": f"{row['sku']} {row['name_de'] if language == 'de' else row['name_en']}",
             "products": [row["sku"]], "families": [row["family"]],
             "industries": [i for i in row["industries"].split(";") if i]}
    lines = ["---", yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000).strip(), "---",
             f"# {row['name_de']} / {row['name_en']}", ""]
    for lang in ("de", "en"):
        if (record.get("descriptions") or {}).get(lang):
            lines += [record["descriptions"][lang], ""]
    lines += ["## Merkmale / Features", "", "| Merkmal / feature | Wert / value |", "|---|---|"]
    lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in mapped.features.items()]
    facts = [("Artikelnummer / article no.", row["sku"]), ("Hersteller / manufacturer", record.get("manufacturer")),
             ("Hersteller-Artikelnummer / manufacturer part no.", record.get("manufacturer_pid")),
             ("Typ / type", record.get("manufacturer_type")), ("GTIN", record.get("gtin")),
             ("Bestelleinheit / order unit", record.get("order_unit")),
             ("Inhalt je Bestelleinheit / content per order unit",
              f"{record.get('units_per_order_unit')} {record.get('content_unit') or ''}".strip()
              if record.get("units_per_order_unit") else ""),
             ("Mindestmenge / minimum quantity", record.get("quantity_min")),
             ("Mengenintervall / quantity interval", record.get("quantity_interval")),
             ("Lieferzeit (Arbeitstage) / delivery time (working days)", record.get("delivery_days")),
             ("Schlagworte / keywords", ", ".join(w for ws in (record.get("keywords") or {}).values() for w in ws))]
    lines += ["", "## Bestellangaben / Ordering information", ""]
    lines += [f"- {k}: {v}" for k, v in facts if v]
    refs = record.get("references") or []
    if refs:
        lines += ["", "## Verweise / References", ""]
        lines += [f"- {kind}: {sku}" for kind, sku in refs]
    docs = record.get("documents") or []
    if docs:
        lines += ["", "## Dokumente / Documents", ""]
        lines += [f"- {d['purpose']}: {d['description'] or d['source']} ({d['source']})" for d in docs]
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "/").replace("\n", " ")


def product_json(record: dict[str, Any], mapped: Mapped) -> dict[str, Any]:
    names = record.get("names") or {}
    return {"sku": record["sku"], "name_de": names.get("de") or names.get("en") or "",
            "name_en": names.get("en") or names.get("de") or "", "prices": record.get("prices") or [],
            "features": mapped.features, "documents": record.get("documents") or []}


def _csv_text(rows: Iterator[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PRODUCT_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def accepted_sku(sku: str) -> str | None:
    """Why an article number cannot be imported, or None."""
    if SKU_RE.match(sku) or is_supplier_sku(sku):
        return None
    if len(sku) > 20:
        return f"article number longer than 20 characters ({len(sku)})"
    return "article number may only hold capital letters and digits, in groups joined by one space, dot or hyphen"


# ------------------------------------------------------------------------------------------------ importer
class CatalogImporter:
    def __init__(self, knowledge_dir: Path | None = None, *, knowledge: Any = None, repository: Any = None,
                 mapping: Mapping | None = None, today: date | None = None) -> None:
        from assistant.settings import get_settings

        self.root = (knowledge_dir or get_settings().knowledge_dir).resolve()
        self._knowledge = knowledge
        self._repository = repository
        self._mapping = mapping
        self.today = today or clock.today()

    @property
    def knowledge(self) -> Any:
        if self._knowledge is None:
            from assistant.retrieval.service import get_knowledge_service

            self._knowledge = get_knowledge_service()
        return self._knowledge

    @property
    def repository(self) -> Any:
        if self._repository is None:
            from assistant.commerce.repository import get_repository

            self._repository = get_repository()
        return self._repository

    def mapping(self) -> Mapping:
        if self._mapping is None:
            self._mapping = Mapping.load(self.root / MAPPING_FILE)
        return self._mapping

    def run(self, source: str | Path | IO[bytes], *, dry_run: bool = False) -> ImportReport:
        report = ImportReport(dry_run=dry_run)
        with _lock:
            try:
                self._run(source, report, dry_run)
            except BmecatError as exc:
                report.error = (exc.code, exc.params)
            except MappingError as exc:
                report.error = ("mapping", {"detail": str(exc)})
            except ImportRefused as exc:
                report.error = (exc.code, exc.params)
        return report

    # -------------------------------------------------------------------------------------------- steps
    def _run(self, source: str | Path | IO[bytes], report: ImportReport, dry_run: bool) -> None:
        mapping = self.mapping()
        items = read_bmecat(source)
        header = next(items)
        assert isinstance(header, Header)
        report.catalog_id, report.version, report.transaction = header.catalog_id, header.version, header.transaction
        target = Target(self.root, catalog_slug(header.catalog_id))
        new_catalog = header.transaction == "T_NEW_CATALOG"
        if not new_catalog and not target.records.is_file():
            raise ImportRefused("no_catalogue_to_update", catalog=header.catalog_id)
        old_records = {} if new_catalog and not target.records.is_file() else read_records(target.records)
        old_rows = read_rows(target.csv)
        taken = other_skus(self.root, target.csv)
        records: dict[str, str] = {} if new_catalog else dict(old_records)
        changed: dict[str, str] = {}  # sku -> path of the element that changed it
        deleted: list[str] = []
        for item in items:
            assert isinstance(item, Item)
            reason = "; ".join(item.problems) or (accepted_sku(item.sku) if item.sku else None)
            if not reason and item.sku in taken:
                reason = "article number already in another product file"
            if not reason and item.sku in changed:
                reason = f"duplicate article number (first at {changed[item.sku]})"
            if not reason and not new_catalog and item.sku not in records and item.mode != "new":
                reason = "not in the catalogue: an update names only existing articles (mode=\"new\" adds one)"
            if reason:
                report.skipped.append(Skipped(item.path, item.sku, reason))
                continue
            if item.mode == "delete" and not new_catalog:
                records.pop(item.sku, None)
                deleted.append(item.sku)
                continue
            old = json.loads(records[item.sku]) if item.sku in records else None
            record = record_of(item) if new_catalog else merge(old, item)
            records[item.sku] = json.dumps(record, ensure_ascii=False, sort_keys=True)
            changed[item.sku] = item.path
        self._map(target, header, mapping, records, old_records, old_rows, changed, deleted, taken, report)

    def _map(self, target: Target, header: Header, mapping: Mapping, records: dict[str, str],
             old_records: dict[str, str], old_rows: dict[str, list[str]], changed: dict[str, str],
             deleted: list[str], taken: set[str], report: ImportReport) -> None:
        rows: dict[str, list[str]] = {}
        docs: dict[str, str] = {}
        for sku, line in records.items():
            if sku not in changed:  # an update leaves the articles it does not name exactly as they were
                if sku in old_rows:
                    rows[sku] = old_rows[sku]
                    report.unchanged += 1
                continue
            record = json.loads(line)
            old_row = old_rows.get(sku)
            stock = int(old_row[PRODUCT_COLUMNS.index("stock_qty")]) if old_row else None
            mapped = map_record(record, mapping, self.today, stock_qty=stock,
                                datasheet_id=doc_id_for(target.slug, sku))
            report.unmapped.update(mapped.unmapped)
            report.notes.update(mapped.notes)
            if mapped.row is None:
                report.skipped.append(Skipped(changed[sku], sku, "; ".join(mapped.problems)))
                if sku in old_rows and sku in old_records:  # a broken update keeps the article as it was
                    rows[sku] = old_rows[sku]
                    records[sku] = old_records[sku]
                continue
            row = mapped.row
            if row["successor_sku"] and row["successor_sku"] not in records:
                report.notes[f"successor {row['successor_sku']} is not in the catalogue; article kept active"] += 1
                row["status"], row["successor_sku"] = "active", ""
            values = [row[c] for c in PRODUCT_COLUMNS]
            if old_row == values and sku in old_records:
                report.unchanged += 1
            elif old_row is None:
                report.imported.append(sku)
            else:
                report.updated.append(sku)
            rows[sku] = values
            docs[row["datasheet_id"]] = datasheet(record, row, mapped, row["datasheet_id"])
            report.products.append(product_json(record, mapped))
        records = {s: line for s, line in records.items() if s in rows}
        report.removed = sorted(set(old_rows) - set(rows))
        if header.transaction == "T_NEW_CATALOG" and not rows:
            raise ImportRefused("nothing_imported")
        self._stage_and_apply(target, header, rows, records, docs, report)

    def _stage_and_apply(self, target: Target, header: Header, rows: dict[str, list[str]], records: dict[str, str],
                         docs: dict[str, str], report: ImportReport) -> None:
        stage = self.root / f".bmecat-stage-{secrets.token_hex(4)}"
        try:
            stage_folder = stage / "folder"
            if target.folder.is_dir():
                shutil.copytree(target.folder, stage_folder)
            stage_folder.mkdir(parents=True, exist_ok=True)
            keep = {f"{rows[s][PRODUCT_COLUMNS.index('datasheet_id')]}.md" for s in rows}
            for old in stage_folder.glob("*.md"):
                if old.name not in keep:
                    old.unlink()
            for doc_id, text in docs.items():
                (stage_folder / f"{doc_id}.md").write_text(text, encoding="utf-8")
            with (stage_folder / "catalog.jsonl").open("w", encoding="utf-8") as fh:
                for line in records.values():
                    fh.write(line + "\n")
            (stage_folder / "catalog.json").write_text(json.dumps({
                "catalog_id": header.catalog_id, "catalog_version": header.catalog_version,
                "catalog_name": header.catalog_name, "supplier": header.supplier_name, "bmecat": header.version,
                "languages": list(header.languages), "currency": header.currency,
            }, ensure_ascii=False, indent=1), encoding="utf-8")
            (stage / target.csv_name).write_text(_csv_text(iter(rows.values())), encoding="utf-8")
            self._validate(target, stage, report)
            if report.dry_run:
                return
            self._apply(target, stage, report)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _validate(self, target: Target, stage: Path, report: ImportReport) -> None:
        """The same loaders as the index build, on a copy of the knowledge folder with the change in it."""
        from assistant.commerce.catalog import CatalogError, load_products

        try:
            load_products(stage / target.csv_name)
        except CatalogError as exc:
            raise ImportRefused("commerce", detail=str(exc).replace(str(stage), target.csv_name)) from exc
        own = {target.csv.resolve(), target.folder.resolve()}
        with tempfile.TemporaryDirectory(prefix="bmecat-check-") as tmp:
            copy = Path(tmp) / "knowledge"

            def ignore(folder: str, names: list[str]) -> set[str]:
                return {n for n in names if n.startswith(".") or (Path(folder) / n).resolve() in own}

            shutil.copytree(self.root, copy, ignore=ignore)
            before = load_all(self.root)
            shutil.copy2(stage / target.csv_name, copy / target.csv_name)
            shutil.copytree(stage / "folder", copy / "bmecat" / target.slug, dirs_exist_ok=True)
            after = load_all(copy)
        old = {str(i) for i in before.issues if i.severity == "error"}
        errors = [i for i in after.issues if i.severity == "error" and str(i) not in old]
        if after.fatal or errors:
            report.issues = errors[:200]
            raise ImportRefused("invalid")

    def _apply(self, target: Target, stage: Path, report: ImportReport) -> None:
        backup = stage / "previous"
        backup.mkdir()
        moved: list[tuple[Path, Path]] = []  # (live, backup)

        def undo() -> None:
            shutil.rmtree(target.folder, ignore_errors=True)
            target.csv.unlink(missing_ok=True)
            for live, saved in moved:
                os.replace(saved, live)

        for live, saved in ((target.csv, backup / "products.csv"), (target.folder, backup / "folder")):
            if live.exists():
                os.replace(live, saved)
                moved.append((live, saved))
        try:
            target.folder.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / "folder", target.folder)
            os.replace(stage / target.csv_name, target.csv)
            built = self.knowledge.build()
        except Exception:
            log.exception("BMEcat import: index build failed; previous files restored")
            undo()
            raise ImportRefused("apply_failed") from None
        try:
            self._commerce(target, report)
        except Exception as exc:
            log.exception("BMEcat import: commerce upsert failed; previous files restored")
            undo()
            try:
                self.knowledge.build()
            except Exception:
                log.exception("BMEcat import: rebuilding the previous index failed")
            raise ImportRefused("commerce", detail=exc.__class__.__name__) from None
        report.applied = True
        report.index_version = getattr(built, "version", "") or ""

    def _commerce(self, target: Target, report: ImportReport) -> None:
        """ERP-style: upsert the articles of this catalogue; articles it no longer has are discontinued."""
        from assistant.commerce.catalog import load_products

        rows = load_products(target.csv)
        self.repository.upsert_products(rows)
        if report.removed:
            self.repository.retire_products(report.removed)
