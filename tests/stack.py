"""The real stack for tests, booted once per test session: Rasa (its own venv) and the app, on free loopback ports.

The stack uses the session's private runtime folder (see tests/conftest.py): its own SQLite database, seeded with
the demo data, its own knowledge index and its own Rasa tracker store.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.identity import mint_token
from assistant.runner import Stack
from assistant.settings import PROJECT_ROOT, Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=PROJECT_ROOT, check=True,
                   stdout=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not Settings().rasa_model.exists():
        pytest.fail("no trained Rasa model: run `make train` (make test does)")
    os.environ["ASSISTANT_PORT"] = str(free_port())
    # Links in answers (sources, datasheets, signed documents) must point at this stack, not at port 8000.
    os.environ["ASSISTANT_PUBLIC_URL"] = f"http://127.0.0.1:{os.environ['ASSISTANT_PORT']}"
    os.environ["ASSISTANT_PORTAL_URL"] = f"{os.environ['ASSISTANT_PUBLIC_URL']}/portal"
    os.environ["ASSISTANT_RASA_URL"] = f"http://127.0.0.1:{free_port()}"
    _cli("db", "upgrade")
    _cli("demo", "seed", "--if-empty")
    _cli("kb", "build")
    # Conversation tests send many turns per identity within a minute; the limit itself is tested in tests/gateway.
    running = Stack(settings=Settings(), extra_env={"ASSISTANT_RATE_LIMIT_PER_MINUTE": "100000"})
    running.start()
    yield running
    running.stop()


class Chat:
    """A conversation over HTTP, as the widget holds it."""

    def __init__(self, stack: Stack, token: str | None = None, locale: str = "de"):
        self.base, self.token, self.locale = stack.app_url, token, locale
        self.conversation_id: str | None = None
        self.client = httpx.Client(timeout=30)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def post(self, **body: Any) -> httpx.Response:
        body.setdefault("locale", self.locale)
        if self.conversation_id:
            body.setdefault("conversation_id", self.conversation_id)
        return self.client.post(f"{self.base}/api/chat", json=body, headers=self.headers())

    def say(self, message: str | None = None, payload: str | None = None) -> list[dict[str, Any]]:
        response = self.post(message=message) if payload is None else self.post(payload=payload)
        assert response.status_code == 200, response.text
        data = response.json()
        self.conversation_id = data["conversation_id"]
        return data["messages"]


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def token_for(email: str) -> str:
    from assistant.commerce.demo_people import find_user

    user = find_user(email)
    assert user is not None
    return mint_token(sub=user.id, customer=user.customer, roles=user.roles, locale=user.locale,
                      email=user.email, name=user.name)
