"""POST /api/upload runs a turn exactly like /api/chat (binding, rate limit, signed identity), with Rasa faked."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.gateway.app import create_app
from assistant.identity import get_signer
from tests.gateway.fakes import FakeRasa, bearer, error_code

CSV = b"sku;qty\n3S-1208;50\nQC-300-08;10\n"


def test_upload_parks_the_bom_and_sends_only_an_id_to_rasa(rasa: FakeRasa) -> None:
    client = TestClient(create_app(), raise_server_exceptions=False)
    cid = client.post("/api/chat", json={"message": "hallo"}, headers=bearer()).json()["conversation_id"]
    r = client.post("/api/upload", files={"file": ("bom.csv", CSV, "text/csv")},
                    data={"conversation_id": cid, "locale": "de"}, headers=bearer())
    assert r.status_code == 200, r.text
    call = rasa.calls[-1]
    assert call["text"].startswith('/upload_bom{"upload_id":')
    assert call["sender"] == rasa.calls[0]["sender"]
    assert get_signer().verify(call["metadata"], sender=call["sender"]).customer_id == "K-10001"


def test_upload_into_another_identitys_conversation_is_forbidden(rasa: FakeRasa) -> None:
    client = TestClient(create_app(), raise_server_exceptions=False)
    cid = client.post("/api/chat", json={"message": "hallo"}, headers=bearer()).json()["conversation_id"]
    r = client.post("/api/upload", files={"file": ("bom.csv", CSV, "text/csv")}, data={"conversation_id": cid})
    assert r.status_code == 403 and error_code(r) == "conversation_forbidden"
    assert len(rasa.calls) == 1


def test_a_file_that_is_not_a_bom_never_reaches_the_dialogue(rasa: FakeRasa) -> None:
    client = TestClient(create_app(), raise_server_exceptions=False)
    for name, data, locale, phrase in (("bom.pdf", b"%PDF-1.4", "de", "CSV"), ("bom.csv", b"", "en", "empty")):
        r = client.post("/api/upload", files={"file": (name, data, "application/octet-stream")},
                        data={"locale": locale})
        assert r.status_code == 400, r.text
        assert error_code(r).startswith("upload_")
        assert phrase.lower() in r.json()["error"]["message"].lower()
    assert rasa.calls == []
