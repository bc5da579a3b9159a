"""Fixtures: a copy of the small fixture knowledge folder, settings pointing at tmp, hash embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.service import KnowledgeService
from assistant.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "knowledge"


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURES, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, knowledge_dir: Path) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        knowledge_dir=knowledge_dir,
        index_dir=tmp_path / "index",
        embedding_backend="hash",
        index_poll_s=0.05,
        public_url="https://shop.example",
    )


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def service(settings: Settings, embedder: HashEmbedder) -> KnowledgeService:
    svc = KnowledgeService(settings=settings, embedder=embedder)
    svc.build()
    return svc


def make_pdf(path: Path, pages: list[str], encrypt: str | None = None) -> Path:
    """A real PDF with one text block per page (empty string = a page without text)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for text in pages:
        y = 800
        for line in text.splitlines():
            c.drawString(50, y, line)
            y -= 16
        c.showPage()
    c.save()
    if encrypt:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(str(path)))
        writer.encrypt(encrypt)
        with open(path, "wb") as fh:
            writer.write(fh)
    return path


def write_md(path: Path, front: str, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front.strip()}\n---\n{body}", encoding="utf-8")
    return path
