"""KnowledgeService: the one entry point the actions, admin pages and CLI use.

Lazy: nothing loads until the first call; the embedding model and the index load then,
once, under a lock. Every call on the query path checks (at most every
``settings.index_poll_s``) whether ``CURRENT`` names a new version and swaps it in, so a
`kb build` or `kb add` in another process is live without a restart.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.retrieval import content
from assistant.retrieval.answering import Answerer
from assistant.retrieval.cad import envelope
from assistant.retrieval.embedders import Embedder, make_embedder
from assistant.retrieval.index import IndexStore, LoadedIndex
from assistant.retrieval.loaders import MAX_FILE_BYTES, SKU_RE
from assistant.retrieval.models import (
    BuildRefused,
    BuildReport,
    DocumentNotFound,
    Hit,
    IndexNotBuilt,
    KnowledgeAnswer,
    KnowledgeError,
    Product,
)
from assistant.retrieval.search import Filters
from assistant.retrieval.urls import cad_url, kb_url, product_url
from assistant.settings import Settings, get_settings

_QUOTABLE = ("datasheet", "use_case", "faq", "guide")




class KnowledgeService:
    def __init__(
        self,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        store: IndexStore | None = None,
        auto_build: bool = True,
    ) -> None:
        self._settings = settings or get_settings()
        self._embedder = embedder
        self._store = store
        self._auto_build = auto_build
        self._lock = threading.RLock()
        self._loaded: LoadedIndex | None = None
        self._answerer: Answerer | None = None
        self._last_poll = 0.0

    # ------------------------------------------------------------ wiring
    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = make_embedder(self._settings.embedding_backend, self._settings.embedding_model)
        return self._embedder

    @property
    def store(self) -> IndexStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = IndexStore(
                        self._settings.resolved_index_dir,
                        self._settings.knowledge_dir,
                        self.embedder,
                        self._settings.public_url,
                        self._settings.index_kind,
                        max_file_bytes=max(MAX_FILE_BYTES, self._settings.max_upload_bytes),
                    )
        return self._store

    def _index(self) -> LoadedIndex:
        """The live index, reloaded when another process swapped ``CURRENT``."""
        now = time.monotonic()
        loaded = self._loaded
        if loaded is not None and now - self._last_poll < self._settings.index_poll_s:
            return loaded
        with self._lock:
            self._last_poll = time.monotonic()
            version = self.store.current_version()
            if version is None and self._auto_build:
                self.store.build()
                version = self.store.current_version()
            if version is None:
                raise IndexNotBuilt("no knowledge index; run `assistant kb build`")
            if self._loaded is None or self._loaded.version != version:
                try:
                    self._loaded = self.store.load(version)
                except IndexNotBuilt:
                    if self._loaded is None:
                        raise
                    # pruned between read and load: keep serving the old version until the next poll
            return self._loaded

    def refresh(self) -> str:
        """Force a pointer check now (tests and the admin page use it)."""
        self._last_poll = 0.0
        return self._index().version

    # ------------------------------------------------------------ queries
    def search(
        self, query: str, k: int = 8, filters: Filters | dict[str, Any] | None = None, mode: str = "hybrid"
    ) -> list[Hit]:
        if not query or not query.strip():
            return []
        return self._index().searcher.search(query[:2000], k=k, filters=filters, mode=mode)

    def products(self) -> list[Product]:
        return list(self._index().products.values())

    def product(self, sku: str) -> Product | None:
        return self._index().products.get((sku or "").strip().upper())

    def doc_url(self, doc_id: str) -> str | None:
        info = self._index().manifest.get("documents", {}).get(doc_id)
        if info is None:
            return None
        return kb_url(self._settings.public_url, doc_id, info.get("kind", "markdown"))

    def cad_url(self, sku: str) -> str | None:
        """Download link of the article's CAD envelope, or None when its catalogue row defines no shape."""
        product = self.product(sku)
        if product is None or envelope(product) is None:
            return None
        return cad_url(self._settings.public_url, product.sku)

    def status(self) -> dict[str, Any]:
        loaded = self._index()
        m = loaded.manifest
        return {
            "version": loaded.version,
            "built_at": m.get("created"),
            "embedder": m.get("embedder"),
            "index_kind": m.get("index_kind"),
            "counts": m.get("counts", {}),
            "issues": m.get("issues", []),
        }

    def answerer(self) -> Answerer:
        """The answer engine of the live index version (built once per version)."""
        loaded = self._index()
        answerer = self._answerer
        if answerer is None or answerer.loaded is not loaded:
            with self._lock:
                if self._answerer is None or self._answerer.loaded is not loaded:
                    self._answerer = Answerer(loaded, self.embedder.name)
                answerer = self._answerer
        return answerer

    def answer(self, question: str, language: str = "de", context_sku: str | None = None) -> KnowledgeAnswer:
        """The direct answer first (verdict, value or "not specified"), then quotes, products and sources."""
        sku = context_sku.strip().upper() if context_sku and SKU_RE.match(context_sku.strip().upper()) else None
        return self.answerer().answer(
            question, language, sku, lambda s: product_url(self._settings.public_url, s), self.doc_url
        )

    # ------------------------------------------------------------ content changes
    def build(self, force: bool = False, strict: bool = False) -> BuildReport:
        report = self.store.build(force=force, strict=strict)
        self.refresh()
        return report

    def add(self, path: str | Path) -> BuildReport:
        """Copy a document (and its .meta.yml sidecar) into the knowledge folder and rebuild, or change nothing.

        The copy is checked on a staging folder first: a file the loader refuses is not copied (BuildRefused with
        the file's issues), and a build that fails after the copy puts the folder back as it was.
        """
        src = Path(path).resolve()
        if not src.is_file():
            raise DocumentNotFound(f"{src} does not exist")
        if src.suffix.lower() not in (".md", ".pdf", ".csv"):
            raise KnowledgeError(f"{src.name}: only .md, .pdf (with .meta.yml) and products*.csv can be added")
        root = self._settings.knowledge_dir.resolve()
        if src.is_relative_to(root):
            return self.build()
        files = content.files_to_add(src)
        return self._change(root, files, (), src.name)

    def remove(self, doc_id: str) -> BuildReport:
        """Delete a document's file from the knowledge folder and rebuild; products live in the CSV."""
        if doc_id.startswith("product:"):
            raise KnowledgeError("articles are removed by editing products.csv, not one by one")
        info = self._index().manifest.get("documents", {}).get(doc_id)
        if info is None:
            raise DocumentNotFound(f"no document {doc_id!r} in the live index")
        root = self._settings.knowledge_dir.resolve()
        path = (root / info["source"]).resolve()
        if not path.is_relative_to(root):
            raise KnowledgeError("document source is outside the knowledge folder")
        removed = [p.relative_to(root).as_posix()
                   for p in (path, path.with_suffix(".meta.yml"), path.with_name(path.name + ".meta.yml"))
                   if p.is_file()]
        return self._change(root, {}, removed, doc_id)

    def _change(self, root: Path, files: dict[str, bytes], removed: list[str] | tuple[str, ...],
                name: str) -> BuildReport:
        max_bytes = max(MAX_FILE_BYTES, self._settings.max_upload_bytes)
        issues = content.introduced_issues(root, files, max_bytes, removed)
        if any(i.severity == "error" for i in issues):
            raise BuildRefused(f"{name}: not changed, the knowledge folder is as it was", BuildReport(
                refused=True, issues=issues))
        applied = content.apply(root, files, removed)
        try:
            report = self.build()
        except BaseException:
            applied.undo()
            raise
        known = {str(i) for i in report.issues}
        report.issues.extend(i for i in issues if str(i) not in known)
        return report


_factory_lock = threading.Lock()


@lru_cache(maxsize=1)
def _default_service() -> KnowledgeService:
    return KnowledgeService()


def get_knowledge_service() -> KnowledgeService:
    """Process-wide service; cheap to call, loads nothing until first used."""
    with _factory_lock:
        return _default_service()
