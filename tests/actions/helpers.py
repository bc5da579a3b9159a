"""Build rasa-sdk trackers in code, with metadata signed exactly as the gateway signs it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.identity import ANONYMOUS, BuyerIdentity, get_signer

SENDER = "c-test-sender"


def tracker(
    text: str = "hallo",
    intent: str = "greet",
    identity: BuyerIdentity = ANONYMOUS,
    language: str = "de",
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    page: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    sender: str = SENDER,
) -> Tracker:
    meta = metadata if metadata is not None else get_signer().sign(
        identity, sender=sender, language=language, page=page or {}
    )
    latest = {
        "text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or [],
        "metadata": meta,
    }
    return Tracker(sender, slots or {}, latest, [], False, None, {}, "action_listen")


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    out = []
    for m in dispatcher.messages:
        custom = m.get("custom") or {}
        out.append(custom.get("text") or m.get("text") or "")
    return out


async def run(action: Any, t: Tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher, events


def slot_value(events: list[dict[str, Any]], name: str) -> Any:
    """The value the action set for a slot; fails the test clearly (a bare next() in a coroutine does not)."""
    values = [e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == name]
    assert values, f"the action set no slot {name!r}: {events}"
    return values[-1]
