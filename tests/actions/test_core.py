from __future__ import annotations

from assistant.actions.core import ActionGreet, ActionHelp
from assistant.identity import BuyerIdentity
from tests.actions.helpers import run, texts, tracker

BUYER = BuyerIdentity("u-1002", "K-10001", frozenset({"buyer", "approver"}), "de", None, "Thomas Berger")
TECH = BuyerIdentity("u-3003", "K-10003", frozenset({"technician"}), "en", None, "Sofia Rossi")


async def test_anonymous_help_lists_public_features_and_offers_next_steps_de() -> None:
    dispatcher, events = await run(ActionHelp(), tracker("was kannst du?", "help"))
    message = dispatcher.messages[0]["custom"]
    assert message["type"] == "buttons"
    assert "Produktfinder" in message["text"] and "Nachbestellung" in message["text"]  # after login
    assert [b["payload"] for b in message["buttons"]] == ["/start_finder", "/start_rfq", "/request_human"]
    assert events == []


async def test_anonymous_help_in_english() -> None:
    dispatcher, _ = await run(ActionHelp(), tracker("what can you do?", "help", language="en"))
    assert "product finder" in dispatcher.messages[0]["custom"]["text"]


async def test_buyer_and_approver_help_lists_orders_and_approvals() -> None:
    dispatcher, _ = await run(ActionHelp(), tracker("was kannst du?", "help", identity=BUYER))
    text = texts(dispatcher)[0]
    assert "Müller Maschinenbau GmbH" in text
    assert "Nachbestellung" in text and "Freigaben" in text


async def test_technician_help_has_no_ordering_in_english() -> None:
    dispatcher, _ = await run(ActionHelp(), tracker("what can you do?", "help", identity=TECH, language="en"))
    text = texts(dispatcher)[0]
    assert "certificates" in text
    assert "reorder" not in text and "approve" not in text


async def test_greeting_uses_the_first_name_of_a_logged_in_user() -> None:
    dispatcher, _ = await run(ActionGreet(), tracker(identity=BUYER))
    assert texts(dispatcher)[0].startswith("Guten Tag, Thomas!")
    dispatcher, _ = await run(ActionGreet(), tracker("hello", identity=TECH, language="en"))
    assert texts(dispatcher)[0].startswith("Hello, Sofia!")


async def test_unsigned_metadata_is_refused_and_nothing_is_revealed() -> None:
    forged = {"identity": {"sub": "u-1002", "customer": "K-10001", "roles": ["buyer"]}, "language": "de",
              "sender": "c-test-sender", "ts": 0, "sig": "0" * 64}
    dispatcher, events = await run(ActionHelp(), tracker(metadata=forged))
    assert "Anmeldung konnte ich gerade nicht bestätigen" in texts(dispatcher)[0]
    assert events == []


async def test_metadata_signed_for_another_conversation_is_refused() -> None:
    t = tracker(identity=BUYER, language="en", sender="c-other")
    t.sender_id = "c-test-sender"
    dispatcher, _ = await run(ActionHelp(), t)
    assert "could not confirm your login" in texts(dispatcher)[0]


async def test_cancel_stops_the_form_and_resets_the_flow_in_both_languages() -> None:
    from assistant.actions.core import ActionCancel

    dispatcher, events = await run(ActionCancel(), tracker("abbrechen", "cancel"))
    assert "abgebrochen" in texts(dispatcher)[0]
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert any(e["event"] == "reset_slots" for e in events)
    dispatcher, _ = await run(ActionCancel(), tracker("cancel", "cancel", language="en"))
    assert "cancelled" in texts(dispatcher)[0]
