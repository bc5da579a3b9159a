"""The quotable units of a chunk: sentences and table rows.

Shared by the index build (which embeds every unit once, so answering a question never embeds a document
sentence again) and by the answer composer (which picks the unit that answers best).
"""

from __future__ import annotations

import re

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9„\"(])")
# A full stop after these ends no sentence ("ca. 180 °C", "z. B. PA12", "max. 10 bar", "Nr. 4711").
_ABBREVIATION = re.compile(
    r"(?:\b(?:ca|z\.\s?b|d\.\s?h|u\.\s?a|bzw|max|min|mind|inkl|zzgl|ggf|evtl|nr|no|vgl|etc|approx|e\.g|i\.e|"
    r"incl|acc|resp|st|gr|abs|art|bzgl|usw|pp|ff|[a-z]))\.$",
    re.IGNORECASE,
)


def _sentences(text: str) -> list[str]:
    pieces = _SENT_SPLIT.split(text)
    out: list[str] = []
    for piece in pieces:
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


_BLOCK_START = re.compile(r"^\s*(\||#|[-*+]\s|>|\d+[.)]\s)")


def _logical_lines(text: str) -> list[str]:
    """Join wrapped lines of a paragraph or list item, so a quote never ends where the source wrapped."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.replace("**", "").replace("__", "")
        if lines and line.strip() and lines[-1].strip() and not _BLOCK_START.match(line) \
                and not lines[-1].lstrip().startswith(("|", "#")):
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return lines


def passage_units(text: str) -> list[str]:
    """Sentences and table rows; a table row is rendered as 'header: value' pairs."""
    lines = _logical_lines(text)
    units: list[str] = []
    header: list[str] | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if header is None and re.fullmatch(r"\|?\s*:?-{2,}.*", nxt):
                header = cells
                continue
            if header and len(header) == len(cells):
                units.append("; ".join(f"{h}: {c}" for h, c in zip(header, cells, strict=True) if c))
            else:
                units.append(" | ".join(cells))
            continue
        header = None if not stripped else header
        stripped = re.sub(r"^[#>*\-\s]+", "", stripped)
        if stripped:
            units.extend(s.strip() for s in _sentences(stripped) if len(s.strip()) > 2)
    return units
