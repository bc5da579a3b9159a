"""A hostile or slow action call does not delay another conversation's turns; past its budget it is answered."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from rasa_sdk import Action

from assistant.gateway import chat as chat_module
from assistant.gateway.app import create_app
from assistant.gateway.offload import BudgetExceeded, off_loop
from assistant.gateway.webhook import get_executor
from assistant.identity import ANONYMOUS, BuyerIdentity
from assistant.settings import get_settings
from tests.actions.helpers import tracker
from tests.gateway.fakes import FakeRasa

ANNA = BuyerIdentity("u-1001", "K-10001", frozenset({"buyer"}), "de", None, None)
HOSTILE = "1" + " " * 1900 + "a 3S-1208"  # 11 s of backtracking in the quantity parser, before it was linear


def burn(seconds: float) -> int:
    """Pure-Python CPU work, the kind a thread shares with the event loop."""
    end, n = time.thread_time() + seconds, 0
    while time.thread_time() < end:
        n += 1
    return n


class ActionSlowParse(Action):
    def name(self) -> str:
        return "action_test_slow_parse"

    async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
        burn(3.0)
        return []


def action_call(name: str, text: str, identity: BuyerIdentity = ANONYMOUS, language: str = "de") -> dict[str, Any]:
    t = tracker(text, "inform", identity=identity, language=language)
    return {"next_action": name, "sender_id": t.sender_id, "tracker": t.current_state(), "domain": {},
            "version": "3.6.21"}


async def test_off_loop_keeps_the_event_loop_ticking_and_enforces_the_budget() -> None:
    gaps: list[float] = []

    async def ticker(stop: asyncio.Event) -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    stop = asyncio.Event()
    ticking = asyncio.create_task(ticker(stop))
    assert await off_loop(sum, [1, 2, 3], budget_s=5) == 6
    with pytest.raises(BudgetExceeded):
        await off_loop(burn, 2.0, budget_s=0.5)
    stop.set()
    await ticking
    assert max(gaps) < 0.25, max(gaps)  # the loop was never held for long while the thread burned CPU


@pytest.fixture
def app(monkeypatch) -> Any:
    monkeypatch.setenv("ASSISTANT_CPU_BUDGET_S", "1.0")
    get_settings.cache_clear()
    fake = FakeRasa()
    monkeypatch.setattr(chat_module, "get_rasa_client", lambda: fake)
    chat_module._limiter.cache_clear()
    get_executor().register_action(ActionSlowParse())
    return create_app()


@pytest.mark.parametrize("language", ["de", "en"])
async def test_a_slow_action_does_not_delay_other_conversations_and_is_answered_at_its_budget(app, language) -> None:
    token = {"Authorization": f"Bearer {get_settings().action_token.get_secret_value()}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        assert (await http.post("/api/chat", json={"message": "Hallo"})).status_code == 200  # warm: first-use loads

        async def slow() -> tuple[float, httpx.Response]:
            started = time.perf_counter()
            r = await http.post("/webhook", json=action_call("action_test_slow_parse", HOSTILE, language=language),
                                headers=token)
            return time.perf_counter() - started, r

        async def other_conversation() -> list[float]:
            await asyncio.sleep(0.1)  # the slow action is running by now
            latencies = []
            conversation_id = None
            for _ in range(8):
                started = time.perf_counter()
                r = await http.post("/api/chat", json={"message": "Hallo", "locale": language,
                                                       "conversation_id": conversation_id})
                assert r.status_code == 200
                conversation_id = r.json()["conversation_id"]
                latencies.append(time.perf_counter() - started)
            return latencies

        (slow_s, slow_reply), latencies = await asyncio.gather(slow(), other_conversation())
    assert max(latencies) < 0.5, latencies  # turns of another conversation go on while the action burns CPU
    assert slow_s < 2.5  # answered at its 1 s budget, not after its 3 s of work
    assert slow_reply.status_code == 200
    assert slow_reply.json()["responses"] == [{"custom": {"t": "turn_too_long"}}]
    from assistant import i18n

    assert "zu lange" in i18n.t("turn_too_long", "de") and "too long" in i18n.t("turn_too_long", "en")


async def test_the_message_that_once_stalled_the_app_is_an_ordinary_action_call(app) -> None:
    """The 11 s message through the real quick-order action, while another conversation chats."""
    token = {"Authorization": f"Bearer {get_settings().action_token.get_secret_value()}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        assert (await http.post("/api/chat", json={"message": "Hallo"})).status_code == 200

        async def hostile() -> httpx.Response:
            return await http.post("/webhook", json=action_call("action_quick_order", HOSTILE, ANNA), headers=token)

        async def chat() -> float:
            started = time.perf_counter()
            r = await http.post("/api/chat", json={"message": "Hallo"})
            assert r.status_code == 200
            return time.perf_counter() - started

        started = time.perf_counter()
        reply, chat_s = await asyncio.gather(hostile(), chat())
        elapsed = time.perf_counter() - started
    assert reply.status_code == 200 and reply.json()["responses"] != [{"custom": {"t": "turn_too_long"}}]
    assert elapsed < 1.0 and chat_s < 0.5, (elapsed, chat_s)
