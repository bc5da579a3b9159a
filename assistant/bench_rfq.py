"""One full anonymous RFQ conversation over HTTP, timed per turn (the benchmark calls ``rfq_conversation``)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

# (kind, value, a phrase the reply must contain): a prospect from the finder result to the sent request.
SCRIPT: tuple[tuple[str, str, str], ...] = (
    ("message", "Ich suche eine Steckverschraubung aus Edelstahl für Druckluft, 8 mm", ""),
    ("payload", '/add_to_rfq{"sku":"3SX-0804"}', "Wie viele Stück"),
    ("message", "250", "Anwendung"),
    ("message", "Verpackungsmaschine, in 6 Wochen", "Firma"),
    ("message", "Bench Maschinenbau GmbH", "Ansprechpartner"),
    ("message", "Berta Bench", "E-Mail"),
    ("message", "berta.bench@bench-maschinenbau.de", "Bitte prüfen Sie Ihre Anfrage"),
    ("payload", "/affirm", "RFQ-"),
)


class ConversationFailed(RuntimeError):
    """A turn did not answer as expected (status or content); the message says which turn."""


async def rfq_conversation(base_url: str, client: httpx.AsyncClient | None = None) -> list[float]:
    """Run the script against a running app; returns the latency of each turn in seconds."""
    own = client is None
    http = client or httpx.AsyncClient(timeout=30)
    latencies: list[float] = []
    conversation_id: str | None = None
    try:
        for n, (kind, value, expect) in enumerate(SCRIPT, start=1):
            body: dict[str, Any] = {"locale": "de", "conversation_id": conversation_id}
            body[kind] = value
            for _ in range(30):
                started = time.perf_counter()
                response = await http.post(f"{base_url.rstrip('/')}/api/chat", json=body,
                                           headers={"X-Request-Id": uuid.uuid4().hex})
                elapsed = time.perf_counter() - started
                if response.status_code != 429:
                    break
                # Throttled (all anonymous visitors of one IP share a bucket): wait as the widget would; the
                # wait is not part of the turn's latency.
                await asyncio.sleep(min(5.0, float(response.headers.get("Retry-After", "1"))))
            latencies.append(elapsed)
            if response.status_code != 200:
                raise ConversationFailed(f"turn {n}: HTTP {response.status_code}")
            data = response.json()
            conversation_id = data["conversation_id"]
            text = "\n".join(m.get("text") or "" for m in data["messages"])
            if expect and expect not in text:
                raise ConversationFailed(f"turn {n}: expected {expect!r} in the reply")
    finally:
        if own:
            await http.aclose()
    return latencies
