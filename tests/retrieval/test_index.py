import json
import time

import pytest

from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.models import BuildRefused
from assistant.retrieval.service import KnowledgeService

from .conftest import write_md


class CountingEmbedder(HashEmbedder):
    def __init__(self):
        super().__init__()
        self.encoded = 0

    def encode(self, texts):
        self.encoded += len(texts)
        return super().encode(texts)


NEW_DOC = (
    "id: uc-vacuum-en\ntype: use_case\nlanguage: en\ntitle: Vacuum gripper in packaging\nproducts: [3S-1208]",
    "# Vacuum gripper\n\nA packaging line picks cartons with zebrafish suction cups.\n",
)


def test_build_writes_a_complete_version_and_pointer(service, settings):
    root = settings.resolved_index_dir
    version = (root / "CURRENT").read_text().strip()
    folder = root / "versions" / version
    for name in (
        "manifest.json",
        "chunks.json",
        "embeddings.npy",
        "faiss.index",
        "bm25.npz",
        "bm25.json",
        "products.json",
        "units.json",
        "units.npy",
    ):
        assert (folder / name).is_file(), name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["embedder"] == "hash-64" and manifest["counts"]["products"] == 10
    assert manifest["documents"]["ds-3s"]["hash"]
    assert service.status()["version"] == version


def test_unchanged_content_is_not_rebuilt_and_changed_docs_only_reembedded(settings, knowledge_dir):
    emb = CountingEmbedder()
    svc = KnowledgeService(settings=settings, embedder=emb)
    first = svc.build()
    assert first.built and first.units > first.chunks // 2 and first.units_embedded == first.units
    assert emb.encoded == first.chunks + first.units
    again = svc.build()
    assert again.unchanged and emb.encoded == first.chunks + first.units
    path = knowledge_dir / "faq" / "lieferung.md"
    path.write_text(path.read_text().replace("14 Uhr", "15 Uhr"), encoding="utf-8")
    third = svc.build()
    assert third.built and third.embedded == 1 and third.reused == third.chunks - 1
    assert third.units_embedded == 1  # the one changed sentence


def test_answers_take_document_sentences_from_the_index(service):
    """A knowledge answer embeds its question once and no document sentence at all."""
    loaded = service._index()
    counting = CountingEmbedder()
    loaded.searcher.encoder.embedder = counting
    loaded.searcher.embedder = counting
    answer = service.answer("Bis wann wird am selben Tag versendet?", "de")
    assert answer.answered and "14 Uhr" in answer.messages[0]["text"]
    assert counting.encoded == 1


def test_second_instance_picks_up_a_new_version_without_restart(service, settings, embedder, knowledge_dir):
    reader = KnowledgeService(settings=settings, embedder=embedder)
    assert "uc-vacuum-en" not in {h.doc_id for h in reader.search("zebrafish suction cups", k=3)}
    old = reader.status()["version"]
    write_md(knowledge_dir / "use-cases" / "vacuum.md", *NEW_DOC)
    service.build()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        hits = reader.search("zebrafish suction cups", k=3)
        if hits and hits[0].doc_id == "uc-vacuum-en":
            break
        time.sleep(0.02)
    assert hits[0].doc_id == "uc-vacuum-en"
    assert reader.status()["version"] != old


def test_old_versions_are_pruned_to_three(service, settings, knowledge_dir):
    for i in range(4):
        (knowledge_dir / "faq" / "lieferung.md").write_text(
            (knowledge_dir / "faq" / "lieferung.md").read_text() + f"\nZusatz {i}.\n", encoding="utf-8"
        )
        service.build()
    versions = sorted(p.name for p in (settings.resolved_index_dir / "versions").iterdir())
    assert len(versions) == 3
    assert (settings.resolved_index_dir / "CURRENT").read_text().strip() == versions[-1]


def test_broken_document_is_skipped_and_the_rest_goes_live(service, knowledge_dir):
    (knowledge_dir / "faq" / "broken.md").write_text("---\nid: [\n---\nText\n", encoding="utf-8")
    write_md(knowledge_dir / "use-cases" / "vacuum.md", *NEW_DOC)
    report = service.build()
    assert report.built and not report.ok
    assert any(i.path == "faq/broken.md" for i in report.errors)
    assert service.search("zebrafish suction cups", k=1)[0].doc_id == "uc-vacuum-en"


def test_refused_build_leaves_the_live_index_untouched(service, settings, knowledge_dir):
    live = service.status()["version"]
    (knowledge_dir / "products.csv").write_text("sku;name\n", encoding="utf-8")
    with pytest.raises(BuildRefused) as err:
        service.build()
    assert err.value.report.refused and err.value.report.issues[0].path == "products.csv"
    assert (settings.resolved_index_dir / "CURRENT").read_text().strip() == live
    assert service.search("QC-300-08", k=1)[0].doc_id in ("product:QC-300-08", "ds-qc300")


def test_strict_build_refuses_on_any_error(service, knowledge_dir):
    (knowledge_dir / "faq" / "broken.md").write_text("no front matter", encoding="utf-8")
    with pytest.raises(BuildRefused):
        service.build(strict=True)


def test_add_and_remove_a_document(service, tmp_path):
    src = write_md(tmp_path / "incoming" / "vacuum.md", *NEW_DOC)
    report = service.add(src)
    assert report.built
    assert service.search("zebrafish suction cups", k=1)[0].doc_id == "uc-vacuum-en"
    assert service.doc_url("uc-vacuum-en") == "https://shop.example/kb/doc/uc-vacuum-en"
    service.remove("uc-vacuum-en")
    assert "uc-vacuum-en" not in {h.doc_id for h in service.search("zebrafish suction cups", k=5)}


def test_index_built_by_another_embedder_is_refused(service, settings):
    from assistant.retrieval.models import IndexNotBuilt

    other = KnowledgeService(settings=settings, embedder=HashEmbedder(dim=32), auto_build=False)
    with pytest.raises(IndexNotBuilt):
        other.search("x")
