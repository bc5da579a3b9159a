"""PDF pages as readable text: headings and paragraphs as lines, ruled tables as Markdown pipe tables.

Why: plain text extraction (pypdf) returns a ruled table one cell per line, so a datasheet
row's article number, temperature and pressure never end up in one quotable unit, and a
PDF-only datasheet cannot be quoted or checked. pdfplumber finds the table grid; each table
becomes a pipe table (header, separator, one line per row) that the chunker keeps whole and
:func:`assistant.retrieval.passages.passage_units` renders as "header: value; ..." per row.
Characters inside a table are not repeated as loose text; a cell's lines are joined with a space.

A PDF is input from outside: :func:`read_pdf` parses it in a child process with a wall-clock
timeout and a memory cap, reads at most ``max_pages`` pages, stops early when the time budget
is spent, and reads a page with very many drawn objects without table detection (the grid
search is the superlinear part). When pdfplumber fails on a file, pypdf's plain text is used
and a note says so.

Known limits: only ruled tables (drawn grid lines) are found; an unruled table comes out as
one text line per visual row. Text lines are ordered top to bottom across the page width, so
a two-column layout interleaves its columns.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PdfLimits:
    """What one PDF may cost. A datasheet has a few pages and a few thousand objects per page."""

    max_pages: int = 100
    timeout_s: float = 30.0  # wall clock for the whole file, child process start included
    max_memory_mb: int = 1024  # address space of the child
    max_page_objects: int = 30_000  # chars + rects + lines + curves; above it: no table detection


DEFAULT_LIMITS = PdfLimits()


@dataclass(frozen=True)
class PdfText:
    pages: tuple[tuple[int, str], ...]  # (1-based page number, Markdown-ish text); pages without text left out
    notes: tuple[str, ...] = ()  # what was not read as usual (page cap, time budget, pypdf fallback)
    reader: str = "pdfplumber"  # or "pypdf" when pdfplumber failed on the file


class PdfError(Exception):
    """The PDF could not be read; the message says why, for the build report."""


class PdfEncrypted(PdfError):
    pass


class PdfUnreadable(PdfError):
    pass


class PdfTooCostly(PdfError):
    """Killed for time or memory: a hostile or pathological file."""


# ------------------------------------------------------------------------------------ isolation
_READ: OrderedDict[tuple[str, PdfLimits], PdfText] = OrderedDict()  # content hash -> text, newest last
_READ_MAX = 256


def read_pdf(data: bytes, limits: PdfLimits = DEFAULT_LIMITS) -> PdfText:
    """Read a PDF in a child process, so no file can hold the build longer than ``timeout_s``
    or take more than ``max_memory_mb`` (pdfminer decompresses whole content streams).

    Every index build loads every PDF; a file read before (same bytes, same limits) is not
    parsed again in this process. Failures are not remembered: a timeout may be the machine's.
    """
    key = (hashlib.sha256(data).hexdigest(), limits)
    if key in _READ:
        _READ.move_to_end(key)
        return _READ[key]
    text = _read_isolated(data, limits)
    _READ[key] = text
    while len(_READ) > _READ_MAX:
        _READ.popitem(last=False)
    return text


def _read_isolated(data: bytes, limits: PdfLimits) -> PdfText:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.run(  # our own interpreter and module; the PDF goes in on stdin
            [sys.executable, "-m", "assistant.retrieval.pdftables", json.dumps(asdict(limits))],
            input=data,
            capture_output=True,
            timeout=limits.timeout_s,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PdfTooCostly(f"reading took longer than {limits.timeout_s:g} s; file skipped") from None
    except OSError as exc:
        raise PdfUnreadable(f"PDF reader could not start ({type(exc).__name__})") from None
    try:
        answer = json.loads(proc.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        if proc.returncode and b"MemoryError" in proc.stderr:
            raise PdfTooCostly(f"reading needed more than {limits.max_memory_mb} MB; file skipped") from None
        raise PdfUnreadable(f"PDF reader stopped (exit code {proc.returncode})") from None
    error = answer.get("error")
    if error == "memory":
        raise PdfTooCostly(f"reading needed more than {limits.max_memory_mb} MB; file skipped")
    if error == "encrypted":
        raise PdfEncrypted("PDF is encrypted; export it without a password")
    if error:
        raise PdfUnreadable(str(answer.get("detail") or "PDF cannot be read"))
    return PdfText(
        pages=tuple((int(n), str(t)) for n, t in answer["pages"]),
        notes=tuple(answer.get("notes", ())),
        reader=str(answer.get("reader", "pdfplumber")),
    )


def _child(argv: list[str]) -> int:
    """Child process: limits as JSON in argv, the PDF on stdin, a JSON answer on stdout."""
    import resource

    limits = PdfLimits(**json.loads(argv[0])) if argv else DEFAULT_LIMITS
    cap = limits.max_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    cpu = int(limits.timeout_s) + 1  # backstop to the parent's wall-clock timeout
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    data = sys.stdin.buffer.read()
    try:
        text = extract(data, limits)
        answer: dict[str, Any] = {"pages": text.pages, "notes": text.notes, "reader": text.reader}
    except PdfEncrypted:
        answer = {"error": "encrypted"}
    except PdfError as exc:
        answer = {"error": "unreadable", "detail": str(exc)}
    except MemoryError:
        answer = {"error": "memory"}
    except Exception as exc:  # whatever a broken file does to either reader, the answer is "unreadable"
        answer = {"error": "unreadable", "detail": f"PDF cannot be read ({_reason(exc)})"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


# ------------------------------------------------------------------------------------ extraction
def extract(data: bytes, limits: PdfLimits = DEFAULT_LIMITS) -> PdfText:
    """In-process extraction (what the child runs): pdfplumber, pypdf if pdfplumber fails."""
    try:
        return _plumb(data, limits)
    except (PdfEncrypted, MemoryError):
        raise
    except Exception as exc:  # any pdfminer failure: try the other reader
        if isinstance(_inner(exc), MemoryError):
            raise MemoryError from exc  # pdfplumber wraps it; a bomb is not a reason to try again
        reason = _reason(exc)
    pages, notes = pypdf_pages(data, limits)
    return PdfText(tuple(pages), (f"tables not recognised: pdfplumber failed ({reason}), read as plain text", *notes),
                   "pypdf")


def _inner(exc: BaseException) -> BaseException:
    """pdfplumber wraps what pdfminer raised."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc


def _reason(exc: BaseException) -> str:
    return type(_inner(exc)).__name__


def pypdf_pages(data: bytes, limits: PdfLimits) -> tuple[list[tuple[int, str]], list[str]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    started = time.monotonic()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PdfEncrypted("encrypted")
        pages: list[tuple[int, str]] = []
        notes: list[str] = []
        total = len(reader.pages)
        for number, page in enumerate(reader.pages, start=1):
            if number > limits.max_pages:
                notes.append(f"only the first {limits.max_pages} of {total} pages were read")
                break
            if time.monotonic() - started > limits.timeout_s * 0.8:
                notes.append(f"time budget spent: only pages 1-{number - 1} of {total} were read")
                break
            text = (page.extract_text() or "").strip()
            if text:
                pages.append((number, text))
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise PdfUnreadable(f"PDF cannot be read ({type(exc).__name__})") from None
    return pages, notes


@dataclass
class _Line:
    text: str
    top: float
    bottom: float
    x0: float
    size: float
    page_height: float


@dataclass
class _Table:
    rows: list[list[str]]
    top: float
    bottom: float
    header: bool  # the first row names the columns
    continued: bool = False  # header taken over from the table at the end of the previous page


@dataclass
class _Page:
    number: int
    items: list[_Line | _Table] = field(default_factory=list)


_CID = re.compile(r"\(cid:\d+\)")
_BULLET = re.compile(r"^\s*(?:\(cid:\d+\)|[•▪◦●■□►‣∙])\s*")
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


def _plumb(data: bytes, limits: PdfLimits) -> PdfText:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfplumber.utils.exceptions import PdfminerException

    started = time.monotonic()
    notes: list[str] = []
    pages: list[_Page] = []
    try:
        pdf = pdfplumber.open(io.BytesIO(data), pages=list(range(1, limits.max_pages + 1)))
    except PdfminerException as exc:
        if exc.args and isinstance(exc.args[0], PDFEncryptionError):
            raise PdfEncrypted("encrypted") from None
        raise
    with pdf:
        total = _page_count(pdf)
        if total > limits.max_pages:
            notes.append(f"only the first {limits.max_pages} of {total} pages were read")
        for page in pdf.pages:
            if time.monotonic() - started > limits.timeout_s * 0.8:
                notes.append(f"time budget spent: only pages 1-{len(pages)} of {total} were read")
                break
            pages.append(_read_page(page, limits, notes))
            page.close()  # frees the parsed objects of the page
    return PdfText(tuple(_render(pages)), tuple(notes))


def _page_count(pdf: Any) -> int:
    from pdfminer.pdftypes import resolve1

    try:
        return int(resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"]))
    except Exception:  # a broken page tree: count the pages pdfplumber found
        return len(pdf.pages)


def _read_page(page: Any, limits: PdfLimits, notes: list[str]) -> _Page:
    out = _Page(page.page_number)
    objects = sum(len(page.objects.get(kind, ())) for kind in ("char", "rect", "line", "curve"))
    tables: list[Any] = []
    if objects > limits.max_page_objects:
        notes.append(f"page {page.page_number}: {objects} objects, tables read as plain text")
    else:
        tables = page.find_tables()
    boxes = [t.bbox for t in tables]
    for table in tables:
        out.items.extend(_table_items(table, page.height))
    rest = page.filter(lambda obj: obj.get("object_type") != "char" or not any(_inside(obj, b) for b in boxes))
    for line in rest.extract_text_lines(return_chars=True):
        text = _clean(line["text"], keep_bullet=True)
        if not text:
            continue
        sizes = Counter(round(float(c.get("size", 0)), 1) for c in line["chars"] if c.get("text", "").strip())
        size = sizes.most_common(1)[0][0] if sizes else 0.0
        out.items.append(_Line(text, float(line["top"]), float(line["bottom"]), float(line["x0"]), size, page.height))
    out.items.sort(key=lambda item: item.top)
    return out


def _inside(obj: dict[str, Any], bbox: tuple[float, float, float, float]) -> bool:
    """The test pdfplumber uses to put a character into a cell: its midpoint."""
    h_mid = (obj["x0"] + obj["x1"]) / 2
    v_mid = (obj["top"] + obj["bottom"]) / 2
    return bbox[0] <= h_mid < bbox[2] and bbox[1] <= v_mid < bbox[3]


def _clean(text: str | None, keep_bullet: bool = False) -> str:
    if not text:
        return ""
    if keep_bullet:
        text = _BULLET.sub("• ", text, count=1)
    text = _CID.sub("", text).replace("|", "/")
    return " ".join(text.split())


def _table_items(table: Any, page_height: float) -> list[_Line | _Table]:
    """A found grid as a table; a grid that is really a framed paragraph as lines."""
    raw = table.extract()
    rows = [[_clean(c) for c in row] for row in raw]
    keep = [i for i, row in enumerate(rows) if any(row)]
    rows = [rows[i] for i in keep]
    columns = [c for c in range(max((len(r) for r in rows), default=0)) if any(c < len(r) and r[c] for r in rows)]
    rows = [[r[c] if c < len(r) else "" for c in columns] for r in rows]
    top, bottom = float(table.bbox[1]), float(table.bbox[3])
    if len(rows) < 2 or len(columns) < 2:
        return [_Line(" ".join(c for c in row if c), top + i, top + i, float(table.bbox[0]), 0.0, page_height)
                for i, row in enumerate(rows) if any(row)]
    bold = [_row_bold(table, table.rows[i]) for i in keep]
    header = (bold[0] and not all(bold[1:])) or (len(columns) >= 3 and not bold[1])
    return [_Table(rows, top, bottom, header)]


def _row_bold(table: Any, row: Any) -> bool:
    chars = [c for c in table.page.chars if c.get("text", "").strip() and _inside(c, row.bbox)]
    return bool(chars) and all(_BOLD.search(str(c.get("fontname", ""))) for c in chars)


# ------------------------------------------------------------------------------------ rendering
def _render(pages: list[_Page]) -> list[tuple[int, str]]:
    _drop_running_lines(pages)
    _continue_tables(pages)
    sizes: Counter[float] = Counter()
    for page in pages:
        for item in page.items:
            if isinstance(item, _Line) and item.size:
                sizes[item.size] += len(item.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    out = []
    for page in pages:
        text = _page_text(page, body)
        if text.strip():
            out.append((page.number, text))
    return out


def _furniture_key(line: _Line) -> str | None:
    margin = 0.1 * line.page_height
    if line.top > margin and line.bottom < line.page_height - margin:
        return None
    return re.sub(r"\d+", "#", line.text)


def _drop_running_lines(pages: list[_Page]) -> None:
    """Headers and footers repeated on every page (title, 'Seite 2') are page furniture, not content."""
    if len(pages) < 2:
        return
    per_page = [{k for item in p.items if isinstance(item, _Line) and (k := _furniture_key(item))} for p in pages]
    running = set.intersection(*per_page)
    for page in pages:
        kept = [i for i in page.items if not (isinstance(i, _Line) and _furniture_key(i) in running)]
        page.items = kept or page.items  # a page that is nothing but that line keeps it


def _continue_tables(pages: list[_Page]) -> None:
    """A table broken over a page without a repeated header takes the header of its first part."""
    for before, page in itertools.pairwise(pages):
        if not before.items or not page.items:
            continue
        last, first = before.items[-1], page.items[0]
        if not (isinstance(last, _Table) and isinstance(first, _Table) and last.header):
            continue
        if len(last.rows[0]) != len(first.rows[0]) or first.rows[0] == last.rows[0]:
            continue
        if first.header and not first.continued and _looks_like_header(first.rows[0], last.rows[1:]):
            continue
        first.rows.insert(0, list(last.rows[0]))
        first.header = True
        first.continued = True


def _looks_like_header(row: list[str], data_rows: list[list[str]]) -> bool:
    """A first row that repeats no cell value of the data above and has no digits reads as a header."""
    seen = {c for r in data_rows for c in r if c}
    return not any(c in seen for c in row) and not any(ch.isdigit() for c in row for ch in c)


def _table_text(table: _Table) -> str:
    """Header, separator and one line per row; a table without a header row has no separator,
    and a two-column one without a header is a list of 'key: value' lines."""
    if not table.header and len(table.rows[0]) == 2:
        return "\n".join(f"{k}: {v}" if k and v else (k or v) for k, v in table.rows)
    lines = ["| " + " | ".join(r) + " |" for r in table.rows]
    if table.header:
        lines.insert(1, "| " + " | ".join("---" for _ in table.rows[0]) + " |")
    return "\n".join(lines)


def _page_text(page: _Page, body: float) -> str:
    """Blocks separated by blank lines: headings (#, ##), paragraphs on one line, '- ' list items, tables."""
    blocks: list[str] = []
    prev: _Line | None = None
    heading = False  # prev is a heading line
    bullet_x0: float | None = None  # x of the current list item's bullet
    for item in page.items:
        if isinstance(item, _Table):
            blocks.append(_table_text(item))
            prev, heading, bullet_x0 = None, False, None
            continue
        close = (
            prev is not None
            and abs(item.size - prev.size) < 0.5
            and item.top - prev.bottom <= 0.6 * max(item.size, 1.0)
        )
        if body and item.size >= body + 1.5 and len(item.text) <= 150:
            if close and heading:
                blocks[-1] = f"{blocks[-1]} {item.text}"  # a heading wrapped over two lines
            else:
                blocks.append(("# " if item.size >= body * 1.45 else "## ") + item.text)
            prev, heading, bullet_x0 = item, True, None
            continue
        if heading:
            prev, heading = None, False
        bullet = item.text.startswith("• ")
        text = "- " + item.text[2:] if bullet else item.text
        if close and not bullet and (bullet_x0 is None or item.x0 > bullet_x0 + 1):
            blocks[-1] = f"{blocks[-1]} {text}"  # a wrapped line of the paragraph or list item
        elif close and bullet and bullet_x0 is not None:
            blocks[-1] = f"{blocks[-1]}\n{text}"  # the next item of the same list
            bullet_x0 = item.x0
        else:
            blocks.append(text)
            bullet_x0 = item.x0 if bullet else None
        prev = item
    return "\n\n".join(blocks)


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
