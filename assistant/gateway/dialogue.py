"""What the gateway needs to know about the dialogue: allowed button payloads, and rendering Rasa's replies.

Button payloads (``/intent{"entity": "value"}``) are Rasa's intent syntax; a client could send any intent and any
entities that way. Only intents and entities declared in the domain pass, values are bounded, and typed messages
never reach Rasa in that syntax.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant import i18n
from assistant.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

DOMAIN_DIR = PROJECT_ROOT / "domain"
_PAYLOAD = re.compile(r"^/([A-Za-z_][A-Za-z0-9_]{0,63})(\{.{0,800}\})?$", re.S)
MESSAGE_TYPES = ("text", "buttons", "products", "documents", "sources")


class UnknownPayload(ValueError):
    pass


@lru_cache(maxsize=1)
def domain_vocabulary(domain_dir: Path = DOMAIN_DIR) -> tuple[frozenset[str], frozenset[str]]:
    intents: set[str] = set()
    entities: set[str] = set()
    for path in sorted(domain_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("intents") or []:
            intents.add(next(iter(item)) if isinstance(item, dict) else str(item))
        for item in data.get("entities") or []:
            entities.add(next(iter(item)) if isinstance(item, dict) else str(item))
    return frozenset(intents), frozenset(entities)


def validate_payload(payload: str) -> str:
    """Return the payload in canonical form if it names a domain intent with domain entities."""
    match = _PAYLOAD.match(payload.strip())
    if not match:
        raise UnknownPayload("not an intent payload")
    intents, entities = domain_vocabulary()
    intent, raw_entities = match.group(1), match.group(2)
    if intent not in intents:
        raise UnknownPayload(f"unknown intent {intent}")
    if not raw_entities:
        return f"/{intent}"
    try:
        values = json.loads(raw_entities)
    except ValueError as exc:
        raise UnknownPayload("entities are not JSON") from exc
    if not isinstance(values, dict) or len(values) > 5:
        raise UnknownPayload("entities must be a small object")
    clean: dict[str, str | int | float] = {}
    for key, value in values.items():
        if key not in entities:
            raise UnknownPayload(f"unknown entity {key}")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise UnknownPayload("entity values must be scalars")
        if isinstance(value, str) and len(value) > 200:
            raise UnknownPayload("entity value too long")
        clean[key] = value
    return f"/{intent}{json.dumps(clean, ensure_ascii=False, separators=(',', ':'))}"


def neutralise_text(text: str) -> str:
    """Typed text must never be read as Rasa's ``/intent{...}`` syntax: drop the leading slashes."""
    stripped = text.strip()
    while stripped.startswith("/"):
        stripped = stripped[1:].lstrip()
    return stripped


def _clean_buttons(buttons: Any) -> list[dict[str, str]]:
    out = []
    for b in buttons if isinstance(buttons, list) else []:
        if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str):
            out.append({"title": b["title"], "payload": b["payload"]})
    return out


def split_private(raw: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rasa's reply without private keys (``_``-prefixed, e.g. ``_analytics``), and the analytics payloads.

    Actions tell the gateway what a turn achieved in private keys; they never reach the client. A message that
    carried nothing else (a flow marker) disappears entirely.
    """
    clean: list[dict[str, Any]] = []
    private: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        custom = item.get("custom")
        if isinstance(custom, dict):
            payload = custom.get("_analytics")
            private.extend(p for p in (payload if isinstance(payload, list) else [payload]) if isinstance(p, dict))
            public = {k: v for k, v in custom.items() if not str(k).startswith("_")}
            if not public:
                continue
            item = {**item, "custom": public}
        clean.append({k: v for k, v in item.items() if not str(k).startswith("_")})
    return clean, private


def render_messages(raw: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Turn Rasa's REST channel output into chat API messages in the turn's language."""
    messages: list[dict[str, Any]] = []
    for item in raw:
        custom = item.get("custom")
        if isinstance(custom, dict):
            if isinstance(custom.get("t"), str):
                try:
                    messages.append(i18n.render(custom["t"], language, custom.get("p") or {}))
                except i18n.MissingText:
                    log.error("response key %r has no text", custom["t"])
                continue
            if custom.get("type") in MESSAGE_TYPES:
                messages.append(custom)
                continue
            log.warning("dropping custom message of unknown shape")
            continue
        text = item.get("text")
        if isinstance(text, str):
            buttons = _clean_buttons(item.get("buttons"))
            messages.append(
                {"type": "buttons", "text": text, "buttons": buttons} if buttons else {"type": "text", "text": text}
            )
    return messages
