"""The gateway's connection to Rasa: its REST channel for turns, its token-protected API for health."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import httpx

from assistant.settings import Settings, get_settings


def rasa_auth(settings: Settings) -> dict[str, str]:
    """The header that authorises a call to Rasa's HTTP API (rasa_addons/launch.py refuses a token in a URL)."""
    return {"Authorization": f"Bearer {settings.rasa_token.get_secret_value()}"}

log = logging.getLogger(__name__)


class EngineUnavailable(Exception):
    """Rasa is down, starting, or answered with an error."""


class RasaClient:
    def __init__(self, settings: Settings | None = None):
        self._settings = settings or get_settings()
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Created lazily inside the running event loop; one pooled client per process.
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self._settings.rasa_url,
                timeout=httpx.Timeout(self._settings.rasa_timeout_s, connect=2.0),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        return self._client

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            response = await self._http().post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": metadata}
            )
        except httpx.HTTPError as exc:
            raise EngineUnavailable(f"rasa unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise EngineUnavailable(f"rasa answered {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise EngineUnavailable("rasa answered no JSON") from exc
        if not isinstance(data, list):
            raise EngineUnavailable("rasa answered an unexpected shape")
        return [m for m in data if isinstance(m, dict)]

    async def status(self) -> dict[str, Any]:
        """Rasa's /status (model loaded?) through its token-protected API (token in a header, never in the URL)."""
        try:
            response = await self._http().get("/status", headers=rasa_auth(self._settings), timeout=2.0)
        except httpx.HTTPError as exc:
            raise EngineUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise EngineUnavailable(f"status {response.status_code}")
        data = response.json()
        return data if isinstance(data, dict) else {}

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


@lru_cache(maxsize=1)
def get_rasa_client() -> RasaClient:
    return RasaClient()
