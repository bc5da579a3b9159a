"""The admin session version, kept where every worker and replica sees it: logging out ends the session everywhere.

An admin session is a signed cookie (no server-side table); it carries the version current at login. Logging out
bumps the version, so every cookie issued before, in any browser and on any replica, stops being a session. The
version lives in Redis when ``ASSISTANT_REDIS_HOST`` is set, else in a file under ``var/`` (shared by the workers of
one machine).
"""

from __future__ import annotations

import fcntl
import logging
import os
from functools import lru_cache
from pathlib import Path

import redis

from assistant.settings import Settings

log = logging.getLogger(__name__)

REDIS_KEY = "assistant:admin-session-version"


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    """One pooled client per Redis URL and process."""
    return redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)


class SessionVersionUnavailable(Exception):
    """The store of the version cannot be read: no session is trusted meanwhile."""


class SessionVersion:
    def __init__(self, settings: Settings) -> None:
        self._url = settings.shared_store_url
        self._path = settings.var_dir / "admin" / "session-version"

    def _redis(self) -> redis.Redis:
        return _client(self._url or "")

    def current(self) -> int:
        if self._url:
            try:
                return int(self._redis().get(REDIS_KEY) or 0)
            except Exception as exc:
                raise SessionVersionUnavailable(type(exc).__name__) from exc
        try:
            return int(self._path.read_text().strip() or 0)
        except FileNotFoundError:
            return 0
        except (OSError, ValueError) as exc:
            raise SessionVersionUnavailable(type(exc).__name__) from exc

    def bump(self) -> int:
        """End every session issued so far; returns the new version."""
        if self._url:
            try:
                return int(self._redis().incr(REDIS_KEY))
            except Exception as exc:
                raise SessionVersionUnavailable(type(exc).__name__) from exc
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            version = self.current() + 1
            tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}")
            Path(tmp).write_text(str(version))
            os.replace(tmp, self._path)
        return version
