"""Conversations through the real gateway and the real Rasa server, German and English."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import Chat, text_of, token_for

pytestmark = pytest.mark.integration

ANNA = "anna.mueller@mueller-maschinenbau.de"
SOFIA = "sofia.rossi@alpine-pharma.at"


def test_health_reports_every_part(stack) -> None:
    r = httpx.get(f"{stack.app_url}/healthz", timeout=10)
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert checks["rasa"]["model"] and checks["database"]["ok"] and checks["index"]["version"]


def test_german_small_talk_conversation(stack) -> None:
    chat = Chat(stack, locale="de")
    assert "digitale Assistent" in text_of(chat.say("Hallo!"))
    help_text = text_of(chat.say("Was kannst du?"))
    assert "Produktfinder" in help_text and "Angebotsanfrage" in help_text
    assert "Gern geschehen" in text_of(chat.say("danke schön"))
    assert "Auf Wiedersehen" in text_of(chat.say("tschüss"))


def test_english_small_talk_conversation_on_a_german_page(stack) -> None:
    chat = Chat(stack, locale="de")
    assert "digital assistant" in text_of(chat.say("hello there"))
    assert "product finder" in text_of(chat.say("what can you do?"))
    assert "welcome" in text_of(chat.say("thanks a lot"))
    assert "Goodbye" in text_of(chat.say("bye"))


def test_out_of_scope_in_both_languages(stack) -> None:
    assert "nicht helfen" in text_of(Chat(stack).say("Wie wird das Wetter morgen?"))
    assert "can't help" in text_of(Chat(stack, locale="en").say("tell me a joke"))


def test_fallback_asks_to_rephrase_and_offers_finder_rfq_and_human(stack) -> None:
    for message, locale, phrase in (("xqz vbnm plok", "de", "anders formulieren"),
                                    ("xqz vbnm plok", "en", "rephrase")):
        messages = Chat(stack, locale=locale).say(message)
        assert phrase in text_of(messages)
        buttons = [b["payload"] for m in messages for b in m.get("buttons", [])]
        assert buttons == ["/start_finder", "/start_rfq", "/request_human"]


def test_logged_in_help_lists_what_the_role_allows(stack) -> None:
    buyer = text_of(Chat(stack, token_for(ANNA)).say("Was kannst du alles?"))
    assert "Nachbestellung" in buyer and "Müller Maschinenbau" in buyer
    technician = text_of(Chat(stack, token_for(SOFIA), locale="en").say("what can you do?"))
    assert "certificates" in technician and "reorder" not in technician


def test_personal_greeting_for_a_logged_in_buyer(stack) -> None:
    assert "Guten Tag, Anna!" in text_of(Chat(stack, token_for(ANNA)).say("Hallo"))


def test_conversation_of_another_identity_is_refused(stack) -> None:
    anna = Chat(stack, token_for(ANNA))
    anna.say("Hallo")
    intruder = Chat(stack, token_for(SOFIA))
    intruder.conversation_id = anna.conversation_id
    r = intruder.post(message="hello")
    assert r.status_code == 403 and r.json()["error"]["code"] == "conversation_forbidden"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"message": ""}, 400, "message_empty"),
        ({"message": "x" * 2001}, 400, "message_too_long"),
        ({"message": "hallo", "extra": 1}, 400, "unknown_field"),
        ({"message": 1}, 400, "wrong_type"),
        ({"payload": "/drop_tables"}, 400, "unknown_payload"),
        ({"message": "hallo", "conversation_id": "x" * 40}, 400, "invalid_conversation"),
    ],
)
def test_bad_input_over_http(stack, body, status, code) -> None:
    r = httpx.post(f"{stack.app_url}/api/chat", json=body, timeout=10)
    assert r.status_code == status and r.json()["error"]["code"] == code


def test_expired_and_forged_tokens(stack) -> None:
    from assistant.identity import mint_token

    expired = mint_token(sub="u-1001", customer="K-10001", roles=["buyer"], ttl_s=-600)
    r = httpx.post(f"{stack.app_url}/api/chat", json={"message": "hallo"},
                   headers={"Authorization": f"Bearer {expired}"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"
    forged = expired[:-4] + ("AAAA" if not expired.endswith("AAAA") else "BBBB")
    r = httpx.post(f"{stack.app_url}/api/chat", json={"message": "hallo"},
                   headers={"Authorization": f"Bearer {forged}"}, timeout=10)
    assert r.status_code == 401


def test_typed_intent_syntax_is_plain_text(stack) -> None:
    # A user typing Rasa's intent syntax must not trigger that intent with injected entities.
    messages = Chat(stack).say('/help{"customer": "K-10002"}')
    assert messages  # answered, as text
    r = httpx.post(f"{stack.app_url}/api/chat", json={"payload": '/help{"customer": "K-10002"}'}, timeout=10)
    assert r.status_code == 400


def test_action_webhook_requires_its_token(stack) -> None:
    r = httpx.post(f"{stack.app_url}/webhook", json={"next_action": "action_help"}, timeout=10)
    assert r.status_code == 401


def test_rasa_refuses_identity_metadata_without_a_valid_hmac(stack) -> None:
    # Straight to Rasa's REST channel, as an attacker on the machine would: the action must not trust it.
    forged = {"identity": {"sub": "u-1001", "customer": "K-10001", "roles": ["buyer"]}, "language": "de",
              "sender": "c-attacker", "ts": 0, "sig": "f" * 64}
    r = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                   json={"sender": "c-attacker", "message": "was kannst du?", "metadata": forged}, timeout=30)
    texts = " ".join(str(m.get("custom", {}).get("text", "")) for m in r.json())
    assert "nicht bestätigen" in texts and "Müller" not in texts


def test_rasa_down_gives_friendly_503_and_recovers_with_state(stack) -> None:
    chat = Chat(stack, token_for(ANNA), locale="de")
    chat.say("Hallo")
    stack.stop_process("rasa")
    try:
        r = chat.post(message="Was kannst du?")
        assert r.status_code == 503
        assert "nicht erreichbar" in r.json()["error"]["message"]
        r = chat.post(message="what can you do?", locale="en")
        assert "not reachable" in r.json()["error"]["message"]
    finally:
        stack.start_rasa()
        stack.wait_rasa()
    # Same conversation id, same sender, continues after the restart.
    assert "Nachbestellung" in text_of(chat.say("Was kannst du?"))
