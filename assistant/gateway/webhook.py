"""Rasa's action webhook, served by the app through rasa-sdk's executor and protected by a shared token.

Actions run off the event loop with a time budget (``assistant.gateway.offload``): their parsing, retrieval and
database work never holds up another conversation's turn.
"""

from __future__ import annotations

import hmac
import logging
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from assistant.gateway.deps import AppSettings
from assistant.gateway.offload import BudgetExceeded, off_loop, run_coroutine_here

log = logging.getLogger(__name__)
router = APIRouter(tags=["actions"], include_in_schema=False)


@lru_cache(maxsize=1)
def get_executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("assistant.actions")
    return executor


def _authorised(request: Request, expected: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())


@router.post("/webhook")
async def webhook(request: Request, settings: AppSettings) -> JSONResponse:
    if not _authorised(request, settings.action_token.get_secret_value()):
        return JSONResponse({"error": "unauthorised"}, status_code=401)
    try:
        action_call: Any = await request.json()
    except ValueError:
        return JSONResponse({"error": "invalid body"}, status_code=400)
    if not isinstance(action_call, dict):
        return JSONResponse({"error": "invalid body"}, status_code=400)
    try:
        result = await off_loop(run_coroutine_here, lambda: get_executor().run(action_call),
                                budget_s=settings.cpu_budget_s)
    except BudgetExceeded:
        # The action keeps running in its thread; the user hears now that this took too long, not in Rasa's timeout.
        log.warning("action %s over its %s s budget", str(action_call.get("next_action"))[:64], settings.cpu_budget_s)
        return JSONResponse({"events": [], "responses": [{"custom": {"t": "turn_too_long"}}]})
    except ActionExecutionRejection as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
    except ActionNotFoundException as exc:
        log.error("unknown action %s", exc.action_name)
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
    return JSONResponse(result.model_dump() if result else {"events": [], "responses": []})
