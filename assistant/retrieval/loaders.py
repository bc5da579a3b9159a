"""Loaders for the knowledge folder: Markdown with front matter, PDFs, the product CSV.

Every loader returns what it could read plus a list of :class:`Issue` (file, line, what is
wrong). A broken file or CSV row is skipped and reported; the build decides whether the
rest may proceed (see :mod:`assistant.retrieval.index`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.articles import is_supplier_sku
from assistant.retrieval.models import (
    CERTIFICATION_CODES,
    DOC_TYPES,
    FAMILIES,
    INDUSTRIES,
    MEDIA,
    PRICE_UNITS,
    Document,
    Issue,
    Product,
)
from assistant.retrieval.pdftables import DEFAULT_LIMITS as DEFAULT_PDF_LIMITS
from assistant.retrieval.pdftables import PdfError, PdfLimits, read_pdf

MAX_FILE_BYTES = 20_000_000  # larger inputs are refused: a datasheet is never this big
PRODUCT_COLUMNS: tuple[str, ...] = (
    "sku",
    "name_de",
    "name_en",
    "family",
    "series",
    "material",
    "seal_material",
    "connection",
    "size",
    "temp_min_c",
    "temp_max_c",
    "pressure_max_bar",
    "certifications",
    "media",
    "industries",
    "status",
    "successor_sku",
    "list_price_eur",
    "price_unit",
    "min_order_qty",
    "lead_time_days",
    "stock_qty",
    "datasheet_id",
)
# The contract says a suffix of {2,3}, but its own example OR-0250-E has one character.
SKU_RE = re.compile(r"^[A-Z0-9]{2,5}-[0-9]{3,4}(-[0-9A-Z]{1,3})?$")
DOC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,119}$")
LANGUAGES = ("de", "en")
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def content_hash(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:32]


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    fatal: bool = False  # e.g. a product CSV without the agreed header: refuse the build
    product_sources: dict[str, str] = field(default_factory=dict)  # sku -> CSV path


def _size_issue(path: Path, rel: str, max_bytes: int) -> Issue | None:
    size = path.stat().st_size
    if size == 0:
        return Issue(rel, 0, "file is empty")
    if size > max_bytes:
        return Issue(rel, 0, f"file is too large ({size} bytes > {max_bytes})")
    return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;,]", value) if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def id_from_file_name(path: Path) -> str:
    """The id a document without one gets: its file name, lower case, other characters as '-'."""
    stem = path.name.split(".")[0] if path.name.endswith(".meta.yml") else path.stem
    derived = re.sub(r"[^a-z0-9_.-]+", "-", stem.lower()).strip("-._")[:120]
    return derived or "document"


def _default_id(meta: dict[str, Any], path: Path, rel: str, line: int) -> list[Issue]:
    """A content team writes title, type and language; a missing ``id`` comes from the file name, and says so."""
    if meta.get("id") is not None and str(meta.get("id")).strip():
        return []
    meta["id"] = id_from_file_name(path)
    return [Issue(rel, line, f"front matter has no 'id': using {meta['id']!r}, from the file name", "warning")]


def _meta_issues(meta: dict[str, Any], rel: str, line: int) -> list[Issue]:
    issues = []
    if not DOC_ID_RE.match(str(meta.get("id", ""))):
        issues.append(Issue(rel, line, "front matter 'id' is missing or malformed"))
    if meta.get("type") not in DOC_TYPES or meta.get("type") == "product":
        issues.append(Issue(rel, line, f"front matter 'type' must be one of {', '.join(DOC_TYPES[:-1])}"))
    if meta.get("language") not in LANGUAGES:
        issues.append(Issue(rel, line, "front matter 'language' must be 'de' or 'en'"))
    if not str(meta.get("title", "")).strip():
        issues.append(Issue(rel, line, "front matter 'title' is missing"))
    return issues


def _normalise_meta(meta: dict[str, Any]) -> dict[str, Any]:
    out = dict(meta)
    out["products"] = [p.upper() for p in _as_list(meta.get("products"))]
    out["industries"] = _as_list(meta.get("industries"))
    out["certifications"] = _as_list(meta.get("certifications"))
    return out


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def load_markdown(path: Path, root: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[Document | None, list[Issue]]:
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if issue := _size_issue(path, rel, max_bytes):
        return None, [issue]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Issue(rel, raw.count(b"\n", 0, exc.start) + 1, "file is not UTF-8")]
    match = _FRONT.match(text)
    if not match:
        return None, [Issue(rel, 1, "front matter missing: the file must start with a '---' YAML block")]
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        return None, [Issue(rel, line, f"front matter is not valid YAML ({getattr(exc, 'problem', 'syntax')})")]
    if not isinstance(meta, dict):
        return None, [Issue(rel, 2, "front matter must be a mapping of keys to values")]
    notes = _default_id(meta, path, rel, 2)
    issues = _meta_issues(meta, rel, 2)
    if issues:
        for i, issue in enumerate(issues):  # point to the offending key when it exists
            key = re.search(r"'(\w+)'", issue.message)
            if key and f"\n{key.group(1)}:" in "\n" + match.group(1):
                issues[i] = Issue(rel, _line_of(text, f"\n{key.group(1)}:") + 1, issue.message)
        return None, issues
    body = text[match.end() :]
    if not body.strip():
        return None, [Issue(rel, _line_of(text, body[:1] or "\n"), "document has no text after the front matter")]
    meta = _normalise_meta(meta)
    return (
        Document(
            doc_id=str(meta["id"]),
            title=str(meta["title"]).strip(),
            doc_type=str(meta["type"]),
            language=str(meta["language"]),
            text=body,
            source=rel,
            content_hash=content_hash(raw),
            kind="markdown",
            metadata=meta,
        ),
        notes,
    )


def _sidecar(path: Path) -> Path | None:
    for candidate in (
        path.with_suffix(".meta.yml"),
        path.with_name(path.name + ".meta.yml"),
        path.with_suffix(".meta.yaml"),
    ):
        if candidate.is_file():
            return candidate
    return None


def load_pdf(
    path: Path, root: Path, max_bytes: int = MAX_FILE_BYTES, limits: PdfLimits = DEFAULT_PDF_LIMITS
) -> tuple[Document | None, list[Issue]]:
    """Text per page (1-based page numbers), tables as Markdown pipe tables (see :mod:`pdftables`);
    metadata from the ``<name>.meta.yml`` sidecar. What was read only in part is a warning."""
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if issue := _size_issue(path, rel, max_bytes):
        return None, [issue]
    raw = path.read_bytes()
    sidecar = _sidecar(path)
    side_rel = sidecar.relative_to(root).as_posix() if sidecar and sidecar.is_relative_to(root) else rel
    if sidecar is None:
        return None, [Issue(rel, 0, f"PDF needs a metadata sidecar {path.stem}.meta.yml (id, type, language, title)")]
    try:
        meta = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return None, [Issue(side_rel, 1, "metadata sidecar is not valid UTF-8 YAML")]
    if not isinstance(meta, dict):
        return None, [Issue(side_rel, 1, "metadata sidecar must be a mapping")]
    id_notes = _default_id(meta, path, side_rel, 1)
    if issues := _meta_issues(meta, side_rel, 1):
        return None, issues
    try:
        text = read_pdf(raw, limits)
    except PdfError as exc:
        return None, [Issue(rel, 0, str(exc))]
    notes = id_notes + [Issue(rel, 0, note, "warning") for note in text.notes]
    if not text.pages:
        return None, [*notes, Issue(rel, 0, "PDF has no extractable text (image-only scan?); add an OCR'd version")]
    meta = _normalise_meta(meta)
    return (
        Document(
            doc_id=str(meta["id"]),
            title=str(meta["title"]).strip(),
            doc_type=str(meta["type"]),
            language=str(meta["language"]),
            text="\n\n".join(t for _, t in text.pages),
            source=rel,
            content_hash=content_hash(raw + sidecar.read_bytes()),
            kind="pdf",
            pages=text.pages,
            metadata=meta,
        ),
        notes,
    )


def _number(value: str, name: str, *, integer: bool = False, minimum: float | None = None) -> float | int:
    text = value.strip().replace(",", ".") if not integer else value.strip()
    if not text:
        raise ValueError(f"'{name}' is empty")
    try:
        number: float | int = int(text) if integer else float(text)
    except ValueError:
        raise ValueError(f"'{name}' is not a {'whole ' if integer else ''}number: {value!r}") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"'{name}' must be >= {minimum:g}, got {value!r}")
    return number


def _codes(value: str, allowed: Iterable[str], name: str) -> tuple[str, ...]:
    allowed_set = set(allowed)
    codes = tuple(c.strip() for c in value.split(";") if c.strip())
    unknown = [c for c in codes if c not in allowed_set]
    if unknown:
        raise ValueError(f"'{name}' has unknown code(s): {', '.join(unknown)}")
    return codes


def parse_product_row(row: dict[str, str]) -> Product:
    """One CSV row to a typed product; ValueError names the offending column."""
    for column in (
        "sku",
        "name_de",
        "name_en",
        "family",
        "series",
        "material",
        "connection",
        "size",
        "status",
        "price_unit",
        "datasheet_id",
    ):
        if not (row.get(column) or "").strip():
            raise ValueError(f"'{column}' is empty")
    sku = row["sku"].strip()
    if not SKU_RE.match(sku) and not is_supplier_sku(sku):
        raise ValueError(f"'sku' is malformed: {sku!r}")
    family = row["family"].strip()
    if family not in FAMILIES:
        raise ValueError(f"'family' is not one of {', '.join(FAMILIES)}: {family!r}")
    status = row["status"].strip()
    if status not in ("active", "discontinued"):
        raise ValueError(f"'status' must be active or discontinued: {status!r}")
    successor = (row.get("successor_sku") or "").strip()
    if status == "discontinued" and not successor:
        raise ValueError("'successor_sku' is empty for a discontinued article")
    if successor and not SKU_RE.match(successor) and not is_supplier_sku(successor):
        raise ValueError(f"'successor_sku' is malformed: {successor!r}")
    unit = row["price_unit"].strip()
    if unit not in PRICE_UNITS:
        raise ValueError(f"'price_unit' must be one of {', '.join(PRICE_UNITS)}: {unit!r}")
    temp_min = float(_number(row.get("temp_min_c", ""), "temp_min_c"))
    temp_max = float(_number(row.get("temp_max_c", ""), "temp_max_c"))
    if temp_min > temp_max:
        raise ValueError(f"'temp_min_c' ({temp_min:g}) is above 'temp_max_c' ({temp_max:g})")
    return Product(
        sku=sku,
        name_de=row["name_de"].strip(),
        name_en=row["name_en"].strip(),
        family=family,
        series=row["series"].strip(),
        material=row["material"].strip(),
        seal_material=(row.get("seal_material") or "").strip(),
        connection=row["connection"].strip(),
        size=row["size"].strip(),
        temp_min_c=temp_min,
        temp_max_c=temp_max,
        pressure_max_bar=float(_number(row.get("pressure_max_bar", ""), "pressure_max_bar", minimum=0)),
        certifications=_codes(row.get("certifications") or "", CERTIFICATION_CODES, "certifications"),
        media=_codes(row.get("media") or "", MEDIA, "media"),
        industries=_codes(row.get("industries") or "", INDUSTRIES, "industries"),
        status=status,
        successor_sku=successor,
        list_price_eur=float(_number(row.get("list_price_eur", ""), "list_price_eur", minimum=0)),
        price_unit=unit,
        min_order_qty=int(_number(row.get("min_order_qty", ""), "min_order_qty", integer=True, minimum=1)),
        lead_time_days=int(_number(row.get("lead_time_days", ""), "lead_time_days", integer=True, minimum=0)),
        stock_qty=int(_number(row.get("stock_qty", ""), "stock_qty", integer=True, minimum=0)),
        datasheet_id=row["datasheet_id"].strip(),
    )


def load_products(path: Path, root: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[list[Product], list[Issue], bool]:
    """Returns (products, issues, fatal). A wrong header is fatal; a bad row is skipped."""
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if issue := _size_issue(path, rel, max_bytes):
        return [], [issue], True
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return [], [Issue(rel, 0, "product CSV is not UTF-8")], True
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != PRODUCT_COLUMNS:
        return [], [Issue(rel, 1, f"header must be exactly: {','.join(PRODUCT_COLUMNS)}")], True
    products: list[Product] = []
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(PRODUCT_COLUMNS):
            issues.append(Issue(rel, line, f"row has {len(values)} fields, expected {len(PRODUCT_COLUMNS)}"))
            continue
        try:
            product = parse_product_row(dict(zip(PRODUCT_COLUMNS, values, strict=True)))
        except ValueError as exc:
            issues.append(Issue(rel, line, str(exc)))
            continue
        if product.sku in seen:
            issues.append(
                Issue(rel, line, f"duplicate article number {product.sku} (first on line {seen[product.sku]})")
            )
            continue
        seen[product.sku] = line
        products.append(product)
    return products, issues, False


def product_document(product: Product, source: str) -> Document:
    """One document per article so that questions about a product find its row."""
    certs = ", ".join(product.certifications) or "-"
    text = "\n".join(
        [
            f"{product.sku}: {product.name_de} / {product.name_en}",
            f"Serie / series: {product.series}; Familie / family: {product.family}",
            f"Werkstoff / material: {product.material}"
            + (f"; Dichtung / seal: {product.seal_material}" if product.seal_material else ""),
            f"Anschluss / connection: {product.connection}; Größe / size: {product.size}",
            f"Temperatur / temperature: {product.temp_min_c:g} bis/to {product.temp_max_c:g} °C; "
            f"Druck max. / max. pressure: {product.pressure_max_bar:g} bar",
            f"Zertifizierungen / certifications: {certs}",
            f"Medien / media: {', '.join(product.media) or '-'}; "
            f"Branchen / industries: {', '.join(product.industries) or '-'}",
            f"Status: {product.status}"
            + (f"; Nachfolger / successor: {product.successor_sku}" if product.successor_sku else ""),
        ]
    )
    return Document(
        doc_id=f"product:{product.sku}",
        title=f"{product.sku} {product.name_de} / {product.name_en}",
        doc_type="product",
        language="multi",
        text=text,
        source=source,
        content_hash=content_hash(text),
        kind="product",
        metadata={
            "sku": product.sku,
            "products": [product.sku],
            "family": product.family,
            "series": product.series,
            "material": product.material,
            "seal_material": product.seal_material,
            "certifications": list(product.certifications),
            "media": list(product.media),
            "industries": list(product.industries),
            "temp_min_c": product.temp_min_c,
            "temp_max_c": product.temp_max_c,
            "pressure_max_bar": product.pressure_max_bar,
            "status": product.status,
            "datasheet_id": product.datasheet_id,
        },
    )


SKIP_NAMES = {"readme.md", "license.md", "changelog.md"}


def discover(root: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """Markdown files, PDFs and product CSVs under the knowledge folder (hidden files skipped)."""
    md: list[Path] = []
    pdf: list[Path] = []
    csvs: list[Path] = []
    if not root.is_dir():
        return md, pdf, csvs
    for path in sorted(root.rglob("*")):
        rel_parts = path.relative_to(root).parts
        if not path.is_file() or any(p.startswith((".", "_")) for p in rel_parts):
            continue
        name = path.name.lower()
        if name.endswith(".md") and name not in SKIP_NAMES:
            md.append(path)
        elif name.endswith(".pdf"):
            pdf.append(path)
        elif name.endswith(".csv") and name.startswith("products"):
            csvs.append(path)
    return md, pdf, csvs


def load_all(root: Path, max_bytes: int = MAX_FILE_BYTES) -> Loaded:
    """Load and cross-check everything; skipped inputs are listed in ``issues``."""
    out = Loaded()
    md_files, pdf_files, csv_files = discover(root)
    source_of = out.product_sources
    for path in csv_files:
        products, issues, fatal = load_products(path, root, max_bytes)
        out.issues.extend(issues)
        out.fatal = out.fatal or fatal
        known = {p.sku for p in out.products}
        for product in products:
            if product.sku in known:
                out.issues.append(
                    Issue(
                        path.relative_to(root).as_posix(),
                        0,
                        f"duplicate article number {product.sku} across product files",
                    )
                )
                continue
            source_of[product.sku] = path.relative_to(root).as_posix()
            out.products.append(product)
    skus = {p.sku for p in out.products}
    for product in out.products:
        if product.successor_sku and product.successor_sku not in skus:
            out.issues.append(
                Issue(
                    source_of[product.sku],
                    0,
                    f"{product.sku}: successor {product.successor_sku} is not in the catalogue",
                    "warning",
                )
            )

    md_stems = {p.with_suffix("") for p in md_files}
    candidates: list[tuple[Path, Document | None, list[Issue]]] = []
    for path in md_files:
        candidates.append((path, *load_markdown(path, root, max_bytes)))
    for path in pdf_files:
        if path.with_suffix("") in md_stems and _sidecar(path) is None:
            continue  # a download version of a Markdown document, not a document of its own
        candidates.append((path, *load_pdf(path, root, max_bytes)))
    seen_ids: dict[str, str] = {}
    for _path, doc, issues in candidates:
        out.issues.extend(issues)
        if doc is None:
            continue
        unknown = [s for s in doc.metadata.get("products", []) if s not in skus]
        if unknown and out.products:
            line = _line_of((root / doc.source).read_text(encoding="utf-8", errors="replace"), "\nproducts:") + 1
            line = line if doc.kind == "markdown" else 0
            out.issues.append(Issue(doc.source, line, f"references unknown article(s): {', '.join(unknown)}"))
            continue
        if doc.doc_id in seen_ids:
            out.issues.append(
                Issue(doc.source, 2, f"duplicate document id {doc.doc_id!r} (also in {seen_ids[doc.doc_id]})")
            )
            continue
        seen_ids[doc.doc_id] = doc.source
        out.documents.append(doc)
    for product in out.products:
        if product.datasheet_id not in seen_ids:
            out.issues.append(
                Issue(
                    source_of[product.sku],
                    0,
                    f"{product.sku}: datasheet {product.datasheet_id!r} is not in the knowledge folder",
                    "warning",
                )
            )
    return out
