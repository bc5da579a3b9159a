"""Article numbers named in a message, found by looking them up in the catalogue files.

For the actions that read article numbers from text (prices today): a supplier's own numbers ("12.345.67") have no
pattern to match, so the message is compared with every ``products*.csv`` article number. Only the first column
is read, once per change of the files, so this costs neither the index nor the embedding model.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path

from assistant.articles import find_known, lookup_table
from assistant.retrieval.loaders import discover

_lock = threading.Lock()
_cache: dict[str, tuple[tuple[tuple[str, int], ...], dict[str, str]]] = {}


def known_articles(knowledge_dir: Path) -> dict[str, str]:
    """Lookup table of every catalogue article number (assistant.articles.lookup_table)."""
    paths = discover(knowledge_dir)[2]
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in paths)
    key = str(knowledge_dir)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    skus: list[str] = []
    for path in paths:
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh)
                next(reader, None)
                skus.extend(row[0].strip() for row in reader if row and row[0].strip())
        except (OSError, UnicodeDecodeError):
            continue
    table = lookup_table(skus)
    with _lock:
        _cache[key] = (stamp, table)
    return table


def articles_in(text: str, knowledge_dir: Path) -> list[str]:
    return find_known(text, known_articles(knowledge_dir))
