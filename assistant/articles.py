"""Article numbers as a supplier writes them, and finding the catalogue's numbers in a message.

The demo catalogue's numbers follow one pattern (``3S-1208``, ``QC-300-08``); real suppliers' do not: digits
only (``4711020``), dots (``12.345.67``), spaces (``123 456 78``). Such a number is accepted when it is made of
capital letters and digits in groups joined by single spaces, dots or hyphens, at most 20 characters (the
commerce database's article column), and in chat it is recognised by looking it up in the catalogue, never by a
pattern: ``4711`` is an article only when the catalogue has an article ``4711``.

Both checks are linear in their input: the groups of the pattern are separated by a character the groups cannot
contain, and the lookup tries at most ``MAX_GROUPS`` groups from each position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_SKU_CHARS = 20
MAX_GROUPS = 6
SUPPLIER_SKU_RE = re.compile(r"[A-Z0-9]+(?:[ .\-][A-Z0-9]+)*")
_TOKEN = re.compile(r"[A-Za-z0-9]+")


def is_supplier_sku(value: str) -> bool:
    """A supplier's article number: capital letters and digits, groups joined by one space, dot or hyphen."""
    return len(value) <= MAX_SKU_CHARS and SUPPLIER_SKU_RE.fullmatch(value) is not None


def lookup_key(value: str) -> str:
    """How a number is compared with what people type: capitals, separators as written, spaces collapsed."""
    return " ".join(value.upper().split())


def lookup_table(skus: Iterable[str]) -> dict[str, str]:
    """Catalogue numbers by their lookup key (built once per catalogue version)."""
    return {lookup_key(s): s for s in skus}


def _joined(text: str, start: int, end: int) -> bool:
    """True when the span is part of a longer number: "4711" in "4711-2" or "12.4711"."""
    after = text[end:end + 2]
    before = text[max(0, start - 2):start]
    return (len(after) == 2 and after[0] in ".-" and after[1].isalnum()) or (
        len(before) == 2 and before[1] in ".-" and before[0].isalnum())


def find_known(text: str, known: Mapping[str, str], limit: int = 50) -> list[str]:
    """The catalogue's article numbers named in ``text``, in order, whole groups only ("4711" not in "47110")."""
    tokens = list(_TOKEN.finditer(text[:4000]))
    found: list[str] = []
    i = 0
    while i < len(tokens) and len(found) < limit:
        best: tuple[int, str] | None = None
        for j in range(i, min(i + MAX_GROUPS, len(tokens))):
            if j > i:
                gap = text[tokens[j - 1].end():tokens[j].start()]
                if gap not in (".", "-") and not (gap.isspace() and len(gap) <= 3):
                    break
            sku = known.get(lookup_key(text[tokens[i].start():tokens[j].end()]))
            if sku is not None and not _joined(text, tokens[i].start(), tokens[j].end()):
                best = (j, sku)
        if best is None:
            i += 1
            continue
        if best[1] not in found:
            found.append(best[1])
        i = best[0] + 1
    return found
