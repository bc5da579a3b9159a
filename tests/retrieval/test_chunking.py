from assistant.retrieval.chunking import chunk_document
from assistant.retrieval.loaders import content_hash
from assistant.retrieval.models import Document
from assistant.retrieval.passages import passage_units

BODY = """# Serie X

Intro text about the series.

## Technische Daten

| Artikel | Druck |
|---|---|
{rows}

## Montage

Schlauch einstecken. {extra}
"""


def _doc(rows: int = 3, extra: str = "") -> Document:
    body = BODY.format(rows="\n".join(f"| X-{i:03d} | {i} bar |" for i in range(rows)), extra=extra)
    return Document("ds-x", "Datenblatt X", "datasheet", "de", body, "ds-x.md", content_hash(body))


def test_chunks_follow_headings_and_tables():
    chunks = chunk_document(_doc(), lambda d: "u")
    ids = [c.chunk_id for c in chunks]
    assert ids == ["ds-x#serie-x", "ds-x#serie-x-technische-daten", "ds-x#serie-x-montage"]
    table = chunks[1]
    assert table.text.startswith("| Artikel | Druck |")
    assert "Technische Daten" in table.embed_text


def test_long_tables_are_split_with_the_header_repeated():
    chunks = [c for c in chunk_document(_doc(rows=20), lambda d: "u") if "Artikel" in c.text]
    assert len(chunks) == 3
    assert all(c.text.splitlines()[0] == "| Artikel | Druck |" for c in chunks)
    assert chunks[1].chunk_id == "ds-x#serie-x-technische-daten-2"


def test_chunk_ids_are_stable_when_another_section_changes():
    before = {c.chunk_id: c.text for c in chunk_document(_doc(), lambda d: "u")}
    after = {c.chunk_id: c.text for c in chunk_document(_doc(extra="Neu: Drehmoment 7 Nm."), lambda d: "u")}
    assert before.keys() == after.keys()
    changed = [k for k in before if before[k] != after[k]]
    assert changed == ["ds-x#serie-x-montage"]


def test_pdf_chunks_carry_page_numbers():
    doc = Document(
        "pdf-x",
        "PDF X",
        "datasheet",
        "en",
        "a\n\nb",
        "x.pdf",
        "h",
        kind="pdf",
        pages=((1, "First page text."), (3, "Third page text.")),
    )
    chunks = chunk_document(doc, lambda d: "https://s/kb/file/pdf-x")
    assert [(c.chunk_id, c.page) for c in chunks] == [("pdf-x#p1", 1), ("pdf-x#p3", 3)]
    assert chunks[1].url.endswith("#page=3")


def _pdf(pages: tuple[tuple[int, str], ...]) -> Document:
    return Document("ds-dk", "Klauenkupplungen DK", "datasheet", "de", "", "ds-dk.pdf", "h", kind="pdf", pages=pages)


TABLE = "| Artikel-Nr. | Temperatur | max. Druck |\n| --- | --- | --- |\n" + "\n".join(
    f"| DK-0{i:02d}-92 | -40 … +90 °C | – |" for i in range(10, 22)
)


def test_pdf_tables_are_kept_whole_per_piece_with_the_header_and_the_page():
    page1 = f"# Klauenkupplungen DK\n\nBeispiel GmbH · Stand 2026-07-01\n\n## Technische Daten\n\n{TABLE}\n\n"
    page1 += "– = ohne Druck."
    page2 = "## Montagehinweise\n\n- Naben sichern.\n- Maß E einhalten."
    chunks = chunk_document(_pdf(((1, page1), (2, page2))), lambda d: "https://s/kb/file/ds-dk")
    assert [(c.chunk_id, c.section, c.page) for c in chunks] == [
        ("ds-dk#p1", "Klauenkupplungen DK (S./p. 1)", 1),
        ("ds-dk#p1-2", "Technische Daten (S./p. 1)", 1),
        ("ds-dk#p1-3", "Technische Daten (S./p. 1)", 1),
        ("ds-dk#p1-4", "Technische Daten (S./p. 1)", 1),
        ("ds-dk#p2", "Montagehinweise (S./p. 2)", 2),
    ]
    tables = chunks[1:3]
    assert all(c.text.splitlines()[:2] == TABLE.splitlines()[:2] for c in tables)
    assert [len(c.text.splitlines()) - 2 for c in tables] == [8, 4]
    assert passage_units(tables[1].text)[-1] == "Artikel-Nr.: DK-021-92; Temperatur: -40 … +90 °C; max. Druck: –"
    assert chunks[3].text == "– = ohne Druck." and chunks[4].url.endswith("#page=2")


def test_a_pdf_page_that_continues_a_section_keeps_its_heading():
    chunks = chunk_document(_pdf(((1, "## Technical data\n\nIntro."), (2, TABLE))), lambda d: "u")
    assert [(c.chunk_id, c.section) for c in chunks][1:] == [
        ("ds-dk#p2", "Technical data (S./p. 2)"), ("ds-dk#p2-2", "Technical data (S./p. 2)")
    ]


def test_chunk_ids_are_unique_when_long_headings_share_their_slug() -> None:
    """Real FAQ pages have a 66-character title heading: every section's slug was the same 60 characters, and a
    section's second piece met the next section's id, so answers mixed up two passages."""
    from assistant.retrieval.chunking import chunk_markdown
    from assistant.retrieval.models import Document

    title = "Delivery times, shipping, express delivery and partial deliveries"
    long_table = "| a | b |\n|---|---|\n" + "\n".join(f"| {i} | x |" for i in range(30))
    text = f"# {title}\n\n## First\n\n{long_table}\n\n## Second\n\nShort answer.\n\n## Third\n\nAnother one.\n"
    doc = Document("faq-x", title, "faq", "en", text, "faq/x.md", "h")
    ids = [c.chunk_id for c in chunk_markdown(doc, "https://x", {})]
    assert len(ids) == len(set(ids)) > 3
