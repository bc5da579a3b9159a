"""Versioned on-disk index: build beside the live version, swap a pointer, prune old versions.

Layout under ``settings.resolved_index_dir``::

    CURRENT                 name of the live version (replaced atomically with os.replace)
    versions/<version>/     manifest.json, chunks.json, embeddings.npy, faiss.index,
                            bm25.npz, bm25.json, products.json,
                            units.json + units.npy (every quotable sentence/table row, embedded)
    .build.lock             one builder at a time (flock)

Why this shape: readers never see a half-written index. A build writes a complete new
folder (first as ``.tmp-<version>``, renamed when complete), then replaces ``CURRENT``.
Every process polls ``CURRENT`` (cheap: one small read, at most every ``index_poll_s``)
and loads the new version in the background of the query that notices it.

Validation policy (what a broken input does):
- A broken document (bad front matter, encrypted or image-only PDF, empty or oversized
  file, a duplicate id, a reference to an unknown article) is *skipped* and reported with
  file and line; the rest of the build proceeds.
- A broken product row (missing or malformed field, duplicate article number) is skipped
  and reported the same way.
- The whole build is *refused* (live index untouched) when a product CSV is unreadable
  or has the wrong header, or when nothing valid is left to index. ``strict=True``
  refuses on any error at all (the CLI's ``kb build --strict``).

Unchanged chunks are not re-embedded: vectors are reused by a content hash of
(embedder name, chunk text) from the live version. The same holds for the quotable units
(sentences and table rows) of the document chunks, which answers score against the question.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from assistant.retrieval.chunking import chunk_document
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.glossary import Glossary, glossary_to_data, load_glossary, parse_glossary
from assistant.retrieval.loaders import MAX_FILE_BYTES, content_hash, load_all, product_document
from assistant.retrieval.models import (
    BuildRefused,
    BuildReport,
    Chunk,
    Document,
    IndexNotBuilt,
    Issue,
    Product,
)
from assistant.retrieval.passages import passage_units
from assistant.retrieval.search import BM25Index, Searcher, build_faiss
from assistant.retrieval.tokenize import Tokenizer, words
from assistant.retrieval.urls import kb_url

KEEP_VERSIONS = 3
FORMAT = 6  # 2: units.json/units.npy; 3: glossary.json; 4, 5: no sentence ends after an abbreviation; 6: unique ids


@dataclass
class LoadedIndex:
    version: str
    manifest: dict[str, Any]
    searcher: Searcher
    products: dict[str, Product]
    glossary: Glossary = field(default_factory=Glossary)


def _now_version() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(2)


def _chunk_to_dict(c: Chunk, h: str) -> dict[str, Any]:
    return {
        "id": c.chunk_id,
        "doc": c.doc_id,
        "title": c.title,
        "section": c.section,
        "text": c.text,
        "type": c.doc_type,
        "lang": c.language,
        "url": c.url,
        "page": c.page,
        "meta": c.metadata,
        "h": h,
    }


def _chunk_from_dict(d: dict[str, Any]) -> Chunk:
    return Chunk(
        d["id"],
        d["doc"],
        d["title"],
        d["section"],
        d["text"],
        d["type"],
        d["lang"],
        d["url"],
        d["page"],
        d["meta"],
    )


class IndexStore:
    """Builds and loads index versions in one directory; safe for many readers and one builder."""

    def __init__(
        self,
        root: Path,
        knowledge_dir: Path,
        embedder: Embedder,
        public_url: str,
        index_kind: str = "auto",
        keep: int = KEEP_VERSIONS,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.root = Path(root)
        self.knowledge_dir = Path(knowledge_dir)
        self.embedder = embedder
        self.public_url = public_url
        self.index_kind = index_kind
        self.keep = max(1, keep)
        self.max_file_bytes = max_file_bytes

    # ---------------------------------------------------------------- pointer
    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    def current_version(self) -> str | None:
        try:
            value = (self.root / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return value or None

    def _swap(self, version: str) -> None:
        tmp = self.root / f".CURRENT.{os.getpid()}.{secrets.token_hex(3)}"
        tmp.write_text(version + "\n", encoding="utf-8")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / "CURRENT")

    @contextlib.contextmanager
    def _build_lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".build.lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _prune(self) -> None:
        if not self.versions_dir.is_dir():
            return
        current = self.current_version()
        versions = sorted(p.name for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        keep = set(versions[-self.keep :]) | ({current} if current else set())
        for name in versions:
            if name not in keep:
                shutil.rmtree(self.versions_dir / name, ignore_errors=True)
        for stale in self.versions_dir.glob(".tmp-*"):  # crashed builds
            if time.time() - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True)

    # ---------------------------------------------------------------- build
    def _url_for(self, doc: Document) -> str:
        return kb_url(self.public_url, doc.doc_id, doc.kind)

    def _doc_metadata(self, doc: Document, products: dict[str, Product]) -> dict[str, Any]:
        if doc.kind == "product":
            return dict(doc.metadata)
        skus = list(doc.metadata.get("products", []))
        families = sorted({products[s].family for s in skus if s in products})
        meta: dict[str, Any] = {
            "products": skus,
            "families": families,
            "industries": list(doc.metadata.get("industries", [])),
            "certifications": list(doc.metadata.get("certifications", [])),
            "kind": doc.kind,
            "source": doc.source,
        }
        for key in ("series", "family"):
            if doc.metadata.get(key):
                meta[key] = doc.metadata[key]
        if doc.metadata.get("family") and doc.metadata["family"] not in families:
            meta["families"] = [*families, doc.metadata["family"]]
        return meta

    def _reusable_vectors(self) -> dict[str, np.ndarray]:
        """Vectors of the live version by content hash, when it was built by the same embedder."""
        version = self.current_version()
        if not version:
            return {}
        folder = self.versions_dir / version
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("embedder") != self.embedder.name:
                return {}
            chunks = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
            vectors = np.load(folder / "embeddings.npy")
        except (OSError, ValueError, KeyError):
            return {}
        cache = {c["h"]: vectors[i] for i, c in enumerate(chunks) if i < len(vectors)}
        with contextlib.suppress(OSError, ValueError):
            units = json.loads((folder / "units.json").read_text(encoding="utf-8"))
            unit_vectors = np.load(folder / "units.npy")
            for i, text in enumerate(units):
                if i < len(unit_vectors):
                    cache.setdefault(self._unit_hash(text), unit_vectors[i])
        return cache

    def _unit_hash(self, text: str) -> str:
        return content_hash(self.embedder.name + "\x00unit\x00" + text)

    def _embed(self, texts: list[str], hashes: list[str], cache: dict[str, np.ndarray]) -> tuple[np.ndarray, int]:
        """Vectors for ``texts``: reused from ``cache`` by hash, the rest embedded now; (vectors, embedded)."""
        missing = [i for i, h in enumerate(hashes) if h not in cache]
        fresh = self.embedder.encode([texts[i] for i in missing]) if missing else None
        dim = (
            fresh.shape[1]
            if fresh is not None
            else (next(iter(cache.values())).shape[0] if cache else self.embedder.dim)
        )
        vectors = np.zeros((len(texts), dim), dtype=np.float32)
        for j, i in enumerate(missing):
            vectors[i] = fresh[j]  # type: ignore[index]
        for i, h in enumerate(hashes):
            if h in cache:
                vectors[i] = cache[h]
        return vectors, len(missing)

    def build(self, force: bool = False, strict: bool = False) -> BuildReport:
        started = time.perf_counter()
        with self._build_lock():
            report = self._build_locked(force, strict)
        report.duration_s = time.perf_counter() - started
        return report

    def _build_locked(self, force: bool, strict: bool) -> BuildReport:
        report = BuildReport()
        loaded = load_all(self.knowledge_dir, self.max_file_bytes)
        report.issues.extend(loaded.issues)
        glossary, glossary_issues, glossary_text = load_glossary(self.knowledge_dir)
        report.issues.extend(glossary_issues)
        if loaded.fatal:
            report.refused = True
            raise BuildRefused("product catalogue unreadable; live index left unchanged", report)
        if strict and report.errors:
            report.refused = True
            raise BuildRefused("strict build refused because of input errors", report)
        products = {p.sku: p for p in loaded.products}
        documents = list(loaded.documents) + [
            product_document(p, loaded.product_sources.get(p.sku, "")) for p in loaded.products
        ]
        if not documents:
            report.refused = True
            report.issues.append(Issue(str(self.knowledge_dir), 0, "nothing valid to index"))
            raise BuildRefused("nothing valid to index; live index left unchanged", report)

        doc_hashes = {d.doc_id: d.content_hash for d in documents}
        fingerprint = content_hash(
            json.dumps([self.embedder.name, self.index_kind, FORMAT, sorted(doc_hashes.items()),
                        content_hash(glossary_text)])
        )
        current = self.current_version()
        if current and not force:
            with contextlib.suppress(OSError, ValueError):
                manifest = json.loads((self.versions_dir / current / "manifest.json").read_text("utf-8"))
                if manifest.get("fingerprint") == fingerprint:
                    report.unchanged = True
                    report.version = current
                    counts = manifest.get("counts", {})
                    report.documents = counts.get("documents", 0)
                    report.chunks = counts.get("chunks", 0)
                    report.products = counts.get("products", 0)
                    return report

        chunks: list[Chunk] = []
        for doc in documents:
            chunks.extend(chunk_document(doc, self._url_for, self._doc_metadata(doc, products)))
        texts = [c.embed_text for c in chunks]
        hashes = [content_hash(self.embedder.name + "\x00" + t) for t in texts]
        cache = self._reusable_vectors()
        vectors, embedded = self._embed(texts, hashes, cache)
        report.embedded = embedded
        report.reused = len(chunks) - embedded
        units = sorted({u for c in chunks if c.doc_type != "product" for u in passage_units(c.text)})
        unit_vectors, report.units_embedded = self._embed(units, [self._unit_hash(u) for u in units], cache)
        report.units = len(units)

        vocabulary = {w for t in texts for w in words(t)}
        tokenizer = Tokenizer(vocabulary)
        bm25 = BM25Index.build([tokenizer.tokenize(t) for t in texts], tokenizer)
        faiss_index = build_faiss(vectors, self.index_kind)

        version = _now_version()
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.versions_dir / f".tmp-{version}"
        tmp.mkdir()
        try:
            self._write(
                tmp,
                version,
                fingerprint,
                documents,
                chunks,
                hashes,
                vectors,
                bm25,
                faiss_index,
                loaded.products,
                report,
                (units, unit_vectors),
                glossary,
            )
            os.replace(tmp, self.versions_dir / version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._swap(version)
        self._prune()
        report.version = version
        report.built = True
        report.documents = len(loaded.documents)
        report.chunks = len(chunks)
        report.products = len(loaded.products)
        return report

    def _write(
        self,
        folder: Path,
        version: str,
        fingerprint: str,
        documents: list[Document],
        chunks: list[Chunk],
        hashes: list[str],
        vectors: np.ndarray,
        bm25: BM25Index,
        faiss_index,
        products: list[Product],
        report: BuildReport,
        units: tuple[list[str], np.ndarray],
        glossary: Glossary,
    ) -> None:
        import faiss

        (folder / "chunks.json").write_text(
            json.dumps([_chunk_to_dict(c, h) for c, h in zip(chunks, hashes, strict=True)], ensure_ascii=False),
            encoding="utf-8",
        )
        np.save(folder / "embeddings.npy", vectors)
        (folder / "units.json").write_text(json.dumps(units[0], ensure_ascii=False), encoding="utf-8")
        np.save(folder / "units.npy", units[1])
        faiss.write_index(faiss_index, str(folder / "faiss.index"))
        sparse.save_npz(folder / "bm25.npz", bm25.weights.tocsr(), compressed=False)
        (folder / "bm25.json").write_text(
            json.dumps(
                {"vocab": bm25.vocab, "compound_vocabulary": sorted(bm25.tokenizer.vocabulary)},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        (folder / "products.json").write_text(
            json.dumps([asdict(p) for p in products], ensure_ascii=False), encoding="utf-8"
        )
        (folder / "glossary.json").write_text(json.dumps(glossary_to_data(glossary), ensure_ascii=False), "utf-8")
        manifest = {
            "format": FORMAT,
            "version": version,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "embedder": self.embedder.name,
            "dim": int(vectors.shape[1]) if vectors.ndim == 2 else 0,
            "index_kind": type(faiss_index).__name__,
            "fingerprint": fingerprint,
            "counts": {
                "documents": sum(1 for d in documents if d.kind != "product"),
                "chunks": len(chunks),
                "products": len(products),
                "embedded": report.embedded,
                "reused": report.reused,
                "units": report.units,
                "units_embedded": report.units_embedded,
            },
            "documents": {
                d.doc_id: {
                    "hash": d.content_hash,
                    "source": d.source,
                    "type": d.doc_type,
                    "language": d.language,
                    "title": d.title,
                    "kind": d.kind,
                }
                for d in documents
                if d.kind != "product"
            },
            "issues": [str(i) for i in report.issues],
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")

    # ---------------------------------------------------------------- load
    def load(self, version: str | None = None) -> LoadedIndex:
        import faiss

        version = version or self.current_version()
        if not version:
            raise IndexNotBuilt(f"no index under {self.root}; run `assistant kb build`")
        folder = self.versions_dir / version
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            chunks = [_chunk_from_dict(d) for d in json.loads((folder / "chunks.json").read_text("utf-8"))]
            bm25_meta = json.loads((folder / "bm25.json").read_text(encoding="utf-8"))
            weights = sparse.load_npz(folder / "bm25.npz").tocsr()
            index = faiss.read_index(str(folder / "faiss.index"))
            units = json.loads((folder / "units.json").read_text(encoding="utf-8"))
            unit_vectors = np.load(folder / "units.npy")
            glossary, _ = parse_glossary(json.loads((folder / "glossary.json").read_text(encoding="utf-8")))
            products = [
                Product(
                    **{
                        **p,
                        "certifications": tuple(p["certifications"]),
                        "media": tuple(p["media"]),
                        "industries": tuple(p["industries"]),
                    }
                )
                for p in json.loads((folder / "products.json").read_text(encoding="utf-8"))
            ]
        except FileNotFoundError as exc:
            raise IndexNotBuilt(f"index version {version} is incomplete or was pruned") from exc
        if manifest.get("embedder") != self.embedder.name:
            raise IndexNotBuilt(
                f"index {version} was built with {manifest.get('embedder')}, "
                f"this process uses {self.embedder.name}; rebuild with `assistant kb build --force`"
            )
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = 64
        tokenizer = Tokenizer(bm25_meta["compound_vocabulary"])
        bm25 = BM25Index(bm25_meta["vocab"], weights, tokenizer)
        searcher = Searcher(chunks, bm25, index, self.embedder, version,
                            units={u: i for i, u in enumerate(units)}, unit_vectors=unit_vectors)
        return LoadedIndex(version, manifest, searcher, {p.sku: p for p in products}, glossary)
