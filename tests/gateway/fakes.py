"""A recording stand-in for Rasa and small helpers for the gateway tests."""

from __future__ import annotations

from typing import Any

from assistant.gateway.rasa_client import EngineUnavailable
from assistant.identity import mint_token


class FakeRasa:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.down = False
        self.reply: list[dict[str, Any]] = [{"recipient_id": "x", "custom": {"t": "greet"}}]

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if self.down:
            raise EngineUnavailable("down")
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        return self.reply




def bearer(sub: str = "u-1001", customer: str = "K-10001", **kw: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(sub=sub, customer=customer, roles=["buyer"], **kw)}


def error_code(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in body["error"]["message"]
    return str(body["error"]["code"])
