"""Value types of the knowledge base: documents, chunks, hits, products, build reports.

Frozen dataclasses so that a hit or a product handed to an action can never be changed
behind the index's back, and so that they can be cached and compared safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.errors import InvalidInput, NotFound

DocType = Literal["datasheet", "use_case", "certificate", "faq", "guide", "legal", "product"]
DOC_TYPES: tuple[str, ...] = ("datasheet", "use_case", "certificate", "faq", "guide", "legal", "product")
FAMILIES: tuple[str, ...] = (
    "pneumatic_fitting",
    "hygienic_fitting",
    "hydraulic_coupling",
    "hydraulic_fitting",
    "hose",
    "seal",
    "valve",
    "drive",
)
CERTIFICATION_CODES: tuple[str, ...] = (
    "FDA-21CFR177",
    "EU-1935/2004",
    "EHEDG",
    "3-A",
    "USP-ClassVI",
    "ATEX",
    *(f"ISO14644-{n}" for n in range(1, 10)),
    "REACH",
    "RoHS",
    "DVGW",
    "ISO8434",
    "SAE-J517",
)
MEDIA: tuple[str, ...] = (
    "air",
    "vacuum",
    "water",
    "steam",
    "hydraulic_oil",
    "food",
    "beverage",
    "cip_detergent",
    "chemicals",
    "inert_gas",
    "lubricant",
    "dust",
)
INDUSTRIES: tuple[str, ...] = (
    "food_beverage",
    "pharma",
    "packaging",
    "mobile_hydraulics",
    "chemical",
    "machine_building",
    "automotive",
    "water_treatment",
    "cleanroom",
    "logistics",
)
PRICE_UNITS: tuple[str, ...] = ("piece", "m", "pack10", "pack100")


class KnowledgeError(InvalidInput):
    """Base of the knowledge base's own errors (message for logs, never for users)."""

    code = "knowledge_error"


class BuildRefused(KnowledgeError):
    """The whole build was refused; the live index stays untouched."""

    code = "build_refused"

    def __init__(self, message: str, report: BuildReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class IndexNotBuilt(KnowledgeError):
    """No index version exists yet: run `assistant kb build` first."""

    code = "index_not_built"


class DocumentNotFound(NotFound):
    code = "not_found"


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file; ``line`` is 1-based, 0 when not line-specific."""

    path: str
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{self.severity}: {where}: {self.message}"


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    doc_type: str
    language: str  # "de", "en" or "multi" (products carry both languages)
    text: str  # Markdown body or plain text
    source: str  # path relative to the knowledge dir
    content_hash: str
    kind: Literal["markdown", "pdf", "product"] = "markdown"
    pages: tuple[tuple[int, str], ...] = ()  # PDFs: (1-based page number, text)
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    doc_type: str
    language: str
    url: str
    page: int | None
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def embed_text(self) -> str:
        """What the embedder and BM25 see: title and section give a short chunk its context."""
        head = self.title if not self.section or self.section == self.title else f"{self.title} — {self.section}"
        return f"{head}\n{self.text}"


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    doc_id: str
    title: str
    text: str
    score: float
    doc_type: str
    language: str
    url: str
    page: int | None
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Product:
    sku: str
    name_de: str
    name_en: str
    family: str
    series: str
    material: str
    seal_material: str
    connection: str
    size: str
    temp_min_c: float
    temp_max_c: float
    pressure_max_bar: float
    certifications: tuple[str, ...]
    media: tuple[str, ...]
    industries: tuple[str, ...]
    status: str
    successor_sku: str
    list_price_eur: float
    price_unit: str
    min_order_qty: int
    lead_time_days: int
    stock_qty: int
    datasheet_id: str

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_de

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass
class BuildReport:
    """What a build did; ``issues`` lists every skipped or suspicious input with file and line."""

    version: str | None = None
    built: bool = False
    refused: bool = False
    unchanged: bool = False
    documents: int = 0
    chunks: int = 0
    products: int = 0
    embedded: int = 0
    reused: int = 0
    units: int = 0  # quotable sentences and table rows, embedded for passage choice
    units_embedded: int = 0
    duration_s: float = 0.0
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.refused and not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "built": self.built,
            "refused": self.refused,
            "unchanged": self.unchanged,
            "documents": self.documents,
            "chunks": self.chunks,
            "products": self.products,
            "embedded": self.embedded,
            "reused": self.reused,
            "duration_s": round(self.duration_s, 3),
            "issues": [
                {"path": i.path, "line": i.line, "message": i.message, "severity": i.severity} for i in self.issues
            ],
        }


@dataclass(frozen=True)
class KnowledgeAnswer:
    messages: list[dict[str, Any]]
    answered: bool
    top_score: float
    reason: str | None = None  # why unanswered: "no_documents" | "low_score" | "no_product_match" | "not_specified"
    hits: tuple[Hit, ...] = ()
    verdict: str | None = None  # suitability: "yes" | "no" | "only_if" | "not_specified"
