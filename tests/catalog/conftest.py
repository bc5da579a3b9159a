"""A small knowledge folder (the retrieval fixtures), the test mapping, a hash-embedder knowledge service and a
SQLite commerce database, all under tmp_path."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from assistant.catalog.importer import CatalogImporter
from assistant.commerce.db import Database, make_engine
from assistant.commerce.repository import SqlCommerceRepository
from assistant.commerce.seed import ensure_schema
from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.service import KnowledgeService
from assistant.settings import Settings
from tests.catalog import samples

FIXTURES = Path(__file__).parents[1] / "retrieval" / "fixtures" / "knowledge"
TODAY = date(2026, 11, 25)


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURES, target)
    (target / "bmecat-mapping.yml").write_text(yaml.safe_dump(samples.MAPPING, allow_unicode=True), "utf-8")
    return target


@pytest.fixture
def settings(tmp_path: Path, knowledge_dir: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", knowledge_dir=knowledge_dir, index_dir=tmp_path / "index",
                    embedding_backend="hash", index_poll_s=0.01, public_url="https://shop.example")


@pytest.fixture
def knowledge(settings: Settings) -> KnowledgeService:
    service = KnowledgeService(settings=settings, embedder=HashEmbedder())
    service.build()
    return service


@pytest.fixture
def repo(tmp_path: Path) -> SqlCommerceRepository:
    url = f"sqlite:///{tmp_path / 'commerce.db'}"
    db = Database(url, make_engine(url))
    ensure_schema(db)
    return SqlCommerceRepository(db)


@pytest.fixture
def importer(knowledge_dir: Path, knowledge: KnowledgeService, repo: SqlCommerceRepository) -> CatalogImporter:
    return CatalogImporter(knowledge_dir, knowledge=knowledge, repository=repo, today=TODAY)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a folder with its bytes: 'changes nothing' is compared byte for byte."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
