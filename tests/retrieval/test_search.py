import numpy as np
import pytest

from assistant.retrieval.search import Filters, rrf, top_k


def test_rrf_rewards_agreement():
    fused = rrf([[1, 2, 3], [3, 1, 4]], k=60)
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert max(fused, key=fused.get) == 1
    assert fused[3] > fused[2] and 4 in fused


def test_weighted_rrf_lets_the_heavier_ranking_win():
    fused = rrf([[1, 2], [2, 1]], k=10, weights=(0.5, 1.0))
    assert fused[2] > fused[1]


def test_top_k_respects_mask_and_positive_only():
    scores = np.array([0.5, 3.0, 0.0, 2.0])
    assert top_k(scores, 3) == [1, 3, 0]
    assert top_k(scores, 3, mask=np.array([True, False, True, True])) == [3, 0, 2]
    assert top_k(scores, 4, positive_only=True) == [1, 3, 0]


def test_article_number_finds_its_product_first(service):
    hits = service.search("3S-1208", k=3, mode="bm25")
    assert hits[0].doc_id in ("product:3S-1208", "ds-3s")
    assert "product:3S-1208" in [h.doc_id for h in hits]


def test_compound_query_finds_documents_with_the_parts(service):
    hits = service.search("Lebensmittelindustrie Abfüllanlage", k=3, mode="bm25")
    assert hits[0].doc_id == "uc-abfuellung-de"


def test_hybrid_ranks_the_german_use_case_for_a_german_question(service):
    assert service.search("Abfüllanlage Fruchtsaft Reinigung", k=1)[0].doc_id == "uc-abfuellung-de"


def test_filters_type_language_family(service):
    assert {h.doc_type for h in service.search("Kupplung coupling", k=20, filters={"type": "use_case"})} == {"use_case"}
    langs = {h.language for h in service.search("Kupplung coupling", k=20, filters={"language": "en"})}
    assert langs <= {"en", "multi"} and "de" not in langs
    fam = service.search("Datenblatt datasheet", k=20, filters={"family": "hydraulic_coupling"})
    assert fam and {h.doc_id for h in fam} <= {"ds-qc300", "uc-excavator-en", "product:QC-300-08", "product:QC-300-06"}


def test_filters_certification_temperature_pressure(service):
    fda = service.search("Verbindung", k=20, filters={"type": "product", "certification": "FDA"})
    assert fda and all(any(c.startswith("FDA") for c in h.metadata["certifications"]) for h in fda)
    hot = service.search("Verbindung Kupplung Schlauch", k=20, filters={"type": "product", "temperature": 145})
    assert {h.doc_id for h in hot} == {"product:QC-300-06", "product:HF-200-40"}
    strong = service.search("Kupplung", k=20, filters=Filters(doc_type=("product",), pressure_bar=320))
    assert [h.doc_id for h in strong] == ["product:QC-300-08"]


def test_unknown_filter_is_rejected(service):
    with pytest.raises(ValueError, match="colour"):
        service.search("x", filters={"colour": "red"})


def test_empty_query_returns_nothing(service):
    assert service.search("   ") == []
