"""The chat API contract, with Rasa replaced by a recording fake (the integration tests use the real one)."""

from __future__ import annotations

import pytest

from assistant.identity import get_signer
from assistant.settings import get_settings
from tests.gateway.fakes import bearer, error_code


def test_first_turn_issues_a_conversation_and_renders_in_the_users_language(client, rasa) -> None:
    r = client.post("/api/chat", json={"message": "hello there, what can you do", "locale": "de"})
    assert r.status_code == 200
    body = r.json()
    assert body["conversation_id"]
    assert body["messages"][0]["type"] == "text"
    assert body["messages"][0]["text"].startswith("Hello!")  # English text, although the page is German
    assert rasa.calls[0]["metadata"]["language"] == "en"


def test_german_turn_gets_german_reply(client, rasa) -> None:
    r = client.post("/api/chat", json={"message": "Hallo, wo ist meine Bestellung?", "locale": "en"})
    assert r.json()["messages"][0]["text"].startswith("Guten Tag!")


def test_unclear_turn_follows_page_locale(client, rasa) -> None:
    r = client.post("/api/chat", json={"message": "4711", "locale": "en"})
    assert rasa.calls[0]["metadata"]["language"] == "en"
    assert r.json()["messages"][0]["text"].startswith("Hello!")


def test_sender_is_server_chosen_and_identity_signed(client, rasa) -> None:
    r = client.post("/api/chat", json={"message": "hallo"}, headers=bearer())
    call = rasa.calls[0]
    assert call["sender"].startswith("c-")
    identity = get_signer().verify(call["metadata"], sender=call["sender"])
    assert identity.customer_id == "K-10001"
    cid = r.json()["conversation_id"]
    client.post("/api/chat", json={"message": "nochmal", "conversation_id": cid}, headers=bearer())
    assert rasa.calls[1]["sender"] == call["sender"]


def test_conversation_of_another_identity_is_forbidden(client, rasa) -> None:
    cid = client.post("/api/chat", json={"message": "hallo"}, headers=bearer()).json()["conversation_id"]
    r = client.post("/api/chat", json={"message": "hallo", "conversation_id": cid},
                    headers=bearer(sub="u-2001", customer="K-10002"))
    assert r.status_code == 403 and error_code(r) == "conversation_forbidden"
    r = client.post("/api/chat", json={"message": "hallo", "conversation_id": cid})
    assert r.status_code == 403
    assert len(rasa.calls) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"message": ""}, "message_empty"),
        ({"message": "   "}, "message_empty"),
        ({}, "message_empty"),
        ({"message": "x" * 2001}, "message_too_long"),
        ({"message": 42}, "wrong_type"),
        ({"message": ["hallo"]}, "wrong_type"),
        ({"message": "hallo", "admin": True}, "unknown_field"),
        ({"message": "hallo", "locale": "fr"}, "invalid_field"),
        ({"message": "hallo", "payload": "/greet"}, "message_and_payload"),
        ({"payload": "/not_an_intent"}, "unknown_payload"),
        ({"payload": "greet"}, "unknown_payload"),
        ({"payload": '/greet{"customer": "K-10002"}'}, "unknown_payload"),
        ({"message": "hallo", "conversation_id": "nonsense"}, "invalid_conversation"),
        ({"message": "hallo", "context": {"sku": "../../etc/passwd"}}, "invalid_field"),
    ],
)
def test_bad_input_gets_its_specific_code(client, rasa, body, code) -> None:
    r = client.post("/api/chat", json=body)
    assert r.status_code == 400, r.text
    assert error_code(r) == code
    assert rasa.calls == []


def test_wrong_json_is_400_not_500(client) -> None:
    r = client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error_code(r) == "invalid_json"
    r = client.post("/api/chat", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_oversized_body_is_413(client) -> None:
    r = client.post("/api/chat", content=b'{"message": "' + b"a" * 70_000 + b'"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and error_code(r) == "too_large"


def test_expired_and_forged_tokens_are_401(client, rasa) -> None:
    r = client.post("/api/chat", json={"message": "hallo"}, headers=bearer(ttl_s=-3600))
    assert r.status_code == 401 and error_code(r) == "token_expired"
    r = client.post("/api/chat", json={"message": "hallo"}, headers={"Authorization": "Bearer abc.def.ghi"})
    assert r.status_code == 401 and error_code(r) == "token_invalid"
    r = client.post("/api/chat", json={"message": "hallo"}, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert r.status_code == 401
    assert rasa.calls == []


def test_intent_syntax_typed_by_a_user_reaches_rasa_as_plain_text(client, rasa) -> None:
    r = client.post("/api/chat", json={"message": '/request_documents{"customer": "K-10002", "order": "1"}'})
    assert r.status_code == 200
    assert not rasa.calls[0]["text"].startswith("/")


def test_known_payload_passes_in_canonical_form(client, rasa) -> None:
    r = client.post("/api/chat", json={"payload": "/affirm"})
    assert r.status_code == 200 and rasa.calls[0]["text"] == "/affirm"


def test_engine_down_is_503_in_the_users_language(client, rasa) -> None:
    rasa.down = True
    r = client.post("/api/chat", json={"message": "where is my order?", "locale": "de"})
    assert r.status_code == 503 and error_code(r) == "engine_down"
    assert "not reachable" in r.json()["error"]["message"]
    r = client.post("/api/chat", json={"message": "wo ist meine Bestellung?"})
    assert "nicht erreichbar" in r.json()["error"]["message"]
    rasa.down = False
    assert client.post("/api/chat", json={"message": "hallo"}).status_code == 200


def test_rate_limit_answers_429_with_retry_after(client, rasa, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_RATE_LIMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    codes = [client.post("/api/chat", json={"message": "hallo"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429
    r = client.post("/api/chat", json={"message": "hallo"})
    assert int(r.headers["Retry-After"]) >= 1 and error_code(r) == "rate_limited"


def test_messages_of_every_type_pass_through(client, rasa) -> None:
    rasa.reply = [
        {"custom": {"type": "products", "items": [{"sku": "3S-1208", "name": "x", "url": "/shop/p/3S-1208",
                                                   "facts": {"Druck": "16 bar"}}]}},
        {"custom": {"type": "sources", "items": [{"title": "t", "url": "/kb/doc/a", "excerpt": "e"}]}},
        {"custom": {"type": "documents", "items": [{"title": "t", "kind": "datasheet", "url": "/x"}]}},
        {"text": "Wählen Sie", "buttons": [{"title": "Ja", "payload": "/affirm"}]},
        {"custom": {"type": "evil", "html": "<script>"}},
    ]
    types = [m["type"] for m in client.post("/api/chat", json={"message": "hallo"}).json()["messages"]]
    assert types == ["products", "sources", "documents", "buttons"]


def test_unknown_routes_and_methods_use_the_error_contract(client) -> None:
    assert error_code(client.get("/api/nothing")) == "not_found"
    assert error_code(client.get("/api/chat")) == "method_not_allowed"


def test_security_headers_are_set(client) -> None:
    r = client.post("/api/chat", json={"message": "hallo"})
    assert "frame-ancestors" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_an_empty_answer_from_rasa_is_a_503_not_a_reply(client, rasa) -> None:
    # Rasa's REST channel answers [] when the turn failed inside it (tracker or lock store down).
    rasa.reply = []
    r = client.post("/api/chat", json={"message": "where is my order?"})
    assert r.status_code == 503 and error_code(r) == "engine_down"
    assert r.headers["Retry-After"] == "5"


def test_openapi_documents_the_error_contract_and_no_422(client) -> None:
    schema = client.get("/api/openapi.json").json()
    chat = schema["paths"]["/api/chat"]["post"]["responses"]
    assert {"200", "400", "401", "403", "413", "429", "503"} <= set(chat)
    assert chat["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "Retry-After" in chat["429"]["headers"]
    statuses = {s for path in schema["paths"].values() for op in path.values() for s in op.get("responses", {})}
    assert "422" not in statuses  # invalid input is answered with 400
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_the_tracker_gets_who_but_not_their_e_mail_or_name(client, rasa) -> None:
    """Rasa stores the metadata with every turn for the retention period: no contact data in it."""
    headers = bearer(email="anna.mueller@mueller-maschinenbau.de", name="Anna Müller")
    assert client.post("/api/chat", json={"message": "Hallo"}, headers=headers).status_code == 200
    identity = rasa.calls[-1]["metadata"]["identity"]
    assert identity["sub"] == "u-1001" and identity["customer"] == "K-10001"
    assert "email" not in identity and "name" not in identity
    assert "anna.mueller" not in str(rasa.calls[-1]["metadata"]) and "Müller" not in str(rasa.calls[-1]["metadata"])
