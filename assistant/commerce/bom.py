"""Bills of materials as buyers export them from ERP or Excel: CSV (; , or tab) and XLSX.

A file is refused as a whole only when it cannot be read at all (wrong type, empty, too large, more than
``MAX_LINES`` rows, no recognisable columns); a broken row is reported with its row number and the rest is
kept, so the buyer fixes one row instead of re-uploading everything.

Reading is bounded by what the file is, never by what it claims: an XLSX is a zip, so its uncompressed size is
checked before openpyxl opens it (``MAX_UNCOMPRESSED_BYTES``, a zip bomb is ``too_large``); the sheet's declared
``<dimension>`` is ignored (A1:XFD1048576 made openpyxl pad every row to 16,384 cells); rows are read at most
``MAX_COLUMNS`` wide and reading stops as soon as the row limit is passed. The gateway runs the parse off the
event loop with a time budget.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.commerce.textparse import SKU_IN_TEXT, parse_qty
from assistant.errors import InvalidInput

MAX_LINES = 500
MAX_COLUMNS = 50  # a bill of materials has a handful of columns; wider rows are cut while reading
MAX_SHEET_ROWS = 65_536  # row numbers beyond this (even empty formatted ones) are not a 500-line list
MAX_UNCOMPRESSED_BYTES = 25_000_000
MAX_ZIP_ENTRIES = 2_000


class BomError(InvalidInput):
    """The whole file is refused; ``reason``: not_csv_xlsx, empty, too_large, too_many_lines, unreadable,
    no_columns."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BomLine:
    row: int  # 1-based row of the file (header included)
    sku: str | None
    description: str
    quantity: int


@dataclass(frozen=True)
class BomIssue:
    row: int
    reason: str  # zero, negative, too_large, not_a_number, missing_quantity, empty_item
    fragment: str


@dataclass
class BomResult:
    lines: list[BomLine] = field(default_factory=list)
    issues: list[BomIssue] = field(default_factory=list)


_SKU_HEAD = re.compile(
    r"^(?:artikel|artikelnummer|artikel-?nr\.?|art\.?-?nr\.?|sku|item|item no\.?|part|part no\.?|part number|"
    r"materialnummer|material-?nr\.?|article|article no\.?|article number|bestellnummer|order code)$",
    re.I,
)
_QTY_HEAD = re.compile(r"^(?:menge|anzahl|qty|quantity|stück|stueck|stk\.?|amount|bestellmenge|pcs|units)$", re.I)
_DESC_HEAD = re.compile(
    r"^(?:bezeichnung|beschreibung|description|text|name|benennung|artikelbezeichnung|designation)$", re.I
)


def _kind(filename: str, data: bytes) -> str:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".csv"):
        return "csv"
    raise BomError("not_csv_xlsx")


def _rows_csv(data: bytes) -> list[list[str]]:
    if b"\x00" in data[:4096]:
        raise BomError("unreadable")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise BomError("unreadable")
    sample = text[:4096]
    delimiter = max((";", "\t", ","), key=sample.count)
    if sample.count(delimiter) == 0:
        delimiter = ";"
    lines = text.splitlines()
    if len([ln for ln in lines if ln.strip()]) > MAX_LINES + 1:
        raise BomError("too_many_lines")
    try:
        return [[c.strip() for c in row[:MAX_COLUMNS]] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:  # a field over csv's size limit, a NUL byte further down
        raise BomError("unreadable") from exc


def _check_zip(data: bytes) -> None:
    """The uncompressed size the zip's directory states, before openpyxl reads it (zipfile never inflates a member
    past its stated size: a lying directory ends in a CRC error, read as unreadable)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BomError("unreadable") from exc
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
        raise BomError("too_large")


def _rows_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise BomError("unreadable") from exc
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise BomError("empty")
        ws.reset_dimensions()  # the declared <dimension> is whatever the file says, not what it holds
        rows: list[list[str]] = []
        filled = 0
        for number, values in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            if number > MAX_SHEET_ROWS:
                raise BomError("too_many_lines")
            cells = ["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).strip()
                     for v in values]
            rows.append(cells)
            filled += any(cells)
            if filled > MAX_LINES + 1:
                raise BomError("too_many_lines")
        return rows
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError) as exc:  # broken sheet XML
        raise BomError("unreadable") from exc
    finally:
        wb.close()


def _columns(header: list[str]) -> tuple[int | None, int | None, int | None]:
    sku = next((i for i, c in enumerate(header) if _SKU_HEAD.match(c)), None)
    qty = next((i for i, c in enumerate(header) if _QTY_HEAD.match(c)), None)
    desc = next((i for i, c in enumerate(header) if _DESC_HEAD.match(c)), None)
    return sku, qty, desc


def _guess_columns(rows: list[list[str]]) -> tuple[int | None, int | None, int | None]:
    """No header: the column that holds article numbers, the one with small whole numbers, the longest text."""
    width = max(len(r) for r in rows)
    sku_hits = [sum(1 for r in rows if i < len(r) and SKU_IN_TEXT.fullmatch(r[i])) for i in range(width)]
    qty_hits = [sum(1 for r in rows if i < len(r) and re.fullmatch(r"\d{1,6}", r[i])) for i in range(width)]
    sku = max(range(width), key=lambda i: sku_hits[i]) if max(sku_hits) else None
    qty_candidates = [i for i in range(width) if i != sku and qty_hits[i]]
    qty = max(qty_candidates, key=lambda i: qty_hits[i]) if qty_candidates else None
    text_cols = [i for i in range(width) if i not in (sku, qty)]
    desc = max(text_cols, key=lambda i: sum(len(r[i]) for r in rows if i < len(r))) if text_cols else None
    return sku, qty, desc


def parse_bom(filename: str, data: bytes, max_bytes: int) -> BomResult:
    """Lines with article number (or description) and quantity, and one issue per broken row."""
    kind = _kind(filename, data)
    if not data or not data.strip():
        raise BomError("empty")
    if len(data) > max_bytes:
        raise BomError("too_large")
    rows = _rows_csv(data) if kind == "csv" else _rows_xlsx(data)
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(c for c in r)]
    if not numbered:
        raise BomError("empty")
    if len(numbered) > MAX_LINES + 1:
        raise BomError("too_many_lines")
    first = numbered[0][1]
    sku_col, qty_col, desc_col = _columns(first)
    if sku_col is not None or qty_col is not None:
        body = numbered[1:]
    else:
        body = numbered
        sku_col, qty_col, desc_col = _guess_columns([r for _, r in body])
    if len(body) > MAX_LINES:
        raise BomError("too_many_lines")
    if qty_col is None or (sku_col is None and desc_col is None):
        raise BomError("no_columns")
    result = BomResult()
    for row_no, row in body:
        def cell(i: int | None, row: list[str] = row) -> str:
            return row[i].strip() if i is not None and i < len(row) else ""

        raw_sku, raw_qty, desc = cell(sku_col), cell(qty_col), cell(desc_col)
        fragment = " | ".join(c for c in row if c)[:80]
        sku = raw_sku.upper() if raw_sku and SKU_IN_TEXT.fullmatch(raw_sku) else None
        if raw_sku and not sku:
            desc = f"{raw_sku} {desc}".strip()
        if not sku and not desc:
            result.issues.append(BomIssue(row_no, "empty_item", fragment))
            continue
        if not raw_qty:
            result.issues.append(BomIssue(row_no, "missing_quantity", fragment))
            continue
        qty, reason = parse_qty(raw_qty)
        if qty is None:
            result.issues.append(BomIssue(row_no, reason or "not_a_number", fragment))
            continue
        result.lines.append(BomLine(row_no, sku, desc[:500], qty))
    if not result.lines and not result.issues:
        raise BomError("empty")
    return result


# ----------------------------------------------------------------------------------------- parked uploads
class UploadStore:
    """Parsed uploads parked under var/uploads, keyed by the conversation's sender id.

    The gateway parks the parsed lines and only sends Rasa an opaque ``upload_id``; the RFQ action reads them
    back for the same sender, so one conversation can never read another's bill of materials.
    """

    def __init__(self, root: Path):
        self.root = root

    def _dir(self, sender: str) -> Path:
        return self.root / hashlib.sha256(sender.encode()).hexdigest()[:32]

    def save(self, sender: str, filename: str, result: BomResult) -> str:
        upload_id = uuid.uuid4().hex
        folder = self._dir(sender)
        folder.mkdir(parents=True, exist_ok=True)
        data = {
            "filename": Path(filename).name[:120],
            "lines": [asdict(x) for x in result.lines],
            "issues": [asdict(x) for x in result.issues],
        }
        tmp = folder / f".{upload_id}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(folder / f"{upload_id}.json")
        return upload_id

    def delete_conversation(self, sender: str) -> int:
        """Erase every upload of one conversation (GDPR erasure); returns how many."""
        folder = self._dir(sender)
        files = list(folder.glob("*.json")) if folder.is_dir() else []
        for path in files:
            path.unlink(missing_ok=True)
        if folder.is_dir():
            for leftover in folder.iterdir():  # a half-written .tmp
                leftover.unlink(missing_ok=True)
            folder.rmdir()
        return len(files)

    def delete_older_than(self, cutoff_epoch_s: float) -> int:
        """Retention: uploads last written before the cutoff (file time); returns how many."""
        count = 0
        for path in self.root.glob("*/*.json") if self.root.is_dir() else []:
            if path.stat().st_mtime < cutoff_epoch_s:
                path.unlink(missing_ok=True)
                count += 1
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return count

    def load(self, sender: str, upload_id: str) -> dict[str, Any] | None:
        if not re.fullmatch(r"[a-f0-9]{32}", upload_id or ""):
            return None
        path = self._dir(sender) / f"{upload_id}.json"
        if not path.is_file():
            return None
        return dict(json.loads(path.read_text(encoding="utf-8")))


def get_upload_store() -> UploadStore:
    from assistant.settings import get_settings

    return UploadStore(get_settings().var_dir / "uploads")
