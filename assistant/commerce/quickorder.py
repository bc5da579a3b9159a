"""Quick order: article numbers and quantities typed or pasted in one message ("3S-1208 x 20, QC-300-08 5").

Parsing is deliberately strict: only tokens that look like article numbers become lines, and the quantity
is the number right after it (default 1 is NOT assumed: a line without quantity is reported back).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.commerce.reorder import DraftQuote, DraftService, get_draft_service
from assistant.commerce.validation import Identity

_LINE_RE = re.compile(
    r"(?P<sku>\b[A-Za-z0-9]{2,5}-[0-9]{3,4}(?:-[0-9A-Za-z]{2,3})?\b)"
    r"(?:\s*(?:[x×*:]|,)?\s*(?P<qty>-?[0-9]{1,9})(?![0-9\-]))?"
)


@dataclass(frozen=True)
class ParsedLines:
    lines: tuple[tuple[str, int], ...]
    without_quantity: tuple[str, ...]


def parse_lines(text: str) -> ParsedLines:
    """Find (sku, qty) pairs in free text; at most 100 lines and 4000 characters are read."""
    lines: list[tuple[str, int]] = []
    missing: list[str] = []
    for match in _LINE_RE.finditer(text[:4000]):
        sku = match.group("sku").upper()
        qty = match.group("qty")
        if qty is None:
            missing.append(sku)
        else:
            lines.append((sku, int(qty)))
        if len(lines) + len(missing) >= 100:
            break
    return ParsedLines(tuple(lines), tuple(missing))


class QuickOrderService:
    def __init__(self, drafts: DraftService | None = None):
        self.drafts = drafts or get_draft_service()

    def draft(
        self, identity: Identity, lines: Sequence[tuple[str, object]], po_reference: str | None = None
    ) -> DraftQuote:
        return self.drafts.from_lines(identity, lines, po_reference)

    def draft_from_text(self, identity: Identity, text: str) -> tuple[DraftQuote | None, ParsedLines]:
        parsed = parse_lines(text)
        if not parsed.lines:
            return None, parsed
        return self.drafts.from_lines(identity, list(parsed.lines)), parsed
