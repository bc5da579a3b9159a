"""Real PDF documents (invoice, delivery note, EN 10204 3.1 certificate, declaration of conformity).

Rendered with reportlab from the order data on first download, so seeding 200k orders stays fast; the
file is written atomically (temp file + rename) so two concurrent first downloads cannot serve half a file.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from assistant.commerce.domain import DocumentInfo, OrderView

SUPPLIER = "Example Industrietechnik GmbH · Industriestraße 1 · 70565 Stuttgart"

TITLES = {
    "invoice": ("Rechnung", "Invoice"),
    "delivery_note": ("Lieferschein", "Delivery note"),
    "certificate_3_1": ("Abnahmeprüfzeugnis 3.1 nach EN 10204", "Inspection certificate 3.1 (EN 10204)"),
    "declaration_of_conformity": ("Konformitätserklärung", "Declaration of conformity"),
}


def _money(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _d(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "-"


def render_pdf(target: Path, doc: DocumentInfo, order: OrderView | None, customer_name: str) -> Path:
    """Write the document's PDF to ``target`` (bilingual labels: German first, as on real documents)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    title_de, title_en = TITLES.get(doc.kind, ("Dokument", "Document"))
    c = canvas.Canvas(tmp, pagesize=A4)
    c.setTitle(f"{title_de} {doc.number}")
    c.setAuthor("Example Industrietechnik GmbH")
    _, height = A4
    y = height - 20 * mm
    c.setFont("Helvetica", 8)
    c.drawString(20 * mm, y, SUPPLIER)
    y -= 15 * mm
    c.setFont("Helvetica-Bold", 16)
    c.drawString(20 * mm, y, f"{title_de} / {title_en}")
    y -= 9 * mm
    c.setFont("Helvetica", 10)
    facts = [
        ("Nummer / Number", doc.number),
        ("Kunde / Customer", f"{customer_name} ({doc.customer_id})"),
        ("Datum / Date", _d(doc.issued_on)),
    ]
    if order is not None:
        facts.append(("Bestellung / Order", order.order_number))
        if order.po_reference:
            facts.append(("Ihre Bestellnummer / Your PO", order.po_reference))
    if doc.delivery_number:
        facts.append(("Lieferung / Delivery", doc.delivery_number))
    if doc.batch:
        facts.append(("Charge / Batch", doc.batch))
    for label, value in facts:
        c.drawString(20 * mm, y, f"{label}:")
        c.drawString(75 * mm, y, str(value))
        y -= 5.5 * mm
    y -= 5 * mm
    lines = list(order.lines) if order is not None else []
    if doc.sku:
        lines = [line for line in lines if line.sku == doc.sku]
    c.setFont("Helvetica-Bold", 9)
    c.drawString(20 * mm, y, "Pos")
    c.drawString(32 * mm, y, "Artikel / Article")
    c.drawString(120 * mm, y, "Menge / Qty")
    if doc.kind == "invoice":
        c.drawString(145 * mm, y, "Preis / Price")
        c.drawString(172 * mm, y, "Summe / Total")
    y -= 6 * mm
    c.setFont("Helvetica", 9)
    total = Decimal("0")
    for line in lines:
        if y < 40 * mm:
            c.showPage()
            c.setFont("Helvetica", 9)
            y = height - 25 * mm
        c.drawString(20 * mm, y, str(line.position))
        c.drawString(32 * mm, y, f"{line.sku}  {line.name[:48]}")
        c.drawRightString(138 * mm, y, f"{line.quantity} {line.unit}")
        if doc.kind == "invoice":
            line_total = line.unit_price_eur * line.quantity
            total += line_total
            c.drawRightString(165 * mm, y, _money(line.unit_price_eur))
            c.drawRightString(192 * mm, y, _money(line_total))
        y -= 5 * mm
    y -= 5 * mm
    c.setFont("Helvetica-Bold", 10)
    if doc.kind == "invoice":
        vat = (total * Decimal("0.19")).quantize(Decimal("0.01"))
        c.drawRightString(192 * mm, y, f"Netto / Net: {_money(total)} EUR")
        c.drawRightString(192 * mm, y - 5 * mm, f"USt. / VAT 19 %: {_money(vat)} EUR")
        c.drawRightString(192 * mm, y - 10 * mm, f"Gesamt / Total: {_money(total + vat)} EUR")
    elif doc.kind == "certificate_3_1":
        c.setFont("Helvetica", 9)
        c.drawString(20 * mm, y, "Wir bestätigen, dass die gelieferten Erzeugnisse den Vereinbarungen bei der")
        c.drawString(20 * mm, y - 4.5 * mm, "Bestellannahme entsprechen (EN 10204:2004, Typ 3.1).")
        c.drawString(20 * mm, y - 10 * mm, "We confirm that the products supplied comply with the requirements of the")
        c.drawString(20 * mm, y - 14.5 * mm, "order (EN 10204:2004, type 3.1).")
        c.drawString(20 * mm, y - 19 * mm, "Werkstoffprüfung / material test: i.O. / passed")
        c.drawString(20 * mm, y - 28 * mm, "Abnahmebeauftragter / Inspection representative: Q. Sicherung")
    elif doc.kind == "declaration_of_conformity":
        c.setFont("Helvetica", 9)
        c.drawString(20 * mm, y, "Die Erzeugnisse entsprechen den angegebenen Normen und Verordnungen.")
        c.drawString(20 * mm, y - 4.5 * mm, "The products conform to the stated standards and regulations.")
    c.setFont("Helvetica", 7)
    c.drawString(20 * mm, 12 * mm, f"{title_en} {doc.number} · generated by the customer portal assistant")
    c.save()
    os.replace(tmp, target)
    return target
