"""Render datasheet PDFs from products.csv and the Markdown datasheets.

Why a script: the PDFs must say exactly what the Markdown and the CSV say. Re-run it
after changing a datasheet or the catalogue, then commit the PDFs:

    .venv/bin/python knowledge/tools/make_datasheet_pdfs.py            # all
    .venv/bin/python knowledge/tools/make_datasheet_pdfs.py ds-3s-push-in

Two kinds of PDF:
- ``FROM_MARKDOWN``: rendered from ``knowledge/datasheets/<id>.md`` (front matter + body).
- ``PDF_ONLY``: datasheets that exist only as PDF (with a ``<id>.meta.yml`` sidecar). Their
  prose lives in this script, never as Markdown in knowledge/, so the knowledge base has
  to read the PDF to know it; their tables are built from products.csv.

Output is deterministic (reportlab ``invariant``), so an unchanged source gives a
byte-identical PDF and no noise in git.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

KNOWLEDGE = Path(__file__).resolve().parent.parent
DATASHEETS = KNOWLEDGE / "datasheets"
CATALOGUE = KNOWLEDGE / "products.csv"
SUPPLIER = "Beispiel Fluidtechnik GmbH"

FROM_MARKDOWN = [
    "ds-3s-push-in",
    "ds-3sx-stainless-push-in",
    "ds-hf-200-clamp-connections",
    "ds-qc-300-iso-a",
    "ds-qc-350-flat-face",
    "ds-hs-201-steam",
    "ds-or-epdm",
    "ds-cg-clamp-gaskets",
    "ds-bv-320-hygienic",
    "ds-sv-540-atex",
]

# Sections with at least this many article rows get a page break before "applications",
# which makes the longer datasheets two pages like the printed originals.
PAGE_BREAK_MIN_ROWS = 5

PDF_ONLY: dict[str, dict[str, object]] = {
    "ds-dk-jaw-couplings": {
        "desc": (
            "Drehelastische, durchschlagsichere Klauenkupplungen aus Aluminium mit Zahnkranz aus TPU. Der "
            "Zahnkranz dämpft Drehschwingungen und gleicht axialen, radialen und Winkelversatz aus. "
            "ATEX-Ausführung nach 2014/34/EU (II 2G/2D). Artikelnummer DK-0GG-HH: GG = Baugröße, "
            "HH = Shore-Härte des Zahnkranzes."
        ),
        "extra": [
            ("Drehmomente", [
                ["Baugröße", "Nenndrehmoment 92 Shore A", "Max. Drehzahl", "Max. Winkelversatz"],
                ["19", "10 Nm", "14000 1/min", "1,0°"],
                ["24", "35 Nm", "10600 1/min", "1,0°"],
                ["28", "95 Nm", "8500 1/min", "1,0°"],
                ["38", "190 Nm", "7100 1/min", "1,0°"],
            ]),
            ("Auswahl", [
                "Zahnkranz 98 Shore A (DK-024-98): Nenndrehmoment Gr. 24 60 Nm, für stoßarme Antriebe mit "
                "höherem Drehmoment; geringere Dämpfung als 92 Shore A.",
                "Auslegung: Nenndrehmoment der Kupplung ≥ Antriebsmoment × Stoßfaktor (1,5 bei Pumpen, "
                "2,0 bei Förderbändern).",
            ]),
        ],
        "apps": ["Motor-Pumpen- und Motor-Getriebe-Verbindungen", "Förderbänder und Verpackungsmaschinen"],
        "limits": [
            "Die Temperaturgrenzen gelten für den Zahnkranz; außerhalb verschleißt er schnell.",
            "Zahnkranz nicht mit Öl oder Fett in Kontakt bringen.",
            "ATEX: nur mit Zahnkranz 92 oder 98 Shore A aus unserem Sortiment, Naben geerdet.",
        ],
        "install": [
            "Naben mit Gewindestift oder Klemmnabe sichern.",
            "Maß E (Abstand der Naben) einhalten: Gr. 19: 16 mm, Gr. 24: 18 mm, Gr. 28: 20 mm, Gr. 38: 24 mm.",
            "Ausrichtung mit Haarlineal prüfen; Zahnkranz jährlich kontrollieren.",
        ],
    },
    "ds-kl-deep-groove-bearings": {
        "desc": (
            "Single-row deep groove ball bearings of the 62 series, from bearing steel 100Cr6 or stainless "
            "1.4125 (AISI 440C), with NBR contact seals on both sides (2RS) or metal shields (ZZ), greased for "
            "life with a lithium soap grease. The one-side sealed version KL-6205-RS1 is discontinued; "
            "its successor is KL-6205-2RS."
        ),
        "extra": [
            ("Load ratings", [
                ["Bearing", "Dynamic load C", "Static load C0", "Limiting speed 2RS / ZZ"],
                ["6204", "13.5 kN", "6.55 kN", "9000 / 15000 rpm"],
                ["6205", "14.8 kN", "7.8 kN", "7500 / 13000 rpm"],
                ["6206", "20.3 kN", "11.2 kN", "6300 / 11000 rpm"],
            ]),
            ("Stainless version", [
                "KLS-6204-2RS has about 80 % of the load rating of KL-6204-2RS and is filled with an "
                "NSF H1 food-grade grease for wash-down areas.",
            ]),
        ],
        "apps": ["Electric motors, gearboxes, conveyor rollers",
                 "Stainless KLS: wash-down areas in food and packaging machines"],
        "limits": [
            "Temperature limits are set by seals and grease.",
            "ZZ shields do not protect against water spray; use 2RS or KLS in wet areas.",
        ],
        "install": [
            "Press the bearing on via the ring that carries the fit; never via the balls.",
            "Do not hit the seals or shields.",
            "Shaft tolerance k5/j5, housing tolerance J6/H7 for rotating inner ring.",
        ],
    },
}

WORDS = {
    "de": {
        "desc": "Beschreibung", "tech": "Technische Daten", "apps": "Anwendungen",
        "limits": "Einsatzgrenzen und Hinweise", "install": "Montagehinweise", "order": "Bestellangaben",
        "sku": "Artikel-Nr.", "name": "Bezeichnung", "conn": "Anschluss", "size": "Größe", "mat": "Werkstoff",
        "seal": "Dichtung", "temp": "Temperatur", "p": "max. Druck", "cert": "Zulassungen",
        "status": "Status", "moq": "Mindestbestellmenge", "succ": "Nachfolger", "active": "lieferbar",
        "disc": "abgekündigt", "none": "keine", "na": "– = nicht druckbeaufschlagt.", "page": "Seite",
        "unit": "Verpackungseinheit", "updated": "Stand",
    },
    "en": {
        "desc": "Description", "tech": "Technical data", "apps": "Applications", "limits": "Limits and notes",
        "install": "Installation", "order": "Ordering information", "sku": "Article no.", "name": "Description",
        "conn": "Connection", "size": "Size", "mat": "Material", "seal": "Seal", "temp": "Temperature",
        "p": "Max. pressure", "cert": "Certifications", "status": "Status", "moq": "Minimum order quantity",
        "succ": "Successor", "active": "available", "disc": "discontinued", "none": "none",
        "na": "– = not pressurised.", "page": "Page", "unit": "Packaging unit", "updated": "Updated",
    },
}
UNITS = {"piece": ("Stück", "piece"), "m": ("Meter", "metre"), "pack10": ("Pack à 10 Stück", "pack of 10"),
         "pack100": ("Pack à 100 Stück", "pack of 100")}


class DatasheetError(RuntimeError):
    """A datasheet source is missing or malformed; the message names the file."""


@dataclass
class Block:
    """One rendered element of a datasheet body, in document order."""

    kind: str  # "h1" | "h2" | "p" | "bullets" | "table"
    text: str = ""
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def load_catalogue(path: Path = CATALOGUE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def parse_markdown(body: str) -> list[Block]:
    """Parse the small Markdown subset the datasheets use: #, ##, paragraphs, '- ' lists, pipe tables."""
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("p", " ".join(para)))
            para.clear()

    for raw in body.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if line.startswith("## "):
            flush()
            blocks.append(Block("h2", line[3:].strip()))
        elif line.startswith("# "):
            flush()
            blocks.append(Block("h1", line[2:].strip()))
        elif line.startswith("- "):
            flush()
            if not blocks or blocks[-1].kind != "bullets":
                blocks.append(Block("bullets"))
            blocks[-1].items.append(line[2:].strip())
        elif line.startswith("|"):
            flush()
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                continue
            if not blocks or blocks[-1].kind != "table":
                blocks.append(Block("table"))
            blocks[-1].rows.append(cells)
        else:
            para.append(line.strip())
    flush()
    return blocks


def _signed(v: str, lang: str) -> str:
    f = float(v)
    s = str(int(f)) if f == int(f) else str(f)
    if lang == "de":
        s = s.replace(".", ",")
    return f"+{s}" if f > 0 else s


def _pressure(v: str, lang: str) -> str:
    f = float(v)
    if f == 0:
        return "–"
    s = str(int(f)) if f == int(f) else str(f)
    return (s.replace(".", ",") if lang == "de" else s) + " bar"


def blocks_for_pdf_only(meta: dict, rows: list[dict[str, str]]) -> list[Block]:
    """Build the body of a PDF-only datasheet: prose from PDF_ONLY, numbers from the catalogue."""
    lang = meta["language"]
    w = WORDS[lang]
    content = PDF_ONLY[meta["id"]]
    by_sku = {r["sku"]: r for r in rows}
    prods = [by_sku[s] for s in meta["products"]]
    blocks = [Block("h1", meta["title"]), Block("h2", w["desc"]), Block("p", str(content["desc"]))]
    table = [[w["sku"], w["name"], w["conn"], w["size"], w["mat"], w["seal"], w["temp"], w["p"], w["cert"]]]
    for p in prods:
        name = p[f"name_{lang}"] + (f" ({w['disc']})" if p["status"] == "discontinued" else "")
        table.append([p["sku"], name, p["connection"], p["size"], p["material"], p["seal_material"] or "–",
                      f"{_signed(p['temp_min_c'], lang)} … {_signed(p['temp_max_c'], lang)} °C",
                      _pressure(p["pressure_max_bar"], lang),
                      ", ".join(p["certifications"].split(";")) if p["certifications"] else w["none"]])
    blocks += [Block("h2", w["tech"]), Block("table", rows=table), Block("p", w["na"])]
    for title, extra in content["extra"]:  # type: ignore[union-attr]
        blocks.append(Block("h2", title))
        if extra and isinstance(extra[0], list):
            blocks.append(Block("table", rows=extra))
        else:
            blocks.append(Block("bullets", items=list(extra)))
    for key in ("apps", "limits", "install"):
        blocks += [Block("h2", w[key]), Block("bullets", items=list(content[key]))]  # type: ignore[arg-type]
    order = [[w["sku"], w["status"], w["unit"], w["moq"], w["succ"]]]
    for p in prods:
        order.append([p["sku"], w["active"] if p["status"] == "active" else w["disc"],
                      UNITS[p["price_unit"]][0 if lang == "de" else 1], p["min_order_qty"],
                      p["successor_sku"] or "–"])
    blocks += [Block("h2", w["order"]), Block("table", rows=order)]
    return blocks


# The standard Type 1 fonts are not embedded, which keeps a datasheet at a few KB. They use
# WinAnsi encoding: °, µ, …, –, ±, ×, Ø and umlauts are fine; these few are spelled out.
_NOT_IN_WINANSI = {"≤": "<=", "≥": ">=", "→": "->", "≈": "~"}
FONT, FONT_BOLD = "Helvetica", "Helvetica-Bold"


def _plain(text: str) -> str:
    for char, repl in _NOT_IN_WINANSI.items():
        text = text.replace(char, repl)
    return text


def _esc(text: str) -> str:
    text = _plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)


def _column_widths(rows: list[list[str]], total: float, regular: str, bold: str) -> list[float]:
    """Never break inside a word (article numbers must stay whole); share the rest by text length."""
    pad = 13.0  # Table default: 6 pt left + 6 pt right padding, plus rounding
    ncol = max(len(r) for r in rows)
    minimum = [0.0] * ncol
    length = [1.0] * ncol
    for r, row in enumerate(rows):
        font = bold if r == 0 else regular
        for c, cell in enumerate(row):
            words = _plain(str(cell)).split() or [""]
            minimum[c] = max(minimum[c], max(pdfmetrics.stringWidth(x, font, 7) for x in words) + pad)
            length[c] += pdfmetrics.stringWidth(_plain(str(cell)), font, 7)
    spare = total - sum(minimum)
    if spare <= 0:
        return [total * m / sum(minimum) for m in minimum]
    weight = sum(length)
    return [m + spare * n / weight for m, n in zip(minimum, length, strict=True)]


def render_pdf(meta: dict, blocks: list[Block], out: Path) -> None:
    regular, bold = FONT, FONT_BOLD
    lang = meta["language"]
    w = WORDS[lang]
    st = {
        "h1": ParagraphStyle("h1", fontName=bold, fontSize=15, leading=19, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4,
                             textColor=colors.HexColor("#1f4e79")),
        "p": ParagraphStyle("p", fontName=regular, fontSize=9, leading=12, alignment=TA_LEFT, spaceAfter=4),
        "li": ParagraphStyle("li", fontName=regular, fontSize=9, leading=12, leftIndent=10, bulletIndent=2),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7, leading=8.5),
        "head": ParagraphStyle("head", fontName=bold, fontSize=7, leading=8.5),
    }
    frame_width = A4[0] - 36 * mm
    story: list = []
    rows_in_tech = max((len(b.rows) - 1 for b in blocks if b.kind == "table"), default=0)
    break_done = False
    for b in blocks:
        if b.kind == "h1":
            story.append(Paragraph(_esc(b.text), st["h1"]))
            story.append(Paragraph(_esc(f"{SUPPLIER} · {meta['id']} · {w['updated']} {meta['updated']}"), st["p"]))
        elif b.kind == "h2":
            if (not break_done and rows_in_tech >= PAGE_BREAK_MIN_ROWS
                    and b.text in (WORDS["de"]["apps"], WORDS["en"]["apps"])):
                story.append(PageBreak())
                break_done = True
            story.append(Paragraph(_esc(b.text), st["h2"]))
        elif b.kind == "p":
            story.append(Paragraph(_esc(b.text), st["p"]))
        elif b.kind == "bullets":
            story.append(KeepTogether([Paragraph(_esc(i), st["li"], bulletText="•") for i in b.items]))
        elif b.kind == "table":
            data = [[Paragraph(_esc(str(c)), st["head" if r == 0 else "cell"]) for c in row]
                    for r, row in enumerate(b.rows)]
            table = Table(data, colWidths=_column_widths(b.rows, frame_width, regular, bold), repeatRows=1)
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9fb3c8")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dce6f0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))
            story += [table, Spacer(1, 4)]

    def on_page(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.drawString(18 * mm, 10 * mm, f"{SUPPLIER} – {meta['title']}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{w['page']} {doc.page}")
        canvas.restoreState()

    rl_config.invariant = 1  # deterministic output: no timestamps or random ids
    doc = SimpleDocTemplate(
        str(out), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=18 * mm,
        pageCompression=1, title=meta["title"], author=SUPPLIER, subject=meta["id"],
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)


def build(ds_id: str, rows: list[dict[str, str]], out_dir: Path = DATASHEETS) -> Path:
    """Render one datasheet PDF into out_dir (tests render into a temp folder and compare bytes)."""
    out = out_dir / f"{ds_id}.pdf"
    if ds_id in PDF_ONLY:
        sidecar = DATASHEETS / f"{ds_id}.meta.yml"
        if not sidecar.exists():
            raise DatasheetError(f"missing sidecar {sidecar.name}")
        meta = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
        meta["updated"] = str(meta["updated"])
        render_pdf(meta, blocks_for_pdf_only(meta, rows), out)
        return out
    source = DATASHEETS / f"{ds_id}.md"
    if not source.exists():
        raise DatasheetError(f"missing Markdown source {source.name}")
    post = frontmatter.load(source)
    meta = dict(post.metadata)
    meta["updated"] = str(meta["updated"])
    render_pdf(meta, parse_markdown(post.content), out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="datasheet ids (default: all PDF datasheets)")
    args = parser.parse_args(argv)
    ids = args.ids or [*FROM_MARKDOWN, *PDF_ONLY]
    rows = load_catalogue()
    for ds_id in ids:
        out = build(ds_id, rows)
        print(f"{out.relative_to(KNOWLEDGE.parent)}  {out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
