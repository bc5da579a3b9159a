"""Chunking along headings and tables, with stable chunk ids.

A chunk id is ``<doc_id>#<section-slug>`` plus ``-<n>`` for the n-th piece of a long
section or table, and ``<doc_id>#p<page>-<n>`` for PDFs. It depends only on the
document's own structure, so editing one section leaves the ids (and cached embeddings)
of the other sections alone, and a source link keeps pointing at the same place.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.retrieval.models import Chunk, Document
from assistant.retrieval.tokenize import fold

MAX_CHARS = 900
TABLE_ROWS = 8
_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def slug(text: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return value[:60] or "section"


def _split_long(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Split on paragraphs, then sentences, never in the middle of a sentence if avoidable."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    units: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        if len(para) <= limit:
            units.append(para)
        else:
            for sentence in re.split(r"(?<=[.!?])\s+", para):
                units.extend(_hard_split(sentence, limit))
    for unit in units:
        if current and len(current) + len(unit) + 2 > limit:
            pieces.append(current)
            current = unit
        else:
            current = f"{current}\n\n{unit}" if current else unit
    if current:
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def _hard_split(text: str, limit: int) -> list[str]:
    """PDF tables come out as long runs without full stops: cut at line ends, then at spaces."""
    if len(text) <= limit:
        return [text]
    out: list[str] = []
    current = ""
    for piece in re.split(r"(\n)", text):
        for word in [piece] if len(piece) <= limit else piece.split(" "):
            if current and len(current) + len(word) + 1 > limit:
                out.append(current.strip())
                current = ""
            current += word if word == "\n" or not current else (" " + word if not current.endswith("\n") else word)
    if current.strip():
        out.append(current.strip())
    return [o for o in out if o]


def _blocks(lines: list[str]) -> list[tuple[str, str]]:
    """Split a section body into ('text'|'table', content) blocks."""
    blocks: list[tuple[str, str]] = []
    buf: list[str] = []
    kind = "text"
    for line in lines:
        line_kind = "table" if _TABLE_ROW.match(line) else "text"
        if line_kind != kind and buf:
            blocks.append((kind, "\n".join(buf)))
            buf = []
        kind = line_kind
        buf.append(line)
    if buf:
        blocks.append((kind, "\n".join(buf)))
    return [(k, c) for k, c in blocks if c.strip()]


def _table_pieces(table: str) -> list[str]:
    """Tables are chunked by rows with the header repeated, so each piece is readable alone."""
    rows = [r for r in table.splitlines() if r.strip()]
    if len(rows) >= 2 and _TABLE_SEP.match(rows[1]):
        header, body = rows[:2], rows[2:]
    else:
        header, body = [], rows
    if not body:
        return ["\n".join(header)]
    return ["\n".join(header + body[i : i + TABLE_ROWS]) for i in range(0, len(body), TABLE_ROWS)]


def chunk_markdown(doc: Document, url: str, metadata: dict) -> list[Chunk]:
    sections: list[tuple[str, list[str]]] = [("", [])]
    path: list[str] = []
    in_code = False
    for line in doc.text.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match:
            level = len(match.group(1))
            path = [*path[: level - 1], match.group(2).strip()]
            sections.append((" › ".join(path[-2:]), []))
        else:
            sections[-1][1].append(line)
    chunks: list[Chunk] = []
    used: dict[str, int] = {}
    taken: set[str] = set()
    for heading, body in sections:
        blocks = _blocks(body)
        if not blocks:
            continue
        base = slug(heading) if heading else "intro"
        used[base] = used.get(base, 0) + 1
        if used[base] > 1:
            base = f"{base}-{used[base]}"
        for n, piece in enumerate(_section_pieces(blocks)):
            chunk_id = _unique(f"{doc.doc_id}#{base}" + (f"-{n + 1}" if n else ""), taken)
            chunks.append(_chunk(doc, chunk_id, heading or doc.title, piece, url, None, metadata))
    return chunks


def _unique(chunk_id: str, taken: set[str]) -> str:
    """Long headings share their 60-character slug, and a section's second piece ("-2") can meet the second
    section of that slug ("-2"): two chunks with one id, and everything keyed by id mixed them up."""
    candidate, n = chunk_id, 1
    while candidate in taken:
        n += 1
        candidate = f"{chunk_id}~{n}"
    taken.add(candidate)
    return candidate


def chunk_pdf(doc: Document, url: str, metadata: dict) -> list[Chunk]:
    """Per page, along headings like Markdown (tables kept whole, header repeated per piece).

    Ids stay ``<doc_id>#p<page>-<n>``, counted per page; the section names the last heading
    (carried over from the previous page) so that a table piece keeps its context.
    """
    chunks = []
    heading = ""
    for page, text in doc.pages:
        pieces: list[tuple[str, str]] = []
        body: list[str] = []
        for line in re.sub(r"[ \t]+", " ", text).splitlines():
            match = _HEADING.match(line)
            if match is None:
                body.append(line)
                continue
            pieces.extend((heading, piece) for piece in _section_pieces(_blocks(body)))
            body, heading = [], match.group(2).strip()
        pieces.extend((heading, piece) for piece in _section_pieces(_blocks(body)))
        for n, (section, piece) in enumerate(pieces):
            chunk_id = f"{doc.doc_id}#p{page}" + (f"-{n + 1}" if n else "")
            label = f"{section or doc.title} (S./p. {page})"
            chunks.append(_chunk(doc, chunk_id, label, piece, f"{url}#page={page}", page, metadata))
    return chunks


def _section_pieces(blocks: list[tuple[str, str]]) -> list[str]:
    """Text split at paragraphs and sentences, tables by rows with the header repeated."""
    pieces: list[str] = []
    text_buf = ""
    for kind, content in blocks:
        if kind == "table":
            if text_buf.strip():
                pieces.extend(_split_long(text_buf.strip()))
                text_buf = ""
            pieces.extend(_table_pieces(content))
        else:
            text_buf += content + "\n"
    if text_buf.strip():
        pieces.extend(_split_long(text_buf.strip()))
    return pieces


def _chunk(doc: Document, chunk_id: str, section: str, text: str, url: str, page: int | None, metadata: dict) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        doc_id=doc.doc_id,
        title=doc.title,
        section=section,
        text=text,
        doc_type=doc.doc_type,
        language=doc.language,
        url=url,
        page=page,
        metadata=metadata,
    )


def chunk_document(doc: Document, url_for: Callable[[Document], str], metadata: dict | None = None) -> list[Chunk]:
    """All chunks of one document; ``metadata`` is the filterable metadata shared by its chunks."""
    meta = metadata if metadata is not None else {}
    url = url_for(doc)
    if doc.kind == "pdf":
        return chunk_pdf(doc, url, meta)
    if doc.kind == "product":
        return [_chunk(doc, doc.doc_id, doc.title, doc.text, url, None, meta)]
    return chunk_markdown(doc, url, meta)
